"""Quantities in claim text: `3–5%`, `~10–13x`, `$3.48/M tokens`, `700M MAU`, `6 of 8`, `10^25 FLOPs`,
`500+`, `12–18 months`, `April 20, 2026`, `415 ppm`, `8- to 16-meter`, `2 1/2 in`, and their words
(`twenty percent`, `nine million`, `a hundred and two`, `two thirds`).

Why not a library: quantulum3 averages ranges (`3–5%` becomes 4 ± 1) and reads units by
physics (`10T` as tesla, `700M` as metres, `$3.48/M` as dollars per metre); the Python port of
Microsoft's Recognizers-Text splits ranges into separate numbers, finds nothing in `10T
parameters` or `50x`, and needs an old `emoji` pinned. So this is a scanner of our own, in two
layers, both linear in the length of the text:

1. numbers (kg/claims/numbers.py): one pass of a regular expression finds number atoms (digits
   with grouping, scale suffixes and powers, fractions, number words), and a small grammar reads
   runs of atoms as numbers (`one hundred and six`, `4 thousand 3 hundred`, `five and a half million`);
2. quantities: the words around each number give bounds (`~`, `more than`, `up to`, `500+`, `or
   more`), ranges (kept as bounds, never averaged), unit and kind. Units are read by
   kg/claims/units.py, which also compares them (`measure`).

What is not a measured quantity is left out: versions and names (`Llama 2`, `GPT-5.5`, `Apache
2.0`, `v1.2`, `version 3`, `2.5, 3.0 and 3.2`), ordinals (`3rd`, `first`), small counts of the
things a text enumerates (`two roads`, `four advantages`), codes and phone numbers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from kg.claims import units as U
from kg.claims.numbers import Num, numbers, parse_words  # noqa: F401  (parse_words: re-exported)
from kg.model import Quantity

# -- what is around a number -----------------------------------------------------------------------
_MORE, _LESS = ("greater", "more", "higher", "larger", "bigger"), ("less", "fewer", "smaller", "lower")
_APPROXIMATELY = {"~", "≈", "about", "around", "roughly", "approximately", "approx.", "nearly", "almost", "some",
                  "circa", "an estimated", "estimated"}
_AT_LEAST = {f"{w}{t} or equal{e}" for w in _MORE for t in ("", " than") for e in ("", " to", " than")} | {
    f"equal to or {w} than" for w in _MORE} | {"at least", "at least or equal to", "no less than", "not less than",
                                               "no fewer than", ">=", "> =", "≥"}
_AT_MOST = {f"{w}{t} or equal{e}" for w in _LESS for t in ("", " than") for e in ("", " to", " than")} | {
    f"equal to or {w} than" for w in _LESS} | {"up to", "at most", "no more than", "not more than", "<=", "< =", "≤"}
_MORE_THAN = {"more than", "over", "above", "greater than", "higher than", "larger than", "bigger than", "in excess of",
              "exceed", "exceeds", "exceeded", "exceeding", "surpass", "surpasses", "surpassed", "surpassing", ">"}
_LESS_THAN = {"less than", "fewer than", "under", "below", "lower than", "smaller than", "<"}
_EQUALS = {"equal to", "equals", "equals to", "equaling", "equaling to"}
_PERCENT_OF = {"percent of", "percents of", "per cent of", "percentage of"}


def _reversed(phrases) -> str:
    """An alternation that matches the phrases written backwards (the words before a number are
    read from the number leftwards: one anchored match instead of a search)."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = r"\s+".join(re.escape(word[::-1]) for word in reversed(phrase.split(" ")))
        parts.append(body + (r"(?!\w)" if phrase[0].isalnum() else ""))
    return "|".join(parts)


_LEFT = re.compile(
    rf"(?P<sign>[-−+](?![\w.,)%]))?\s*(?P<cur>{U.CURRENCY_BEFORE_REVERSED})?\s*"
    rf"(?P<pct>{_reversed(_PERCENT_OF)})?\s*(?P<between>{_reversed({'between', 'from'})})?\s*"
    rf"(?P<cmp>{_reversed(_AT_LEAST | _AT_MOST | _MORE_THAN | _LESS_THAN | _EQUALS)})?\s*"
    rf"(?P<approx>{_reversed(_APPROXIMATELY)})?", re.I)


