"""Small comparisons shared by evidence and tensions: content words, quantities that can be set
side by side, and the stance words (open/closed, free/paid...) a sentence takes about a subject."""

from __future__ import annotations

import re
from functools import lru_cache

from kg.claims.subjects import FUNCTION
from kg.model import Quantity
from kg.search.index import tokens

_STOP = FUNCTION | frozenset("also said says say according per vs via like just more less than".split())


def content_words(text: str) -> frozenset[str]:
    """Words that carry meaning (folded, a plural 's' dropped), for overlap scores."""
    out = set()
    for word in tokens(text):
        if word in _STOP or len(word) < 2 or word.isdigit():
            continue
        out.add(word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word)
    return frozenset(out)


def overlap(claim: frozenset[str], other: frozenset[str]) -> float:
    """Share of the claim's content words that the other text also has."""
    return len(claim & other) / len(claim) if claim else 0.0


def unit_of(q: Quantity) -> tuple[str, str] | None:
    """What a quantity measures, for comparing it with another: (kind, unit); None for quantities
    that say nothing comparable (dates, bare numbers)."""
    if q.kind in ("date", "other") or (q.low is None and q.high is None):
        return None
    unit = q.unit.lower() + (" (share)" if q.total else "")
    if q.kind == "currency":
        unit = "USD" + ("/" + unit.split("/", 1)[1].split()[0] if "/" in unit else "")
    return q.kind, unit


def _bounds(q: Quantity) -> tuple[float, float]:
    low = q.low if q.low is not None else float("-inf")
    high = q.high if q.high is not None else float("inf")
    if q.total and q.kind == "count":  # 6 of 8 against 3 of 4: compare shares
        return low / q.total, high / q.total
    return low, high


def disjoint(a: Quantity, b: Quantity, margin: float = 0.1) -> bool:
    """Whether two comparable quantities cannot both be right: their ranges do not overlap, and
    the gap is more than `margin` of the larger value (3.9% against 4% is rounding, not a conflict)."""
    (al, ah), (bl, bh) = _bounds(a), _bounds(b)
    gap = max(bl - ah, al - bh)
    if gap <= 0:
        return False
    scale = max(abs(x) for x in (al, ah, bl, bh) if x not in (float("inf"), float("-inf")))
    return gap > margin * scale


def agree(a: Quantity, b: Quantity) -> bool:
    """Whether two comparable quantities state the same figure: their ranges share more than an
    end point (5–10x and 10–13x do not agree), or a single value lies in the other's range, or
    two single values are within 2%."""
    if unit_of(a) != unit_of(b):
        return False
    (al, ah), (bl, bh) = _bounds(a), _bounds(b)
    if al == ah and bl == bh:
        return not disjoint(a, b, margin=0.02)
    if al == ah or bl == bh:
        return bl <= al <= bh if al == ah else al <= bl <= ah
    return min(ah, bh) > max(al, bl)


def quantity_pairs(qa: list[Quantity], qb: list[Quantity]) -> tuple[list[tuple[Quantity, Quantity]],
                                                                    list[tuple[Quantity, Quantity]]]:
    """(agreeing pairs, conflicting pairs) of the comparable quantities of two claims. A figure
    that the other claim also states is never in conflict: "$3.48/M against $25–30/M" and
    "$25–30/M against $3.48/M" agree, although $3.48 and $25 differ. Conflicting pairs come
    largest gap first."""
    comparable_a = [a for a in qa if unit_of(a)]
    comparable_b = [b for b in qb if unit_of(b)]
    agreeing = [(a, b) for a in comparable_a for b in comparable_b if agree(a, b)]
    matched_a = {id(a) for a, _ in agreeing}
    matched_b = {id(b) for _, b in agreeing}
    conflicting = [(a, b) for a in comparable_a if id(a) not in matched_a for b in comparable_b
                   if id(b) not in matched_b and unit_of(a) == unit_of(b) and disjoint(a, b)
                   and not _complements(a, b) and not _apart(a, b)]
    conflicting.sort(key=lambda p: -_gap(*p))
    return agreeing, conflicting


