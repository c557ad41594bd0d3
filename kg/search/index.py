"""The search index in `.kg/`: passages, their BM25 index and their vectors.

What is embedded is a budget (about 100 passages a second on 2 cores): each paragraph or list
item of a note is one item, embedded as its claims; a source is embedded by paragraph (long
paragraphs in windows of sentences), and the exact sentence is found inside the passage at query
time. Link lists (`Related` sections) and fragments of fewer than four words are left out.

Files:
- `search.sqlite`: `items` (one row per passage), `fts` (SQLite FTS5, BM25), `vectors`
  (embeddings keyed by the hash of model id and text, so a rebuild embeds only new text).
- `terms` in the same database: how many items hold each word, kept up to date as items come
  and go, so that a query can tell rare words from common ones without reading FTS5's lists.
- `matrices.npz` with the heaps `vectors.<name>.f32` and `part_vectors.<name>.f32`
  (kg.search.heap): the current item vectors, memory-mapped at query time, with their item ids
  in order and each one's row in its heap; an edit appends its new vectors to the heap and
  writes `matrices.npz` again (`load_matrices`, `save_matrices`). A source window of
  several sentences is embedded once, as its sentences (`parts`; the knowledge stage needs
  every source sentence's vector anyway), and a note paragraph as its claims: its row is their
  normalised mean, and the `part_vectors` heap holds the parts' own vectors (by item id in
  `matrices.npz`), so a query scores the item by its mean and its best part (query.SENTENCE_SHARE).
- `ann.faiss` + `ann_ids.npy`: for large vaults (see ANN_FROM), an HNSW graph over the vectors
  (memory-mapped at query time), and the item id of each of its entries. It is updated in
  place: removed items become tombstones (id -1), and new vectors wait outside it (a query scans
  them exactly) until they pass PENDING_SHARE of it, when they are added in one call; it is
  rebuilt only when tombstones pass TOMBSTONE_LIMIT. It needs faiss (the `large` extra): without it there is
  no graph, and queries scan the matrix exactly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
import re
import sqlite3
import sys
import time
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kg.cache import save_atomic
from kg.search.heap import DIM, drop_heaps, place_rows, read_heap
from kg.search.knn import faiss_installed, load_faiss

INDEX_VERSION = 5
WINDOW_WORDS = 120
"""Source paragraphs longer than this are embedded in windows of whole sentences."""
MIN_WORDS = 4
ANN_FROM = 50_000
"""From this many vectors, queries go through an HNSW graph instead of scanning the whole
matrix, and re-rank its candidates exactly (bench/bench_search.py: a full scan of memory-mapped
vectors costs about 10 ms at 100k and 100 ms at 1M; the graph answers in under a millisecond)."""
ANN_M = 16
"""HNSW neighbours per node: M=16 built 100k vectors in 4.0 s against 7.1 s for M=32, with the
same recall after the exact re-rank. The graph keeps full float vectors: an 8-bit copy was a
quarter of the size but, on 1M tiled SciFact vectors, cut recall@10 from 0.75 to 0.30."""
TOMBSTONE_LIMIT = 0.25
"""The graph is rebuilt when this share of its entries belongs to removed items."""
PENDING_SHARE = 0.02
"""New vectors wait outside the graph, scanned exactly by each query, until they are this share of
its entries: adding one edit's vectors meant reading and writing the whole graph (134 MB, 0.6 s of
a 10k vault's edit); 2% of 160k vectors is a scan of 3,200 rows, well under a millisecond."""
MEAN = "#mean-of-sentences"
"""Model id suffix of the key of an item embedded as its sentences: its vector is not the text's own."""
_TOKEN = re.compile(r"[^\W_]+")


def tokens(text: str) -> set[str]:
    """The words of `text` as FTS5's unicode61 tokenizer sees them (case and accents folded)."""
    text = text.casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return set(_TOKEN.findall(text))


