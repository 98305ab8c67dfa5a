#!/usr/bin/env python3
"""Sum up a spending ledger (CSV) month by month for each kind of cost,
and point out where a kind of cost exceeded what was allowed."""
import csv
import sys
from collections import defaultdict

LIMITS = {"rent": 1200.0, "food": 450.0, "transport": 120.0, "fun": 80.0}


def to_money(raw):
    digits = raw.replace("$", "").replace(",", "").strip()
    if not digits:
        return 0.0
    return round(float(digits), 2)


def read_ledger(fname):
    with open(fname, newline="") as fh:
        rd = csv.DictReader(fh)
        for rec in rd:
            period = rec["date"][:7]
            kind = rec["kind"].lower()
            yield period, kind, to_money(rec["value"])


def sum_by_period(entries):
    acc = defaultdict(lambda: defaultdict(float))
    for period, kind, value in entries:
        acc[period][kind] += value
    return acc


def show(acc, dest=sys.stdout):
    for period in sorted(acc):
        print(f"== {period} ==", file=dest)
        for kind, used in sorted(acc[period].items()):
            cap = LIMITS.get(kind)
            note = ""
            if cap is not None and used > cap:
                note = f"  OVER by {used - cap:.2f}"
            print(f"  {kind:<12} {used:>9.2f}{note}", file=dest)


def main(args):
    if len(args) != 2:
        print("usage: budget.py EXPENSES.csv", file=sys.stderr)
        return 2
    show(sum_by_period(read_ledger(args[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.args))
