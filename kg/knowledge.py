"""`KnowledgeBase`: what the read stage knows of a vault (`kg.build.build`): its files, concepts,
links and problems. The later stages return their own results beside it (`kg.build.Build`).

Whole-vault facts (concepts, resolved links, diagnostics) are held in memory. The full parse of
each file (`Note`, `Source`: blocks, sections, sentences) stays in the cache until a command
asks for it, so commands that need only the whole-vault facts (`kg check`) stay fast on large
vaults.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path

import orjson

from kg.index import DocInfo
from kg.model import Claim, Concept, Diagnostic, Link, Note, Source, counted, from_columns, to_columns

Loader = Callable[[list[str]], dict[str, "Note | Source"]]



def unlinked_mentions(mentioned: list[Claim], doc: str | None, linking: set[str]) -> list[Claim]:
    """Claims of other files that name a concept without any link to it from their file (what
    Obsidian calls unlinked mentions), given the claims that name it, its own file and the files
    that link to it. The one definition: a concept's page and `kg show` list these."""
    return [m for m in mentioned if m.doc != doc and m.doc not in linking]


LINK_FIELDS = Link._fields[2:]
"""The fields of a resolved link as the cache stores a file's links (kg.model.to_columns): all but
the file and its holder, which are the same for every link of a file."""


