"""The knowledge stage of the build: claims -> evidence -> tensions -> status (docs/knowledge.md: Evidence, Tensions, Status and counts).

    claims (kg.claims.extract) + vectors of note claims and source sentences
      -> declared evidence (citations, quotes, sentence links) and inferred evidence
      -> detected tensions (numeric, polarity, temporal), corroboration clusters, declared tensions
      -> each claim's status and counts, and the problems a writer should see
"""

from __future__ import annotations

import re
from collections import Counter
import functools
import hashlib
import itertools
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import orjson
from pydantic import TypeAdapter

from kg.arrays import isin, unique, unique_columns
from kg.claims.evidence import (
    MIN_DECLARED,
    Matcher,
    SourceSentence,
    at_sentence,
    find_quote,
    quotes,
    reanchor,
    selector,
)
from kg.claims.evidence_set import FIGURE, EvidenceSet, Kept, Tally, as_set, json_of, no_items
from kg.claims.extract import claim_id
from kg.claims.perfile import COLUMNS, KINDS, MEASURES, SOURCE, STANCES, ClaimRows, Extra, measure_hash
from kg.claims.subjects import keys
from kg.claims.tensions import (
    CONFIDENT,
    MEASURE_GROUP,
    NOTHING,
    SAME,
    Known,
    Pool,
    candidate_pairs,
    detect,
    doc_of,
    measure_candidates,
    measure_groups,
    measures_of,
    nearest_again,
    pairs_touching,
    side,
    still_paired,
    tension_id,
    where,
)
from kg.memory import give_back
from kg.model import Claim, Diagnostic, Evidence, Selector, Sentence, Tension, TensionSide, shortened
from kg.search.index import Gathered, copy_rows

MIN_SENTENCE_WORDS = 4
NAMED_CLAIM_COSINE = 0.35
"""A declared tension names the claim of a linked note or source most like it, if at least this alike."""
CANDIDATE_MIN = 3
"""A name without a note is suggested as a concept when this many sentences, from two sources or
more, name it."""
_SENTENCE_ANCHOR = re.compile(r"s-[0-9a-f]{8}")
_VERSION = re.compile(r"[\s-]?\d|[.\d]")

RELATED_MIN = 0.6
RELATED_PER_PAGE = 6
INCREMENTAL_SHARE = 0.3
"""When more than this share of the claims is new, tensions are looked for afresh over the whole
pool (one neighbour index) instead of pair by pair for the new claims."""
INFER_AT_ONCE = 8192
"""Claims whose evidence is searched at once (`_inferred`), their items then kept as JSON."""

Vectors = Callable[[list[str]], np.ndarray]
_EVIDENCE = TypeAdapter(list[Evidence])


@dataclass
class Knowledge:
    """What the knowledge stage adds to a vault's claims."""

    claims: list[Claim]
    evidence: list[Evidence] = field(default_factory=list)
    tensions: list[Tension] = field(default_factory=list)
    clusters: dict[str, list[str]] = field(default_factory=dict)
    """Corroboration clusters: id -> claim ids (claims from two files or more that state one fact)."""
    candidates: list[dict] = field(default_factory=list)
    """Named subjects with no note: {name, sentences, sources, doc, line}."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    anchors: dict[str, dict[str, dict]] = field(default_factory=dict)
    """Selectors of the sentence anchors notes link to, by source path: kept so that a link
    re-anchors after the sentence is edited."""
    held: list[Tension] = field(default_factory=list)
    """Detected tensions below the confidence a reader is shown by default (`kg tensions --all`)."""
    dismissed: list[Tension | Evidence] = field(default_factory=list)
    """Tensions and evidence the user dismissed (kg.claims.review); they count nowhere."""
    paired: list[str] = field(default_factory=list)
    """The ids of the numeric tensions found from pairs of claims (`_tensions`), not from a claim's
    evidence: kept with the settled rows, so that a patch (kg.claims.delta) tells them apart."""
    polar: list[str] = field(default_factory=list)
    """The ids of the pairs of claims that take opposite stances (kg.claims.tensions.Pool.polar),
    those left out as numeric too: kept with the settled rows, so that a patch whose numeric pairs
    leave the same ones out keeps the polarity tensions as they are."""
    related: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Note path -> (id, doc) of the claims of other files nearest in meaning to its claims (cosine
    at least RELATED_MIN, best first, at most RELATED_PER_PAGE): from the tension search's
    neighbours, so the site needs no search of its own."""


def counts(found: Knowledge) -> dict:
    """The vault's counts, computed here only and shown the same by `kg build`, the home page and
    the claims index: claims (statements, not questions) of notes and of sources, the notes' claims
    by status (they add up to `note_claims`), the notes' open questions, evidence and tensions shown."""
    tally = Counter((c.kind, c.origin, c.status) for c in found.claims)  # one pass: four took 0.2 s at 10k
    mine = {status: n for (kind, origin, status), n in tally.items() if kind == "claim" and origin == "note"}
    statements = sum(n for (kind, _, _), n in tally.items() if kind == "claim")
    return {"claims": statements, "note_claims": sum(mine.values()), "source_claims": statements - sum(mine.values()),
            **{s: mine.get(s, 0) for s in ("supported", "contested", "unsupported")},
            "questions": sum(n for (kind, origin, _), n in tally.items() if kind == "question" and origin == "note"),
            "evidence": len(found.evidence), "tensions": len(found.tensions)}


@dataclass
class Memo:
    """What the last analysis found that this one may keep (kg.claims.store loads and saves it).
    Everything is keyed by what it was computed from, so a kept item is what a fresh analysis
    would find again."""

    inferred: dict[str, tuple[str, float, str, str, str | None]] = field(default_factory=dict)
    """Claim id -> (key of its declared anchors, cosine of its k-th nearest sentence, JSON list of
    the source paths of its evidence, its `Tally`, evidence JSON): the inferred evidence of each
    claim. The evidence JSON is None where it is as the store keeps it (`evidence_json` reads it)."""
    evidence_json: Callable[[list[str]], dict[str, str]] | None = None
    """Claim ids -> their evidence JSON as the store keeps it: read a few hundred claims at a time
    when a kept claim's items are asked for (kg.claims.evidence_set.Kept), rather than all held in
    the memo (50 MB of a 10k vault's edit)."""
    declared: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """Claim where -> (key of its text, citations and cited sources, evidence JSON, problems JSON)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Source path -> hash at the last analysis."""
    pool_keys: np.ndarray | None = None
    """The keys of `pool` as the store keeps them (24 bytes each), when read from it: decoded into
    `pool` only when asked for (the 145k of a 10k vault took 0.02-0.07 s of an edit, whose listing
    joins the arrays: `_RowsListed`)."""
    _pool: list[str] | None = None
    vectors: np.ndarray | None = None
    """The vectors of the pool's claims: the rows of `vector_rows` (a heap that an edit appends to,
    kg.search.heap.keep_heap), or, after an analysis, one row per claim of the pool."""
    vector_rows: np.ndarray | None = None
    """The row of `vectors` of each claim of the pool; after an analysis, its row in the heap it was
    read from, -1 for a claim whose vector is not there yet."""
    heap: tuple[str, int] | None = None
    """The heap the pool's vectors were read from: its name and how many rows it holds."""
    kth: np.ndarray | None = None
    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int32))
    """Every candidate pair with its verdict (kg.claims.tensions.judge): rows (first row, second
    row, verdict), the rows those of `pool`. Arrays, not keyed rows: a vault has millions of
    pairs, and an edit maps them to the new pool in one step."""
    cosines: np.ndarray | None = None
    """The cosine of each pair of `pairs` (a kept pair's is not computed again: 1.4 s of a 10k edit)."""
    docs: Sequence[str] | None = None
    """The file of each claim of `pool`."""
    related: dict[str, list[tuple[str, str]]] | None = None
    """Knowledge.related of the last analysis: an edit ranks again only the notes whose pairs changed."""
    reranked: set[str] = field(default_factory=set)
    """Notes whose related claims a patch that left the memo as it was (the sources had changed)
    ranked again since this memo (kg.claims.delta): ranked again until the memo is written."""
    crowded_words: set[tuple[str, str]] | None = None
    """The measured words with more figures than kg.claims.tensions.MEASURE_GROUP, which pair no
    claims (`crowded_words`), kept with the pool (None: not known, from a kg before they were)."""
    explained: dict[tuple[str, str], tuple] = field(default_factory=dict)
    """What kg.claims.tensions.numeric said of each numeric pair, by the keys of its two claims
    (its explanation, confidence and what it compared: 1 s of a 10k edit to say again)."""
    sentences: tuple[np.ndarray, np.ndarray] | Callable[[], tuple[np.ndarray, np.ndarray] | None] | None = None
    """The source sentences' vectors the last matcher used: (text keys, vectors), or what loads
    them when first asked (kg.claims.store keeps them in their own file)."""
    changed: int = 0
    """After an analysis: how many claims were judged afresh (evidence and pairs)."""
    roster: dict | None = None
    """Which sentence of which source each row of `sentences` is: {"keys": digest of the sentences'
    text keys, "parsed": the parse settings, "sources": [[source id, path, hash, [sentence
    indexes]], ...]}. While every source and the parse settings are as they were, the matcher makes
    only the sentences it looks at (`_Roster`) instead of reading every source (1.2 s of a 10k
    vault's edit)."""
    made: _Made | None = None
    """After an analysis: what reads the items it found (`_Made`), told once the store keeps them."""
    spill: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    """Writes new source sentence vectors (keys, vectors) where the store keeps them and gives them
    back memory-mapped, so that the analysis holds no copy of them from the end of the evidence
    search to its save (a 10k vault's 107 MB through the tension search)."""

    @property
    def pool(self) -> list[str]:
        """Claim keys (`claim_key`) of the last tension pool, in order; `kth` and `vector_rows` follow it."""
        if self._pool is None:
            self._pool = [] if self.pool_keys is None else [k.decode() for k in self.pool_keys.tolist()]
        return self._pool

    @pool.setter
    def pool(self, keys: list[str]) -> None:
        self._pool, self.pool_keys = keys, None

    @property
    def pool_size(self) -> int:
        """How many claims `pool` holds (without decoding `pool_keys`)."""
        return len(self.pool_keys) if self._pool is None and self.pool_keys is not None else len(self.pool)


