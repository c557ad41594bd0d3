"""`kg export` and `kg query`: the vault as linked data (RDF), queried with SPARQL, pushed to a
SPARQL 1.1 store."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from kg.cli import Context, fail, main, stdout

FORMATS = ("turtle", "jsonld", "nt", "trig")
SUFFIXES = {".ttl": "turtle", ".jsonld": "jsonld", ".json": "jsonld", ".nt": "nt", ".trig": "trig"}
DEFAULT_BASE = "https://example.org/"


def _site(ctx: Context) -> tuple[str, str]:
    """The base URL every IRI derives from, and the vault's title; a base URL that is not an
    absolute http(s) URL stops with a message naming kg.toml."""
    from urllib.parse import urlsplit

    from kg.rdf.emit import is_iri

    settings = ctx.settings()
    base = settings.site.base_url
    try:
        parts = urlsplit(base)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc \
            or any(c in base for c in ' <>"{}|\\^`?#') or not is_iri(settings.site.base):
        fail(f"kg.toml: [site] base_url = {base!r} is not an absolute http(s) URL without ? or #; the "
             "exported IRIs derive from it (e.g. base_url = \"https://example.org/my-vault/\")")
    return settings.site.base, settings.site.title_of(ctx.root)


def _knowledge(built):
    """What the linked data is made from: when nothing changed, the settled rows (`kg export` of the
    10k vault made the whole result again from the memo, 5.6 s of 21 s); else the build's knowledge."""
    rows = built.analysis.rows() if built.analysis else None
    if rows is None:
        return built.knowledge
    from kg.build import first_use

    with first_use():  # every claim: as many objects as a build makes
        return rows.knowledge()


def _warn(message: str) -> None:
    """A value of the vault the triples leave out (a source URL that is no URL)."""
    click.echo(f"kg: warning: {message}", err=True)


def _counts(counts: dict) -> str:
    return (f"{counts['triples']:,} triples: {counts['concepts']:,} concepts, {counts['sources']:,} sources, "
            f"{counts['claims']:,} claims, {counts['evidence']:,} evidence, {counts['tensions']:,} tensions")


@main.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="turtle (default), jsonld, nt (N-Triples) or trig (the vault's named graph). "
                   "Default: from the -o file's suffix, else turtle.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of standard output.")
@click.option("--to", "store", metavar="URL",
              help="Push to a SPARQL 1.1 store's update endpoint instead, replacing the vault's named graph.")
@click.option("--graph", "graph_iri", metavar="IRI",
              help="Name of the vault's graph in the store (TriG and --to). Default: the site's base URL.")
@click.option("--engine", type=click.Choice(["auto", "oxigraph", "rdflib"]), default="auto", show_default=True,
              help="Writer: auto is Oxigraph (fast, streaming) except JSON-LD, which rdflib compacts "
                   "with a @context.")
@click.option("--no-claims", is_flag=True,
              help="Only concepts, sources, tags and links: no claims, evidence or tensions (no embedding).")
