"""Small comparisons shared by evidence and tensions: content words, quantities that can be set
side by side, and the stance words (open/closed, free/paid...) a sentence takes about a subject."""

from __future__ import annotations

import re
from functools import lru_cache

from kg.claims.subjects import FUNCTION
from kg.claims.units import measure
from kg.model import Quantity
from kg.search.index import tokens

_STOP = FUNCTION | frozenset("also said says say according per vs via like just more less than".split())


def singular(word: str) -> str:
    """A plural 's' dropped ("workloads" -> "workload"), but not the end of "focus", "basis" or "glass"."""
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word


def content_words(text: str) -> frozenset[str]:
    """Words that carry meaning (folded, a plural 's' dropped), for overlap scores."""
    out = set()
    for word in tokens(text):
        if word in _STOP or len(word) < 2 or word.isdigit():
            continue
        out.add(singular(word))
    return frozenset(out)


_WORDS = re.compile(r"[^\W_]+")


def plain_words(text: str) -> frozenset[str]:
    """The content words `text` writes in lower case, folded as `content_words` folds them: the
    words of what it says, not of whom. A capital or a digit ("DeepSeek", "GPU", "V4") marks a
    name or part of one; so does a sentence's first capital, which the caller may find in lower
    case in another text."""
    return content_words(" ".join(w for w in _WORDS.findall(text) if w.isalpha() and w.islower()))


def overlap(claim: frozenset[str], other: frozenset[str]) -> float:
    """Share of the claim's content words that the other text also has."""
    return len(claim & other) / len(claim) if claim else 0.0


@lru_cache(maxsize=65536)
def _measure(kind: str, unit: str, low: float | None, high: float | None, total: float | None):
    return measure(Quantity(text="", kind=kind, unit=unit, low=low, high=high, total=total))


def _measured(q: Quantity):
    """kg.claims.units.measure, once per distinct figure: comparisons ask for it at every pair."""
    return _measure(q.kind, q.unit, q.low, q.high, q.total)


def unit_of(q: Quantity) -> str | None:
    """What a quantity measures, for comparing it with another (kg.claims.units.measure: `[time]`,
    `%`, `USD/M tokens`, `share of families`...); None for quantities that say nothing comparable
    (dates, bare numbers). 40 minutes and 1 hour have the same key."""
    found = _measured(q)
    return found[0] if found else None


def _bounds(q: Quantity) -> tuple[float, float]:
    """A quantity's bounds in its key's one unit (seconds, metres, a share of 1...), open sides infinite."""
    found = _measured(q)
    low, high = (found[1], found[2]) if found else (q.low, q.high)
    return (low if low is not None else float("-inf")), (high if high is not None else float("inf"))


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


RESTATED = 0.5
"""Two ranges restate one figure when they share at least this share of their span together."""


def restates(a: Quantity, b: Quantity) -> bool:
    """Whether `b` states the figure `a` states, as evidence needs: they `agree`, and two closed
    ranges cover mostly the same span. 10–50x and 10–13x agree (no tension), but a sentence
    giving 10–13x does not back a claim of 10–50x."""
    if not agree(a, b):
        return False
    (al, ah), (bl, bh) = _bounds(a), _bounds(b)
    if al == ah or bl == bh or float("inf") in (ah, bh) or float("-inf") in (al, bl):
        return True
    return (min(ah, bh) - max(al, bl)) >= RESTATED * (max(ah, bh) - min(al, bl))


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
    key = unit_of(a)
    if not (key == "%" or a.total) or None in (a.low, a.high, b.low, b.high):
        return False
    whole = 100 if key == "%" else 1
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
_NEGATED = re.compile(r"\b(?:not|no|never|cannot|neither|nor|without|fails? to|failed to|lack(?:s|ing)?|unable)\b|n't\b",
                      re.I)
_UP = re.compile(r"\b(?:increas\w*|higher|rais\w*|promot\w*|enhanc\w*|improv\w*|up-?regulat\w*|activat\w*|"
                 r"induc\w*|more likely|greater|accelerat\w*|positively (?:associat|correlat|relat)\w*)", re.I)
_DOWN = re.compile(r"\b(?:decreas\w*|lower\w*|reduc\w*|inhibit\w*|impair\w*|down-?regulat\w*|suppress\w*|"
                   r"less likely|prevent\w*|attenuat\w*|slow\w*|declin\w*|"
                   r"(?:negatively|inversely) (?:associat|correlat|relat)\w*)", re.I)


