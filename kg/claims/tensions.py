"""Tensions between claims, and corroboration (docs/knowledge.md, Tensions), precision first: a tension shown to a
reader must be one they would agree is real.

Detected tensions never compare all pairs. Candidates come three ways: each claim's nearest
neighbours by embedding (NEIGHBOURS, one faiss search), claims whose figures are said of one
measured word (`measure_pairs`), and claims that take a stance on one subject (`polarity_pairs`,
an index by subject). A pair becomes a tension only with a reason a reader can check, and a
confidence (below CONFIDENT it is a candidate, `kg tensions --all`):
- numeric: two figures for the same measured thing (kg.claims.compare.same_measure: the words
  around them, synonyms folded, no opposite qualifiers) about one subject, whose ranges cannot
  both hold;
- polarity: opposite stances said of one subject (kg.claims.compare.stance_near);
- temporal: a polarity pair from dated sources in which the later one states the change.
Pairs that say the same thing from different files (very close in meaning, or close with the
same figures) are joined into corroboration clusters.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from kg.claims.compare import (
    MEASURES,
    agree,
    context,
    measured,
    qualified_alike,
    quantity_pairs,
    same_measure,
    stance_near,
    trend_object,
    unit_of,
    window,
)
from kg.claims.subjects import keys
from kg.model import Claim, Tension, TensionSide

NEIGHBOURS = 10
"""Nearest claims looked at per claim."""
MIN_COSINE = 0.5
"""Neighbours less alike than this are not about the same thing."""
MEASURE_COSINE = 0.45
"""Claims that meet only through a measured word must be at least this alike, unless qualifiers
on one side pin what they measure ("frontier tasks" and "the hard 5% of tasks")."""
MEASURE_GROUP = 40
"""A measured word with more figures than this ("cost", "models" in a vault about prices) pins nothing."""
FAMILY_AXES = frozenset({"licence"})
"""Axes on which what is said of a family holds for its models: a licence covers every Llama, but one
Qwen model can be closed while the others are open."""
PER_SUBJECT = 2
"""At most this many polarity tensions per subject and axis (the most alike pairs): a subject said
open in five files and closed in five is one disagreement, not twenty-five."""
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
    exact: list[dict[str, list[int]]]
    """Per claim: the subjects it names whole (a concept, a whole name; not a family stem) -> offsets."""
    names: list[list[tuple[int, int]]]
    """Per claim: (start, end) of every name and concept mention in its text."""
    pairs: int = 0
    """How many candidate pairs the last detect() judged."""
    kth: np.ndarray | None = None
    """Per claim: the cosine of its k-th nearest other claim (set by candidate_pairs)."""
    measures: list[list] | None = None
    """Per claim, when known: its `claim_measures` (else they are found when needed)."""
    stances: list[list] | None = None
    """Per claim, when known: its `claim_stances`."""
    measure_rows: Callable[[set[tuple[str, str]]], list[int] | None] | None = None
    """The rows of the claims that may measure one of these (kind, word) keys, ascending (a few
    more, never fewer), when the pool can tell without reading every claim's measures
    (kg.claims.analyse._RowsListed.measure_rows); None from it: not known."""
    measure_counts: Callable[[set[tuple[str, str]]], dict[tuple[str, str], int] | None] | None = None
    """How many claims measure each of these (kind, word) keys (never fewer), when the pool can tell
    without reading every claim's measures (kg.claims.analyse._RowsListed.measure_counts)."""
    progress: object = None
    """Called as progress(stage, done, total) on the long steps (kg.build.Progress)."""
    keys: list[str] | None = None
    """Per claim, when known: its content key (kg.claims.analyse.claim_key)."""
    docs: list[str] | None = None
    """Per claim, when known: its file (an edit's pool makes a claim when asked: `doc_of` asks none)."""
    explained: dict[tuple[str, str], tuple] = field(default_factory=dict)
    """`numeric` of pairs by the keys of their claims, kept between analyses (a function of the two
    claims and their cosine, which a kept pair keeps); detect() adds the pairs it explains anew and
    sets `explaining` to the keys of every pair it explained."""
    explaining: set[tuple[str, str]] = field(default_factory=set)
    groups: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """The rows of each measured word the last `measure_pairs` looked at (`measure_groups`)."""
    crowded_words: set[tuple[str, str]] | None = None
    """After `measure_pairs` over the whole pool: the measured words with more than MEASURE_GROUP
    figures, which pair no claims."""
    nearest: dict[int, set[int]] = field(default_factory=dict)
    """The rows whose nearest others an edit found (`pairs_touching`, `nearest_again`) -> those rows."""
    polar: list[str] | None = None
    """The ids of the pairs of claims that take opposite stances (`polarity_pairs`) the last
    detect() found, in their order, those judged numeric too (which it left out)."""
    passed: Callable[[int], None] | None = None
    """Told the first row of each pair detect() judges, once per row: when the pairs come in order
    of their first row, each second row after its first (kg.claims.analyse), the rows before it are
    in no pair left, and what was decoded of them may go."""


