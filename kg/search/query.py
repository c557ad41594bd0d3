"""Hybrid search: BM25 (SQLite FTS5) and vectors, fused by reciprocal rank.

Kept light for a fresh process: sqlite3, numpy and onnxruntime only; no pydantic model, no
torch, no build. The vector matrix is memory-mapped, so a query touches only what it reads.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from kg.search.index import SearchIndex

RRF_K = 10
"""Reciprocal-rank-fusion constant, with equal weights: the best of a grid on the SciFact training
split (bench/beir_scifact.py --tune): nDCG@10 0.707 against 0.692 with the usual k=60."""
LEXICAL_WEIGHT = 1.0
VECTOR_WEIGHT = 1.0
POOL = 100
"""How many candidates each side contributes before fusion."""
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


def fts_query(query: str) -> str:
    """Free text -> an FTS5 query: each word a quoted term, any may match."""
    quoted = ['"' + w.replace('"', '""') + '"' for w in terms(query)]
    return " OR ".join(quoted)


class Searcher:
    """Answers queries over one vault's index; load once, query many times."""

    def __init__(self, folder: Path, embedder=None):
        index = SearchIndex(folder)
        try:
            self.db = index.connect()
            self.matrix = np.load(folder / "vectors.npy", mmap_mode="r")
            self.ids = np.load(folder / "vector_ids.npy")
        except (FileNotFoundError, ValueError, sqlite3.DatabaseError) as exc:
            raise IndexMissing(str(exc)) from None
        self.folder = folder
        self._embedder = embedder
        self._quantized = False

    @property
    def embedder(self):
        if self._embedder is None:
            from kg.search.embed import Embedder

            self._embedder = Embedder(export=False)
        return self._embedder

    def lexical(self, query: str, limit: int, allowed: set[int] | None) -> list[int]:
        q = fts_query(query)
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
        """Item ids by cosine similarity, best first (exact scores, whichever path finds them)."""
        if len(self.ids) == 0:
            return []
        q = self.embedder.embed([query])[0]
        if allowed is not None:  # a filtered search scores only the allowed rows
            rows = np.array(sorted(self.row_of[i] for i in allowed if i in self.row_of), dtype=np.int64)
        elif self.quantized is not None:  # large vault: 8-bit scan for candidates, exact re-rank
            _, found = self.quantized.search(q[None, :], min(len(self.ids), max(limit * 4, 200)))
            rows = np.sort(found[0][found[0] >= 0])
        else:
            rows = None
        if rows is not None and len(rows) == 0:
            return []
        scores = np.asarray(self.matrix @ q) if rows is None else np.asarray(self.matrix[rows] @ q)
        n = min(limit, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        picked = top if rows is None else rows[top]
        return [int(self.ids[i]) for i in picked]

    @cached_property
    def row_of(self) -> dict[int, int]:
        """Item id -> row of the matrix (for filtered searches)."""
        return {int(i): n for n, i in enumerate(self.ids)}

    @property
    def quantized(self):
        """The 8-bit faiss copy of the vectors, if the index has one (large vaults)."""
        if self._quantized is False:
            path = self.folder / "vectors.sq8"
            self._quantized = None
            if path.is_file():
                import faiss

                self._quantized = faiss.read_index(str(path))
        return self._quantized

    def search(self, query: str, k: int = 10, filters: Filters | None = None, mode: str = "hybrid",
               pool: int = POOL, weights: tuple[float, float, int] | None = None) -> list[Hit]:
        """The k best passages for `query`: `mode` is hybrid, lexical or vector; `weights`
        (lexical, vector, rrf k) overrides the fusion constants, for tuning."""
        w_lex, w_vec, rrf_k = weights or (LEXICAL_WEIGHT, VECTOR_WEIGHT, RRF_K)
        query = query.strip()[:MAX_QUERY_CHARS]
        if not query:
            return []
        filters = filters or Filters()
        allowed = None
        if filters.active:
            where, args = filters.sql()
            allowed = {r[0] for r in self.db.execute(f"SELECT id FROM items WHERE {where}", args)}
        pool = max(pool, k)
        lex = self.lexical(query, pool, allowed) if mode in ("hybrid", "lexical") else []
        vec = self.vector(query, pool, allowed) if mode in ("hybrid", "vector") else []
        fused: dict[int, float] = {}
        for weight, ranking in ((w_lex, lex), (w_vec, vec)):
            for rank, item in enumerate(ranking):
                fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank + 1)
        best = sorted(fused, key=lambda i: -fused[i])[:k]
        lex_rank = {i: r + 1 for r, i in enumerate(lex)}
        vec_rank = {i: r + 1 for r, i in enumerate(vec)}
        rows = {r[0]: r[1:] for r in self.db.execute(
            "SELECT id, kind, doc, line, text, title, concept, source, sentences FROM items "
            f"WHERE id IN ({','.join('?' * len(best))})", best)}
        return [self._hit(rows[i], rank + 1, fused[i], query, lex_rank.get(i), vec_rank.get(i))
                for rank, i in enumerate(best) if i in rows]

    def _hit(self, row: tuple, rank: int, score: float, query: str, lex: int | None, vec: int | None) -> Hit:
        kind, doc, line, text, title, concept, source, sentences = row
        hit = Hit(rank=rank, score=round(score, 6), kind=kind, id=f"{kind}:{doc}:{line}", text=text, doc=doc,
                  line=line, title=title or "", concept=concept, source=source, passage=text,
                  lexical_rank=lex, vector_rank=vec)
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
