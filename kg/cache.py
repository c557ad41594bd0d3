"""The `.kg/` cache: parsed files keyed by content hash, in SQLite with a schema version.

Never pickle: rows hold JSON, and a cache written by another version of kg (or with other
settings that change parsing) is dropped and rebuilt. A corrupt cache file is moved aside and
rebuilt. Deleting `.kg/` is always safe.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

SCHEMA_VERSION = 3
"""Bump whenever a parser or model change makes old rows wrong."""


class ParseCache:
    """Rows of (path, hash, kind, json) for every parsed file."""

    def __init__(self, folder: Path, fingerprint: str):
        self.path = folder / "cache.sqlite"
        self.fingerprint = f"{SCHEMA_VERSION}:{fingerprint}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:
            self.path.replace(self.path.with_suffix(f".corrupt-{int(time.time())}"))
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS parsed (path TEXT PRIMARY KEY, hash TEXT NOT NULL, "
                   "kind TEXT NOT NULL, data TEXT NOT NULL)")
        row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is None or row[0] != self.fingerprint:
            db.execute("DELETE FROM parsed")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (self.fingerprint,))
            db.commit()
        return db

    def load(self) -> dict[str, tuple[str, str, str]]:
        """path -> (hash, kind, json) for every cached file."""
        return {path: (digest, kind, data)
                for path, digest, kind, data in self.db.execute("SELECT path, hash, kind, data FROM parsed")}

    def store(self, rows: list[tuple[str, str, str, str]], keep: set[str]) -> None:
        """Write new rows (path, hash, kind, json) and forget files no longer in the vault."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?, ?)", rows)
            gone = [(p,) for (p,) in self.db.execute("SELECT path FROM parsed") if p not in keep]
            self.db.executemany("DELETE FROM parsed WHERE path = ?", gone)

    def close(self) -> None:
        self.db.close()