def claim_key(claim: Claim, extra) -> str:
    """Everything a claim's verdicts are made from: where it is written, its text and subjects."""
    text = json.dumps([claim.doc, claim.id, claim.text, claim.origin, claim.kind, claim.cites, extra[:3]],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class _Sources(Mapping):
    """Parsed sources by id, loaded on first use: an edit that needs none of them reads none."""

    def __init__(self, kb):
        self.kb = kb
        self.paths = {sid: path for sid, path in kb.source_ids.items() if path in kb.sources}

    def __getitem__(self, sid: str):
        return self.kb.doc(self.paths[sid])

    def __contains__(self, sid: object) -> bool:
        return sid in self.paths

    def __iter__(self):
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


def analyse(kb, claims: list[Claim], extras: list[Extra], vectors_for: Vectors, previous_anchors: dict | None = None,
            memo: Memo | None = None, progress=None, named: Callable[[], list[tuple[str, list]]] | None = None,
            listed: _Listed | None = None) -> tuple[Knowledge, Memo]:
    """Evidence, tensions and status for every claim of the vault, keeping from `memo` what the
    changes leave valid; returns the knowledge and the memo to keep for the next analysis.
    `extras[i]` is claims[i]'s kg.claims.perfile.Extra; `listed`, the claims sorted out
    (`_Listed`), when they were already."""
    memo = memo or Memo()
    out = Knowledge(claims=claims, evidence=EvidenceSet())
    new = Memo()
    sources = _Sources(kb)
    new.sources = {path: kb.infos[path].hash for path in sources.paths.values()}
    changed_sources = {p for p, h in new.sources.items() if memo.sources.get(p) != h} | (set(memo.sources) - set(new.sources))
    listed = listed or _Listed(claims, extras)
    keys = listed.keys
    kept_pool = memo.vectors is not None and memo.pool_size > 0
    matrix, kth, rows, missing, incremental = pooled(listed, memo, vectors_for)
    gone = _gone_vectors(listed, memo) if incremental else None
    memo.vectors = None  # (in `matrix`, or copied: held to the end otherwise, 280 MB at 10k notes)
    vector = ClaimVectors(listed, matrix, vectors_for)
    new.sentences, new.roster = memo.sentences, memo.roster
    matcher = _lazy_matcher(kb, sources, vectors_for, memo if kept_pool else None, new)
    by_block = listed.by_block
    with kb.holding():  # the sources' parses the evidence reads go with the matcher
        _declared_evidence(kb, out, listed.notes, matcher, sources, vector, by_block, previous_anchors or {}, memo, new)
        declared = {}
        for e in out.evidence:
            declared.setdefault(e.claim, set()).add(e.anchor)
        out.evidence += _inferred(list(listed.first.values()), declared, vector, matcher, sources, changed_sources,
                                  memo, new, progress)
        listed.first = {}
        matcher = None  # used no further: its sentences and their index go before the tension search
        if memo.spill is not None and isinstance(new.sentences, tuple) and not isinstance(new.sentences[1], np.memmap):
            new.sentences = memo.spill(*new.sentences)
    new.pool, new.vectors, new.kth, new.vector_rows, new.heap = keys, matrix, kth, rows, memo.heap
    new.docs = listed.pool_docs
    moved = listed.rows_in(memo)[1]  # memo's pool row -> this pool's
    _tensions(kb, out, listed, matrix, moved,
              missing if incremental else None, memo, new, progress, gone)
    if not incremental:  # what the search freed (its graph, its neighbours), handed back: glibc kept it
        give_back()
    out.paired = [t.id for t in out.tensions if t.kind == "numeric"]
    _opposing_evidence(out)
    vector.fetch(listed.tensions)
    _declared_tensions(kb, out, vector, listed)
    _candidates(kb, out, named() if named else _named_of(out.claims))
    return out, new


class ClaimVectors:
    """A claim's vector: its row of the pool's matrix, or embedded when first asked (a declared
    tension, which is not in the pool)."""

    def __init__(self, listed: _Listed, matrix: np.ndarray, vectors_for: Vectors):
        self.row_of, self.matrix, self.vectors_for = listed.row_of, matrix, vectors_for
        self.other: dict[tuple[str, str], np.ndarray] = {}

    def __call__(self, claim: Claim) -> np.ndarray | None:
        n = self.row_of.get((claim.doc, claim.id))
        if n is not None:
            return self.matrix[n]
        if (claim.doc, claim.id) not in self.other:
            self.other[(claim.doc, claim.id)] = self.vectors_for([claim.text])[0]
        return self.other[(claim.doc, claim.id)]

    def of(self, doc: str, cid: str) -> np.ndarray:
        """The vector of the pool's claim written in `doc` with this id, as a call with its model
        gives it."""
        return self.matrix[self.row_of[doc, cid]]

    def fetch(self, claims: list[Claim]) -> None:
        """The vectors of these claims not in the pool, in one call rather than one call each."""
        todo = [c for c in claims if (c.doc, c.id) not in self.row_of and (c.doc, c.id) not in self.other]
        if todo:
            for c, v in zip(todo, self.vectors_for([c.text for c in todo])):
                self.other[(c.doc, c.id)] = v


def rows_of(keys: list[str], among: list[str], row: dict[str, int] | None = None) -> np.ndarray:
    """Each key's row in `among` (the last, for a key twice there: a claim a file writes twice), -1
    where it is not there; in C loops (a comprehension took 0.2 s at 10k). `row`: each key of
    `among` to its row, when made already."""
    row = dict(zip(among, range(len(among)))) if row is None else row
    return np.fromiter(map(row.get, keys, itertools.repeat(-1, len(keys))), dtype=np.int64, count=len(keys))


def rows_both(keys: list[str], among: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """`rows_of(keys, among)` and `rows_of(among, keys)`, with one dict when `among` holds each key
    once: the second is then the first turned around (each of a 10k vault's two took 0.05 s)."""
    row = dict(zip(among, range(len(among))))
    source = rows_of(keys, among, row)
    if len(row) < len(among):
        return source, rows_of(among, keys)
    back = np.full(len(among), -1, dtype=np.int64)
    found = np.nonzero(source >= 0)[0]
    np.maximum.at(back, source[found], found)  # (the last row of a key there twice, as `rows_of` gives)
    return source, back


def _gone_vectors(listed: _Listed, memo: Memo) -> np.ndarray:
    """The vectors of the claims of the memo's pool gone from this one (they were among other
    claims' nearest: kg.claims.tensions.pairs_touching)."""
    gone = np.nonzero(listed.rows_in(memo)[1] < 0)[0]
    held = memo.vector_rows if memo.vector_rows is not None else np.arange(memo.pool_size)
    return np.asarray(memo.vectors[held[gone]], dtype=np.float32)  # (none gone: 0 rows of the vectors' width)


def pooled(listed: _Listed, memo: Memo, vectors_for: Vectors,
           most: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], bool] | None:
    """The vectors of the pool's claims (the memo's where it has them, the others embedded), each
    one's cosine to its k-th nearest (the memo's; 1 for a claim new to the pool), its row in the
    memo's heap (-1 for a new one), the rows of the new ones, and whether the analysis is
    incremental (few are new: the matrix then reads the kept vectors where they lie). None, before
    anything is embedded, when more than `most` are new."""
    keys = listed.keys
    source = listed.rows_in(memo if memo.vectors is not None else None)[0]
    missing = np.nonzero(source < 0)[0].tolist()
    if most is not None and len(missing) > most:
        return None
    fresh = vectors_for([listed.pool[n].text for n in missing]) if missing else np.zeros((0, 384), dtype=np.float32)
    kth = np.ones(len(keys), dtype=np.float32)
    kept_pool = memo.vectors is not None and memo.pool_size > 0
    incremental = kept_pool and len(missing) <= INCREMENTAL_SHARE * len(keys)
    rows = np.full(len(keys), -1, dtype=np.int64)  # each claim's row in the heap it was read from
    if kept_pool:
        held = memo.vector_rows if memo.vector_rows is not None else np.arange(memo.pool_size)
        rows = np.where(source >= 0, held[np.maximum(source, 0)], -1) if len(held) else rows
        copy_rows(memo.kth, source, kth)
    if incremental:  # the kept claims' vectors where they lie, in the memo's heap
        return Gathered(memo.vectors, rows, fresh), kth, rows, missing, True
    matrix = np.zeros((len(keys), 384), dtype=np.float32)  # (a fresh analysis held all 180k claim vectors
    if kept_pool:  # twice, to its end: `fresh` goes once copied)
        copy_rows(memo.vectors, rows, matrix)
    matrix[missing] = fresh
    return matrix, kth, rows, missing, False


def _lazy_matcher(kb, sources: _Sources, vectors_for: Vectors, memo: Memo | None, new: Memo) -> Callable[[], Matcher]:
    """The matcher of every source sentence, made on first use (it reads every source). With
    `memo` (an incremental analysis), the vectors of sentences the last matcher had are its own
    (the search index's store gave 70k of them in 1.4 s); a fresh analysis asks the store for
    every one, so that it keeps them."""
    made: list[Matcher] = []

    def get() -> Matcher:
        if not made and memo is not None:
            made.extend(m for m in [_roster_matcher(kb, sources, memo)] if m is not None)
        if not made:
            # the cached parses as plain data, sentences alone made models: an edit whose one new
            # claim needs the matcher does not build every source (8 s of a 10k vault's edit)
            raw = kb.raw([sources.paths[sid] for sid in sorted(sources.paths)])
            sentences, listed = [], []
            for sid in sorted(sources.paths):
                path = sources.paths[sid]
                data = raw.get(path)
                if data is None:
                    found, digest = sources[sid].sentences, sources[sid].hash
                else:
                    found, digest = [Sentence.model_validate(s) for s in data.get("sentences", [])], data["hash"]
                mine = [SourceSentence(sid, path, i, s, digest) for i, s in enumerate(found)
                        if len(s.text.split()) >= MIN_SENTENCE_WORDS]
                sentences += mine
                listed.append([sid, path, digest, [s.index for s in mine]])
            texts = [s.sentence.text for s in sentences]
            keys = _text_keys(texts)
            made.append(Matcher(sentences, _sentence_vectors(texts, keys, vectors_for, memo, new)))
            new.roster = {"keys": _keys_digest(keys), "parsed": kb.parsed_with, "sources": listed}
        return made[0]
    return get


def _roster_matcher(kb, sources: _Sources, memo: Memo) -> Matcher | None:
    """The matcher of the last analysis's sentences, made only where looked at, when every source
    and the parse settings are as they were then (`Memo.roster`); else None."""
    roster = memo.roster
    if not roster or roster.get("parsed") != kb.parsed_with or \
            [tuple(entry[:3]) for entry in roster["sources"]] != \
            [(sid, sources.paths[sid], kb.infos[sources.paths[sid]].hash) for sid in sorted(sources.paths)]:
        return None
    kept = memo.sentences() if callable(memo.sentences) else memo.sentences
    if kept is None or _keys_digest(kept[0]) != roster["keys"]:
        return None
    listed = _Roster(kb, roster["sources"])
    return Matcher(listed, kept[1], listed.by_source())


class _Roster(Sequence):
    """The matcher's sentences as `Memo.roster` lists them, each made when first looked at: an
    edit's few claims look at a few hundred of a 10k vault's 70k."""

    def __init__(self, kb, listed: list):
        self.kb, self.listed = kb, listed
        self.first = np.cumsum([0] + [len(entry[3]) for entry in listed])
        self.made: dict[int, SourceSentence] = {}
        self.read: dict[str, list] = {}

    def __len__(self) -> int:
        return int(self.first[-1])

    def __getitem__(self, row: int) -> SourceSentence:
        if not 0 <= row < len(self):
            raise IndexError(row)
        made = self.made.get(row)
        if made is None:
            n = int(np.searchsorted(self.first, row, "right")) - 1
            sid, path, digest, indexes = self.listed[n]
            if path not in self.read:
                self.prefetch([row])
            i = indexes[row - int(self.first[n])]
            sentence = self.read[path][i]
            made = self.made[row] = SourceSentence(
                sid, path, i, sentence if isinstance(sentence, Sentence) else Sentence.model_validate(sentence), digest)
        return made

    def __iter__(self):
        return (self[row] for row in range(len(self)))

    def prefetch(self, rows) -> None:
        """Read the sources of these rows at once (`Matcher.infer`, before it looks at them): read
        one at a time, each opened the parse cache again, 0.03 s of a 10k vault's edit for the 20
        sentences nearest one claim."""
        size = len(self)
        paths = {self.listed[int(n)][1] for n in np.searchsorted(self.first, [r for r in rows if 0 <= r < size], "right") - 1}
        paths -= self.read.keys()
        if paths:
            data = self.kb.raw(sorted(paths))
            for path in paths:
                self.read[path] = data[path].get("sentences", []) if path in data else self.kb.doc(path).sentences

    def by_source(self) -> dict[str, list[int]]:
        return {entry[0]: list(range(int(self.first[n]), int(self.first[n + 1]))) for n, entry in enumerate(self.listed)}


def _text_keys(texts: list[str]) -> np.ndarray:
    return np.array([hashlib.blake2b(t.encode(), digest_size=12).digest() for t in texts], dtype="S12")


def _keys_digest(keys: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(keys).tobytes(), digest_size=12).hexdigest()


def _sentence_vectors(texts: list[str], keys: np.ndarray, vectors_for: Vectors, memo: Memo | None,
                      new: Memo) -> np.ndarray:
    """The vectors of these sentences (`keys`: their `_text_keys`): the memo's where it has them, the
    others from `vectors_for`; sets `new.sentences`."""
    kept = memo.sentences() if memo is not None and callable(memo.sentences) else memo.sentences if memo else None
    if kept is None or not len(kept[0]):
        matrix = vectors_for(texts) if texts else np.zeros((0, 384), dtype=np.float32)
        new.sentences = (keys, matrix)
        return matrix
    old_keys, old = kept
    if np.array_equal(keys, old_keys):  # as they were: nothing to write
        new.sentences = memo.sentences
        return old
    row = {k: n for n, k in enumerate(old_keys.tolist())}
    source = np.fromiter((row.get(k, -1) for k in keys.tolist()), dtype=np.int64, count=len(keys))
    matrix = np.zeros((len(keys), old.shape[1]), dtype=np.float32)
    copy_rows(old, source, matrix)
    missing = np.nonzero(source < 0)[0]
    if len(missing):
        matrix[missing] = vectors_for([texts[n] for n in missing.tolist()])
    new.sentences = (keys, matrix)
    return matrix


def _inferred(asserted: list[Claim], declared: dict[str, set], vector, matcher, sources, changed_sources: set[str],
              memo: Memo, new: Memo, progress=None) -> list[Evidence]:
    """Inferred evidence of each claim id, kept from the memo unless its declared anchors changed,
    its evidence came from a changed source, or a new sentence comes among its nearest. A vault
    without sources has no sentence to find and nothing to keep: its claims are not gone through
    (a vault of 6,571 notes alone: 0.3 s of every edit to keep 74k claims' empty verdicts), and
    the first source it gets has every claim judged."""
    if not sources:
        return EvidenceSet()
    keep: dict[str, tuple] = {}  # (in claim order: `asserted` names each id once)
    for c in asserted:
        found = memo.inferred.get(c.id)
        if found is None:
            continue
        if found[0] == _inferred_key(declared, c) and \
                not (changed_sources and not changed_sources.isdisjoint(json.loads(found[2]))):
            keep[c.id] = found
    if changed_sources and keep:  # a new sentence among a kept claim's nearest: judge it again
        m = matcher()
        rows = [r for r, s in enumerate(m.sentences) if s.doc in changed_sources]
        if rows:
            ids = list(keep)
            claim_of = {c.id: c for c in asserted}
            sims = np.stack([vector(claim_of[i]) for i in ids]) @ m.vectors[rows].T
            for n, cid in enumerate(ids):
                if sims[n].max() >= keep[cid][1]:
                    del keep[cid]
    todo = [c for c in asserted if c.id not in keep]
    new.inferred.update(keep)
    held = {cid: found for cid, found in keep.items() if not no_items(found[3])}
    out = EvidenceSet()
    out += Kept(list(held), [Tally.loads(found[3]) for found in held.values()], [found[2] for found in held.values()],
                memo.evidence_json or (lambda ids: {cid: keep[cid][4] for cid in ids}))
    new.changed += len(todo)
    if todo:
        m = matcher()
        for start in range(0, len(todo), INFER_AT_ONCE):  # each part's items kept as JSON before the next is
            # searched: all 89k of a 10k vault's, held as models to the end of the search, were 138 MB
            part = todo[start:start + INFER_AT_ONCE]
            told = (lambda stage, done, _, at=start: progress(stage, at + done, len(todo))) if progress else None
            found, kths = m.infer(part, _Stacked(part, vector), sources, declared, told)
            by_claim: dict[str, list[Evidence]] = {}
            for e in found:
                by_claim.setdefault(e.claim, []).append(e)
            del found
            for c in part:
                mine = by_claim.pop(c.id, [])
                new.inferred[c.id] = (_inferred_key(declared, c), kths.get(c.id, -1.0),
                                      json.dumps(sorted({e.doc for e in mine})), Tally.of(mine).dumps(), json_of(mine))
        # the new items as the store will keep them, made again when asked, as a kept claim's are:
        # made again all at once after the tension search, a 10k vault's 89k items (138 MB as
        # models) were the peak of its cold build
        made = [c.id for c in todo if not no_items(new.inferred[c.id][3])]
        new.made = _Made({cid: new.inferred[cid][4] for cid in made}, memo.evidence_json)
        out += Kept(made, [Tally.loads(new.inferred[cid][3]) for cid in made], [new.inferred[cid][2] for cid in made],
                    new.made)
    return out


class _Made:
    """The JSON of the items an analysis found, by claim id, for the `Kept` run that holds them:
    from memory until the store keeps them (`stored`), then read from the store as a kept claim's,
    so that the build holds no copy of them once they are saved (a 10k vault's 89k items are 47 MB
    of JSON)."""

    def __init__(self, found: dict[str, str], read: Callable[[list[str]], dict[str, str]] | None):
        self.found: dict[str, str] | None = found
        self.read = read

    def __call__(self, ids: list[str]) -> dict[str, str]:
        if self.found is None:
            return self.read(ids)
        return {cid: self.found[cid] for cid in ids if cid in self.found}

    def stored(self) -> None:
        """The store keeps the items now (kg.claims.store saved the memo)."""
        if self.read is not None:
            self.found = None


def _inferred_key(declared: dict[str, set], claim: Claim) -> str:
    """What a claim id's inferred evidence depends on besides the sentences: the anchors of its
    declared items, and the claim it was inferred for: its text (an id the writer gave, `^gap-50x`,
    stays when the text changes), and its file and quoted links (kg.claims.evidence.said), which
    the words it shares with a sentence depend on. An id written in two files is inferred for the
    first (`_Listed.first`): a note written before the other, with the same text, takes it over."""
    anchors = declared.get(claim.id)
    key = [sorted(a or "" for a in anchors) if anchors else [], claim.doc, claim.quoted, claim.text]
    try:  # (orjson writes what json.dumps writes compactly, text as it is: 0.3 s of the standard
        # library's for the 107k claims of a 10k vault's edit that the analysis goes through)
        return orjson.dumps(key).decode()
    except TypeError:  # (a lone surrogate)
        return json.dumps(key, ensure_ascii=False, separators=(",", ":"))


class _Stacked:
    """The vectors of these claims, stacked a slice at a time as they are asked for (Matcher.infer
    reads 2,048 at a time): stacked at once, a fresh analysis of a 10k vault copied its 114k note
    claims' rows of the pool (175 MB) and held them through the evidence search."""

    def __init__(self, claims: list[Claim], vector: Callable[[Claim], np.ndarray]):
        self.claims, self.vector = claims, vector

    def __len__(self) -> int:
        return len(self.claims)

    def __getitem__(self, part: slice) -> np.ndarray:
        return np.stack([self.vector(c) for c in self.claims[part]])


class _Picked(Sequence):
    """Some rows of a sequence of claims, each made when first asked (kg.claims.perfile.ClaimRows)."""

    def __init__(self, claims: Sequence[Claim], rows: list[int]):
        self.claims, self.rows = claims, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self.claims[r] for r in self.rows[n]]
        return self.claims[self.rows[n]]


