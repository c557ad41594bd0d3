"""Quantities in claim text: `3–5%`, `~10–13x`, `$3.48/M tokens`, `700M MAU`, `6 of 8`, `10^25 FLOPs`,
`500+`, `12–18 months`, `April 20, 2026`, and their words (`twenty percent`, `nine million`).

Why not a library: quantulum3 averages ranges (`3–5%` becomes 4 ± 1) and reads units by
physics (`10T` as tesla, `700M` as metres, `$3.48/M` as dollars per metre); the Python port of
Microsoft's Recognizers-Text splits ranges into separate numbers, finds nothing in `10T
parameters` or `50x`, and needs an old `emoji` pinned. So this is a small scanner of our own:
one pass of regular expressions for the number forms, then the words around each number decide
bounds, approximation, unit and kind (DESIGN §5). Bounds are kept as written, never averaged.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

from kg.model import Quantity

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "third": 1 / 3}
_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES], key=len, reverse=True))
_WORDS = rf"(?:(?:a|an|one)\s+(?:half|quarter|third)|(?:{_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{_WORD}))*)"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "mn": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12, "tn": 1e12}
_SCALE = r"(?:\s*(?:thousand|million|billion|trillion)\b|(?:k|K|M|mn|B|bn|T|tn)(?![\w]))"
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_NUMBER = (rf"(?P<{{p}}exp>10\s*(?:\^|\*\*)\s*\{{?-?\d+\}}?|10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+|\d+(?:\.\d+)?e[+-]?\d+)"
           rf"|(?P<{{p}}frac>\b\d{{1,3}}\s?/\s?\d{{1,3}}\b)(?!\s?/)"
           rf"|(?P<{{p}}num>{_DIGITS})(?P<{{p}}scale>{_SCALE})?"
           rf"|(?P<{{p}}words>\b{_WORDS}\b)")
_CURRENCY = (r"(?P<{p}cur>(?:\b(?:us|ca|au|hk|nz)\s?|(?-i:\b[CAS](?=\$)|\bc (?=\$)))?\$\s?|€\s?|£\s?|¥\s?"
             r"|(?-i:USD|EUR|GBP)\s?)")
_SIGN = r"(?P<{p}sign>(?<![\w.])[-−]|\bminus\s+|\bnegative\s+)"


def _number(p: str) -> str:
    """One number with its optional currency and sign; group names prefixed with p."""
    return f"(?:{_CURRENCY})?(?:{_SIGN})?(?:{_NUMBER})".replace("{p}", p)


_APPROX = r"(?P<approx>~|≈|\b(?:about|around|roughly|approximately|approx\.|nearly|almost|some|circa|an estimated)\s+)"
_INCL_ABOVE = (r"(?:(?:greater|more|higher|larger|bigger)(?: than)? or equal(?: to| than)?|equal to or (?:more|greater|higher)"
               r" than|at least(?: or equal to)?|no less than|not less than|no fewer than|>\s*=|≥)")
_INCL_BELOW = (r"(?:(?:less|fewer|smaller|lower)(?: than)? or equal(?: to| than)?|equal to or (?:less|fewer|lower) than"
               r"|up to|at most|no more than|not more than|<\s*=|≤)")
_ABOVE = (rf"(?:{_INCL_ABOVE}|more than|over|above|greater than|higher than|larger than|bigger than|exceeding|exceeds?"
          r"|surpass(?:es|ing)?|>)")
_BELOW = rf"(?:{_INCL_BELOW}|less than|fewer than|under|below|lower than|smaller than|<)"
_EQUAL = r"(?:equal to|equals(?: to)?|equaling(?: to)?)"
_DASH = r"\s*(?:–|—|-|~|to|through)\s*"
_PATTERN = re.compile(
    rf"(?<![\w.,/%=&?+:-])(?:{_APPROX})?"
    rf"(?:(?P<cmp>{_ABOVE}|{_BELOW}|{_EQUAL})\s*)?"
    rf"(?:(?P<between>between|from)\s+)?"
    rf"{_number('a_')}"
    rf"(?:(?P<a_unit>\s*(?:%|percent|per cent|x|×|times|-fold|fold)\b|\s*%)?"
    rf"(?:(?P<range>{_DASH}|\s+(?:and|or)\s+(?=(?:\$|US\$|€|£)?\d|{_WORDS}\s*(?:%|percent|x\b|times)))"
    rf"{_number('b_')}))?"
    rf"(?P<plus>\+(?![\d\w]))?",
    re.IGNORECASE)
_PERCENT = re.compile(r"\s*(?:%|percent(?:s|age)?\b|per cent\b|percentage points?\b|pp\b)", re.I)
_MULTIPLIER = re.compile(r"\s*(?:x\b|×|times\b|-?fold\b)", re.I)
_PER = re.compile(r"\s*(?:/|\bper\s+)\s*(?:(?P<million>1\s?M|M|1 million|million|1,000,000)\s*(?P<tokens>(?:input |output )?tokens?)?"
                  r"|(?P<thousand>1K|1k|1,000|thousand)\s*(?P<tokens2>tokens?)?"
                  r"|(?P<period>hour|hr|h|month|mo|year|yr|day|week|user|seat|GPU)\b)", re.I)
_DURATION = re.compile(r"[\s-]*(?P<u>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?|decades?)\b",
                       re.I)
_SIZE_UNITS = ("parameters", "params", "tokens", "flops", "flop", "gb", "tb", "mb", "kb", "bytes", "gpus", "tflops",
               "pflops")
_TAIL = re.compile(rf"\s+(?:or|and)\s+(?P<dir>more|greater|higher|above|less|fewer|lower|below)\b(?:\s+than\b)?"
                   rf"(?!\s*(?:than\s+)?(?:or\b|equal\b|to\b|[\d$€£-]|{_WORDS}\b))", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_OF = re.compile(rf"\s+(?:out\s+)?of(?:\s+the)?\s+(?P<total>{_DIGITS}|{_WORDS})\b(?!\s*%)", re.I)
_NOUN = re.compile(r"\s+(?P<w1>[A-Za-z][\w-]*)(?:\s+(?P<w2>[A-Za-z][\w-]*))?(?:\s+(?P<w3>[A-Za-z][\w-]*))?")
_STOP = frozenset("""a an the and or of in on at to for by from with as is are was were be been it its this that
these those than then so but not no per each every which who whom whose what when where while if into onto over
under about after before between more less most least up down out off new would could should may might must will
can shall has had have do does did""".split())
_NAME_BEFORE = re.compile(r"\b(?P<name>[A-Z][\w.-]*)\s+$")
_NOT_NAMES = frozenset("""in on at by for about over under nearly some only the a an of with to from since after
before around roughly almost just up all top and or but than within across per each every its their his her our
your these those this that""".split())
_DATA = re.compile(r"\s?(?P<u>[KMGTP]B|bytes)\b")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d\d)"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH})\.?,?\s+(?P<y2>(?:19|20)\d\d)"
    rf"|(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)"
    rf"|(?P<ym>(?:19|20)\d\d-[01]\d)(?![\d-])"
    rf"|(?P<m3>{_MONTH})\.?\s+(?P<y3>(?:19|20)\d\d)"
    rf"|(?P<q>Q[1-4])\s+(?P<y4>(?:19|20)\d\d)"
    rf"|(?<![\w$.,/-])(?P<y5>(?:19|20)\d\d)(?![\w%.,-]|\s*(?:%|x\b|times|percent|[-–]\s*\d)))",
    re.I)


def parse_words(text: str) -> float | None:
    """English number words -> value: 'twenty-two' 22, 'one hundred and five' 105, 'a half' 0.5,
    'three thousand nine hundred and sixty five' 3965."""
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w and w != "and"]
    if len(words) == 2 and words[0] in ("a", "an", "one") and words[1] in _FRACTIONS:
        return _FRACTIONS[words[1]]
    total, current, seen = 0.0, 0.0, False
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALES:
            total += (current or 1) * _SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _value(m: re.Match, p: str) -> float | None:
    g = m.groupdict()
    if g.get(f"{p}exp"):
        text = g[f"{p}exp"].translate(_SUPERSCRIPT).replace(" ", "")
        if "e" in text.lower():
            value = float(text)
        else:
            exponent = re.sub(r"^10(?:\^|\*\*)?", "", text).strip("{}")
            value = 10.0 ** int(exponent)
    elif g.get(f"{p}frac"):
        top, bottom = (int(x) for x in g[f"{p}frac"].replace(" ", "").split("/"))
        if bottom == 0:
            return None
        value = top / bottom
    elif g.get(f"{p}num"):
        number = Decimal(g[f"{p}num"].replace(",", ""))
        scale = (g.get(f"{p}scale") or "").strip()
        if scale:  # exact decimal arithmetic: 16.4 million is 16400000, not 16399999.999999998
            number *= Decimal(_SCALES.get(scale.lower()) or _SUFFIX.get(scale) or _SUFFIX.get(scale.lower(), 1))
        value = float(number)
    elif g.get(f"{p}words"):
        value = parse_words(g[f"{p}words"])
        if value is None:
            return None
    else:
        return None
    if g.get(f"{p}sign"):
        value = -value
    return value


_SYMBOLS = {"$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP", "¥": "JPY",
            "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "HK$": "HKD", "NZ$": "NZD", "S$": "SGD"}
_CURRENCY_WORDS = re.compile(
    r"[\s-]*(?P<w>[$€£¥元₹₩₽]|(?:(?:us|american|canadian|australian|hong kong|new zealand) )?dollars?|euros?|pounds?(?: sterling)?|"
    r"yen|yuan|renminbi|rmb|(?:swiss )?francs?|cents?|pence|penny|pennies)\b", re.I)
_WORD_CODES = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "元": "CNY", "₹": "INR", "₩": "KRW", "₽": "RUB",
               "rmb": "CNY", "dollar": "USD", "us dollar": "USD", "american dollar": "USD", "canadian dollar": "CAD",
               "australian dollar": "AUD", "hong kong dollar": "HKD", "new zealand dollar": "NZD", "euro": "EUR",
               "pound": "GBP", "pound sterling": "GBP", "yen": "JPY", "yuan": "CNY", "renminbi": "CNY",
               "swiss franc": "CHF", "franc": "francs", "cent": "cents", "pence": "pence", "penny": "pence",
               "pennie": "pence"}


def _currency(symbol: str | None) -> str | None:
    if not symbol:
        return None
    return _SYMBOLS.get(re.sub(r"\s+", "", symbol).upper())


def _noun(text: str, pos: int) -> tuple[str | None, int]:
    """The unit noun after a count: the first plural or acronym within three words, or the next
    word when it is not a stop word ('9 million downloads', '700M MAU', '6 of 8 major families')."""
    m = _NOUN.match(text, pos)
    if not m:
        return None, pos
    words = [(m.group(g), m.end(g)) for g in ("w1", "w2", "w3") if m.group(g)]
    for word, end in words:
        if word.lower() in _STOP:
            break
        if word.lower() in _SIZE_UNITS or (word.isupper() and len(word) >= 2) or (
                len(word) > 3 and word.lower().endswith("s") and not word.lower().endswith(("ss", "ly"))):
            return word, end
    word, end = words[0]
    if word.lower() in _SIZE_UNITS:
        return word, end
    return None, pos


def _date_bounds(m: re.Match) -> tuple[float, float] | None:
    g = m.groupdict()

    def frac(year: int, month: int, day: int) -> float:
        start = dt.date(year, 1, 1)
        days = 366 if calendar.isleap(year) else 365
        return round(year + (dt.date(year, month, day) - start).days / days, 4)

    try:
        if g["y1"] or g["y2"]:
            y, mo, d = int(g["y1"] or g["y2"]), _MONTHS[(g["m1"] or g["m2"]).lower()], int(g["d1"] or g["d2"])
            return frac(y, mo, d), frac(y, mo, d)
        if g["iso"]:
            day = dt.date.fromisoformat(g["iso"])
            return frac(day.year, day.month, day.day), frac(day.year, day.month, day.day)
        if g["y3"] or g["ym"]:
            y, mo = (int(g["y3"]), _MONTHS[g["m3"].lower()]) if g["y3"] else map(int, g["ym"].split("-"))
            return frac(y, mo, 1), frac(y, mo, calendar.monthrange(y, mo)[1])
        if g["y4"]:
            y, q = int(g["y4"]), int(g["q"][1])
            end_month = 3 * q
            return frac(y, end_month - 2, 1), frac(y, end_month, calendar.monthrange(y, end_month)[1])
        y = int(g["y5"])
        return frac(y, 1, 1), frac(y, 12, 31)
    except (ValueError, KeyError):
        return None


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in `text`, in order of appearance."""
    found: list[Quantity] = []
    taken = [(m.start(), m.end()) for m in _URL.finditer(text)]  # numbers inside addresses are not quantities
    for m in _DATE.finditer(text):
        bounds = _date_bounds(m)
        if bounds and not _overlaps(taken, m.start(), m.end()):
            found.append(Quantity(text=m.group(0), low=bounds[0], high=bounds[1], unit="year", kind="date",
                                  start=m.start(), end=m.end()))
            taken.append((m.start(), m.end()))
    pos = 0
    while m := _PATTERN.search(text, pos):
        pos = m.end() if m.end() > m.start() else m.start() + 1
        if _overlaps(taken, m.start(), m.end()):
            continue
        q = _quantity(text, m)
        if q is not None:
            found.append(q)
            pos = q.end  # '6 of 8 families' is one quantity; a rejected range resumes after its first number
    return _join_bounds(text, sorted(found, key=lambda q: q.start))


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _join_bounds(text: str, found: list[Quantity]) -> list[Quantity]:
    """'more than 100 and less than 300' -> one range (100, 300), when the bounds make one."""
    out: list[Quantity] = []
    for q in found:
        prev = out[-1] if out else None
        if (prev and prev.direction and q.direction and re.fullmatch(r"\s*(?:,|and|but|,\s*and|,\s*but)?\s*",
                                                                    text[prev.end:q.start])
                and {prev.low is None, q.low is None} == {True, False} and prev.kind == q.kind):
            low = prev.low if prev.low is not None else q.low
            high = prev.high if prev.high is not None else q.high
            if low is not None and high is not None and low <= high:
                out[-1] = prev.model_copy(update={"text": text[prev.start:q.end], "low": low, "high": high,
                                                  "direction": None, "end": q.end, "unit": prev.unit or q.unit})
                continue
        out.append(q)
    return out