def doc_of(pool: Pool, row: int) -> str:
    """The file of a pool's claim."""
    return pool.docs[row] if pool.docs is not None else pool.claims[row].doc


def side(claim: Claim) -> TensionSide:
    return TensionSide(id=claim.id, text=claim.text, doc=claim.doc, line=claim.line)


def tension_id(*parts: str) -> str:
    return "t-" + hashlib.blake2b("\n".join(sorted(parts)).encode(), digest_size=5).hexdigest()


def where(claim) -> str:
    """A claim (or tension side) in its file: a claim's id names the same text in every note that
    writes it, so a tension's id is made from where its sides are written."""
    return f"{claim.id}\0{claim.doc}"


ANN_FROM = 100_000
"""From this many claims, neighbours come from an HNSW graph instead of the exact search, when faiss
is installed. Below it the search is exact (kg.search.knn.self_top_k), so an edit keeps the pairs a
cold build finds; the graph, which any claim added reshapes, got the tenth nearest's cosine wrong
for 17.6% of the 10k vault's first 20,000 claims, 20.2% of 50,000 and 23.6% of 100,000. On 2 cores
(one run each, in a slow phase of the machine), the exact search took 13.4 s for 50,000 claims
(the graph 6.8 s; the search row by row, `top_k`, 20.7 s) and 40.7 s for 100,000 (the graph
17.2 s, row by row 73.1 s), holding some 80 MB more than row by row. For the 10k vault's 145k
claims it took 54.6 s against the graph's 16.5 s, with 84 MB more held: 38 s more on a cold build
of some 535 s (its goal: 600 s), in the knowledge stage whose peak, 1,466 MB, is that build's
(its goal: 1,536 MB)."""