def count_terms(db: sqlite3.Connection, texts: Iterable[str], sign: int) -> None:
    """Add (sign 1) or remove (sign -1) the words of these item texts to the `terms` counts."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(tokens(text))
    db.executemany("INSERT INTO terms VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                   [(t, sign * n) for t, n in counts.items()])
    if sign < 0:
        db.execute("DELETE FROM terms WHERE df <= 0")


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
    role: str | None = None
    """Role of the note section it is in (questions, tensions, evidence), if any."""
    claims: list[str] = field(default_factory=list)
    """For note paragraphs: the texts of the claims, questions and tensions written in it
    (kg.claims.extract.note_claims), which it is embedded as (`parts_of`)."""


def items_of(kb, path: str, claims: dict[int, list[str]] | None = None) -> list[Item]:
    """The searchable passages of one note or source; `claims` holds a note's claim texts by the
    index of the block they are written in."""
    doc = kb.doc(path)
    info = kb.infos[path]
    if info.kind == "note":
        concept = kb.concept_by_doc.get(path)
        roles = [s.role for s in doc.sections]
        return [Item("note", path, b.line, b.text, doc.title, concept, None, info.tags, None, [], roles[b.section],
                     (claims or {}).get(index, []))
                for index, b in enumerate(doc.blocks) if roles[b.section] != "related" and len(b.text.split()) >= MIN_WORDS]
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


def parts_of(item: Item) -> list[str]:
    """The texts an item is embedded as, when it is not embedded as itself: a source window of
    several sentences as its sentences, a note paragraph as its claims (rewritten sentences,
    citations named). The knowledge stage needs the vector of every source sentence and every
    claim anyway, so a passage made of them costs no embedding of its own (a note paragraph
    embedded as itself too was a quarter of a 10k vault's cold build)."""
    texts = [t for _, _, t in item.sentences] if item.kind == "source" else item.claims
    return texts if len(texts) > 1 or (texts and texts[0] != item.text) else []


def _source_item(path, window, title, sid, tags, date) -> Item:
    return Item("source", path, window[0][0], " ".join(t for _, _, t in window), title, None, sid, tags, date,
                list(window))


def _version() -> str:
    """The index's layout and the model its vectors come from: another model indexes every file
    again, its items keyed by the new model's vectors (the old ones go at the sweep)."""
    from kg.search.embed import Embedder

    return f"{INDEX_VERSION} {Embedder.model_id}"


def text_key(text: str, model_id: str) -> str:
    return hashlib.blake2b(f"{model_id}\n{text}".encode(), digest_size=16).hexdigest()


_UNUSED = "key NOT IN (SELECT key FROM items) AND key NOT IN (SELECT key FROM parts) " \
          "AND key NOT IN (SELECT key FROM wanted)"
"""A vector no search item, sentence or claim uses."""


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
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            version = db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if version is None or version[0] != _version():  # other layout or model: re-index, keep vectors
                db.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS fts;"
                                 "DROP TABLE IF EXISTS terms; DROP TABLE IF EXISTS parts;")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (_version(),))
            db.executescript("""
                CREATE TABLE IF NOT EXISTS docs (doc TEXT PRIMARY KEY, hash TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, kind TEXT NOT NULL,
                    line INTEGER NOT NULL, text TEXT NOT NULL, title TEXT, concept TEXT, source TEXT,
                    tags TEXT, date TEXT, sentences TEXT, key TEXT NOT NULL, role TEXT);
                CREATE INDEX IF NOT EXISTS items_doc ON items(doc);
                CREATE INDEX IF NOT EXISTS items_role ON items(role) WHERE role IS NOT NULL;
                CREATE INDEX IF NOT EXISTS items_key ON items(key);
                CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, title, tokenize='unicode61 remove_diacritics 2');
                CREATE TABLE IF NOT EXISTS parts (item INTEGER NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS parts_item ON parts(item);
                CREATE INDEX IF NOT EXISTS parts_key ON parts(key);
                CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS wanted (key TEXT PRIMARY KEY) WITHOUT ROWID;
            """)
            db.commit()
        return db

    def update(self, kb, embedder_factory: Callable[[], object],
               progress: Callable[[str, int, int | None], None] | None = None,
               claims_of: Callable[[list[str]], dict[str, dict[int, list[str]]]] | None = None) -> dict[str, int]:
        """Bring the index up to date with the vault: re-index changed files, embed new text.
        `claims_of(paths)` gives the claim texts of those notes by block (`items_of`); without it
        a note paragraph is embedded as itself.
        A corrupt index file is moved aside and rebuilt, also when the damage shows only once
        the update reads it (a look at every row no longer comes first)."""
        try:
            return self._update_once(kb, embedder_factory, progress, claims_of)
        except sqlite3.DatabaseError as exc:
            # a file that is no database, or malformed; locked or full (OperationalError) is not
            # damage, and rows that contradict each other (IntegrityError) go to the build's own
            # handling, which tells the user
            if type(exc) is not sqlite3.DatabaseError:
                raise
            for suffix in ("", "-wal", "-shm"):
                part = Path(str(self.db_path) + suffix)
                if part.exists():
                    part.replace(part.with_name(f"{part.name}.corrupt-{int(time.time())}"))
            return self._update_once(kb, embedder_factory, progress, claims_of)

    def _update_once(self, kb, embedder_factory, progress, claims_of) -> dict[str, int]:
        db = self.connect(create=True)
        try:
            db.execute("SELECT count(*) FROM items").fetchone()
            return self._update(db, kb, embedder_factory, progress, claims_of)
        finally:
            db.close()

    def _update(self, db, kb, embedder_factory, progress, claims_of) -> dict[str, int]:
        indexed = dict(db.execute("SELECT doc, hash FROM docs"))
        current = {p: info.hash for p, info in kb.infos.items()}
        changed = [p for p, h in current.items() if indexed.get(p) != h]
        gone = [p for p in indexed if p not in current]
        from kg.search.embed import Embedder

        model_id = Embedder.model_id
        # an update that did not finish (its changes are in, its vectors or matrices may not be)
        # is finished by looking at everything; else only the changed files' items are looked at
        whole = db.execute("SELECT 1 FROM meta WHERE key = 'pending'").fetchone() is not None \
            or len(changed) + len(gone) > len(current) // 4
        dropped: list[int] = []  # item ids
        added: list[int] = []
        old_keys: set[str] = set()  # vectors that may have no item left
        with db:
            if changed or gone:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('pending', '1')")
            for path in gone + changed:
                old = db.execute("SELECT id, text, title, key FROM items WHERE doc = ?", (path,)).fetchall()
                count_terms(db, (f"{text}\n{title}" for _, text, title, _ in old), -1)
                dropped += [i for i, _, _, _ in old]
                old_keys |= {key for _, _, _, key in old}
                old_keys |= {k for (k,) in db.execute(
                    "SELECT key FROM parts WHERE item IN (SELECT id FROM items WHERE doc = ?)", (path,))}
                db.executemany("DELETE FROM fts WHERE rowid = ?", [(i,) for i, _, _, _ in old])
                db.executemany("DELETE FROM parts WHERE item = ?", [(i,) for i, _, _, _ in old])
                db.execute("DELETE FROM items WHERE doc = ?", (path,))
                db.execute("DELETE FROM docs WHERE doc = ?", (path,))
        new_items = 0
        for start in range(0, len(changed), 200):
            chunk = changed[start:start + 200]
            notes = [p for p in chunk if kb.infos[p].kind == "note"]
            claims = claims_of(notes) if claims_of and notes else {}  # (a chunk of sources opens no store)
            with kb.holding(chunk):
                rows = [item for path in chunk for item in items_of(kb, path, claims.get(path))]
            with db:
                for item in rows:
                    parts = parts_of(item)
                    cur = db.execute(
                        "INSERT INTO items (doc, kind, line, text, title, concept, source, tags, date, sentences, key,"
                        " role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (item.doc, item.kind, item.line, item.text, item.title, item.concept, item.source,
                         json.dumps(item.tags), item.date, json.dumps(item.sentences, ensure_ascii=False),
                         text_key(item.text, model_id + MEAN if parts else model_id), item.role))
                    added.append(cur.lastrowid)
                    db.execute("INSERT INTO fts (rowid, text, title) VALUES (?, ?, ?)",
                               (cur.lastrowid, item.text, item.title))
                    db.executemany("INSERT INTO parts VALUES (?, ?, ?)",
                                   [(cur.lastrowid, text_key(t, model_id), t) for t in parts])
                count_terms(db, (f"{item.text}\n{item.title}" for item in rows), 1)
                db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)", [(p, current[p]) for p in chunk])
            new_items += len(rows)
        # after a fresh analysis (`vectors_for`), every vector is looked at: the claims it no longer
        # wants go, the page titles the site asked for since stay
        sweep = whole or db.execute("SELECT 1 FROM meta WHERE key = 'sweep'").fetchone() is not None
        embedded = self._embed_missing(db, embedder_factory, progress, None if whole else changed,
                                       None if sweep else old_keys)
        if changed or gone or embedded or not self._matrices_readable():  # an unchanged build writes nothing
            self._write_matrix(db, progress, None if whole else (dropped, added))
        elif not (self.folder / "ann.faiss").is_file():
            self._without_graph(progress)
        with db:
            db.execute("DELETE FROM meta WHERE key IN ('pending', 'sweep')")
        return {"files": len(changed), "removed": len(gone), "items": new_items, "embedded": embedded}

    def sweep(self) -> None:
        """After a fresh analysis (`vectors_for` without add), remove the vectors nothing uses any
        more (no item, sentence or wanted claim or title): at the end of the build that asked for
        it, once the site has asked for its titles, so that the next build, unchanged, does not pay
        for a look at every vector (1.25 s of 2.8 at 10k)."""
        try:
            db = self.connect()
        except FileNotFoundError:
            return
        try:
            if db.execute("SELECT 1 FROM meta WHERE key = 'sweep'").fetchone() is not None:
                with db:
                    db.execute(f"DELETE FROM vectors WHERE {_UNUSED}")
                    db.execute("DELETE FROM meta WHERE key = 'sweep'")
        finally:
            db.close()

    def _embed_missing(self, db, embedder_factory, progress, docs: list[str] | None = None,
                       old_keys: set[str] | None = None) -> int:
        """Embed the items that have no vector yet (of `docs`, or of every file), then remove the
        vectors no item, sentence or claim uses any more (of `old_keys`, or all of them: a look at
        every vector of a 10k vault takes seconds). An item of several sentences is embedded
        once, as its sentences: its vector is the normalised mean of theirs, and the knowledge
        stage finds those sentence vectors (claims, source sentences) already made."""
        missing = "SELECT DISTINCT i.key, i.text, i.id FROM items i LEFT JOIN vectors v ON v.key = i.key " \
                  "WHERE v.key IS NULL"
        if docs is None:
            todo = db.execute(missing).fetchall()
        else:
            chunks = [docs[start:start + 500] for start in range(0, len(docs), 500)]
            todo = [row for chunk in chunks
                    for row in db.execute(f"{missing} AND i.doc IN ({','.join('?' * len(chunk))})", chunk)]
        total = len(todo)
        if todo:
            self._embed(db, todo, embedder_factory, progress)
        with db:  # vectors of text no longer in the vault leave the cache
            if old_keys is None:
                db.execute(f"DELETE FROM vectors WHERE {_UNUSED}")
            else:
                db.executemany("DELETE FROM vectors WHERE key = ?1 AND NOT EXISTS (SELECT 1 FROM items WHERE key = ?1) "
                               "AND NOT EXISTS (SELECT 1 FROM parts WHERE key = ?1) "
                               "AND NOT EXISTS (SELECT 1 FROM wanted WHERE key = ?1)", [(k,) for k in old_keys])
        return total

    def _embed(self, db, todo: list[tuple], embedder_factory, progress) -> None:
        embedder = embedder_factory()
        total = len(todo)
        for start in range(0, total, 512):
            chunk = todo[start:start + 512]
            parts: dict[str, list[str]] = {}
            texts: dict[str, str] = {}
            for key, text, item in chunk:
                rows = db.execute("SELECT key, text FROM parts WHERE item = ? ORDER BY rowid", (item,)).fetchall()
                if rows:
                    parts[key] = [k for k, _ in rows]
                    texts.update(rows)
                else:
                    texts[key] = text
            have = {k: np.frombuffer(b, dtype=np.float32) for k, b in self._vectors(db, list(texts)).items()}
            missing = [k for k in texts if k not in have]
            made = dict(zip(missing, embedder.embed([texts[k] for k in missing]))) if missing else {}
            rows = [(k, v.tobytes()) for k, v in made.items()]
            for key, keys in parts.items():
                mean = np.mean([made[k] if k in made else have[k] for k in keys], axis=0)
                rows.append((key, (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32).tobytes()))
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            if progress:
                progress("Embedding passages", min(start + 512, total), total)

    def _without_graph(self, progress=None) -> None:
        """A current matrix without a graph: a small vault; or a large one, built without faiss
        (said again), or since given faiss (the graph is built now)."""
        try:
            last = load_matrices(self.folder)
        except (OSError, ValueError):
            return
        if len(last.ids) >= ANN_FROM:
            sync_ann(self.folder, last.ids, last.matrix, progress)

    def _matrices_readable(self) -> bool:
        """Whether the vector matrices are there and whole (mapped, not read)."""
        try:
            load_matrices(self.folder)
        except (OSError, ValueError):
            return False
        return True

    @staticmethod
    def _vectors(db, keys: list[str]) -> dict[str, bytes]:
        return {k: v for rows in SearchIndex._vector_rows(db, keys) for k, v in rows}

    @staticmethod
    def _vector_rows(db, keys: list[str]) -> Iterator[list[tuple[str, bytes]]]:
        """The (key, vector bytes) stored of these keys, 500 keys at a time."""
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            yield db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                             chunk).fetchall()

    def vectors_for(self, texts: list[str], embedder_factory: Callable[[], object],
                    progress: Callable[[str, int, int | None], None] | None = None,
                    stage: str = "Embedding claims", add: bool = False) -> np.ndarray:
        """Vectors of texts that are not search items (claims, source sentences), one row per
        text: cached with the passages' vectors, embedding only text not seen before. The texts
        of the last call stay cached until the next call; with add=True, those of the calls
        before it stay too (a later stage of the same build asking for more texts)."""
        from kg.search.embed import DIM, Embedder

        at: dict[str, list[int]] = {}  # each text's key -> its rows (a text asked for twice has two)
        for n, text in enumerate(texts):
            at.setdefault(text_key(text, Embedder.model_id), []).append(n)
        out = np.zeros((len(texts), DIM), dtype=np.float32)

        def put(keys: list[str], vectors: np.ndarray) -> None:  # written straight into `out`: a fresh
            # analysis's 180k claim vectors were held twice, as bytes by key and joined (560 MB)
            rows = [n for k in keys for n in at[k]]
            out[rows] = vectors[[r for r, k in enumerate(keys) for _ in at[k]]] if len(rows) > len(keys) else vectors

        unique = list(at)
        db = self.connect(create=True)
        try:
            found: set[str] = set()
            for rows in self._vector_rows(db, unique):
                if rows:
                    put([k for k, _ in rows], np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32)
                        .reshape(len(rows), -1))
                    found.update(k for k, _ in rows)
            todo = [(k, texts[at[k][0]]) for k in unique if k not in found]
            del found
            embedder = embedder_factory() if todo else None
            for start in range(0, len(todo), 512):
                chunk = todo[start:start + 512]
                vectors = embedder.embed([t for _, t in chunk])
                put([k for k, _ in chunk], vectors)
                with db:
                    db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                   [(k, v.tobytes()) for (k, _), v in zip(chunk, vectors)])
                if progress:
                    progress(stage, min(start + 512, len(todo)), len(todo))
            with db:
                if not add:  # the claims a fresh analysis no longer wants leave the cache: at the end of this
                    # build (`sweep`), or at the next update when this one drew no search
                    db.execute("DELETE FROM wanted")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('sweep', '1')")
                db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", [(k,) for k in unique])
        finally:
            db.close()
        return out

    def want(self, texts: list[str]) -> None:
        """Keep the vectors of these texts through the next sweep without reading them (the page
        titles whose units the site kept from the last build). Only a fresh analysis forgets what
        was wanted (`vectors_for` without add, which asks for a sweep): after any other build the
        texts wanted before still are (naming 19k titles again took 0.3 s of a 10k edit)."""
        from kg.search.embed import Embedder

        db = self.connect(create=True)
        try:
            if db.execute("SELECT 1 FROM meta WHERE key = 'sweep'").fetchone() is None:
                return
            keys = {text_key(t, Embedder.model_id) for t in texts}
            with db:
                db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", [(k,) for k in keys])
        finally:
            db.close()

    def _write_matrix(self, db, progress=None, change: tuple[list[int], list[int]] | None = None) -> None:
        """Write the matrices of item and sentence vectors: read whole from the database, or, with
        `change` (the item ids removed, the ids added), the last ones without the removed items,
        with the added ones read and appended to their heaps (a 10k vault's 250,000 vectors are
        neither read nor copied for one edit)."""
        items = "SELECT i.id, v.vector FROM items i JOIN vectors v ON v.key = i.key"
        parts_of = "SELECT p.item, v.vector FROM parts p JOIN vectors v ON v.key = p.key"
        try:
            last = load_matrices(self.folder) if change is not None else None
        except (OSError, ValueError):
            last = None
        if last is None:
            ids, matrix = _rows(db.execute(f"{items} ORDER BY i.id"))
            part_ids, parts = _rows(db.execute(f"{parts_of} ORDER BY p.item, p.rowid"))
            save_matrices(self.folder, [(ids, np.full(len(ids), -1), matrix, None),
                                        (part_ids, np.full(len(part_ids), -1), parts, None)])
            sync_ann(self.folder, ids, matrix, progress)
            return
        dropped, added = (np.array(sorted(x), dtype=np.int64) for x in change)
        chunks = [added[start:start + 500].tolist() for start in range(0, len(added), 500)]

        def merged(kind: str, old_ids, old_rows, heap: tuple[str, int], query: str, item: str, order: str) -> tuple:
            """The new ids, their rows in the last heap (-1: added), the matrix they make, the heap."""
            kept = np.nonzero(~np.isin(old_ids, dropped))[0]
            new = [_rows(db.execute(f"{query} WHERE {item} IN ({','.join('?' * len(c))}) ORDER BY {order}", c))
                   for c in chunks]
            all_ids = np.concatenate([old_ids[kept], *(n[0] for n in new)])
            fresh = np.concatenate([n[1] for n in new]) if new else np.zeros((0, DIM), np.float32)
            rows = np.r_[old_rows[kept], np.full(len(fresh), -1)]
            if len(all_ids) and bool((np.diff(all_ids) < 0).any()):  # ids are given in order: new ones come last
                by_id = np.argsort(all_ids, kind="stable")  # one item's sentences keep their order
                all_ids, rows, fresh = all_ids[by_id], rows[by_id], fresh[by_id[by_id >= len(kept)] - len(kept)]
            return all_ids, rows, Gathered(read_heap(self.folder, kind, *heap), rows, fresh), heap

        now = save_matrices(self.folder, [
            merged(KINDS[0], last.ids, last.rows[0], last.heaps[0], items, "i.id", "i.id"),
            merged(KINDS[1], last.part_ids, last.rows[1], last.heaps[1], parts_of, "p.item", "p.item, p.rowid")])
        sync_ann(self.folder, now.ids, now.matrix, progress)


