"""Tensions between claims, and corroboration (DESIGN §9).

Detected tensions never compare all pairs: each claim is compared with its nearest neighbours by
embedding (NEIGHBOURS of them, from one faiss search), and a pair is looked at only if both
claims name a subject in common (a concept of the vault, or a name such as DeepSeek or
Qwen3.6-Plus). A pair becomes a tension only with a reason a reader can check:
- numeric: comparable quantities (same kind and unit) whose ranges do not overlap;
- polarity: opposite stance words (open/closed, free/paid, released/withheld, narrowing/widening)
  nearest to the shared subject in each sentence;
- temporal: a polarity conflict between sources of different dates, shown as the later source
  superseding the earlier one.
Pairs that say the same thing from different files (very close in meaning, or close with the
same figures) are joined into corroboration clusters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from kg.claims.compare import agree, context, quantity_pairs, stance_near, unit_of
from kg.model import Claim, Tension, TensionSide

NEIGHBOURS = 10
"""Nearest claims looked at per claim."""
MIN_COSINE = 0.5
"""Neighbours less alike than this are not about the same thing."""
NUMERIC_COSINE = 0.6
"""Two claims with conflicting figures must be at least this alike to be about the same quantity."""
CONFIDENT = 0.6
"""A detected tension with at least this confidence is shown by default; the others are candidates
(`kg tensions --all`)."""
CORROBORATE_COSINE = 0.85
"""Claims from two files this alike state the same fact."""
CORROBORATE_WITH_FIGURE = 0.65
"""...or this alike when they also state the same figure."""


@dataclass(slots=True)
class Pool:
    """The claims tensions are looked for among, with what the detectors need of each."""

    claims: list[Claim]
    vectors: np.ndarray
    subjects: list[dict[str, list[int]]]
    """Per claim: subject key -> offsets of its mentions in the text."""
    dates: list[str | None]
    """Per claim: the date of its source (ISO), if known."""
    exact: list[set[str]]
    """Per claim: the subject keys that are a whole name or a concept (not a family stem)."""
    pairs: int = 0
    """How many candidate pairs the last detect() judged."""


def side(claim: Claim) -> TensionSide:
    return TensionSide(id=claim.id, text=claim.text, doc=claim.doc, line=claim.line)


def tension_id(*parts: str) -> str:
    return "t-" + hashlib.blake2b("\n".join(sorted(parts)).encode(), digest_size=5).hexdigest()


def where(claim) -> str:
    """A claim (or tension side) in its file: a claim's id names the same text in every note that
    writes it, so a tension's id is made from where its sides are written."""
    return f"{claim.id}\0{claim.doc}"


ANN_FROM = 20_000
"""From this many claims, neighbours come from an HNSW graph instead of an exact scan
(bench/bench_tensions.py: the exact scan of 100,000 claims took 57 s on 2 cores)."""


def neighbours(vectors: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, rows) of each vector's k nearest others: exact inner product through faiss
    for a small set, an HNSW graph (M=16, efSearch 64) for a large one."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) >= ANN_FROM:
        index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.add(vectors)
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
    return index.search(vectors, min(k + 1, len(vectors)))


def candidate_pairs(pool: Pool) -> list[tuple[int, int, float, list[str]]]:
    """(i, j, cosine, shared subjects) of neighbour pairs from different files that share a subject."""
    if len(pool.claims) < 2:
        return []
    sims, rows = neighbours(pool.vectors)
    out, seen = [], set()
    for i, (sim_row, row_row) in enumerate(zip(sims, rows)):
        for cosine, j in zip(sim_row, row_row):
            j = int(j)
            if j < 0 or j == i or cosine < MIN_COSINE:
                continue
            pair = (min(i, j), max(i, j))
            if pair in seen or pool.claims[i].doc == pool.claims[j].doc:
                continue
            seen.add(pair)
            shared = [k for k in pool.subjects[pair[0]] if k in pool.subjects[pair[1]]]
            if shared:
                out.append((pair[0], pair[1], float(cosine), shared))
    return out


def _where(claim: Claim) -> str:
    return f"{claim.doc}:{claim.line}"


