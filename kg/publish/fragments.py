"""The groups of the claims index pages as drawn, kept by file between builds.

A claims page is drawn again after most edits: page 1 after every analysis (it counts the
claims), and the page of the file edited. Each file's group is drawn on its own
(templates/claim_group.html) and kept here with its key (`key`: what it is drawn from), so that
the page takes the group of every file whose statements show as they did, instead of reading
those files' claims from the settled rows and drawing them again (at 10k notes, two pages held
423 files' 6,600 claims: 0.15-0.2 s of each edit). A group is drawn with an anchor on each of
its statements (the first of an id), and a page takes out the anchor of a statement whose id an
earlier group on it holds (`on_page`), as drawing the page whole did. Only the groups drawn in
the build's own process are kept (an edit's); the pages a cold build draws in its workers keep
none, and the first edit that draws them keeps theirs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

FILE = "claim-groups.sqlite"


@dataclass
class Group:
    """One file's group of a claims page, drawn."""

    html: str
    """As claim_group.html draws it ("" for a file without statements)."""
    ids: list[str]
    """The ids of its statements, in order."""
    kinds: list[str]
    """The kinds of figure its statements' badges show (the page's quantity filter lists them)."""


def key(version: str, doc: str, page: str | None, title: str, listed: str | None) -> str | None:
    """What a file's group is drawn from: the publisher's code (`version`), the file, its page,
    its title, and what the claims index shows of its statements (Site.listed_digest). None when
    the last is not known: such a group is not kept."""
    if listed is None:
        return None
    text = json.dumps([version, doc, page, title, listed], ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def on_page(groups: list[Group]) -> tuple[list[Markup], list[str]]:
    """The groups of one page, in order, as its HTML (one text each, files without statements left
    out), and the kinds of figure they show: a statement whose id an earlier group holds loses its
    anchor (the first statement of an id is its anchor on the page)."""
    out, kinds, seen = [], set(), set()
    for group in groups:
        if not group.html:
            continue
        html = group.html
        for cid in dict.fromkeys(group.ids):
            if cid in seen:
                html = html.replace(f'<tr id="{escape("claim-" + cid)}"', "<tr", 1)
        seen.update(group.ids)
        kinds.update(group.kinds)
        out.append(Markup(html))
    return out, sorted(kinds)


class Kept:
    """The groups kept in a cache folder. Nothing here is the user's: a file that cannot be read or
    written costs the next build the groups' drawing, nothing more."""

    def __init__(self, cache_dir: Path):
        self.path = cache_dir / FILE

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        db.execute("CREATE TABLE IF NOT EXISTS groups (doc TEXT PRIMARY KEY, key TEXT NOT NULL, "
                   "ids BLOB NOT NULL, kinds BLOB NOT NULL, html TEXT NOT NULL) WITHOUT ROWID")
        return db

    def get(self, wanted: dict[str, str]) -> dict[str, Group]:
        """The groups kept of these files (file -> key), those kept under that key."""
        from kg.cache import rows_in

        if not wanted or not self.path.is_file():
            return {}
        try:
            db = self._open()
            try:
                return {doc: Group(html, marshal.loads(ids), marshal.loads(kinds))
                        for doc, found, ids, kinds, html in rows_in(
                            db, "SELECT doc, key, ids, kinds, html FROM groups WHERE doc IN ({})", sorted(wanted))
                        if found == wanted[doc]}
            finally:
                db.close()
        except (sqlite3.Error, ValueError, EOFError, TypeError):
            return {}

    def put(self, groups: dict[str, tuple[str, Group]]) -> None:
        """Keep these groups (file -> (key, group)), in place of those kept of the same files."""
        if not groups:
            return
        with contextlib.suppress(sqlite3.Error, OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                db = self._open()
            except sqlite3.DatabaseError:  # not a database (a damaged file): made afresh next time
                self.path.unlink(missing_ok=True)
                return
            try:
                with db:
                    db.executemany("INSERT OR REPLACE INTO groups VALUES (?, ?, ?, ?, ?)",
                                   [(doc, k, marshal.dumps(g.ids, 4), marshal.dumps(g.kinds, 4), g.html)
                                    for doc, (k, g) in sorted(groups.items())])
            finally:
                db.close()