def _complements(a: Quantity, b: Quantity) -> bool:
    """Two shares of one whole: 80–90% of workloads and the other 10–20%; 6 of 8 families and
    the other 2 of 8."""
    if not (a.kind == "percent" or a.total) or None in (a.low, a.high, b.low, b.high):
        return False
    whole = 100 if a.kind == "percent" else 1
    (al, ah), (bl, bh) = _bounds(a), _bounds(b)
    return abs(al + bh - whole) <= 0.01 * whole or abs(ah + bl - whole) <= 0.01 * whole


APART = 1000
"""Figures this many times apart measure different things ($0.05 a request and $10B to train)."""


def _apart(a: Quantity, b: Quantity) -> bool:
    values = [abs(x) for x in (*_bounds(a), *_bounds(b)) if x not in (float("inf"), float("-inf")) and x]
    return bool(values) and max(values) > APART * min(values)


def _gap(a: Quantity, b: Quantity) -> float:
    (al, ah), (bl, bh) = _bounds(a), _bounds(b)
    values = [abs(x) for x in (al, ah, bl, bh) if x not in (float("inf"), float("-inf"))]
    return max(bl - ah, al - bh) / (max(values) or 1)


# -- negation and direction ---------------------------------------------------------------------
_NEGATED = re.compile(r"\b(?:not|no|never|cannot|neither|nor|without|fails? to|failed to|lacks?|unable)\b|n't\b", re.I)
_UP = re.compile(r"\b(?:increas\w*|higher|rais\w*|promot\w*|enhanc\w*|improv\w*|up-?regulat\w*|activat\w*|"
                 r"induc\w*|more likely|greater|accelerat\w*)", re.I)
_DOWN = re.compile(r"\b(?:decreas\w*|lower\w*|reduc\w*|inhibit\w*|impair\w*|down-?regulat\w*|suppress\w*|"
                   r"less likely|prevent\w*|attenuat\w*|slow\w*|declin\w*)", re.I)


def contradicts(claim: str, other: str) -> str | None:
    """Why two texts that say nearly the same thing (the caller checks that) point opposite ways:
    one is negated and the other not, or one says up where the other says down. None if neither."""
    neg_a, neg_b = bool(_NEGATED.search(claim)), bool(_NEGATED.search(other))
    if neg_a != neg_b:
        m = _NEGATED.search(claim if neg_a else other)
        return f"one of them says \"{m.group()}\""
    up_a, down_a = bool(_UP.search(claim)), bool(_DOWN.search(claim))
    up_b, down_b = bool(_UP.search(other)), bool(_DOWN.search(other))
    if up_a != down_a and up_b != down_b and up_a != up_b:
        return (f"\"{(_UP if up_a else _DOWN).search(claim).group()}\" against "
                f"\"{(_UP if up_b else _DOWN).search(other).group()}\"")
    return None


# -- stances ---------------------------------------------------------------------------------
POLES: list[tuple[str, str, str, str]] = [
    # (axis, pole, opposite pole, pattern)
    ("openness", "open", "closed",
     r"open[- ]weights?|open[- ]sourced?|openly released|apache[- ]2(?:\.0)?|mit[- ]licen[cs]ed|"
     r"under (?:the |an? )?mit licen[cs]e|released (?:the |its )?weights|\bopen\b"),
    ("openness", "closed", "open",
     r"closed[- ]sourced?|closed[- ]weights?|\bclosed\b|proprietary|kept (?:the |its )?weights|withh[eo]ld|"
     r"api[- ]only|not open"),
    ("price", "free", "paid", r"\bfree\b(?! tier)|at no cost|costs? nothing|zero cost"),
    ("price", "paid", "free", r"not free|\bpaid\b|subscription|pay-per|charges?\b"),
    ("release", "released", "unreleased", r"\breleased\b|\bshipped\b|\blaunched\b|made available"),
    ("release", "unreleased", "released", r"not released|unreleased|never released|cancell?ed|delayed|shelved"),
    ("trend", "narrowing", "widening", r"narrow(?:s|ed|ing)?\b|shrink(?:s|ing)?|closing the gap|converg"),
    ("trend", "widening", "narrowing", r"widen(?:s|ed|ing)?\b|grow(?:s|ing)? (?:wider|larger)|diverg"),
]
_POLES = [(axis, pole, opposite, re.compile(pattern, re.I)) for axis, pole, opposite, pattern in POLES]
_NEGATION = re.compile(r"\b(?:not|no longer|never|without|isn't|aren't|wasn't|won't|doesn't|don't)\s+"
                       r"(?:\w+\s+){0,3}$", re.I)