_LEFT_LAST = set("-−+$€£¥₹₩₽₿₡₾₭₺ூ~≈<>=≥≤.")  # how words before a number end, besides letters


class _Left(NamedTuple):
    """The words before a number that bound it, price it or sign it, each as written."""
    groups: dict[str, str]
    start: int  # where the first of them starts (the number's start when there are none)
    starts: dict[str, int]  # where each starts


def _left(text: str, lo: int, hi: int) -> _Left:
    """Approximation, comparison, `between`/`from`, `percent of`, currency and sign before the
    number that starts at `hi`, looking no further left than `lo`."""
    k = hi - 1
    while k >= lo and text[k] in " \t":
        k -= 1
    if k < lo or not (text[k].isalpha() or text[k] in _LEFT_LAST):
        return _Left({}, hi, {})  # nothing before the number can bound, price or sign it
    m = _LEFT.match(text[lo:hi][::-1])
    groups = {k: v[::-1] for k, v in m.groupdict().items() if v and v.strip()}
    cmp = groups.get("cmp", "")
    if cmp in ("<", ">") and hi - m.end("cmp") - 1 >= 0 and text[hi - m.end("cmp") - 1:hi - m.end("cmp")] in "=<>":
        groups.pop("cmp")  # '=>30' is not a bound
    starts = {k: hi - m.end(k) for k in groups}
    return _Left(groups, min(starts.values(), default=hi), starts)


def _direction(cmp: str) -> str | None:
    if not cmp:
        return None
    cmp = re.sub(r"\s+", " ", cmp.lower())
    return ("at least" if cmp in _AT_LEAST else "more than" if cmp in _MORE_THAN else "at most" if cmp in _AT_MOST
            else "less than" if cmp in _LESS_THAN else None)


_TIMES = re.compile(r"[\s-]+times\b(?P<cmp>\s+(?:more|less|fewer|as|the|that|what|over|\w+er)\b)?", re.I)
_GROWTH = re.compile(r"\b(?:grew|grow|grows|increased?|rose|risen|jumped|expanded|multiplied|improved|by)\s+$", re.I)
_CENTS = re.compile(r"\s+(?:and\s+)?")
_CENTS_END = re.compile(r"(?:\s*(?P<word>cents?|pence)\b)?(?=\s*(?:$|[.,;:!?)]|and\b))", re.I)
_FEET_INCHES = re.compile(r"\s+(?:and\s+)?(?P<n>\d{1,2}(?:\.\d+)?)\s?(?:in\b\.?|inch(?:es)?\b|\")", re.I)
_DASH = re.compile(r"-\s+(?:to|or|and)\s+|\s*(?:–|—|-|~|\bto\b|\bthrough\b|\bthru\b)\s*|\s+(?P<conj>and|or|\+)\s+",
                   re.I)
_B_PREFIX = re.compile(r"(?P<sign>[-−])|(?:US|C|A|HK)?[$€£¥]\s?")
_OF = re.compile(r"\s+(?P<w>out\s+of|of|in)(?:\s+the)?\s+", re.I)
_PERCENT_NEXT = re.compile(r"\s*%")
_SIZE_NOUN = re.compile(r"[\s-]*(?P<w>models?|LLMs?|-?class)\b", re.I)
_TAIL = re.compile(r"\s+(?:or|and)\s+(?P<dir>more|greater|higher|above|less|fewer|lower|below|equal)\b"
                   r"(?:\s+(?:than|to)\b)?(?!\s*(?:than\s+|to\s+)?(?:or\b|equal\b|[\d$€£-]))", re.I)
_PLUS = re.compile(r"\+(?![\d\w])")
_NAME_BEFORE = re.compile(r"(?:\b(?-i:(?P<name>[A-Z][\w.-]*))|\b(?P<version>versions?|releases?|v|ver|editions?|gen"
                          r"|generation|series|phase|level|step|chapter|section|part|no|nr|nrs|number|#))\.?\s*#?$",
                          re.I)
_NOT_NAMES = frozenset("""in on at by for about over under nearly some only the a an of with to from since after
before around roughly almost just up all top and or but than within across per each every its their his her our
your these those this that more less fewer""".split())
_PRONOUN_ONE = re.compile(r"\b(?:the|this|that|which|each|every|any|no|another|one|some)\s+$", re.I)
_HALF_CONTEXT = re.compile(r"\s+(?:of|the|a|an|its|their)\b", re.I)
_MAGNITUDE = re.compile(r"\b(?P<m>tens|dozens|hundreds|thousands|millions|billions)\s+of\s+"
                        r"(?:(?P<m2>thousands|millions|billions)(?:\s+of)?\s+)?", re.I)