@click.option("--vocabulary", is_flag=True, help="Print the kg vocabulary (Turtle, with labels and comments) and stop.")
@click.option("--shapes", is_flag=True, help="Print the SHACL shapes every export conforms to (Turtle) and stop.")
def export_(fmt, output, store, graph_iri, engine, no_claims, vocabulary, shapes) -> None:
    """Export the vault as linked data: concepts, sources, claims with their quantities,
    evidence and tensions, in SKOS, schema.org, PROV-O, the W3C Web Annotation vocabulary and a
    small kg vocabulary (see `kg export --vocabulary` and docs/rdf.md).

    Every IRI is the resource's page on the published site, from [site] base_url in kg.toml:
    a concept is <base>concepts/<id>.html, a claim its #claim-<id> on that page.

    \b
    Examples:
      kg export -o vault.ttl
      kg export --format jsonld -o vault.jsonld
      kg export --format nt | wc -l
      kg export --to http://localhost:7878/update
      kg export --shapes > shapes.ttl && pyshacl -s shapes.ttl vault.ttl
    """
    from kg.rdf import export as rdf
    from kg.rdf.push import PushError, check_iri, check_url

    if output is not None and str(output) == "-":
        output = None
    if vocabulary or shapes:
        text = rdf.vocabulary() if vocabulary else rdf.shapes()
        if output:
            output.write_text(text, encoding="utf-8")
            click.echo(f"Wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    if store and output:
        fail("give either -o FILE or --to URL, not both")
    if fmt is None:
        fmt = SUFFIXES.get(output.suffix.lower(), "turtle") if output else "turtle"
    if graph_iri is not None and not store and fmt != "trig":
        fail("--graph names the vault's graph in TriG (--format trig) or in a store (--to); "
             f"{fmt} has no named graphs")
    try:  # before the vault is read: a typo should not wait for the build
        if graph_iri is not None:
            check_iri(graph_iri, "--graph")
        if store:
            check_url(store)
    except PushError as exc:
        fail(str(exc))
    ctx: Context = click.get_current_context().obj
    base, title = _site(ctx)
    built = ctx.knowledge(with_claims=not no_claims)
    start = time.perf_counter()
    if store:
        _push(ctx, built, base, title, store, graph_iri or base)
        return
    if output:
        tmp = output.with_name(f".{output.name}.tmp")
        try:
            with open(tmp, "wb") as out:
                done = _write(ctx, built, base, fmt, out, engine, title, graph_iri)
            tmp.replace(output)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            fail(f"cannot write {output}: {exc.strerror or exc}")
        except BaseException:  # an internal error or Ctrl-C: leave no half-written file behind
            tmp.unlink(missing_ok=True)
            raise
        click.echo(f"Wrote {output} ({output.stat().st_size // 1024:,} KiB, {_counts(done.counts)}) "
                   f"in {time.perf_counter() - start:.2f} s with {done.engine}", err=True)
    else:
        _write(ctx, built, base, fmt, sys.stdout.buffer, engine, title, graph_iri)
        sys.stdout.buffer.flush()


def _write(ctx: Context, built, base, fmt, out, engine, title, graph_iri):
    from kg.rdf import export as rdf

    with ctx.progress_bar() as progress:
        return rdf.write(built.kb, base, fmt, out, engine, title, graph=graph_iri, progress=progress, warn=_warn,
                         knowledge=_knowledge(built))


def _push(ctx: Context, built, base: str, title: str, url: str, graph: str) -> None:
    import pyoxigraph as ox

    from kg.rdf.emit import Emitter
    from kg.rdf.export import oxigraph_terms
    from kg.rdf.push import PushError, push, shown

    if base == DEFAULT_BASE:
        click.echo(f"kg: warning: kg.toml sets no [site] base_url, so the graph is named <{base}> and its IRIs "
                   "are those of any other vault without one; set base_url to keep vaults apart in one store",
                   err=True)
    with ctx.progress_bar() as progress:
        emitter = Emitter(built.kb, base, oxigraph_terms(), title, warn=_warn, knowledge=_knowledge(built))

        def sent(n: int, _total) -> None:
            if progress:
                progress(f"Pushing to {shown(url)}: batch", n, None)
        try:
            done = push((ox.Triple(s, p, o) for s, p, o in emitter.triples()), url, graph, sent)
        except PushError as exc:
            fail(str(exc))
    click.echo(f"Pushed {_counts(emitter.counts)} into graph <{graph}> in {done['requests']} "
               f"request{'s' if done['requests'] != 1 else ''} ({done['bytes'] // 1024:,} KiB) "
               f"in {done['seconds']:.2f} s", err=True)


@main.command("query")
@click.argument("sparql", required=False)
@click.option("-f", "--file", "path", type=click.File("r", encoding="utf-8"),
              help="Read the query from this file (- for standard input).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="SELECT and ASK answers as a table, CSV or a JSON array; CONSTRUCT and DESCRIBE give "
                   "Turtle (JSON-LD with json).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--no-claims", is_flag=True, help="Query only concepts, sources, tags and links (no embedding).")
@click.option("--allow-service", is_flag=True,
              help="Let SERVICE <url> clauses send (parts of) the query to remote SPARQL endpoints over the "
                   "network. Without it kg query stays offline and refuses them.")
def query_(sparql, path, fmt, as_json, no_claims, allow_service) -> None:
    """Run a SPARQL 1.1 query over the vault's graph (the triples `kg export` writes).

    The prefixes kg:, skos:, schema:, prov:, oa:, dcterms:, rdf:, rdfs: and xsd: need no
    PREFIX line, and relative IRIs name pages of the site: <concepts/deepseek.html> is the
    DeepSeek concept. More examples in docs/rdf.md.

    kg query works offline: a query that calls a remote endpoint with SERVICE is refused
    unless you pass --allow-service, and FROM / FROM NAMED clauses are ignored (the query
    reads the vault's graph; nothing is fetched). Updates are refused: edit the notes.

    \b
    Examples:
      kg query 'SELECT ?c ?text WHERE { ?c kg:status kg:Contested ; schema:text ?text }'
      kg query --file contested.rq --format csv > contested.csv
      kg query 'SELECT (COUNT(*) AS ?n) WHERE { ?e a kg:Evidence }' --json
      kg query 'DESCRIBE <concepts/deepseek.html>'
      kg query --allow-service 'SELECT ?c ?label WHERE { ?c skos:exactMatch ?w .
          SERVICE <https://query.wikidata.org/sparql> { ?w rdfs:label ?label } }'
    """
    from kg.rdf import query as q

    if path is not None:
        if sparql:
            fail("give the query either as an argument or with --file, not both")
        sparql = path.read()
    if not sparql or not sparql.strip():
        fail("give a query: kg query 'SELECT ...', or kg query --file q.rq")
    fmt = "json" if as_json else fmt
    try:  # before the vault is read: a refused query should not wait for the build
        q.check(sparql, allow_service)
    except q.QueryError as exc:
        fail(str(exc))
    ctx: Context = click.get_current_context().obj
    base, title = _site(ctx)
    built = ctx.knowledge()
    mark = q.stamp(built.kb, base, title, claims=not no_claims)
    store = q.cached(ctx.cache_dir, mark)
    if store is None:  # the vault changed since the last query: analyse it and load the triples again
        if not no_claims:
            built = ctx.knowledge(with_claims=True)
        with ctx.progress_bar() as progress:
            store = q.keep(built.kb, ctx.cache_dir, mark, base, title, progress, warn=_warn, knowledge=_knowledge(built))
    try:
        answer = q.run(store, sparql, base, allow_service)
    except q.QueryError as exc:
        fail(str(exc))
    for message in answer.warnings:
        _warn(message)
    if answer.kind == "graph":
        sys.stdout.buffer.write(q.as_rdf(answer, "jsonld" if fmt == "json" else "turtle"))
        sys.stdout.buffer.flush()
    elif fmt == "csv":
        click.echo(q.as_csv(answer), nl=False)
    elif fmt == "json":
        click.echo(q.as_json(answer))
    elif answer.kind == "ask":
        click.echo("yes" if answer.boolean else "no")
    else:
        _table(answer, base)


def _table(answer, base: str) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from kg.rdf.query import short

    table = Table(*answer.variables, box=box.SIMPLE_HEAD if sys.stdout.isatty() else None, header_style="bold")
    for row in answer.rows:
        table.add_row(*(Text(short(t, base)) for t in row))
    stdout().print(table)
    click.echo(f"{len(answer.rows):,} row{'s' if len(answer.rows) != 1 else ''}", err=True)