def _picked(values: list, rows: list[int]) -> list:
    """These rows of `values`, in a C loop (as a comprehension, the listing's five picks of a 10k
    vault's 145k statements took 0.1 s)."""
    if not rows:
        return []
    return list(operator.itemgetter(*rows)(values)) if len(rows) > 1 else [values[rows[0]]]


class _Listed:
    """The claims as the analysis's steps take them, sorted out in one pass (the seven passes it
    replaces took 0.8 s of a 10k vault's edit under the line profiler): `pool`, the statements
    (kind claim) whose pairs are searched, with their keys, files, ids and whether each is a
    source's (and any field of their extras: `pool_extra`), and each one's row by (doc, id), the
    last of a file's claims with an id giving it; `notes`, the notes' statements; `first`, the
    first of these of each id (a claim written in several notes has one evidence set);
    `tensions`, the declared tensions; `by_block`, the notes' claims of every kind by (doc, index
    of the block they come from); `files`, each file's claims as (start, end) in `claims`.

    Made of lists of claims and extras; of a `ClaimRows` (`of`), whose claims are made when first
    asked, it is a `_RowsListed`, which reads their records (`lazy`), as an edit's patch asks for
    a few (kg.claims.delta)."""

    lazy = False

    def __init__(self, claims: Sequence[Claim], extras: Sequence[Extra]):
        kinds, origins, docs, ids = ([getattr(c, name) for c in claims] for name in ("kind", "origin", "doc", "id"))
        blocks, keys = [e.block for e in extras], [e.key for e in extras]
        self.row_of: Mapping[tuple[str, str], int] = {}
        """Each statement's row in `pool` by (doc, id): the last of a file's with an id gives it."""
        self.tension_blocks: dict[tuple[str, int], None] = {}
        """The keys of `by_block` that hold a declared tension, in its order."""
        self.declaring: set[str] = set()
        """The notes that declare a tension."""
        pool, notes, tensions, blocked = [], [], [], []
        doc, starts, at, opened = None, [], None, []
        for n, (kind, origin, d, cid, block) in enumerate(zip(kinds, origins, docs, ids, blocks)):
            note = origin == "note"
            if d != at:
                at = d
                opened.append((at, n))
            if kind == "claim":
                if d != doc:
                    doc = d
                    starts.append((doc, len(pool)))
                self.row_of[d, cid] = len(pool)
                pool.append(n)
                if note:
                    notes.append(n)
            elif kind == "tension":
                tensions.append(n)
                if note:
                    self.declaring.add(d)
                    if block is not None:
                        self.tension_blocks[d, block] = None
            if note and block is not None:
                blocked.append(n)
        ends = [start for _, start in starts[1:]] + [len(pool)]
        self.spans: dict[str, tuple[int, int]] = {d: (start, end) for (d, start), end in zip(starts, ends)}
        """File -> the rows of its statements in `pool` (the claims come file by file)."""
        ends = [start for _, start in opened[1:]] + [len(claims)]
        self.files: dict[str, tuple[int, int]] = {d: (start, end) for (d, start), end in zip(opened, ends)}
        self.keys: Sequence[str] = _picked(keys, pool)
        self.pool_docs: Sequence[str] = _picked(docs, pool)
        self.pool_sourced: Sequence[bool] = [origin == "source" for origin in _picked(origins, pool)]
        self.pool_ids: Sequence[str] = _picked(ids, pool)
        self._claims, self._extras, self._pool, self._blocked, self._blocks = claims, extras, pool, blocked, blocks
        self._docs = docs
        self._rows_in: tuple | None = None
        self.pool: Sequence[Claim] = [claims[n] for n in pool]
        self.notes: Sequence[Claim] = [claims[n] for n in notes]
        self.tensions: Sequence[Claim] = [claims[n] for n in tensions]

    def rows_in(self, memo: Memo | None) -> tuple[np.ndarray, np.ndarray]:
        """Each statement's row in the memo's pool (-1 where not there; none without a memo) and
        each of the pool's rows among the statements (`rows_both`): made once for a memo (a patch
        and the analysis after it both ask)."""
        if self._rows_in is None or self._rows_in[0] is not memo:
            self._rows_in = (memo, *self._rows_both(memo))
        return self._rows_in[1], self._rows_in[2]

    def _rows_both(self, memo: Memo | None) -> tuple[np.ndarray, np.ndarray]:
        return rows_both(self.keys, memo.pool if memo is not None else [])

    @classmethod
    def of(cls, items: Sequence[tuple[Claim, Extra]]) -> _Listed:
        """The listing of every claim with its extra, in file order (a list, or a `ClaimRows`)."""
        if isinstance(items, ClaimRows):
            return _RowsListed(items)
        return cls([c for c, _ in items], [e for _, e in items])

    def pool_extra(self, name: str) -> Sequence:
        """One field of every pool claim's `Extra`."""
        return [getattr(self._extras[n], name) for n in self._pool]

    def pool_dates(self, kb) -> list[str | None]:
        """Each pool claim's source's date (None for a note's)."""
        # a file's claims are all of its kind (kg.claims.extract): looked up in a C loop (tension_pool
        # went from 0.033-0.037 s to 0.029-0.031 s of a 10k edit)
        dated = {d: kb.infos[d].date for d in set(itertools.compress(self.pool_docs, self.pool_sourced)) if d in kb.infos}
        return list(map(dated.get, self.pool_docs))

    def pool_in(self, docs: set[str]) -> np.ndarray:
        """Whether each pool claim is written in one of these files."""
        return np.fromiter(map(docs.__contains__, self.pool_docs), dtype=bool, count=len(self.pool_docs))

    def measure_rows(self, keys: set[tuple[str, str]]) -> list[int] | None:
        """The pool rows that may measure one of these (kind, word) keys (a few more, never fewer),
        ascending; None: not known without reading every claim's measures."""
        return None

    def measure_counts(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int] | None:
        """How many pool rows measure each of these (kind, word) keys (never fewer); None: not known
        without reading every claim's measures."""
        return None

    @functools.cached_property
    def first(self) -> dict[str, Claim]:
        out: dict[str, Claim] = {}
        for c in self.notes:
            out.setdefault(c.id, c)
        return out

    @functools.cached_property
    def by_block(self) -> Mapping[tuple[str, int], list[Claim]]:
        rows: dict[tuple[str, int], list[int]] = {}
        for n in self._blocked:
            rows.setdefault((self._docs[n], self._blocks[n]), []).append(n)
        return _ByBlock(self._claims, rows)


