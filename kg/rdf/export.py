"""Serialise a vault's triples as Turtle, JSON-LD, N-Triples or TriG, through pyoxigraph or rdflib.

rdflib is the Python API (`graph(kb, base_url)` returns an `rdflib.Graph`). Writing goes through
pyoxigraph by default, which streams the triples to the file as they are made: 26 times faster
than rdflib's Turtle writer on a 1k-note vault, and without holding the graph (bench/bench_rdf.py).
JSON-LD goes through rdflib by default, because rdflib compacts it with a @context of our
prefixes (`"skos:prefLabel"`, not a full IRI per key); pyoxigraph writes it expanded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import IO

from kg.rdf.emit import PREFIXES, Emitter, Terms

RDFLIB_NAME = {"turtle": "turtle", "jsonld": "json-ld", "nt": "nt", "trig": "trig"}


@dataclass
class Export:
    """What an export wrote."""

    format: str
    engine: str
    counts: dict[str, int]


def engine_for(fmt: str, engine: str = "auto") -> str:
    if engine != "auto":
        return engine
    return "rdflib" if fmt == "jsonld" else "oxigraph"


def _terms(iri, literal_class) -> Terms:
    datatypes: dict[str, object] = {}

    def literal(value: str, datatype: str | None):
        if datatype is None:
            return literal_class(value)
        dt = datatypes.get(datatype) or datatypes.setdefault(datatype, iri(datatype))
        return literal_class(value, datatype=dt)

    return Terms(iri, literal)


def rdflib_terms() -> Terms:
    from rdflib import Literal, URIRef

    return _terms(URIRef, Literal)


def oxigraph_terms() -> Terms:
    from pyoxigraph import Literal, NamedNode

    return _terms(NamedNode, Literal)


def graph(kb, base_url: str, title: str = "", warn=None, knowledge=None):
    """The vault as an `rdflib.Graph`, with kg's prefixes bound, and its claims, evidence and
    tensions when `knowledge` is given (kg.build.Build.knowledge). `warn` is called with a message
    for each value left out (see Emitter)."""
    from rdflib import Graph

    g = Graph()
    _fill(g, g, Emitter(kb, base_url, rdflib_terms(), title, warn=warn, knowledge=knowledge))
    return g


def _fill(g, bound, emitter: Emitter) -> None:
    """Add the emitter's triples to an rdflib graph; bind kg's prefixes on `bound` (the graph, or
    the dataset that holds it)."""
    for prefix, iri in PREFIXES.items():
        bound.bind(prefix, iri, override=True, replace=True)
    g.addN((s, p, o, g) for s, p, o in emitter.triples())


def write(kb, base_url: str, fmt: str, out: IO[bytes], engine: str = "auto", title: str = "",
          graph: str | None = None, progress=None, warn=None, knowledge=None) -> Export:
    """Write the vault's triples (with `knowledge`, as for `graph`) to a binary stream. TriG puts them in the vault's named graph:
    `graph`, by default the base URL. `warn` is called with a message for each value left out."""
    engine = engine_for(fmt, engine)
    if engine == "oxigraph":
        import pyoxigraph as ox

        emitter = Emitter(kb, base_url, oxigraph_terms(), title, progress, warn, knowledge)
        if fmt == "trig":
            name = ox.NamedNode(graph or emitter.base)
            items: Iterator = (ox.Quad(s, p, o, name) for s, p, o in emitter.triples())
        else:
            items = (ox.Triple(s, p, o) for s, p, o in emitter.triples())
        ox_format = {"turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES,
                     "trig": ox.RdfFormat.TRIG}[fmt]
        prefixes = PREFIXES if fmt in ("turtle", "trig") else None
        ox.serialize(items, out, ox_format, prefixes=prefixes)
        return Export(fmt, engine, emitter.counts)
    from rdflib import Dataset, Graph, URIRef

    emitter = Emitter(kb, base_url, rdflib_terms(), title, progress, warn, knowledge)
    if fmt == "trig":
        target = Dataset()
        g = target.graph(URIRef(graph or emitter.base))
    else:
        g = target = Graph()
    _fill(g, target, emitter)
    if fmt == "jsonld":
        target.serialize(out, format="json-ld", context=dict(PREFIXES), auto_compact=True)
    else:
        target.serialize(out, format=RDFLIB_NAME[fmt], encoding="utf-8")
    return Export(fmt, engine, emitter.counts)


def vocabulary() -> str:
    """The kg vocabulary as Turtle, with labels and comments."""
    return resources.files("kg.rdf").joinpath("vocab.ttl").read_text(encoding="utf-8")


def shapes() -> str:
    """The SHACL shapes every export conforms to, as Turtle."""
    return resources.files("kg.rdf").joinpath("shapes.ttl").read_text(encoding="utf-8")
