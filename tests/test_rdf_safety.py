"""Linked data from vaults with odd values, and a `kg query` that stays offline (issue 15).

A URL with brackets, quotes or spaces, a value that is no URL at all, a file name with odd
characters: every RDF command still writes valid IRIs in every format (or leaves the value out
with a warning). A query that calls a remote endpoint (SERVICE) is refused unless
--allow-service; FROM / FROM NAMED fetch nothing. Vaults are real files in tmp_path; the only
"endpoint" is a listener on loopback that records whether anything called it.
"""

from __future__ import annotations

import http.server
import json
from pathlib import Path

import pyoxigraph
import pyshacl
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from kg.cli import main
from kg.rdf.emit import escape_iri, is_iri, web_iri
from kg.rdf.query import QueryError, check, remote_parts
from tests.conftest import serving

SCHEMA = rdflib.Namespace("https://schema.org/")
BASE = "https://example.org/odd/"
PARSE = {"turtle": "turtle", "jsonld": "json-ld", "nt": "nt"}

URLS = {  # front matter url -> what schema:url holds (None: left out, with a warning)
    "https://example.com/list?filter[tag]=ai": "https://example.com/list?filter%5Btag%5D=ai",
    'https://example.com/a b/"q"<x>{y}|z\\^`': "https://example.com/a%20b/%22q%22%3Cx%3E%7By%7D%7Cz%5C%5E%60",
    "https://de.wikipedia.org/wiki/Köln#Geschichte": "https://de.wikipedia.org/wiki/Köln#Geschichte",
    "https://example.com/100%/x#a#b": "https://example.com/100%25/x#a%23b",
    "http://[::1]:8080/x[1]": "http://[::1]:8080/x%5B1%5D",
    "https://example.com/plain?a=1&b=2#top": "https://example.com/plain?a=1&b=2#top",
    "not a url": None,
    "javascript:alert(1)": None,
    "http://exa mple.com:port/": None,
}


def kg(cache: Path, vault: Path, *args: str):
    result = CliRunner(env={"KG_CACHE_DIR": str(cache)}).invoke(main, ["--vault", str(vault), *args])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def odd_vault(folder: Path) -> Path:
    """Sources with the URLS above, and a note with an odd file name, tags and aliases, a block id
    and Markdown links to a URL with brackets."""
    (folder / "notes").mkdir(parents=True)
    (folder / "sources").mkdir()
    (folder / "kg.toml").write_text(f'[site]\nbase_url = "{BASE}"\n', encoding="utf-8")
    for n, url in enumerate(URLS, 1):
        quoted = url.replace("'", "''")  # a single-quoted YAML string keeps backslashes as written
        (folder / "sources" / f"report-{n}.md").write_text(
            f"---\ntitle: Report {n}\ndate: 2026-03-0{n}\nurl: '{quoted}'\n---\n"
            f"The open model Kestrel {n} costs ${n}/M output tokens, a tenth of the closed rivals. "
            "See [the list](https://example.com/list?filter[tag]=ai&q=\"x\") for more.\n", encoding="utf-8")
    (folder / "notes" / "Kestrel ü #1 %20 [beta] (x?).md").write_text(
        "---\naliases: [K|2, \"K<2>\", \"K[2]\"]\ntags: [ai/models, \"weird[tag]\", \"ü\"]\n---\n# Kestrel\n\n"
        "Kestrel 2 costs $2/M output tokens. ^my-claim\n\n"
        "See [list](https://example.com/list?filter[tag]=ai), [[report-1]] and [[Thing [x] \"q\"]]. #ai/models\n",
        encoding="utf-8")
    return folder


# -- the helper ---------------------------------------------------------------------------------
@pytest.mark.parametrize("iri", [
    "https://example.org/kg-demo/concepts/deepseek.html#claim-c-6c2b980015",
    "https://de.wikipedia.org/wiki/Köln", "http://[::1]:8080/a?b=c&d=%20#frag/ment?",
    "https://user:pw@example.com/a;b=c/(x)*+,!$'~_.-@:", "urn:isbn:0451450523", "http://x/?\ue000",
])
def test_escape_iri_leaves_a_valid_iri_as_it_is(iri):
    assert is_iri(iri)
    assert escape_iri(iri) == iri