NEGATED_REACH = 4
"""Words after a negation that it may govern ("does not count Llama as open source")."""
_STEM = 5


def _negates_shared(negated: str, other: str) -> re.Match | None:
    """The negation of `negated` that governs a word `other` says too (within NEGATED_REACH words
    after it, not part of a name, compared on their first five letters: "not increase" and
    "increased"); None when every negation is about something `other` does not say. "Commercial
    use above 700M MAU needs a separate licence, so the OSI does not count Llama as open source"
    negates counting, which "The Llama licence limits commercial use above 700M MAU" does not
    mention: the two agree."""
    said = {w[:_STEM] for w in content_words(other)}
    for m in _NEGATED.finditer(negated):
        reach = _WORDS.findall(negated[m.end():])[:NEGATED_REACH]
        if any(w[:_STEM] in said for w in plain_words(" ".join(reach))):
            return m
    return None


_CONTRASTIVE = re.compile(r",\s*not\s+[^,.;]*|\bnot only\b|\bnot just\b", re.I)
"""A contrast inside a statement ("the pipeline, not the weights", "not only X") negates nothing."""


def contradicts(claim: str, other: str) -> str | None:
    """Why two texts that say nearly the same thing (the caller checks that) point opposite ways:
    one is negated and the other not, or one says up where the other says down. None if neither."""
    claim, other = _CONTRASTIVE.sub(" ", claim), _CONTRASTIVE.sub(" ", other)
    neg_a, neg_b = bool(_NEGATED.search(claim)), bool(_NEGATED.search(other))
    if neg_a != neg_b:
        m = _negates_shared(claim, other) if neg_a else _negates_shared(other, claim)
        if m:
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
    ("licence", "unrestricted", "restricted",
     r"(?:nearly |almost |largely )?unrestricted|without (?:usage )?restrictions"
     r"|no usage (?:limits|restrictions|threshold)"),
    ("licence", "restricted", "unrestricted",
     r"usage restrictions?|use restrictions?|restricts? commercial use|commercial use restrictions?"
     r"|limits commercial use"),
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
_COPULA = re.compile(r"\b(?:is|are|was|were|be|been|being|remains?|remained|stays?|stayed|becomes?|became)\s+"
                     r"(?:an?\s+|the\s+)?(?:\w+\s+)?$", re.I)


_COMPOUND = re.compile(r"-(?!weights?\b|sourced?\b)\w")
_DEGREE = re.compile(r"\b(?:more|less|most|least|fairly|somewhat|partly|partially|semi)[\s-]+$", re.I)
_MEMBERS = re.compile(r"\s*(?:\(|:\s+|,?\s+(?:such as|like|including|e\.g\.,?|from|exist from)\s+)", re.I)
_NOT_A_NAME = re.compile(r"(?<![\w.-])(?!(?:and|or)\b)[a-z][a-z]+\b")
_LIST_END = re.compile(r"[).;:]|\s(?:versus|vs\.?|while|but|whereas|which|that)\s", re.I)


@lru_cache(maxsize=65536)
def stances(text: str) -> list[tuple[int, int, str, str, str, tuple[int, int] | None]]:
    """(start, end, axis, pole, words, members) of each stance word in the text. A negated one is
    flipped ("is not open" reads as closed). `members` is the span of the names a class stance
    applies to ("closed frontier labs (OpenAI, Anthropic)", "open models such as Qwen"), None for
    a stance said of something ("Qwen is Apache 2.0"). Longer phrases win over the words inside
    them; comparatives ("more open") and compounds ("open-source-friendly") are no stance."""
    text = _PATHS.sub(lambda m: " " * len(m.group()), text)  # link paths: sources/closed-source-convergence
    found: list[tuple[int, int, str, str, str, tuple[int, int] | None]] = []
    for axis, pole, opposite, pattern in _POLES:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 40):m.start()]
            if _COMPOUND.match(text, m.end()) or _DEGREE.search(before):
                found.append((m.start(), m.end(), axis, "", m.group(), None))
                continue
            members = None
            cls = _CLASS.match(text[m.end():])
            if cls and not _COPULA.search(before):
                after = m.end() + cls.end()
                lead = _MEMBERS.match(text, after)
                if lead:
                    stop = _LIST_END.search(text, lead.end())
                    end_ = stop.start() if stop else len(text)
                    word = _NOT_A_NAME.search(text, lead.end(), end_)  # a list of names ends at a plain word
                    members = (lead.end(), word.start() if word else end_)
                else:
                    found.append((m.start(), m.end(), axis, "", m.group(), None))  # "open models": a class
                    continue
            negated = None if m.group().lower().startswith("not") else _NEGATION.search(before)
            if negated and "source" in m.group().lower():  # "not open source" (OSI) is not "closed"
                found.append((m.start(), m.end(), axis, "", m.group(), None))
                continue
            words = (text[max(0, m.start() - 40) + negated.start():m.end()]).strip() if negated else m.group()
            found.append((m.start(), m.end(), axis, opposite if negated else pole, words, members))
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out, last = [], -1
    for item in found:
        if item[0] >= last:
            if item[3]:
                out.append(item)
            last = item[1]
    return out


