"""Quantity extraction on the development set (../shared/corpora/quantities-dev): precision and
recall on each of its five files, and how long parsing takes.

Usage: python bench/quantities_dev.py [--show-misses]

The set is Microsoft Recognizers-Text's English specification (MIT): one JSON file per model,
each case an input sentence with the results that model should return. Every case counts,
including those marked NotSupported for Python (they are the hard ones: ranges in words,
compound amounts). An expected result without a value (a bare unit word: `dollar`, `percent`)
is not a quantity and is left out. A found item matches at most one expected result; every
found item that matches none counts against precision. How each file is matched:

- Percent: kg's `percent` quantities (find_quantities), matched by their number.
- NumberRange: kg's quantities with two bounds or one open bound (find_quantities; dates and
  single values aside, except those stated with `equal to`), matched by both bounds, an open side
  open in kg too. A count out of a total (`2 in 5 or more`) is matched by its share (0.4).
- Currency: kg's `currency` quantities, matched by amount and currency code (the unit before any
  `/M tokens`); the set's currency names are mapped to ISO codes below.
- Number: the Number model expects every number, including plain integers, years and numbers in
  versions that kg deliberately does not report as claim quantities. So this file scores kg's
  number layer, `find_numbers`: every number read as a reader says it (no units, no bounds),
  matched by value.
- Dimension: kg's physical measures (`measure` kind, temperatures aside: Recognizers-Text has a
  separate temperature model and expects nothing for them here) and data sizes in data units
  (`size` kind with a unit such as GB or bits, not counted nouns such as parameters), matched by
  value and unit: the set's unit names are mapped to kg's unit names below (Ton and Metric ton
  are both kg's `t`: kg reads tons as metric tonnes). This model has no ranges: for `eight to
  10 feet` it expects 10 feet, so an expected value matches either bound of a kg range.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple

from kg.claims.quantities import find_numbers, find_quantities
from kg.claims.units import UNITS

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "quantities-dev"
FILES = {"number": "Number_English_NumberModel.json", "range": "Number_English_NumberRangeModel.json",
         "percent": "Number_English_PercentModel.json", "currency": "NumberWithUnit_English_CurrencyModel.json",
         "dimension": "NumberWithUnit_English_DimensionModel.json"}
CURRENCIES = {"Dollar": "USD", "United States dollar": "USD", "Euro": "EUR", "British pound": "GBP", "Pound": "GBP",
              "Japanese yen": "JPY", "Yen": "JPY", "Cent": "cents", "Pence": "pence", "Penny": "pence",
              "Franc": "francs", "Swiss franc": "CHF", "Chinese yuan": "CNY", "Canadian dollar": "CAD",
              "Australian dollar": "AUD", "Hong Kong dollar": "HKD", "New Zealand dollar": "NZD",
              "Finnish markka": "FIM", "Peseta": "ESP", "Netherlands guilder": "NLG", "Rupee": "INR",
              "Turkish lira": "TRY", "Bitcoin": "BTC", "Satoshi": "satoshis", "Mexican peso": "MXN",
              "Costa Rican colón": "CRC", "Georgian lari": "GEL", "Lao kip": "LAK", "Sri Lankan rupee": "LKR"}
DIMENSIONS = {"Pound": "lb", "Milliliter": "ml", "Inch": "in", "Mile": "mi", "Foot": "ft", "Barrel": "bbl",
              "Ounce": "oz", "Acre": "acres", "Gallon": "gal", "Cubic foot": "ft³", "Square meter": "m²",
              "Ton": "t", "Metric ton": "t", "Bit": "bits", "Mile per hour": "mph", "Meter": "m", "Kilometer": "km",
              "Millimeter": "mm", "Square kilometer": "km²", "Decimeter": "dm", "Megabit": "Mbit",
              "Megabyte": "MB", "Picometer": "pm", "Tablespoon": "tbsp", "Cup": "cups", "Teaspoon": "tsp",
              "Kilometer per hour": "km/h", "Meter per millisecond": "m/ms", "Centimeter per millisecond": "cm/ms",
              "Kilometer per millisecond": "km/ms", "Kilogram": "kg", "Microgram": "µg", "Gram": "g",
              "Degree": "°", "Radian": "rad", "Turn": "turns", "Dram": "dram"}


class Score(NamedTuple):
    tp: int
    fp: int
    fn: int
    seconds: float
    inputs: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def expected(case: str, result: dict):
    """The expected result as a tuple to match, or None for a result without a value."""
    r = result["Resolution"]
    value = r.get("value")
    if value in (None, "null"):
        return None
    if case == "percent":
        return (float(value.rstrip("%")),)
    if case == "currency":
        return float(value), CURRENCIES.get(r.get("unit"), r.get("unit"))
    if case == "dimension":
        return float(value), DIMENSIONS.get(r.get("unit"), r.get("unit"))
    if case == "number":
        return (float(value),)
    m = re.fullmatch(r"([\[(])([^,]*),([^\])]*)([\])])", value)
    return (float(m.group(2)) if m.group(2) else None, float(m.group(3)) if m.group(3) else None)


def found(case: str, text: str) -> list:
    """What kg reports in `text` that this file's expectations are about."""
    if case == "number":
        return find_numbers(text)
    quantities = find_quantities(text)
    if case in ("percent", "currency"):
        return [q for q in quantities if q.kind == case]
    if case == "dimension":
        return [q for q in quantities if (q.kind == "measure" and q.unit not in ("°C", "°F", "K"))
                or (q.kind == "size" and q.unit in UNITS)]
    return [q for q in quantities if q.kind != "date" and (q.low != q.high or q.direction or "equal" in q.text.lower())]