def _end_of(m: re.Match, prefix: str) -> int:
    return max((m.end(name) for name, value in m.groupdict().items() if name.startswith(prefix) and value), default=-1)


def _quantity(text: str, m: re.Match) -> Quantity | None:
    g = m.groupdict()
    a = _value(m, "a_")
    if a is None:
        return None
    end = m.end()
    b = None
    if g.get("range"):
        b = _value(m, "b_")
        after = text[end:end + 3]
        broken = b is None or re.match(r"[-/.]\d", after)  # a phone number or a date, not a range
        mixed = (g.get("b_cur") and not g.get("a_cur")) or (g.get("a_unit") and not _same_unit(g["a_unit"], text, end))
        listed = g["range"].strip().lower() in ("and", "or") and not g.get("between") and not (
            _PERCENT.match(text, end) or _MULTIPLIER.match(text, end) or g.get("b_scale") or g.get("b_cur"))
        mixed = mixed or listed  # '2.5, 3.0 and 3.2' is a list of versions; '10 or 15 times' is a range
        if broken or mixed:  # '6.2% to $1.45 billion': two quantities, not a range
            if broken and re.match(r"[-/.]\d", after):
                return None
            return _single(text, m, _end_of(m, "a_"))
    return _finish(text, m, a, b, end)