_CLAUSE = re.compile(r"[;—–]|\s-\s|\b(?:regarding|concerning|about|towards?|because|which|that|who|whose|when|if"
                     r"|unless|so|and then|although|while|whereas|but|versus|vs\.?|unlike|despite|rather than"
                     r"|instead of)\b", re.I)
_VERB_STANCE = re.compile(r"(?:(?:clos|open|releas|shipp|launch)ed|withh[eo]ld|kept|(?:open|closed)-sourced)"
                          r"(?: (?:the |its |their )?weights)?$", re.I)
_SAID_OF = re.compile(r"^(?:['’]s?\s+(?:[\w-]+\s+)?)?\s*(?:\(|:|,?\s*$)|\b(?:is|are|was|were|remains?|remained|stays?|"
                      r"stayed|be|been|becomes?|became|uses?|used|ships?|shipped|under|licen[cs]ed|permitted|has|have)\b",
                      re.I)
"""How a stance is said of a subject before it: a copula or a licence ("Qwen is Apache 2.0", "ships
under MIT", "Llama's usage restrictions"), a parenthesis or a table cell ("Claude Opus 4.6:
proprietary"). An action ("Alibaba closed its weights") is said of its object, not of the actor."""
_MODAL = re.compile(r"\b(?:should|must|could|would|might|may|can|cannot|if|unless|whether|expects?|plans?|"
                    r"wants?|hopes?|argues?|recommends?)\b", re.I)
_LICENCE_THAT = re.compile(r"\b(licen[cs]e|terms)\s+(?:that|which)\b", re.I)
_OBJECT_GAP = re.compile(r"\s*(?:(?:its|the|their|his|her|our|of)\s+)*$", re.I)
_MODIFIER = re.compile(r"\b(?:from|by|of|with|at|for|to|than)\s+$", re.I)
_ACTS_ON = re.compile(r"\s+(?:its|their|the|his|her|our|a|an|of|(?-i:[A-Z]))", re.I)
_POSSESSIVE = re.compile(r"['’]s?\b")
_OWN_TERMS = re.compile(r"['’]s?\s+(?:[\w-]+\s+){0,1}(?:licen[cs]es?|usage|use|terms|weights)\b", re.I)
"""A possessive passes a stance to what is possessed ("Alibaba's Qwen3.6-Plus (closed)", "Google's
open-source playbook"), except the subject's own terms of use ("Llama's usage restrictions")."""
_LIST_GLUE = re.compile(r"^[\s,]*(?:(?:and|or|&)\s+)?$")


def _name_length(text: str, w: int, others) -> int:
    """Length of the longest name that starts at w ("Crate & Co", not "Crate"; one word when the
    name is not known)."""
    known = [end - start for start, end in others if start == w]
    if known:
        return max(known)
    m = re.match(r"[\w.+-]+", text[w:])
    return m.end() if m else 0


def _other_between(text: str, w: int, start: int, others) -> bool:
    """Whether another name stands between a subject (at w) and a stance word (at start), other than
    in a list of names that the stance is said of together."""
    last = w + _name_length(text, w, others)
    inside = sorted((s, e) for s, e in others if last <= s and e <= start)  # (not a name within the subject's)
    if not inside:
        return False
    for s, e in inside:
        if not _LIST_GLUE.match(text[last:s]):
            return True
        last = e
    return False


NEAR = 80
"""A stance word further than this many characters from the subject does not speak of it."""


_HEDGED = re.compile(r"(?:\b(?:unclear|doubtful|uncertain|unknown|unlikely|debatable|questionable|"
                     r"not (?:yet )?(?:clear|certain|known))\s+(?:that|whether|if)\b|\bwhether\b)[^.;:!?]*$", re.I)
