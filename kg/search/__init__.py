"""Search a vault by meaning and by words, from Python.

    >>> from kg.search import search, related
    >>> for hit in search("how far behind are open models?", vault="demo", k=3):
    ...     print(hit.doc, hit.line, hit.text)

The index is the one `kg build` leaves in the vault's `.kg/`; searchers are opened once per
vault and kept, so the model loads once per process.
"""

from __future__ import annotations

from pathlib import Path

_open: dict[Path, object] = {}


def searcher(vault: str | Path = "."):
    """The Searcher of a vault (opened once): raises query.IndexMissing before `kg build`."""
    from kg.config import cache_folder, find_vault
    from kg.search.query import Searcher

    root = find_vault(Path(vault))
    if root not in _open:
        _open[root] = Searcher(cache_folder(root))
    return _open[root]


def search(query: str, vault: str | Path = ".", k: int = 10, *, kinds: tuple[str, ...] = (),
           concept: str | None = None, tag: str | None = None, source: str | None = None,
           since: str | None = None, mode: str = "hybrid"):
    """The k best claims, note passages and source sentences for `query` (list of query.Hit)."""
    from kg.search.query import Filters

    filters = Filters(kinds=tuple(kinds), concept=concept, tag=tag, source=source, since=since)
    return searcher(vault).search(query, k=k, filters=filters, mode=mode)


def related(doc: str, line: int, vault: str | Path = ".", k: int = 10):
    """Items of other files nearest in meaning to the item at doc:line (list of query.Hit)."""
    return searcher(vault).related(doc, line, k=k)