def links_digest(text: str) -> str:
    """A hash of a file's links as the cache keeps them (kg.model.to_columns)."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _targets(data: str) -> Iterator[tuple[str, str]]:
    """The (kind, id) of the targets of a file's links as the cache keeps them
    (kg.model.to_columns), read from those two columns alone: the columns come in the order of
    LINK_FIELDS, so the two end where the next column's key starts (a key's quotes are the only
    ones not escaped in JSON, so no value holds that key)."""
    start = data.find('"target_kind":[')
    end = data.find(',"target_doc":[', start)
    columns = orjson.loads("{" + data[start:end] + "}" if start >= 0 and end >= 0 else data or "{}")
    return zip(columns.get("target_kind", ()), columns.get("target_id", ()))


SOURCE_META = ("hash", "title", "author", "date", "url", "publisher", "format")
"""What `KnowledgeBase.source_meta` tells of a source."""


class Docs(Mapping):
    """Parsed notes or sources by path, loaded from the cache on first access."""

    def __init__(self, kb: KnowledgeBase, paths: list[str]):
        self.kb = kb
        self.paths = paths

    def __getitem__(self, path: str):
        if path not in self.paths_set:
            raise KeyError(path)
        return self.kb.doc(path)

    @cached_property
    def paths_set(self) -> set[str]:
        return set(self.paths)

    def __contains__(self, path: object) -> bool:
        return path in self.paths_set

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def values(self):
        self.kb.load(self.paths)
        return [self.kb.doc(p) for p in self.paths]

    def items(self):
        return list(zip(self.paths, self.values()))


class KnowledgeBase:
    """Concepts, sources, links and problems of one vault, as read."""

    def __init__(self, root: str, infos: dict[str, DocInfo], loader: Loader,
                 reader: Callable[[list[str]], dict[str, tuple[str, str]]] | None = None):
        self.root = root
        """Absolute path of the vault."""
        self.infos = infos
        """Light index of every parsed file, by path."""
        self.files: list[str] = []
        """Other files (images, PDFs) that links may point at."""
        self.concepts: dict[str, Concept] = {}
        """Concepts by id: one per note, one per missing link target (a stub)."""
        self.source_ids: dict[str, str] = {}
        """Source id -> source path."""
        self.resolved: dict[str, list[Link] | str] = {}
        """Each file's resolved links, or their cached JSON until `rows` decodes them."""
        self.link_texts: dict[str, str] = {}
        """The cached JSON of the links resolved by this read (`resolved` holds them decoded)."""
        self.rows_digests: dict[str, str] = {}
        """Each file's links as cached, hashed (`links_digest`): kept with them, as hashing a 10k
        vault's 11.6 MB of them took 0.05-0.08 s of every build that read a file afresh."""
        self.embeds: dict[str, list[tuple[str, int, int]]] = {}
        """Each file's embeds of other files, as (target path, line, col): for loop checks."""
        self.diagnostics: list[Diagnostic] = []
        """Every problem found, per file and vault-wide, sorted by file and line."""
        self.parsed_with = ""
        """Fingerprint of the settings the files were parsed with ([sections] in kg.toml): what a
        file's claims are made from, besides the file."""
        self.names = ""
        """Fingerprint of every name a link can resolve against (kg.index.names_fingerprint): while
        it stays the same, a file's links depend on that file alone."""
        self.stats: dict[str, float] = {}
        """Counts and timings of the read (files, parsed, cached, seconds)."""
        self.on_disk: dict[str, str] = {}
        """Path -> the path as it is on disk, for the files where the two differ (a name macOS
        wrote decomposed, NFD, is known by its composed, NFC, spelling)."""
        self._docs: dict[str, Note | Source] = {}
        self._loader = loader
        self._reader = reader
        self._blocks: dict[str, list[str]] = {}
        paths = sorted(infos)
        self.notes = Docs(self, [p for p in paths if infos[p].kind == "note"])
        """Parsed notes by path (loaded on access)."""
        self.sources = Docs(self, [p for p in paths if infos[p].kind == "source"])
        """Parsed sources by path (loaded on access)."""

    # -- files -----------------------------------------------------------------
    def disk_path(self, path: str) -> Path:
        """Where a file of the vault is on disk (read it through this, never through `root / path`)."""
        return Path(self.root) / self.on_disk.get(path, path)

    def load(self, paths: list[str]) -> None:
        missing = [p for p in paths if p not in self._docs]
        if missing:
            self._docs.update(self._loader(missing))

    @contextlib.contextmanager
    def holding(self, paths: Sequence[str] = ()) -> Iterator[None]:
        """These files' parses, loaded for the block; every parse loaded in it (these, and any
        other it asks for) is let go after it, so that a stage going through every file a chunk at
        a time never holds them all (the search index's cold pass held a 10k vault's parses,
        0.4 GB, to the end of the build; the evidence search, its 1,000 sources, 75 MB, through
        the tension search). A parse loaded before stays."""
        before = set(self._docs)
        self.load(list(dict.fromkeys(paths)))
        try:
            yield
        finally:
            for p in [p for p in self._docs if p not in before]:
                del self._docs[p]

    def raw(self, paths: list[str]) -> dict[str, dict]:
        """The cached parse of these files as plain JSON data, read in one batch without building
        the models (five times faster); empty when the KnowledgeBase has no cache reader."""
        if not paths or self._reader is None:
            return {}
        return {path: json.loads(data) for path, (_, data) in self._reader(paths).items()}

    def source_meta(self, paths: list[str] | None = None) -> Iterator[tuple[str, dict]]:
        """(path, {hash, title, author, date, url, publisher, format}) of these sources (every
        source, in id order, with None), the date as ISO text: from the cached parses as plain data,
        a few hundred at a time (as models, SciFact's 5,183 took 3 s), else from the models. The one
        reading of a source's metadata: `kg sources`, the graph, the site and the linked data."""
        paths = list(self.source_ids.values()) if paths is None else paths
        for start in range(0, len(paths), 500):
            chunk = paths[start:start + 500]
            raw = self.raw(chunk)
            for path in chunk:
                data = raw.get(path)
                if data is None:  # no cache reader: the model
                    data = self.sources[path].model_dump(mode="json", include=set(SOURCE_META))
                yield path, {key: data.get(key) for key in SOURCE_META}

    def block_texts(self, paths: list[str]) -> dict[str, list[str]]:
        """The text of every block of these files, read in one batch (enough for the paragraph
        that holds a link)."""
        missing = [p for p in dict.fromkeys(paths) if p not in self._blocks and p not in self._docs]
        for path, data in self.raw(missing).items():
            self._blocks[path] = [b["text"] for b in data.get("blocks", [])]
        self.load([p for p in missing if p not in self._blocks])
        return {p: self._blocks[p] if p in self._blocks else [b.text for b in self.doc(p).blocks]
                for p in paths if p in self._blocks or p in self._docs}

    def context(self, row: Link) -> str:
        """The paragraph or list item that holds a link, as plain text."""
        if row.block_index is None:
            return ""
        blocks = self._blocks.get(row.doc)
        if blocks is None:
            blocks = self.block_texts([row.doc]).get(row.doc, [])
        return blocks[row.block_index] if row.block_index < len(blocks) else ""

    def doc(self, path: str) -> Note | Source:
        """The full parse of one file."""
        if path not in self._docs:
            self.load([path])
        return self._docs[path]

    # -- lookups ---------------------------------------------------------------
    @cached_property
    def concept_by_doc(self) -> dict[str, str]:
        """Note path -> concept id."""
        return {c.doc: c.id for c in self.concepts.values() if c.doc}

    def concept_of(self, doc: str) -> Concept | None:
        """The concept a note defines."""
        cid = self.concept_by_doc.get(doc)
        return self.concepts.get(cid) if cid else None

    def source_by_id(self, source_id: str) -> Source | None:
        path = self.source_ids.get(source_id)
        return self.sources[path] if path else None

    @cached_property
    def rows(self) -> list[Link]:
        """Every resolved link, in file order (decoded from the cache on first use)."""
        return self.rows_of(sorted(self.resolved))

    @property
    def link_count(self) -> int:
        """How many resolved links there are, counted without decoding them (`kg build` reports it:
        decoding a 10k vault's 180k links to count them took 0.3 s of a build that changed nothing)."""
        if "rows" in self.__dict__:
            return len(self.rows)
        return sum(counted(rows, "line") if isinstance(rows, str) else len(rows or ())
                   for rows in self.resolved.values())

    def rows_with(self, text: str) -> list[Link]:
        """The resolved links of the files whose cached rows hold `text` somewhere, in file order:
        a superset of the links that have it in a field, for a caller that looks for a few (the
        sentence links and `opposes::` fields of a 10k vault's 70k links: 0.03 s, where decoding
        them all took 0.13 s of an edit)."""
        if "rows" in self.__dict__:
            return self.rows
        return self.rows_of(sorted(self.files_with(text)))

    def files_with(self, *texts: str) -> set[str]:
        """The files whose link rows, as the cache keeps them, hold one of `texts` somewhere: the
        same files whether their rows were read from the cache or parsed by this build (one search
        of each file's text for them all: at 10k notes, 11 MB in 0.014 s, where a search for each
        text in turn took 0.022 s)."""
        found = re.compile("|".join(map(re.escape, texts))).search
        return {path for path, rows in self.resolved.items() if found(rows if isinstance(rows, str) else self.link_text(path))}

    def link_text(self, path: str) -> str:
        """A file's resolved links as the cache keeps them (kg.model.to_columns), without decoding
        them: what a caller looks for in a few files' links is looked for in this text first."""
        rows = self.resolved.get(path)
        if isinstance(rows, str):
            return rows
        return self.link_texts.get(path) or to_columns(rows or [], LINK_FIELDS)

    def rows_of(self, paths: list[str]) -> list[Link]:
        """The resolved links of these files, in this order (decoded from the cache, not kept)."""
        out: list[Link] = []
        make = tuple.__new__  # a NamedTuple's own __new__ is three times slower, and there are 180k rows
        for path in paths:
            rows = self.resolved.get(path, [])
            if isinstance(rows, str):
                holder = self.concept_by_doc.get(path) or self.source_by_path.get(path, path)
                rows = [make(Link, (path, holder, *values)) for values in from_columns(rows, LINK_FIELDS)]
            out.extend(rows)
        return out

    @cached_property
    def link_digests(self) -> dict[str, str]:
        """Each file's resolved links as one hash (of the cached rows: what they point at, how they
        are written and where; with the concept or source the file is, which its links are from):
        the site tells from them which files link otherwise after the names changed (a note made,
        deleted or retitled), instead of drawing every page again."""
        out: dict[str, str] = {}
        for path in self.resolved:
            digest = self.rows_digests.get(path) or links_digest(self.link_text(path))
            holder = self.concept_by_doc.get(path) or self.source_by_path.get(path, path)
            out[path] = hashlib.blake2b(f"{holder}\n{digest}".encode(), digest_size=12).hexdigest()
        return out

    @cached_property
    def source_by_path(self) -> dict[str, str]:
        """Source path -> source id."""
        return {path: sid for sid, path in self.source_ids.items()}

    def title_of(self, ident: str) -> str | None:
        """The title of a concept or source id."""
        if ident in self.concepts:
            return self.concepts[ident].title
        path = self.source_ids.get(ident)
        return self.infos[path].title if path in self.infos else None

    @cached_property
    def linking(self) -> dict[str, list[str]]:
        """Each concept or source id -> the files that link it, a file once for each of its links,
        in file order. Read off two columns of the cached rows (`_targets`), the rest left
        undecoded: an edit's pages ask who links a few notes, and decoding a 10k vault's 70k links
        to answer took 0.35 s of it."""
        out: dict[str, list[str]] = {}
        for path in sorted(self.resolved):
            rows = self.resolved[path]
            targets = _targets(rows) if isinstance(rows, str) else [(r.target_kind, r.target_id) for r in rows]
            for kind, ident in targets:
                if kind != "file":
                    out.setdefault(ident, []).append(path)
        return out

    def backlinks(self, target_id: str) -> list[Link]:
        """Links that point at a concept or source id, in file order (of the files `linking` names)."""
        linking = list(dict.fromkeys(self.linking.get(target_id, ())))
        return [r for r in self.rows_of(linking) if r.target_id == target_id and r.target_kind != "file"]

    def outlinks(self, doc: str) -> list[Link]:
        """Links written in one file."""
        return self.rows_of([doc])