_MAGNITUDES = {"tens": (10, 100), "dozens": (24, 144), "hundreds": (100, 1e3), "thousands": (1e3, 1e4),
               "millions": (1e6, 1e7), "billions": (1e9, 1e10)}
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
# A code starts where a digit run starts: tried inside a run, `\d+` backtracked over the whole run
# at every digit (a 50,000-digit number took 128 s). A match inside a run needs one at its start.
_CODE = re.compile(r"\+?(?<!\d)\d+(?:[-./:]\d+){2,}|(?<!\d)\d{1,2}:\d{2}(?!\d)")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(  # the lookahead first: it fails fast where no date can start
    rf"(?=[\dA-Za-z])\b(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH})\.?,?\s+(?P<y2>(?:19|20)\d\d)"
    rf"|(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)"
    rf"|(?P<us>[01]?\d)/(?P<usd>[0-3]?\d)/(?P<usy>(?:19|20)\d\d)"
    rf"|(?P<ym>(?:19|20)\d\d-[01]\d)(?![\d-])"
    rf"|(?P<m3>{_MONTH})\.?\s+(?P<y3>(?:19|20)\d\d)"
    rf"|(?P<q>Q[1-4])\s+(?P<y4>(?:19|20)\d\d)"
    rf"|(?<![\w$.,/-])(?P<ya>(?:19|20)\d\d)\s*[-–]\s*(?P<yb>(?:19|20)?\d\d)"
    rf"(?![\w%-]|[.,]\d|\s*(?:%|x\b|times|percent))"
    rf"|(?<![\w$.,/-])(?P<y5>(?:19|20)\d\d)(?![\w%-]|[.,]\d|\s*(?:%|x\b|times|percent|[-–]\s*\d)))",
    re.I)


def _is_code(span: str) -> bool:
    """192.168.1.2, 5/17/2018, +1-222-2222-2222, 15:00 (not 1.5-2.5, a range of decimals)."""
    return ":" in span or span.count("-") >= 2 or span.count("/") >= 2 or span.startswith("+") \
        or (span.count(".") >= 2 and "-" not in span and "/" not in span)


def _glued_name(text: str, start: int) -> bool:
    """Whether the number at `start` is part of a name: glued to letters before it, directly or
    by a hyphen or dot (`GPT-5.5`, `Qwen3.6`, `v1.2`, `Llama-3.1-8B`, `mid-2025`); a currency code
    (`USD50`) is not a name."""
    k = start
    while k > 0 and start - k < 40 and (text[k - 1].isalnum() or text[k - 1] in "._-–"):
        k -= 1
    run = text[k:start].rstrip("-–")
    return bool(run) and run[0].isalpha() and run.upper() not in U.CODES