def neighbours(vectors: np.ndarray, k: int = NEIGHBOURS, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, rows) of each vector's k nearest others, itself among them (k + 1 rows):
    exact below ANN_FROM, and at any size without faiss (kg.search.knn.self_top_k: the pool's
    products in blocks, each pair of blocks once); from ANN_FROM, an HNSW graph (M=16, efSearch 64)
    when faiss is installed.

    The graph holds its vectors in 8 bits a dimension (a copy of 145k float vectors took 229 MB of
    a 10k vault's analysis, in 8 bits 77 MB, and it builds in 7 s, not 12); the neighbours it
    finds are then scored on the float vectors and ordered by that score. Against an exact
    search of 145k claim vectors, it finds 95.1% of the 17 nearest; the float graph found 95.5%."""
    from kg.search.knn import load_faiss, self_top_k

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    k = min(k + 1, len(vectors))
    if len(vectors) < ANN_FROM or (faiss := load_faiss()) is None:  # (faiss imported only for its graph)
        said = (lambda done, total: progress("Finding tensions: nearest claims", done, total)) if progress else None
        return self_top_k(vectors, k, said)
    if progress:
        progress("Finding tensions: indexing claims", 0, None)
    index = faiss.IndexHNSWSQ(vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, 16, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.hnsw.efConstruction = 40
    index.add(vectors)
    index.hnsw.efSearch = 64
    parts = []
    for start in range(0, len(vectors), 8192):  # in parts, to show how far the search is
        if progress:
            progress("Finding tensions: nearest claims", start, len(vectors))
        found = index.search(vectors[start:start + 8192], k)
        parts.append(_rescored(vectors, vectors[start:start + 8192], found[1]))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _rescored(vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, rows) of these neighbours scored on the float vectors, best first (a row
    the graph did not fill, -1, stays last with the lowest similarity)."""
    sims = np.full(rows.shape, np.finfo(np.float32).min, dtype=np.float32)
    for j in range(rows.shape[1]):  # a column at a time: all at once took k copies of the queries
        found = rows[:, j] >= 0
        sims[found, j] = np.einsum("nd,nd->n", queries[found], vectors[rows[found, j]])
    order = np.argsort(-sims, axis=1, kind="stable")
    return np.take_along_axis(sims, order, 1), np.take_along_axis(rows, order, 1)


def candidate_pairs(pool: Pool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first rows, second rows, cosines) of the neighbour pairs from different files, first < second,
    each pair once, in the order the neighbour lists first give it. Sets `pool.kth`: each claim's
    cosine to its k-th nearest other. In arrays: a 10k vault has a million pairs, and a set of them
    with their shared subjects held 0.7 GB (`detect` looks the subjects up as it judges)."""
    none = np.zeros(0, dtype=np.int64)
    if len(pool.claims) < 2:
        pool.kth = np.ones(len(pool.claims), dtype=np.float32)
        return none, none, np.zeros(0, dtype=np.float32)
    sims, rows = neighbours(pool.vectors, progress=pool.progress)
    pool.kth = np.ascontiguousarray(sims[:, -1], dtype=np.float32) if sims.shape[1] > NEIGHBOURS \
        else np.full(len(pool.claims), -1.0, dtype=np.float32)
    n = len(sims)
    first = np.repeat(np.arange(n, dtype=np.int64), sims.shape[1])
    second, cosines = rows.ravel().astype(np.int64), sims.ravel()
    names: dict[str, int] = {}
    doc = np.array([names.setdefault(c.doc, len(names)) for c in pool.claims], dtype=np.int64)
    keep = (second >= 0) & (second != first) & (cosines >= MIN_COSINE)
    keep[keep] = doc[first[keep]] != doc[second[keep]]
    first, second, cosines = first[keep], second[keep], cosines[keep]
    low, high = np.minimum(first, second), np.maximum(first, second)
    _, once = np.unique(low * n + high, return_index=True)
    once.sort()
    return low[once], high[once], cosines[once]


def pairs_touching(pool: Pool, rows: list[int], gone: np.ndarray | None = None
                   ) -> tuple[list[tuple[int, int, float, list[str]]], list[int]]:
    """The neighbour pairs a full search would find that involve the given rows (claims new to
    the pool): their own nearest others, and every claim they now come among the nearest of
    (its cosine beats that claim's k-th, `pool.kth`). Exact, and linear in the pool per row, so
    an edit costs a few matrix products instead of a new index. Updates `pool.kth` for `rows`.

    Also the rows, of claims not new, whose nearest may have changed (`nearest_again` finds
    them again): a new claim came among them, or a claim gone (`gone`: the vectors of the claims
    gone from the pool) was among them, at MIN_COSINE or more (below it, their k-th decides no
    pair: `still_paired`)."""
    out: dict[tuple[int, int], float] = {}
    reach = np.maximum(pool.kth, MIN_COSINE) - TIE
    crowded = np.zeros(len(reach), dtype=bool)
    gone = gone if gone is not None and len(reach) else np.zeros((0, 0), dtype=np.float32)
    for d, column, top in _found(pool, rows, gone):
        if d < 0:  # a claim gone: the rows it was among the nearest of
            crowded |= column >= reach
            continue
        near = np.nonzero(column >= reach)[0]
        crowded[near] = True
        _paired(pool, out, d, column, list(top) + list(near))
    crowded[rows] = False
    return _as_pairs(pool, out), np.nonzero(crowded)[0].tolist()


def nearest_again(pool: Pool, rows: list[int]) -> list[tuple[int, int, float, list[str]]]:
    """The neighbour pairs of these rows' own nearest others, found again over the whole pool
    (a new claim came among them, or one of them went: `pairs_touching`), as a full search finds
    them; updates `pool.kth` for `rows`. Exact, as `pairs_touching` is."""
    out: dict[tuple[int, int], float] = {}
    for d, column, top in _found(pool, rows):
        _paired(pool, out, d, column, top.tolist())
    return _as_pairs(pool, out)


def _found(pool: Pool, rows: list[int], gone: np.ndarray | None = None
           ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(row, its cosine to every row, its nearest others: `_nearest`) for each of `rows`, then (-1,
    the cosines, None) for each vector of `gone`; the cosines found a product of 256 at a time (over
    the pool's 222 MB of vectors at 10k, a pass for the new claims and another for the gone ones
    took 0.1 s more of a figure corrected)."""
    queries = len(rows) + (0 if gone is None else len(gone))
    for start in range(0, queries, 256):
        chunk = rows[start:start + 256]
        asked = pool.vectors[chunk] if len(chunk) else np.zeros((0, pool.vectors.shape[1]), dtype=np.float32)
        if gone is not None and start + 256 > len(rows):
            more = gone[max(start - len(rows), 0):start + 256 - len(rows)]
            asked = np.concatenate([asked, np.asarray(more, dtype=np.float32).reshape(-1, asked.shape[1])])
        sims = pool.vectors @ np.ascontiguousarray(asked, dtype=np.float32).T
        for col in range(sims.shape[1]):
            if col >= len(chunk):
                yield -1, sims[:, col], None
                continue
            d = chunk[col]
            top = _nearest(pool, sims[:, col], d)
            if top is not None:
                yield d, sims[:, col], top


def _paired(pool: Pool, out: dict[tuple[int, int], float], d: int, column: np.ndarray, others) -> None:
    """Row d's pairs with `others` into `out` (by rows, first < second: their cosine), those of
    another file at MIN_COSINE or more."""
    for j in others:
        j = int(j)
        if j != d and column[j] >= MIN_COSINE and doc_of(pool, j) != doc_of(pool, d):
            out[(min(d, j), max(d, j))] = float(column[j])


def _as_pairs(pool: Pool, out: dict[tuple[int, int], float]) -> list[tuple[int, int, float, list[str]]]:
    """The pairs of `out` in order, with the subjects their claims share."""
    return [(i, j, cosine, [k for k in pool.subjects[i] if k in pool.subjects[j]])
            for (i, j), cosine in sorted(out.items())]


def _nearest(pool: Pool, column: np.ndarray, d: int) -> np.ndarray | None:
    """Row d's nearest others from its cosines to every row (`column`, its own among them), picked
    as a fresh search picks them (`neighbours`: kg.search.knn's choice among equal scores, d
    itself among them); sets `pool.kth[d]` and `pool.nearest[d]`. None when the pool is too small."""
    from kg.search.knn import pick

    k = min(NEIGHBOURS + 1, len(column))
    if k <= 1:
        return None
    picked = pick(column[None, :], k)[0]
    pool.kth[d] = float(column[picked].min())
    top = picked[picked != d]
    pool.nearest[d] = set(top.tolist())
    return top


def still_paired(pool: Pool, first: np.ndarray, second: np.ndarray, cosines: np.ndarray) -> np.ndarray:
    """Whether each neighbour pair is one still: one side among the other's nearest. For a row an
    edit found them of (`pool.nearest`), whether the other is among them; else whether the pair's
    cosine is at least the row's k-th (`pool.kth`, less TIE). A claim whose k-th is below
    MIN_COSINE pairs with every claim alike enough, so a k-th kept below it need not be exact."""
    out = (cosines >= pool.kth[first] - TIE) | (cosines >= pool.kth[second] - TIE)
    if pool.nearest:
        for n, (i, j) in enumerate(zip(first.tolist(), second.tolist())):
            if i in pool.nearest or j in pool.nearest:
                out[n] = j in pool.nearest.get(i, ()) or i in pool.nearest.get(j, ()) \
                    or (i not in pool.nearest and cosines[n] >= pool.kth[i] - TIE) \
                    or (j not in pool.nearest and cosines[n] >= pool.kth[j] - TIE)
    return out


TIE = 1e-6
"""A pair's cosine and a k-th computed by other products of the same vectors can differ in their
last bits: within this, the pair is the k-th's own (a cold search lists it)."""


def _where(claim: Claim) -> str:
    return f"{claim.doc}:{claim.line}"


A_AT, B_AT = "\x00@a\x00", "\x00@b\x00"
"""Where the first and the second claim are written, in a `numeric` explanation: kept by the claims'
keys, which hold no line, an explanation is told where its claims are now when shown (`placed`).
Kept with the places in, a claim moved by a blank line above it named its old line."""


def placed(text: str, a, b) -> str:
    """A `numeric` explanation with the places of its two claims (or sides) put in."""
    return text.replace(A_AT, _where(a)).replace(B_AT, _where(b))


def claim_measures(claim: Claim, subjects) -> list[tuple[str, str]]:
    """(what a figure measures, a word it is said of) for each figure of a claim ("workloads",
    "valuation"), leaving out its subjects: the keys of `measure_pairs`. A function of the claim
    alone, kept with its claims (kg.claims.perfile)."""
    out: list[tuple[str, str]] = []
    for q in claim.quantities:
        key = unit_of(q)
        if key is None:
            continue
        words, _ = measured(claim.text, q, quoted=claim.quoted)
        out += [(key, word) for word in sorted(words - set(subjects)) if (key, word) not in out]
    return out


def measure_groups(pool: Pool, wanted: set[tuple[str, str]] | None = None) -> dict[tuple[str, str], list[int]]:
    """The rows of the claims that give a figure of one kind said of one measured word, by
    (kind, word): of every word, or of the `wanted` ones."""
    words = None if wanted is None else {word for _, word in wanted}  # (looked up before a key is made: 0.1 s at 10k)
    index: dict[tuple[str, str], list[int]] = {}
    if words is not None and not words:  # (an edit whose claims measure nothing, or none gone: the pass
        return index  # over every measured claim to find no word was 0.027 s of a 10k edit)
    # (most claims measure nothing: when their measures are known, those are passed over in a C loop,
    # where a Python one took 0.1 s of a 10k edit; an edit's pool tells those that may measure the words)
    every = range(len(pool.claims))
    rows = pool.measure_rows(wanted) if wanted is not None and pool.measure_rows is not None else None
    if rows is None:
        rows = every if pool.measures is None else flagged(pool.measures)
    for i in rows:
        for key in measures_of(pool, i):
            if words is not None and (key[1] not in words or tuple(key) not in wanted):
                continue
            key = tuple(key)
            rows = index.setdefault(key, [])
            if not rows or rows[-1] != i:
                rows.append(i)
    return index


def measure_pairs(pool: Pool, only: set[int] | None = None) -> set[tuple[int, int]]:
    """Pairs of claims from different files with figures of one kind (kg.claims.units.measure) said
    of one measured word ("workloads", "valuation"): claims far apart in wording whose numbers
    still speak of the same thing. A word shared by more than MEASURE_GROUP figures is too common to
    pin anything (without `only`, those words are left in `pool.crowded_words`). With `only`, the
    pairs that involve one of those rows."""
    # with `only`, just the words those rows measure are indexed (an edit's few claims, not 180,000)
    index = measure_groups(pool, None if only is None else {tuple(key) for i in only for key in measures_of(pool, i)})
    pool.groups = index
    if only is None:
        pool.crowded_words = {key for key, rows in index.items() if len(rows) > MEASURE_GROUP}
    out: set[tuple[int, int]] = set()
    for rows in index.values():
        if len(rows) > MEASURE_GROUP or (only is not None and only.isdisjoint(rows)):
            continue
        for n, i in enumerate(rows):
            for j in rows[n + 1:]:
                if doc_of(pool, i) != doc_of(pool, j) and (only is None or i in only or j in only):
                    out.add((min(i, j), max(i, j)))
    return out


def flagged(values: Sequence) -> Iterable[int]:
    """The rows of a pool's `measures` or `stances` that hold some, ascending: in a C loop, or as
    the records of an edit's listing tell them (kg.claims.analyse._Flagged), none decoded."""
    rows_with = getattr(values, "rows_with", None)
    return rows_with() if rows_with is not None else itertools.compress(range(len(values)), values)


def measures_of(pool: Pool, i: int) -> list:
    """Row i's `claim_measures`: kept in the pool, or found."""
    return pool.measures[i] if pool.measures is not None else claim_measures(pool.claims[i], pool.subjects[i])


_STUDY = re.compile(r"\b(?:we|our|patients?|participants?|subjects|volunteers|cohort|trial|randomi[sz]ed|placebo|"
                    r"baseline|controls?|odds ratio|hazard ratio|confidence interval|(?-i:CI)|n\s*=|p\s*[<=>])(?!\w)",
                    re.I)
"""The marks of a study reporting its own design or results ("in 96 COPD patients", "95% CI"):
two studies' own figures differ without contradicting each other."""


def _study(claim: Claim) -> bool:
    return claim.origin == "source" and bool(_STUDY.search(claim.text))


def _tiered(a: Claim, b: Claim) -> bool:
    """Whether some figure of each claim carries qualifiers on the same side of one axis."""
    return any(qualified_alike(a.text, qa, b.text, qb) for qa in a.quantities for qb in b.quantities
               if unit_of(qa) and unit_of(qa) == unit_of(qb))


def numeric(a: Claim, b: Claim, cosine: float, names: frozenset[str]) -> tuple[str, float, tuple] | None:
    """(explanation, confidence, what was compared) when the two claims give figures for the same measured thing
    (kg.claims.compare.same_measure) whose ranges cannot both hold; the explanation names where
    the claims are written by `A_AT` and `B_AT` (`placed` puts them in). Confidence grows with the
    words both figures are said of, a subject in common, qualifiers on the same side ("frontier"
    and "hard") and how alike the claims are."""
    _, conflicting = quantity_pairs(a.quantities, b.quantities)
    for qa, qb in conflicting:
        shared = same_measure(a.text, qa, b.text, qb, names, a.quoted, b.quoted, cosine)
        alike = qualified_alike(a.text, qa, b.text, qb)
        wa, wb = window(a.text, qa, quoted=a.quoted), window(b.text, qb, quoted=b.quoted)
        beside = {n for n in names if n.split()[0].split("-")[0] in wa and n.split()[0].split("-")[0] in wb}
        about = names
        if a.origin == b.origin == "source" and shared is not None and not shared & MEASURES:
            about = set()  # two sources: only a measure kg knows (price, valuation, share of workloads...)
        if shared is None or not (about or alike):
            continue  # the subject is named beside both figures, or qualifiers on one side ("frontier", "hard") pin it
        what = context(a.text, qa.start, qa.end)
        score = (0.5 + 0.1 * min(len(shared), 2) + 0.05 * bool(about) + 0.05 * bool(beside) + 0.1 * alike
                 + 0.1 * max(min(cosine, 1.0), 0.0))
        return (f"{A_AT} gives {qa.text} and {B_AT} gives {qb.text} for the same measure "
                f"({', '.join(sorted(shared))}: \"{what}\"), and the two cannot both hold"), min(score, 0.95), \
            (unit_of(qa), *sorted([(qa.low, qa.high), (qb.low, qb.high)], key=str))
    return None


_CHANGE = re.compile(r"\b(?:now|no longer|switch(?:ed|es)?|revers(?:ed|es|ing)|for the first time|first time|became|"
                     r"has become|turned|moved to|returned to|abandon\w*|closed-sourced|open-sourced|re-?licen[cs]ed|"
                     r"stopped|started|began)\b", re.I)
"""Words that state a change or an exception ("closed ... for the first time", "no longer open")."""


def claim_stances(claim: Claim, exact: dict[str, list[int]], names: list[tuple[int, int]]) -> list[list]:
    """[subject, axis, pole, words, member] for each stance a claim takes on a subject it names whole
    (member: said of a model, counted for its family on FAMILY_AXES). A function of the claim
    alone, kept with its claims (kg.claims.perfile)."""
    out: list[list] = []
    for subject, offsets in exact.items():
        offsets = [o for o in offsets if claim.text[o:o + 1].isupper() or claim.text[o:o + 1].isdigit()]
        if not offsets or _STANCE_WORD.search(subject):
            continue  # a name, not a common noun ("the barbell is where closed models earn")
        families = keys(subject)[1:] if re.search(r"\d", subject) else []  # Llama 2 is a Llama
        for axis, (pole, words) in stance_near(claim.text, offsets, names, claim.quoted).items():
            out.append([subject, axis, pole, words, False])
            for family in families if axis in FAMILY_AXES else []:
                out.append([family, axis, pole, words, True])
    return out


def polarity_pairs(pool: Pool) -> list[tuple[int, int, str, str, str, str]]:
    """(i, j, subject, axis, words of i, words of j, family) of claims from different files that take opposite
    stances on one subject, named whole in both: every claim's stances are indexed by subject, so
    two claims far apart in wording still meet. One pair per subject, axis and pair of files: the
    two claims most alike."""
    index: dict[tuple[str, str], list[tuple[int, str, str, bool]]] = {}
    every = range(len(pool.claims))  # (a claim is made only when its stances are not known: an edit's pool makes few;
    # when they are, the claims that take none are passed over in a C loop)
    for i in every if pool.stances is None else flagged(pool.stances):
        found = pool.stances[i] if pool.stances is not None else \
            claim_stances(pool.claims[i], pool.exact[i], pool.names[i])
        for subject, axis, pole, words, member in found:
            index.setdefault((subject, axis), []).append((i, pole, (pole, words), member))
    best: dict[tuple, tuple[float, tuple[int, int, str, str, str, str, bool]]] = {}
    for (subject, axis), found in index.items():
        for n, (i, pole_i, words_i, member_i) in enumerate(found):
            for j, pole_j, words_j, member_j in found[n + 1:]:
                doc_a, doc_b = doc_of(pool, i), doc_of(pool, j)
                if pole_i == pole_j or doc_a == doc_b or (member_i and member_j):
                    continue  # Llama 2 and Llama 3 are two models; Llama and Llama 2 are one family
                if axis == "trend" and _other_objects(pool.claims[i].text, words_i[1], _said_at(pool, i, subject),
                                                      pool.claims[j].text, words_j[1], _said_at(pool, j, subject)):
                    continue  # "X narrows the basket" and "X widens the achievement": two things
                key = (subject, axis, *sorted((doc_a, doc_b)))
                cosine = float(pool.vectors[i] @ pool.vectors[j])
                if key not in best or cosine > best[key][0]:
                    best[key] = (cosine, (i, j, subject, axis, words_i, words_j, member_i or member_j))
    ranked = sorted(best.values(), key=lambda item: (-item[0], -len(item[1][2])))  # a pair under its longest name
    out, seen, per_subject = [], set(), {}
    for _, pair in ranked:
        i, j, subject, axis = pair[:4]
        rows = (min(i, j), max(i, j))
        if rows in seen or per_subject.get((subject, axis), 0) >= PER_SUBJECT:
            continue  # one subject named by a concept and a name; a subject said open and closed in many files
        seen.add(rows)
        per_subject[(subject, axis)] = per_subject.get((subject, axis), 0) + 1
        out.append(pair)
    return out


def _said_at(pool: Pool, row: int, subject: str) -> int:
    """Where a claim first names a subject (0 for a family it names through one of its models)."""
    return min(pool.exact[row].get(subject) or [0])


def _other_objects(text_a: str, words_a: str, at_a: int, text_b: str, words_b: str, at_b: int) -> bool:
    """Whether two trend stances (their words said of a subject named at `at_`) are done to
    different things: either names what narrows or widens and the two heads differ (a trend of
    nothing named is the subject's own)."""
    a, b = trend_object(text_a, words_a, at_a), trend_object(text_b, words_b, at_b)
    return bool(a or b) and not (a & b)


def polarity(pool: Pool, i: int, j: int, subject: str, words_i: tuple[str, str], words_j: tuple[str, str],
             family: bool = False) -> Tension:
    """The tension of two opposite stances: temporal when the later source states the change
    ("closed-sourced ... for the first time", "no longer"), else polarity."""
    a, b = pool.claims[i], pool.claims[j]
    da, db = pool.dates[i], pool.dates[j]
    if da and db and da > db:
        a, b, da, db, words_i, words_j, i, j = b, a, db, da, words_j, words_i, j, i
    label = _label(a.text, pool.exact[i].get(subject) or [], subject)
    if label == subject and b.text.lower().find(subject) >= 0:
        label = _label(b.text, [b.text.lower().find(subject)], subject)
    cosine = float(pool.vectors[i] @ pool.vectors[j])
    score = 0.6 + 0.2 * min(max(cosine, 0.0), 1.0)
    if family:  # a family and one of its models
        score -= 0.1
    if _CHANGE.search(a.text) or _CHANGE.search(b.text):
        score -= 0.15  # one side states a change or an exception: likely other models or other times
    if da and db and da != db:
        if _CHANGE.search(b.text):
            return Tension(id=tension_id(where(a), where(b)), kind="temporal", a=side(a), b=side(b),
                           subjects=[subject], score=round(min(score + 0.1, 0.95), 3),
                           explanation=f"{label} changed from {words_i[0]} to {words_j[0]}: {_where(a)} ({da}) says "
                                       f"\"{words_i[1]}\", and the later {_where(b)} ({db}) says \"{words_j[1]}\"")
        if _CHANGE.search(a.text):
            score -= 0.2  # the earlier source reports a change the later one does not mention: likely other versions
    return Tension(id=tension_id(where(a), where(b)), kind="polarity", a=side(a), b=side(b), subjects=[subject],
                   score=round(score, 3),
                   explanation=f"{label} is {words_i[0]} in {_where(a)} (\"{words_i[1]}\") but {words_j[0]} in "
                               f"{_where(b)} (\"{words_j[1]}\")")


_STANCE_WORD = re.compile(r"\b(?:open|closed|proprietary|free|paid)\b", re.I)
"""Subjects named by a stance word ("closed-weight models") cannot take a stance on themselves."""


def _label(text: str, offsets: list[int], key: str) -> str:
    """A subject as written in the text, for explanations."""
    if offsets:
        m = re.match(r"[\w.+-]+(?:(?: &)? [A-Z0-9][\w.+-]*)*", text[offsets[0]:])  # "Crate & Co"
        if m:
            return m.group()
    return key


NOTHING, NUMERIC, SAME = 0, 1, 2
"""What a candidate pair was judged to be: nothing, a numeric tension, or one fact said twice."""


def candidates(pool: Pool) -> list[tuple[int, int, float, list[str] | None]]:
    """Every candidate pair of the pool (i, j, cosine, shared subjects, None for a neighbour pair:
    looked up when judged): embedding neighbours, and claims whose figures are said of one
    measured word."""
    first, second, cosines = candidate_pairs(pool)
    return list(zip(first.tolist(), second.tolist(), cosines.tolist(), itertools.repeat(None))) + \
        measure_candidates(pool, Known(first, second, len(pool.claims)))


class Known:
    """Pairs of rows (first < second) held as one sorted int64 each, that answer `(i, j) in known`."""

    def __init__(self, first: np.ndarray, second: np.ndarray, n: int):
        self.n = max(n, 1)
        self.codes = np.sort(first.astype(np.int64) * self.n + second)

    def __contains__(self, pair: object) -> bool:
        i, j = pair  # type: ignore[misc]
        code = i * self.n + j
        at = int(np.searchsorted(self.codes, code))
        return at < len(self.codes) and int(self.codes[at]) == code


def measure_candidates(pool: Pool, known: Known | set[tuple[int, int]],
                       rows: list[int] | None = None, among: set[tuple[int, int]] | None = None
                       ) -> list[tuple[int, int, float, list[str]]]:
    """The `measure_pairs` not in `known` that are alike enough, or pinned by qualifiers on one side
    (MEASURE_COSINE); with `rows`, only pairs that involve one of them; with `among`, only those
    of its pairs (each smaller row first)."""
    out = []
    pairs = measure_pairs(pool, set(rows) if rows is not None else None)
    for i, j in sorted(p for p in (pairs if among is None else pairs & among) if p not in known):
        cosine = float(pool.vectors[i] @ pool.vectors[j])
        if cosine >= MEASURE_COSINE or _tiered(pool.claims[i], pool.claims[j]):
            out.append((i, j, cosine, [k for k in pool.subjects[i] if k in pool.subjects[j]]))
    return out


def judge(pool: Pool, i: int, j: int, cosine: float, shared: list[str]) -> int:
    """NUMERIC, SAME or NOTHING for one candidate pair: a function of the two claims alone, so a
    build keeps the verdicts of pairs whose claims did not change."""
    a, b = pool.claims[i], pool.claims[j]
    if not shared and not (a.quantities and b.quantities):
        return NOTHING
    studies = a.origin == b.origin == "source" and (_study(a) or _study(b))
    if not studies and numeric(a, b, cosine, frozenset(shared)):
        return NUMERIC
    same_figure = any(agree(x, y) and x.kind != "date" for x, y in quantity_pairs(a.quantities, b.quantities)[0])
    if cosine >= CORROBORATE_COSINE or (same_figure and cosine >= CORROBORATE_WITH_FIGURE):
        return SAME
    return NOTHING


def detect(pool: Pool, pairs: list[tuple[int, int, float, list[str]]] | None = None,
           verdicts: list[int | None] | None = None,
           joined: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[Tension], list[list[int]]]:
    """Detected tensions, and corroboration clusters (lists of pool rows, two files or more).
    `pairs` are the candidates (default: `candidates(pool)`; shared subjects may be None, looked
    up when needed), `verdicts` what is already known of them (None where a pair must be judged);
    after the call `verdicts` holds every verdict. `joined` (first rows, second rows) are pairs
    already known to be SAME: they only join clusters, so they need not be in `pairs` (an edit of a
    10k vault keeps 180k of them, and looking at each in turn took 0.6 s)."""
    tensions: list[Tension] = []
    if pairs is None:
        pairs = candidates(pool)
    if verdicts is None:
        verdicts = [None] * len(pairs)
    pool.pairs = len(pairs) + (len(joined[0]) if joined is not None else 0)
    paired = set()
    same: list[tuple[int, int]] = []
    figures: dict[tuple, Tension] = {}
    last = -1
    for n, (i, j, cosine, shared) in enumerate(pairs):
        if pool.progress and n % 20_000 == 0:
            pool.progress("Finding tensions: judging pairs", n, len(pairs))
        if i != last and pool.passed is not None:
            pool.passed(i)
            last = i
        if shared is None and verdicts[n] != SAME and verdicts[n] != NOTHING:
            shared = [k for k in pool.subjects[i] if k in pool.subjects[j]]
        if verdicts[n] is None:
            verdicts[n] = judge(pool, i, j, cosine, shared)
        if verdicts[n] == NUMERIC:
            a, b = pool.claims[i], pool.claims[j]
            key = (pool.keys[i], pool.keys[j]) if pool.keys else None
            found = pool.explained.get(key) if key else None
            if found is None:
                found = numeric(a, b, cosine, frozenset(shared))
                if key:
                    pool.explained[key] = found
            if key:
                pool.explaining.add(key)
            text, score, compared = found
            paired.add((i, j))
            tension = Tension(id=tension_id(where(a), where(b)), kind="numeric", explanation=placed(text, a, b),
                              score=round(score, 3), a=side(a), b=side(b), subjects=shared)
            best = figures.get(compared)  # one disagreement restated in five notes is one tension:
            if best is None or (best.score, best.id) < (tension.score, tension.id):  # the same whatever the order
                figures[compared] = tension
        elif verdicts[n] == SAME:
            same.append((i, j))
    tensions += sorted(figures.values(), key=lambda t: t.id)  # in one order, whichever search found them
    pool.polar, polar = stance_tensions(pool, paired)
    tensions += polar
    found = np.array(same, dtype=np.int64).reshape(-1, 2)
    if joined is not None:
        found = np.concatenate([found, np.stack([np.asarray(joined[0]), np.asarray(joined[1])], axis=1)
                                .astype(np.int64).reshape(-1, 2)])
    clusters = [rows for rows in components(len(pool.claims), found[:, 0], found[:, 1])
                if len({pool.claims[r].doc for r in rows}) > 1]
    return tensions, clusters


def stance_tensions(pool: Pool, numeric: set[tuple[int, int]]) -> tuple[list[str], list[Tension]]:
    """The ids of every pair of claims that take opposite stances (`polarity_pairs`), in order, and
    the tensions of those pairs not judged numeric (`numeric`: rows, the smaller first), which a
    numeric tension stands for."""
    ids, found = [], []
    for i, j, subject, _, words_i, words_j, family in polarity_pairs(pool):
        ids.append(tension_id(where(pool.claims[i]), where(pool.claims[j])))
        if (min(i, j), max(i, j)) not in numeric:
            found.append(polarity(pool, i, j, subject, words_i, words_j, family))
    return ids, found


def labels(n: int, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Each row's group among rows 0 to n-1 that these pairs join, named by the group's first row.
    In arrays: every row takes the lowest label of a row it is paired with, then the label of its
    label, until nothing changes."""
    label = np.arange(n, dtype=np.int64)
    while len(first):
        before = label
        low = np.minimum(label[first], label[second])
        label = label.copy()
        np.minimum.at(label, first, low)
        np.minimum.at(label, second, low)
        label = label[label]
        if np.array_equal(label, before):
            break
    return label


def components(n: int, first: np.ndarray, second: np.ndarray) -> list[list[int]]:
    """The groups of two rows or more that these pairs join (rows 0 to n-1), each ascending, in the
    order of their first row (`labels`)."""
    label = labels(n, first, second)
    order = np.argsort(label, kind="stable")
    starts = np.r_[0, np.nonzero(np.diff(label[order]))[0] + 1]
    sizes = np.diff(np.r_[starts, n])
    # the rows of groups of two or more, listed once and cut in Python: one array per row of the
    # pool (most are alone) took 0.15-0.2 s of a 10k vault's edit
    rows = order[np.repeat(sizes > 1, sizes)].tolist()
    ends = np.cumsum(sizes[sizes > 1]).tolist()
    return [rows[start:end] for start, end in zip([0, *ends], ends)]
