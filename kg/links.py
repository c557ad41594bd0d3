"""Link resolution, the Obsidian way, in one place.

A wikilink target is matched case-insensitively against, in order: file names (without `.md`),
aliases, then paths (`[[folder/note]]` matches any file whose path ends so). Among several
files, the one with the shortest path wins; a tie is reported (`ambiguous-link`) and the first
in path order is used. A Markdown link is read relative to its own file first. A target that
matches nothing becomes a stub concept and an `unresolved-link` warning.
"""

from __future__ import annotations

import marshal
import posixpath
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from kg.cache import save_atomic
from kg.index import DocInfo
from kg.model import Diagnostic, LinkRef, shortened
from kg.paths import heading_anchor, is_attachment, link_key, without_suffix


class Resolution(NamedTuple):
    """The outcome of resolving one link: the path it reaches (None when missing) and problems."""

    target: str | None
    diagnostics: list[Diagnostic]


_NONE: list[Diagnostic] = []


Index = tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]

RESOLVER_FILE = "resolver.marshal"
RESOLVER_VERSION = 2
"""Of `Resolver.index` as `kept_resolver` keeps it: another version indexes afresh."""
UPDATE_MOST = 200
"""Up to this many files whose names changed, a kept index is brought up to date; past it, made afresh."""


def kept_resolver(docs: dict[str, DocInfo], files: list[str], names: str, folder: Path) -> Resolver:
    """A Resolver of these files, its index read from `folder` when it was kept there for the same
    names (kg.index.names_fingerprint: every path, title and alias it is made from), else made and
    kept there for the next build. Indexing a 10k vault's 11k files took 0.23 s of an edit that
    resolves one file's links; reading the kept index, a few hundredths. With other names (a note
    made, deleted or retitled), the kept index is brought up to date from each file's names as
    they were (`_named`), up to UPDATE_MOST changed files (made afresh, it took 0.13-0.2 s of such
    an edit at 10k)."""
    path = folder / RESOLVER_FILE
    made, now = None, None
    try:
        stamp, index, named = marshal.loads(path.read_bytes())
        if stamp == [RESOLVER_VERSION, names]:
            return Resolver(docs, files, tuple(index))
        if stamp[0] == RESOLVER_VERSION:
            now = _named(docs, files)
            made = _updated(docs, files, index, named, now)
    except Exception:  # noqa: BLE001 (none kept, or unreadable: made again)
        pass

    made = made or Resolver(docs, files)
    try:
        save_atomic(path, lambda f: f.write(marshal.dumps(([RESOLVER_VERSION, names], made.index,
                                                           now or _named(docs, files)), 4)))
    except OSError:  # (a cache that cannot be written costs the next build the index, nothing more)
        pass
    return made


def _named(docs: dict[str, DocInfo], files: list[str]) -> dict[str, tuple]:
    """What each file is indexed by (`Resolver`): whether it is a note or source, its title and aliases."""
    out: dict[str, tuple] = {path: (False, None, []) for path in files}
    out.update((path, (True, doc.title, list(doc.aliases))) for path, doc in docs.items())
    return out


def _updated(docs: dict[str, DocInfo], files: list[str], index, named: dict[str, tuple],
             now: dict[str, tuple]) -> Resolver | None:
    """The Resolver of these files made from the `index` of the files `named` (`_named`), the
    entries of the files whose names changed (`now`: what they are named by now) taken out and put
    in again, each list in the order a fresh Resolver gives it; None past UPDATE_MOST such files."""
    changed = [p for p in now.keys() | named.keys() if now.get(p) != (tuple(named[p]) if p in named else None)]
    if len(changed) > UPDATE_MOST:
        return None
    tables: tuple[dict[str, list[str]], ...] = tuple(dict(table) for table in index)  # by_suffix, by_alias, by_title
    touched: list[set[str]] = [set(), set(), set()]

    def keys(path: str, entry) -> list[tuple[int, str]]:
        is_doc, title, aliases = entry
        out = [(0, key) for key in path_keys(path, is_doc)]
        if is_doc:
            out += [(1, link_key(alias)) for alias in aliases] + [(2, link_key(title))]
        return out

    for path in changed:
        if path in named:
            for table, key in keys(path, named[path]):
                if key in tables[table]:
                    tables[table][key] = [p for p in tables[table][key] if p != path]
                    touched[table].add(key)
        if path in now:
            for table, key in keys(path, now[path]):
                tables[table][key] = [*tables[table].get(key, ()), path]
                touched[table].add(key)
    order = {path: n for n, path in enumerate(docs)}  # (aliases and titles are indexed in the files' order)
    for table, keyed in enumerate(touched):
        for key in keyed:
            found = tables[table][key]
            if not found:
                del tables[table][key]
            else:
                found.sort(key=(lambda p: p) if table == 0 else order.__getitem__)
    return Resolver(docs, files, tables)


