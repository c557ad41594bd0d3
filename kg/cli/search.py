"""`kg search`: find claims, note passages and source sentences by meaning and by words."""

from __future__ import annotations

import json
import sys

import click

from kg.cli import Context, fail, main, print_json, stdout


def _searcher(ctx: Context):
    from kg.search.query import IndexMissing, Searcher

    try:
        return Searcher(ctx.cache_dir)
    except IndexMissing:
        fail(f"{ctx.root.name} has no search index yet; run `kg --vault {ctx.root} build` first", code=1)


def _highlight(text: str, words: list[str]) -> str:
    import re

    from rich.markup import escape

    if not words:
        return escape(text)
    pattern = re.compile("(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")", re.I)
    parts = pattern.split(text)
    return "".join(f"[bold yellow]{escape(p)}[/]" if i % 2 else escape(p) for i, p in enumerate(parts))


@main.command()
@click.argument("query", required=False)
@click.option("-k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many results.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["note", "source"]),
              help="Only this kind of result (repeatable).")
@click.option("--concept", help="Only passages of this concept (its id, e.g. open-weight-models, or its title, "
                                "an alias, or words of one).")
@click.option("--tag", help="Only files with this tag (nested tags included), e.g. ai/models.")
@click.option("--source", help="Only sentences of this source (its id, see `kg sources`, or its title or file name).")
@click.option("--since", help="Only sources dated on or after this day (YYYY-MM-DD).")
@click.option("--mode", type=click.Choice(["hybrid", "lexical", "vector"]), default="hybrid", show_default=True,
              help="Rank by words and meaning together, or by one of them.")
@click.option("--json", "as_json", is_flag=True, help="Print results as a JSON array.")
@click.option("--batch", type=click.File("r", encoding="utf-8"),
              help="Read one query per line from FILE ('-' for stdin); print one JSON object per line.")
def search(query, k, kinds, concept, tag, source, since, mode, as_json, batch) -> None:
    """Search the vault by meaning and by words: note passages and source sentences.

    Each result shows where it is as path:line, so editors can jump to it. Run `kg build`
    first; search reads the index it leaves in .kg/ and never rebuilds it.

    \b
    Examples:
      kg search "how far behind are open models?"
      kg search GLM-5 --kind source -k 3
      kg search "price per token" --tag ai/economics --json
      kg search --batch queries.txt > results.jsonl
    """
    from kg.search.query import Filters

    ctx: Context = click.get_current_context().obj
    if since:
        import datetime as dt

        try:
            dt.date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not a date; write it as YYYY-MM-DD")
    from kg.search.embed import ModelError

    searcher = _searcher(ctx)
    concept, source = _named(ctx, searcher, concept, source, as_json or batch is not None)
    filters = Filters(kinds=tuple(kinds), concept=concept, tag=tag, source=source, since=since)
    try:
        run_queries(searcher, query, k, filters, mode, as_json, batch)
    except ModelError as exc:
        fail(str(exc))


def _named(ctx: Context, searcher, concept: str | None, source: str | None, as_json: bool):
    """The ids --concept and --source stand for: as given when the index holds that id, else
    resolved like `kg show` resolves a name (reading the vault, not building the index)."""
    from kg.cli.inspect import resolve_name

    kb, ids = None, []
    for value, column in ((concept, "concept"), (source, "source")):
        if value and not searcher.db.execute(f"SELECT 1 FROM items WHERE {column} = ? LIMIT 1", (value,)).fetchone():
            kb = kb or ctx.knowledge().kb
            value = resolve_name(kb, value, (column,), as_json).id
        ids.append(value)
    return ids


def run_queries(searcher, query, k, filters, mode, as_json, batch) -> None:
    from kg.search.query import terms

    if batch is not None:
        for line in batch:
            q = line.strip()
            if q:
                hits = searcher.search(q, k=k, filters=filters, mode=mode)
                sys.stdout.write(json.dumps({"query": q, "results": [h.as_json() for h in hits]},
                                            ensure_ascii=False) + "\n")
        return
    if not query or not query.strip():
        fail("give a query, e.g. kg search \"open model prices\" (or --batch FILE)")
    hits = searcher.search(query, k=k, filters=filters, mode=mode)
    if as_json:
        print_json([h.as_json() for h in hits])
        return
    out = stdout()
    if not hits:
        out.print("No results. Try other words, or --mode lexical for exact names.")
        return
    words = terms(query)
    from rich.markup import escape

    for h in hits:
        where = f"{h.doc}:{h.line}"
        out.print(f"[bold]{h.rank:>2}.[/] [cyan]{escape(where)}[/]  [dim]{h.kind} · {escape(h.title)}[/]")
        text = " ".join(h.text.split())
        out.print("    " + _highlight(text[:400] + ("…" if len(text) > 400 else ""), words))
