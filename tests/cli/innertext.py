#!/usr/bin/env python3
"""innertext.py -- what a real browser shows of each HTML page.

    innertext.py CHROMIUM PROFILE_DIR OUT_DIR PAGE...

Starts one headless Chromium (a private profile in PROFILE_DIR, its log in
PROFILE_DIR/chromium.log) and drives it over the DevTools protocol on a
pipe (--remote-debugging-pipe: NUL-terminated JSON on fds 3 and 4, so no
port and no websocket library).  Each PAGE is loaded as it is, top-level,
from its file:// URL, and once its load event has fired, its own style
sheets are turned off (see READ) and document.body.innerText is written,
UTF-8, to OUT_DIR/<page name>.txt.
The pages are not modified: a script appended to a copy would be text
after <plaintext>, or swallowed by an unclosed comment or <xmp>.

Standard library only.  Exit 0, or 1 with a message on stderr."""
import fcntl
import json
import os
import pathlib
import select
import subprocess
import sys
import time

TIMEOUT = 20.0  # seconds, for any one answer

# Once the page has loaded: its style sheets off, then the body's innerText.
# innerText follows CSS display, and picket reads HTML without CSS: a
# news site's `.nav li {display: inline}` over <li>s with no white space
# between them makes "HomeNewsSport" one word of innerText, though the
# margins set them apart on the screen.  Without the page's own style
# sheets (<style>, <link>; style attributes stay) the browser's default
# style sheet decides what is a block, as it does for picket.
READ = """new Promise(r => {
  const t = () => {
    for (const s of document.styleSheets) s.disabled = true;
    document.adoptedStyleSheets = [];
    r(document.body ? document.body.innerText : '');
  };
  document.readyState === 'complete' ? t() : addEventListener('load', t);
})"""


class Browser:
    def __init__(self, chromium, profile):
        os.makedirs(profile, exist_ok=True)
        # The pipe ends the child gets as fds 3 and 4 are first moved above
        # them, so that the dup2s in the child cannot overwrite each other.
        def high(fd):
            h = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return h
        to_r, to_w = map(high, os.pipe())
        from_r, from_w = map(high, os.pipe())

        def child():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.log = open(os.path.join(profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=child, pass_fds=(3, 4))
        os.close(to_r)
        os.close(from_w)
        self.w, self.r = to_w, from_r
        self.buf = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.w, data):]
        return self.next_id

    def recv(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe (see its log)")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None):
        want = self.send(method, params)
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self.recv(deadline)  # events in between are not needed
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def evaluate(self, expr, await_promise=False):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def close(self):
        try:
            self.session = None
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    chromium, profile, outdir, pages = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(outdir, exist_ok=True)
    b = Browser(chromium, profile)
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        b.session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for page in pages:
            url = pathlib.Path(page).resolve().as_uri()
            nav = b.call("Page.navigate", {"url": url})
            if nav.get("errorText"):
                raise RuntimeError("%s: %s" % (page, nav["errorText"]))
            # The new document, then its load event.
            deadline = time.monotonic() + TIMEOUT
            while b.evaluate("location.href") != url:
                if time.monotonic() > deadline:
                    raise TimeoutError("%s: not loaded" % page)
                time.sleep(0.01)
            text = b.evaluate(READ, await_promise=True)
            name = os.path.splitext(os.path.basename(page))[0]
            with open(os.path.join(outdir, name + ".txt"), "w", encoding="utf-8") as f:
                f.write(text)
    except Exception as e:  # one line for the test's log
        print("innertext.py: %s" % e, file=sys.stderr)
        b.close()
        return 1
    b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