class _RowsListed(_Listed):
    """`_Listed` of a `ClaimRows`, made from its records (kg.claims.perfile.LISTED) as arrays: the
    pool's keys, files, ids and extras are read when asked for, a claim is made when asked for,
    and the steps that go through every statement do so in arrays. A 10k vault's edit read back
    every claim's kind, origin, id, block and key as lists and listed them in 0.26-0.37 s."""

    lazy = True

    def __init__(self, rows: ClaimRows):  # (no call to _Listed's: nothing is listed claim by claim)
        self.rows = rows
        names, code, block = rows.paths, rows.listing["code"], rows.listing["block"]
        kind, note = code & 3, (code & SOURCE) == 0
        pool = np.nonzero(kind == KINDS.index("claim"))[0]
        self._pool = pool
        self.pool_file: np.ndarray = rows.file[pool]
        """Each statement's file, by its place among the rows' files."""
        cuts = np.nonzero(np.diff(self.pool_file))[0] + 1
        first, last = np.r_[0, cuts].astype(np.int64), np.r_[cuts, len(pool)].astype(np.int64)
        self.spans = {names[f]: (a, b) for f, a, b in zip(self.pool_file[first].tolist(), first.tolist(), last.tolist())} \
            if len(pool) else {}
        has = np.nonzero(np.diff(rows.starts))[0]
        self.files = {names[f]: (a, b) for f, a, b in zip(has.tolist(), rows.starts[has].tolist(),
                                                           rows.starts[has + 1].tolist())}
        self.keys = _Keys(rows.listing["key"][pool])
        self.pool_docs = RowNames(names, self.pool_file)
        self.pool_sourced = (~note[pool]).tolist()
        self.pool_ids = _PoolColumn(rows, pool, 0)
        self.row_of = _RowOf(self.spans, self.pool_ids)
        tensions = np.nonzero(kind == KINDS.index("tension"))[0]
        declared = tensions[note[tensions]]
        self.declaring = {names[f] for f in rows.file[declared].tolist()}
        declared = declared[block[declared] >= 0]
        self.tension_blocks = {(names[f], b): None for f, b in zip(rows.file[declared].tolist(), block[declared].tolist())}
        self._claims, self._extras = rows.claims, rows.extras
        self._rows_in = None
        self.pool = _Picked(rows.claims, pool.tolist())
        self.notes = _Picked(rows.claims, pool[note[pool]].tolist())
        self.tensions = _Picked(rows.claims, tensions.tolist())

    def _rows_both(self, memo: Memo | None) -> tuple[np.ndarray, np.ndarray]:
        among = None if memo is None else memo.pool_keys if memo.pool_keys is not None else memo.pool
        return rows_both_arrays(self.keys.array, np.asarray(among if among is not None else [],
                                                            dtype=self.keys.array.dtype))

    def pool_extra(self, name: str) -> Sequence:
        if name == "mentions":
            return _PoolColumn(self.rows, self._pool, COLUMNS.index("mentions"))
        bit = {"measures": MEASURES, "stances": STANCES}[name]
        return _Flagged(self.rows, self._pool, COLUMNS.index(name), (self.rows.listing["code"][self._pool] & bit) != 0)

    def pool_dates(self, kb) -> list[str | None]:
        names = self.rows.paths
        files = unique(self.pool_file[np.asarray(self.pool_sourced, dtype=bool)]).tolist()
        dated = {f: kb.infos[names[f]].date for f in files if names[f] in kb.infos}
        return list(map(dated.get, self.pool_file.tolist()))

    def pool_in(self, docs: set[str]) -> np.ndarray:
        places = [f for f, name in enumerate(self.rows.paths) if name in docs]
        return isin(self.pool_file, places)

    def _measuring(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The records of the measures with these hashes that statements make: each one's row in
        the pool and its hash."""
        rows, words = self.rows.measured
        hit = isin(words, hashes)
        rows, words = rows[hit], words[hit]
        at = np.searchsorted(self._pool, rows)
        stated = at < len(self._pool)
        stated[stated] = self._pool[at[stated]] == rows[stated]
        return at[stated], words[stated]

    def measure_rows(self, keys: set[tuple[str, str]]) -> list[int] | None:
        rows, _ = self._measuring(np.array([measure_hash(k) for k in keys], dtype=np.uint64))
        return unique(rows).tolist()

    def measure_counts(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int] | None:
        # from the records, each (word, row) once: exact but where two keys' 64-bit hashes meet, and
        # then more (two of `keys` that meet are both counted 0, and so looked at by the caller)
        hashes: dict[int, tuple[str, str] | None] = {}
        for key in keys:
            h = measure_hash(key)
            hashes[h] = key if h not in hashes else None
        rows, words = self._measuring(np.fromiter(hashes, dtype=np.uint64, count=len(hashes)))
        both = unique_columns(np.stack([words, rows.astype(np.uint64)]))
        found, counts = np.unique(both[0], return_counts=True)
        out = dict.fromkeys(keys, 0)
        for h, n in zip(found.tolist(), counts.tolist()):
            if hashes[h] is not None:
                out[hashes[h]] = n
        return out

    @functools.cached_property
    def by_block(self) -> Mapping[tuple[str, int], list[Claim]]:
        code, block = self.rows.listing["code"], self.rows.listing["block"]
        blocked = np.nonzero(((code & SOURCE) == 0) & (block >= 0))[0]
        rows: dict[tuple[str, int], list[int]] = {}
        names = self.rows.paths
        for n, f, b in zip(blocked.tolist(), self.rows.file[blocked].tolist(), block[blocked].tolist()):
            rows.setdefault((names[f], b), []).append(n)
        return _ByBlock(self._claims, rows)


class _Keys(Sequence):
    """The statements' keys (`_Listed.keys`) as the records hold them (`array`), each read as text
    when asked for."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, row):
        return self.array[row].decode()


class RowNames(Sequence):
    """Each row's file, from its place among the files (`names`): a listing's statements'
    (`_Listed.pool_docs`), a memo's pool's (`Memo.docs`), without a list of 145k names."""

    def __init__(self, names: list[str], places: np.ndarray):
        self.names, self.places = names, places

    def __len__(self) -> int:
        return len(self.places)

    def __getitem__(self, row):
        return self.names[self.places[row]]

    def __iter__(self):
        return map(self.names.__getitem__, self.places.tolist())


class _PoolColumn(Sequence):
    """One column (kg.claims.perfile.COLUMNS) of the statements of a `ClaimRows`: a value is read
    from its file's columns, decoded when one of them is first asked for."""

    def __init__(self, rows: ClaimRows, pool: np.ndarray, column: int):
        self.rows, self.pool, self.column = rows, pool, column

    def __len__(self) -> int:
        return len(self.pool)

    def __getitem__(self, row):
        f, at = self.rows.place(int(self.pool[row]))
        return self.rows.columns_of(f)[self.column][at]

    def read(self, rows: list[int]) -> None:
        """Read the columns of these rows' files at once (each is decoded when first asked for)."""
        self.rows.read_columns(unique(self.rows.file[self.pool[rows]]).tolist())

    def __iter__(self):
        files = self.rows.file[self.pool]
        self.rows.read_columns(unique(files).tolist())  # (every file's at once, not one at a time)
        cuts = np.nonzero(np.diff(files))[0] + 1
        for a, b in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(files)].tolist()):
            if a == b:
                continue
            f = int(files[a])
            start, values = int(self.rows.starts[f]), self.rows.columns_of(f)[self.column]
            yield from (values[n - start] for n in self.pool[a:b].tolist())


