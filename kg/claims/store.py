"""The knowledge stage of the build, kept as rows in `.kg/knowledge.sqlite` (with a schema version)
so that an edit costs what it changes:

- claims per file, keyed by everything they are made from (kg.claims.perfile): only changed
  files are read again, on every core when there are many;
- inferred evidence per claim id, kept unless its claim changed, its evidence came from a changed
  source, or a new source sentence comes among its nearest;
- declared evidence per claim, kept while its text and cited sources are unchanged;
- every candidate pair of the tension search with its verdict, as rows of the pool of claims
  kept with the pool (each claim's content key, its vector and its k-th neighbour's cosine) in
  `claim_pool.npz`, its vectors in a memory-mapped heap `pool_vectors.<name>.f32` that an edit
  appends its new claims' vectors to (kg.search.heap), so only pairs that involve a new claim are
  looked for (an exact neighbour search of the new claims against the pool's vectors) and judged.

Commands that only read the result (`kg claims`, `kg tensions`, `kg show`, `kg check`) make it
again from the memo when nothing changed (judging nothing). The user's review decisions apply to
every analysis. What they
settle to is kept as rows too (`settled`: each claim's status and counts; `claim_concepts`: the
files whose claims name a concept; `settled_evidence`; `settled_tensions` with `tension_keys`,
the claims and subjects each touches), so that when nothing changed `kg claims --concept X`,
`kg tensions --concept X` and `kg show X` read the rows of X's files and nothing else, and
`kg claims` and `kg tensions` every settled row (`Analysis.rows`).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import marshal
import operator
import os
import re
import secrets
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson

from kg.cache import rows_in, save_atomic
from kg.claims import review
from kg.claims.evidence_set import as_set
from kg.claims.perfile import (
    LISTED,
    ClaimRows,
    Extra,
    FileClaims,
    claims_of,
    decode,
    extract_many,
    file_key,
    files_naming,
    is_about,
    key_context,
    link_titles,
    link_views,
    mention_names,
    midsentence_words,
    moved_lines,
    names_changed,
    places_of,
    stub_titles,
    tension_blocks,
    texts_of,
)
from kg.model import Claim, Diagnostic, Evidence, Tension, set_fields
from kg.search.embed import Embedder
from kg.search.heap import keep_heap, read_heap

if TYPE_CHECKING:
    from kg.claims.analyse import Knowledge, Memo
# kg.claims.analyse (with evidence and tensions) is imported when there is something to analyse

SCHEMA = 17
"""Bump when the layout of the tables changes (9: the claims' extras marshalled, not JSON; 10: each
file's word filter; 11: each settled evidence item's source path, indexed; 12: settled claims indexed
by id, for the other sides of a page's tensions; 13: numeric explanations kept without their claims'
lines, kg.claims.tensions.A_AT; 15: the extras kept as columns, with the claims' kinds, origins and
ids: kg.claims.perfile.FileClaims.columns; 16: what a listing reads of each claim kept as records,
kg.claims.perfile.FileClaims.listing; 17: those records in a table of their own, `claim_rows`)."""
FILE = "knowledge.sqlite"
SCAN_FROM = 1000
"""`KnowledgeStore.stored_claims` of this many files or more reads the whole table once (every
file's columns at 10k notes: 0.029-0.041 s, where a lookup of each of 11,000 paths took 0.037-0.047 s)."""
POOL = "claim_pool.npz"
SENTENCES = "sentence_keys.npy"
"""The source sentences' text keys of the last matcher; their vectors are in
`sentence_vectors.<digest of the keys>.npy`, memory-mapped (a 10k vault's 107 MB read whole from
an .npz took 0.7 s), so the two files always belong together."""
TABLES = ("settled", "claim_concepts", "settled_evidence", "settled_tensions", "tension_keys", "settled_digests",
          "settled_counts")
"""The settled rows (`KnowledgeStore.save_settled`)."""
BUCKETS = 4096
"""The settled evidence is compared and written again in this many buckets of claim ids
(`_bucket`): a 10k vault's 45k claims with evidence, about 11 in a bucket."""
BATCH_FILES = 500
"""Files a batch of `KnowledgeStore.batches` holds."""


@functools.cache
def _code_bytes() -> str:
    """The knowledge stage's files as they are: when they are as the store last saw them, its
    `_code` stands without parsing them (half a second)."""
    h = hashlib.blake2b(Embedder.model_id.encode(), digest_size=12)
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


@functools.cache
def _code() -> str:
    """The knowledge stage's own code and the model its vectors come from: a new kg version
    analyses again. Read as syntax without docstrings or comments, so that rewording them keeps a
    vault's analysis (at 10k notes, 12 minutes)."""
    h = hashlib.blake2b(f"knowledge {SCHEMA} {Embedder.model_id}\n".encode(), digest_size=12)
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(_syntax(p.read_bytes()).encode())
    return h.hexdigest()


def _syntax(source: bytes) -> str:
    """Python source as its syntax tree, without docstrings, those of fields included (any string
    standing alone as a statement does nothing), and without comments (they are not in the tree)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                and isinstance(s.value.value, str))]
                setattr(node, name, kept or [ast.Pass()])
    return ast.dump(tree)


def fingerprint(kb) -> str:
    """What the knowledge stage is made from, cheaply: every file's hash, the concepts' names and
    this stage's files (for stamps of products made from the knowledge, e.g. the query store)."""
    h = hashlib.blake2b(_code_bytes().encode(), digest_size=12)
    for path, info in kb.infos.items():
        h.update(f"{path}\0{info.hash}\n".encode())
    for cid, c in sorted(kb.concepts.items()):
        h.update(f"{cid}\0{c.title}\0{'|'.join(c.aliases)}\0{c.doc}\n".encode())
    return h.hexdigest()


_DECODED: dict[str, dict[str, tuple[str, list[tuple[Claim, Extra]]]]] | None = None
"""Per store file, per vault file: (claims key, its claims decoded), kept by KnowledgeStore.claims
in a process that builds again and again (`remember_claims`)."""


def remember_claims() -> None:
    """Keep the claims decoded between builds of this process (kg serve): a rebuild decodes only
    the files whose claims changed. The same Claim objects then serve every build (each analysis
    sets their status afresh), so a build's result changes when a later build runs."""
    global _DECODED
    if _DECODED is None:
        _DECODED = {}


class KnowledgeStore:
    """The rows of one vault's knowledge stage."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._held: dict[str, tuple[str, bytes]] | None = None
        """`file_versions` as a `snapshot` read them (they cannot change in it)."""
        self._snapshot = False
        self.placed: dict[tuple[str, str], int] | None = None
        """When a dict, `models` puts there the place of each claim of the files it reads, by (file,
        id), in the order its file writes them (of an id written twice, the last)."""
        self.path = folder / FILE
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:  # a broken file is moved aside and the stage runs afresh
            for suffix in ("", "-wal", "-shm"):
                part = Path(str(self.path) + suffix)
                if part.exists():
                    part.replace(part.with_name(f"{part.name}.corrupt-{int(time.time())}"))
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        stored = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('version', 'code')"))
        same_files = stored.get("code") == _code_bytes() and "version" in stored
        self.version = stored["version"] if same_files else _code()
        if same_files:  # its tables are as this code made them: opened without a write (a 10k edit opens
            return db  # the store 24 times, and each wrote its version and made its close write the log back)
        if stored.get("version") != self.version:
            db.executescript("".join(f"DROP TABLE IF EXISTS {t};" for t in ("files", "records", "file_index", "inferred",
                                                                             "declared", "pairs", "related", "explained",
                                                                             "settled_related", *TABLES))
                             + "DELETE FROM meta;")
            for name in (POOL, SENTENCES, "claim_vectors.npy", "claim_kth.npy"):  # (the last two: kg before SCHEMA 3)
                (self.folder / name).unlink(missing_ok=True)
            for old in (*self.folder.glob("sentence_vectors.*.npy"), *self.folder.glob("pool_vectors.*")):
                old.unlink(missing_ok=True)
        db.executescript("""
            CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, key TEXT NOT NULL, asked TEXT NOT NULL,
                mid TEXT NOT NULL, columns BLOB NOT NULL, claims BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS records (path TEXT PRIMARY KEY, listing BLOB NOT NULL, measured BLOB NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS file_index (path TEXT PRIMARY KEY, key TEXT NOT NULL, digest BLOB NOT NULL,
                problems TEXT NOT NULL, named BLOB NOT NULL, words BLOB NOT NULL, tensions BLOB NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS inferred (claim TEXT PRIMARY KEY, dep TEXT NOT NULL, kth REAL NOT NULL,
                docs TEXT NOT NULL, tally TEXT NOT NULL, data TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS declared (claim TEXT PRIMARY KEY, key TEXT NOT NULL, data TEXT NOT NULL,
                problems TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS settled (doc TEXT NOT NULL, id TEXT NOT NULL, status TEXT,
                supports INTEGER NOT NULL, opposes INTEGER NOT NULL, cluster TEXT, PRIMARY KEY (doc, id)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS settled_id ON settled (id);
            CREATE INDEX IF NOT EXISTS settled_contested ON settled (doc) WHERE status = 'contested';
            CREATE INDEX IF NOT EXISTS settled_cluster ON settled (cluster) WHERE cluster IS NOT NULL;
            CREATE INDEX IF NOT EXISTS settled_unsupported ON settled (doc) WHERE status = 'unsupported';
            CREATE TABLE IF NOT EXISTS claim_concepts (concept TEXT NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (concept, doc)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS claim_concepts_doc ON claim_concepts (doc);
            CREATE TABLE IF NOT EXISTS settled_evidence (claim TEXT NOT NULL, data TEXT NOT NULL,
                bucket INTEGER NOT NULL, source TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS settled_evidence_claim ON settled_evidence (claim);
            CREATE INDEX IF NOT EXISTS settled_evidence_bucket ON settled_evidence (bucket);
            CREATE INDEX IF NOT EXISTS settled_evidence_source ON settled_evidence (source);
            CREATE TABLE IF NOT EXISTS settled_counts (doc TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS settled_digests (kind TEXT NOT NULL, name TEXT NOT NULL, digest BLOB NOT NULL,
                PRIMARY KEY (kind, name)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS settled_tensions (n INTEGER PRIMARY KEY, state TEXT NOT NULL, data TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS settled_tensions_kind ON settled_tensions (state, json_extract(data, '$.kind'));
            CREATE TABLE IF NOT EXISTS tension_keys (key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, n))
                WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS related (doc TEXT PRIMARY KEY, keys TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS explained (a TEXT NOT NULL, b TEXT NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (a, b)) WITHOUT ROWID;
        """)
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [("version", self.version), ("code", _code_bytes())])
        db.commit()
        return db

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read in the block sees the store as it was at the first one (a read transaction
        in SQLite's WAL mode): another kg saving an analysis meanwhile changes nothing it sees, so
        a listing read in batches over several seconds is of one analysis."""
        self.db.execute("BEGIN")
        self._snapshot = True  # (`file_versions` are kept once read: a 10k vault's listing read them once
        try:  # a batch, 0.5 s; a page's preview reads none, and reading them first took 0.05 s of an edit)
            yield
        finally:
            self._held, self._snapshot = None, False
            self.db.rollback()

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self.db.close()

    # -- claims per file -------------------------------------------------------------------
    def file_states(self, paths: list[str] | None = None) -> dict[str, tuple[str, dict[str, bool], dict[str, int]]]:
        """path -> (key, words asked about with their answers, mid-sentence words of a source): of
        these files (those stored), or of every file."""
        query = "SELECT path, key, asked, mid FROM files"
        if paths is None:
            rows = self.db.execute(query).fetchall()
        else:
            rows = list(rows_in(self.db, query + " WHERE path IN ({})", paths))
        return {p: (k, json.loads(a), json.loads(m)) for p, k, a, m in rows}

    def file_keys(self) -> dict[str, str]:
        """path -> the key of its stored claims (nothing else of the file's row is read)."""
        if self._snapshot:
            return {p: key for p, (key, _) in self.file_versions().items()}
        return dict(self.db.execute("SELECT path, key FROM file_index"))

    def file_versions(self) -> dict[str, tuple[str, bytes]]:
        """path -> (the key of its stored claims, a digest of them as stored): a file extracted
        again keeps its key when only the words it asked about read otherwise (`_claim_files`)."""
        if self._held is not None:
            return self._held
        found = {p: (key, digest) for p, key, digest in self.db.execute("SELECT path, key, digest FROM file_index")}
        if self._snapshot:
            self._held = found
        return found

    def store_files(self, rows: list[tuple[str, FileClaims, list[Diagnostic]]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                                [(p, f.key, json.dumps(f.asked), json.dumps(f.mid), f.columns, f.claims)
                                 for p, f, _ in rows])
            self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                                [(p, f.listing, f.measured) for p, f, _ in rows])
            self.db.executemany("INSERT OR REPLACE INTO file_index VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [(p, f.key, hashlib.blake2b(f.claims + f.listing + f.columns, digest_size=12).digest(),
                                  json.dumps([d.model_dump() for d in problems]), f.named, f.words,
                                  marshal.dumps(tension_blocks(f), 4)) for p, f, problems in rows])

    def tension_blocks(self) -> dict[str, list[int]]:
        """The files that declare a tension, with the blocks that do (kg.claims.perfile.tension_blocks)."""
        return {p: marshal.loads(blocks) for p, blocks in self.db.execute(
            "SELECT path, tensions FROM file_index WHERE tensions != ?", (marshal.dumps([], 4),))}

    def word_filters(self, keys: dict[str, str]) -> dict[str, bytes]:
        """path -> the word filter kept with its claims (kg.claims.perfile.files_naming), of the
        files whose stored key is `keys`' (what the filter was made from is as it was)."""
        return {p: words for p, key, words in self.db.execute("SELECT path, key, words FROM file_index")
                if keys.get(p) == key}

    def problems(self) -> list[Diagnostic]:
        """What extracting claims failed on, file by file."""
        return [Diagnostic.model_validate(d) for (data,) in self.db.execute(
            "SELECT problems FROM file_index WHERE problems != '[]'") for d in json.loads(data)]

    def forget_files(self, keep: set[str]) -> None:
        with self.db:
            gone = [(p,) for (p,) in self.db.execute("SELECT path FROM file_index") if p not in keep]
            self.db.executemany("DELETE FROM files WHERE path = ?", gone)
            self.db.executemany("DELETE FROM records WHERE path = ?", gone)
            self.db.executemany("DELETE FROM file_index WHERE path = ?", gone)

    def claims(self, paths: list[str]) -> list[tuple[Claim, Extra]]:
        """The claims of these files, in this order, each with its extras (after `remember_claims`,
        decoded only where they changed as stored since this process last read them)."""
        decoded = {} if _DECODED is None else _DECODED.setdefault(str(self.path.resolve()), {})
        stored = self.file_versions()
        todo = [p for p in paths if p in stored and (decoded.get(p) or (None,))[0] != stored[p]]
        for p, key, claims, listing, columns in rows_in(
                self.db, "SELECT path, key, claims, listing, columns FROM files JOIN records USING (path) "
                         "WHERE path IN ({})", todo):
            decoded[p] = (stored[p], decode(FileClaims(key, {}, {}, claims, listing, columns, b"")))
        for gone in set(decoded) - set(stored):
            del decoded[gone]
        return [item for p in paths if p in stored for item in decoded[p][1]]

    def claim_rows(self, paths: list[str]) -> Sequence[tuple[Claim, Extra]]:
        """`claims`, each made when first asked (kg.claims.perfile.ClaimRows), for a patch: also
        after `remember_claims`, where listing every kept claim took kg serve's patch of a 10k
        vault 0.6 s and the listing made of them 0.6 s more, against 0.05 s together here."""
        wanted = set(paths)  # (every file's records, in a table of their own: at 10k notes, 0.02 s, where
        # reading them beside every file's claims and columns took 0.05 s)
        stored = {p: (listing, measured)
                  for p, listing, measured in self.db.execute("SELECT path, listing, measured FROM records") if p in wanted}
        return ClaimRows(((p, *stored[p]) for p in paths if p in stored), self.stored_claims)

    def stored_claims(self, paths: list[str], column: str = "claims") -> dict[str, bytes]:
        """The stored claims (kg.claims.perfile.encode) of these files, by path, or their columns
        (`column`: "columns"): from a connection of its own, so that a listing read while this store
        was open (`claim_rows`) makes its claims after it is closed too."""
        assert column in ("claims", "columns")
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        try:
            if len(paths) < SCAN_FROM:
                return dict(rows_in(db, f"SELECT path, {column} FROM files WHERE path IN ({{}})", paths))
            wanted = set(paths)  # (most files: one pass over the table, not a lookup of each)
            return {p: blob for p, blob in db.execute(f"SELECT path, {column} FROM files") if p in wanted}
        finally:
            db.close()

    def models(self, paths: list[str], ids: set[str] | None = None,
               about: tuple[set[str], set[str]] | None = None) -> list[Claim]:
        """The claims of these files, in this order, without their extras (what a page shows of
        them), and with `ids` only those with these ids: the other sides of a page's tensions
        and its related claims are a few of some 500 files' claims at 10k notes, which `claims`
        decoded whole with their extras (0.2 s of an edit); with `about`, only those
        (kg.claims.perfile.is_about). Taken from `claims` after `remember_claims`, where they are
        decoded already."""
        if _DECODED is not None:
            every = self.claims(paths)
            if self.placed is not None:
                at: dict[str, int] = {}
                for c, _ in every:
                    self.placed[c.doc, c.id] = at[c.doc] = at.get(c.doc, -1) + 1
            return [c for c, _ in every if (ids is None or c.id in ids)
                    and (about is None or is_about(c.doc, c.concept, c.concepts, about))]
        stored = dict(rows_in(self.db, "SELECT path, claims FROM files WHERE path IN ({})", paths))
        return [c for p in paths if p in stored for c in claims_of(stored[p], ids, about, self.placed)]

    def named(self, paths: list[str]) -> list[tuple[str, list]]:
        """(file, what its claims name: kg.claims.perfile.named_subjects) for the sources among these
        files that name something, in this order: for the concepts the analysis suggests."""
        rows = dict(self.db.execute("SELECT path, named FROM file_index WHERE named != ?", (marshal.dumps([], 4),)))
        return [(p, marshal.loads(rows[p])) for p in paths if p in rows]

    def texts_by_block(self, paths: list[str]) -> dict[str, dict[int, list[str]]]:
        """The claim texts of these notes by the index of the block they are written in, read
        from the stored rows without making models (the search index embeds a note's paragraphs
        as their claims: kg.search.index.parts_of)."""
        out: dict[str, dict[int, list[str]]] = {}
        for p, claims, listing in rows_in(self.db, "SELECT path, claims, listing FROM files JOIN records USING (path) "
                                                   "WHERE path IN ({})", paths):
            blocks = out.setdefault(p, {})
            for text, block in zip(texts_of(claims), np.frombuffer(listing, dtype=LISTED)["block"].tolist()):
                if block >= 0:
                    blocks.setdefault(block, []).append(text)
        return out

    # -- what the analysis settled to, after the review ---------------------------------------
    def save_settled(self, found: Knowledge) -> Changed:
        """Each claim's status and counts, the files whose claims name each concept, the evidence
        and the tensions (shown, held back, dismissed): the rows `SettledRows` reads. Only rows
        that differ from the stored ones are written: a file's claim rows when a digest of its
        claims (the digest of their stored form, and each one's status, counts and cluster)
        changed, a bucket of claims' evidence when its digest did (`settled_digests`), the
        tensions from the first that differs. A 10k vault's edit rewrote 180k claims, 90k
        evidence items and 6k tensions (3 s), then read and compared every stored row (1.6 s).
        Returns what changed. Call inside a transaction."""
        db = self.db
        of_doc: dict[str, list[Claim]] = {}
        for c in found.claims:
            claims = of_doc.get(c.doc)
            if claims is None:
                claims = of_doc[c.doc] = []
            claims.append(c)
        # (the stored claims' digest stands for every field the extraction made: marshalling each
        # claim's text too took 0.4 s of a 10k vault's edit)
        stored = dict(db.execute("SELECT path, digest FROM file_index"))
        digests = {("doc", doc): file_digest(stored.get(doc), claims)
                   for doc, claims in of_doc.items()}
        digests.update((("claims", doc), stored.get(doc) or b"") for doc in of_doc)  # the claims as extracted
        evidence = as_set(found.evidence)  # (a kept claim's items are read only if its bucket is written)
        by_bucket: dict[int, dict[str, tuple]] = {}
        for claim, digest in evidence.digests().items():
            by_bucket.setdefault(_bucket(claim), {})[claim] = digest
        digests.update((("evidence", str(b)), _digest(sorted(claims.items()))) for b, claims in by_bucket.items())
        digests.update((("related", doc), _digest(list(keys))) for doc, keys in found.related.items())
        before = {(kind, name): digest for kind, name, digest in db.execute(
            "SELECT kind, name, digest FROM settled_digests")}
        stale = [key for key in before.keys() | digests.keys() if before.get(key) != digests.get(key)]
        docs = [name for kind, name in stale if kind == "doc"]
        extracted = {name for kind, name in stale if kind == "claims"}
        changed = Changed(docs=set(), fresh=not before,
                          related={name for kind, name in stale if kind == "related"})
        # each changed file's rows: the last of its claims with an id gives that id's row
        by_doc = {d: {c.id: _ROW(c.__dict__) for c in of_doc.get(d, ())} for d in docs}
        for d in docs:  # what these files' claims were: the pages that showed them
            then = {cid: tuple(row) for cid, *row in db.execute(
                "SELECT id, status, supports, opposes FROM settled WHERE doc = ?", (d,))}
            now = {cid: row[:3] for cid, row in by_doc.get(d, {}).items()}
            if d not in extracted and then == now:  # only clusters changed, which no page shows: at 10k,
                continue  # 5 of one new claim's 6 files, whose 55 concepts' pages were checked again
            changed.docs.add(d)
            # (a question or a declared tension has no status: the questions page lists every question where it is)
            changed.questions |= any(row[0] is None for row in then.values()) or \
                any(row[0] is None for row in now.values())
            if d in extracted:  # the pages that showed its claims and those that show them now
                changed.ids.update(then)
                changed.concepts.update(n for (n,) in db.execute("SELECT concept FROM claim_concepts WHERE doc = ?", (d,)))
                shows = by_doc.get(d, {}).keys()
            else:  # its claims as extracted before: the pages of those whose status or counts changed
                changed.restated.add(d)
                shows = {cid for cid in now if then.get(cid) != now[cid]}
            for cid in shows:
                changed.ids.add(cid)
                row = by_doc[d][cid]
                changed.concepts.update(n for n in (row[4], *row[5]) if n)
        self.write_files(docs, of_doc, by_doc)
        buckets = [int(name) for kind, name in stale if kind == "evidence"]
        items = evidence.of_claims({claim for b in buckets for claim in by_bucket.get(b, {})})
        rows_now = {claim: [e.model_dump_json(exclude_defaults=True) for e in found]
                    for claim, found in items.items()}
        quoted = {claim: [e.doc for e in found] for claim, found in items.items()}
        for b in buckets:  # the claims of a bucket whose items differ, and the sources they quoted before and after
            rows_then: dict[str, list[str]] = {}  # (a bucket's other claims reach no page: at 10k, 25 claims
            quoted_then: dict[str, list[str]] = {}
            for claim, data, source in db.execute(  # of 3 buckets were 48 source pages to hash again, for 1 claim)
                    "SELECT claim, data, source FROM settled_evidence WHERE bucket = ? ORDER BY rowid", (b,)):
                rows_then.setdefault(claim, []).append(data)
                quoted_then.setdefault(claim, []).append(source)
            for claim in rows_then.keys() | by_bucket.get(b, {}).keys():
                if rows_then.get(claim) != rows_now.get(claim, []):
                    changed.evidence.add(claim)
                    changed.evidence_docs.update(quoted_then.get(claim, ()))
                    changed.evidence_docs.update(quoted.get(claim, ()))
        db.executemany("DELETE FROM settled_evidence WHERE bucket = ?", [(b,) for b in buckets])
        db.executemany("INSERT INTO settled_evidence VALUES (?, ?, ?, ?)",  # a claim's items in their order
                       [(claim, data, b, source) for b in buckets for claim in sorted(by_bucket.get(b, {}))
                        for data, source in zip(rows_now[claim], quoted[claim])])
        db.executemany("DELETE FROM settled_digests WHERE kind = ? AND name = ?",
                       [k for k in stale if k not in digests])
        db.executemany("INSERT OR REPLACE INTO settled_digests VALUES (?, ?, ?)",
                       [(*k, digests[k]) for k in stale if k in digests])
        tensions = [("shown", t) for t in found.tensions] + [("held", t) for t in found.held] + \
            [("dismissed", t) for t in found.dismissed if isinstance(t, Tension)]
        changed.tensions = self.write_tensions([(state, t.model_dump_json(exclude_defaults=True),
                                                 [*t.claim_ids(), *t.subjects]) for state, t in tensions])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('pair_tensions', ?)", (json.dumps(found.paired),))
        return changed

    def write_tensions(self, rows: list[tuple[str, str, list[str]]]) -> set[str]:
        """The settled tensions written as `rows` (state, JSON, the claim ids and subjects each is
        found by), from the first that differs from the stored list on. Returns the claim ids and
        subjects whose list of shown tensions differs (`Changed.tensions`). Call inside a transaction."""
        db = self.db
        listed: dict[str, list[str]] = {}  # each claim id's and subject's shown tensions, in order, as pages list them
        for state, data, keys in rows:
            if state == "shown":
                for key in dict.fromkeys(keys):
                    listed.setdefault(key, []).append(data)
        listed_before: dict[str, list[str]] = {}
        for key, data in db.execute("SELECT k.key, t.data FROM tension_keys k JOIN settled_tensions t ON t.n = k.n "
                                    "WHERE t.state = 'shown' ORDER BY t.n"):
            listed_before.setdefault(key, []).append(data)
        changed = {k for k in listed.keys() | listed_before.keys() if listed.get(k) != listed_before.get(k)}
        rows_before = [(state, data) for _, state, data in db.execute(
            "SELECT n, state, data FROM settled_tensions ORDER BY n")]
        same = next((n for n, (a, b) in enumerate(zip(rows, rows_before)) if a[:2] != b),
                    min(len(rows), len(rows_before)))
        if same < len(rows) or same < len(rows_before):  # the list from its first difference on
            db.execute("DELETE FROM settled_tensions WHERE n >= ?", (same,))
            db.execute("DELETE FROM tension_keys WHERE n >= ?", (same,))
            db.executemany("INSERT INTO settled_tensions VALUES (?, ?, ?)",
                           [(n, *rows[n][:2]) for n in range(same, len(rows))])
            db.executemany("INSERT OR IGNORE INTO tension_keys VALUES (?, ?)",
                           [(key, n) for n in range(same, len(rows)) for key in set(rows[n][2])])
        return changed

    def about(self, idents: set[str], docs: set[str], paths: list[str],
              shown: Callable[[Claim], bool] | None = None) -> tuple[list[Claim], list[Evidence]]:
        """The claims written in `docs` or naming one of `idents` (concept or source ids), in the
        order of `paths` (every file's), with their settled status (None for a claim the last
        analysis did not settle), and their evidence (of the claims `shown` with it): read from
        the rows of those files."""
        named = sorted(idents)
        files = set(docs) | {d for (d,) in self.db.execute(
            f"SELECT doc FROM claim_concepts WHERE concept IN ({','.join('?' * len(named))})", named)}
        return self._settled_claims(files, paths, None, shown, about=(set(docs), idents))

    def quoting(self, docs: set[str]) -> set[str]:
        """The ids of the claims whose settled evidence quotes one of these sources (by path), found
        by the rows' own column: looking for the path in every row's JSON took 0.1 s a source at 10k."""
        return {claim for (claim,) in rows_in(self.db, "SELECT DISTINCT claim FROM settled_evidence WHERE source IN ({})",
                                              sorted(docs))}

    def claims_at(self, keys: set[tuple[str, str]], ids: set[str], paths: list[str]) -> tuple[list[Claim], list[Evidence]]:
        """The claims at these (id, file) keys and the settled claims with these ids, as `about`
        gives them: the other sides of tensions, the related claims of a page."""
        keys = keys | set(rows_in(self.db, "SELECT id, doc FROM settled WHERE id IN ({})", sorted(ids)))
        return self._settled_claims({d for _, d in keys}, paths, lambda c: (c.id, c.doc) in keys,
                                    ids={i for i, _ in keys})

    def places(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Claim]:
        """`SettledRows.places`: claims made of their id, file, line, kind, origin, source and anchor."""
        wanted: dict[str, set[str]] = {}
        for cid, doc in keys:
            wanted.setdefault(doc, set()).add(cid)
        out = {}
        for doc, data in rows_in(self.db, "SELECT path, claims FROM files WHERE path IN ({})", sorted(wanted)):
            for c in places_of(data, wanted[doc]):
                out[c.id, doc] = c  # (the last of a file's claims with an id, as the site's lookup keeps)
        return out

    def questions(self, paths: list[str]) -> tuple[list[Claim], list[Evidence]]:
        """Every note's questions, as `about` gives claims: read from the files with a claim that has
        no status (a question, or a declared tension), not from every file."""
        files = {d for (d,) in self.db.execute("SELECT DISTINCT doc FROM settled WHERE status IS NULL")}
        return self._settled_claims(files, paths, lambda c: c.kind == "question" and c.origin == "note")

    def lists(self, paths: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """What the home page counts of the settled rows: the files with contested statements, with
        how many, in the order of `paths`, and the tensions shown by kind (the status is set on
        statements alone; a file's claim ids are its own). Each is counted on an index of its own
        (`settled_contested`, `settled_tensions_kind`): reading the rows took 0.03 s of a 10k vault's edit."""
        contested = dict(self.db.execute("SELECT doc, count(*) FROM settled WHERE status = 'contested' GROUP BY doc"))
        kinds = dict(self.db.execute("SELECT json_extract(data, '$.kind'), count(*) FROM settled_tensions "
                                     "WHERE state = 'shown' GROUP BY 1"))
        return {p: contested[p] for p in paths if p in contested}, kinds

    def tension_order(self, keys: set[str], docs: set[str]) -> tuple[list[tuple[str, str, float]], set[str]]:
        """The shown tensions' (id, kind, score) in the order of the whole, read from their rows
        alone (kg.publish.indexes.tension_paging pages them), and the ids of those that touch one
        of these claim ids or subjects or a claim of these files."""
        order = [(tid, kind, float(score)) for tid, kind, score in self.db.execute(
            "SELECT json_extract(data, '$.id'), json_extract(data, '$.kind'), json_extract(data, '$.score') "
            "FROM settled_tensions WHERE state = 'shown' ORDER BY n")]
        keys = set(keys) | {cid for (cid,) in rows_in(self.db, "SELECT id FROM settled WHERE doc IN ({})", sorted(docs))}
        touched = {tid for (tid,) in rows_in(
            self.db, "SELECT DISTINCT json_extract(t.data, '$.id') FROM tension_keys k JOIN settled_tensions t "
                     "ON t.n = k.n WHERE t.state = 'shown' AND k.key IN ({})", sorted(keys))}
        return order, touched

    def listed_in(self, docs: set[str]) -> tuple[bool, bool]:
        """Whether a claim of these files is in a tension shown, and whether one has no status (a
        question, or a declared tension): the tensions and questions pages show them."""
        ids = {cid: status for cid, status in rows_in(self.db, "SELECT id, status FROM settled WHERE doc IN ({})",
                                                       sorted(docs))}
        shown = any(True for _ in rows_in(self.db, "SELECT k.n FROM tension_keys k JOIN settled_tensions t ON t.n = k.n "
                                                   "WHERE t.state = 'shown' AND k.key IN ({})", sorted(ids)))
        return shown, None in ids.values()

    def showing(self, kb, docs: set[str]) -> set[str]:
        """The files whose pages show a claim of these files, or a tension one of them is in (`_reach`
        of their claims as if they changed): each shows where the claim is written, by its title."""
        changed = Changed(docs=set(docs))
        changed.ids = {cid for (cid,) in rows_in(self.db, "SELECT id FROM settled WHERE doc IN ({})", sorted(docs))}
        changed.concepts = {n for (n,) in rows_in(self.db, "SELECT concept FROM claim_concepts WHERE doc IN ({})",
                                                  sorted(docs))}
        for t in self.tensions(changed.ids)["shown"]:
            changed.tensions.update([*t.claim_ids(), *t.subjects])
        return _reach(kb, self, changed)

    def statements(self, paths: list[str]) -> dict[str, int]:
        """How many of each of these files' claims are statements (kind claim), for those with one."""
        out: dict[str, int] = {}
        for c in self.models(paths):
            if c.kind == "claim":
                out[c.doc] = out.get(c.doc, 0) + 1
        return out

    def every(self, paths: list[str]) -> tuple[list[Claim], list[Evidence]]:
        """Every claim and evidence item, as `about` gives them for a few files."""
        return self._settled_claims(None, paths, None)

    def batches(self, paths: list[str], wanted: Callable[[Claim], bool]) -> Iterator[tuple[list[Claim], list[Evidence]]]:
        """The `wanted` claims, as `every` gives them, a few hundred files at a time, each batch
        with the evidence of its claims' ids: a command that prints every claim holds one batch,
        not the vault (`kg claims --json` of a 10k vault held 2 GB). `wanted` sees each claim
        before its settled status is set."""
        for start in range(0, len(paths), BATCH_FILES):
            chunk = paths[start:start + BATCH_FILES]
            yield self._settled_claims(set(chunk), chunk, wanted)

    def _settled_claims(self, files: set[str] | None, paths: list[str], wanted: Callable[[Claim], bool] | None,
                        shown: Callable[[Claim], bool] | None = None, ids: set[str] | None = None,
                        about: tuple[set[str], set[str]] | None = None) -> tuple[list[Claim], list[Evidence]]:
        """The claims of `files` (every file's with None) that are `wanted` (None: all; and have one
        of `ids`, if given, and are `about` that, as `models` reads it, before the models are made),
        with their settled status, and their settled evidence (each claim's items in their order; of
        the claims `shown` with it, if given)."""
        claims = [c for c in self.models([p for p in paths if files is None or p in files], ids, about)
                  if wanted is None or wanted(c)]
        if files is None:
            settled = {(d, i): row for d, i, *row in self.db.execute(
                "SELECT doc, id, status, supports, opposes, cluster FROM settled")}
        else:  # by the files whose every claim was made (`about`'s own: a page of the claims index holds some
            # 400 files at 10k notes; by their 6,000 ids, 0.045 s, by the files, 0.015 s), the others by the ids
            # of the claims made (a page's concept is named in a few of some 500 files' claims)
            whole = about[0] if about else set()
            settled = {(d, i): row for d, i, *row in rows_in(
                self.db, "SELECT doc, id, status, supports, opposes, cluster FROM settled WHERE doc IN ({})",
                sorted({c.doc for c in claims if c.doc in whole}))}
            settled.update(((d, i), row) for d, i, *row in rows_in(
                self.db, "SELECT doc, id, status, supports, opposes, cluster FROM settled WHERE id IN ({})",
                sorted({c.id for c in claims if c.doc not in whole})) if d in files)
        for c in claims:
            status, supports, opposes, cluster = settled.get((c.doc, c.id), (None, 0, 0, None))
            set_fields(c, status=status, supports=supports, opposes=opposes, cluster=cluster)
        if files is None:
            return claims, [Evidence.model_validate_json(data) for (data,) in self.db.execute(
                "SELECT data FROM settled_evidence ORDER BY rowid")]
        return claims, [Evidence.model_validate_json(data) for (data,) in rows_in(
            self.db, "SELECT data FROM settled_evidence WHERE claim IN ({}) ORDER BY rowid",
            sorted({c.id for c in claims if shown is None or shown(c)}))]

    def related(self, docs: set[str]) -> dict[str, list[tuple[str, str]]]:
        """The related claims of these notes, as the last analysis found them
        (kg.claims.analyse.Knowledge.related; the review changes none)."""
        return {doc: [tuple(k) for k in json.loads(keys)] for doc in sorted(docs) for (keys,) in self.db.execute(
            "SELECT keys FROM related WHERE doc = ?", (doc,))}

    def tensions(self, keys: set[str] | None, ids: set[str] = frozenset()) -> dict[str, list[Tension]]:
        """The settled tensions that touch one of these claim ids or subjects (all of them with
        None), and the shown ones of these tension `ids`, by state (shown, held, dismissed), each
        list in the order of the whole."""
        where = ""
        if keys is not None:
            rows = {n for (n,) in rows_in(self.db, "SELECT n FROM tension_keys WHERE key IN ({})", sorted(keys))}
            rows.update(n for (n,) in rows_in(self.db, "SELECT n FROM settled_tensions WHERE state = 'shown' "
                                                       "AND json_extract(data, '$.id') IN ({})", sorted(ids)))
            where = f" WHERE n IN ({','.join(map(str, rows))})"
        out: dict[str, list[Tension]] = {"shown": [], "held": [], "dismissed": []}
        for n, state, data in sorted(self.db.execute(f"SELECT n, state, data FROM settled_tensions{where}")):
            out[state].append(Tension.model_validate_json(data))
        return out

    def write_files(self, docs: list[str], of_doc: dict[str, list[Claim]], by_doc: dict[str, dict[str, tuple]]) -> None:
        """These files' settled rows written afresh (`of_doc`: each one's claims, none for a file
        gone; `by_doc`: each one's `_ROW` by claim id), with the concepts they name and their tally
        (`settled_counts`). Call inside a transaction."""
        db = self.db
        for table in ("settled", "claim_concepts", "settled_counts"):
            db.executemany(f"DELETE FROM {table} WHERE doc = ?", [(d,) for d in docs])
        db.executemany("INSERT INTO settled_counts VALUES (?, ?)", [(d, tally_of(of_doc[d])) for d in docs if d in of_doc])
        db.executemany("INSERT INTO settled VALUES (?, ?, ?, ?, ?, ?)",
                       [(d, cid, *row[:4]) for d in docs for cid, row in by_doc.get(d, {}).items()])
        db.executemany("INSERT INTO claim_concepts VALUES (?, ?)",
                       [(concept, d) for d in docs for concept in sorted(
                           {n for row in by_doc.get(d, {}).values() for n in (row[4], *row[5]) if n})])

    # -- what the last analysis keeps ---------------------------------------------------------
    def memo(self, pool: Memo | None = None) -> Memo:
        """What the last analysis keeps (kg.claims.analyse.Memo), with its claim pool taken from
        `pool` when one was read already (`pool`)."""
        from kg.claims.analyse import Memo

        memo = Memo()
        memo.inferred = {c: (d, k, docs, tally, None) for c, d, k, docs, tally in
                         self.db.execute("SELECT claim, dep, kth, docs, tally FROM inferred")}
        memo.evidence_json = self._evidence_json
        memo.spill = self._spill_sentences
        memo.declared = {c: (k, d, p) for c, k, d, p in self.db.execute("SELECT claim, key, data, problems FROM declared")}
        memo.sources = json.loads(self.get("sources") or "{}")
        memo.explained = {(a, b): _explanation(json.loads(data)) for a, b, data in
                          self.db.execute("SELECT a, b, data FROM explained")}
        if pool is None:
            self.pool(memo)
        else:
            for name in ("pool", "vectors", "kth", "pairs", "vector_rows", "heap", "cosines", "docs", "crowded_words"):
                setattr(memo, name, getattr(pool, name))
        if memo.docs is not None:
            memo.related = {doc: [tuple(k) for k in json.loads(keys)]
                            for doc, keys in self.db.execute("SELECT doc, keys FROM related")}
        memo.reranked = set(json.loads(self.get("reranked") or "[]"))
        memo.sentences = self._sentences
        memo.roster = json.loads(self.get("roster") or "null")
        return memo

    def pool(self, memo: Memo) -> None:
        """The last analysis's claim pool into `memo`: its keys, vectors, pairs and files; left as
        they are when none is kept whole."""
        try:
            with np.load(self.folder / POOL) as saved:
                pool, kth, pairs, cosines, doc_names, doc_rows, heap, length, rows = (saved[k] for k in (
                    "pool", "kth", "pairs", "cosines", "doc_names", "doc_rows", "heap", "heap_rows", "rows"))
                crowded = saved["crowded"] if "crowded" in saved.files else np.zeros(0)
                if (str(saved["tag"]) if "tag" in saved.files else None) != self.get("pool_tag"):
                    return  # (written by a build stopped before the rest of its memo was)
            vectors = read_heap(self.folder, POOL_HEAP, str(heap), int(length))
            if len(kth) == len(pool) == len(rows) and (not len(rows) or (rows.min() >= 0 and rows.max() < len(vectors))) \
                    and pairs.ndim == 2 and pairs.shape[1] == 3 and (not len(pairs) or int(pairs[:, :2].max()) < len(pool)):
                memo.pool_keys = pool
                memo.vectors, memo.kth, memo.pairs = vectors, kth, pairs
                memo.vector_rows, memo.heap = rows.astype(np.int64), (str(heap), int(length))
                memo.cosines = cosines if cosines.shape == (len(pairs),) else None
                if doc_rows.shape == (len(pool),):
                    from kg.claims.analyse import RowNames

                    memo.docs = RowNames([d.decode() for d in doc_names.tolist()], doc_rows)
                if crowded.shape == ():
                    memo.crowded_words = {tuple(w) for w in json.loads(str(crowded))}
        except (OSError, ValueError, KeyError):  # none yet, or not whole: the next analysis is a fresh one
            pass

    def _evidence_json(self, claims: list[str]) -> dict[str, str]:
        """The stored evidence JSON of these claims (Memo.evidence_json), at most 500 at a time:
        from a connection of its own, as the kept items are read while pages are drawn, after this
        store is closed, and in the drawing workers."""
        return evidence_json(self.folder, claims)

    def _spill_sentences(self, keys: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Memo.spill: the source sentences' vectors written now under their keys' name (`save`
        names them by writing the keys), given back memory-mapped."""
        path = self.folder / _vectors_file("sentence_vectors", keys)
        save_atomic(path, lambda f: np.save(f, np.ascontiguousarray(vectors, dtype=np.float32)))
        return keys, np.load(path, mmap_mode="r")

    def _sentences(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The source sentences' vectors of the last matcher (Memo.sentences), None if unreadable."""
        try:
            keys = np.load(self.folder / SENTENCES)
            vectors = np.load(self.folder / _vectors_file("sentence_vectors", keys), mmap_mode="r")
        except (OSError, ValueError):
            return None
        return (keys, vectors) if keys.dtype == np.dtype("S12") and vectors.shape == (len(keys), 384) else None

    def save(self, before: Memo, memo: Memo, stamp: str, anchors: dict) -> None:
        """Keep what an analysis found, writing only the rows that changed since `before`; the
        stamp last, so an interrupted save analyses again. The analysis itself is not kept whole:
        the memo keeps every verdict it was made from, so making it again judges nothing (writing
        60 MB of JSON took 1.6 s of a 10k vault's edit)."""
        same_pool = memo.pool == before.pool and list(memo.docs or ()) == list(before.docs or ()) \
            and before.kth is not None \
            and np.array_equal(memo.kth, before.kth) and np.array_equal(memo.pairs, before.pairs) \
            and before.cosines is not None and np.array_equal(memo.cosines, before.cosines) \
            and memo.crowded_words == before.crowded_words
        tag = None if same_pool else self.save_pool(memo)
        if isinstance(memo.sentences, tuple) and memo.sentences is not before.sentences:
            keys, vectors = memo.sentences
            _keep_vectors(self.folder, "sentence_vectors", keys, vectors,
                          lambda: save_atomic(self.folder / SENTENCES, lambda f: np.save(f, keys)))
        with self.db:
            # (result: the analysis whole, before; reranked: a patch's, which this analysis ranked again)
            self.db.execute("DELETE FROM meta WHERE key IN ('stamp', 'result', 'reranked')")
            for table, old, new, row in (
                    ("inferred", before.inferred, memo.inferred, lambda k, v: (k, *v)),
                    ("declared", before.declared, memo.declared, lambda k, v: (k, *v))):
                self.db.executemany(f"DELETE FROM {table} WHERE claim = ?", [(k,) for k in old if k not in new])
                changed = [row(k, v) for k, v in new.items() if old.get(k) is not v]
                if changed:
                    self.db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({','.join('?' * len(changed[0]))})",
                                        changed)
            self.db.executemany("DELETE FROM explained WHERE a = ? AND b = ?",
                                [k for k in before.explained if k not in memo.explained])
            self.db.executemany("INSERT OR REPLACE INTO explained VALUES (?, ?, ?)",
                                [(*k, json.dumps(v, ensure_ascii=False)) for k, v in memo.explained.items()
                                 if before.explained.get(k) is not v])
            old_related, related = before.related or {}, memo.related or {}
            if before.related is None:
                self.db.execute("DELETE FROM related")
            self.db.executemany("DELETE FROM related WHERE doc = ?", [(d,) for d in old_related if d not in related])
            self.db.executemany("INSERT OR REPLACE INTO related VALUES (?, ?)",
                                [(d, json.dumps(v, ensure_ascii=False)) for d, v in related.items()
                                 if old_related.get(d) is not v])
            if memo.roster is not before.roster:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('roster', ?)",
                                (json.dumps(memo.roster, ensure_ascii=False),))
            for key, value in (("sources", json.dumps(memo.sources)), ("anchors", json.dumps(anchors, ensure_ascii=False)),
                               *((("pool_tag", tag),) if tag else ()), ("stamp", stamp)):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def save_pool(self, memo: Memo) -> str:
        """Write the memo's pool (`POOL`, its new vectors into the heap) under a new tag, and return
        the tag: the caller writes it to meta `pool_tag` in the transaction that writes the rest of
        the memo, and `pool` reads a pool whose tag differs from it as none (a build stopped between
        the two writes: its pairs are not those the related rows were ranked from)."""
        from kg.claims.analyse import RowNames, _Keys

        keys = memo.pool_keys if memo._pool is None and memo.pool_keys is not None else memo.pool
        docs = memo.docs if memo.docs is not None else ()
        keys = keys.array if isinstance(keys, _Keys) else keys if isinstance(keys, np.ndarray) else \
            np.array([k.encode() for k in keys], dtype=bytes)
        if isinstance(docs, RowNames):  # (the names of a listing's 145k rows, without a list of them)
            names, places = list(docs.names), np.asarray(docs.places, dtype=np.int32)
        else:
            names = sorted(set(docs))
            row_of = {d: n for n, d in enumerate(names)}
            places = np.array([row_of[d] for d in docs], dtype=np.int32)
        rows = memo.vector_rows if memo.vector_rows is not None else np.full(len(keys), -1, dtype=np.int64)
        tag = secrets.token_hex(8)
        keep_heap(self.folder, POOL_HEAP, memo.heap, rows, memo.vectors, lambda heap, length, rows: save_atomic(
            self.folder / POOL, lambda f: np.savez(
                f, pool=keys, kth=memo.kth,
                pairs=memo.pairs, cosines=memo.cosines if memo.cosines is not None else np.zeros(0, np.float32),
                doc_names=np.array([d.encode() for d in names], dtype=bytes), doc_rows=places,
                heap=np.array(heap), heap_rows=np.array(length), rows=rows, tag=np.array(tag),
                **({} if memo.crowded_words is None else
                   {"crowded": np.array(json.dumps(sorted(memo.crowded_words), ensure_ascii=False))}))))
        return tag


_READERS: dict[tuple[int, str], tuple[int, sqlite3.Connection]] = {}
"""A read-only connection per process and store file (with the file's inode: a store set aside
and made again is another file), for `evidence_json`: a page asks for one claim's items at a time."""


def evidence_json(folder: Path, claims: list[str]) -> dict[str, str]:
    """Claim id -> its inferred evidence JSON as the store in `folder` keeps it, at most 500 at a time."""
    path = (folder / FILE).resolve()
    key, inode = (os.getpid(), str(path)), path.stat().st_ino
    known = _READERS.get(key)
    if known is None or known[0] != inode:
        if known is not None:
            known[1].close()
        known = _READERS[key] = inode, sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=60,
                                                       check_same_thread=False)
    return dict(known[1].execute(f"SELECT claim, data FROM inferred WHERE claim IN ({','.join('?' * len(claims))})",
                                 claims))


def _bucket(claim: str) -> int:
    """The bucket of a claim id's settled evidence (`BUCKETS`)."""
    return zlib.crc32(claim.encode()) % BUCKETS


_SETTLED = operator.itemgetter("id", "status", "supports", "opposes", "cluster")
"""A claim's fields the analysis sets, read from the model's __dict__ (`save_settled`: a tuple
made field by field took twice the time for a 10k vault's 150k claims)."""
_ROW = operator.itemgetter("status", "supports", "opposes", "cluster", "concept", "concepts")
"""A claim's row of `settled`, with the concepts it names (`claim_concepts`)."""


def file_digest(made: bytes | None, claims: list[Claim]) -> bytes:
    """The digest of a file's settled rows (`settled_digests` kind 'doc'): of its claims as
    extracted (`made`) and each one's status, counts and cluster."""
    return _digest((made, [_SETTLED(c.__dict__) for c in claims]))


def tally_of(claims: list[Claim]) -> bytes:
    """What a file's claims add to the vault's counts (kg.claims.analyse.counts): how many of each
    (kind, origin, status), as `settled_counts` keeps them."""
    return marshal.dumps(sorted(Counter((c.kind, c.origin, c.status) for c in claims).items(), key=repr), 4)


def _digest(data) -> bytes:
    """A digest of plain data (strings, numbers, None, tuples and lists of them). marshal's format
    2 writes no references, so equal data gives equal bytes however it was built."""
    return hashlib.blake2b(marshal.dumps(data, 2), digest_size=12).digest()


def _explanation(data: list) -> tuple:
    """A stored kg.claims.tensions.numeric result: (text, score, (unit, (low, high), (low, high)))."""
    text, score, compared = data
    return text, score, tuple(tuple(x) if isinstance(x, list) else x for x in compared)


def _vectors_file(kind: str, keys: np.ndarray) -> str:
    """The vectors file that belongs to these keys: the tension pool's claim keys (`pool_vectors`)
    or the matcher's sentence keys (`sentence_vectors`). Both are memory-mapped when read (an edit
    copies the rows it keeps: reading 280 MB of pool vectors out of an .npz first took 0.9 s at 10k)."""
    return f"{kind}.{hashlib.blake2b(keys.tobytes(), digest_size=8).hexdigest()}.npy"


def _keep_vectors(folder: Path, kind: str, keys: np.ndarray, vectors: np.ndarray, then: Callable[[], None]) -> None:
    """Write `vectors` under the name their keys give, then `then()` (which writes the keys), then
    drop the vectors of other keys: a crash between the writes leaves keys that name no file (the
    next analysis is a fresh one), never keys read with the wrong vectors."""
    name = _vectors_file(kind, keys)
    there = isinstance(vectors, np.memmap) and vectors.filename \
        and Path(vectors.filename).resolve() == (folder / name).resolve()
    if not there:  # (Memo.spill wrote them there already)
        save_atomic(folder / name, lambda f: np.save(f, np.ascontiguousarray(vectors, dtype=np.float32)))
    then()
    for old in folder.glob(f"{kind}.*.npy"):
        if old.name != name:
            old.unlink(missing_ok=True)


POOL_HEAP = "pool_vectors"


def _claim_files(kb, store: KnowledgeStore, progress) -> tuple[list[str], dict[str, str], list[Diagnostic], dict]:
    """Bring every file's claims up to date; returns the files in claim order, their keys, the
    problems found extracting them, and the notes whose claims only moved (`ClaimFiles.moved`)."""
    paths = [p for p in sorted(kb.infos) if kb.infos[p].kind == "note" or p in kb.source_by_path]
    # every key is made from the files, the names links resolve against and the parse settings:
    # with all three as they were, the stored keys stand (a 10k vault's link views take 0.6 s)
    files = hashlib.blake2b(marshal.dumps([store.version, kb.names, kb.parsed_with, [(p, kb.infos[p].hash) for p in paths]],
                                          2), digest_size=16).hexdigest()  # (format 2: `kept_data`)
    if store.get("files_stamp") == files and store.get("claims") is not None:
        keys = store.file_keys()
        if all(p in keys for p in paths):
            return paths, {p: keys[p] for p in paths}, store.problems(), {}
    # the names mentions match are made of the concepts' ids, titles and aliases: the notes' titles
    # and aliases are in the names links resolve against (kb.names), the stubs' titles in `stubs`;
    # with those and the ids as they were, they are the stored ones (making them again was 0.05-0.1 s
    # of a 10k edit)
    stubs = stub_titles(kb)
    names_key = hashlib.blake2b(orjson.dumps([kb.names, list(kb.concepts), list(stubs.items())]),
                                digest_size=16).hexdigest()
    before = json.loads(store.get("names") or "null")
    if before is not None and store.get("names_key") == names_key:
        # each id the concept's own string, as mention_names gives it: the claims that name it are
        # marshalled with it, and marshal writes a string seen before as a reference to it, so a
        # copy read from JSON changed the stored bytes (and so the digest) of claims that had not
        ids = {c.id: c.id for c in kb.concepts.values()}
        names = {name: ids.get(cid, cid) for name, cid in before.items()}
    else:
        names = mention_names(kb.concepts.values())
    context = key_context(kb, store.version)
    hashes = {p: kb.infos[p].hash for p in paths}
    every: list[tuple[dict, dict]] = []

    def views(only: list[str] | None = None) -> tuple[dict, dict]:
        """How links read in claims, and the sources blocks cite: of `only` (every file's if known)."""
        if not every and only is None:
            every.append(link_views(kb))
        return every[0] if every else link_views(kb, only)

    links, titles = kb.link_digests, link_titles(kb)
    stored = store.file_keys()  # (the keys of the claims as stored: read once, asked twice)
    keys = _kept_keys(kb, store, stored, paths, context, hashes, stubs, links, titles)
    if keys is None:
        keys = {p: file_key(kb, p, *views(), store.version) for p in paths}
    # the same files with the same keys and names: the words they asked about have the same
    # answers too (those count the sources' words), so nothing is read again
    stamp = hashlib.blake2b(orjson.dumps([sorted(keys.items()), sorted(names.items())]),  # (json: 0.02 s at 10k)
                            digest_size=16).hexdigest()
    if store.get("claims") == stamp:
        with store.db:
            store.db.execute("INSERT OR REPLACE INTO meta VALUES ('files_stamp', ?)", (files,))
        return paths, keys, store.problems(), {}
    renamed = before != names
    kept_counts = kept_data(store.get("mid_counts"))
    with store.db:  # (until the stage ends: the files' rows may change before it is written again)
        store.db.execute("DELETE FROM meta WHERE key = 'mid_counts'")
        if renamed:  # until every file is read with these names, none is known to be up to date
            store.db.execute("DELETE FROM meta WHERE key IN ('names', 'names_key')")
    mids, counts, todo = _changed_counts(kb, store, stored, paths, keys, kept_counts) if before is not None \
        else (None, None, None)
    if todo is None:
        states = store.file_states()
        mids = {}
        for p in paths:
            if p in kb.source_by_path:
                known = states.get(p)
                mids[p] = known[2] if known and known[0] == keys[p] else _midsentence(kb, p)
        counts = Counter()
        for mid in mids.values():
            counts.update(mid)
        todo = [p for p in paths if p not in states or states[p][0] != keys[p] or before is None
                or any((counts.get(w, 0) > 0) != answer for w, answer in states[p][1].items())]
    if before is not None and renamed:
        again = set(todo)
        again |= files_naming(kb, sorted(set(paths) - again), names_changed(before, names),
                              lambda only: views(only)[0], store.word_filters(keys))
        todo = [p for p in paths if p in again]
    unread = [p for p in todo if p in kb.source_by_path and p not in mids]  # (kept as stored: their keys stand)
    mids.update((p, state[2]) for p, state in store.file_states(unread).items())
    from kg.claims.extract import Mentions

    mentions = Mentions(kb.concepts.values(), names) if todo else None
    notes = [p for p in todo if kb.infos[p].kind == "note"] if len(todo) <= MOVED_MOST else []
    was = {p: (claims, columns, digest) for p, claims, columns, digest in rows_in(
        store.db, "SELECT files.path, claims, columns, digest FROM files JOIN file_index USING (path) "
                  "WHERE files.path IN ({})", notes)}
    moved: dict[str, tuple[bytes, list[tuple[str, int, int]]]] = {}
    for batch in extract_many(kb, todo, mentions, counts, *views(todo), keys, mids, progress):
        for p, found, _ in batch:
            lines = moved_lines(*was[p][:2], found) if p in was else None
            if lines is not None and any(then != now for _, then, now in lines):
                moved[p] = (was[p][2], lines)
        store.store_files(batch)
    store.forget_files(set(paths))
    with store.db:
        if renamed:
            store.db.execute("INSERT OR REPLACE INTO meta VALUES ('names', ?)", (json.dumps(names, ensure_ascii=False),))
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('names_key', ?)", (names_key,))
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('claims', ?)", (stamp,))
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('files_stamp', ?)", (files,))
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('mid_counts', ?)", (marshal.dumps(dict(counts)),))
        store.db.execute("INSERT OR REPLACE INTO meta VALUES ('file_hashes', ?)",
                         (marshal.dumps({"context": context, "hashes": hashes, "stubs": stubs, "links": links,
                                         "titles": titles}),))
    return paths, keys, store.problems(), moved


def _midsentence(kb, path: str) -> dict[str, int]:
    """The capitalised words a source uses mid-sentence (kg.claims.perfile.midsentence_words)."""
    with kb.holding([path]):
        return dict(midsentence_words(s.text for s in kb.doc(path).sentences))


def _changed_counts(kb, store: KnowledgeStore, stored: dict[str, str], paths: list[str], keys: dict[str, str],
                    kept: dict[str, int] | None
                    ) -> tuple[dict[str, dict[str, int]], Counter, list[str]] | tuple[None, None, None]:
    """The files to extract again when every stored file's claims are as the last claims stage left
    them, and what they need: the mid-sentence words of the sources among them, and those of every
    source counted (the last stage's count, `kept`, less what the changed and deleted files' rows
    said, plus what the changed sources say now). Only those rows are read; reading every file's
    (`file_states`) took 0.1-0.17 s of a SciFact edit. (None, None, None) when there is no count
    kept, or when a word came into use or went out of it: a file that asked about it may read
    otherwise, and only every row says which."""
    if kept is None:
        return None, None, None
    changed = [p for p in paths if stored.get(p) != keys[p]]
    wanted = set(paths)
    states = store.file_states([*changed, *(p for p in stored if p not in wanted)])
    counts = Counter(kept)
    for _, _, mid in states.values():
        counts.subtract(mid)
    mids = {p: _midsentence(kb, p) for p in changed if p in kb.source_by_path}
    for mid in mids.values():
        counts.update(mid)
    touched = {w for _, _, mid in states.values() for w in mid} | {w for mid in mids.values() for w in mid}
    if any((kept.get(w, 0) > 0) != (counts[w] > 0) for w in touched):
        return None, None, None
    return mids, +counts, changed


def kept_data(value) -> dict | None:
    """A meta value the claims stage keeps as marshal (the vault's files, their hashes, links and
    titles; the sources' mid-sentence words): JSON took 0.08 s of a SciFact edit to read and write.
    None when there is none, or it is the JSON of an older kg."""
    if not isinstance(value, bytes):
        return None
    try:
        found = marshal.loads(value)
    except (EOFError, ValueError, TypeError):
        return None
    return found if isinstance(found, dict) else None


def _kept_keys(kb, store: KnowledgeStore, stored: dict[str, str], paths: list[str], context: str,
               hashes: dict[str, str], stubs: dict[str, str], links: dict[str, str],
               titles: dict[str, list]) -> dict[str, str] | None:
    """When what every key is made from beside its file is as it was at the last claims stage
    (kg.claims.perfile.key_context), each file keeps its stored key but those that are new or
    changed, those whose links point elsewhere now (`links`: a note made, deleted or renamed
    elsewhere), those that link a file whose title (a source's author or date) changed, and those
    that link a stub whose title changed (a new stub: the edited file linked it); these are keyed
    again, viewing their links alone. Else None. Viewing every link of a 10k vault and keying every
    file took 0.4-0.9 s of an edit, and 1.2-1.7 s more of one that made a note."""
    kept = kept_data(store.get("file_hashes"))
    if not kept or kept.get("context") != context or "links" not in kept:
        return None
    keys = dict(stored)
    before = kept.get("stubs", {})
    retitled = {cid for cid in stubs.keys() | before.keys() if stubs.get(cid) != before.get(cid)}
    old_hashes, old_links, old_titles = kept["hashes"], kept["links"], kept.get("titles", {})
    changed = {p for p in paths if p not in keys or old_hashes.get(p) != hashes[p] or old_links.get(p) != links.get(p)}
    renamed = {p for p, t in titles.items() if p in old_titles and old_titles[p] != t}
    if retitled or renamed:  # the files whose links name one (as their rows are written), their links read
        named = [json.dumps(name, ensure_ascii=False) for name in sorted(retitled | renamed)]
        rows = kb.rows_of(sorted(kb.files_with(*named))) if len(named) <= 16 else kb.rows  # (a note made: 0.1 s)
        changed |= {r.doc for r in rows
                    if (r.target_kind == "missing" and r.target_id in retitled) or r.target_doc in renamed}
    changed = sorted(changed & hashes.keys())
    shown, cites = link_views(kb, changed)
    keys.update((p, file_key(kb, p, shown, cites, store.version)) for p in changed)
    return {p: keys[p] for p in paths}


@dataclass
class Changed:
    """What an analysis changed in the settled rows (`KnowledgeStore.save_settled`), before and
    after: what the site needs to find the pages whose knowledge may show otherwise
    (kg.publish.site.Site.digests_since) without hashing every page's."""

    docs: set[str]
    """Files whose claims differ as extracted or in status or counts (not in cluster alone, which
    no page shows), files gone included."""
    fresh: bool = False
    """Nothing was compared (no digests were kept): everything counts as changed."""
    ids: set[str] = field(default_factory=set)
    """The ids of those files' claims, before and after."""
    concepts: set[str] = field(default_factory=set)
    """The concepts those files' claims name, before and after."""
    evidence: set[str] = field(default_factory=set)
    """Claim ids whose evidence may differ."""
    evidence_docs: set[str] = field(default_factory=set)
    """The sources of that evidence, before and after."""
    tensions: set[str] = field(default_factory=set)
    """The claim ids and subjects whose list of shown tensions differs (a tension new, gone,
    changed, shown or held back, or listed in another order)."""
    related: set[str] = field(default_factory=set)
    """Notes whose related claims differ."""
    restated: set[str] = field(default_factory=set)
    """Of `docs`, the files whose claims are as extracted before, only their status or counts
    changed (`ids` holds those claims' alone): a note's related claims show each claim's text and
    file, not its status."""
    reach: set[str] | None = None
    """The files whose pages these changes reach, found from the rows once they are saved
    (`_reach`)."""
    listed: set[str] | None = None
    """Of those, the files whose entries in the claims index may differ (`_reach`): the claims index
    shows each statement's text, status and counts and the tensions it is in, not its evidence or
    related claims."""
    questions: bool = False
    """Whether the questions page may show otherwise: a file of those holds a question before or
    after (it lists every question with its line)."""


@dataclass
class ClaimFiles:
    """What the claims stage found (`claims`): the files that hold claims and the key of each
    one's claims; the claims themselves are read from the store on first use."""

    paths: list[str]
    """The files that hold claims, in claim order."""
    keys: dict[str, str]
    """Each file's claims key: everything its claims are made from (kg.claims.perfile.file_key)."""
    problems: list[Diagnostic]
    """What went wrong extracting them, by file and line."""
    cache_dir: Path
    made: dict[str, bytes] = field(default_factory=dict)
    """A digest of each file's claims as extracted, with what the analysis reads of them (their
    mentions, blocks, figures and stances): equal when an edit left them as they were."""
    tensions: dict[str, list[int]] | None = None
    """The files that declare a tension, with the blocks that do (None: not known)."""
    moved: dict[str, tuple[bytes, list[tuple[str, int, int]]]] = field(default_factory=dict)
    """The notes this stage read again whose claims are as they were but for their lines: the
    digest they were made with (`made`) and each claim's (id, line before, line now), in order
    (kg.claims.perfile.moved_lines). The knowledge stage moves them in the settled rows
    (`_moved`) instead of analysing."""
    _stamp: tuple | None = field(default=None, repr=False)
    _before: tuple | None = field(default=None, repr=False)
    _linking: tuple | None = field(default=None, repr=False)
    linked_before: dict[str, str] = field(default_factory=dict)
    """When notes moved: the link digests the last analysis kept of the files whose links it
    reads (`linked`), so that a moved note with a sentence link is stamped as it was."""

    def texts_by_block(self, paths: list[str]) -> dict[str, dict[int, list[str]]]:
        """KnowledgeStore.texts_by_block: the claim texts of these notes by block."""
        reader = KnowledgeStore(self.cache_dir)
        try:
            return reader.texts_by_block(paths)
        finally:
            reader.close()

    def stamp(self, kb) -> str:
        """What an analysis is made from: the names links resolve against, every file's claims as
        extracted (`made`), the links the analysis reads besides them (those of the files with a
        sentence link or an `opposes::` field, and those in a block that declares a tension:
        kg.claims.analyse's `_declared_evidence` and `_declared_tensions`) and every source's
        hash; made once per build. An edit that leaves a note's claims as they were (a word of
        prose, a line or a link added at the end) leaves the stamp as it was, and the stage
        analyses nothing: the site then draws the pages it reaches from the settled rows
        (kg.publish.writer, `_kept_knowledge`)."""
        if self._stamp is None or self._stamp[0] is not kb:
            self._stamp = (kb, self._stamp_of(kb, self.made))
        return self._stamp[1]

    def stamp_before(self, kb) -> str | None:
        """The stamp the vault had before the notes in `moved` moved (None: none moved): if the
        settled rows are of it, they are this vault's knowledge but for those notes' lines."""
        if not self.moved or self.tensions is None:
            return None
        if self._before is None or self._before[0] is not kb:
            # a moved note that links a sentence or writes `opposes::`: its links as they were (their lines moved too)
            links = {p: digest for p, digest in self.linked_before.items() if p in self.moved}
            self._before = (kb, self._stamp_of(kb, {**self.made, **{p: digest for p, (digest, _) in self.moved.items()}},
                                               links))
        return self._before[1]

    def linking(self, kb) -> set[str]:
        """The files with a sentence link or an `opposes::` field, whose links the analysis reads
        (found once per build: a scan of every file's links, 0.05-0.1 s at 10k)."""
        if self._linking is None or self._linking[0] is not kb:
            self._linking = (kb, kb.files_with('"s-', '"opposes"'))
        return self._linking[1]

    def linked(self, kb) -> dict[str, str]:
        """The link digests of the files whose links the analysis reads (`linking`), as the stamp
        takes them: the store keeps them with each analysis, for `stamp_before`."""
        linking = self.linking(kb)  # (asked once: asked for each of 11k files, it took 0.03 s)
        return {p: d for p, d in kb.link_digests.items() if p in linking}

    def _stamp_of(self, kb, made: dict[str, bytes], linked: dict[str, str] | None = None) -> str:
        made_of = [made[p].hex() if p in made else self.keys[p] for p in self.paths]
        read = self.linking(kb) if self.tensions is not None else set(kb.link_digests)
        linked = linked or {}
        links: list = sorted((p, linked.get(p, d)) for p, d in kb.link_digests.items() if p in read)
        blocks = self.tensions or {}
        # a block by its place among the file's tension blocks, not in the file: a line written above
        # them moves every block, and what they declare stays as it was (`_moved`)
        links += [[r.doc, blocks[r.doc].index(r.block_index), r.target_kind, r.target_id, r.target_doc, r.block,
                   r.relation] for r in kb.rows_of(sorted(set(blocks) - read)) if r.block_index in blocks[r.doc]]
        return hashlib.blake2b(orjson.dumps([kb.names, made_of, links, [kb.infos[p].hash for p in kb.sources]]),
                               digest_size=16).hexdigest()  # (json: 5 ms of a 10k edit)

    @functools.cached_property
    def claims(self) -> list[Claim]:
        """Every claim, question and declared tension of the notes, and the checkable sentences of
        the sources, in file order."""
        reader = KnowledgeStore(self.cache_dir)
        try:
            return [c for c, _ in reader.claims(self.paths)]
        finally:
            reader.close()


@dataclass
class Analysis:
    """What the knowledge stage found (`knowledge`): the vault's evidence, tensions and claim status
    with the review decisions applied; read from the store on first use when nothing changed."""

    stamp: str
    """What it was made from, with the review decisions (`preview:` first for a preview): the site
    compares it to tell that nothing it shows changed."""
    summary: dict
    """Its counts (kg.claims.analyse.counts): claims by status, evidence, tensions."""
    problems: list[Diagnostic]
    """Claims without evidence, lost anchors, decisions that name nothing: by file and line."""
    pending: bool = False
    """A preview: what the pages of the changed files show, from the last settled rows; the full
    build that follows analyses."""
    judged: int | None = None
    """How many claims were judged again, when the stage analysed."""
    changes: Changed | None = None
    """When the stage analysed: what changed in the settled rows since `since` (None: unknown)."""
    since: str | None = None
    """The stamp of the settled rows `changes` starts from."""
    moved: list[str] = field(default_factory=list)
    """The notes whose claims only moved to other lines, when the stage moved them in the settled
    rows instead of analysing (`_moved`)."""
    patched: list[str] | None = None
    """When the settled rows were patched instead of analysing (kg.claims.delta): the files whose
    claims were (none: a source edited in a vault without note statements left every claim as it was)."""
    found: Knowledge | None = field(default=None, repr=False)
    loader: Callable[[], Knowledge] | None = field(default=None, repr=False)
    unread: SettledRows | None = field(default=None, repr=False)

    @property
    def knowledge(self) -> Knowledge:
        """Evidence, tensions and the analysed claims (kg.claims.analyse.Knowledge)."""
        if self.found is None:
            self.found = self.loader()
        return self.found

    def let_go(self) -> None:
        """Forget the knowledge held (not a preview's, which nothing can make again); `knowledge`
        makes it again from the settled memo if asked."""
        if self.found is not None and self.loader is not None and not self.pending:
            self.found = None

    def rows(self) -> SettledRows | None:
        """A reader of the settled rows while the knowledge is unread (nothing changed, so the rows
        say what it would); else None: use `knowledge`."""
        return self.unread if self.found is None else None

    def settled_rows(self) -> SettledRows | None:
        """A reader of the settled rows, which say what the knowledge says once the stage is done,
        whether or not the knowledge is held (None for a preview, which settles nothing)."""
        return None if self.pending else self.unread


def claims(kb, cache_dir: Path, progress=None) -> ClaimFiles:
    """The claims stage: bring every file's claims up to date in the store."""
    store = KnowledgeStore(cache_dir)
    try:
        paths, keys, problems, moved = _claim_files(kb, store, progress)
        made = {p: digest for p, (_, digest) in store.file_versions().items()}
        tensions = store.tension_blocks()
        linked = json.loads(store.get("linked") or "{}") if moved else {}
    finally:
        store.close()
    return ClaimFiles(paths, keys, problems, cache_dir, {p: made[p] for p in paths if p in made}, tensions, moved,
                      linked_before=linked)


def knowledge(kb, files: ClaimFiles, cache_dir: Path, progress=None, preview: list[str] | None = None) -> Analysis:
    """The knowledge stage: the vault's evidence and tensions, analysed again only where the vault
    changed, with the user's review decisions applied (kg.claims.review). When nothing changed,
    the result is made again on first use (`_settled`): a build that changes nothing never makes it.

    preview (files) analyses nothing and stores nothing: the result holds what the pages of those
    files show, from the last settled rows (`_preview`), and is `pending`. kg serve draws a
    save's page this way first, then runs the analysis."""
    paths = files.paths
    store = KnowledgeStore(cache_dir)
    try:
        stamp = files.stamp(kb)
        settled = f"{stamp}:{review.digest(kb.root)}:{COUNTS_VERSION}"
        if preview is not None:
            found = _preview(kb, store, paths, preview)
            summary = json.loads(store.get("summary") or "null")
            if summary is None:
                from kg.claims.analyse import counts

                summary = counts(found)
            return Analysis(f"preview:{settled}", summary, [], pending=True, found=found)
        if store.get("stamp") == stamp and store.get("settled") == settled:  # nothing changed: made when asked
            return Analysis(settled, json.loads(store.get("summary")),
                            [Diagnostic.model_validate(d) for d in json.loads(store.get("diagnostics"))],
                            loader=lambda: _settled(kb, cache_dir, paths, stamp),
                            unread=SettledRows(cache_dir, paths))
        moved = _moved(kb, store, files, stamp, settled)
        if moved is not None:  # claims moved to other lines, nothing else: the rows are moved too
            return moved
        from kg.claims.analyse import counts, declared_links
        from kg.search.embed import preload_model

        if store.get("stamp") != stamp:  # the vault changed: its new claims are embedded first thing,
            preload_model()  # so the model loads while the claims are read
        # new decisions alone (the stamp stands) make an analysis that keeps every verdict
        since = store.get("settled")
        # (made when asked, for a patch; a first analysis decodes them file by file, as it holds them all)
        items = store.claim_rows(paths) if since else store.claims(paths)
        from kg.claims.delta import patched

        read: dict = {}  # (what the patch read, which the analysis then need not read again)
        done = patched(kb, store, files, stamp, settled, items, _claim_vectors(cache_dir, True, progress), read)
        if done is not None:  # a few claims added or taken out, in nothing another claim takes part in
            return done
        stances = {"made": files.made}
        found, judged = _analyse(kb, store, cache_dir, paths, stamp, progress, items, **read, stances=stances)
        problems = _settle(kb, found)
        summary = counts(found)
        declaring = {c.doc for c in found.claims if c.kind == "tension" and c.origin == "note"}
        with store.db:
            changes = store.save_settled(found)
            # the claims its polarity tensions were found among: while they are, the next patch keeps
            # them (finding them again took the first patch after an analysis 0.2 s at 10k, most of it
            # reading the 370 files of the claims that take a stance one at a time)
            from kg.claims.delta import stance_digest

            store.db.execute("INSERT OR REPLACE INTO meta VALUES ('stance_claims', ?)", (stance_digest(stances["parts"]),))
            store.db.execute("INSERT OR REPLACE INTO meta VALUES ('stance_files', ?)", (marshal.dumps(stances["parts"]),))
            store.db.execute("INSERT OR REPLACE INTO meta VALUES ('stance_pairs', ?)", (json.dumps(found.polar),))
            if not changes.fresh:  # (a first analysis changes every page)
                changes.reach = _reach(kb, store, changes)
            for key, value in (("settled", settled), ("summary", json.dumps(summary)), ("settled_names", kb.names),
                               ("declared_links", declared_links(kb, declaring)),
                               ("diagnostics", diagnostics_text(problems)),
                               ("linked", json.dumps(files.linked(kb), ensure_ascii=False))):
                store.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
    finally:
        store.close()
    return Analysis(settled, summary, problems, judged=judged, found=found,
                    changes=None if changes.fresh else changes, since=since,
                    loader=lambda: _settled(kb, cache_dir, paths, stamp), unread=SettledRows(cache_dir, paths))


def kept_analysis(cache_dir: Path) -> bool:
    """Whether this kg's last analysis is kept in `cache_dir` (its claim pool), so that the next one
    judges only what changed: asked after the claims stage, which drops what another kg kept."""
    return (Path(cache_dir) / POOL).is_file()


def kept_by_this_kg(cache_dir: Path) -> bool:
    """Whether the store in `cache_dir` was last written by a kg with this knowledge stage and keeps
    its analysis: asked before the claims stage, without opening the store as `KnowledgeStore`
    does (which sets aside what another kg kept). False means the next analysis is likely a
    fresh one."""
    path = Path(cache_dir) / FILE
    if not (Path(cache_dir) / POOL).is_file() or not path.is_file():
        return False
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        try:
            found = db.execute("SELECT value FROM meta WHERE key = 'code'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return found is not None and found[0] == _code_bytes()


MOVED_MOST = 64
"""At most this many notes read again by the claims stage are compared with the claims they had,
to tell whether their claims only moved (`ClaimFiles.moved`): an edit's few notes, not the
thousands a renamed concept reads again."""


def _moved(kb, store: KnowledgeStore, files: ClaimFiles, stamp: str, settled: str) -> Analysis | None:
    """When the vault changed since the last analysis only in that the claims of some notes moved
    to other lines (`ClaimFiles.moved`: a heading, a blank line or a line of links written above
    them): that analysis's settled rows, with those claims' lines made what they are now where the
    rows carry them (the tensions' sides and explanations, the stage's problems), as this vault's
    analysis, with what changed for the site. Every verdict stands: no claim, figure or subject
    changed, and what a block's place decides (the claims a declared tension or a sentence link
    names) depends on which claims and links share a block, not on where it is. A note that links
    a sentence or writes `opposes::` is stamped with the links it had (`ClaimFiles.linked_before`);
    what those links put in the rows is on the link's line, which moves with it when it is a claim's
    line. At 6,571 notes, a heading written above a note's claims analysed the vault again (3.3 s
    of the edit). None, and the analysis runs, when the rows are not of the vault as it was or a
    line cannot be told (a problem or a declared side on a line no claim was on)."""
    moved = files.moved
    before = files.stamp_before(kb)
    if before is None:
        return None
    since = before + settled[len(stamp):]  # (the review decisions and the counts' version, as they are)
    if store.get("stamp") != before or store.get("settled") != since:
        return None
    line_of: dict[str, dict[int, int]] = {}
    digests: dict[tuple[str, str], bytes] = {}
    changed = Changed(docs=set(moved))
    for doc, (made, lines) in moved.items():
        here = line_of[doc] = {}
        for _, then, now in lines:
            if here.setdefault(then, now) != now:  # two claims of one line now on two
                return None
        row = {cid: tuple(r) for cid, *r in store.db.execute(
            "SELECT id, status, supports, opposes, cluster FROM settled WHERE doc = ?", (doc,))}
        if any(cid not in row for cid, _, _ in lines):
            return None
        shown = [(cid, *row[cid]) for cid, _, _ in lines]  # (save_settled's digest of the file's rows)
        if store.db.execute("SELECT digest FROM settled_digests WHERE kind = 'doc' AND name = ?", (doc,)).fetchone() \
                != (_digest((made, shown)),):
            return None
        digests["doc", doc], digests["claims", doc] = _digest((files.made[doc], shown)), files.made[doc]
        changed.ids.update(row)
        changed.concepts.update(n for (n,) in store.db.execute("SELECT concept FROM claim_concepts WHERE doc = ?", (doc,)))
    try:
        rows = relined(store, line_of, changed)
        problems = orjson.loads(store.get("diagnostics") or "[]")
        for d in problems:
            if d.get("doc") in line_of:
                d["line"] = line_of[d["doc"]][d["line"]]
    except LookupError:  # a line no claim was on: not the claims' to move
        return None
    with store.db:
        store.db.executemany("UPDATE settled_tensions SET data = ? WHERE n = ?", rows)
        store.db.executemany("INSERT OR REPLACE INTO settled_digests VALUES (?, ?, ?)",
                             [(*k, digest) for k, digest in digests.items()])
        for key, value in (("diagnostics", orjson.dumps(problems).decode()), ("settled", settled), ("stamp", stamp),
                           ("linked", json.dumps(files.linked(kb), ensure_ascii=False))):
            store.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
    changed.reach = _reach(kb, store, changed)
    changed.questions = any(c.kind == "question" for c, _ in store.claims(sorted(moved)))
    paths = files.paths
    return Analysis(settled, json.loads(store.get("summary")), [Diagnostic.model_validate(d) for d in problems],
                    changes=changed, since=since, moved=sorted(moved),
                    loader=lambda: _settled(kb, files.cache_dir, paths, stamp), unread=SettledRows(files.cache_dir, paths))


def relined(store: KnowledgeStore, line_of: dict[str, dict[int, int]], changed: Changed,
            skip: set[int] = frozenset()) -> list[tuple[str, int]]:
    """The stored tensions whose sides are in the files of `line_of` (file -> line before -> line
    now), with those sides and the places their explanations name moved: (JSON now, row) of each
    that differs; the rows in `skip` are left. The claims and subjects of those shown go to
    `changed.tensions`. Raises LookupError when an explanation names a place of those files that is
    not in `line_of`."""
    place = re.compile("(?<![\\w/.-])(" + "|".join(re.escape(d) for d in sorted(line_of, key=len, reverse=True))
                       + "):(\\d+)(?!\\d)")

    def put(m: re.Match) -> str:
        now = line_of[m[1]].get(int(m[2]))
        if now is None:
            raise LookupError(m[0])
        return f"{m[1]}:{now}"

    names = [json.dumps(d, ensure_ascii=False)[1:-1] for d in line_of]  # as the rows' JSON writes them
    rows = []
    for n, state, data in store.db.execute("SELECT n, state, data FROM settled_tensions"):
        if n in skip or not any(name in data for name in names):
            continue
        t = Tension.model_validate_json(data)
        for side in (t.a, t.b):
            if side is not None and side.doc in line_of:
                side.line = line_of[side.doc][side.line]
        t.explanation = place.sub(put, t.explanation)
        now = t.model_dump_json(exclude_defaults=True)
        if now != data:
            rows.append((now, n))
            if state == "shown":
                changed.tensions.update([*t.claim_ids(), *t.subjects])
    return rows


def _reach(kb, store: KnowledgeStore, changed: Changed) -> set[str]:
    """The files whose pages these changes reach (kg.publish.site.Site.digests_since hashes what
    they show again), read from the settled rows as they are now, so that a move need not read the
    whole knowledge (2 s at 10k). Those whose claims changed; the holders of the subjects and
    concepts whose tensions or claims changed; the files of the claims with an id whose tensions
    changed, or in a tension that names a changed claim, or with a changed claim's id; the sources
    of those claims' evidence; the notes whose related claims include one of the changed files'. A
    tension that names a changed claim counts as changed (`changed.tensions`): it shows the claim."""
    for t in store.tensions(changed.ids)["shown"]:  # a declared tension shows the claims it names
        if not changed.ids.isdisjoint(t.claims):  # where they are: it counts as changed
            changed.tensions.update([*t.claim_ids(), *t.subjects])
    reached = set(changed.docs) | changed.related | changed.evidence_docs
    for key in changed.tensions | changed.concepts:
        holder = kb.concepts.get(key)
        path = holder.doc if holder is not None else kb.source_ids.get(key)
        if path:
            reached.add(path)
    ids = changed.evidence | changed.tensions  # (a subject is no claim's id: it reaches no claim)
    # the files with a claim whose tensions changed show otherwise in the claims index: at 10k notes, a
    # claim added read the claims of some 300 files of index pages drawn as they were (0.05-0.1 s)
    changed.listed = set(changed.docs) | {doc for (doc,) in rows_in(
        store.db, "SELECT DISTINCT doc FROM settled WHERE id IN ({})", sorted(changed.tensions))}
    # (a source's page lists the notes' claims that write one of its sentences: they share its claim's id)
    reached.update(doc for (doc,) in rows_in(store.db, "SELECT DISTINCT doc FROM settled WHERE id IN ({})",
                                             sorted(ids | changed.ids)))
    reached.update(source for (source,) in rows_in(
        store.db, "SELECT DISTINCT source FROM settled_evidence WHERE claim IN ({})", sorted(ids | changed.ids)))
    # the notes whose related claims show one of the claims extracted again (at 10k notes, the 9 files a
    # figure's new tension restated are in 224 notes' related claims, which show no status)
    shown = changed.docs - changed.restated
    names = [json.dumps(d, ensure_ascii=False) for d in shown]  # as the related rows' JSON writes them
    for doc, keys in store.db.execute("SELECT doc, keys FROM related") if shown else ():
        if any(name in keys for name in names) and any(k[1] in shown for k in json.loads(keys)):
            reached.add(doc)
    return reached


def diagnostics_text(problems: list[Diagnostic]) -> str:
    """The stage's problems as the store keeps them (JSON: a list of their fields), written from
    the models' own fields (a 10k vault's 3,000 problems: 0.003 s, where dumping each model took 0.017 s
    of an edit)."""
    return orjson.dumps([d.__dict__ for d in problems]).decode()


COUNTS_VERSION = 2
"""Of `counts`: a summary stored by a kg that counted otherwise is counted afresh."""


def _settle(kb, found: Knowledge) -> list[Diagnostic]:
    """The user's decisions (kg-review.toml) apply to every analysis, so the memo stays the raw one
    and a new decision needs no verdict made again; returns every problem of the stage."""
    from kg.claims.analyse import settle

    return found.diagnostics + review.apply(found, kb.root) + settle(found, warn=bool(kb.source_ids))


def _settled(kb, cache_dir: Path, paths: list[str], stamp: str) -> Knowledge:
    """The result with the decisions applied, when a build found nothing changed: made again from
    the memo, which keeps every verdict (the settled rows alone say what pages show)."""
    store = KnowledgeStore(cache_dir)
    try:
        found, _ = _analyse(kb, store, cache_dir, paths, stamp, None)
    finally:
        store.close()
    _settle(kb, found)
    return found


def _analyse(kb, store: KnowledgeStore, cache_dir: Path, paths: list[str], stamp: str,
             progress, items: Sequence[tuple[Claim, Extra]] | None = None, listed=None,
             pool: Memo | None = None, stances: dict | None = None) -> tuple[Knowledge, int]:
    """The analysis where the vault changed, stored; with the number of claims judged again.
    `items`: the claims of `paths` with their extras, when already read (`KnowledgeStore.claim_rows`);
    `listed` (kg.claims.analyse._Listed) and the memo's `pool`, when a patch read them
    (kg.claims.delta.patched). `stances` (the files' `ClaimFiles.made` digests under "made"): the
    statements its polarity tensions are found among are put there, by file (kg.claims.delta.stance_parts)."""
    from kg.search.embed import let_model_go

    if progress:
        progress("Finding evidence and tensions", 0, None)
    items = items if items is not None else store.claims(paths)
    if isinstance(items, ClaimRows):
        items = items.models()
    claims = [c for c, _ in items]
    extras = [e for _, e in items]
    if stances is not None:
        from kg.claims.delta import stance_parts

        statements = [n for n, c in enumerate(claims) if c.kind == "claim"]  # (the pool: `analyse._Listed`)
        stances["parts"] = stance_parts([extras[n].stances for n in statements], [extras[n].key for n in statements],
                                        [claims[n].doc for n in statements], stances["made"])
    before = store.memo(pool)
    vectors_for = _claim_vectors(cache_dir, before.vectors is not None, progress)  # (analyse lets them go once copied)
    from kg.claims.analyse import analyse

    found, memo = analyse(kb, claims, extras, vectors_for, json.loads(store.get("anchors") or "{}"), before, progress,
                          named=lambda: store.named(paths), listed=listed)
    let_model_go()  # (preloaded by the knowledge stage, and nothing was new to embed)
    store.save(before, memo, stamp, found.anchors)
    if memo.made is not None:
        memo.made.stored()
    return found, memo.changed


def _claim_vectors(cache_dir: Path, incremental: bool, progress) -> Callable[[list[str]], np.ndarray]:
    """The vectors of claim texts, from the search index's store (kg.search.index.SearchIndex.vectors_for),
    the new ones embedded. A fresh analysis says afresh which claim vectors the store keeps; an
    incremental one adds to them (the pool's vectors of unchanged claims are in its own file,
    `_vectors_file`)."""
    from kg.search.embed import let_model_go, shared_embedder
    from kg.search.index import SearchIndex

    index = SearchIndex(cache_dir)
    calls = []

    def vectors_for(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        try:
            return index.vectors_for(texts, shared_embedder, progress, add=len(calls) > 1 or incremental)
        finally:
            let_model_go()
    return vectors_for


def tensions_about(tensions, claim_ids: set[str], ident: str | None) -> list[Tension]:
    """The tensions a concept or source page (and `kg show`) lists: those that touch one of its
    claims (`Tension.claim_ids`) or are about it (its id among their subjects); each once."""
    return list({t.id: t for t in tensions
                 if (ident is not None and ident in t.subjects) or not claim_ids.isdisjoint(t.claim_ids())}.values())


def evidence_by_claim(claims: list[Claim], evidence: list[Evidence]) -> dict[tuple[str, str], list[Evidence]]:
    """`EvidenceByClaim` whole, as a dict: for a command that shows every claim's evidence."""
    return dict(evidence_of(claims, evidence).items())


def evidence_of(claims: list[Claim], evidence: Iterable[Evidence]) -> EvidenceByClaim:
    """`EvidenceByClaim` of these claims: each claim's items sorted when first asked for."""
    by_id: dict[str, list[Claim]] = {}
    for c in claims:
        by_id.setdefault(c.id, []).append(c)
    return EvidenceByClaim(by_id, evidence)


class EvidenceByClaim(Mapping):
    """Evidence by (claim id, claim doc): declared first, then best first. A claim id names the
    claim in every note that writes the same text, so each of them gets the evidence; the keys come
    in the order of their best item. Each claim's items are sorted when first asked for: an edit's
    pages ask for a few claims' evidence, and sorting a 10k vault's 90k items for every edit took
    0.6 s. `claims` are the vault's claims by id, in file order."""

    def __init__(self, claims: Mapping[str, list[Claim]], evidence: Iterable[Evidence]):
        self.claims = claims
        self.evidence = as_set(evidence)
        self.found: dict[str, list[int]] = self.evidence.positions()
        """Claim id -> its items, as places in `evidence`."""
        self._sorted: dict[str, list[int]] = {}

    def docs(self, cid: str) -> list[str]:
        """The notes that write this claim id, once per claim (a note writing it twice: twice)."""
        return [c.doc for c in self.claims.get(cid, ()) if c.origin == "note"]

    def _key(self, n: int) -> tuple:
        e = self.evidence[n]
        return e.method != "declared", -e.score, n

    def _order(self, cid: str) -> list[int]:
        found = self._sorted.get(cid)
        if found is None:
            found = self._sorted[cid] = sorted(self.found[cid], key=self._key)
        return found

    def rank(self, cid: str) -> tuple:
        """Where the claim's first key comes in the order of the keys: by its best item, declared
        first, then best first, then by claim id. (By the item's place in the evidence, two claims
        with items alike came in the order the evidence was listed in, which differs between the
        analysis and the settled rows: a source page's citing claims changed places between two
        builds of the same vault.)"""
        return (*self._key(self._order(cid)[0])[:2], cid)

    def __getitem__(self, key: tuple[str, str]) -> list[Evidence]:
        cid, doc = key
        times = self.docs(cid).count(doc) if cid in self.found else 0
        if not times:
            raise KeyError(key)
        return [self.evidence[n] for n in self._order(cid) for _ in range(times)]

    def __iter__(self):
        for cid in sorted((cid for cid in self.found if self.docs(cid)), key=self.rank):
            for doc in dict.fromkeys(self.docs(cid)):
                yield cid, doc

    def __len__(self) -> int:
        return sum(len(set(self.docs(cid))) for cid in self.found)


class SettledRows:
    """What the last settled knowledge says about one concept or source, read from its rows."""

    def __init__(self, cache_dir: Path, paths: list[str]):
        self.cache_dir, self.paths = cache_dir, paths

    @contextlib.contextmanager
    def _store(self, snapshot: bool = False) -> Iterator[KnowledgeStore]:
        """The store of these rows, closed after; with `snapshot`, every read in it sees them as at
        the first (`KnowledgeStore.snapshot`), for a caller that reads several times."""
        store = KnowledgeStore(self.cache_dir)
        try:
            with store.snapshot() if snapshot else contextlib.nullcontext():
                yield store
        finally:
            store.close()

    def about(self, ident: str, doc: str | None = None) -> tuple[list[Claim], list[Evidence]]:
        """`KnowledgeStore.about`."""
        with self._store() as store:
            return store.about({ident}, {doc} if doc else set(), self.paths)

    def every(self) -> tuple[list[Claim], list[Evidence]]:
        """`KnowledgeStore.every`."""
        with self._store() as store:
            return store.every(self.paths)

    def knowledge(self, related: bool = False) -> Knowledge:
        """The vault's knowledge as its settled rows keep it: every claim with its status and
        counts, the evidence, and the tensions shown, held back and dismissed, with the related
        claims of every note if asked; not the candidate concepts or dismissed evidence of a whole
        result. Enough for the linked data and for the site, read in a third of the time making the
        whole result again takes (10k vault: 5.6 s)."""
        from kg.claims.analyse import Knowledge

        with self._store(snapshot=True) as store:
            claims, evidence = store.every(self.paths)
            found = store.tensions(None)
            near = {doc: [tuple(k) for k in json.loads(keys)]
                    for doc, keys in store.db.execute("SELECT doc, keys FROM related ORDER BY doc")} if related else {}
        return Knowledge(claims=claims, evidence=evidence, tensions=found["shown"], held=found["held"],
                         dismissed=found["dismissed"], related=near)

    def pages(self, kb, idents: set[str], docs: set[str], listed: set[str] = frozenset(),
              tensions: set[str] = frozenset(), questions: bool = False) -> Knowledge:
        """What the pages of these concepts and sources (ids) and of these files show, as a preview
        shows it (`_preview`): every claim was settled, so it is what the whole result says of them.
        With the claims of the files `listed` (a page of the claims index shows them); with the
        shown tensions of these ids and the claims they name (the tensions pages drawn show them);
        with `questions`, every note's questions (the questions page)."""
        with self._store(snapshot=True) as store:
            return _preview(kb, store, self.paths, sorted(docs), idents, listed, tensions, questions)

    def places(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Claim]:
        """The claims at these (id, file) keys as far as where they are shown goes (kind, origin,
        source, anchor: kg.publish.site.Site.claim_target), without their status or evidence: read
        from the stored claims without making them whole (a 10k vault's tension sides are in 3,200
        files: 0.1 s, against 1.7 s for the whole claims)."""
        with self._store() as store:
            return store.places(keys)

    def lists(self) -> tuple[dict[str, int], dict[str, int]]:
        """`KnowledgeStore.lists`."""
        with self._store(snapshot=True) as store:
            return store.lists(self.paths)

    def tension_order(self, keys: set[str], docs: set[str]) -> tuple[list[tuple[str, str, float]], set[str]]:
        """`KnowledgeStore.tension_order`."""
        with self._store(snapshot=True) as store:
            return store.tension_order(keys, docs)

    def listed_in(self, docs: set[str]) -> tuple[bool, bool]:
        """`KnowledgeStore.listed_in`."""
        with self._store() as store:
            return store.listed_in(docs)

    def showing(self, kb, docs: set[str]) -> set[str]:
        """`KnowledgeStore.showing`."""
        with self._store(snapshot=True) as store:
            return store.showing(kb, docs)

    def statements(self, docs: list[str]) -> dict[str, int]:
        """`KnowledgeStore.statements`."""
        with self._store() as store:
            return store.statements(docs)

    def batches(self, wanted: Callable[[Claim], bool]) -> Iterator[tuple[list[Claim], list[Evidence]]]:
        """`KnowledgeStore.batches`."""
        with self._store(snapshot=True) as store:
            yield from store.batches(self.paths, wanted)

    def tensions(self, keys: set[str] | None) -> dict[str, list[Tension]]:
        """`KnowledgeStore.tensions`."""
        with self._store() as store:
            return store.tensions(keys)


def _preview(kb, store: KnowledgeStore, paths: list[str], docs: list[str], idents: set[str] | None = None,
             listed: set[str] = frozenset(), tensions: set[str] = frozenset(), questions: bool = False) -> Knowledge:
    """What the pages of `docs` show, from the last settled rows: the files' current claims and the
    claims that name their concepts or sources, each with its settled status and evidence, and the
    tensions they touch. A claim the last analysis did not settle (new, or reworded) has no evidence
    yet: a note's claim is unsupported until the analysis. Neither the whole result nor any other
    file's rows are read, so a save on a 10k vault is on its page in a second or two."""
    from kg.claims.analyse import Knowledge

    idents = (idents or set()) | {i for d in docs for i in (kb.concept_by_doc.get(d), kb.source_by_path.get(d)) if i}
    own = set(docs)
    store.placed = {}  # (the order the claims are shown in, below)

    def shown(c: Claim) -> bool:  # on a page of its own; a claim in `listed` alone is a row of the claims
        # index, which shows its status and counts, not its evidence, the tensions it is in or their
        # other sides (at 10k notes, those of two index pages' 423 files read 1,049 files more, 0.4 s)
        return c.doc in own or c.doc not in listed or c.concept in idents or not idents.isdisjoint(c.concepts)

    claims, evidence = store.about(idents, own | listed, paths, shown)
    found = store.tensions({c.id for c in claims if shown(c)} | idents)
    related = store.related(set(docs))
    touched = [t for ts in found.values() for t in ts if isinstance(t, Tension)]
    have = {(c.id, c.doc) for c in claims}
    keys = {(side.id, side.doc) for t in touched for side in (t.a, t.b) if side} | \
        {k for ks in related.values() for k in ks}
    # a source page lists the notes' claims its sentences back, and those that write one of its sentences
    sources = {kb.source_ids[i] for i in idents if i in kb.source_ids}
    cited = store.quoting(sources) | {i for i, doc in have if doc in sources}
    more, more_evidence = store.claims_at(keys - have, {i for t in touched for i in t.claims} | cited, paths)
    known = {c.id for c in claims if shown(c)}  # evidence is by claim id: a text written in two files has it once
    claims += [c for c in more if (c.id, c.doc) not in have]
    evidence += [e for e in more_evidence if e.claim not in known]
    known |= {c.id for c in more}
    if tensions:  # and the claims they name (their sides are shown from the tension itself)
        named = store.tensions(set(), tensions)["shown"]
        have = {(c.id, c.doc) for c in claims}
        more, more_evidence = store.claims_at(set(), {i for t in named for i in t.claims}, paths)
        claims += [c for c in more if (c.id, c.doc) not in have]
        evidence += [e for e in more_evidence if e.claim not in known]
        known |= {c.id for c in more}
    if questions:
        have = {(c.id, c.doc) for c in claims}
        more, more_evidence = store.questions(paths)
        claims += [c for c in more if (c.id, c.doc) not in have]
        evidence += [e for e in more_evidence if e.claim not in known]
    for c in claims:
        if c.status is None and c.kind == "claim":
            c.status = "unsupported" if c.origin == "note" else "supported"
    clusters: dict[str, list[str]] = {}
    for c in claims:
        if c.cluster:
            clusters.setdefault(c.cluster, []).append(c.id)
    # the tensions of every claim read (a claim of a note's declared tension links to its card), and those asked for
    found = store.tensions({c.id for c in claims} | idents, tensions)
    # in the vault's order, as the whole knowledge lists them: by file, then as each file writes them (they
    # come by several ways). A claim id's first names it (two notes' `^b455`), and a source page lists the
    # claims its sentences back in this order: at 10k notes, 12 pages drawn from the rows showed otherwise
    order = {p: n for n, p in enumerate(paths)}
    place = store.placed  # (as each file's claims were read: reading them again for it took 0.03 s at 10k)
    claims.sort(key=lambda c: (order.get(c.doc, len(order)), place.get((c.doc, c.id), 0)))
    return Knowledge(claims=claims, evidence=evidence, tensions=found["shown"], held=found["held"],
                     dismissed=found["dismissed"], related=related,
                     clusters={k: list(dict.fromkeys(v)) for k, v in clusters.items()})