def _same_unit(unit: str, text: str, pos: int) -> bool:
    if _PERCENT.match(unit):
        return bool(_PERCENT.match(text, pos))
    return bool(_MULTIPLIER.match(text, pos)) or not re.match(r"\s*[A-Za-z$€£]", text[pos:])


def _single(text: str, m: re.Match, a_end: int) -> Quantity | None:
    """The quantity of a match's first number alone."""
    sub = _PATTERN.match(text[:a_end], m.start())
    return _finish(text, sub, _value(sub, "a_"), None, sub.end()) if sub else None


def _finish(text: str, m: re.Match, a: float | None, b: float | None, end: int) -> Quantity | None:
    g = m.groupdict()
    if a is None:
        return None
    currency = _currency(g.get("a_cur") or g.get("b_cur"))
    unit, kind = "", "other"
    plain = not (g.get("a_scale") or g.get("a_exp") or g.get("b_scale") or g.get("b_exp"))
    if g.get("a_unit"):  # '3% to 5%', '10x-13x'
        unit, kind = ("%", "percent") if _PERCENT.match(g["a_unit"]) else ("x", "multiplier")
    if (p := _PERCENT.match(text, end)) and not currency:
        unit, kind, end = "%", "percent", p.end()
    elif (x := _MULTIPLIER.match(text, end)) and not currency and not (
            m.group(0).strip()[-1:].isalpha() and x.group(0).strip().lower() == "x"):
        unit, kind, end = "x", "multiplier", x.end()
    if not currency and kind == "other" and (w := _CURRENCY_WORDS.match(text, end)):
        word = w.group("w").lower()
        word = word[:-1] if word.endswith("s") and not word.endswith("pence") and len(word) > 1 else word
        currency, end = _WORD_CODES.get(word, word), w.end()
    if currency:
        unit, kind = currency, "currency"
        if per := _PER.match(text, end):
            if per.group("million"):
                unit += "/M tokens" if per.group("tokens") or per.group("million").strip().upper() in ("M", "1M", "1 M") \
                    else "/M"
            elif per.group("thousand"):
                unit += "/K tokens" if per.group("tokens2") else "/K"
            else:
                period = per.group("period").lower()
                unit += "/" + {"hr": "hour", "h": "hour", "mo": "month", "yr": "year"}.get(period, period)
            end = per.end()
    elif kind == "other" and (d := _DURATION.match(text, end)):
        word = d.group("u").lower().rstrip("s")
        word = {"sec": "second", "min": "minute", "hr": "hour", "yr": "year"}.get(word, word)
        unit, kind, end = word + "s", "duration", d.end()
    if kind == "other" and (data := _DATA.match(text, end)):
        unit, kind, end = data["u"], "size", data.end()
    if kind == "other" and g.get("a_frac") and not g.get("range"):
        kind = "fraction"
    total = None
    if kind == "other" and (of := _OF.match(text, end)) and not g.get("range"):
        total_text = of.group("total")
        total = float(total_text.replace(",", "")) if re.match(r"[\d.]", total_text) else parse_words(total_text)
        if total is not None:
            kind, end = "count", of.end()
    if kind in ("other", "count"):
        noun, noun_end = _noun(text, end)
        if noun:
            unit = noun if any(c.isupper() for c in noun[1:]) else noun.lower()  # MAU, FLOPs; downloads
            kind = "size" if noun.lower() in _SIZE_UNITS else "count"
            end = noun_end
    low, high = a, (b if b is not None else a)
    if g.get("range") and b is not None and low > high:
        low, high = high, low
    direction = None
    cmp = re.sub(r"\s+", " ", (g.get("cmp") or "").lower())
    if cmp and not re.fullmatch(_EQUAL, cmp, re.I):
        if re.fullmatch(_ABOVE, cmp, re.I):
            direction, high = ("at least" if re.fullmatch(_INCL_ABOVE, cmp, re.I) else "more than"), None
        else:
            direction, low = ("at most" if re.fullmatch(_INCL_BELOW, cmp, re.I) else "less than"), None
    if g.get("plus"):
        direction, high = "at least", None
    if tail := _TAIL.match(text, end):
        word = tail.group("dir").lower()
        if word in ("more", "greater", "higher", "above"):
            direction, high, low = "at least", None, a
        else:
            direction, low, high = "at most", None, a
        end = tail.end()
    structured = g.get("cmp") or g.get("range") or direction or total is not None or g.get("approx")
    name = _NAME_BEFORE.search(text[:m.start()])
    if kind in ("other", "count") and plain and not structured and name and name["name"].lower() not in _NOT_NAMES:
        return None  # 'Opus 4.7', 'Apache 2.0', 'Gemma 4 ships': a version in a name
    if kind == "other" and plain and not structured:
        if g.get("a_words"):
            return None  # a lone number word ('one of them') is not a quantity
        if g.get("a_num") and "," not in g["a_num"] and "." not in g["a_num"]:
            return None  # a bare integer is a name or an ordinal more often than a measure ('Llama 4')
    if kind == "count" and (g.get("a_words") or "").lower() in ("one", "a", "an") and not structured:
        return None  # 'one end holds', 'one wins': an article, not a count
    return Quantity(text=text[m.start():end].strip(), low=low, high=high, unit=unit, kind=kind,
                    approx=bool(g.get("approx")), direction=direction, total=total, start=m.start(), end=end)


def describe(q) -> str:
    """A quantity as a short badge: '3–5 %', '≥ 500 models', '6 of 8 families'."""
    def num(x):
        if abs(x) < 1e6:
            return f"{x:,.6g}"
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
