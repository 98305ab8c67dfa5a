#!/usr/bin/env python3
"""Rename the JPEG files in a folder after the date they were taken,
keeping the original order for pictures taken in the same second."""
import os
import sys
import time


def taken_at(path):
    stamp = os.path.getmtime(path)
    return time.strftime("%Y-%m-%d_%H%M%S", time.localtime(stamp))


def plan(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg")))
    seen = {}
    moves = []
    for name in names:
        base = taken_at(os.path.join(folder, name))
        seen[base] = seen.get(base, 0) + 1
        suffix = "" if seen[base] == 1 else "-%d" % seen[base]
        moves.append((name, base + suffix + ".jpg"))
    return moves


def apply(folder, moves, dry_run):
    for old, new in moves:
        if old == new:
            continue
        print("%s -> %s" % (old, new))
        if not dry_run:
            os.rename(os.path.join(folder, old), os.path.join(folder, new))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "-n"]
    if len(args) != 1:
        sys.exit("usage: rename_photos.py [-n] FOLDER")
    apply(args[0], plan(args[0]), "-n" in sys.argv)