"""A subject inside a doubt ("It is unclear that Qwen narrows the gap", "whether Gemma is open"):
no stance is taken on it."""


def stance_near(text: str, where: list[int], others: list[tuple[int, int]] = (),
                quoted: list[tuple[int, int]] = ()) -> dict[str, tuple[str, str]]:
    """The stance a text takes on a subject (mentioned at the offsets `where`, the start of the
    text if empty), per axis: axis -> (pole, words). Only stances said of the subject, and not
    inside a doubt (_HEDGED), count:
    - the subject is a member of a class named with a stance ("closed frontier labs (OpenAI,
      Anthropic)", "open-weight models exist from OpenAI, NVIDIA and Meta");
    - or the stance follows the subject within one clause ("Qwen, from Alibaba, is Apache 2.0",
      "Mythos 5 (10T parameters, closed)"), with no "because", "but", "which"... between;
    - or a verb stance is done to it ("Alibaba closed-sourced Qwen3.6-Plus").
    Of two opposite stances, the nearer counts when it is at least twice as near. A possessive
    ("Alibaba's Qwen3.6-Plus (closed)") passes the stance to what is possessed (_OWN_TERMS), and another name
    between the subject and the stance takes it ("Google released Gemma 4 as Apache 2.0"), unless
    the names are a list ("Anthropic and Google remain closed"). `others`: (start, end) of every
    name in the text."""
    where = [w for w in where or [0] if not _HEDGED.search(text, 0, w)]
    poles: dict[str, dict[str, tuple[int, str]]] = {}
    for start, end, axis, pole, words, members in stances(text):
        if any(a <= start < b for a, b in quoted):
            continue  # a stance word inside a citation or a link's title ("(Closed-source convergence)")
        for w in where:
            if members is not None:
                distance = 0 if members[0] <= w < members[1] else None
            elif w <= start:
                own = w + _name_length(text, w, others)
                if _MODIFIER.search(text[:w]) or (_VERB_STANCE.search(text[start:end]) and _ACTS_ON.match(text, end)):
                    continue  # "Qwen, from Alibaba, is open" is said of Qwen; "Alibaba closed its weights" is an act
                if (_POSSESSIVE.match(text, own) and not _OWN_TERMS.match(text, own)) or (
                        _VERB_STANCE.search(text[start:end]) and any(s_ >= end and _OBJECT_GAP.match(text[end:s_])
                                                                     for s_, _ in others)):
                    continue  # "Alibaba's Qwen (closed)", "Alibaba closed-sourced Qwen": said of Qwen
                gap = _LICENCE_THAT.sub(" ", text[w + _name_length(text, w, others):start])
                distance = start - w if start - w <= NEAR and not _CLAUSE.search(gap) and _SAID_OF.search(gap) \
                    and not _MODAL.search(gap) and not _other_between(text, w, start, others) else None
            else:
                gap = text[end:w]
                distance = w - end if (_OBJECT_GAP.match(gap) and _VERB_STANCE.search(text[start:end])) else None
            if distance is None:
                continue
            known = poles.setdefault(axis, {}).get(pole)
            if known is None or distance < known[0]:
                poles[axis][pole] = (distance, words)
    out: dict[str, tuple[str, str]] = {}
    for axis, found in poles.items():
        ranked = sorted(found.items(), key=lambda kv: kv[1][0])
        pole, (distance, words) = ranked[0]
        if len(ranked) == 1 or ranked[1][1][0] >= 2 * distance + 10:
            out[axis] = (pole, words)
    return out


_OBJECT_END = re.compile(r"[,;:.()!?]|\s(?:while|because|as|but|which|that|and|or|since|so|when|whereas|with|"
                         r"according|of|by|within|in|on|for|during|under|over|at|to|from|into|through|across|"
                         r"among|between|without|only|per|after|before|until|despite|unlike|via|if)\b", re.I)
_NO_OBJECT = re.compile(r"\s*(?:$|by|to|from|in|on|over|since|at|for|into|across|again|further|fast|quickly|rapidly|"
                        r"slowly|sharply|steadily|slightly|significantly)\b", re.I)


def trend_object(text: str, words: str, after: int = 0) -> frozenset[str]:
    """What a trend verb (its first use from `after`, where the subject is named) is done to, by the
    head of its noun phrase ("Crate & Co narrows the legacy of the basket": legacy); empty where it
    is done to nothing ("the gap is narrowing", "narrowed by 5 points")."""
    at = text.lower().find(words.lower(), after)
    if at < 0:
        return frozenset()
    rest = text[at + len(words):]
    if _NO_OBJECT.match(rest):
        return frozenset()
    end = _OBJECT_END.search(rest)
    phrase = [singular(w) for w in re.findall(r"\w+", rest[:end.start() if end else len(rest)].lower())
              if w not in _STOP and len(w) > 1 and not w.isdigit()]
    return frozenset(phrase[-1:])


