"""SPARQL over a vault's graph: load the triples into an Oxigraph store, run the query, and give
the answer as rows for a table, CSV or JSON. The store is kept in .kg/rdf-store/ with a stamp of
what it was made from, so the next query over an unchanged vault opens it at once.

Queries may use kg's prefixes (kg:, skos:, schema:, prov:, oa:, dcterms:, rdf:, rdfs:, xsd:)
without declaring them, and relative IRIs resolve against the site's base URL, so
`<concepts/deepseek.html>` names the DeepSeek concept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.publish import urls
from kg.rdf.emit import PREFIXES, XSD, Emitter
from kg.rdf.export import oxigraph_terms


class QueryError(Exception):
    """A query that cannot run; the message says where and why."""


@dataclass
class Answer:
    """The answer to a query: rows of a SELECT, the truth of an ASK, or the triples of a
    CONSTRUCT or DESCRIBE."""

    kind: str
    """select, ask or graph."""
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    """pyoxigraph terms, None where a variable is unbound."""
    boolean: bool | None = None
    triples: list[Any] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the query asked for and did not get (a FROM graph), for the caller to show."""


def load(kb, base_url: str, title: str = "", progress=None, folder: Path | None = None, warn=None,
         knowledge=None):
    """The vault's triples (with its claims, evidence and tensions when `knowledge` is given) in an
    Oxigraph store (the default graph): in memory, or on disk in `folder` (which must not exist
    yet). `warn` gets a message for each value left out."""
    import pyoxigraph as ox

    emitter = Emitter(kb, base_url, oxigraph_terms(), title, progress, warn, knowledge)
    store = ox.Store(str(folder)) if folder else ox.Store()
    triples = emitter.triples()
    for first in triples:  # one bulk load held them all (10k notes: 1 GB)
        rest = itertools.islice(triples, LOAD_AT_ONCE - 1)
        store.bulk_extend(ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in itertools.chain([first], rest))
    return store, emitter


LOAD_AT_ONCE = 500_000
"""Triples a bulk load of the store takes at once: Oxigraph's loader holds what it was given until
it is written (up to 2 GB a thread). A 10k vault's 3.2 million triples in one load: `kg query`
peaked at 1,891 MB (40 s); in loads of this many, 1,170 MB (45 s)."""


STORE = "rdf-store"
"""The folder in .kg/ that keeps the last query store, with the stamp of what it was made from."""


def stamp(kb, base_url: str, title: str, claims: bool) -> str:
    """What a vault's triples depend on: every file's hash and every name (the knowledge stage's
    fingerprint), the review decisions, the base URL and title, whether claims are in, and the code
    that makes them."""
    from kg.claims.review import digest
    from kg.claims.store import fingerprint

    h = hashlib.blake2b(digest_size=12)
    h.update(f"{fingerprint(kb)}\0{digest(kb.root)}\0{base_url}\0{title}\0{claims}\n".encode())
    for code in sorted(Path(__file__).parent.glob("*.py")) + [Path(urls.__file__)]:
        h.update(code.read_bytes())
    return h.hexdigest()


def cached(cache_dir: Path, mark: str):
    """The store kept in .kg/ when it was made from the same vault (same stamp), opened read-only;
    else None."""
    import pyoxigraph as ox

    folder = cache_dir / STORE
    try:
        if (folder / "stamp").read_text(encoding="utf-8") != mark:
            return None
        return ox.Store.read_only(str(folder / "db"))
    except (OSError, ValueError):
        return None


def keep(kb, cache_dir: Path, mark: str, base_url: str, title: str = "", progress=None, warn=None,
         knowledge=None):
    """Load the vault's triples into a new store in .kg/, replacing the one kept there, and open
    it read-only. `warn` gets a message for each value left out (said once, when the store is made)."""
    import gc

    import pyoxigraph as ox

    tmp = cache_dir / f".{STORE}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    store, _ = load(kb, base_url, title, progress, tmp / "db", warn, knowledge)
    store.flush()
    del store
    gc.collect()  # closes the store's files
    (tmp / "stamp").write_text(mark, encoding="utf-8")
    folder = cache_dir / STORE
    old = cache_dir / f".{STORE}-old-{os.getpid()}"
    try:
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
    except OSError:  # another kg query swapped its store in at the same moment: use either
        pass
    shutil.rmtree(old, ignore_errors=True)
    found = cached(cache_dir, mark)
    if found is None:
        found = ox.Store.read_only(str(tmp / "db")) if tmp.exists() else load(kb, base_url, title, knowledge=knowledge)[0]
    return found