def numeric(a: Claim, b: Claim, cosine: float) -> tuple[str, float] | None:
    if cosine < NUMERIC_COSINE:
        return None
    agreeing, conflicting = quantity_pairs(a.quantities, b.quantities)
    if not conflicting:
        return None
    qa, qb = conflicting[0]
    kind, unit = unit_of(qa)
    what = {"multiplier": "multipliers", "percent": "percentages", "currency": "amounts"}.get(kind, f"{kind}s")
    also = f" ({agreeing[0][1].text}, also given there, does overlap)" if agreeing else ""
    return (f"{_where(a)} says \"{context(a.text, qa.start, qa.end)}\" and {_where(b)} says "
            f"\"{context(b.text, qb.start, qb.end)}\": {what} ({unit}) about the same subject whose ranges, "
            f"{qa.text} and {qb.text}, do not overlap{also}"), 0.5 + cosine / 2


def polarity(a: Claim, b: Claim, pool: Pool, i: int, j: int, shared: list[str]) -> tuple[str, str, float] | None:
    """(subject, explanation, score) when the two claims take opposite stances on a shared subject."""
    for subject in shared:
        if _STANCE_WORD.search(subject) or subject not in pool.exact[i] or subject not in pool.exact[j] \
                or not pool.subjects[i][subject] or not pool.subjects[j][subject]:
            continue  # named in both (Qwen3.6-Plus and Qwen 3.5 share a family, not a stance)
        sa = stance_near(a.text, pool.subjects[i][subject])
        sb = stance_near(b.text, pool.subjects[j][subject])
        for axis, (pole_a, words_a) in sa.items():
            if axis in sb and sb[axis][0] != pole_a:
                pole_b, words_b = sb[axis]
                label = _label(a.text, pool.subjects[i][subject], subject)
                return (label, f"about {label}, {_where(a)} says {pole_a} (\"{words_a}\") and {_where(b)} says "
                               f"{pole_b} (\"{words_b}\")", 0.75)
    return None


_STANCE_WORD = re.compile(r"open|closed|proprietary|free|paid", re.I)
"""Subjects named by a stance word ("closed-weight models") cannot take a stance on themselves."""


def _label(text: str, offsets: list[int], key: str) -> str:
    """A subject as written in the text, for explanations."""
    if offsets:
        m = re.match(r"[\w.+-]+(?: [A-Z0-9][\w.+-]*)*", text[offsets[0]:])
        if m:
            return m.group()
    return key


def detect(pool: Pool) -> tuple[list[Tension], list[list[int]]]:
    """Detected tensions, and corroboration clusters (lists of pool rows, two files or more)."""
    tensions: list[Tension] = []
    parent = list(range(len(pool.claims)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    candidates = candidate_pairs(pool)
    pool.pairs = len(candidates)
    for i, j, cosine, shared in candidates:
        a, b = pool.claims[i], pool.claims[j]
        found = numeric(a, b, cosine)
        if found:
            text, score = found
            tensions.append(Tension(id=tension_id(where(a), where(b)), kind="numeric", explanation=text,
                                    score=round(score, 3), a=side(a), b=side(b), subjects=shared))
            continue
        flipped = polarity(a, b, pool, i, j, shared)
        if flipped:
            subject, text, score = flipped
            da, db = pool.dates[i], pool.dates[j]
            if da and db and da != db:
                if da > db:
                    a, b, da, db = b, a, db, da
                    subject, text, score = polarity(a, b, pool, j, i, shared) or flipped
                tensions.append(Tension(
                    id=tension_id(where(a), where(b)), kind="temporal", score=round(score, 3), a=side(a), b=side(b),
                    subjects=shared,
                    explanation=f"superseded by a later source: {text}; {b.doc} ({db}) is later than {a.doc} ({da})"))
            else:
                tensions.append(Tension(id=tension_id(where(a), where(b)), kind="polarity", explanation=text,
                                        score=round(score, 3), a=side(a), b=side(b), subjects=shared))
            continue
        same_figure = any(agree(x, y) and x.kind not in ("date",) for x, y in quantity_pairs(a.quantities, b.quantities)[0])
        if cosine >= CORROBORATE_COSINE or (same_figure and cosine >= CORROBORATE_WITH_FIGURE):
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(pool.claims)):
        groups.setdefault(root(i), []).append(i)
    clusters = [rows for rows in groups.values() if len({pool.claims[r].doc for r in rows}) > 1]
    return tensions, clusters
