"""Hybrid search: BM25 (SQLite FTS5) and vectors, fused by reciprocal rank.

Kept light for a fresh process: sqlite3, numpy and onnxruntime only; no pydantic model, no
torch, no build. The vector matrix is memory-mapped, so a query touches only what it reads.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from kg.arrays import unique
from kg.search.index import SearchIndex, load_matrices, tokens
from kg.search.knn import load_faiss

RRF_K = 10
"""Reciprocal-rank-fusion constant, with equal weights: the best of a grid on the SciFact training
split (bench/beir_scifact.py --tune): nDCG@10 0.707 against 0.692 with the usual k=60."""
LEXICAL_WEIGHT = 1.0
VECTOR_WEIGHT = 1.0
QUESTION_WEIGHT = 0.5
"""Items of a note's questions section rank at this share of their fused score: a question
shares the words and the meaning of a query but does not answer it (on the demo vault, "how far
behind are open models?" found an open question first and the ~3-5% claim fourth)."""
SENTENCE_SHARE = 0.7
"""A source window of several sentences scores this share of its best sentence's cosine and the
rest of its mean vector's. On SciFact train (bench/beir_scifact.py), vector nDCG@10: the window's
own embedding 0.661, the mean of its sentences 0.621, the best sentence 0.658, 0.7 best sentence
+ 0.3 mean 0.668 (0.5: 0.662; 0.3: 0.654), while each source sentence is embedded once."""
POOL = 100
"""How many candidates each side contributes before fusion."""
LEXICAL_BUDGET = 5_000
"""FTS5 scores every item that holds any query word (about 1.3 us each), so a query of common
words would score hundreds of thousands of rows in a large vault. When the query's words hold
more than this many items together, only items holding its rarest words (up to this budget)
are candidates, still ranked by BM25 over all the words (Searcher.fts_expression). On 100k
items and 50 SciFact claims: lexical median 8.4 ms, and 0.96 of its top 10 score as high as
plain BM25's 10th best; a budget of 20,000 gave 19 ms and the same 0.96 (bench/bench_search.py)."""
ANN_CANDIDATES = 200
"""Candidates taken from the HNSW graph before the exact re-rank."""
ANN_EF_SEARCH = 256
"""HNSW search breadth: on 1M tiled SciFact vectors, recall@10 0.75 at 128, 0.82 at 256 (0.7 ms),
0.84 at 512 (1.1 ms)."""
MAX_QUERY_CHARS = 2000
_WORD = re.compile(r"[\w$%.,/–-]+", re.UNICODE)
STOPWORDS = frozenset("""a an and are as at be by for from has have how i in is it its of on or that the this to
was what when where which who why will with do does did than then there these those not no can""".split())


class IndexMissing(Exception):
    """The vault has no search index yet."""


@dataclass
class Hit:
    """One search result."""

    rank: int
    score: float
    kind: str
    id: str
    text: str
    doc: str
    line: int
    title: str = ""
    concept: str | None = None
    source: str | None = None
    passage: str = ""
    lexical_rank: int | None = None
    vector_rank: int | None = None

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Filters:
    """Narrow results: by kind (note, source), concept id, tag, source id, source date."""

    kinds: tuple[str, ...] = ()
    concept: str | None = None
    tag: str | None = None
    source: str | None = None
    since: str | None = None

    def sql(self) -> tuple[str, list]:
        where, args = [], []
        if self.kinds:
            where.append(f"kind IN ({','.join('?' * len(self.kinds))})")
            args += list(self.kinds)
        if self.concept:
            where.append("concept = ?")
            args.append(self.concept)
        if self.source:
            where.append("source = ?")
            args.append(self.source)
        if self.since:
            where.append("date >= ?")
            args.append(self.since)
        if self.tag:
            where.append("EXISTS (SELECT 1 FROM json_each(items.tags) WHERE value = ? OR value LIKE ?)")
            args += [self.tag.lstrip("#").casefold(), self.tag.lstrip("#").casefold() + "/%"]
        return " AND ".join(where), args

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.concept or self.tag or self.source or self.since)


def terms(query: str) -> list[str]:
    """Query words without stop words, for matching and highlighting."""
    words = [w.strip(".,/–-").casefold() for w in _WORD.findall(query)]
    return [w for w in words if w and w not in STOPWORDS]


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