def run(store, text: str, base_url: str, allow_service: bool = False) -> Answer:
    """Run a SPARQL query; a syntax error raises QueryError with the parser's message, the line and
    column, and the line of the query with a caret under the place. A query that calls a remote
    endpoint (SERVICE) raises QueryError unless allow_service; FROM and FROM NAMED are ignored
    with a warning in the answer (see check)."""
    import pyoxigraph as ox

    warnings = check(text, allow_service)
    # FROM <g> would make the query's default graph the store's graph <g>, which is empty (the
    # vault's triples are the default graph): keep the vault's graph whatever the query names.
    dataset = {"default_graph": ox.DefaultGraph(), "named_graphs": []} if warnings else {}
    try:  # answers come lazily: errors can surface while reading them, so read them here
        result = store.query(text, prefixes=PREFIXES, base_iri=base_url, **dataset)
        if isinstance(result, ox.QueryBoolean):
            return Answer("ask", boolean=bool(result), warnings=warnings)
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            return Answer("select", variables, [[solution[v] for v in variables] for solution in result],
                          warnings=warnings)
        return Answer("graph", triples=list(result), warnings=warnings)
    except SyntaxError as exc:
        raise QueryError(syntax_message(str(exc), text)) from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"the query failed: {exc}") from None


def check(text: str, allow_service: bool = False) -> list[str]:
    """Refuse what kg query must not do, before Oxigraph sees the query: an update (QueryError),
    or a SERVICE call, which Oxigraph would send over HTTP to the endpoint it names (QueryError
    unless allow_service; kg works offline). Returns warnings for FROM / FROM NAMED clauses, which
    run() ignores: Oxigraph never fetches them, but they would hide the vault's triples."""
    if _UPDATE.match(_without_prologue(text)):
        raise QueryError("kg query reads the vault's graph; updates (INSERT, DELETE, LOAD, CLEAR, DROP...) "
                         "cannot change it: edit the notes instead")
    services, graphs = remote_parts(text)
    if services and not allow_service:
        raise QueryError(f"the query failed: it calls a remote endpoint ({services[0]}), and kg query stays "
                         "offline; pass --allow-service to let it connect")
    if not graphs:
        return []
    return [f"{', '.join(graphs)} ignored: kg query reads only the vault's graph and fetches nothing"]


def remote_parts(text: str) -> tuple[list[str], list[str]]:
    """The query's SERVICE clauses and its FROM / FROM NAMED clauses, as written (`SERVICE
    <http://x/sparql>`, `SERVICE ex:ep`, `SERVICE ?endpoint`; `FROM <g>`), found in rdflib's parse
    tree of the query, so comments, strings, case and prefixed names cannot hide them. A query
    rdflib cannot parse (an Oxigraph extension) is scanned for the keywords instead, outside its
    comments, strings and IRIs: a keyword found there counts (`SERVICE`, `FROM`)."""
    if not _MAYBE_REMOTE.search(text):  # most queries: no need to load rdflib's parser (0.3 s)
        return [], []
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree = parseQuery(text)
    except Exception:  # pyparsing's ParseException, or anything else the parser stumbles on
        bare = _LEXICAL.sub(" ", text)
        return (["SERVICE"] if _KEYWORD["SERVICE"].search(bare) else [],
                ["FROM"] if _KEYWORD["FROM"].search(bare) else [])
    services: list[str] = []
    graphs: list[str] = []
    stack: list[Any] = [tree]
    while stack:  # every node of the tree: patterns nest in OPTIONAL, UNION, sub-queries, EXISTS...
        node = stack.pop()
        if isinstance(node, str):  # rdflib's terms are strings: leaves
            continue
        if isinstance(node, CompValue):  # dict.get: CompValue.get answers a missing key with the key
            if node.name == "ServiceGraphPattern":
                services.append(f"SERVICE {_written(dict.get(node, 'term'))}")
            elif node.name == "DatasetClause":
                named = dict.get(node, "named")
                graphs.append(f"FROM NAMED {_written(named)}" if named is not None
                              else f"FROM {_written(dict.get(node, 'default'))}")
            stack.extend(reversed(list(dict.values(node))))
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(reversed(list(node)))
    return services, graphs