KINDS = ("vectors", "part_vectors")
"""The heaps (kg.search.heap) of the item vectors and of the sentence vectors."""
MATRICES = "matrices.npz"
"""What names the rows of the two heaps: the item ids (sorted) with each one's row in its heap,
the sentence vectors' item ids (sorted, one item's in order) with theirs, and each heap's name
and length. Written atomically after the rows it names."""
LEGACY = ("vectors.npy", "vector_ids.npy", "part_vectors.npy", "part_ids.npy", "vectors.sq8")
"""The matrices as kg wrote them before its heaps (and the 8-bit copy of index version 1)."""


class Matrices(NamedTuple):
    """The search matrices as last written: the item ids (sorted) and their vectors, row by row,
    and the sentence vectors with the id of the item each is of (sorted)."""
    ids: np.ndarray
    matrix: np.ndarray
    """Memory-mapped: the heap itself, or a `Gathered` view of its rows once items are gone."""
    part_ids: np.ndarray
    parts: np.ndarray
    heaps: tuple[tuple[str, int], tuple[str, int]]
    """Each heap's name and length."""
    rows: tuple[np.ndarray, np.ndarray]
    """The row of each vector (of `ids`, of `part_ids`) in its heap."""


def load_matrices(folder: Path) -> Matrices:
    """The search matrices last written, memory-mapped; OSError or ValueError when they are not
    there or not whole. Names read as another build wrote a heap afresh and dropped the one they
    name are read again."""
    for attempt in range(3):
        try:
            try:
                with np.load(folder / MATRICES) as saved:
                    ids, rows, part_ids, part_rows, names, lengths = (
                        saved[k] for k in ("ids", "rows", "part_ids", "part_rows", "heaps", "lengths"))
            except (KeyError, EOFError, zipfile.BadZipFile) as exc:  # damaged, or another kg's
                raise ValueError(f"{MATRICES} cannot be read ({exc})") from None
            heaps = tuple((str(n), int(length)) for n, length in zip(names.tolist(), lengths.tolist()))
            if len(heaps) != len(KINDS):
                raise ValueError(f"{MATRICES} names {len(heaps)} heaps")
            return _mapped(folder, (ids, part_ids), (rows, part_rows), heaps)
        except FileNotFoundError:
            if attempt == 2 or not (folder / MATRICES).is_file():
                raise
    raise AssertionError("unreachable")


