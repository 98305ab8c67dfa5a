#!/usr/bin/env python3
"""Read a CSV of household expenses and report the monthly totals per
category, flagging any month where a category went over its budget."""
import csv
import sys
from collections import defaultdict

BUDGETS = {"rent": 1200.0, "food": 450.0, "transport": 120.0, "fun": 80.0}


def parse_amount(text):
    cleaned = text.replace("$", "").replace(",", "").strip()
    if not cleaned:
        return 0.0
    return round(float(cleaned), 2)


def load_rows(path):
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            month = row["date"][:7]
            category = row["category"].lower()
            yield month, category, parse_amount(row["amount"])


def monthly_totals(rows):
    totals = defaultdict(lambda: defaultdict(float))
    for month, category, amount in rows:
        totals[month][category] += amount
    return totals


def report(totals, out=sys.stdout):
    for month in sorted(totals):
        print(f"== {month} ==", file=out)
        for category, spent in sorted(totals[month].items()):
            limit = BUDGETS.get(category)
            flag = ""
            if limit is not None and spent > limit:
                flag = f"  OVER by {spent - limit:.2f}"
            print(f"  {category:<12} {spent:>9.2f}{flag}", file=out)


def main(argv):
    if len(argv) != 2:
        print("usage: budget.py EXPENSES.csv", file=sys.stderr)
        return 2
    report(monthly_totals(load_rows(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