# -- quantities ------------------------------------------------------------------------------------
class _Found(NamedTuple):
    q: Quantity
    bare: bool  # a plain number with no unit and nothing around it: in a list, a version


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in `text`, in order of appearance. Linear in the length of the text."""
    blocked = bytearray(len(text) + 1)
    for m in _URL.finditer(text):  # numbers inside addresses are not quantities
        blocked[m.start():m.end()] = b"\1" * (m.end() - m.start())
    found = _dates(text, blocked) + _magnitudes(text, blocked)
    for m in _CODE.finditer(text):
        if _is_code(m.group(0)) and not blocked[m.start()]:
            blocked[m.start():m.end()] = b"\1" * (m.end() - m.start())
    found += _scan(text, [n for n in numbers(text) if not blocked[n.start]], blocked)
    found.sort(key=lambda f: f.q.start)
    return [f.q for f in _drop_lists(text, _join_bounds(text, found))]


def _scan(text: str, nums: list[Num], blocked: bytearray) -> list[_Found]:
    out: list[_Found] = []
    i, consumed = 0, 0
    while i < len(nums):
        built = _build(text, nums, i, consumed, blocked) if nums[i].start >= consumed else None
        if built is None:
            i += 1
            continue
        found, i = built
        if found is not None:
            out.append(found)
            consumed = found.q.end
    return out


@dataclass(slots=True)
class _Draft:
    """A quantity being read around a number: each step below reads a little more of the text."""
    a: Num
    left: _Left
    low: float | None
    high: float | None
    side: U.Reading
    nxt: int  # index of the next number not consumed
    currency: str | None = None
    multiplier: float = 1.0  # of the currency sign: 'MUSD 5' is 5 million, '$5m' too
    ranged: bool = False
    total: float | None = None
    direction: str | None = None

    @property
    def structured(self) -> bool:
        """Stated with a bound, a range or a total: a measured figure, whatever its size."""
        groups = self.left.groups
        return self.ranged or self.direction is not None or self.total is not None or (
            bool(groups) and any(k in groups for k in ("approx", "cmp", "between", "pct")))


def _build(text: str, nums: list[Num], i: int, consumed: int, blocked: bytearray) -> tuple[_Found | None, int] | None:
    """The quantity around nums[i] (None when it is not one), and the index of the next number."""
    a = nums[i]
    if _glued_name(text, a.start) or (a.lone_half and not _half(text, a, consumed)):
        return None
    d = _start(text, a, i, _left(text, max(consumed, a.start - 64), a.start))
    _range(text, nums, d, blocked)
    _compound(text, nums, d)
    _bound(text, d)
    kind, unit = d.side.kind, d.side.unit
    if kind == "other" and a.fraction and not d.ranged:
        kind = "fraction"
    start = d.left.start
    if "between" in d.left.groups and not d.ranged:  # 'down from 3,200 Mt': 'from' starts no range here
        start = min((s for k, s in d.left.starts.items() if k != "between"), default=a.start)
    structured = d.structured
    if _dropped(text, a, kind, structured, start):
        return None, d.nxt
    end = d.side.end
    while end > start and text[end - 1].isspace():
        end -= 1
    q = Quantity(text=text[start:end], low=d.low, high=d.high, unit=unit, kind=kind,
                 approx="approx" in d.left.groups, direction=d.direction, total=d.total, start=start, end=end)
    return _Found(q, kind == "other" and not structured and a.scale == 1), d.nxt


def _start(text: str, a: Num, i: int, left: _Left) -> _Draft:
    """The number with its sign, its currency sign ('$5m': millions) and its unit."""
    g = left.groups
    currency, multiplier = U.currency_before(g["cur"]) if "cur" in g else (None, 1.0)
    value = a.value * (-1.0 if g.get("sign") in ("-", "−") else 1.0) * multiplier
    pos = a.end
    if currency and a.scale == 1 and re.match(r"m(?![A-Za-z])", text[pos:pos + 2]):
        value, pos, multiplier = value * 1e6, pos + 1, multiplier * 1e6
    if plus := _PLUS.match(text, pos):
        pos = plus.end()
    side = U.Reading("%", "percent", pos) if "pct" in g else _side(text, a, pos, currency, left.start)
    return _Draft(a, left, value, value, side, i + 1, currency, multiplier, direction="at least" if plus else None)


def _range(text: str, nums: list[Num], d: _Draft, blocked: bytearray) -> None:
    """A range with the next number (`3–5%`, `$1-2 billion`: the scale is shared), or a list
    that shares its unit (`120B and 20B models`). A range's unit applies to both ends."""
    second = _second(text, nums, d.nxt - 1, d.side, d.currency, "between" in d.left.groups, blocked)
    if not second:
        d.low = d.high = d.low * d.side.multiplier
        return
    b, b_side, conj = second
    if conj == "and" and "between" not in d.left.groups:
        if d.side.kind == "other":
            d.side = U.Reading(b_side.unit, b_side.kind, d.side.end, b_side.multiplier)
        d.low = d.high = d.low * d.side.multiplier
        return
    a = d.a
    scale = b.scale if a.scale == 1 and b.scale > 1 and a.value <= b.value / b.scale else 1.0
    scale *= b_side.multiplier if d.side.kind == "other" else 1.0  # '5-10 MUSD'
    d.low, d.high = sorted((d.low * scale, b.value * b_side.multiplier * d.multiplier))
    side = (b_side if b_side.kind != "other" else d.side)._replace(end=b_side.end)
    d.side = side._replace(unit="x", kind="multiplier") if side.unit == "times" else side
    d.nxt, d.ranged = d.nxt + 1, True


