"""Linked data: the vault as RDF, from Python.

    >>> from kg.rdf import graph
    >>> g = graph(".")                         # the vault here, as an rdflib.Graph with kg's prefixes
    >>> g.query("SELECT ?c WHERE { ?c kg:status kg:Contested }")

The triples come from kg.rdf.emit; kg.rdf.export writes them as Turtle, JSON-LD, N-Triples or
TriG; kg.rdf.query runs SPARQL for `kg query`; kg.rdf.push sends them to a SPARQL 1.1 store. The
vocabulary (vocab.ttl) and the SHACL shapes (shapes.ttl) ship beside the code.
"""

from __future__ import annotations

from pathlib import Path


def graph(vault: str | Path = ".", claims: bool = True):
    """The vault as an `rdflib.Graph`: built (incrementally) like `kg build --no-site`, with claims,
    evidence and tensions unless claims=False. IRIs derive from [site] base_url in kg.toml."""
    from kg.build import run
    from kg.config import find_vault, load_settings
    from kg.rdf import export

    root = find_vault(Path(vault))
    settings = load_settings(root)
    built = run(root, settings, claims=claims, search=claims, site=False)
    return export.graph(built.kb, settings.site.base, settings.site.title_of(root), knowledge=built.knowledge)
