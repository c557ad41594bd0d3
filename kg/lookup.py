"""Find a concept or source by what a person would type: id, title, alias, file name or path."""

from __future__ import annotations

import difflib

from kg.model import Concept, KnowledgeBase, Source
from kg.paths import link_key, stem, without_suffix


def _names_of_concept(c: Concept) -> list[str]:
    names = [c.id, c.title, *c.aliases]
    if c.doc:
        names += [stem(c.doc), without_suffix(c.doc), c.doc]
    return names


def _names_of_source(sid: str, s: Source) -> list[str]:
    return [sid, s.title, stem(s.path), without_suffix(s.path), s.path, *s.aliases]


def find(kb: KnowledgeBase, name: str) -> tuple[Concept | Source | None, list[str]]:
    """The concept (preferred) or source called `name`, else None and close names to suggest."""
    key = link_key(name)
    for c in kb.concepts.values():
        if key in {link_key(n) for n in _names_of_concept(c)}:
            return c, []
    for sid, path in kb.source_ids.items():
        s = kb.sources[path]
        if key in {link_key(n) for n in _names_of_source(sid, s)}:
            return s, []
    titles = [c.title for c in kb.concepts.values()] + [s.title for s in kb.sources.values()]
    return None, difflib.get_close_matches(name, titles, n=5, cutoff=0.5)
