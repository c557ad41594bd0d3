"""Units of the quantities kg reads: the words and symbols that may follow a number (physical and
data units, durations, currencies) and `measure`, which puts a quantity in one base unit per
dimension so that quantities written in different units compare (`40 minutes` < `1 hour`).

Reading stays ours (fast, and tuned to prose: `8- to 16-meter`, `200lbs`, `3.2 Gt`); pint does the
arithmetic: every physical, data and time unit below names a pint unit, and `measure` converts
with pint's registry. What pint answers for a unit is kept on disk beside the embedding model
(`units-pint-<version>.json`), so a build loads pint (0.35-0.55 s to import and build its registry)
only for a unit no earlier build asked about. Currencies are not physical: they keep their ISO code
and are never converted between each other (no FX rates).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from kg.cache import save_atomic
from kg.model import Quantity


class Unit(NamedTuple):
    """A unit as kg shows it (`display`), the pint expression it means, and the quantity kind."""
    display: str
    pint: str
    kind: str  # "measure", "size" (data) or "duration"


# display, pint expression, kind, word spellings (any case, plurals written out), symbols (as written)
_LEXICON: list[tuple[str, str, str, str, str]] = [
    # length
    ("km", "kilometer", "measure", r"kilomet(?:er|re)s?", r"km"),
    ("m", "meter", "measure", r"met(?:er|re)s?", r"m"),
    ("cm", "centimeter", "measure", r"centimet(?:er|re)s?", r"cm"),
    ("mm", "millimeter", "measure", r"millimet(?:er|re)s?", r"mm"),
    ("µm", "micrometer", "measure", r"micromet(?:er|re)s?|microns?", r"µm|μm"),
    ("nm", "nanometer", "measure", r"nanomet(?:er|re)s?", r"nm"),
    ("dm", "decimeter", "measure", r"decimet(?:er|re)s?", r"dm"),
    ("pm", "picometer", "measure", r"picomet(?:er|re)s?", r""),
    ("mi", "mile", "measure", r"miles?", r"mi"),
    ("nmi", "nautical_mile", "measure", r"nautical miles?", r"nmi"),
    ("ft", "foot", "measure", r"feet|foot", r"ft"),
    ("in", "inch", "measure", r"inch(?:es)?", r""),
    ("yd", "yard", "measure", r"yards?", r"yd"),
    ("ly", "light_year", "measure", r"light[- ]years?", r""),
    # mass
    ("kg", "kilogram", "measure", r"kilogram(?:me)?s?|kilos", r"kg"),
    ("g", "gram", "measure", r"gram(?:me)?s?", r"g"),
    ("mg", "milligram", "measure", r"milligram(?:me)?s?", r"mg"),
    ("µg", "microgram", "measure", r"microgram(?:me)?s?", r"µg|μg|mcg"),
    ("t", "metric_ton", "measure", r"(?:metric )?tonnes?|metric tons?|tons?", r"t"),
    ("kt", "1000 * metric_ton", "measure", r"kilotonnes?|kilotons?", r"kt"),
    ("Mt", "megametric_ton", "measure", r"megatonnes?|megatons?", r"Mt"),
    ("Gt", "gigametric_ton", "measure", r"gigatonnes?|gigatons?", r"Gt"),
    ("lb", "pound", "measure", r"pounds?", r"lbs?"),
    ("oz", "ounce", "measure", r"ounces?", r"oz"),
    # temperature (compared on the Celsius scale, see measure)
    ("°C", "degC", "measure", r"(?:°|degrees?|deg\.?)\s?(?:celsius|centigrade|c(?![a-z]))|celsius|℃", r"°\s?C"),
    ("°F", "degF", "measure", r"(?:°|degrees?|deg\.?)\s?(?:fahrenheit|f(?![a-z]))|fahrenheit|℉", r"°\s?F"),
    ("K", "kelvin", "measure", r"kelvins?|degrees? kelvin", r"K(?!\s*[A-Za-z])"),
    # angle
    ("°", "degree", "measure", r"degrees?", r"°"),
    ("rad", "radian", "measure", r"radians?", r"rad"),
    # concentration
    ("ppm", "ppm", "measure", r"parts per million", r"ppm"),
    ("ppb", "1e-9", "measure", r"parts per billion", r"ppb"),
    # energy and power
    ("J", "joule", "measure", r"joules?", r"J"),
    ("kJ", "kilojoule", "measure", r"kilojoules?", r"kJ"),
    ("MJ", "megajoule", "measure", r"megajoules?", r"MJ"),
    ("GJ", "gigajoule", "measure", r"gigajoules?", r"GJ"),
    ("kcal", "kilocalorie", "measure", r"kilocalories?", r"kcal"),
    ("Wh", "watt_hour", "measure", r"watt[- ]hours?", r"Wh"),
    ("kWh", "kilowatt_hour", "measure", r"kilowatt[- ]hours?", r"kWh"),
    ("MWh", "megawatt_hour", "measure", r"megawatt[- ]hours?", r"MWh"),
    ("GWh", "gigawatt_hour", "measure", r"gigawatt[- ]hours?", r"GWh"),
    ("TWh", "terawatt_hour", "measure", r"terawatt[- ]hours?", r"TWh"),
    ("W", "watt", "measure", r"watts?", r"W"),
    ("kW", "kilowatt", "measure", r"kilowatts?", r"kW"),
    ("MW", "megawatt", "measure", r"megawatts?", r"MW"),
    ("GW", "gigawatt", "measure", r"gigawatts?", r"GW"),
    ("TW", "terawatt", "measure", r"terawatts?", r"TW"),
    ("hp", "horsepower", "measure", r"horsepower", r"hp"),
    # area
    ("m²", "meter ** 2", "measure", r"square met(?:er|re)s?|sq\.? ?m(?![a-z])", r"m2|m²"),
    ("km²", "kilometer ** 2", "measure", r"square kilomet(?:er|re)s?|sq\.? ?km", r"km2|km²"),
    ("ft²", "foot ** 2", "measure", r"square f(?:ee|oo)t|sq\.? ?ft", r"ft2|ft²"),
    ("mi²", "mile ** 2", "measure", r"square miles?|sq\.? ?mi(?![a-z])", r"mi2|mi²"),
    ("acres", "acre", "measure", r"acres?", r""),
    ("ha", "hectare", "measure", r"hectares?", r"ha"),
    # volume
    ("L", "liter", "measure", r"lit(?:er|re)s?", r"L"),
    ("ml", "milliliter", "measure", r"millilit(?:er|re)s?", r"ml|mL"),
    ("m³", "meter ** 3", "measure", r"cubic met(?:er|re)s?", r"m3|m³"),
    ("ft³", "foot ** 3", "measure", r"cubic f(?:ee|oo)t", r"ft3|ft³"),
    ("gal", "gallon", "measure", r"gallons?", r"gal"),
    ("bbl", "oil_barrel", "measure", r"barrels?", r"bbl"),
    ("fl oz", "fluid_ounce", "measure", r"fluid ounces?|fl\.? ?oz", r""),
    ("cups", "cup", "measure", r"cups?", r""),
    ("tbsp", "tablespoon", "measure", r"tablespoons?", r"tbsp"),
    ("tsp", "teaspoon", "measure", r"teaspoons?", r"tsp"),
    # speed (more are composed: a length per a time)
    ("km/h", "kilometer / hour", "measure", r"kmph|kph", r"km/h|km/hr"),
    ("mph", "mile / hour", "measure", r"miles (?:per|an) hour", r"mph"),
    ("m/s", "meter / second", "measure", r"", r"m/s"),
    ("kn", "knot", "measure", r"knots?", r"kn"),
    # data: B is a byte, b a bit; all-lower-case kb/mb/gb/tb are read as bytes, as people type them
    ("bytes", "byte", "size", r"bytes?", r""),
    ("KB", "kilobyte", "size", r"kilobytes?", r"KB|kB|kb"),
    ("MB", "megabyte", "size", r"megabytes?", r"MB|mb"),
    ("GB", "gigabyte", "size", r"gigabytes?", r"GB|gb"),
    ("TB", "terabyte", "size", r"terabytes?", r"TB|tb"),
    ("PB", "petabyte", "size", r"petabytes?", r"PB|pb"),
    ("bits", "bit", "size", r"bits?", r""),
    ("kbit", "kilobit", "size", r"kilobits?", r"Kb|kbit"),
    ("Mbit", "megabit", "size", r"megabits?", r"Mb|Mbit"),
    ("Gbit", "gigabit", "size", r"gigabits?", r"Gb|Gbit"),
    ("Tbit", "terabit", "size", r"terabits?", r"Tb|Tbit"),
    # durations
    ("milliseconds", "millisecond", "duration", r"milliseconds?|msecs?", r"ms"),
    ("seconds", "second", "duration", r"seconds?|secs?", r""),
    ("minutes", "minute", "duration", r"minutes?|mins?", r""),
    ("hours", "hour", "duration", r"hours?|hrs?", r"h"),
    ("days", "day", "duration", r"days?", r""),
    ("weeks", "week", "duration", r"weeks?|wks?", r""),
    ("months", "month", "duration", r"months?|mos?", r""),
    ("years", "year", "duration", r"years?|yrs?", r""),
    ("decades", "decade", "duration", r"decades?", r""),
    ("centuries", "century", "duration", r"century|centuries", r""),
]

UNITS: dict[str, Unit] = {d: Unit(d, p, k) for d, p, k, _, _ in _LEXICON}
"""Every unit kg reads, by its display form."""


def _compile(index: int, flags: int) -> tuple[re.Pattern, list[str]]:
    """A regex over the words (index 3) or the symbols (index 4) of the lexicon, longest
    spelling first (`km/h` before `km`); group `u<i>` stands for the display form displays[i]."""
    entries = [(row[0], row[index]) for row in _LEXICON if row[index]]
    entries.sort(key=lambda e: -max(len(s) for s in e[1].split("|")))
    end = r"(?![\w²³]|-\d)"  # not 'km/h' inside 'km/hr', not '24703 L-202'
    body = "|".join(f"(?P<u{i}>(?:{pattern}){end})" for i, (_, pattern) in enumerate(entries))
    return re.compile(body, flags), [d for d, _ in entries]


_WORDS, _WORD_DISPLAYS = _compile(3, re.I)
_SYMBOLS, _SYMBOL_DISPLAYS = _compile(4, 0)
_GAP = re.compile(r"(?P<hyphen>\s?-\s?)|[ \t\u00a0\u202f]{0,2}(?P<bracket>[(\[{<](?=[^\s()\[\]{}<>]{1,6}[)\]}>]))?")
_INCH = re.compile(r"in\.?(?=\s*(?:$|[,;:)!?]|\.(?!\d)|\s+(?:long|wide|tall|thick|deep|high|across|screen|display|"
                   r"diameter)\b))")
_INCH_AFTER_FRACTION = re.compile(r"in\.?(?!\w)(?!\s+(?:the|a|an|this|that|these|those|its|their|his|her|our|my|your"
                                  r"|each|every|which|what|whose|[\d$€£]|[A-Z]))")
_PER = re.compile(r"\s*/\s*|\s+per\s+|(?P<an>\s+an?\s+)")
_TIME_WORD = re.compile(r"(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|min|hours?|hrs?|hr|h|days?|d"
                        r"|weeks?|months?|years?|yrs?|yr)(?![\w])", re.I)
_TIME_NAMES = {"ms": "ms", "s": "s", "sec": "s", "second": "s", "millisecond": "ms", "min": "min", "minute": "min",
               "h": "h", "hr": "h", "hour": "h", "d": "day", "day": "day", "week": "week", "month": "month",
               "yr": "yr", "year": "yr"}
_TIME_PINT = {"ms": "millisecond", "s": "second", "min": "minute", "h": "hour", "day": "day", "week": "week",
              "month": "month", "yr": "year"}
_LENGTHS = frozenset({"meter", "kilometer", "mile", "foot"})
_TEMPERATURE_CONTEXT = re.compile(r"\b(?:temperature|warm|hot|cold|cool|heat|weather|fever)", re.I)


def unit_at(text: str, pos: int, inch: bool = False) -> tuple[Unit, int] | None:
    """The unit written at `pos`, right after a number: `3.2 Gt`, `200lbs`, `8-meter`, `20 (kg)`,
    `10 km/h`, `188 miles an hour`. Returns the unit and where it ends, or None. Symbols are read
    as written (`Mt` is a megatonne, `mt` nothing) and never after a hyphen; words in any case;
    `in` is an inch only at the end of a clause or before `long`, `wide`... (else a preposition),
    or after a fraction (`inch`: `2 1/2 in pipe`) unless what follows reads as its object."""
    gap = _GAP.match(text, pos)
    start = gap.end()
    found = _longest(text, start, words_only=bool(gap.group("hyphen")))
    if found is None and inch and not gap.group("hyphen") and (m := _INCH_AFTER_FRACTION.match(text, start)):
        found = ("in", m.end())
    if found is None:
        return None
    display, end = found
    if gap.group("bracket"):
        if end >= len(text) or text[end] not in ")]}>":
            return None
        end += 1
    if display == "°" and _TEMPERATURE_CONTEXT.search(text, max(0, pos - 60), pos):
        return None  # 'the temperature is 24 degrees': a temperature on an unknown scale
    return _per(text, UNITS[display], end)


def _longest(text: str, start: int, words_only: bool = False) -> tuple[str, int] | None:
    """The longest unit word or symbol at `start`, with its end."""
    best = None
    for regex, displays in ((_WORDS, _WORD_DISPLAYS), (_SYMBOLS, _SYMBOL_DISPLAYS))[:1 if words_only else 2]:
        m = regex.match(text, start)
        if m and (best is None or m.end() > best[1]):
            best = (displays[int(m.lastgroup[1:])], m.end())
    if best is None and not words_only and (m := _INCH.match(text, start)):
        best = ("in", m.end())
    return best


def _per(text: str, unit: Unit, end: int) -> tuple[Unit, int]:
    """A unit per a time (`km/hr`, `meters per second`, `188 miles an hour`, `GB/s`, `Gt/yr`)."""
    m = _PER.match(text, end)
    if not m or unit.kind == "duration":
        return unit, end
    t = _TIME_WORD.match(text, m.end())
    if not t or (m.group("an") and unit.pint not in _LENGTHS):
        return unit, end
    word = t.group(0).lower()
    word = word[:-1] if word.endswith("s") and word not in ("s", "ms") else word
    symbol = _TIME_NAMES.get(word, word)
    display = {"mi/h": "mph", "km/hr": "km/h"}.get(f"{unit.display}/{symbol}", f"{unit.display}/{symbol}")
    return Unit(display, f"({unit.pint}) / {_TIME_PINT[symbol]}", unit.kind), t.end()


# -- currencies ------------------------------------------------------------------------------------
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "元": "CNY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₿": "BTC",
           "₡": "CRC", "₾": "GEL", "₭": "LAK", "ரூ": "LKR", "₺": "TRY"}
"""Currency signs and the ISO code each stands for."""
_DOLLAR_PREFIX = {"us": "USD", "u.s.": "USD", "u.s": "USD", "usd": "USD", "ca": "CAD", "c": "CAD", "cad": "CAD",
                  "au": "AUD", "a": "AUD", "aud": "AUD", "hk": "HKD", "hkd": "HKD", "nz": "NZD", "nzd": "NZD",
                  "s": "SGD", "sgd": "SGD", "mex": "MXN", "mx": "MXN", "mxn": "MXN"}
CODES = frozenset("USD EUR GBP JPY CNY RMB CHF CAD AUD NZD HKD SGD INR KRW RUB BTC MXN SEK NOK DKK BRL ZAR".split())
_LOWER_CODES = frozenset("usd eur gbp jpy cny rmb chf cad aud nzd hkd inr btc".split())
_WORDS_CODES = {"dollar": "USD", "us dollar": "USD", "u.s. dollar": "USD", "american dollar": "USD",
                "canadian dollar": "CAD", "australian dollar": "AUD", "hong kong dollar": "HKD",
                "new zealand dollar": "NZD", "singapore dollar": "SGD", "euro": "EUR", "pound": "GBP",
                "pound sterling": "GBP", "british pound": "GBP", "yen": "JPY", "japanese yen": "JPY", "yuan": "CNY",
                "chinese yuan": "CNY", "renminbi": "CNY", "swiss franc": "CHF", "franc": "francs", "cent": "cents",
                "pence": "pence", "penny": "pence", "pennie": "pence", "rupee": "INR", "indian rupee": "INR",
                "turkish lira": "TRY", "lira": "lira", "peseta": "ESP", "dutch guilder": "NLG", "guilder": "NLG",
                "finnish markka": "FIM", "markka": "FIM", "mexican peso": "MXN", "peso": "pesos", "bitcoin": "BTC",
                "satoshi": "satoshis", "ruble": "RUB", "rouble": "RUB"}
_CODE = "|".join(sorted(CODES, key=len, reverse=True))
_BACKWARDS = sorted(("us", "u.s.", "u.s", "ca", "au", "hk", "nz", "mex", "mx", "usd", "cad", "aud", "hkd", "nzd", "sgd",
                     "mxn"), key=len, reverse=True)
CURRENCY_BEFORE_REVERSED = (
    rf"\$(?:\s?(?:{'|'.join(re.escape(p[::-1]) for p in _BACKWARDS)})(?!\w)|(?-i:[CAS])(?!\w)|\sc(?!\w))?"
    rf"|[€£¥₹₩₽₿₡₾₭₺]|ூர|(?-i:(?:{'|'.join(c[::-1] for c in sorted(CODES))})M?)(?!\w)"
    rf"|(?:{'|'.join(c[::-1] for c in sorted(_LOWER_CODES))})(?!\w)|s?rallod(?!\w)|s?orue(?!\w)")
"""A currency written before a number, written backwards (quantities.py reads the words before a
number from right to left): `$`, `US$`, `c $`, `€`, `USD`, `usd`, `MUSD` (millions), `dollar`."""


def currency_before(written: str) -> tuple[str, float]:
    """The ISO code of a currency written before a number (as CURRENCY_BEFORE_REVERSED reads it)
    and the multiplier its spelling carries: `US$` USD, `C$` and `c $` CAD, `MUSD` (USD, 1e6)."""
    written = written.strip()
    if written.endswith("$"):
        return _DOLLAR_PREFIX.get(re.sub(r"\s+", "", written[:-1]).lower(), "USD"), 1.0
    if written in SYMBOLS:
        return SYMBOLS[written], 1.0
    if written[:1] == "M" and written[1:] in CODES:
        return _code(written[1:]), 1e6
    if written.upper() in CODES:
        return _code(written), 1.0
    return ("EUR" if written.lower().startswith("euro") else "USD"), 1.0


_CURRENCY_WORD = (r"(?:(?:us|u\.s\.|american|canadian|australian|hong kong|new zealand|singapore|british|japanese|"
                  r"chinese|swiss|indian|turkish|dutch|finnish|mexican) )?(?:dollars?|euros?|pounds?(?: sterling)?|yen|"
                  r"yuan|renminbi|francs?|cents?|pence|penny|pennies|rupees?|lira|pesetas?|guilders?|markkas?|pesos?|"
                  r"bitcoins?|satoshis?|rubles?|roubles?)")
CURRENCY_SUFFIX = re.compile(
    rf"(?P<gap>[\s-]*)(?:(?P<word>{_CURRENCY_WORD})(?![\w])|(?P<sym>[$€£¥元₹₩₽₿₡₾₭₺]|ரூ)(?!\d)"
    rf"|(?-i:(?P<mcode>M(?:{_CODE}))(?![\w])|(?P<code>{_CODE})(?![\w]))"
    rf"|(?P<lcode>{'|'.join(sorted(_LOWER_CODES))})(?![\w]))", re.I)
"""A currency written after a number: `dollars`, `million finnish markka`, `€`, `USD`, `MUSD`."""


class Reading(NamedTuple):
    """What a number measures, read from the words after it."""
    unit: str
    kind: str
    end: int
    multiplier: float = 1.0  # `MUSD` is a million dollars


_PERCENT = re.compile(r"\s*(?:%|percent(?:s|age)?\b|per\s?cent\b|percentage points?\b|pp\b)", re.I)
_MULTIPLIER = re.compile(r"\s?(?:x|×)(?![\w])|[\s-]?fold\b", re.I)
_PRICE_PER = re.compile(
    r"\s*(?:/|\bper\s+)\s*(?:(?P<million>1\s?M|M|1 million|million|1,000,000)\s*(?P<tokens>(?:input |output )?tokens?)?"
    r"|(?P<thousand>1K|1k|K|k|1,000|thousand)\s*(?P<tokens2>tokens?)?"
    r"|(?P<period>hour|hr|h|month|mo|year|yr|day|week|user|seat|GPU)\b)", re.I)
_SCALE_AFTER = re.compile(r"\s+(thousand|million|billion|trillion)\b", re.I)
_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_PERIODS = {"hr": "hour", "h": "hour", "mo": "month", "yr": "year"}


def read_unit(text: str, pos: int, currency: str | None = None, scaled: bool = False,
              inch: bool = False) -> Reading | None:
    """The unit of the number that ends at `pos`: percent, a currency (`currency` is the code a
    sign before the number gave; else words, signs or codes after it, with a price per unit:
    `$3.48/M tokens`), a physical, data or time unit, or a multiplier (`50x`). `pounds` is money
    only with a scale or `sterling` (`361 million pounds`), else a weight (`25 pounds`)."""
    if currency:
        after = CURRENCY_SUFFIX.match(text, pos)  # '$ 10 dollars': the word repeats the sign
        end = after.end() if after and after.group("word") and currency_code(after)[0] == currency else pos
        return _price(text, currency, end, 1.0)
    if p := _PERCENT.match(text, pos):
        return Reading("%", "percent", p.end())
    if (c := CURRENCY_SUFFIX.match(text, pos)) and (scaled or not re.match(r"pounds?$", c.group("word") or "", re.I)):
        code, multiplier = currency_code(c)
        return _price(text, code, c.end(), multiplier)
    if found := unit_at(text, pos, inch):
        unit, end = found
        return Reading(unit.display, unit.kind, end)
    if x := _MULTIPLIER.match(text, pos):
        return Reading("x", "multiplier", x.end())
    return None


def _price(text: str, code: str, end: int, multiplier: float) -> Reading:
    """A currency with what it is a price of, when stated: `USD/M tokens`, `USD/hour`; a scale
    word after a code multiplies (`75 USD million`)."""
    if scale := _SCALE_AFTER.match(text, end):
        multiplier, end = multiplier * _SCALE_WORDS[scale.group(1).lower()], scale.end()
    per = _PRICE_PER.match(text, end)
    if not per:
        return Reading(code, "currency", end, multiplier)
    if per.group("million"):
        tokens = per.group("tokens") or per.group("million").strip().upper() in ("M", "1M", "1 M")
        code += "/M tokens" if tokens else "/M"
    elif per.group("thousand"):
        code += "/K tokens" if per.group("tokens2") else "/K"
    else:
        period = per.group("period").lower()
        code += "/" + _PERIODS.get(period, period)
    return Reading(code, "currency", per.end(), multiplier)


def currency_code(m: re.Match) -> tuple[str, float]:
    """The ISO code (or `cents`, `pence`...) of a CURRENCY_SUFFIX match, and the multiplier its
    spelling carries (`MUSD` is a million dollars)."""
    g = m.groupdict()
    if g["mcode"]:
        return _code(g["mcode"][1:]), 1e6
    if g["code"] or g["lcode"]:
        return _code(g["code"] or g["lcode"]), 1.0
    if g["sym"]:
        return SYMBOLS[g["sym"]], 1.0
    words = re.sub(r"\s+", " ", g["word"].lower()).replace(" sterling", "").split(" ")
    last = words[-1]
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith("s") and last != "pence":
        last = last[:-1]
    return _WORDS_CODES.get(" ".join([*words[:-1], last])) or _WORDS_CODES.get(last, last), 1.0


def _code(code: str) -> str:
    code = code.upper()
    return "CNY" if code == "RMB" else code


# -- counted nouns -------------------------------------------------------------------------------
SIZE_NOUNS = frozenset("parameters params tokens flops flop gpus tflops pflops".split())
"""Nouns whose count is a size (of a model, a corpus, a cluster) rather than a population."""
_NOUN = re.compile(r"[\s-]+(?P<w1>[A-Za-z][\w-]*)(?:\s+(?P<w2>[A-Za-z][\w-]*))?(?:\s+(?P<w3>[A-Za-z][\w-]*))?")
_STOP = frozenset("""a an the and or of in on at to for by from with as is are was were be been it its this that
these those than then so but not no per each every which who whom whose what when where while if into onto over
under about after before between more less most least up down out off new would could should may might must will
can shall has had have do does did""".split())


def counted_noun(text: str, pos: int) -> tuple[str | None, int]:
    """The noun a count counts, after `pos`: the first plural or acronym within three words
    (`9 million Hugging Face downloads`, `700M MAU`, `6 of 8 major families`), or the next word
    when it is a size noun (`1T-parameter`). Returns the noun as written and its end, or (None, pos)."""
    m = _NOUN.match(text, pos)
    if not m:
        return None, pos
    words = [(m.group(g), m.end(g)) for g in ("w1", "w2", "w3") if m.group(g)]
    for word, end in words:
        lower = word.lower()
        if lower in _STOP:
            break
        if lower in SIZE_NOUNS or lower.rstrip("s") in ("parameter", "token") or (word.isupper() and len(word) >= 2) \
                or (len(word) > 3 and lower.endswith("s") and not lower.endswith(("ss", "ly", "'s"))):
            return word, end
    return None, pos


# -- comparable measures ---------------------------------------------------------------------------
_NAMED = {"[area]": "meter ** 2", "[volume]": "meter ** 3", "[speed]": "meter / second", "[energy]": "joule",
          "[power]": "watt", "[mass rate]": "kilogram / second"}
_DIMENSIONLESS = {"ppm": "[concentration]", "ppb": "[concentration]", "°": "[angle]", "rad": "[angle]"}
_ACRONYM = re.compile(r"[A-Z].*[A-Z]")


@lru_cache(maxsize=1)
def registry():
    """pint's unit registry, built once (about half a second), on first use."""
    import pint
    return pint.UnitRegistry()