def _compound(text: str, nums: list[Num], d: _Draft) -> None:
    """What a single value may carry after its unit: cents ('3 dollars 50 cents'), inches ('5 ft
    2 in'), a total ('6 of 8 families', '1 in 5 developers')."""
    if d.ranged or d.direction:
        return
    end = d.side.end
    if d.side.kind == "currency" and (cents := _cents(text, nums, d.nxt, d)):
        d.low = d.high = d.low + cents[0]
        d.side, d.nxt = d.side._replace(end=cents[1]), d.nxt + 1
    elif d.side.unit == "ft" and (inches := _FEET_INCHES.match(text, end)):
        d.low = d.high = d.low + float(inches.group("n")) / 12
        d.side = d.side._replace(end=inches.end())
    elif d.side.kind == "other" and _total(text, nums, d.nxt, end, d.a):
        d.total = nums[d.nxt].value
        noun, noun_end = _noun(text, nums[d.nxt].end)
        d.side, d.nxt = U.Reading(noun or "", "count", noun_end), d.nxt + 1


def _bound(text: str, d: _Draft) -> None:
    """The bound stated before ('more than', 'up to') or after ('500+', 'or more') the value."""
    value = d.low
    direction = _direction(d.left.groups.get("cmp", "")) or d.direction
    if (plus := _PLUS.match(text, d.side.end)) and not d.ranged:
        direction, d.side = "at least", d.side._replace(end=plus.end())
    if tail := _TAIL.match(text, d.side.end):
        word = tail.group("dir").lower()
        if word == "equal":
            direction = {"more than": "at least", "less than": "at most"}.get(direction, direction)
        else:
            direction, d.low, d.high = ("at least" if word in ("more", "greater", "higher", "above") else "at most",
                                        value, value)
        d.side = d.side._replace(end=tail.end())
    if direction in ("at least", "more than"):
        d.high = None
    elif direction:
        d.low = None
    d.direction = direction


def _side(text: str, num: Num, pos: int, currency: str | None, before: int) -> U.Reading:
    """What the number that ends at `pos` counts or measures: a unit (units.read_unit), `times`
    (a multiplier before a comparative or after a verb of growth, `50 times cheaper`; else a
    count, `9 million times`), a model size (`200B models`, `8B-class`: parameters), or a
    counted noun. `before`: where the words before the number start."""
    if r := U.read_unit(text, pos, currency, num.scale > 1, inch=num.fraction):
        return r
    if t := _TIMES.match(text, pos):
        end = t.end() - len(t.group("cmp") or "")
        growth = _GROWTH.search(text, max(0, before - 30), before)
        return U.Reading("x", "multiplier", end) if t.group("cmp") or (growth and num.scale == 1) else \
            U.Reading("times", "count", end)
    if num.scale > 1 and not num.words and (s := _SIZE_NOUN.match(text, pos)):
        return U.Reading("parameters", "size", s.end())
    noun, end = _noun(text, pos)
    if noun and num.scale > 1 and not num.words and noun.lower() in ("models", "llms"):
        return U.Reading("parameters", "size", end)  # '30B-500B open models': models of that size
    if noun:
        return U.Reading(noun, "size" if noun.lower() in U.SIZE_NOUNS else "count", end)
    return U.Reading("", "other", pos)


def _noun(text: str, pos: int) -> tuple[str | None, int]:
    noun, end = U.counted_noun(text, pos)
    if noun is None or noun.lower() in ("degrees", "times"):  # degrees of an unknown scale; times: _side
        return None, pos
    if noun.lower() in ("parameter", "token"):
        return noun.lower() + "s", end
    return (noun if any(c.isupper() for c in noun[1:]) else noun.lower()), end