class Searcher:
    """Answers queries over one vault's index; load once, query many times."""

    def __init__(self, folder: Path, embedder=None):
        index = SearchIndex(folder)
        try:
            self.db = index.connect()
            matrices = load_matrices(folder)
        except (OSError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexMissing(str(exc)) from None
        self.matrix, self.ids = matrices.matrix, matrices.ids
        self.parts, self.part_ids = matrices.parts, matrices.part_ids
        self.folder = folder
        self._embedder = embedder
        self._ann = False

    @property
    def embedder(self):
        if self._embedder is None:
            from kg.search.embed import Embedder

            self._embedder = Embedder(export=False)
        return self._embedder

    def fts_expression(self, query: str) -> str:
        """Free text -> an FTS5 query: each word a quoted phrase, any may match. When the words
        are common enough to exceed LEXICAL_BUDGET items, the candidates must hold one of the
        rarest words (or, if even the rarest is over budget, all the words), and BM25 still
        scores every word."""
        words = list(dict.fromkeys(terms(query)))
        if not words:
            return ""
        full = " OR ".join(map(_phrase, words))
        df = self.document_frequencies(words)
        if df is None or sum(df.values()) <= LEXICAL_BUDGET:
            return full
        rare, total = [], 0
        for word in sorted(words, key=df.__getitem__):
            if total + df[word] > LEXICAL_BUDGET:
                break
            rare.append(word)
            total += df[word]
        if not rare:
            return " AND ".join(map(_phrase, words))
        required = " OR ".join(map(_phrase, rare))
        common = " OR ".join(_phrase(w) for w in words if w not in rare)
        # Every phrase appears twice, so BM25 ranks the candidates exactly as over all words.
        return f"(({required}) AND ({common})) OR (({required}) NOT ({common}))"

    def document_frequencies(self, words: list[str]) -> dict[str, int] | None:
        """How many items hold each word (a phrase counts as its rarest token); None for an
        index without word counts."""
        parts = {w: tokens(w) for w in words}
        wanted = sorted(set().union(*parts.values()))
        try:
            counts = dict(self.db.execute(f"SELECT term, df FROM terms WHERE term IN ({','.join('?' * len(wanted))})",
                                          wanted)) if wanted else {}
        except sqlite3.OperationalError:
            return None
        return {w: min((counts.get(t, 0) for t in toks), default=0) for w, toks in parts.items()}

    def lexical(self, query: str, limit: int, allowed: set[int] | None) -> list[int]:
        q = self.fts_expression(query)
        if not q:
            return []
        try:
            rows = self.db.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 1.0, 0.5) LIMIT ?",
                                   (q, limit * 5 if allowed is not None else limit)).fetchall()
        except sqlite3.OperationalError:
            return []
        ids = [r[0] for r in rows]
        return [i for i in ids if allowed is None or i in allowed][:limit]

    def vector(self, query: str, limit: int, allowed: set[int] | None) -> list[int]:
        """Item ids by cosine similarity to the query, best first."""
        if len(self.ids) == 0:
            return []
        return [i for i, _ in self.nearest(self.embedder.embed([query])[0], limit, allowed)]

    def nearest(self, vector: np.ndarray, limit: int, allowed: set[int] | None = None) -> list[tuple[int, float]]:
        """(item id, cosine) of the items nearest `vector`, best first, scored exactly: a filtered
        search scans only the allowed rows, a large vault takes candidates from its HNSW graph,
        a small one scans the memory-mapped matrix."""
        if allowed is not None:
            rows = self.rows_of(np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        elif self.ann is not None:
            index, labels, waiting = self.ann
            _, found = index.search(vector[None, :], min(index.ntotal, max(limit * 2, ANN_CANDIDATES)))
            items = labels[found[0][found[0] >= 0]]
            rows = self.rows_of(unique(np.r_[items[items >= 0], waiting]))  # and the vectors not in it yet
        else:
            rows = None
        if rows is not None and len(rows) == 0 or len(self.ids) == 0:
            return []
        scores = np.asarray(self.matrix @ vector) if rows is None else np.asarray(self.matrix[rows] @ vector)
        scores = self._with_sentences(vector, self.ids if rows is None else self.ids[rows], scores)
        n = min(limit, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        picked = top if rows is None else rows[top]
        return [(int(self.ids[r]), float(s)) for r, s in zip(picked, scores[top])]

    def _with_sentences(self, vector: np.ndarray, items: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Scores of these items (sorted ids) blended with their best sentence's (SENTENCE_SHARE)."""
        if len(self.part_ids) == 0:
            return scores
        lo = np.searchsorted(self.part_ids, items, "left")
        hi = np.searchsorted(self.part_ids, items, "right")
        has = hi > lo
        if not has.any():
            return scores
        counts = (hi - lo)[has]
        rows = np.repeat(lo[has] - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(counts.sum())
        # a scan of most rows reads the memory-mapped matrix in order instead of gathering a copy
        part = np.asarray(self.parts @ vector)[rows] if len(rows) * 4 > len(self.part_ids) else \
            np.asarray(self.parts[rows] @ vector)
        best = np.maximum.reduceat(part, np.r_[0, np.cumsum(counts)[:-1]])
        out = scores.astype(np.float32, copy=True)
        out[has] = SENTENCE_SHARE * best + (1 - SENTENCE_SHARE) * out[has]
        return out

    def allowed(self, filters: Filters | None) -> set[int] | None:
        """Ids of the items that pass the filters; None when nothing is filtered."""
        if not filters or not filters.active:
            return None
        where, args = filters.sql()
        return {r[0] for r in self.db.execute(f"SELECT id FROM items WHERE {where}", args)}

    @cached_property
    def questions(self) -> set[int]:
        """Ids of the items in questions sections (few, read through a partial index)."""
        return {r[0] for r in self.db.execute("SELECT id FROM items WHERE role = 'questions'")}

    def rows_of(self, items: np.ndarray) -> np.ndarray:
        """Matrix rows of these item ids (ids without a vector are left out), in row order."""
        if len(items) == 0:
            return np.zeros(0, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.ids, items), len(self.ids) - 1)
        return np.sort(rows[self.ids[rows] == items])

    @property
    def ann(self):
        """(HNSW index, item id per entry, the items of the vectors not in it yet) of a large vault,
        or None: loaded on first use."""
        if self._ann is False:
            self._ann = None
            path = self.folder / "ann.faiss"
            faiss = load_faiss() if path.is_file() else None
            if faiss is not None:  # without faiss a graph left by an earlier install is not read: scan exactly
                try:
                    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
                    labels = np.load(self.folder / "ann_ids.npy")
                except (RuntimeError, OSError, ValueError):
                    return None  # unreadable: the exact scan still answers, and the next build rebuilds it
                if index.ntotal == len(labels):
                    faiss.ParameterSpace().set_index_parameter(index, "efSearch", ANN_EF_SEARCH)
                    self._ann = (index, labels, np.setdiff1d(self.ids, labels))
        return self._ann

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid",
               pool: int = POOL, weights: tuple[float, float, int] | None = None) -> list[Hit]:
        """The k best passages for `query`: `mode` is hybrid, lexical or vector; `weights`
        (lexical, vector, rrf k) overrides the fusion constants, for tuning."""
        w_lex, w_vec, rrf_k = weights or (LEXICAL_WEIGHT, VECTOR_WEIGHT, RRF_K)
        query = query.strip()[:MAX_QUERY_CHARS]
        if not query:
            return []
        allowed = self.allowed(filters)
        pool = max(pool, k)
        lex = self.lexical(query, pool, allowed) if mode in ("hybrid", "lexical") else []
        vec = self.vector(query, pool, allowed) if mode in ("hybrid", "vector") else []
        fused: dict[int, float] = {}
        for weight, ranking in ((w_lex, lex), (w_vec, vec)):
            for rank, item in enumerate(ranking):
                fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank + 1)
        for item in self.questions.intersection(fused):
            fused[item] *= QUESTION_WEIGHT
        best = sorted(fused, key=lambda i: -fused[i])[:k]
        lex_rank = {i: r + 1 for r, i in enumerate(lex)}
        vec_rank = {i: r + 1 for r, i in enumerate(vec)}
        return [replace(hit, lexical_rank=lex_rank.get(hit_id), vector_rank=vec_rank.get(hit_id))
                for hit_id, hit in self._hits([(i, fused[i]) for i in best], query)]

    def related(self, doc: str, line: int, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Items of other files nearest in meaning to the item at `doc`:`line` (a claim, a note
        passage or a source sentence), scored by cosine. Uses the stored vector, so no model is
        loaded; an unknown location gives no results."""
        row = self.db.execute("SELECT id, text FROM items WHERE doc = ? AND line <= ? ORDER BY line DESC LIMIT 1",
                              (doc, line)).fetchone()
        rows = self.rows_of(np.array([row[0]])) if row else []
        if not len(rows):
            return []
        vector = np.asarray(self.matrix[rows[0]])
        same = {r[0] for r in self.db.execute("SELECT id FROM items WHERE doc = ?", (doc,))}
        found = [(i, s) for i, s in self.nearest(vector, k + len(same), self.allowed(filters)) if i not in same][:k]
        return [hit for _, hit in self._hits(found, row[1])]

    def _hits(self, scored: list[tuple[int, float]], query: str) -> list[tuple[int, Hit]]:
        """(item id, Hit) for each (item id, score), in the given order; `query` picks the
        sentence of a source passage."""
        ids = [i for i, _ in scored]
        rows = {r[0]: r[1:] for r in self.db.execute(
            "SELECT id, kind, doc, line, text, title, concept, source, sentences FROM items "
            f"WHERE id IN ({','.join('?' * len(ids))})", ids)}
        return [(i, self._hit(rows[i], rank + 1, score, query))
                for rank, (i, score) in enumerate(scored) if i in rows]

    def _hit(self, row: tuple, rank: int, score: float, query: str) -> Hit:
        kind, doc, line, text, title, concept, source, sentences = row
        hit = Hit(rank=rank, score=round(score, 6), kind=kind, id=f"{kind}:{doc}:{line}", text=text, doc=doc,
                  line=line, title=title or "", concept=concept, source=source, passage=text)
        if kind == "source":
            sentence = best_sentence(json.loads(sentences or "[]"), query)
            if sentence:
                hit.line, anchor, hit.text = sentence
                hit.id = f"source:{doc}#{anchor}"
        return hit


def best_sentence(sentences: list, query: str):
    """The sentence of a passage that shares most query words (the first on a tie)."""
    if not sentences:
        return None
    wanted = set(terms(query))
    def overlap(s):
        return len(wanted & set(terms(s[2])))
    return list(max(sentences, key=overlap))
