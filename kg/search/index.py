"""The search index in `.kg/`: passages, their BM25 index and their vectors.

What is embedded is a budget (about 100 passages a second on 2 cores): each paragraph or list
item of a note is one item; a source is embedded by paragraph (long paragraphs in windows of
sentences), and the exact sentence is found inside the passage at query time. Link lists
(`Related` sections) and fragments of fewer than four words are left out.

Files:
- `search.sqlite`: `items` (one row per passage), `fts` (SQLite FTS5, BM25), `vectors`
  (embeddings keyed by the hash of model id and text, so a rebuild embeds only new text).
- `vectors.npy` + `vector_ids.npy`: the matrix of current item vectors, memory-mapped at query
  time, rewritten atomically after each build; `vectors.sq8`, an 8-bit faiss copy of it for
  large vaults (see QUANTIZE_FROM).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INDEX_VERSION = 1
WINDOW_WORDS = 120
"""Source paragraphs longer than this are embedded in windows of whole sentences."""
MIN_WORDS = 4
QUANTIZE_FROM = 20_000
"""From this many vectors, queries first scan an 8-bit copy (faiss, a quarter of the bytes) and
re-rank its best candidates exactly: 100k vectors in about 5 ms instead of 9-15 ms, with the
same top 10 (bench/bench_search.py). Rebuilt whole at each build: 0.1 s for 100k vectors."""


@dataclass(slots=True)
class Item:
    """One searchable passage."""

    kind: str
    """note or source (claims come with the claims work)."""
    doc: str
    """File, relative to the vault."""
    line: int
    """1-based first line."""
    text: str
    """The passage as a reader sees it."""
    title: str
    """Title of its note or source."""
    concept: str | None
    """Concept id (notes)."""
    source: str | None
    """Source id (sources)."""
    tags: list[str]
    """Tags of the file."""
    date: str | None
    """Source date, ISO."""
    sentences: list[tuple[int, str, str]]
    """For source passages: (line, anchor, text) of each sentence."""


def items_of(kb, path: str) -> list[Item]:
    """The searchable passages of one note or source."""
    doc = kb.doc(path)
    info = kb.infos[path]
    if info.kind == "note":
        concept = kb.concept_by_doc.get(path)
        roles = [s.role for s in doc.sections]
        return [Item("note", path, b.line, b.text, doc.title, concept, None, info.tags, None, [])
                for b in doc.blocks if roles[b.section] != "related" and len(b.text.split()) >= MIN_WORDS]
    sid = kb.source_by_path.get(path)
    date = doc.date.isoformat() if doc.date else None
    by_block: dict[int, list] = {}
    for s in doc.sentences:
        by_block.setdefault(s.block_index, []).append((s.line, s.anchor, s.text))
    out: list[Item] = []
    for index, block in enumerate(doc.blocks):
        sentences = by_block.get(index, [])
        window: list = []
        for sentence in sentences:
            window.append(sentence)
            if sum(len(t.split()) for _, _, t in window) >= WINDOW_WORDS:
                out.append(_source_item(path, window, doc.title, sid, info.tags, date))
                window = []
        if window and (len(window) > 1 or len(window[0][2].split()) >= MIN_WORDS):
            out.append(_source_item(path, window, doc.title, sid, info.tags, date))
    return out


def _source_item(path, window, title, sid, tags, date) -> Item:
    return Item("source", path, window[0][0], " ".join(t for _, _, t in window), title, None, sid, tags, date,
                list(window))


def text_key(text: str, model_id: str) -> str:
    return hashlib.blake2b(f"{model_id}\n{text}".encode(), digest_size=16).hexdigest()


class SearchIndex:
    """The index files of one vault."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.db_path = folder / "search.sqlite"

    def connect(self, create: bool = False) -> sqlite3.Connection:
        if not create and not self.db_path.is_file():
            raise FileNotFoundError(self.db_path)
        self.folder.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.db_path, timeout=30)
        if create:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript("""
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, hash TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, kind TEXT NOT NULL,
                    line INTEGER NOT NULL, text TEXT NOT NULL, title TEXT, concept TEXT, source TEXT,
                    tags TEXT, date TEXT, sentences TEXT, key TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS items_doc ON items(doc);
                CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, title, tokenize='unicode61 remove_diacritics 2');
                CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
            """)
            version = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if version is None or version[0] != str(INDEX_VERSION):
                db.executescript("DELETE FROM docs; DELETE FROM items; DELETE FROM fts;")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))
                db.commit()
        return db

    def update(self, kb, embedder_factory: Callable[[], object],
               progress: Callable[[str, int, int | None], None] | None = None) -> dict[str, int]:
        """Bring the index up to date with the vault: re-index changed files, embed new text.
        A corrupt index file is moved aside and rebuilt."""
        try:
            db = self.connect(create=True)
            db.execute("SELECT count(*) FROM items").fetchone()
        except sqlite3.DatabaseError:
            for suffix in ("", "-wal", "-shm"):
                part = Path(str(self.db_path) + suffix)
                if part.exists():
                    part.replace(part.with_name(f"{part.name}.corrupt-{int(time.time())}"))
            db = self.connect(create=True)
        try:
            return self._update(db, kb, embedder_factory, progress)
        finally:
            db.close()

    def _update(self, db, kb, embedder_factory, progress) -> dict[str, int]:
        indexed = dict(db.execute("SELECT doc, hash FROM docs"))
        current = {p: info.hash for p, info in kb.infos.items()}
        changed = [p for p, h in current.items() if indexed.get(p) != h]
        gone = [p for p in indexed if p not in current]
        from kg.search.embed import Embedder

        model_id = Embedder.model_id
        with db:
            for path in gone + changed:
                ids = [r[0] for r in db.execute("SELECT id FROM items WHERE doc = ?", (path,))]
                db.executemany("DELETE FROM fts WHERE rowid = ?", [(i,) for i in ids])
                db.execute("DELETE FROM items WHERE doc = ?", (path,))
                db.execute("DELETE FROM docs WHERE doc = ?", (path,))
        new_items = 0
        for start in range(0, len(changed), 200):
            chunk = changed[start:start + 200]
            kb.load(chunk)
            rows = []
            for path in chunk:
                for item in items_of(kb, path):
                    rows.append(item)
            with db:
                for item in rows:
                    cur = db.execute(
                        "INSERT INTO items (doc, kind, line, text, title, concept, source, tags, date, sentences, key)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (item.doc, item.kind, item.line, item.text, item.title, item.concept, item.source,
                         json.dumps(item.tags), item.date, json.dumps(item.sentences, ensure_ascii=False),
                         text_key(item.text, model_id)))
                    db.execute("INSERT INTO fts (rowid, text, title) VALUES (?, ?, ?)",
                               (cur.lastrowid, item.text, item.title))
                db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)", [(p, current[p]) for p in chunk])
            new_items += len(rows)
        embedded = self._embed_missing(db, embedder_factory, progress)
        self._write_matrix(db)
        return {"files": len(changed), "removed": len(gone), "items": new_items, "embedded": embedded}

    def _embed_missing(self, db, embedder_factory, progress) -> int:
        todo = db.execute("SELECT DISTINCT i.key, i.text FROM items i LEFT JOIN vectors v ON v.key = i.key "
                          "WHERE v.key IS NULL").fetchall()
        if not todo:
            return 0
        embedder = embedder_factory()
        total = len(todo)
        for start in range(0, total, 512):
            chunk = todo[start:start + 512]
            vectors = embedder.embed([t for _, t in chunk])
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                               [(k, v.tobytes()) for (k, _), v in zip(chunk, vectors)])
            if progress:
                progress("Embedding passages", min(start + 512, total), total)
        with db:  # vectors of text no longer in the vault leave the cache
            db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM items)")
        return total

    def _write_matrix(self, db) -> None:
        rows = db.execute("SELECT i.id, v.vector FROM items i JOIN vectors v ON v.key = i.key ORDER BY i.id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1) \
            if rows else np.zeros((0, 384), dtype=np.float32)
        write_vectors(self.folder, ids, matrix)


def write_vectors(folder: Path, ids: np.ndarray, matrix: np.ndarray) -> None:
    """Write the vector matrix, its item ids and (for large vaults) its 8-bit copy, atomically."""
    for name, array in (("vectors.npy", matrix), ("vector_ids.npy", ids)):
        tmp = folder / f".{name}.tmp"
        with open(tmp, "wb") as f:
            np.save(f, array)
        os.replace(tmp, folder / name)
    quantized = folder / "vectors.sq8"
    if len(ids) >= QUANTIZE_FROM:
        import faiss

        index = faiss.IndexScalarQuantizer(matrix.shape[1], faiss.ScalarQuantizer.QT_8bit,
                                           faiss.METRIC_INNER_PRODUCT)
        index.train(matrix)
        index.add(matrix)
        tmp = folder / ".vectors.sq8.tmp"
        faiss.write_index(index, str(tmp))
        os.replace(tmp, quantized)
    else:
        quantized.unlink(missing_ok=True)