class Resolver:
    """Indexes every file of the vault once; resolves each link with dictionary look-ups."""

    def __init__(self, docs: dict[str, DocInfo], files: list[str], index: Index | None = None):
        """`index`: `Resolver.index` of a Resolver of the same names (kg.index.names_fingerprint),
        kept from an earlier build (`kept_resolver`)."""
        self.docs = docs
        self.paths: set[str] = set(docs) | set(files)
        self._memo: dict[str, list[str]] = {}
        self._anchor_sets: dict[str, tuple[set[str], set[str]]] = {}
        if index is not None:
            self.by_suffix, self.by_alias, self.by_title = index
            return
        by_suffix: dict[str, list[str]] = defaultdict(list)
        by_alias: dict[str, list[str]] = defaultdict(list)
        by_title: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.paths):
            for key in path_keys(path, path in docs):
                by_suffix[key].append(path)
        for path, doc in docs.items():
            for alias in doc.aliases:
                by_alias[link_key(alias)].append(path)
            by_title[link_key(doc.title)].append(path)
        self.by_suffix, self.by_alias, self.by_title = dict(by_suffix), dict(by_alias), dict(by_title)

    @property
    def index(self) -> Index:
        """What it looks names up in: file names and paths, aliases, titles (each -> files)."""
        return self.by_suffix, self.by_alias, self.by_title

    def candidates(self, target: str) -> list[str]:
        """Files a wikilink target may mean, best first (file name or path, else alias)."""
        key = target_key(target)
        found = self._memo.get(key)
        if found is None:
            found = self.by_suffix.get(key) or self.by_alias.get(key) or []
            found = self._memo[key] = sorted(set(found), key=lambda p: (p.count("/"), len(p), p))
        return found

    def resolve(self, doc: DocInfo, ref: LinkRef) -> Resolution:
        if ref.syntax == "wiki" and not ref.heading and not ref.block:  # the common case, kept lean
            found = self.candidates(ref.target) if ref.target[:1] != "." else None
            if found and len(found) == 1 and found[0] != doc.path:
                return Resolution(found[0], _NONE)
        diags: list[Diagnostic] = []
        where = {"doc": doc.path, "line": ref.line, "col": ref.col}
        if not ref.target:  # `[[#Heading]]`: a place in this same file
            return Resolution(self._check_anchor(doc.path, ref, diags, where), diags)
        found: list[str] = []
        if ref.syntax == "markdown" or ref.target.startswith(("./", "../")):
            found = self._relative(doc.path, ref.target)
        if not found:
            found = self.candidates(ref.target)
        if not found:
            written = _written(ref)
            name = posixpath.basename(ref.target)
            if is_attachment(name):
                message = f"{written} points at a file that is not in the vault"
            else:
                message = (f"{written} points at nothing in the vault; it is shown as a stub concept "
                           f"until a note named '{_shown(without_suffix(name))}' exists")
                titled = self.by_title.get(link_key(ref.target))
                if titled:
                    message += (f" (the note titled '{_shown(self.docs[titled[0]].title)}' is {titled[0]}: link "
                                f"[[{without_suffix(titled[0]).rsplit('/', 1)[-1]}]] or add the title to its aliases)")
            diags.append(Diagnostic(**where, severity="warning", code="unresolved-link", message=message))
            return Resolution(None, diags)
        if len(found) > 1 and found[0].count("/") == found[1].count("/"):
            written = _written(ref)
            others = ", ".join(found[1:4])
            diags.append(Diagnostic(**where, severity="warning", code="ambiguous-link",
                                    message=f"{written} matches {len(found)} files; kg uses {found[0]} "
                                            f"(also: {others}); write the folder, e.g. "
                                            f"[[{without_suffix(found[0])}]], to choose"))
        target = found[0]
        if target == doc.path and not ref.heading and not ref.block:
            diags.append(Diagnostic(**where, severity="info", code="self-link",
                                    message=f"{_written(ref)} links this note to itself"))
        return Resolution(self._check_anchor(target, ref, diags, where), diags)

    def _relative(self, from_doc: str, target: str) -> list[str]:
        """A Markdown link as a path: relative to its file, or from the vault root with `/`."""
        for candidate in relative_paths(from_doc, target):
            if candidate in self.paths:
                return [candidate]
        return []

    def _check_anchor(self, target: str, ref: LinkRef, diags: list[Diagnostic], where) -> str:
        doc = self.docs.get(target)
        if doc is None:
            return target
        if ref.heading and heading_anchor(ref.heading) not in self._anchors(target)[0]:
            diags.append(Diagnostic(**where, severity="warning", code="missing-heading",
                                    message=f"{_written(ref)}: {doc.path} has no heading '{_shown(ref.heading)}'"))
        sentence = doc.kind == "source" and re.fullmatch(r"s-[0-9a-f]{8}", ref.block or "")
        if ref.block and not sentence and ref.block not in self._anchors(target)[1]:
            # a source's sentence anchor is checked by the evidence stage, which can re-anchor it
            diags.append(Diagnostic(**where, severity="warning", code="missing-block",
                                    message=f"{_written(ref)}: {doc.path} has no block '^{_shown(ref.block)}'"))
        return target


    def _anchors(self, path: str) -> tuple[set[str], set[str]]:
        """Heading anchors and block ids of a file, as sets."""
        found = self._anchor_sets.get(path)
        if found is None:
            doc = self.docs[path]
            found = self._anchor_sets[path] = (set(doc.headings), set(doc.block_ids))
        return found