@pytest.mark.parametrize("text, escaped", [
    ("https://example.com/list?filter[tag]=ai", "https://example.com/list?filter%5Btag%5D=ai"),
    ('http://x/ "<>{}|\\^`', "http://x/%20%22%3C%3E%7B%7D%7C%5C%5E%60"),
    ("http://x/50%off/%2f", "http://x/50%25off/%2f"),
    ("http://x/a#b#c", "http://x/a#b%23c"),
    ("http://x/\x00\x7f\x85\ue000\ufffe", "http://x/%00%7F%C2%85%EE%80%80%EF%BF%BE"),
    ("http://x/\ud800", "http://x/%ED%A0%80"),  # a lone surrogate (a badly decoded file)
])
def test_escape_iri_percent_encodes_what_an_iri_may_not_hold(text, escaped):
    assert escape_iri(text) == escaped
    assert is_iri(escaped)
    pyoxigraph.NamedNode(escaped)  # the writer that stopped on '[' accepts it
    assert escape_iri(escaped) == escaped  # and escaping again changes nothing


@pytest.mark.parametrize("url, iri", list(URLS.items()) + [
    ("mailto:a@example.com", None), ("", None), (None, None), ("//example.com/x", None),
    ("http://user:p@ss@host/", None), ("  https://example.com/a  ", "https://example.com/a")])
def test_web_iri_encodes_a_url_or_refuses_what_is_no_http_url(url, iri):
    assert web_iri(url) == iri


# -- every RDF command on a vault with odd values -------------------------------------------------
@pytest.fixture(scope="module")
def odd(tmp_path_factory) -> tuple[Path, Path]:
    """The odd vault and its cache, built once without claims."""
    folder = tmp_path_factory.mktemp("odd")
    return odd_vault(folder / "vault"), folder / "cache"


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "nt", "trig"])
def test_odd_urls_export_in_every_format_and_engine(odd, fmt, engine, tmp_path):
    vault, cache = odd
    out = tmp_path / f"vault.{fmt}"
    result = kg(cache, vault, "export", "--no-claims", "--format", fmt, "--engine", engine, "-o", str(out))
    assert result.exit_code == 0, result.output
    for url, iri in URLS.items():
        if iri is None:
            assert f"kg: warning: sources/report-{list(URLS).index(url) + 1}.md: url {url!r} is not an " \
                   "absolute http(s) URL; left out of schema:url" in result.output
    if fmt == "trig":
        data = rdflib.Dataset()
        data.parse(out, format="trig")
        g = rdflib.Graph() + next(g for g in data.graphs() if len(g))
    else:
        g = rdflib.Graph().parse(out, format=PARSE[fmt])
    found = {str(g.value(s, SCHEMA.name)): str(u) for s, u in g.subject_objects(SCHEMA.url)}
    assert found == {f"Report {n}": iri for n, iri in enumerate(URLS.values(), 1) if iri is not None}
    for term in {t for triple in g for t in triple if isinstance(t, rdflib.URIRef)}:
        assert is_iri(str(term)), term
    assert not list(tmp_path.glob(".*.tmp"))


def test_odd_vault_conforms_to_the_shapes_and_the_export_is_the_same_in_both_engines(odd):
    vault, cache = odd
    graphs = {}
    for engine in ("oxigraph", "rdflib"):
        nt = kg(cache, vault, "export", "--no-claims", "--format", "nt", "--engine", engine)
        assert nt.exit_code == 0, nt.output
        graphs[engine] = rdflib.Graph().parse(data=nt.stdout, format="nt")
    assert isomorphic(graphs["oxigraph"], graphs["rdflib"])
    shapes = rdflib.Graph().parse(data=kg(cache, vault, "export", "--shapes").output, format="turtle")
    conforms, _, report = pyshacl.validate(graphs["oxigraph"], shacl_graph=shapes)
    assert conforms, report


