"""The light index of a parsed file: what the whole-vault stages need, and nothing more.

A vault of 10,000 notes holds about 180,000 links and 400,000 blocks. Whole-vault stages (concepts,
link resolution, checks) need only each file's names, headings, block ids, links and problems;
they read this index, stored beside the full parse in the cache as compact JSON, and never
validate the full models. The full `Note` or `Source` is loaded only when a command shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from kg.model import Diagnostic, Note, Source


class Ref(NamedTuple):
    """A link as written (the fields of `LinkRef`, as a tuple: cheap to make in bulk)."""

    target: str
    heading: str | None
    block: str | None
    label: str | None
    embed: bool
    syntax: str
    relation: str | None
    line: int
    col: int
    block_index: int | None


@dataclass(slots=True)
class DocInfo:
    """The light index of one parsed note or source."""

    path: str
    """Path relative to the vault."""
    kind: str
    """note or source."""
    title: str
    """Display title."""
    aliases: list[str]
    """Other names."""
    type: str | None
    """Front matter type (notes)."""
    tags: list[str]
    """Tag names, in order of first use."""
    headings: set[str]
    """Heading anchors."""
    block_ids: set[str]
    """Explicit block ids."""
    refs: list[Ref]
    """Links as written."""
    diagnostics: list[tuple]
    """Per-file problems as (line, col, severity, code, message)."""

    @classmethod
    def of(cls, doc: Note | Source, kind: str) -> DocInfo:
        tags = list(dict.fromkeys(t.name for t in doc.tags))
        return cls(path=doc.path, kind=kind, title=doc.title, aliases=doc.aliases,
                   type=getattr(doc, "type", None), tags=tags, headings=set(doc.headings),
                   block_ids={b.block_id for b in doc.blocks if b.block_id},
                   refs=[Ref(r.target, r.heading, r.block, r.label, r.embed, r.syntax, r.relation, r.line,
                             r.col, r.block_index) for r in doc.links],
                   diagnostics=[(d.line, d.col, d.severity, d.code, d.message) for d in doc.diagnostics])

    def dumps(self) -> str:
        return json.dumps([self.kind, self.title, self.aliases, self.type, self.tags, sorted(self.headings),
                           sorted(self.block_ids), [list(r) for r in self.refs], self.diagnostics],
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, path: str, text: str) -> DocInfo:
        kind, title, aliases, type_, tags, headings, block_ids, refs, diags = json.loads(text)
        return cls(path=path, kind=kind, title=title, aliases=aliases, type=type_, tags=tags,
                   headings=set(headings), block_ids=set(block_ids), refs=[Ref(*r) for r in refs],
                   diagnostics=[tuple(d) for d in diags])

    def problems(self) -> list[Diagnostic]:
        return [Diagnostic(doc=self.path, line=line, col=col, severity=sev, code=code, message=msg)
                for line, col, sev, code, msg in self.diagnostics]
