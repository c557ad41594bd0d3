"""The `.kg/` cache: each parsed file keyed by its content hash, in SQLite with a schema version.

Never pickle: rows hold JSON (the light `DocInfo` index and the full parse apart, so that
whole-vault stages read only the index). A cache written by another version of kg, or with
settings that change parsing, is emptied and rebuilt; a corrupt one is moved aside. Deleting
`.kg/` is always safe.

A file whose size and modification time are those recorded with its hash is not read again
(git's index does the same); any other file is read and hashed, and re-parsed only if its
hash changed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

CHUNK = 500
"""Values bound in one `IN (...)` list (`rows_in`)."""


def rows_in(db: sqlite3.Connection, query: str, values: list) -> Iterator[tuple]:
    """The rows of `query` (whose `{}` is where an `IN (...)` list of placeholders goes) for these
    values, a chunk of CHUNK at a time: SQLite takes a bounded number of parameters per statement.
    Rows come chunk by chunk, each chunk in the order the query gives."""
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        yield from db.execute(query.format(",".join("?" * len(chunk))), chunk)


def save_atomic(path: Path, write) -> None:
    """Write a file whole or not at all: `write(f)` into a temporary file beside it (named by this
    process, so two processes never write one), then renamed over it; a failed write leaves no
    temporary file behind. (Here, with nothing heavy to import: the read stage keeps a file with it
    too.)"""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


SCHEMA_VERSION = 13
"""Bump whenever a parser or model change makes old rows wrong (12: the names fingerprint each
file's links were resolved against, in a table of their own; 13: each file's links kept with their
digest, kg.knowledge.links_digest)."""


class ParseCache:
    """Every parsed file (path, hash, kind, size, mtime, names json, refs json, full json) and
    every file's resolved links."""

    def __init__(self, folder: Path, fingerprint: str):
        self.path = folder / "cache.sqlite"
        self.fingerprint = f"{SCHEMA_VERSION}:{fingerprint}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            self.path.replace(self.path.with_name(f"cache.corrupt-{int(time.time())}.sqlite"))
            self.db = self._open()

    def _create(self) -> sqlite3.Connection:
        db = self._open(check=False)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (self.fingerprint,))
        db.commit()
        return db

    def _open(self, check: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS parsed (path TEXT PRIMARY KEY, hash TEXT NOT NULL, "
                   "kind TEXT NOT NULL, size INTEGER, mtime INTEGER, names TEXT NOT NULL, refs TEXT NOT NULL, "
                   "data TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS resolved (path TEXT PRIMARY KEY, hash TEXT NOT NULL, "
                   "rows TEXT NOT NULL, problems TEXT NOT NULL, embeds TEXT NOT NULL, stubs TEXT NOT NULL, "
                   "digest TEXT NOT NULL)")
        # the names fingerprint each file's links were resolved against, apart from the links: a note made
        # or deleted stamps every file kept with the new names, and stamping them in `resolved` wrote every
        # file's links again (6,571 notes: 0.1 s of such an edit)
        db.execute("CREATE TABLE IF NOT EXISTS resolved_names (path TEXT PRIMARY KEY, names TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS lookups (path TEXT PRIMARY KEY, keys TEXT NOT NULL)")
        row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if check and (row is None or row[0] != self.fingerprint):
            db.execute("DROP TABLE parsed")
            db.execute("DROP TABLE resolved")
            db.execute("DROP TABLE resolved_names")
            db.execute("DROP TABLE lookups")
            db.execute("DELETE FROM meta WHERE key IN ('lookup_names', 'entries')")
            db.commit()
            db.close()
            return self._create()
        return db

    def states(self) -> dict[str, tuple[str, int, int, str, str]]:
        """path -> (hash, size, mtime, names json, refs json) of every cached file: read once, for
        telling which files changed and for the light index of the rest (two reads of the table
        took 0.02 s more of a 10k vault's edit)."""
        return {row[0]: row[1:] for row in self.db.execute("SELECT path, hash, size, mtime, names, refs FROM parsed")}

    def resolutions(self) -> dict[str, tuple[str, ...]]:
        """path -> (hash, names fingerprint, rows, problems, embeds, stubs, digest of the rows): each
        file's resolved links."""
        return {row[0]: row[1:] for row in self.db.execute(
            "SELECT r.path, r.hash, n.names, r.rows, r.problems, r.embeds, r.stubs, r.digest FROM resolved r "
            "JOIN resolved_names n ON n.path = r.path")}

    def store_resolutions(self, rows: list[tuple], keep: set[str], names: str, restamped: str | None = None) -> None:
        """Write each file's resolved links (kg.assemble.resolve_links). `restamped`: the names
        fingerprint whose files' links stand under the new one (`names`) but for the files in `rows`;
        they are stamped again in one statement (a row each took 0.04 s of a 10k vault's build after
        a note was made)."""
        with self.db:
            if restamped is not None:
                self.db.execute("UPDATE resolved_names SET names = ? || substr(names, ?) "
                                "WHERE names = ? OR substr(names, 1, ?) = ?",
                                (names, len(restamped) + 1, restamped, len(restamped) + 1, restamped + "|"))
            self.db.executemany("INSERT OR REPLACE INTO resolved VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [(r[0], r[1], *r[3:]) for r in rows])
            self.db.executemany("INSERT OR REPLACE INTO resolved_names VALUES (?, ?)", [(r[0], r[2]) for r in rows])
            gone = [(p,) for (p,) in self.db.execute("SELECT path FROM resolved") if p not in keep]
            self.db.executemany("DELETE FROM resolved WHERE path = ?", gone)
            self.db.executemany("DELETE FROM resolved_names WHERE path = ?", gone)

    def lookups(self):
        """What the links were last resolved against (kg.assemble.Lookups), None if not known."""
        from kg.assemble import Lookups

        meta = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('lookup_names', 'entries')"))
        if len(meta) < 2:
            return None
        return Lookups(meta["lookup_names"], orjson.loads(meta["entries"]),  # (orjson: 11k files' in half the time)
                       {path: orjson.loads(keys) for path, keys in self.db.execute("SELECT path, keys FROM lookups")})

    def store_lookups(self, looked: dict[str, list[str]], keep: set[str], names: str, entries) -> None:
        """Keep what the files resolved now looked up, and (when they changed) the names every file
        offers (`entries()`), for `lookups`."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO lookups VALUES (?, ?)",
                                [(p, orjson.dumps(keys).decode()) for p, keys in looked.items()])
            gone = [(p,) for (p,) in self.db.execute("SELECT path FROM lookups") if p not in keep]
            self.db.executemany("DELETE FROM lookups WHERE path = ?", gone)
            known = self.db.execute("SELECT value FROM meta WHERE key = 'lookup_names'").fetchone()
            if known is None or known[0] != names:
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('entries', ?)",
                                (orjson.dumps(entries()).decode(),))  # (json: 0.015 s of a 10k note made)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('lookup_names', ?)", (names,))

    def data(self, paths: list[str]) -> dict[str, tuple[str, str]]:
        """path -> (kind, full json) for the given paths."""
        return {path: (kind, data) for path, kind, data in
                rows_in(self.db, "SELECT path, kind, data FROM parsed WHERE path IN ({})", paths)}

    def store(self, rows: list[tuple]) -> None:
        """Write parsed rows (path, hash, kind, size, mtime, names, refs, data)."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def finish(self, restat: list[tuple[int, int, str]], keep: set[str]) -> int:
        """Record new stats of unchanged files (size, mtime, path); forget files not in `keep`, and
        return how many were forgotten (the files deleted since the last read)."""
        with self.db:
            self.db.executemany("UPDATE parsed SET size = ?, mtime = ? WHERE path = ?", restat)
            gone = [(p,) for (p,) in self.db.execute("SELECT path FROM parsed") if p not in keep]
            self.db.executemany("DELETE FROM parsed WHERE path = ?", gone)
        return len(gone)

    def close(self) -> None:
        self.db.close()