class _Flagged(_PoolColumn):
    """The measures or stances of the statements of a `ClaimRows` (an empty tuple for none), which
    tell the rows that have some (`rows`) from the records."""

    def __init__(self, rows: ClaimRows, pool: np.ndarray, column: int, flags: np.ndarray):
        super().__init__(rows, pool, column)
        self.flags = flags

    def __getitem__(self, row):
        return super().__getitem__(row) if self.flags[row] else ()

    def __iter__(self):
        return (value if flag else () for value, flag in zip(super().__iter__(), self.flags.tolist()))

    def rows_with(self) -> Iterable[int]:
        """The rows that have some, ascending."""
        return np.nonzero(self.flags)[0].tolist()


def rows_both_arrays(keys: np.ndarray, among: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`rows_both` of two arrays of keys (claim keys: 24 hex digits): each key's row in `among` (the
    last of a key there twice), -1 where not there, and each of `among`'s rows in `keys` (the last,
    likewise), found in sorts of numbers rather than dicts of strings (0.08 s of a 10k edit, 0.01 s
    so, with each key once on each side, as a vault's keys are but for a claim written twice)."""
    numbers, others = _key_numbers(keys), _key_numbers(among)
    order, other_order = np.argsort(numbers), np.argsort(others)
    ranked, other_ranked = numbers[order], others[other_order]
    if (ranked[1:] == ranked[:-1]).any() or (other_ranked[1:] == other_ranked[:-1]).any():
        source, back = _last_rows(numbers, keys, others, among), _last_rows(others, among, numbers, keys)
    else:  # each key once on each side: one lookup, of sorted numbers, turned around
        source = np.full(len(keys), -1, dtype=np.int64)
        if len(among):
            at = np.minimum(np.searchsorted(other_ranked, ranked), len(among) - 1)
            hit = other_ranked[at] == ranked
            source[order[hit]] = other_order[at[hit]]
        found = np.nonzero(source >= 0)[0]
        if not (keys[found] == among[source[found]]).all():  # (one number, two texts)
            source = back = None
        else:
            back = np.full(len(among), -1, dtype=np.int64)
            back[source[found]] = found
    if source is None or back is None:  # (two keys alike in their first 16 digits: by their whole text)
        return rows_both([k.decode() for k in keys.tolist()], [k.decode() for k in among.tolist()])
    return source, back


def _key_numbers(keys: np.ndarray) -> np.ndarray:
    """The first 16 hex digits of each key (24 of them: `perfile.LISTED`) as a 64-bit number, in
    their order (any other byte makes some number too: a match of numbers is checked on the keys'
    whole text)."""
    chars = keys.view(np.uint8).reshape(len(keys), keys.dtype.itemsize)[:, :16]
    digits = (chars & 15) + 9 * (chars >> 6)  # ('0'-'9': 0-9, 'a'-'f': 10-15)
    return np.ascontiguousarray((digits[:, 0::2] << 4) | (digits[:, 1::2] & 15)).view(">u8").ravel().astype(np.uint64)


def _last_rows(numbers: np.ndarray, keys: np.ndarray, others: np.ndarray, among: np.ndarray) -> np.ndarray | None:
    """Each key's last row in `among`, -1 where not there (`numbers` and `others`: their
    `_key_numbers`); None when two of `among`'s keys share a number but not their text."""
    if not len(among):
        return np.full(len(keys), -1, dtype=np.int64)
    order = np.argsort(others, kind="stable")  # (equal keys in their order: the last of them is the rightmost)
    ranked = others[order]
    same = np.nonzero(ranked[1:] == ranked[:-1])[0]
    if len(same) and (among[order[same]] != among[order[same + 1]]).any():
        return None
    at = np.maximum(np.searchsorted(ranked, numbers, side="right") - 1, 0)
    row = order[at]
    found = (ranked[at] == numbers) & (among[row] == keys)
    return np.where(found, row, -1).astype(np.int64)


class _RowOf(Mapping):
    """`_Listed.row_of` found in the rows of the file asked about (`spans`), for a listing whose
    claims are made when asked: the last of its statements with the id asked for."""

    def __init__(self, spans: dict[str, tuple[int, int]], ids: Sequence[str]):
        self.spans, self.ids = spans, ids

    def __getitem__(self, key: tuple[str, str]) -> int:
        start, end = self.spans.get(key[0], (0, 0))
        for row in range(end - 1, start - 1, -1):
            if self.ids[row] == key[1]:
                return row
        raise KeyError(key)

    def __iter__(self):
        return ((doc, self.ids[row]) for doc, (start, end) in self.spans.items() for row in range(start, end))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _ByBlock(Mapping):
    """The notes' claims by (file, index of their block), a block's made when first asked: a patch
    that makes the declared tensions again reads a few blocks (making every note claim of a 10k
    vault for them took 0.5 s of a note made)."""

    def __init__(self, claims: Sequence[Claim], rows: dict[tuple[str, int], list[int]]):
        self.claims, self.rows = claims, rows

    def __getitem__(self, key: tuple[str, int]) -> list[Claim]:
        return [self.claims[n] for n in self.rows[key]]  # (each claim is made once: `ClaimRows` keeps it)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _declared_evidence(kb, out: Knowledge, notes: list[Claim], matcher, sources, vector, by_block, previous,
                       memo: Memo, new: Memo) -> None:
    """Citations written in notes: a linked source (its best-matching sentence is the quote), a
    quoted passage, a link to one sentence (`[[source#^s-1a2b3c4d]]`). A quote or a sentence
    link is more precise than the best match, so it replaces it: one item per claim and source.
    What a claim's citations found is kept while its text and the cited sources are unchanged."""
    declared: dict[tuple[str, str], Evidence] = {}
    for claim in notes:
        if not (claim.cites or quotes(claim.text)):
            continue
        key = "\x1f".join([claim.text, *(f"{sid}\x1e{kb.infos[sources.paths[sid]].hash}" for sid in claim.cites
                                         if sid in sources)])  # (as JSON: 0.1 s of a 10k vault's edit)
        here = where(claim)
        kept = memo.declared.get(here)
        if kept and kept[0] == key:
            found = _EVIDENCE.validate_json(kept[1])
            # (each problem is the claim's own, on its line now: the key holds no line)
            problems = [Diagnostic.model_validate({**d, "line": claim.line}) for d in json.loads(kept[2])] \
                if kept[2] != "[]" else []
            new.declared[here] = kept
        else:
            found, problems = _cited(claim, matcher, sources, vector)
            new.declared[here] = (key, "[" + ",".join(e.model_dump_json(exclude_defaults=True) for e in found) + "]",
                                  json.dumps([d.model_dump() for d in problems], ensure_ascii=False))
        for e in found:
            declared[claim.id, e.source] = e
        out.diagnostics += problems
    for r in kb.rows_with('"s-'):  # (a sentence anchor, written in the rows' JSON)
        if r.target_kind != "source" or not r.block or not _SENTENCE_ANCHOR.fullmatch(r.block):
            continue
        src = sources.get(r.target_id)
        if src is None:
            continue
        old = previous.get(src.path, {}).get(r.block)
        index = next((i for i, s in enumerate(src.sentences) if s.anchor == r.block), None)
        moved = False
        if index is None and old:
            index = reanchor(src, Selector(**old))
            moved = index is not None
        if index is None:
            out.diagnostics.append(Diagnostic(
                doc=r.doc, line=r.line, col=r.col, severity="warning", code="lost-anchor",
                message=f"[[{r.target}#^{r.block}]]: {src.path} no longer has this sentence"
                        + (f" (\"{_short(old['exact'])}\")" if old else "")
                        + "; link the sentence again or cite the source without ^anchor"))
            continue
        sentence = src.sentences[index]
        out.anchors.setdefault(src.path, {})[r.block] = old if moved else selector(src, index).model_dump()
        if moved:
            out.diagnostics.append(Diagnostic(
                doc=r.doc, line=r.line, col=r.col, severity="info", code="moved-anchor",
                message=f"[[{r.target}#^{r.block}]]: the sentence was edited; it is now ^{sentence.anchor} "
                        f"(\"{_short(sentence.text)}\"), update the link"))
        reason = "linked sentence" + (" (re-anchored after an edit)" if moved else "")
        for claim in by_block.get((r.doc, r.block_index), []) if r.block_index is not None else []:
            if claim.kind == "claim":
                declared[claim.id, r.target_id] = at_sentence(claim, r.target_id, src, index, 1.0, reason)
    out.evidence += declared.values()


def _cited(claim: Claim, matcher, sources, vector) -> tuple[list[Evidence], list[Diagnostic]]:
    """The evidence of one claim's citations and quotes, and the quotes its sources lack."""
    found: dict[str, Evidence] = {}
    problems: list[Diagnostic] = []
    v = vector(claim) if claim.cites else None
    for sid in claim.cites:
        best = matcher().best_in(claim, v, sid) if v is not None and sid in sources else None
        if best and best[1] >= MIN_DECLARED:
            row, score, stance, reason = best
            found[sid] = matcher().evidence(claim, row, score, stance, "cited; " + reason, "declared", sources)
        elif sid in sources:
            found[sid] = Evidence(
                claim=claim.id, source=sid, doc=sources[sid].path, line=1, anchor=None, quote="",
                method="declared", score=0.0, reason="cited; no sentence of the source matches the claim closely")
    for quote in quotes(claim.text):
        hits = [(sid, find_quote(sources[sid], quote)) for sid in claim.cites if sid in sources]
        hit = next(((sid, i) for sid, i in hits if i is not None), None)
        if hit:
            sid, i = hit
            found[sid] = at_sentence(claim, sid, sources[sid], i, 1.0, "quoted")
        elif hits:
            problems.append(Diagnostic(
                doc=claim.doc, line=claim.line, severity="warning", code="lost-anchor",
                message=f"the quote \"{_short(quote)}\" is not in {', '.join(sources[s].path for s, _ in hits)}; "
                        "fix the quote, or cite the source that has it"))
    return list(found.values()), problems


def _short(text: str) -> str:
    return shortened(text, 60)


def subject_offsets(mentions, subjects, claim: Claim) -> tuple[dict[str, list[int]], dict[str, list[int]],
                                                                 list[tuple[int, int]]]:
    """A claim's subjects (concept ids, name keys, name families: `Qwen3.6-Plus` also answers to
    `qwen`) with the offsets of their mentions; the same for the subjects it names whole; and the
    (start, end) of every mention."""
    found: dict[str, list[int]] = {}
    exact: dict[str, list[int]] = {}
    spans: list[tuple[int, int]] = []
    for cid in filter(None, (claim.concept, *claim.concepts)):
        found[cid] = []

    def put_in(start: int) -> bool:  # a citation or a link's title: not the writer's words
        return any(a <= start < b for a, b in claim.quoted)

    for start, end, cid in mentions.find(claim.text):
        if put_in(start):
            continue
        found.setdefault(cid, []).append(start)
        if not _VERSION.match(claim.text, end):  # "Qwen 3.5" names a model of the Qwen concept, not the concept
            exact.setdefault(claim.text[start:end].lower(), []).append(start)  # by the name used: Google is not Gemma
        spans.append((start, end))
    for start, name in subjects.of(claim.text):
        if put_in(start):
            continue
        for key in keys(name):
            found.setdefault(key, []).append(start)
        exact.setdefault(name.lower(), []).append(start)
        spans.append((start, start + len(name)))
    return found, exact, sorted(set(spans))