@lru_cache(maxsize=512)
def _linear(unit: str) -> tuple[str, float, float] | None:
    """(dimension key, a, b) such that a value in `unit` is a * value + b in the dimension's base
    unit; None when pint does not know the unit. Pint's answers are kept on disk (`_answers`)."""
    answers = _answers()
    if unit not in answers:
        answers[unit] = _ask_pint(unit)
        _keep(answers)
    found = answers[unit]
    return (found[0], float(found[1]), float(found[2])) if found else None


def _ask_pint(unit: str) -> list | None:
    """[dimension key, a, b] as `_linear` gives it, from pint's registry."""
    known = UNITS.get(unit)
    expression = known.pint if known else None
    if expression is None and "/" in unit:  # a composed unit: 'Gt/yr', 'GB/s'
        top, _, bottom = unit.partition("/")
        if top in UNITS and bottom in _TIME_PINT:
            expression = f"({UNITS[top].pint}) / {_TIME_PINT[bottom]}"
    if expression is None:
        return None
    ureg = registry()
    if unit in ("°C", "°F", "K"):  # temperatures: on the Celsius scale (32 °F is 0 °C)
        zero = ureg.Quantity(0, expression).to("degC").magnitude
        return ["[temperature]", float(ureg.Quantity(1, expression).to("degC").magnitude - zero), float(zero)]
    quantity = ureg.parse_expression(expression)
    base = quantity.to_base_units()
    named = {ureg.parse_expression(u).dimensionality: name for name, u in _NAMED.items()}
    key = _DIMENSIONLESS.get(unit) or ("[information]" if "bit" in str(base.units) else None) \
        or named.get(quantity.dimensionality, str(quantity.dimensionality))
    return [key, float(base.magnitude), 0.0]