def _mapped(folder: Path, keys: tuple, rows: tuple, heaps: tuple) -> Matrices:
    """The matrices these ids, rows and heaps (name, length) make, their heaps memory-mapped."""
    views = [_view(read_heap(folder, kind, *heap), *pair) for kind, heap, pair in zip(KINDS, heaps, zip(keys, rows))]
    return Matrices(keys[0], views[0], keys[1], views[1], heaps, rows)


def _view(heap: np.ndarray, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The matrix of `rows` of `heap`: the heap itself when they are all its rows in order."""
    if len(keys) != len(rows) or (len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= len(heap))):
        raise ValueError(f"{MATRICES} names rows its heaps do not hold")
    if len(rows) == len(heap) and (not len(rows) or (rows[0] == 0 and bool((np.diff(rows) == 1).all()))):
        return heap
    return Gathered(heap, rows, np.zeros((0, heap.shape[1]), dtype=heap.dtype))


def save_matrices(folder: Path, kinds: list[tuple]) -> Matrices:
    """Keep the item vectors and the sentence vectors in their heaps, then name their rows
    (MATRICES). Each of `kinds` is (ids, rows, vectors, heap): the ids in order; each vector's row
    in `heap` (the last heap's name and length, or None), -1 for one not in it; the vectors."""
    placed = [place_rows(folder, kind, heap, rows.astype(np.int64), vectors)
              for kind, (_, rows, vectors, heap) in zip(KINDS, kinds)]
    save_atomic(folder / MATRICES, lambda f: np.savez(
        f, ids=kinds[0][0], rows=placed[0][2], part_ids=kinds[1][0], part_rows=placed[1][2],
        heaps=np.array([p[0] for p in placed]), lengths=np.array([p[1] for p in placed], dtype=np.int64)))
    for kind, (name, _, _) in zip(KINDS, placed):  # each heap's old rows dropped once the new ones are named
        drop_heaps(folder, kind, keep=name)
    for name in LEGACY:
        (folder / name).unlink(missing_ok=True)
    return _mapped(folder, (kinds[0][0], kinds[1][0]), (placed[0][2], placed[1][2]),
                   tuple((name, length) for name, length, _ in placed))


class Gathered:
    """The matrix whose row n is `base[rows[n]]`, or the next row of `extra` where rows[n] is -1,
    read where its rows lie: a claim pool after an edit is the last pool's rows, kept in place in
    their memory-mapped heap (kg.search.heap), with a few new ones. Copying a 10k vault's 222 MB
    of them into a new matrix took 0.1-0.3 s of an edit, and 2.5-2.8 s when this virtual machine
    was slow to give the process new memory (the same 52k page faults, ten times the system time);
    the pages of the mapped file are in memory already. Rows taken by index (an int, a slice, a list
    or array of ints) and products (`matrix @ other`) are what the analysis asks for; anything else
    reads it whole (`__array__`)."""

    def __init__(self, base: np.ndarray, rows: np.ndarray, extra: np.ndarray):
        self.base, self.rows, self.extra = base, rows, extra
        self.slot = np.full(len(rows), -1, dtype=np.int64)
        missing = np.nonzero(rows < 0)[0]
        if len(missing) != len(extra):
            raise ValueError(f"{len(missing)} rows are not in the base, and {len(extra)} are given")
        self.slot[missing] = np.arange(len(missing))
        self.held = rows >= 0
        self.shape = (len(rows), base.shape[1])
        self.dtype = base.dtype
        self.ndim = 2

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, (int, np.integer)):
            row = self.rows[key]
            return self.base[row] if row >= 0 else self.extra[self.slot[key]]
        at = np.arange(len(self.rows))[key] if isinstance(key, slice) else np.asarray(key)
        at = np.nonzero(at)[0] if at.dtype == bool else at.astype(np.int64, copy=False)
        rows = self.rows[at]
        out = np.empty((len(at), self.shape[1]), dtype=self.dtype)
        held = rows >= 0
        out[held] = self.base[rows[held]]
        if not held.all():
            out[~held] = self.extra[self.slot[at[~held]]]
        return out

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        product = self.base @ other  # over the whole heap: with the rows of claims gone, at most twice the pool's
        out = np.empty((len(self.rows), *product.shape[1:]), dtype=product.dtype)
        out[self.held] = product[self.rows[self.held]]
        if len(self.extra):
            out[~self.held] = self.extra @ other
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype, copy=False)