def test_query_over_odd_urls_answers_and_warns_once(odd):
    vault, cache = odd
    urls = "SELECT ?u WHERE { ?s schema:url ?u } ORDER BY ?u"
    first = kg(cache, vault, "query", urls, "--no-claims", "--json")
    assert first.exit_code == 0, first.output
    assert sorted(r["u"] for r in json.loads(first.stdout)) == sorted(i for i in URLS.values() if i)
    assert "kg: warning: sources/report-7.md: url 'not a url'" in first.output
    again = kg(cache, vault, "query", urls, "--no-claims", "--format", "csv")
    assert again.exit_code == 0 and "filter%5Btag%5D=ai" in again.stdout
    assert "warning" not in again.output  # the kept store: said when it was made


def test_odd_vault_with_claims_exports_and_queries(tmp_path):
    """With claims (a real embedding): claim IRIs from a ^block-id, sentences of sources with odd
    URLs, evidence; every format writes."""
    vault = odd_vault(tmp_path / "vault")
    cache = tmp_path / "cache"
    for fmt in ("nt", "turtle", "jsonld", "trig"):
        result = kg(cache, vault, "export", "--format", fmt, "-o", str(tmp_path / f"v.{fmt}"))
        assert result.exit_code == 0, result.output
    g = rdflib.Graph().parse(tmp_path / "v.nt", format="nt")
    claims = {str(s) for s in g.subjects(rdflib.RDF.type, SCHEMA.Claim)}
    assert any(c.endswith("#claim-my-claim") for c in claims)
    assert len(claims) > 5
    found = kg(cache, vault, "query", "ASK { ?c a schema:Claim ; schema:text ?t . FILTER(CONTAINS(?t, '$2/M')) }")
    assert found.exit_code == 0 and found.stdout.strip() == "yes", found.output


def test_base_url_or_graph_name_that_is_no_iri_is_reported(tmp_path):
    vault = tmp_path / "v"
    (vault / "notes").mkdir(parents=True)
    (vault / "notes" / "a.md").write_text("# A\n\nSome text.\n", encoding="utf-8")
    (vault / "kg.toml").write_text('[site]\nbase_url = "https://example.org/a[b]/"\n', encoding="utf-8")
    result = kg(tmp_path / "cache", vault, "export", "--no-claims")
    assert result.exit_code == 2
    assert "kg.toml: [site] base_url = 'https://example.org/a[b]/' is not an absolute http(s) URL" in result.output
    (vault / "kg.toml").write_text("[vault]\n", encoding="utf-8")
    graph = kg(tmp_path / "cache", vault, "export", "--no-claims", "--format", "trig", "--graph", "http://x/a[b]")
    assert graph.exit_code == 2 and "not an absolute IRI: --graph" in graph.output


