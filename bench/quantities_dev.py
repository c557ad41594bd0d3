"""Quantity extraction on the development set (../shared/corpora/quantities-dev): precision and
recall on its percent, range and currency cases, and how long parsing takes.

Usage: python bench/quantities_dev.py [--show-misses]

The set is Microsoft Recognizers-Text's English specification (MIT). An expected result counts
as found when kg reports a quantity whose value matches it: a percent by its number; a currency
by amount and currency; a range by both bounds (an open side must be open in kg too). Every
quantity kg reports that matches no expected result counts against precision. Cases marked as
unsupported for Python in the set are still scored; they are the hard ones (ranges in words).
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from kg.claims.quantities import find_quantities

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "quantities-dev"
CURRENCIES = {"Dollar": "USD", "United States dollar": "USD", "Euro": "EUR", "British pound": "GBP", "Pound": "GBP",
              "Japanese yen": "JPY", "Yen": "JPY", "Cent": "cents", "Pence": "pence", "Penny": "pence",
              "Franc": "francs", "Swiss franc": "CHF", "Chinese yuan": "CNY", "Canadian dollar": "CAD",
              "Australian dollar": "AUD", "Hong Kong dollar": "HKD", "New Zealand dollar": "NZD"}


def expected(case: str, result: dict):
    r = result["Resolution"]
    if case == "percent":
        value = r.get("value")
        return None if value in (None, "null") else ("percent", float(value.rstrip("%")))
    if case == "currency":
        if r.get("value") is None:
            return None
        return ("currency", float(r["value"]), CURRENCIES.get(r.get("unit"), r.get("unit")))
    m = re.fullmatch(r"([\[(])([^,]*),([^\])]*)([\])])", r["value"])
    low = float(m.group(2)) if m.group(2) else None
    high = float(m.group(3)) if m.group(3) else None
    return ("range", low, high)


def matches(case: str, want, q) -> bool:
    close = lambda a, b: a is not None and b is not None and abs(a - b) <= 1e-6 * max(1, abs(b))  # noqa: E731
    if case == "percent":
        return q.kind == "percent" and close(q.low, want[1])
    if case == "currency":
        return q.kind == "currency" and close(q.low, want[1]) and q.unit.split("/")[0] == want[2]
    _, low, high = want
    ok_low = (q.low is None) if low is None else close(q.low, low)
    ok_high = (q.high is None) if high is None else close(q.high, high)
    return ok_low and ok_high


def main() -> None:
    show = "--show-misses" in sys.argv
    files = {"percent": "Number_English_PercentModel.json", "range": "Number_English_NumberRangeModel.json",
             "currency": "NumberWithUnit_English_CurrencyModel.json"}
    total_time, total_inputs = 0.0, 0
    for case, name in files.items():
        tp = fp = fn = 0
        for item in json.loads((DATA / name).read_text(encoding="utf-8")):
            wants = [w for w in (expected(case, r) for r in item["Results"]) if w is not None]
            started = time.perf_counter()
            found = find_quantities(item["Input"])
            total_time += time.perf_counter() - started
            total_inputs += 1
            if case != "range":
                found = [q for q in found if q.kind == case]
            else:  # a range case counts kg's bounded and open quantities, not plain single numbers
                found = [q for q in found if q.kind != "date" and (q.low != q.high or q.direction or "equal" in q.text)]
            used = set()
            for want in wants:
                hit = next((i for i, q in enumerate(found) if i not in used and matches(case, want, q)), None)
                if hit is None:
                    fn += 1
                    if show:
                        print(f"  miss [{case}] {item['Input'][:90]!r}: {want}; got {[(q.text, q.low, q.high) for q in found]}")
                else:
                    used.add(hit)
                    tp += 1
            extra = len(found) - len(used)
            fp += extra
            if show and extra:
                print(f"  extra [{case}] {item['Input'][:90]!r}: {[q.text for i, q in enumerate(found) if i not in used]}")
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        print(f"{case:9s} precision {precision:.3f}  recall {recall:.3f}  ({tp} found, {fp} extra, {fn} missed)")
    print(f"parsing: {total_inputs / total_time:,.0f} inputs a second")


if __name__ == "__main__":
    main()
