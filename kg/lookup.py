"""Find a concept or source by what a person would type: id, title, alias, file name or path."""

from __future__ import annotations

import difflib

from kg.knowledge import KnowledgeBase
from kg.model import Concept
from kg.paths import link_key, stem, without_suffix


def _keys(*names: str | None) -> set[str]:
    return {link_key(n) for n in names if n}


def find(kb: KnowledgeBase, name: str) -> tuple[Concept | str | None, list[str]]:
    """The concept (preferred) or the source id called `name`; else None and close titles."""
    key = link_key(name)
    for c in kb.concepts.values():
        doc = c.doc or ""
        if key in _keys(c.id, c.title, *c.aliases, stem(doc), without_suffix(doc), doc):
            return c, []
    for sid, path in kb.source_ids.items():
        info = kb.infos[path]
        if key in _keys(sid, info.title, *info.aliases, stem(path), without_suffix(path), path):
            return sid, []
    titles = [c.title for c in kb.concepts.values()] + [kb.infos[p].title for p in kb.source_ids.values()]
    return None, difflib.get_close_matches(name, titles, n=5, cutoff=0.5)