def context(text: str, start: int, end: int, words: int = 4) -> str:
    """A quantity with a few words either side, as a reader needs it to see what it measures."""
    left = re.search(r"(?:\S+\s+){0,%d}$" % words, text[:start])
    right = re.match(r"(?:\s*\S+){0,%d}" % words, text[end:])
    return (left.group() + text[start:end] + right.group()).strip(" ,;:()")


# -- what a figure measures ----------------------------------------------------------------------
_SAME = {w: group for group, words in {
    "price": "price prices pricing priced cost costs costing cheaper cheap expensive pay paid charge charges fee",
    "workload": "workload workloads task tasks request requests job jobs",
    "gap": "gap lead leads behind trail trails ahead difference margin degradation loss",
    "valuation": "valuation valued worth",
    "parameter": "parameter parameters params",
    "download": "download downloads downloaded",
    "user": "user users mau",
    "time": "time duration sleep",
}.items() for w in words.split()}
MEASURES = frozenset(_SAME.values())
"""The measured things kg knows by their synonyms (price, workload, gap, valuation...)."""
_TIER = (frozenset("commodity cheap basic routine low-end mid-tier mid simple volume".split()),
         frozenset("frontier premium hard hardest high-end complex high-stakes critical".split()))
_QUALIFIERS = [
    _TIER,
    (frozenset("open open-weight open-source open-weights".split()),
     frozenset("closed closed-weight closed-source proprietary".split())),
    (frozenset("input prompt".split()), frozenset("output completion".split())),
    (frozenset("training train trained".split()), frozenset("inference serving served run".split())),
    (frozenset("men male".split()), frozenset("women female".split())),
    (frozenset("increase increased rise rose higher more gain".split()),
     frozenset("decrease decreased fall fell lower less drop reduced reduction cut cuts".split())),
]
_QUALIFIER_WORDS = frozenset(w for pair in _QUALIFIERS for side in pair for w in side)
_GENERIC = frozenset("""model models ai llm llms one ones about roughly only some nearly almost around per the
result results conclusion conclusions method methods study studies group groups sample samples cohort total overall
mean median range ci associated found reported using included including among respectively compared
estimate estimates estimated count counts counted figure figures number numbers cf see eg ie etc""".split())
"""Words too common beside a figure to say what it measures ("one estimate puts it at 40%" says how
the figure was had, not what it is of)."""
_STOP_AFTER = re.compile(r"[,.;:!?)\]]|\s(?:and|while|but|whereas|than|against|versus|vs\.?)\s")
_STOP_BEFORE = re.compile(r"[.,;:!?\[]|\s(?:while|but|whereas|against|versus|vs\.?)\s")
_VERBS = frozenset("""make makes made making put puts give gives gave take takes took get gets go goes went run runs
sit sits use uses used reach reaches come comes keep keeps kept say says said call calls called show shows shown
released release account accounts expect expects see sees seen""".split())


def masked(text: str, spans: list[tuple[int, int]], fill: str = "_") -> str:
    """The text with these spans blanked out, offsets kept: what the writer typed, without what kg
    put in (citations, link titles)."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = fill * (end - start)
    return "".join(chars)


_WORD = re.compile(r"[\w'’-]+")
MARGIN = 16
"""Longer than any clause stop, so a stop found this far inside a slice of the text is the text's own."""


def window(text: str, q: Quantity, words: int = 5, quoted: list[tuple[int, int]] = ()) -> tuple[str, ...]:
    """The words around a figure within its clause, lower case; text kg put in (`quoted`:
    citations, link titles) left out. Read from a slice around the figure, widened until it holds
    the clause stops or enough words on both sides: masking and scanning the whole claim for each of
    its figures took 226 s on a 100 KB claim of 25,000 figures (bench/bench_hostile.py). Kept for
    the figures last asked for (`_window`): a claim is in some 17 pairs, each asking again."""
    return _window(text, q.start, q.end, words, tuple(map(tuple, quoted)))