def copy_rows(old: np.ndarray, source: np.ndarray, out: np.ndarray) -> None:
    """out[n] = old[source[n]] for every n with source[n] >= 0, copying runs of consecutive rows
    whole: a matrix after an edit is the last one with a few rows in or out, and a copy row by
    row of a 10k vault's vectors took seconds. From a memory-mapped file, the runs are read from
    the file straight into `out` (`_read_rows`)."""
    if not len(source):
        return
    breaks = np.nonzero((np.diff(source) != 1) | (source[1:] < 0) | (source[:-1] < 0))[0] + 1
    runs = [(start, end, int(source[start])) for start, end in zip(np.r_[0, breaks].tolist(),
                                                                 np.r_[breaks, len(source)].tolist())
            if source[start] >= 0]
    if _read_rows(old, runs, out):
        return
    for start, end, first in runs:
        out[start:end] = old[first:first + end - start]


def _read_rows(old: np.ndarray, runs: list[tuple[int, int, int]], out: np.ndarray) -> bool:
    """Copy the runs (start, end, first row of `old`) by reading `old`'s file, when `old` is a whole
    memory-mapped matrix (not a view of one) of `out`'s type and both are C-ordered; False when it
    is not, or the file cannot be read. Touching a 10k vault's 222 MB of mapped claim vectors page
    by page took 1.3-3 s of an edit on a virtual machine where reading the file took 0.08 s."""
    if not (isinstance(old, np.memmap) and isinstance(old.base, mmap.mmap) and old.filename and old.ndim == 2
            and old.dtype == out.dtype and old.flags.c_contiguous and out.flags.c_contiguous):
        return False
    row = old.shape[1] * old.dtype.itemsize
    try:
        with open(old.filename, "rb", buffering=0) as f:
            for start, end, first in runs:
                view = memoryview(out[start:end]).cast("B")
                f.seek(old.offset + first * row)
                done = 0
                while done < len(view):
                    got = f.readinto(view[done:])
                    if not got:
                        raise OSError("the vectors file is shorter than its matrix")
                    done += got
    except OSError:
        return False
    return True