def _tensions(kb, out: Knowledge, listed: _Listed, matrix: np.ndarray, moved: np.ndarray,
              fresh: list[int] | None, memo: Memo, new: Memo, progress=None, gone: np.ndarray | None = None) -> None:
    """Detected tensions and corroboration clusters among the pool's claims (rows of `matrix`). With `fresh`
    (the rows new since the memo's pool), only pairs that involve a fresh row are looked for and
    judged, with those of the claims whose nearest a new claim or a gone one (`gone`: their
    vectors) changed; the other candidate pairs and their verdicts are the memo's (`moved` maps
    the memo's pool rows to these, -1 for a claim gone), less those no longer neighbours."""
    claims = listed.pool
    if not claims:
        return
    pool, mentioned = tension_pool(kb, listed, matrix, new.kth)
    pool.progress = progress
    pool.explained = dict(memo.explained)
    pool.passed = mentioned.forget_before
    n = len(claims)
    a, b = moved[memo.pairs[:, 0]], moved[memo.pairs[:, 1]]
    alive = (a >= 0) & (b >= 0)
    known = _codes(np.minimum(a, b)[alive], np.maximum(a, b)[alive], n)
    known_verdicts = memo.pairs[:, 2][alive]
    known_cosines = memo.cosines[alive] if memo.cosines is not None and len(memo.cosines) == len(memo.pairs) \
        else np.full(len(known), np.nan, dtype=np.float32)
    if len(known) > 1 and not bool((np.diff(known) > 0).all()):  # (an edit keeps the pool's order: they are in order)
        known, once = np.unique(known, return_index=True)
        known_verdicts, known_cosines = known_verdicts[once], known_cosines[once]
    del a, b
    displaced: set[str] = set()  # the files of the claims whose neighbour pairs an edit changed
    if fresh is None:  # in arrays: a 10k vault's million pairs as tuples held 0.7 GB
        first, second, _ = candidate_pairs(pool)
        more = measure_candidates(pool, Known(first, second, n))
        new.kth, new.crowded_words = pool.kth, pool.crowded_words
    else:
        edited = edited_pairs(pool, matrix, fresh, gone, memo.crowded_words, lambda: (known, known_cosines))
        more, displaced, new.crowded_words = edited.more, edited.displaced, edited.words
        first = second = np.zeros(0, dtype=np.int64)
        if edited.keep is not None:
            keep = edited.keep
            known, known_verdicts, known_cosines = known[keep], known_verdicts[keep], known_cosines[keep]
    codes = _codes(np.r_[first, np.array([p[0] for p in more], dtype=np.int64)],
                   np.r_[second, np.array([p[1] for p in more], dtype=np.int64)], n)
    from_search = len(first)  # the pairs of `more` come after these: only they carry shared subjects
    del first, second
    at = np.minimum(np.searchsorted(known, codes), max(len(known) - 1, 0))
    hit = known[at] == codes if len(known) else np.zeros(len(codes), dtype=bool)
    if fresh is None:  # one order, whichever search found them
        codes, unique = np.unique(codes, return_index=True)
        verdicts = np.where(hit, known_verdicts[at], -1)[unique] if len(known) else np.full(len(codes), -1)
        cosines = np.where(hit, known_cosines[at], np.nan)[unique] if len(known) else np.full(len(codes), np.nan)
        shared = {int(k): more[int(unique[k]) - from_search][3] for k in np.nonzero(unique >= from_search)[0]}
    else:  # the memo's pairs, in order, with the new ones put in their places (a candidate alone has the memo's verdict)
        added, unique = np.unique(codes[~hit], return_index=True)
        found = np.nonzero(~hit)[0][unique]
        before = np.searchsorted(known, added)
        codes = np.insert(known, before, added)
        verdicts = np.insert(known_verdicts.astype(np.int64), before, -1)
        cosines = np.insert(known_cosines.astype(np.float32), before, np.nan)
        shared = {place: more[k][3] for place, k in zip((before + np.arange(len(added))).tolist(), found.tolist())}
    del known, known_verdicts, known_cosines, more, hit, at
    verdicts = verdicts.astype(np.int64)
    cosines = cosines.astype(np.float32)
    first_rows, second_rows = codes // max(n, 1), codes % max(n, 1)
    # every pair's cosine computed one way, whichever search proposed it: a kept pair and a pair a
    # fresh search finds then score alike, and an edit ends where a cold build ends (a kept pair
    # keeps the cosine this computed when it was new, from the same two vectors)
    todo = np.nonzero(np.isnan(cosines))[0]
    cosines[todo] = _cosines(matrix, first_rows[todo], second_rows[todo])
    # the related claims before the pairs are judged: their arrays come and go below the judging's
    # peak (after it, they were the peak of a 10k vault's cold build)
    if fresh is None or memo.related is None or memo.docs is None or len(memo.docs) != memo.pool_size:
        out.related = _related(listed, first_rows, second_rows, cosines)
    else:  # only the notes with a pair in or out rank their related claims again
        touched, ranked = related_again(listed, memo, moved, fresh, first_rows, second_rows, cosines, displaced)
        out.related = {d: v for d, v in memo.related.items() if d not in touched}
        out.related.update((d, v) for d, v in ranked.items() if d in touched)
        out.related = dict(sorted(out.related.items()))
    new.related = out.related
    same = verdicts == SAME  # known to join two claims: they go to the clusters without a look
    judged = np.nonzero((verdicts != NOTHING) & ~same)[0]  # a pair judged to be nothing adds nothing
    known_now = [None if v < 0 else int(v) for v in verdicts[judged]]
    new.changed += int((verdicts < 0).sum())
    tensions, clusters = detect(pool, _Pairs(first_rows[judged], second_rows[judged], cosines[judged], judged, shared),
                                known_now, (first_rows[same], second_rows[same]))
    del shared, same
    new.explained = {k: pool.explained[k] for k in pool.explaining}
    pool.pairs = len(codes)
    verdicts[judged] = known_now
    new.pairs = np.empty((len(codes), 3), dtype=np.int32)
    new.pairs[:, 0], new.pairs[:, 1], new.pairs[:, 2] = first_rows, second_rows, verdicts
    new.cosines = cosines
    out.tensions += tensions
    out.polar = pool.polar or []
    for rows_ in clusters:
        ids = sorted({claims[r].id for r in rows_})
        out.clusters["k-" + tension_id(*ids)[2:]] = ids


@dataclass
class EditedPairs:
    """What claims new to the pool and gone from it change among the candidate pairs (`edited_pairs`)."""

    more: list[tuple[int, int, float, list[str]]]
    """The pairs the kept ones lack: the new claims' neighbour pairs, the pairs of the claims whose
    nearest were found again, and the pairs by measured word of the new claims and of the words
    fallen back to the limit."""
    keep: np.ndarray | None
    """Which kept pairs stand (None: all)."""
    displaced: set[str]
    """The files whose claims' pairs changed otherwise than by a new or gone claim of their own."""
    words: set[tuple[str, str]]
    """The measured words past the limit now (`crowded_words`)."""
    grown: dict[tuple[str, str], list[int]]
    fallen: dict[tuple[str, str], list[int]]
    """The words that grew past the limit, and fell back to it, with their rows."""


def edited_pairs(pool: Pool, matrix, fresh: list[int], gone: np.ndarray | None, words: set[tuple[str, str]] | None,
                 known: Callable[[], tuple[np.ndarray, np.ndarray]]) -> EditedPairs:
    """The candidate pairs as a cold search would find them, from the kept ones (`known()`: their
    codes and cosines, asked for only when some must go) and the claims new to the pool (`fresh`
    rows) and gone from it (`gone`: their vectors), with the measured words past the limit at the
    last analysis (`words`). One way for an edit's analysis and for a patch (kg.claims.delta)."""
    touching, again = pairs_touching(pool, fresh, gone)
    renewed = nearest_again(pool, again)
    by_word = measure_candidates(pool, set(), fresh)  # (its words' rows are `crowded_words`' to look at)
    now, grown, fallen = crowded_words(pool, words, fresh, gone is not None and len(gone) > 0)
    keep, displaced = None, set()
    if again or grown:
        codes, cosines = known()
        keep, displaced = _displaced(pool, matrix, codes, cosines, again, list(grown.values()))
        # a pair found again that is kept keeps its verdict
        found = _codes(np.array([p[0] for p in renewed], dtype=np.int64),
                       np.array([p[1] for p in renewed], dtype=np.int64), len(pool.claims))
        renewed_docs = {doc_of(pool, r) for i, j, _, _ in renewed for r in (i, j)}
        renewed = list(itertools.compress(renewed, (~isin(found, codes)).tolist()))
        displaced |= renewed_docs
    displaced |= {doc_of(pool, r) for rows in fallen.values() for r in rows}
    more = _neighbours_still(pool, touching) + renewed + by_word \
        + measure_candidates(pool, set(), sorted({r for rows in fallen.values() for r in rows}))
    return EditedPairs(more, keep, displaced, now, grown, fallen)


def _neighbours_still(pool: Pool, pairs: list[tuple[int, int, float, list[str]]]
                      ) -> list[tuple[int, int, float, list[str]]]:
    """The new claims' neighbour pairs (kg.claims.tensions.pairs_touching) that are neighbours
    still once the claims they came among have their nearest found again: two new claims that
    came among one claim's nearest may have pushed each other out."""
    if not pairs:
        return pairs
    first, second, cosines = (np.array(column) for column in list(zip(*pairs))[:3])
    return list(itertools.compress(pairs, still_paired(pool, first, second, cosines.astype(np.float32)).tolist()))


def crowded_words(pool: Pool, before: set[tuple[str, str]] | None, fresh: list[int], went: bool
                  ) -> tuple[set[tuple[str, str]], dict[tuple[str, str], list[int]], dict[tuple[str, str], list[int]]]:
    """The measured words with more than MEASURE_GROUP figures now (they pair no claims:
    kg.claims.tensions.measure_pairs), from those of the last analysis (`before`): a word can
    only grow past it by the claims new to the pool (`fresh` rows), and fall back to it when
    claims went from the pool (`went`). Also the rows of the words that grew past it and of those
    that fell back. With no `before`, the words are found over the whole pool, and none is said to
    have grown or fallen."""
    if before is None:
        return {k for k, rows in measure_groups(pool).items() if len(rows) > MEASURE_GROUP}, {}, {}
    check = {tuple(k) for i in fresh for k in measures_of(pool, i)} - before
    if went:  # a word still past it by the records' count stays (looking every word up read every
        # measuring claim's measures: 0.15-0.25 s of each 10k edit after a claim the memo had went)
        counts = pool.measure_counts(before) if pool.measure_counts is not None else None
        check |= before if counts is None else {k for k in before if counts[k] <= MEASURE_GROUP}
    if not check:  # (most edits: a 10k vault's 333 words past the limit, looked up, took 0.02-0.04 s)
        return before, {}, {}
    # the new claims' words were looked at just now, by their pairs (`measure_pairs`)
    index = pool.groups if check <= pool.groups.keys() else measure_groups(pool, check)
    now = {k for k in before | check if (k not in check and k in before) or len(index.get(k, ())) > MEASURE_GROUP}
    return now, {k: index[k] for k in now - before}, {k: index.get(k, []) for k in before - now}


