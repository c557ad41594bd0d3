"""Numbers in text, with their spans: digits (`1,234.5`, `16.4M`, `10^25`, `1e10`, `3/4`, `2 1/2`,
`½`) and English number words (`twenty-two`, `a hundred and two`, `five and a half million`, `two
thirds`, `nine point nought four`).

One pass of a regular expression finds number atoms (digits with grouping, scale suffixes and
powers, fractions, number words), and a small grammar reads runs of atoms as numbers; both are
linear in the length of the text. `numbers()` gives every number of a text as a `Num` (value,
span and how it was written); `parse_words()` reads a text that is one number in words.

kg/claims/quantities.py builds quantities on top: the words around each number give bounds,
ranges, units and kinds. This module knows nothing of quantities.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from kg.claims import units as U

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