def let_pages_go(*arrays: np.ndarray) -> None:
    """Drop the pages of these memory-mapped arrays from the process (the kernel still caches
    them; the next read maps them again): a cold site build read a 10k vault's 380 MB of vectors
    through maps, and they counted in its memory to its end."""
    for array in arrays:
        # numpy's memmap keeps its mmap in `_mmap`; a heap's `Gathered` view, in its base's
        mapped = getattr(array.base if isinstance(array, Gathered) else array, "_mmap", None)
        if mapped is not None and hasattr(mmap, "MADV_DONTNEED"):
            with contextlib.suppress(OSError, ValueError):
                mapped.madvise(mmap.MADV_DONTNEED)


def _rows(cursor) -> tuple[np.ndarray, np.ndarray]:
    rows = cursor.fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1) \
        if rows else np.zeros((0, 384), dtype=np.float32)
    return ids, matrix


def save_rows(path: Path, old: np.memmap, source: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Write the .npy matrix at `path`, whole or not at all: row n is row `source[n]` of `old` (a
    memory-mapped .npy), copied from its file by the kernel a run at a time (os.copy_file_range),
    or, where `source[n]` is -1, the next row of `added`. Returns the new matrix, memory-mapped.
    The site's meaning search keeps its units' codes so (kg.publish.semantic): an edit keeps nearly
    every row, and copied through Python, a 10k vault's 230 MB of search matrices took 1.3 s, three
    times as long as by the kernel."""
    row = old.shape[1] * old.dtype.itemsize
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        start = np.lib.format.open_memmap(tmp, mode="w+", dtype=old.dtype, shape=(len(source), old.shape[1])).offset
        kept = source >= 0
        breaks = np.nonzero((kept[1:] != kept[:-1]) | (kept[1:] & (np.diff(source) != 1)))[0] + 1
        runs = zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(source)].tolist()) if len(source) else ()
        taken = 0
        with open(old.filename, "rb") as src, open(tmp, "r+b") as dst:
            for first, end in runs:
                at = start + first * row
                if source[first] >= 0:
                    _copy_range(src.fileno(), dst.fileno(), old.offset + int(source[first]) * row, at, (end - first) * row)
                else:
                    dst.seek(at)
                    dst.write(np.ascontiguousarray(added[taken:taken + end - first], dtype=old.dtype).data)
                    taken += end - first
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return np.load(path, mmap_mode="r")


def _copy_range(src: int, dst: int, src_at: int, dst_at: int, count: int) -> None:
    """`count` bytes from `src_at` in one file to `dst_at` in another, by the kernel where it can."""
    while count > 0:
        try:
            done = os.copy_file_range(src, dst, count, src_at, dst_at)
        except (AttributeError, OSError):  # no such call here, or not between these files
            data = os.pread(src, min(count, 1 << 24), src_at)
            done = os.pwrite(dst, data, dst_at) if data else 0
        if done <= 0:
            raise OSError(f"could not copy {count} bytes of vectors")
        count, src_at, dst_at = count - done, src_at + done, dst_at + done


_told = False


def tell_without_faiss(passages: int) -> None:
    """Say once per process, on stderr, that a vault this large searches faster with faiss."""
    global _told
    if not _told:
        _told = True
        sys.stderr.write(f"kg: {passages:,} passages and no faiss: search scans every vector; "
                         "pip install 'kg-notes[large]' makes search on this vault faster\n")


def sync_ann(folder: Path, ids: np.ndarray, matrix: np.ndarray, progress=None) -> str:
    """Make `ann.faiss` index the vectors of `ids`: tombstone the removed ones, add the new ones
    once they pass PENDING_SHARE of it (until then a query scans them exactly), rebuild only when
    it is missing, unreadable or mostly tombstones. Returns what it did: none (small vault), exact
    (a large vault without faiss: no graph), kept, pending (new vectors wait), updated or built."""
    path, labels_path, about_path = folder / "ann.faiss", folder / "ann_ids.npy", folder / ANN_ABOUT

    def without() -> str:  # a small vault, or no faiss (the `large` extra): queries scan exactly
        for gone in (path, labels_path, about_path):  # a graph of an earlier build would miss these vectors
            gone.unlink(missing_ok=True)
        if len(ids) < ANN_FROM:
            return "none"
        tell_without_faiss(len(ids))
        return "exact"

    if len(ids) < ANN_FROM or not faiss_installed():
        return without()
    usable = False
    try:  # the graph is read whole only to add to it
        labels = np.load(labels_path)
        shape = _ann_shape(path, about_path)
        usable = shape == (len(labels), matrix.shape[1])
    except (RuntimeError, OSError, ValueError):
        pass
    if usable:
        before = labels
        labels = np.where(np.isin(before, ids), before, -1)
        new = ids[~np.isin(ids, labels)]
        if new.size == 0 and np.array_equal(labels, before):
            return "kept"
        usable = (labels < 0).sum() <= TOMBSTONE_LIMIT * (len(labels) + len(new))
        if usable and len(new) <= PENDING_SHARE * len(labels):  # they wait: only tombstones are written
            if not np.array_equal(labels, before):
                save_atomic(labels_path, lambda f: np.save(f, labels.astype(np.int64)))
            return "pending"
    faiss = load_faiss()
    if faiss is None:  # (installed, but it would not import)
        return without()
    if not usable:
        index = faiss.IndexHNSWFlat(matrix.shape[1], ANN_M, faiss.METRIC_INNER_PRODUCT)
        labels, new, action = np.zeros(0, dtype=np.int64), ids, "built"
    else:
        index, action = (faiss.read_index(str(path)) if new.size else None), "updated"
    if index is not None:
        if progress:
            progress("Indexing vectors", 0, len(new))
        # One add call: faiss inserts a batch level by level, and feeding 1M vectors in chunks of
        # 20k built a graph with recall@10 0.35 against 0.80 for a single call.
        index.add(np.ascontiguousarray(matrix[np.searchsorted(ids, new)]))
        if progress:
            progress("Indexing vectors", len(new), len(new))
        tmp = path.with_name(f".{path.name}.tmp")
        faiss.write_index(index, str(tmp))
        os.replace(tmp, path)
        _describe_ann(path, about_path, index.ntotal, index.d)
    labels = np.concatenate([labels, new]).astype(np.int64)
    save_atomic(labels_path, lambda f: np.save(f, labels))  # tombstones alone rewrite only this file
    return action


ANN_ABOUT = "ann.json"
"""What `ann.faiss` holds (entries, dimension) and the file it was said of (size, modification
time, inode): read instead of the graph to tell whether an edit can keep it."""


def _ann_shape(path: Path, about_path: Path) -> tuple[int, int] | None:
    """(entries, dimension) of the HNSW graph at `path`, None if it is not one: from `ANN_ABOUT`
    while it describes the file as it is on disk, else from the graph itself (then described for
    the next build). Reading the graph, even memory-mapped, to learn these took 0.12-0.21 s and
    33-45k page faults of every 10k vault's edit."""
    stat = path.stat()
    try:
        about = json.loads(about_path.read_text(encoding="utf-8"))
        if about.get("file") == [stat.st_size, stat.st_mtime_ns, stat.st_ino]:
            return int(about["ntotal"]), int(about["d"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    faiss = load_faiss()
    if faiss is None:
        raise ValueError("faiss would not import")
    probe = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    if type(faiss.downcast_index(probe)) is not faiss.IndexHNSWFlat:
        return None
    _describe_ann(path, about_path, probe.ntotal, probe.d)
    return probe.ntotal, probe.d


def _describe_ann(path: Path, about_path: Path, ntotal: int, d: int) -> None:
    stat = path.stat()
    about = {"ntotal": int(ntotal), "d": int(d), "file": [stat.st_size, stat.st_mtime_ns, stat.st_ino]}
    save_atomic(about_path, lambda f: f.write(json.dumps(about).encode()))