def _displaced(pool: Pool, matrix, known: np.ndarray, cosines: np.ndarray, again: list[int],
               groups: list[list[int]] = ()) -> tuple[np.ndarray | None, set[str]]:
    """Which of the memo's pairs (`known`, as codes, with their cosines) stand, None for all: the
    neighbour pairs of `again` (rows whose nearest were found again: `pool.kth` is theirs now)
    whose sides are no longer among each other's nearest do not (a claim written near one pushed
    the other out, and a fresh search would not find them), nor do the pairs within `groups`
    (the rows of measured words grown past MEASURE_GROUP) that are no neighbours. A pair of
    figures said of one measured word still pairing claims stands on its own
    (`measure_candidates`). Also the files of the pairs gone."""
    n = max(len(pool.claims), 1)
    first, second = known // n, known % n
    rows = np.zeros(n, dtype=bool)
    rows[again] = True
    touching = rows[first] | rows[second]
    for group in groups:
        inside = np.zeros(n, dtype=bool)
        inside[group] = True
        touching |= inside[first] & inside[second]
    at = np.nonzero(touching)[0]
    cos = cosines[at]
    unknown = np.isnan(cos)
    if unknown.any():
        cos = cos.copy()
        cos[unknown] = _cosines(matrix, first[at[unknown]], second[at[unknown]])
    out = at[~still_paired(pool, first[at], second[at], cos)]
    if len(out):
        among = set(zip(first[out].tolist(), second[out].tolist()))  # (the claims of all their rows' measure
        # pairs, made to look at the pairs' qualifiers, took 0.6 s of a 10k edit: only theirs are looked at)
        measured = {(i, j) for i, j, _, _ in measure_candidates(pool, set(), sorted({r for p in among for r in p}), among)}
        out = np.array([p for p in out.tolist() if (int(first[p]), int(second[p])) not in measured], dtype=np.int64)
    if not len(out):
        return None, set()
    keep = np.ones(len(known), dtype=bool)
    keep[out] = False
    return keep, {doc_of(pool, r) for r in np.r_[first[out], second[out]].tolist()}


def tension_pool(kb, listed: _Listed, matrix: np.ndarray, kth: np.ndarray) -> tuple[Pool, Mentioned]:
    """The pool the tension search looks in: the statements with their vectors (rows of `matrix`),
    sources' dates, subjects, figures' measures and stances; with the mentions it decodes."""
    dates = listed.pool_dates(kb)
    mentioned = Mentioned(listed.pool_extra("mentions"))
    pool = Pool(listed.pool, matrix, mentioned.column(0), dates, mentioned.column(1), mentioned.column(2))
    pool.kth = kth
    pool.measures, pool.stances = listed.pool_extra("measures"), listed.pool_extra("stances")
    pool.keys, pool.docs, pool.measure_rows = listed.keys, listed.pool_docs, listed.measure_rows
    pool.measure_counts = listed.measure_counts
    return pool, mentioned


@dataclass(frozen=True)
class _Pairs:
    """The pairs `detect` judges, as (first row, second row, cosine, shared subjects or None), made
    one at a time from arrays as it asks: a fresh analysis judges a million. `shared` holds the
    subjects known of some pairs, by their place among all pairs (`places`). Made as Python
    objects a chunk at a time: the million pairs' rows and cosines as lists were 110 MB of a 10k
    vault's fresh analysis, all through the tension search, its peak."""

    first: np.ndarray
    second: np.ndarray
    cosines: np.ndarray
    places: np.ndarray
    shared: dict[int, list[str]]

    CHUNK = 16_384

    def __len__(self) -> int:
        return len(self.first)

    def __iter__(self):
        for start in range(0, len(self.first), self.CHUNK):
            end = start + self.CHUNK
            yield from zip(self.first[start:end].tolist(), self.second[start:end].tolist(),
                           self.cosines[start:end].tolist(), map(self.shared.get, self.places[start:end].tolist()))


class Mentioned:
    """The subject offsets, exact-name offsets and name spans of each claim of the pool
    (kg.claims.perfile.Extra.mentions), decoded for a claim when first asked: an edit's tension
    search asks for those of the few claims its pairs hold."""

    def __init__(self, mentions: list[str]):
        self.mentions = mentions
        self.decoded: dict[int, list] = {}
        self.passed = 0

    def forget_before(self, row: int) -> None:
        """Let the decoded mentions of the rows before `row` go: the tension search judges its pairs
        in order of their first row, the second after the first, so a row passed is in no pair left
        (a fresh analysis decoded every claim's, 60 MB of a 10k vault's at the build's peak). A row
        asked for again is decoded again."""
        for r in range(self.passed, row):
            self.decoded.pop(r, None)
        self.passed = max(self.passed, row)

    def __getitem__(self, row: int) -> list:
        found = self.decoded.get(row)
        if found is None:
            found = self.decoded[row] = json.loads(self.mentions[row])
        return found

    def column(self, n: int) -> _Column:
        return _Column(self, n)


@dataclass(frozen=True, slots=True)
class _Column:
    mentioned: Mentioned
    n: int

    def __getitem__(self, row: int):
        return self.mentioned[row][self.n]

    def __len__(self) -> int:
        return len(self.mentioned.mentions)


def _codes(first: np.ndarray, second: np.ndarray, n: int) -> np.ndarray:
    """One int64 per pair of rows (first * n + second), to find pairs among millions at once."""
    return first.astype(np.int64) * max(n, 1) + second.astype(np.int64)