# -- kg query stays offline -----------------------------------------------------------------------
class Endpoint(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint on loopback: records each request and answers one row."""

    calls: list[str] = []

    def answer(self) -> None:
        Endpoint.calls.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
            {"x": {"type": "literal", "value": "from the endpoint"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def endpoint():
    Endpoint.calls = []
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)) as url:
        yield url


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("small")
    vault = folder / "vault"
    (vault / "notes").mkdir(parents=True)
    (vault / "notes" / "a.md").write_text("# A\n\nLinks [[B]].\n", encoding="utf-8")
    return vault, folder / "cache"


SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <{ep}/sparql> {{ ?s ?p ?x }} }}",
    "select * where {{ ?c a skos:Concept . sErViCe   SILENT <{ep}/sparql> {{ ?s ?p ?x }} }}",
    "# a comment\nPREFIX ex: <{ep}/>\nSELECT * WHERE {{ OPTIONAL {{ SERVICE ex:sparql {{ ?s ?p ?x }} }} }}",
    "SELECT * WHERE {{ VALUES ?ep {{ <{ep}/sparql> }} SERVICE ?ep {{ ?s ?p ?x }} }}",
    "SELECT * WHERE {{ {{ SELECT ?x WHERE {{ SERVICE<{ep}/sparql>{{ ?s ?p ?x }} }} }} UNION {{ ?x a skos:Concept }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE <{ep}/sparql> {{ ?s ?p ?x }} }} }}",
    "CONSTRUCT {{ ?s ?p ?x }} WHERE {{ SERVICE <{ep}/sparql> {{ ?s ?p ?x }} }}",
    "SELECT * WHERE {{ << ?a ?b ?c >> ?p ?x . SERVICE <{ep}/sparql> {{ ?s ?p ?x }} }}",  # beyond rdflib's parser
]


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_query_refuses_service_without_allow_service(small, endpoint, query):
    vault, cache = small
    result = kg(cache, vault, "query", query.format(ep=endpoint))
    assert result.exit_code == 2, result.output
    assert "kg: error: the query failed: it calls a remote endpoint (SERVICE" in result.output
    assert "kg query stays offline; pass --allow-service to let it connect" in result.output
    assert Endpoint.calls == []  # nothing was sent


def test_query_with_allow_service_calls_the_endpoint(small, endpoint):
    vault, cache = small
    query = f"SELECT ?x WHERE {{ SERVICE <{endpoint}/sparql> {{ ?s ?p ?x }} }}"
    result = kg(cache, vault, "query", "--allow-service", query, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"x": "from the endpoint"}]
    assert Endpoint.calls


def test_query_ignores_from_and_from_named_with_a_warning(small, endpoint):
    vault, cache = small
    count = f"SELECT (COUNT(*) AS ?n) FROM <{endpoint}/g> FROM NAMED <{endpoint}/h> WHERE {{ ?c a skos:Concept }}"
    result = kg(cache, vault, "query", count, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 2}]  # the vault's graph: A and the stub B
    assert (f"kg: warning: FROM <{endpoint}/g>, FROM NAMED <{endpoint}/h> ignored: kg query reads only the "
            "vault's graph and fetches nothing") in result.output
    assert Endpoint.calls == []


def test_the_words_service_and_from_elsewhere_are_not_refused(small):
    vault, cache = small
    query = ('PREFIX service: <https://example.org/s#>\n# SERVICE <http://example.com/sparql> in a comment\n'
             'SELECT ?service ?from WHERE { ?service a skos:Concept . '
             'OPTIONAL { ?service service:from ?from } FILTER(?service != <http://x/SERVICE>) '
             'BIND("SERVICE <http://example.com/> FROM" AS ?text) }')
    result = kg(cache, vault, "query", query, "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 2 and "warning" not in result.output


def test_updates_are_still_refused(small):
    vault, cache = small
    for update in ("INSERT DATA { <http://a/> <http://b/> <http://c/> }", "LOAD <http://example.com/data.ttl>",
                   "# a comment\nclear all", "DROP GRAPH <http://a/>"):
        result = kg(cache, vault, "query", update)
        assert result.exit_code == 2 and "updates (INSERT, DELETE" in result.output, update


def test_check_from_python():
    assert check("SELECT * WHERE { ?s ?p ?o }") == []
    with pytest.raises(QueryError, match="SERVICE <http://example.com/sparql>"):
        check("SELECT * WHERE { SERVICE <http://example.com/sparql> { ?s ?p ?o } }")
    assert check("SELECT * WHERE { SERVICE <http://example.com/sparql> { ?s ?p ?o } }", allow_service=True) == []
    assert remote_parts("SELECT * FROM <g> FROM NAMED ex:h WHERE { SERVICE silent :ep {} }") == (
        ["SERVICE :ep"], ["FROM <g>", "FROM NAMED ex:h"])
    # a query rdflib's parser does not know (RDF-star): the keywords outside strings, comments, IRIs
    assert remote_parts('SELECT * WHERE { << ?a ?b ?c >> ?p "SERVICE" . # SERVICE\n ?s <x:SERVICE> ?o }') == ([], [])
    assert remote_parts("SELECT * WHERE { << ?a ?b ?c >> ?p ?o . service <x:y> {} }") == (["SERVICE"], [])