def path_keys(path: str, doc: bool) -> list[str]:
    """The keys a file is found by as a file name or path (`Resolver.candidates`): `c`, `b/c`,
    `a/b/c` for a/b/c.md, and `c.md` too for a note or source (`[[note.md]]`, `[[article.txt]]`)."""
    bare = without_suffix(path) if doc else path
    parts = bare.split("/")
    keys = [link_key("/".join(parts[i:])) for i in range(len(parts))]
    if doc and bare != path:
        keys.append(link_key(posixpath.basename(path)))
    return keys


def target_key(target: str) -> str:
    """The key a wikilink target looks files and aliases up by."""
    return link_key(target).lstrip("/")


def relative_paths(from_doc: str, target: str) -> tuple[str, str]:
    """The paths a Markdown link may mean: relative to its file, or from the vault root with `/`;
    as written, then with `.md`."""
    base = "" if target.startswith("/") else posixpath.dirname(from_doc)
    path = posixpath.normpath(posixpath.join(base, target.lstrip("/")))
    return path, path + ".md"


SHOWN_CHARS = 120
"""A link's target, anchor or suggested title is quoted in a message up to this many characters."""


def _shown(text: str) -> str:
    return shortened(text, SHOWN_CHARS)


def _written(ref: LinkRef) -> str:
    """The link as the user would recognise it in a message."""
    anchor = f"#{ref.heading}" if ref.heading else f"#^{ref.block}" if ref.block else ""
    if ref.syntax == "markdown":
        return f"link ({_shown(ref.target + anchor)})"
    return f"{'!' if ref.embed else ''}[[{_shown(ref.target + anchor)}]]"