def _cosines(matrix: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The cosine of each pair of rows (one product per chunk, not one per pair)."""
    out = np.zeros(len(first), dtype=np.float32)
    for start in range(0, len(first), 20_000):
        part = slice(start, start + 20_000)
        out[part] = np.einsum("ij,ij->i", matrix[first[part]], matrix[second[part]])
    return out


def related_again(listed: _Listed, memo: Memo, moved: np.ndarray, fresh: list[int], first: np.ndarray,
                  second: np.ndarray, cosines: np.ndarray, displaced: set[str] = frozenset(),
                  sides: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> tuple[set[str], dict[str, list[tuple[str, str]]]]:
    """The notes whose related claims an incremental analysis ranks again, and their ranking from
    every pair (`first`, `second`, `cosines`: the pool's now) that touches them: the notes with a
    claim new to the pool (`fresh` rows), with a pair gone (a claim of the memo's pool gone:
    `moved`, the memo's rows to the pool's, -1 for one gone) or a new pair, and those a patch
    ranked again since the memo (`Memo.reranked`), and the files whose claims' neighbour pairs
    changed otherwise (`displaced`: a new claim crowded one out). `listed`: the pool's claims.
    A pair's two rows may come in either order (a note's related claims are read from both sides).
    `sides`: the memo's pairs' rows now (`moved` of each side), when the caller has them."""
    docs = listed.pool_docs
    a, b = sides if sides is not None else (moved[memo.pairs[:, 0]], moved[memo.pairs[:, 1]])
    dead = memo.pairs[(a < 0) | (b < 0), :2].ravel()
    touched = {docs[r] for r in fresh} | {memo.docs[r] for r in dead.tolist()} | memo.reranked | displaced
    touched |= {docs[r] for r in moved[dead][moved[dead] >= 0].tolist()}
    fresh_rows = np.zeros(len(docs), dtype=bool)
    fresh_rows[fresh] = True
    new_pairs = fresh_rows[first] | fresh_rows[second]
    touched |= {docs[r] for r in np.r_[first[new_pairs], second[new_pairs]].tolist()}
    if not touched:
        return touched, {}
    mine = listed.pool_in(touched)
    near = mine[first] | mine[second]
    return touched, _related(listed, first[near], second[near], cosines[near])


def _related(listed: _Listed, first: np.ndarray, second: np.ndarray,
             cosines: np.ndarray) -> dict[str, list[tuple[str, str]]]:
    """Per note: the (id, doc) of the other files' claims nearest to one of its claims, best first
    (ties by id and doc), at most RELATED_PER_PAGE, from the candidate pairs at RELATED_MIN or
    more. In arrays: a 10k vault has a million pairs."""
    near = cosines >= RELATED_MIN
    if not near.any():
        return {}
    # in 32 bits, each array let go once used: run after a fresh analysis's judging, these arrays
    # were the peak of a 10k vault's cold build
    a, b, cos = first[near].astype(np.int32), second[near].astype(np.int32), cosines[near]
    del near
    rows = unique(np.concatenate([a, b])).tolist()  # only the claims of near pairs are named and ranked
    # (from the listing's columns: a patch's listing makes a claim when asked, and a note's neighbours
    # are in hundreds of files)
    ids, docs_of, sourced = listed.pool_ids, listed.pool_docs, listed.pool_sourced
    if isinstance(ids, _PoolColumn):  # (their files' columns read at once: a patch's few hundred files,
        ids.read(rows)  # not one at a time and then every file's, 0.05 s of a 10k edit)
    names = sorted({(ids[r], docs_of[r]) for r in rows})
    rank_of = {name: n for n, name in enumerate(names)}
    docs = sorted({docs_of[r] for r in rows if not sourced[r]})
    doc_of = {d: n for n, d in enumerate(docs)}
    rank = np.full(len(ids), -1, dtype=np.int32)
    note_doc = np.full(len(ids), -1, dtype=np.int32)
    rank[rows] = [rank_of[(ids[r], docs_of[r])] for r in rows]
    note_doc[rows] = [-1 if sourced[r] else doc_of.get(docs_of[r], -1) for r in rows]
    del rows, rank_of, doc_of
    doc_a, doc_b = note_doc[a], note_doc[b]
    from_a, from_b = doc_a >= 0, doc_b >= 0
    mine = np.concatenate([doc_a[from_a], doc_b[from_b]])  # each pair read from both sides, a note's side
    other = np.concatenate([rank[b[from_a]], rank[a[from_b]]])
    cos = np.concatenate([cos[from_a], cos[from_b]])
    del a, b, doc_a, doc_b, from_a, from_b, rank, note_doc
    if not len(mine):
        return {}
    order = np.lexsort((-cos, mine.astype(np.int64) * len(names) + other))  # each (note, other claim) once, at its best cosine
    mine, other, cos = mine[order], other[order], cos[order]
    once = np.r_[True, (mine[1:] != mine[:-1]) | (other[1:] != other[:-1])]
    mine, other, cos = mine[once], other[once], cos[once]
    order = np.lexsort((other, -cos, mine))  # best first, ties by (id, doc)
    mine, other = mine[order], other[order]
    start = np.r_[0, np.nonzero(mine[1:] != mine[:-1])[0] + 1]
    place = np.arange(len(mine)) - np.repeat(start, np.diff(np.r_[start, len(mine)]))
    out: dict[str, list[tuple[str, str]]] = {}
    for m, o in zip(mine[place < RELATED_PER_PAGE].tolist(), other[place < RELATED_PER_PAGE].tolist()):
        out.setdefault(docs[m], []).append(names[o])
    return out


def _opposing_evidence(out: Knowledge) -> None:
    """A note claim and a source sentence that oppose it are a tension too: the note says one
    thing, the source the opposite. In the order of their claims in the vault (the evidence lists
    a claim judged again after those it kept), each claim's in the order of its evidence."""
    # only a different figure: opposite wording alone is evidence against, not a tension a reader would sign
    figures = list(as_set(out.evidence).figures())
    if not figures:
        return
    wanted = {e.claim for e in figures}
    by_id, place = {}, {}
    for n, c in enumerate(out.claims):
        if c.origin == "note" and c.id in wanted:
            by_id[c.id], place[c.id] = c, n
    figures.sort(key=lambda e: place.get(e.claim, -1))
    known = {t.id for t in out.tensions}
    for e in figures:
        claim = by_id.get(e.claim)
        if claim is None:
            continue
        t = opposing_tension(claim, e)
        if t.id not in known:
            known.add(t.id)
            out.tensions.append(t)


def opposing_tension(claim: Claim, e: Evidence) -> Tension:
    """The tension of a note claim and a source sentence its evidence quotes with another figure."""
    other = TensionSide(id=claim_id(" ".join(e.quote.split())), text=e.quote, doc=e.doc, line=e.line)
    why = e.reason.split(";")[0].removeprefix(FIGURE + " ").strip("()")
    return Tension(id=tension_id(where(claim), where(other)), kind="numeric", score=e.score, a=side(claim), b=other,
                   subjects=claim.concepts,
                   explanation=f"{claim.doc}:{claim.line} and its source sentence {e.doc}:{e.line} give different "
                               f"figures for the same measure: {why}")


def declared_links(kb, declaring: Iterable[str]) -> str:
    """The link digests (`KnowledgeBase.link_digests`) of the notes that declare a tension in a
    tensions section (`declaring`, `_Listed.declaring`), as JSON: what those tensions name follows these links. Kept
    with the settled rows, so that a patch after a note was made or deleted (the names changed)
    knows the declared tensions still stand when these are as they were (kg.claims.delta, 0.2-0.3 s)."""
    return json.dumps({d: kb.link_digests.get(d) for d in sorted(set(declaring))}, ensure_ascii=False)


def _declared_tensions(kb, out: Knowledge, vector, listed: _Listed) -> None:
    """Tensions written in notes: items of a tensions section, and `opposes::` fields."""
    by_id: dict[str, int] = {}  # the first statement with each id, by its row: made if a link names a block

    def named(target_doc: str | None, block: str | None, v) -> Claim | None:
        if block and not by_id:
            for row, cid in enumerate(listed.pool_ids):
                by_id.setdefault(cid, row)
        if block and block in by_id:
            return listed.pool[by_id[block]]
        best, best_cos = None, NAMED_CLAIM_COSINE
        start, end = listed.spans.get(target_doc or "", (0, 0))
        for row in range(start, end):  # (by rows: only the claim named is made)
            w = vector.of(listed.pool_docs[row], listed.pool_ids[row])
            if v is not None and float(w @ v) > best_cos:
                best, best_cos = row, float(w @ v)
        return None if best is None else listed.pool[best]

    rows_by_block: dict[tuple[str, int], list] = {}
    for r in kb.rows_of(sorted({doc for doc, _ in listed.tension_blocks})):
        if r.block_index is not None and (r.doc, r.block_index) in listed.tension_blocks:
            rows_by_block.setdefault((r.doc, r.block_index), []).append(r)
    by_block = listed.by_block
    for doc, index in listed.tension_blocks:
        for claim in by_block[doc, index]:
            if claim.kind != "tension":
                continue
            v = vector(claim)
            names = []
            for r in rows_by_block.get((doc, index), []):
                found = named(r.target_doc, r.block, v)
                if found and found.id not in names:
                    names.append(found.id)
            why = f"declared in {claim.doc}:{claim.line}: {claim.text}"
            out.tensions.append(Tension(id=tension_id(where(claim)), kind="declared", score=1.0, a=side(claim),
                                        claims=names, explanation=why))
    for r in kb.rows_with('"opposes"'):
        if r.relation != "opposes":
            continue
        mine = [c for c in by_block.get((r.doc, r.block_index), []) if c.kind == "claim"] \
            if r.block_index is not None else []
        concept = kb.concepts.get(r.source_id)
        for a in mine or [None]:
            b = named(r.target_doc, r.block, vector(a) if a else None) if r.target_doc else None
            first = side(a) if a else TensionSide(
                id=r.source_id, text=f"{concept.title if concept else r.doc} opposes {r.label or r.target}",
                doc=r.doc, line=r.line)
            out.tensions.append(Tension(
                id=tension_id(where(first), r.target_id), kind="declared", score=1.0, a=first, b=side(b) if b else None,
                claims=[b.id] if b else [], explanation=f"declared with opposes:: in {r.doc}:{r.line}: {first.text}"))


def settle(out: Knowledge, warn: bool) -> list[Diagnostic]:
    """What stands after the review: detected tensions below CONFIDENT (and not confirmed) are held
    back, then each claim's status and counts are derived from the evidence and tensions shown.
    Returns the problems a writer should see about unsupported claims (with `warn`: the vault has
    sources, so a claim could have evidence). Idempotent: run it after every change of decisions."""
    every = out.tensions + out.held
    out.tensions = [t for t in every if shown(t)]
    out.held = [t for t in every if not shown(t)]
    return _status(out, warn)


def shown(t: Tension) -> bool:
    """Whether a reader sees a tension by default: declared, confirmed, or confident."""
    return t.kind == "declared" or t.review == "confirmed" or t.score >= CONFIDENT


def _status(out: Knowledge, warn: bool) -> list[Diagnostic]:
    """Each claim's status and counts, set straight in its dict as kg.model.set_fields does (missing
    counts are looked up with `get`, not Counter's __missing__: 0.2 s of a 10k vault's edit)."""
    unsupported: list[Claim] = []
    supports = as_set(out.evidence).supports()
    opposes = Counter(cid for t in out.tensions for cid in t.claim_ids())  # opposing evidence counts through its tension
    cluster_of = {cid: k for k, ids in out.clusters.items() for cid in ids}
    docs_of: dict[str, set[str]] = {}  # the files of each clustered claim id, then of each cluster
    for c in out.claims:
        if c.id in cluster_of:
            docs_of.setdefault(c.id, set()).add(c.doc)
    docs_of = {k: {d for cid in ids for d in docs_of.get(cid, ())} for k, ids in out.clusters.items()}
    for c in out.claims:
        fields = c.__dict__
        cluster = cluster_of.get(fields["id"])
        if fields["kind"] != "claim":
            fields["cluster"] = cluster
            continue
        against = opposes.get(fields["id"], 0)
        if fields["origin"] == "note":
            backing = supports.get(fields["id"], 0)
            status = "contested" if against else "supported" if backing else "unsupported"
            if status == "unsupported" and warn:
                unsupported.append(c)
        else:  # the other files that state the same fact
            backing = len(docs_of[cluster]) - (fields["doc"] in docs_of[cluster]) if cluster else 0
            status = "contested" if against else "supported"
        fields["cluster"], fields["opposes"], fields["supports"], fields["status"] = cluster, against, backing, status
    return _unsupported(unsupported)


def _figure(q) -> bool:
    """A figure a reader would want a source for: not a date, not a handful of things ("around two
    stacks")."""
    if q.kind in ("date", "other"):
        return False
    return not (q.kind == "count" and q.total is None and (q.high or q.low or 0) < 10)


def _unsupported(claims: list[Claim]) -> list[Diagnostic]:
    """A claim with a figure and no source is a warning (a number needs a source); the other
    unsupported claims are one info line with the command that lists them."""
    problems, rest = [], []
    for c in claims:
        if unsourced_figure(c):
            problems.append(unsourced_warning(c))
        else:
            rest.append(c)
    if rest:
        problems.append(unsourced_line(len(rest), len({c.doc for c in rest}), rest[0].doc, rest[0].line))
    return problems


def unsourced_figure(claim: Claim) -> bool:
    """Whether an unsupported claim is a warning of its own (it gives a figure), not one of the
    info line's."""
    return bool(claim.quantities) and any(_figure(q) for q in claim.quantities)


def unsourced_warning(c: Claim) -> Diagnostic:
    return Diagnostic(doc=c.doc, line=c.line, severity="warning", code="unsupported-claim",
                      message=f"this figure has no source (\"{_short(c.text)}\"): cite a source, e.g. "
                              "[[sources/name]], or move it under '## Open questions'")


UNSOURCED_COUNTS = re.compile(r"(\d+) claims? in (\d+) notes? have no source")
"""The counts of `unsourced_line`'s message."""


def unsourced_line(claims: int, notes: int, doc: str, line: int) -> Diagnostic:
    """The info line of the unsupported claims without a figure, at the first of them."""
    return Diagnostic(
        doc=doc, line=line, severity="info", code="unsupported-claim",
        message=f"{claims} claim{'s' if claims != 1 else ''} in {notes} note{'s' if notes != 1 else ''} "
                "have no source behind them; `kg claims --status unsupported` lists them")


def _named_of(claims: list[Claim]) -> list[tuple[str, list]]:
    """What each file's claims name (kg.claims.perfile.named_subjects), from the claims themselves:
    for an analysis not given what the store keeps."""
    from kg.claims.perfile import named_subjects

    docs_of: dict[str, list[Claim]] = {}
    for c in claims:
        docs_of.setdefault(c.doc, []).append(c)
    return [(doc, named_subjects(found)) for doc, found in docs_of.items()]


def _candidates(kb, out: Knowledge, named: list[tuple[str, list]]) -> None:
    """Names that several sources use and no note defines: suggested concepts. `named`: (file, what
    its claims name) for each source, in claim order (kg.claims.perfile.named_subjects, as the store
    keeps it)."""
    counts: Counter = Counter()
    where: dict[str, tuple[str, int]] = {}
    docs: Counter = Counter()
    known = {name.lower() for c in kb.concepts.values() for name in (c.title, *c.aliases)}
    for doc, names in named:
        for name, n, line in names:
            if name.lower() in known:
                continue
            counts[name] += n
            docs[name] += 1
            if name not in where:
                where[name] = (doc, line)
    for name, n in counts.most_common():
        if n < CANDIDATE_MIN or docs[name] < 2:
            continue
        doc, line = where[name]
        out.candidates.append({"name": name, "sentences": n, "sources": docs[name], "doc": doc, "line": line})
        out.diagnostics.append(Diagnostic(
            doc=doc, line=line, severity="info", code="candidate-concept",
            message=f"'{name}' is named in {n} sentences of {docs[name]} sources but has no note; "
                    f"write one to collect what they say"))