def _second(text: str, nums: list[Num], i: int, side: U.Reading, currency: str | None, between: bool,
            blocked: bytearray) -> tuple[Num, U.Reading, str] | None:
    """The other end of a range (`3–5%`, `10 or 15 times`, `8- to 16-meter`, `$25–$30`,
    `between 20 and 30`) or the next item of a list (`120B and 20B models`), when its unit agrees."""
    d = _DASH.match(text, side.end)
    if not d or i + 1 >= len(nums) or blocked[nums[i + 1].start]:
        return None
    b = nums[i + 1]
    b_currency = currency
    if b.start != d.end():  # '$25–$30', 'between -3 and -1'
        prefix = _B_PREFIX.fullmatch(text, d.end(), b.start)
        if not prefix:
            return None
        if prefix.group("sign"):
            b = b._replace(value=-b.value)
        else:
            b_currency = b_currency or U.currency_before(prefix.group(0))[0]
    conj = (d.group("conj") or "").lower().replace("+", "and")  # '117B + 21B models': a list
    b_side = _side(text, b, b.end, b_currency, d.start())
    same = (side.unit, side.kind) == (b_side.unit, b_side.kind) or (
        side.kind == b_side.kind == "currency" and side.unit == b_side.unit.split("/")[0])  # '$25–30/M'
    if side.kind != "other" and b_side.kind != "other" and not same:
        return None  # '6.2% to $1.45 billion': two quantities
    if side.kind != "other" and b_side.kind == "other":
        if conj and not between:
            return None  # '100 °F or 311': the second number is something else
        b_side = side._replace(end=b.end)
    return b, b_side, conj


def _cents(text: str, nums: list[Num], k: int, d: _Draft) -> tuple[float, int] | None:
    """'3 dollars 50 cents', 'thirteen dollars and forty-five cents', '15 dollars 50', 'c $ 100
    and fifty': the cents after a whole amount, said with `cents`, after a currency word or code,
    or after `and`."""
    end = d.side.end
    gap = _CENTS.match(text, end)
    if k >= len(nums) or not gap or nums[k].start != gap.end() or d.a.decimal:
        return None
    cents = nums[k]
    tail = _CENTS_END.match(text, cents.end)
    if not tail or not (0 < cents.value < 100 and cents.value == int(cents.value)) or cents.decimal:
        return None
    said = tail.group("word") or "and" in gap.group(0) or d.currency is None  # d.currency: a sign before
    return (cents.value / 100, tail.end()) if said else None


def _total(text: str, nums: list[Num], k: int, end: int, a: Num) -> bool:
    """'6 of 8', 'one out of three', '1 in 5': a count out of a total."""
    of = _OF.match(text, end)
    if not of or k >= len(nums) or nums[k].start != of.end() or _PERCENT_NEXT.match(text, nums[k].end):
        return False
    total = nums[k]
    if a.value > total.value or U.read_unit(text, total.end) or (a.words and a.value == 1 and of.group("w") == "of"):
        return False  # 'five of the three-ton satellites', 'one of the 6 of 8 families'
    if of.group("w").lower() == "in":
        year = total.plain and 1900 <= total.value <= 2100
        return a.value < total.value and not year and not U.read_unit(text, total.end)
    return True


def _half(text: str, num: Num, consumed: int) -> bool:
    """'half' alone is a number after a bound ('more than half') or before 'of' ('half of them')."""
    left = _left(text, max(consumed, num.start - 40), num.start)
    return bool(left.groups.keys() & {"approx", "cmp"}) or bool(_HALF_CONTEXT.match(text, num.end))


def _dropped(text: str, a: Num, kind: str, structured: bool, start: int) -> bool:
    """Whether a number is not a measured quantity: a version or a name (`Llama 4`, `Opus 4.7`,
    `Mistral 7B`, `version 3`), a bare integer or a lone number word, or a small count of things
    the text enumerates (`two roads`, `four advantages`; a bound or a total keeps it)."""
    if structured or kind not in ("other", "count"):
        return False
    if kind == "other" and (a.plain or (a.words and a.scale == 1)):
        return True  # a bare integer is a name or an ordinal more often than a measure; 'one of them'
    before = _NAME_BEFORE.search(text, max(0, start - 40), start)
    named = before and (before.group("version") or before.group("name").lower() not in _NOT_NAMES)
    if named and (kind == "other" or a.scale == 1):
        return True
    return kind == "count" and a.scale == 1 and not a.decimal and a.value < 10


def _drop_lists(text: str, found: list[_Found]) -> list[_Found]:
    """Bare numbers listed together are versions, not measures: '2.5, 3.0 and 3.2'."""
    listed = set()
    for x, (p, q) in enumerate(zip(found, found[1:])):
        if p.bare and q.bare and re.fullmatch(r"\s*(?:,|and|or|,\s*and|/)\s*", text[p.q.end:q.q.start]):
            listed |= {x, x + 1}
    return [f for x, f in enumerate(found) if x not in listed]


