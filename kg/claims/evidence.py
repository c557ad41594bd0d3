"""Evidence: the source sentences behind each claim of a note (docs/knowledge.md, Evidence).

Declared evidence is a citation the author wrote: a claim that links a source (or a sentence of
it, `[[sources/x#^s-1a2b3c4d]]`) or quotes it. The sentence of the cited source that matches the
claim best is the quote. Inferred evidence is found: for each claim, the nearest source sentences
by embedding, scored with their shared words and checked by their numbers. A sentence whose
figures contradict the claim's is evidence that opposes it.

Anchors follow the W3C Web Annotation model: the exact sentence, a little text before and after
it, and the source's hash. A sentence anchor is a hash of the sentence's normalised text, so it
survives re-wrapping and chrome clean-up; when a linked sentence is edited, its last known
selector finds it again by similarity, and when it is really gone kg reports `lost-anchor`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kg.claims.compare import (content_words, contradicts, overlap, plain_words, quantity_pairs, restates, same_measure,
                               unit_of)
from kg.claims.quantities import find_quantities
from kg.model import Claim, Evidence, Quantity, Selector, Sentence, Source
from kg.parse.sentences import normalise
from kg.search.knn import top_k

CANDIDATES = 20
"""Nearest source sentences looked at per claim."""
MAX_EVIDENCE = 5
"""Inferred evidence kept per claim."""
MIN_SCORE = 0.6
"""Score an inferred sentence needs to count as evidence (bench/evidence_scifact.py)."""
MIN_DECLARED = 0.3
"""Below this, a cited source has no sentence that matches the claim: the citation is kept
without a quote."""
VECTOR_WEIGHT = 0.65
"""Score = VECTOR_WEIGHT * cosine + (1 - VECTOR_WEIGHT) * shared words, + QUANTITY_BONUS when the
figures agree."""
QUANTITY_BONUS = 0.1
MIN_SHARED = 0.3
"""A claim without figures is backed only by a sentence that has this share of its content words:
its subject and what it says of it, not only its topic."""
NAMES_SAY = 4
"""A claim without figures that writes this many `plain_words` says something besides its names:
a sentence it does not cite supports it only if it shares one of them (`Matcher.names_only`).
A claim that writes fewer is mostly its names ("Mistral 7B and Mixtral use Apache 2.0, while
Mistral Large is closed"), and a sentence with the same names may well restate it."""
OPPOSE_OVERLAP = 0.5
"""A sentence that shares this much of a claim's words but is negated where the claim is not
(or says down where it says up) opposes it."""
REANCHOR_RATIO = 0.8
"""How alike (difflib ratio of normalised text) an edited sentence must be to its last known
quote to take over its anchor."""
CONTEXT = 32
"""Characters of prefix and suffix kept in a selector."""
_QUOTE = re.compile(r"[\"“]([^\"“”]{20,}?)[\"”]")


@dataclass(slots=True)
class SourceSentence:
    """One sentence of a source, as evidence sees it."""

    source: str
    doc: str
    index: int
    sentence: Sentence
    hash: str
    words: frozenset[str] = field(default_factory=frozenset)
    plain: frozenset[str] | None = None
    """`plain_words` of the sentence, made when first asked (`Matcher.names_only`)."""
    _quantities: list[Quantity] | None = None

    @property
    def quantities(self) -> list[Quantity]:
        if self._quantities is None:
            self._quantities = find_quantities(self.sentence.text)
        return self._quantities


def selector(source: Source, index: int) -> Selector:
    """The Web Annotation selector of a source's sentence."""
    sentences = source.sentences
    before = " ".join(s.text for s in sentences[max(0, index - 2):index])
    after = " ".join(s.text for s in sentences[index + 1:index + 3])
    return Selector(exact=sentences[index].text, prefix=before[-CONTEXT:], suffix=after[:CONTEXT],
                    source_hash=source.hash)


def at_sentence(claim: Claim, source_id: str, source: Source, index: int, score: float, reason: str,
                method: str = "declared", stance: str = "supports") -> Evidence:
    """Evidence for `claim` at the index-th sentence of a source, with its selector."""
    sentence = source.sentences[index]
    return Evidence(claim=claim.id, source=source_id, doc=source.path, line=sentence.line, anchor=sentence.anchor,
                    quote=sentence.text, selector=selector(source, index), stance=stance, method=method,
                    score=round(score, 3), reason=reason)


def reanchor(source: Source, old: Selector) -> int | None:
    """The sentence of `source` that an old selector now points at: the same normalised text, else
    the most alike sentence (its neighbours breaking ties), if alike enough."""
    exact = normalise(old.exact)
    for i, s in enumerate(source.sentences):
        if normalise(s.text) == exact:
            return i
    best, best_ratio = None, REANCHOR_RATIO
    for i, s in enumerate(source.sentences):
        matcher = difflib.SequenceMatcher(None, exact, normalise(s.text), autojunk=False)
        if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
            continue
        ratio = matcher.ratio()
        if old.prefix and i > 0 and source.sentences[i - 1].text.endswith(old.prefix[-12:]):
            ratio += 0.05
        if ratio > best_ratio:
            best, best_ratio = i, ratio
    return best


def find_quote(source: Source, quote: str) -> int | None:
    """The sentence of `source` that holds a quoted passage (white space and case ignored)."""
    wanted = normalise(quote)
    for i, s in enumerate(source.sentences):
        if wanted in normalise(s.text):
            return i
    joined = [normalise(" ".join(s.text for s in source.sentences[i:i + 3])) for i in range(len(source.sentences))]
    for i, text in enumerate(joined):
        if wanted in text:
            return i
    return None


def said(claim: Claim) -> str:
    """The claim's text without the links it cites in parentheses, which kg shows by their titles
    ("... on most agentic tasks (Open-weight vs closed-weight models)"). They say where the claim
    comes from, not what it says, so the words a sentence it does not cite shares with it are
    counted without them. A link within the sentence ("Anthropic and Alibaba close") is part of
    what it says. The sentence that best quotes a source the claim cites is still chosen on its
    whole text: without the titles, as many of the demo's quotes got worse as got better."""
    text, kept, last = claim.text, [], 0
    for start, end in sorted(claim.quoted):
        if text[start - 1:start] == "(" and text[end:end + 1] == ")" and start > last:
            kept.append(text[last:start - 1])
            last = end + 1
    return "".join(kept) + text[last:]


def quotes(text: str) -> list[str]:
    """Passages a claim quotes ("..."), long enough to be a citation rather than a phrase."""
    if '"' not in text and "“" not in text:  # (most claims quote nothing: 0.1 s of a 10k vault's analysis)
        return []
    return [q.strip() for q in _QUOTE.findall(text) if len(q.split()) >= 5]


def gives_figure(claim: Claim) -> bool:
    """Whether a claim gives a figure that can be compared (with a unit: kg.claims.compare.unit_of):
    such a claim is backed only by a sentence with the same figure."""
    return any(unit_of(q) for q in claim.quantities)


class Matcher:
    """Scores source sentences against claims: vectors, shared words, agreeing numbers."""

    def __init__(self, sentences: Sequence[SourceSentence], vectors: np.ndarray,
                 by_source: dict[str, list[int]] | None = None):
        """`by_source`: each source's rows, when `sentences` are made on demand (kg.claims.analyse's
        roster) and listing them would make every one."""
        self.sentences = sentences
        self.vectors = vectors
        self.by_source: dict[str, list[int]] = by_source if by_source is not None else {}
        if by_source is None:
            for row, s in enumerate(sentences):
                self.by_source.setdefault(s.source, []).append(row)

    def score(self, claim: Claim, words: frozenset[str], cosine: float, row: int, figures: bool | None = None,
              floor: float = 0.0) -> tuple[float, str, str]:
        """(score, stance, reason) of one source sentence for one claim. `figures`: whether the
        claim gives a figure with a unit (`infer` asks once a claim, not once a sentence: 8 s of a
        cold 10k build); below `floor` the caller keeps nothing, and the score comes without its
        stance looked for or its reason written."""
        s = self.sentences[row]
        if not s.words:
            s.words = content_words(s.sentence.text)
        shared = overlap(words, s.words)
        score = VECTOR_WEIGHT * max(cosine, 0.0) + (1 - VECTOR_WEIGHT) * shared
        said: list[str] = []  # (put before the similarity and the words in the reason)
        stance = "supports"
        if figures is None:
            figures = gives_figure(claim)
        if figures:  # a claim with figures is backed only by the same figure, opposed by another for the same measure
            agreeing, conflicting = quantity_pairs(claim.quantities, s.quantities)
            agreeing = [(a, b) for a, b in agreeing if restates(a, b)]
            conflicting = [(a, b) for a, b in conflicting if same_measure(claim.text, a, s.sentence.text, b,
                                                                          cosine=cosine)]
            if agreeing:
                score += QUANTITY_BONUS
                a, b = agreeing[0]
                said.append(f"same figure ({a.text} / {b.text})")
            elif conflicting:
                a, b = conflicting[0]
                stance = "opposes"
                said.append(f"different figure ({a.text} against {b.text})")
            else:
                return 0.0, stance, "no figure of the claim in it"
        elif shared < MIN_SHARED:
            return 0.0, stance, "too few of the claim's words"  # near in topic is not agreement
        if score < floor:
            return min(score, 1.0), stance, ""
        if stance == "supports" and shared >= OPPOSE_OVERLAP:
            why = contradicts(claim.text, s.sentence.text)
            if why:
                stance = "opposes"
                said.insert(0, f"opposite wording ({why})")
        return min(score, 1.0), stance, "; ".join([*said, f"similarity {cosine:.2f}", f"{shared:.0%} of its words"])

    def evidence(self, claim: Claim, row: int, score: float, stance: str, reason: str, method: str,
                 sources: dict[str, Source]) -> Evidence:
        s = self.sentences[row]
        return at_sentence(claim, s.source, sources[s.source], s.index, score, reason, method, stance)

    def infer(self, claims: list[Claim], vectors: np.ndarray, sources: dict[str, Source],
              skip: dict[str, set[str]] | None = None, progress=None) -> tuple[list[Evidence], dict[str, float]]:
        """Inferred evidence of each claim (rows of `vectors`, an array or anything that gives one
        for a slice of rows), best first, at most MAX_EVIDENCE,
        leaving out sentences already declared (`skip`: claim id -> anchors); and per claim id the
        cosine of the last of its CANDIDATES nearest sentences (a new sentence less alike than
        this cannot change its evidence)."""
        out: list[Evidence] = []
        kth: dict[str, float] = {}
        if not claims or not self.sentences:
            return out, kth
        k = min(CANDIDATES, len(self.sentences))
        for start in range(0, len(claims), 2048):
            if progress:
                progress("Finding evidence", start, len(claims))
            batch = np.ascontiguousarray(vectors[start:start + 2048])
            sims, rows = top_k(batch, self.vectors, k)  # (exact, where the vectors are: kg.search.knn)
            if hasattr(self.sentences, "prefetch"):  # (sentences made when first looked at: their sources read at once)
                self.sentences.prefetch(rows[rows >= 0].tolist())
            for claim, cos_row, row_row in zip(claims[start:start + 2048], sims, rows):
                kth[claim.id] = float(cos_row[-1]) if k == CANDIDATES else -1.0
                own = said(claim)
                words = content_words(own)
                done = (skip or {}).get(claim.id, set())
                figures = gives_figure(claim)
                plain = None if figures else plain_words(own)
                if plain is not None and len(plain) < NAMES_SAY:
                    plain = None
                scored = []
                for cosine, row in zip(cos_row, row_row):
                    if row < 0 or self.sentences[row].sentence.anchor in done or self.sentences[row].doc == claim.doc:
                        continue
                    score, stance, reason = self.score(claim, words, float(cosine), int(row), figures, MIN_SCORE)
                    if score >= MIN_SCORE and not (plain is not None and self.names_only(words, plain, int(row))):
                        scored.append((score, stance, reason, int(row)))
                # the same sentence in two sources (or clipped twice) counts once, from the first of
                # them by path: their scores tie, the search's order broke the tie, and a fresh
                # analysis of a 10k vault then cited another source than the one an edit kept
                once: dict[str, tuple[float, str, str, int]] = {}
                for found in scored:
                    key = normalise(self.sentences[found[3]].sentence.text)
                    if key not in once or self._place(found[3]) < self._place(once[key][3]):
                        once[key] = found
                for score, stance, reason, row in sorted(once.values(), key=lambda t: -t[0])[:MAX_EVIDENCE]:
                    out.append(self.evidence(claim, row, score, stance, reason, "inferred", sources))
        return out, kth

    def names_only(self, words: frozenset[str], plain: frozenset[str], row: int) -> bool:
        """Whether the words a claim shares with a sentence are all parts of names (a shared word
        written in lower case in either text is not): "DeepSeek V4 was text-only at launch, while
        GPT-5.5 and Opus 4.7 both accept images" and "DeepSeek V4 Pro performs alongside GPT-5.5
        and Opus 4.7 on most agentic tasks" are near in meaning and share a third of their words,
        and none of what either says. `plain` is the claim's `plain_words`."""
        s = self.sentences[row]
        if s.plain is None:
            s.plain = plain_words(s.sentence.text)
        return (words & s.words).isdisjoint(plain | s.plain)

    def _place(self, row: int) -> tuple[str, int]:
        sentence = self.sentences[row]
        return sentence.doc, sentence.index

    def best_in(self, claim: Claim, vector: np.ndarray, source: str) -> tuple[int, float, str, str] | None:
        """The sentence of one source that matches a claim best: (row, score, stance, reason)."""
        rows = self.by_source.get(source)
        if not rows:
            return None
        sims = self.vectors[rows] @ vector
        words = content_words(claim.text)
        figures = gives_figure(claim)
        most = (1 - VECTOR_WEIGHT) + (QUANTITY_BONUS if figures else 0.0)  # a score beyond its cosine's share
        best = None  # (place among the source's rows, row, score, stance, reason): the first of the best
        for at in np.argsort(-sims, kind="stable").tolist():  # most alike first, so the rest can be passed
            cosine = float(sims[at])
            if best is not None and min(VECTOR_WEIGHT * max(cosine, 0.0) + most, 1.0) < best[2] - 1e-9:
                break  # (no sentence less alike can score as high: the declared evidence of a cold 10k
                # build scored every sentence of each source its claims cite, 20 s)
            score, stance, reason = self.score(claim, words, cosine, rows[at], figures)
            if best is None or score > best[2] or (score == best[2] and at < best[0]):
                best = (at, rows[at], score, stance, reason)
        return None if best is None else best[1:]