@lru_cache(maxsize=1)
def _answers() -> dict[str, list | None]:
    """What pint said of each unit an earlier build asked about, for this pint version; an answer
    not of `_ask_pint`'s shape is left out (asked again)."""
    try:
        data = json.loads(_answers_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {unit: found for unit, found in data.items() if found is None or (
        isinstance(found, list) and len(found) == 3 and isinstance(found[0], str)
        and all(isinstance(x, (int, float)) for x in found[1:]))} if isinstance(data, dict) else {}


def _answers_file() -> Path:
    from kg.search.embed import model_cache

    return model_cache() / f"units-pint-{_pint_version()}.json"


@lru_cache(maxsize=1)
def _pint_version() -> str:
    """pint's version, read off its dist-info folder beside the package where there is one, without
    importing pint (importlib.metadata looks through every installed distribution: 0.03 s of an
    edit that compares figures)."""
    import importlib.util

    spec = importlib.util.find_spec("pint")
    if spec is not None and spec.origin:
        found = list(Path(spec.origin).parent.parent.glob("pint-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len("pint-"):-len(".dist-info")]
    from importlib.metadata import version

    return version("pint")


def _keep(answers: dict) -> None:
    """Write the answers whole (two builds at once each leave a whole file); a cache that cannot
    be written is only slower."""
    target = _answers_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        save_atomic(target, lambda f: f.write(json.dumps(answers, ensure_ascii=False).encode()))
    except OSError:
        pass


def singular(noun: str) -> str:
    """A counted noun as one key: `families` -> `family`, `downloads` -> `download`, `GPUs` ->
    `GPU`, `MAU` stays; lower case unless an acronym."""
    if _ACRONYM.match(noun):
        return noun[:-1] if noun.endswith("s") and noun[:-1].isupper() else noun
    word = noun.lower()
    if word in ("params", "param"):
        return "parameter"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(?:ch|sh|ss|x|z)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def measure(q: Quantity) -> tuple[str, float | None, float | None] | None:
    """A quantity in a form that compares across units: (key, low, high), where two quantities
    are comparable exactly when their keys are equal, and low/high are in the key's one unit (an
    open bound stays None). Returns None for what compares with nothing: dates, bare numbers
    (kind `other`), and units pint does not know.

    - physical, data and time units: key is the pint dimension (`[length]`, `[mass]`, `[time]`,
      `[area]`, `[volume]`, `[speed]`, `[energy]`, `[power]`, `[information]`, `[angle]`,
      `[concentration]`), values in the SI base unit (m, kg, s, m², m³, m/s, J, W, bit, radian; ppm
      as a plain ratio), so `40 minutes` is ('[time]', 2400, 2400) and `3.2 Gt` equals `3,200 Mt`;
      temperatures are on the Celsius scale ('[temperature]', °C), so 212 °F is 100.
    - percent: ('%', ...) as written; fractions (`two thirds`, `1/2`) as percent too (66.7, 50);
      multipliers: ('x', ...).
    - currencies: the currency as key (`USD`, `EUR`, `USD/M tokens`, `USD/hour`), never converted
      into another currency; a price per thousand tokens becomes a price per million (x1000);
      pence become GBP.
    - counts and sizes of a counted noun: the noun singular and lower case unless an acronym
      (`download`, `family`, `parameter`, `MAU`, `FLOP`); `N of M` returns the share low/total
      under `share of <noun as written>` (`6 of 8 families` is ('share of families', 0.75, 0.75)).
    """
    if q.kind in ("date", "other") or (q.low is None and q.high is None):
        return None
    if q.kind == "percent":
        return "%", q.low, q.high
    if q.kind == "fraction":
        return "%", *_scaled(q, 100.0, 0.0)
    if q.kind == "multiplier":
        return "x", q.low, q.high
    if q.kind == "currency":
        return _money(q)
    if q.total:
        return f"share of {q.unit}".strip(), *_scaled(q, 1 / q.total, 0.0)
    linear = _linear(q.unit) if q.kind in ("measure", "size", "duration") else None
    if linear:
        key, a, b = linear
        return key, *_scaled(q, a, b)
    if q.kind in ("count", "size") and q.unit:
        return singular(q.unit), q.low, q.high
    return None


def _scaled(q: Quantity, a: float, b: float) -> tuple[float | None, float | None]:
    return tuple(None if v is None else a * v + b for v in (q.low, q.high))


def _money(q: Quantity) -> tuple[str, float | None, float | None]:
    code, _, per = q.unit.partition("/")
    factor = 1.0
    if code == "pence":
        code, factor = "GBP", 0.01
    if per.startswith("K"):  # $0.003/K tokens is $3/M tokens
        per, factor = "M" + per[1:], factor * 1000
    key = f"{code}/{per}" if per else code
    return key, *_scaled(q, factor, 0.0)