def _join_bounds(text: str, found: list[_Found]) -> list[_Found]:
    """'more than 100 and less than 300' -> one range (100, 300), when the bounds make one."""
    out: list[_Found] = []
    for f in found:
        q, prev = f.q, out[-1].q if out else None
        if (prev and prev.direction and q.direction and re.fullmatch(r"\s*(?:,|and|but|,\s*and|,\s*but)?\s*",
                                                                    text[prev.end:q.start])
                and {prev.low is None, q.low is None} == {True, False}
                and (prev.kind == q.kind or "other" in (prev.kind, q.kind))):
            low = prev.low if prev.low is not None else q.low
            high = prev.high if prev.high is not None else q.high
            if low is not None and high is not None and low < high:
                kind = prev.kind if prev.kind != "other" else q.kind
                out[-1] = _Found(prev.model_copy(update={"text": text[prev.start:q.end], "low": low, "high": high,
                                                         "direction": None, "end": q.end, "kind": kind,
                                                         "unit": prev.unit or q.unit}), False)
                continue
        out.append(f)
    return out


def _magnitudes(text: str, blocked: bytearray) -> list[_Found]:
    """'tens of thousands of developers': a count between 10,000 and 100,000, approximate. Only
    counts: 'hundreds of millions of dollars' is too vague to set against a stated price."""
    out = []
    for m in _MAGNITUDE.finditer(text):
        low, high = _MAGNITUDES[m.group("m").lower()]
        if m.group("m2"):
            factor = _MAGNITUDES[m.group("m2").lower()][0]
            low, high = low * factor, high * factor
        noun, end = _noun(text, m.end() - 1)
        if noun and not blocked[m.start()] and not U.read_unit(text, m.end() - 1):
            out.append(_Found(Quantity(text=text[m.start():end], low=low, high=high, unit=noun, kind="count",
                                       approx=True, start=m.start(), end=end), False))
            blocked[m.start():end] = b"\1" * (end - m.start())
    return out


def _dates(text: str, blocked: bytearray) -> list[_Found]:
    """Dates as spans of years: 'April 2026' is [2026.247, 2026.326], '2025-2026' [2025, 2026.997]."""
    out = []
    for m in _DATE.finditer(text):
        bounds = _date_bounds(m)
        if bounds and not any(blocked[m.start():m.end()]):
            out.append(_Found(Quantity(text=m.group(0), low=bounds[0], high=bounds[1], unit="year", kind="date",
                                       start=m.start(), end=m.end()), False))
            blocked[m.start():m.end()] = b"\1" * (m.end() - m.start())
    return out


def _date_bounds(m: re.Match) -> tuple[float, float] | None:
    g = m.groupdict()

    def frac(year: int, month: int, day: int) -> float:
        days = 366 if calendar.isleap(year) else 365
        return round(year + (dt.date(year, month, day) - dt.date(year, 1, 1)).days / days, 4)

    try:
        if g["y1"] or g["y2"] or g["iso"] or g["us"]:
            if g["iso"]:
                day = dt.date.fromisoformat(g["iso"])
                y, mo, d = day.year, day.month, day.day
            elif g["us"]:
                y, mo, d = int(g["usy"]), int(g["us"]), int(g["usd"])
            else:
                y, mo, d = int(g["y1"] or g["y2"]), _MONTHS[(g["m1"] or g["m2"]).lower()], int(g["d1"] or g["d2"])
            return frac(y, mo, d), frac(y, mo, d)
        if g["y3"] or g["ym"]:
            y, mo = (int(g["y3"]), _MONTHS[g["m3"].lower()]) if g["y3"] else map(int, g["ym"].split("-"))
            return frac(y, mo, 1), frac(y, mo, calendar.monthrange(y, mo)[1])
        if g["y4"]:
            y, q = int(g["y4"]), int(g["q"][1])
            return frac(y, 3 * q - 2, 1), frac(y, 3 * q, calendar.monthrange(y, 3 * q)[1])
        if g["ya"]:
            first, last = int(g["ya"]), int(g["yb"]) if len(g["yb"]) == 4 else int(g["ya"][:2] + g["yb"])
            return (frac(first, 1, 1), frac(last, 12, 31)) if first < last else None
        y = int(g["y5"])
        return frac(y, 1, 1), frac(y, 12, 31)
    except (ValueError, KeyError):
        return None


