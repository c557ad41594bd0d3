"""Quantities in claim text: `3–5%`, `~10–13x`, `$3.48/M tokens`, `700M MAU`, `6 of 8`, `10^25 FLOPs`,
`500+`, `12–18 months`, `April 20, 2026`, `415 ppm`, `8- to 16-meter`, `2 1/2 in`, and their words
(`twenty percent`, `nine million`, `a hundred and two`, `two thirds`).

Why not a library: quantulum3 averages ranges (`3–5%` becomes 4 ± 1) and reads units by
physics (`10T` as tesla, `700M` as metres, `$3.48/M` as dollars per metre); the Python port of
Microsoft's Recognizers-Text splits ranges into separate numbers, finds nothing in `10T
parameters` or `50x`, and needs an old `emoji` pinned. So this is a scanner of our own, in two
layers, both linear in the length of the text:

1. numbers: one pass of a regular expression finds number atoms (digits with grouping, scale
   suffixes and powers, fractions, number words), and a small grammar reads runs of atoms as
   numbers (`one hundred and six`, `4 thousand 3 hundred`, `five and a half million`);
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
from decimal import Decimal
from typing import NamedTuple

from kg.claims import units as U
from kg.model import Quantity

# -- number atoms ----------------------------------------------------------------------------------
_SMALL = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                      "fourteen fifteen sixteen seventeen eighteen nineteen".split())} | {
    "nought": 0, "naught": 0}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "lakh": 1e5, "lakhs": 1e5,
           "crore": 1e7, "crores": 1e7, "bn": 1e9, "bln": 1e9, "mn": 1e6, "mln": 1e6, "tn": 1e12, "tln": 1e12}
_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "MM": 1e6, "mil": 1e6, "mn": 1e6, "mln": 1e6, "B": 1e9, "b": 1e9, "bn": 1e9,
           "Bn": 1e9, "bln": 1e9, "T": 1e12, "tn": 1e12, "tln": 1e12}
_UNIT_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_ORDINALS = {w: i + 3 for i, w in enumerate(_UNIT_ORDINALS[2:])} | {
    w: 10 + i for i, w in enumerate("tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth "
                                     "eighteenth nineteenth".split())} | {
    w: 10 * (i + 2) for i, w in enumerate("twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth "
                                           "ninetieth".split())} | {
    "hundredth": 100, "thousandth": 1e3, "millionth": 1e6, "billionth": 1e9, "trillionth": 1e12,
    "quarter": 4, "half": 2}
_UNICODE_FRACTIONS = {"½": 1 / 2, "⅓": 1 / 3, "⅔": 2 / 3, "¼": 1 / 4, "¾": 3 / 4, "⅕": 1 / 5, "⅖": 2 / 5,
                      "⅗": 3 / 5, "⅘": 4 / 5, "⅙": 1 / 6, "⅚": 5 / 6, "⅛": 1 / 8, "⅜": 3 / 8, "⅝": 5 / 8,
                      "⅞": 7 / 8}
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_UNI = "[" + "".join(_UNICODE_FRACTIONS) + "]"
_ORD = rf"(?:{_alt(_ORDINALS)})s?|halves"
_TENS_ORD = rf"(?:{_alt(_TENS)})-(?:{_alt(_UNIT_ORDINALS)})"  # 'twenty-first'
_LEADS = rf"hundred|thousand|million|billion|trillion|lakh|crore|dozen|{_ORD}|{_TENS_ORD}"
_WORD_ATOM = (rf"(?:a|an)(?=[\s-]+(?:{_LEADS})\b)|(?:minus|negative)(?=\s+(?:[\d.]|(?:{_alt(_SMALL)}|{_alt(_TENS)})\b))"
              rf"|{_TENS_ORD}s?|{_ORD}|{_alt(_SMALL)}|{_alt(_TENS)}|hundreds?"
              rf"|{_alt(_SCALES)}|dozens?|dzs?|dozs?|point")
_CODES3 = "|".join(sorted(U.CODES | {c.lower() for c in U.CODES}))
_LEFT_EDGE = rf"(?:(?<![^\W\d_])|(?<={_CODES3}))(?<![\d./:=&?#%^])"  # 'USD115' is money, 'Qwen3' a name


def _atom_regex(spaced_groups: bool) -> re.Pattern:
    """Number atoms. `spaced_groups` also reads `1 234 567` (digit groups after single spaces)."""
    space = "[ \u202f\u00a0]" if spaced_groups else "[\u202f\u00a0]"
    digits = (rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,2}}(?:,\d{{2}})+,\d{{3}}|\d{{1,3}}(?:{space}\d{{3}})+(?![\d,]\d)|\d+)"
              rf"(?:\.\d+)?(?!\d)|\.\d+")
    power = (r"\d+(?:\.\d+)?\s?[x×*]\s?10\s?(?:\^|\*\*)\s?[+-]?\d+|\d+(?:\.\d+)?(?:\^|\*\*)\{?[+-]?\d+\}?"
             r"|10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|\d+(?:\.\d+)?[eE][+-]?\d+(?![\w])")
    suffix = (r"(?:MM|Bn|bn|bln|mn|mln|mil|tn|tln|[kKMBTb])(?![A-Za-z0-9])"
              r"|[ \t]{1,2}[kMBT](?=[ \t]*(?:$|[.;:!?)\]]|,\s))")  # '2.33 k' at the end of a clause
    return re.compile(  # the lookahead first: most positions of a text start no atom, and fail there
        rf"(?=[\d.{_UNI[1:-1]}]|\b[A-Za-z])(?:{_LEFT_EDGE}(?:(?P<power>{power})"
        rf"|(?P<mixed>\d{{1,3}}(?:\s+\d{{1,2}}\s?/\s?\d{{1,3}}(?![\d/])|\s?{_UNI}))"
        rf"|(?P<frac>\d{{1,3}}\s?/\s?\d{{1,3}}(?![\d/]|\s/))|(?P<uni>{_UNI})"
        rf"|(?P<digits>{digits})(?!st\b|nd\b|rd\b|th\b)(?P<suffix>{suffix})?))"
        rf"|\b(?i:(?P<word>{_WORD_ATOM}))\b")


_ATOMS = _atom_regex(False)
_SPACED_ATOMS = _atom_regex(True)
_JOIN = re.compile(r"[ \t]*-[ \t]*|[ \t]+(?P<and>and[ \t]+)?", re.I)


class _Atom(NamedTuple):
    kind: str  # D digits, X a finished number (power, fraction, suffixed), U 0-19, T tens, H hundred, S scale,
    # Z dozen, F ordinal denominator, A article, P point, N minus
    value: float
    start: int
    end: int
    after_and: bool = False
    plural: bool = False
    scale: float = 1.0  # the scale suffix of X atoms (10k: 1e3), for ranges that share it
    decimal: bool = False
    frac: bool = False  # '3/4', '2 1/2', '½'


def _atom(m: re.Match, after_and: bool) -> _Atom | None:
    """The atom a match of the atom regex found (None for an impossible fraction: `3/0`)."""
    group, (s, e) = m.lastgroup, m.span()
    if group in ("digits", "suffix"):
        digits, suffix = m.group("digits"), (m.group("suffix") or "").strip()
        plain = digits.replace(",", "").replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
        if not suffix:
            return _Atom("D", float(plain), s, e, after_and, False, 1.0, "." in digits or "," in digits)
        scale = _SUFFIX[suffix]  # exact decimals: 16.4 million is 16400000, not 16399999.999999998
        return _Atom("X", float(Decimal(plain) * Decimal(scale)), s, e, after_and, False, scale, True)
    written = m.group(group)
    if group == "word":
        return _word_atom(written.lower(), s, e, after_and)
    if group == "power":
        value = _power(written)
        return None if value is None else _Atom("X", value, s, e, after_and, decimal=True)
    if group == "mixed":
        whole, rest = re.match(r"(\d+)\s*(.+)", written).groups()
        part = _fraction(rest)
        value = None if part is None or part >= 1 else int(whole) + part
    else:
        value = _fraction(written)
    return None if value is None else _Atom("X", value, s, e, after_and, decimal=True, frac=True)


def _word_atom(word: str, s: int, e: int, after_and: bool) -> _Atom:
    if word in ("a", "an"):
        return _Atom("A", 1, s, e, after_and)
    if word in ("minus", "negative"):
        return _Atom("N", -1, s, e, after_and)
    if word == "point":
        return _Atom("P", 0, s, e, after_and)
    if word in _SMALL:
        return _Atom("U", _SMALL[word], s, e, after_and)
    if word in _TENS:
        return _Atom("T", _TENS[word], s, e, after_and)
    if word in ("hundred", "hundreds"):
        return _Atom("H", 100, s, e, after_and, plural=word.endswith("s"))
    if word in _SCALES:
        return _Atom("S", _SCALES[word], s, e, after_and)
    if word.startswith(("dozen", "dz", "doz")):
        return _Atom("Z", 12, s, e, after_and)
    plural = word.endswith("s")
    stem = "half" if word == "halves" else word[:-1] if plural and (word[:-1] in _ORDINALS or "-" in word) else word
    if "-" in stem:
        tens, unit = stem.split("-")
        return _Atom("F", _TENS[tens] + _UNIT_ORDINALS.index(unit) + 1, s, e, after_and, plural)
    return _Atom("F", _ORDINALS[stem], s, e, after_and, plural)


def _power(text: str) -> float | None:
    """`10^25`, `10²⁵`, `1.3x10^6`, `1.1^23`, `1e10`; None beyond what a float holds."""
    text = text.translate(_SUPERSCRIPT).replace(" ", "").replace("{", "").replace("}", "").replace("**", "^")
    try:
        if "e" in text.lower():
            value = float(text)
        elif m := re.fullmatch(r"([\d.]+)[x×*]10\^([+-]?\d+)", text):
            value = float(m.group(1)) * 10.0 ** int(m.group(2))
        else:
            base, _, exponent = text.partition("^") if "^" in text else ("10", "", text[2:])
            value = float(base) ** int(exponent)
    except (OverflowError, ValueError):
        return None
    return value if value not in (float("inf"), float("-inf")) else None


def _fraction(text: str) -> float | None:
    if text in _UNICODE_FRACTIONS:
        return _UNICODE_FRACTIONS[text]
    top, bottom = (int(x) for x in text.replace(" ", "").split("/"))
    return top / bottom if bottom else None


def _runs(text: str, regex: re.Pattern) -> list[list[_Atom]]:
    """The atoms of the text in runs: atoms joined by a space, a hyphen or `and` may make one number."""
    runs: list[list[_Atom]] = []
    prev_end = -1
    for m in regex.finditer(text):
        join = _JOIN.fullmatch(text, prev_end, m.start()) if 0 <= prev_end and m.start() - prev_end <= 8 else None
        atom = _atom(m, bool(join and join.group("and")))
        if atom is None:
            prev_end = -1
            continue
        if join and runs:
            runs[-1].append(atom)
        else:
            runs.append([atom])
        prev_end = m.end()
    return runs


# -- numbers from runs of atoms --------------------------------------------------------------------
class Num(NamedTuple):
    """A number read from the text."""
    value: float
    start: int
    end: int
    words: bool  # written (partly) in words
    plain: bool  # a bare integer in digits: '4', '2024'
    scale: float  # its scale word or suffix (1 when none): 'five million' 1e6, '10k' 1e3
    decimal: bool
    fraction: bool  # 'two thirds', '3/4', 'a half'
    lone_half: bool = False


_FRACTION_END = re.compile(r"\s*(?:$|[.,;:!?)]|of\b|(?:a\s+)?dozen|(?:thousand|million|billion|trillion)\b)", re.I)


def _read(text: str, run: list[_Atom], i: int, nested: bool = False, below: float = float("inf"),
          whole: bool = False) -> tuple[Num, int] | None:
    """The number that starts at run[i], and the index after it; None when run[i] starts none.
    English number grammar: 'twenty one' (tens then a unit), 'three hundred and two' ('and'
    after hundred or a scale), 'five and a half million' (a fraction after 'and'), 'two thirds'
    (a numerator then a plural ordinal), 'nine point nought four' (decimals after 'point').
    Inside an 'and' (`nested`), only scales below `below` count, and `whole` stops at an ordinal."""
    sign, j = (-1.0, i + 1) if run[i].kind == "N" else (1.0, i)
    total = group = 0.0
    last, low_scale, scale, fraction, words = None, float("inf"), 1.0, False, False
    while j < len(run):
        a = run[j]
        if a.after_and and last is not None:
            if nested:
                break
            step = _and_step(text, run, j, last, low_scale)
            if step is None:
                break
            add, j, last, is_fraction = step
            group, fraction = group + add, fraction or is_fraction
            continue
        if (a.kind == "S" and a.value >= below) or (whole and a.kind == "F") \
                or not _follows(text, run, j, last, group, low_scale, total, nested):
            break
        k = a.kind
        words = words or k not in "DX"
        if k in "DX":
            group += a.value
            scale, fraction = max(scale, a.scale), fraction or a.frac
        elif k in "UT":
            group += a.value
        elif k == "H":
            group = (group or 1) * 100
        elif k == "S":
            total = (total + group) * a.value if last in ("S", "F") else total + (group or 1) * a.value
            group, low_scale, scale = 0.0, min(low_scale, a.value), max(scale, a.value)
        elif k == "Z":
            total, group = (total + group or 1) * 12, 0.0
        elif k == "F":
            total, group, fraction = (total + group or 1) / a.value, 0.0, True
        elif k == "P":
            digits, j = _decimals(run, j + 1)
            group += float("0." + digits)
            last = "U"
            continue
        last = k
        j += 1
    if last is None or last in "AN":
        return None
    first = run[i]
    value = sign * (total + group)
    lone_half = j == i + 1 and first.kind == "F"
    plain = j == i + 1 and first.kind == "D" and not first.decimal
    return Num(value, first.start, run[j - 1].end, words, plain, scale, any(run[x].decimal for x in range(i, j))
               or any(run[x].kind == "P" for x in range(i, j)), fraction, lone_half), j


def _follows(text: str, run: list[_Atom], j: int, last: str | None, group: float, low_scale: float,
             total: float, nested: bool = False) -> bool:
    """Whether run[j] continues the number read so far (`last`: the kind of its last atom)."""
    a = run[j]
    k = a.kind
    nxt = run[j + 1] if j + 1 < len(run) and not run[j + 1].after_and else None
    if last is None:
        if k == "A":
            return nxt is not None and nxt.kind in "HSZF" and (nxt.kind != "F" or nested
                                                               or _fraction_ends(text, run, j + 1))
        if k == "F":  # 'half' alone (its context decides later), 'quarter million'
            return (a.value == 2 and not a.plural) or (a.value in (2, 4) and nxt is not None and nxt.kind == "S")
        if k == "H" and a.plural:
            return False
        return k in "DXUTH"
    if k == "F":
        numerator = total + group
        if last not in "UTHSA" or (numerator > 1 and not a.plural):
            return False
        return nested or last not in "UA" or numerator != 1 or a.plural or _fraction_ends(text, run, j)
    return {
        "D": k in "HSZ",
        "U": k in "HSZP",
        "T": (k == "U" and 1 <= a.value <= 9 and group % 10 == 0) or k in "HSZP",
        "H": (k in "UT" and group % 100 == 0) or (k == "D" and a.value < 100) or k in "SZP",
        "S": k in "UTD" or (k == "S" and a.value > low_scale) or k == "A" and nxt is not None and nxt.kind == "F",
        "F": k == "S" or (k == "A" and nxt is not None and nxt.kind == "Z"),
        "A": k in "HSZF",
        "G": k == "S",
    }.get(last, False)


def _fraction_ends(text: str, run: list[_Atom], j: int) -> bool:
    """'a third' is a fraction at the end of a clause, before 'of' or a scale ('a third of
    users', 'a quarter million'), not in 'a third party'."""
    return bool(_FRACTION_END.match(text, run[j].end))


def _and_step(text: str, run: list[_Atom], j: int, last: str, low_scale: float):
    """What 'and' adds: after a hundred or a scale, a smaller number ('one hundred and six', 'two
    thousand and two hundred', 'one billion and a half million'); after any whole number, a
    fraction ('one and a half'; after a scale, of that scale: 'one million and a half'). Returns
    (value to add, next index, last kind, whether a fraction), or None when 'and' joins two
    numbers ('3 hundred and 2 hundred', 'between 20 and 30')."""
    below = low_scale if last == "S" else 1.0
    limit = 100 if last == "H" else low_scale if last == "S" else 0
    sub = _read(text, run, j, nested=True, below=below)
    if sub is None:
        return None
    num, nxt = sub
    if num.scale > 1 and last == "S":
        return (num.value, nxt, "G", num.fraction) if num.value < low_scale else None
    if num.fraction and num.value < 1:
        multiplier = low_scale if last == "S" and low_scale >= 1000 else 1.0
        return num.value * multiplier, nxt, "F" if multiplier == 1 else "G", True
    if num.fraction and last in "HS":  # 'one hundred and thirty fifths': (100 + 30) / 5
        sub = _read(text, run, j, nested=True, below=below, whole=True)
        if sub is None or not 0 < sub[0].value < limit:
            return None
        return sub[0].value, sub[1], "U", False
    after = run[nxt] if nxt < len(run) and not run[nxt].after_and else None
    if num.fraction or num.value != int(num.value) or not 0 < num.value < limit:
        return None
    if after is not None and (after.kind in "HZ" or (after.kind == "S" and last == "S")):
        return None
    return num.value, nxt, "G", False


def _decimals(run: list[_Atom], j: int) -> tuple[str, int]:
    """The digits after 'point': one word per digit ('nought four'), or one number ('seventy-one')."""
    digits = ""
    while j < len(run) and run[j].kind == "U" and run[j].value <= 9 and not run[j].after_and:
        digits, j = digits + str(int(run[j].value)), j + 1
    if not digits and j < len(run) and run[j].kind in "TU":
        value, j = run[j].value, j + 1
        if j < len(run) and run[j - 1].kind == "T" and run[j].kind == "U" and run[j].value <= 9:
            value, j = value + run[j].value, j + 1
        digits = str(int(value))
    return digits or "0", j


def numbers(text: str, spaced_groups: bool = False) -> list[Num]:
    """Every number of the text in order, as kg reads them before it looks at units."""
    out: list[Num] = []
    for run in _runs(text, _SPACED_ATOMS if spaced_groups else _ATOMS):
        if len(run) == 1 and run[0].kind in "DX":  # most numbers: digits alone
            a = run[0]
            out.append(Num(a.value, a.start, a.end, False, a.kind == "D" and not a.decimal, a.scale, a.decimal,
                           a.frac))
            continue
        i = 0
        while i < len(run):
            read = _read(text, run, i)
            if read is None:
                i += 1
                continue
            num, i = read
            out.append(num)
    return out


def parse_words(text: str) -> float | None:
    """English number words -> value: 'twenty-two' 22, 'one hundred and five' 105, 'a half' 0.5,
    'a hundred and two' 102, 'three thousand nine hundred and sixty five' 3965; None unless the
    whole text is one number."""
    found = numbers(text)
    if len(found) != 1 or found[0].start != len(text) - len(text.lstrip()) or found[0].end != len(text.rstrip()):
        return None
    return found[0].value


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
_CODE = re.compile(r"\+?\d+(?:[-./:]\d+){2,}|(?<!\d)\d{1,2}:\d{2}(?!\d)")
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
    if q.kind == "date":
        return q.text
    if q.total is not None:
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