def _close(a, b) -> bool:
    return a is not None and b is not None and abs(a - b) <= 1e-6 * max(1, abs(b))


def matches(case: str, want, q) -> bool:
    if case in ("percent", "number"):
        return _close(q.low, want[0])
    if case == "currency":
        return _close(q.low, want[0]) and q.unit.split("/")[0] == want[1]
    if case == "dimension":  # the model has no ranges ('eight to 10 feet' is 10 feet): either bound
        return (_close(q.low, want[0]) or _close(q.high, want[0])) and q.unit == want[1]
    low, high = want
    share = q.total or 1
    q_low = None if q.low is None else q.low / share
    q_high = None if q.high is None else q.high / share
    return ((q_low is None) if low is None else _close(q_low, low)) and \
        ((q_high is None) if high is None else _close(q_high, high))


def score(case: str, show: bool = False) -> Score:
    """Precision and recall of kg on one file of the set."""
    tp = fp = fn = 0
    seconds = 0.0
    items = json.loads((DATA / FILES[case]).read_text(encoding="utf-8"))
    for item in items:
        wants = [w for w in (expected(case, r) for r in item["Results"]) if w is not None]
        started = time.perf_counter()
        got = found(case, item["Input"])
        seconds += time.perf_counter() - started
        used: set[int] = set()
        for want in wants:
            hit = next((i for i, q in enumerate(got) if i not in used and matches(case, want, q)), None)
            if hit is None:
                fn += 1
                if show:
                    shown = [(q.text, q.low, q.high, q.unit) for q in got]
                    print(f"  miss [{case}] {item['Input'][:90]!r}: {want}; got {shown}")
            else:
                used.add(hit)
                tp += 1
        extra = [q for i, q in enumerate(got) if i not in used]
        fp += len(extra)
        if show and extra:
            print(f"  extra [{case}] {item['Input'][:90]!r}: {[(q.text, q.low, q.unit) for q in extra]}")
    return Score(tp, fp, fn, seconds, len(items))


def main() -> None:
    show = "--show-misses" in sys.argv
    total = Score(0, 0, 0, 0.0, 0)
    for case in FILES:
        s = score(case, show)
        total = Score(*(x + y for x, y in zip(total, s)))
        print(f"{case:9s} precision {s.precision:.3f}  recall {s.recall:.3f}  ({s.tp} found, {s.fp} extra, "
              f"{s.fn} missed; {s.inputs} inputs in {s.seconds * 1000:.0f} ms)")
    print(f"{'overall':9s} precision {total.precision:.3f}  recall {total.recall:.3f}  ({total.tp} found, "
          f"{total.fp} extra, {total.fn} missed)")
    print(f"parsing: {total.inputs / total.seconds:,.0f} inputs a second")


if __name__ == "__main__":
    main()