# -- numbers alone (the Number model of bench/quantities_dev.py) ---------------------------------------
_RATIO = re.compile(r"\s+(?P<w>over|out\s+of|in)\s+", re.I)
_CLAUSE_END = re.compile(r"\s*(?:$|[.,;:!?)])")
_SIGN_BEFORE = re.compile(r"(?<![\w.,)])[-−]\s?$")


def find_numbers(text: str) -> list[Quantity]:
    """Every number of the text, read as a reader says it, units and context aside: plain
    integers, ordinals' numerators, versions and years included; a number glued to a name
    (`GPT-5`) or to a unit (`180ml`) is not a number on its own; a code (`192.168.1.2`) is its
    parts; a ratio said as one number (`one over three`, `one out of three`, `1 in 21`) is its
    value. Digit groups after single spaces (`1 234 567`) are one number here, unlike in
    find_quantities, where they are more often two numbers side by side (`Llama 3 405B`)."""
    out: list[Quantity] = []
    coded = bytearray(len(text) + 1)
    for m in _CODE.finditer(text):
        if _is_code(m.group(0)):
            coded[m.start():m.end()] = b"\1" * (m.end() - m.start())
            out += [_plain(text, m.start() + d.start(), m.start() + d.end(), float(d.group(0)), "other")
                    for d in re.finditer(r"\d+", m.group(0))]
    nums = [n for n in numbers(text, spaced_groups=True) if not coded[n.start]]
    i = 0
    while i < len(nums):
        n, i = nums[i], i + 1
        if not _alone(text, n):
            continue
        value, end = n.value, n.end
        if _SIGN_BEFORE.search(text, max(0, n.start - 2), n.start) and value > 0:
            value = -value
        if i < len(nums) and (r := _RATIO.match(text, n.end)) and nums[i].start == r.end() \
                and _ratio(text, n, nums[i], r):
            value, end, i = value / nums[i].value, nums[i].end, i + 1
        out.append(_plain(text, n.start, end, value, "fraction" if n.fraction else "other"))
    return sorted(out, key=lambda q: q.start)


def _plain(text: str, start: int, end: int, value: float, kind: str) -> Quantity:
    return Quantity(text=text[start:end], low=value, high=value, unit="", kind=kind, start=start, end=end)


def _alone(text: str, n: Num) -> bool:
    """Whether a number stands on its own: not in a name (`GPT-5`), not glued to a unit
    (`180ml`), 'half' where it is a number, 'one' where it is not a pronoun ('which one')."""
    if not n.words:
        return not _glued_name(text, n.start) and not (n.end < len(text) and text[n.end].isalpha())
    if n.lone_half:
        return _half(text, n, 0)
    return n.value != 1 or not _PRONOUN_ONE.search(text, max(0, n.start - 12), n.start)


def _ratio(text: str, a: Num, b: Num, r: re.Match) -> bool:
    word = r.group("w").lower()
    if not b.value or (b.plain and 1900 <= b.value <= 2100):
        return False
    if word == "over":  # '2000 over 3', not 'over 3 years'
        return bool(_CLAUSE_END.match(text, b.end))
    return a.value < b.value and not U.read_unit(text, b.end)


# -- badges ----------------------------------------------------------------------------------------
def describe(q) -> str:
    """A quantity as a short badge: '3–5 %', '≥ 500 models', '6 of 8 families', '415 ppm', '8–16 m'."""
    def num(x):
        if abs(x) < 1e6:
            return f"{x:,.6g}"
        if abs(x) >= 1e15:  # 10^25 FLOPs reads 1e25
            mantissa, exponent = f"{x:.3e}".split("e")
            return f"{float(mantissa):g}e{int(exponent)}"
        for size, word in ((1e12, "T"), (1e9, "B"), (1e6, "M")):  # 9e6 reads 9M, 1e13 reads 10T
            if abs(x) >= size:
                return f"{x / size:,.3g}{word}"
    if q.kind == "date" or (q.low is None and q.high is None):
        return q.text
    if q.total is not None and q.low is not None:
        return f"{num(q.low)} of {num(q.total)} {q.unit}".strip()
    if q.low is None:
        body = f"≤ {num(q.high)}"
    elif q.high is None:
        body = f"≥ {num(q.low)}"
    elif q.low == q.high:
        body = num(q.low)
    else:
        body = f"{num(q.low)}–{num(q.high)}"
    return ("~" if q.approx else "") + f"{body} {q.unit}".strip()