_PATHS = re.compile(r"\S*/\S*")
_CLASS = re.compile(r"^[\s-]*(?:[\w-]+\s+){0,2}?(?:models?|apis?|labs?|ones|systems|alternatives|providers|"
                    r"tiers?|players|rivals|competitors|camps?|side)\b(?!\s+(?:such as|like|including|e\.g\.))",
                    re.I)
_COPULA = re.compile(r"\b(?:is|are|was|were|be|been|being|remains?|remained|stays?|stayed|as|becomes?|became)\s+"
                     r"(?:an?\s+|the\s+)?(?:\w+\s+)?$", re.I)


@lru_cache(maxsize=65536)
def stances(text: str) -> list[tuple[int, str, str, str]]:
    """(offset, axis, pole, words) of each stance word in the text, a negated one flipped
    ("is not open" reads as closed). Longer phrases win over the words inside them."""
    text = _PATHS.sub(lambda m: " " * len(m.group()), text)  # link paths: sources/closed-source-convergence
    found: list[tuple[int, int, str, str, str]] = []
    for axis, pole, opposite, pattern in _POLES:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 40):m.start()]
            if _CLASS.match(text[m.end():]) and not _COPULA.search(before):
                found.append((m.start(), m.end(), axis, "", m.group()))  # "open models": a class, not a stance
                continue
            negated = None if m.group().lower().startswith("not") else _NEGATION.search(before)
            if negated and "source" in m.group().lower():  # "not open source" (OSI) is not "closed"
                found.append((m.start(), m.end(), axis, "", m.group()))
                continue
            words = (text[max(0, m.start() - 40) + negated.start():m.end()]).strip() if negated else m.group()
            found.append((m.start(), m.end(), axis, opposite if negated else pole, words))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out, last = [], -1
    for start, end, axis, pole, words in found:
        if start >= last:
            if pole:
                out.append((start, axis, pole, words))
            last = end
    return out


_CONTRAST = re.compile(r"\b(?:but|while|whereas|versus|vs\.?|although|unlike|despite|instead of|rather than)\b", re.I)
NEAR = 80
"""A stance word further than this many characters from the subject does not speak of it."""


def stance_near(text: str, where: list[int]) -> dict[str, tuple[str, str]]:
    """The stance a text takes on a subject (mentioned at the offsets `where`, the start of the
    text if empty), per axis: axis -> (pole, words). Only clear stances count: the nearest stance
    word, with no contrast word ("but", "versus") between it and the subject, at least twice as
    near as any word of the opposite pole. "Alibaba closed Qwen3.6-Plus, reversing its open-weight
    tradition" is closed about Alibaba; "open models from OpenAI versus closed ones from
    Anthropic" says nothing clear about either when both are named at the same distance."""
    where = where or [0]
    found = stances(text)
    mixed = set()
    if _CONTRAST.search(text):  # "sells closed models, but it also returned to open weights": no stance
        poles: dict[str, set[str]] = {}
        for _, axis, pole, _ in found:
            poles.setdefault(axis, set()).add(pole)
        mixed = {axis for axis, both in poles.items() if len(both) > 1}
    best: dict[str, dict[str, tuple[int, str]]] = {}
    for offset, axis, pole, words in found:
        if axis in mixed:
            continue
        for w in where:
            lo, hi = sorted((offset, w))
            if _CONTRAST.search(text, lo, hi):
                continue
            known = best.setdefault(axis, {}).get(pole)
            if known is None or abs(offset - w) < known[0]:
                best[axis][pole] = (abs(offset - w), words)
    out: dict[str, tuple[str, str]] = {}
    for axis, poles_found in best.items():
        ranked = sorted(poles_found.items(), key=lambda kv: kv[1][0])
        pole, (distance, words) = ranked[0]
        other = ranked[1][1][0] if len(ranked) > 1 else None
        if distance <= NEAR and (other is None or other >= 2 * distance + 10):
            out[axis] = (pole, words)
    return out


def context(text: str, start: int, end: int, words: int = 4) -> str:
    """A quantity with a few words either side, as a reader needs it to see what it measures."""
    left = re.search(r"(?:\S+\s+){0,%d}$" % words, text[:start])
    right = re.match(r"(?:\s*\S+){0,%d}" % words, text[end:])
    return (left.group() + text[start:end] + right.group()).strip(" ,;:()")