def _written(term) -> str:
    """A term of rdflib's parse tree as the query wrote it: `<iri>`, `prefix:name` or `?var`."""
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Variable):
        return f"?{term}"
    if isinstance(term, CompValue) and term.name == "pname":
        return f"{dict.get(term, 'prefix') or ''}:{dict.get(term, 'localname') or ''}"
    return str(term)


_MAYBE_REMOTE = re.compile(r"service|from", re.IGNORECASE)
_LEXICAL = re.compile(r"""#[^\n]*|"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}"""
                      r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\x00-\x20]*>""", re.DOTALL)
"""Comments, strings and IRIs, which may hold the words SERVICE and FROM without meaning them."""
_KEYWORD = {word: re.compile(rf"(?<![\w?$:-]){word}(?![\w:.-])", re.IGNORECASE) for word in ("SERVICE", "FROM")}
"""The keyword, not part of a variable (`?service`) or a prefixed name (`ex:from`, `service:x`)."""


_UPDATE = re.compile(r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)
_PROLOGUE = re.compile(r"\s*(#[^\n]*\n\s*|(PREFIX\s+[^:\s]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*", re.IGNORECASE)


def _without_prologue(text: str) -> str:
    """The query after its comments and PREFIX / BASE lines."""
    return text[_PROLOGUE.match(text).end():]


_POSITION = re.compile(r"^error at (\d+):(\d+):\s*(.*)$", re.DOTALL)


def syntax_message(error: str, text: str) -> str:
    """Oxigraph's `error at 3:17: expected one of ABS, AVG, [...]` as a sentence with the line of the
    query and a caret; character classes (`['A' ..= 'Z' | ...]`) are left out of the list."""
    found = _POSITION.match(error.strip())
    if not found:
        return f"SPARQL syntax error: {error}"
    line, col, detail = int(found[1]), int(found[2]), found[3]
    detail = _readable(detail)
    lines = text.splitlines() or [""]
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * (max(col, 1) - 1) + "^"
    return f"SPARQL syntax error at line {line}, column {col}: {detail}\n  {shown}\n  {caret}"


def _readable(detail: str) -> str:
    head, sep, items = detail.partition("expected one of ")
    if not sep:
        return " ".join(detail.split())
    kept, depth, current = [], 0, ""
    for ch in items:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            kept.append(current.strip())
            current = ""
        else:
            current += ch
    kept.append(current.strip())
    words = [k for k in kept if k and not k.startswith("[")]
    if words == ["Prefix not found"] or (words and words[0] == "Prefix not found"):
        return "unknown prefix (kg knows " + ", ".join(f"{p}:" for p in PREFIXES) + "; declare others with PREFIX)"
    if not words:
        return head + "unexpected text here"
    return head + "expected " + (words[0] if len(words) == 1 else "one of " + ", ".join(words))


# -- output -------------------------------------------------------------------------------------
_NUMERIC = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_FLOATING = {XSD + t for t in ("decimal", "double", "float")}


def plain(term) -> Any:
    """A term as JSON: an IRI as its string, a number or boolean as itself, other literals as text."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        try:
            if dt in _NUMERIC:
                return int(term.value)
            if dt in _FLOATING:
                return float(term.value)
        except ValueError:
            return term.value
        if dt == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value


def short(term, base_url: str) -> str:
    """A term for a person to read: a page of the site relative to it, a vocabulary term as
    `prefix:name`, a literal as its text."""
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        iri = term.value
        if iri.startswith(base_url) and len(iri) > len(base_url):
            return iri[len(base_url):]
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value


def as_csv(answer: Answer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if answer.kind == "ask":
        writer.writerows([["boolean"], ["true" if answer.boolean else "false"]])
    else:
        writer.writerow(answer.variables)
        for row in answer.rows:
            writer.writerow(["" if t is None else ("_:" + t.value if type(t).__name__ == "BlankNode" else t.value)
                             for t in row])
    return out.getvalue()


def as_json(answer: Answer) -> str:
    if answer.kind == "ask":
        data: Any = [answer.boolean]
    else:
        data = [{v: plain(t) for v, t in zip(answer.variables, row)} for row in answer.rows]
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_rdf(answer: Answer, fmt: str) -> bytes:
    """The triples of a CONSTRUCT or DESCRIBE as Turtle (fmt 'turtle') or JSON-LD ('jsonld')."""
    import pyoxigraph as ox

    triples = sorted(answer.triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    if fmt == "jsonld":
        return ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