@lru_cache(maxsize=1 << 16)
def _window(text: str, start: int, end: int, words: int, quoted: tuple[tuple[int, int], ...]) -> tuple[str, ...]:
    reach = 256
    while True:
        lo, hi = max(0, start - reach), min(len(text), end + reach)
        part = masked(text[lo:hi], [(max(a, lo) - lo, min(b, hi) - lo) for a, b in quoted if a < hi and b > lo], " ")
        left, right = part[:start - lo], part[end - lo:]
        cut = max((m.end() for m in _STOP_BEFORE.finditer(left)), default=0)
        stop = _STOP_AFTER.search(right)
        if (lo == 0 or cut > MARGIN or len(_WORD.findall(left[MARGIN:])) > words) and \
                (hi == len(text) or (stop and stop.end() < len(right) - MARGIN)
                 or len(_WORD.findall(right[:len(right) - MARGIN])) > words):
            break
        reach *= 4
    near = _WORD.findall(left[cut:])[-words:] + _WORD.findall(right[:stop.start() if stop else len(right)])[:words]
    return tuple(word.lower().strip("'’").removesuffix("'s") for word in near)


def measured(text: str, q: Quantity, words: int = 5, quoted: list[tuple[int, int]] = ()) -> \
        tuple[frozenset[str], frozenset[str]]:
    """What a figure measures, read from the words around it within its clause (kg.claims.compare
    .window): (words, with synonyms folded: "cost"/"price" -> price, "tasks"/"workloads" ->
    workload; qualifiers such as open/closed, commodity/frontier, input/output). Kept as `window`
    is: a fresh analysis of the 10k vault spent 21 s of its tension search in `window`."""
    return _measured_words(text, q.start, q.end, words, tuple(map(tuple, quoted)))


@lru_cache(maxsize=1 << 16)
def _measured_words(text: str, start: int, end: int, words: int,
                    quoted: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], frozenset[str]]:
    folded, qualifiers = set(), set()
    for w in _window(text, start, end, words, quoted):
        if w in _STOP or w in _GENERIC or w in _VERBS or w.isdigit() or len(w) < 2:
            continue
        if w in _QUALIFIER_WORDS:
            qualifiers.add(w)
        single = singular(w)
        folded.add(_SAME.get(w, _SAME.get(single, single)))
    return frozenset(folded), frozenset(qualifiers)


PLAIN_MEASURE_COSINE = 0.75
"""Two figures whose only shared measured words are plain nouns (none of MEASURES) measure the same
thing only in texts this alike: a noun beside two figures in unlike sentences ("the thermal outage
(5,443 kWh)", "the thermal possibility is 546 kWh") pins nothing."""


def same_measure(text_a: str, qa: Quantity, text_b: str, qb: Quantity, names: frozenset[str] = frozenset(),
                 quoted_a: list[tuple[int, int]] = (), quoted_b: list[tuple[int, int]] = (),
                 cosine: float | None = None) -> frozenset[str] | None:
    """The words two figures share about what they measure, when they measure the same thing (a
    word in common beyond the subject's own names, and no qualifier on opposite sides: "open models
    cost" is not "closed models cost", "commodity tasks" are not "frontier tasks"); else None.
    With `cosine` (how alike the two texts are), plain nouns count only from PLAIN_MEASURE_COSINE:
    a numeric tension and a source sentence opposing a claim are judged alike."""
    wa, qual_a = measured(text_a, qa, quoted=quoted_a)
    wb, qual_b = measured(text_b, qb, quoted=quoted_b)
    for low, high in _QUALIFIERS:
        if (qual_a & low and qual_b & high and not qual_a & high) or (qual_a & high and qual_b & low and not
                                                                      qual_a & low):
            return None
    shared = (wa & wb) - names - {singular(n) for n in names} - _QUALIFIER_WORDS  # as measured() folds them: "Helios"
    if cosine is not None and cosine < PLAIN_MEASURE_COSINE and not shared & MEASURES:
        return None  # given how alike the two texts are: plain nouns pin a measure only between alike ones
    return frozenset(shared) if shared else None


def qualified_alike(text_a: str, qa: Quantity, text_b: str, qb: Quantity) -> bool:
    """Whether two figures carry tier qualifiers on the same side ("frontier tasks" and "the hard 5%
    of tasks"): what they measure is pinned down even without a named subject. Other axes (open or
    closed, up or down, men or women) qualify too many figures to pin any."""
    _, qual_a = measured(text_a, qa)
    _, qual_b = measured(text_b, qb)
    return any((qual_a & side) and (qual_b & side) for side in _TIER)
