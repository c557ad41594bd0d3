"""Commands that look into a built vault: show, sources, graph."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli import Context, fail, main, print_json, stdout


def _link_json(link, kb, direction: str) -> dict:
    other = link.target_id if direction == "out" else link.source_id
    concept = kb.concepts.get(other)
    source = kb.source_ids.get(other)
    title = concept.title if concept else kb.infos[source].title if source else other
    return {"id": other, "title": title, "relation": link.relation, "doc": link.doc, "line": link.line,
            "heading": link.heading, "label": link.label, "resolved": link.target_kind != "missing",
            "context": link.context}


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the concept as JSON.")
def show(name: str, as_json: bool) -> None:
    """Show a concept (or source): its names, tags, links out and backlinks with context.

    NAME is what you would type in a link: the note's file name, title, an alias or an id.

    \b
    Examples:
      kg show "open-weight models"
      kg show DeepSeek --json
    """
    from kg.lookup import find
    from kg.model import Concept

    ctx: Context = click.get_current_context().obj
    kb = ctx.knowledge()
    found, suggestions = find(kb, name)
    if found is None:
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else "; `kg build --json` counts what exists"
        fail(f"no concept or source called '{name}'{hint}", code=1)
    if isinstance(found, Concept):
        ident, doc = found.id, found.doc
        info = {"kind": "concept", "id": found.id, "title": found.title, "doc": found.doc, "stub": found.stub,
                "type": found.type, "aliases": found.aliases, "tags": found.tags}
    else:
        ident, source = found, kb.source_by_id(found)
        doc = source.path
        info = {"kind": "source", "id": ident, "title": source.title, "doc": source.path,
                "author": source.author, "date": source.date.isoformat() if source.date else None,
                "url": source.url, "tags": sorted({t.name for t in source.tags})}
    outgoing = [_link_json(lk, kb, "out") for lk in kb.outlinks(doc)] if doc else []
    incoming = [_link_json(lk, kb, "in") for lk in kb.backlinks(ident)]
    if as_json:
        print_json({**info, "outgoing": outgoing, "incoming": incoming})
        return
    _print_show(info, outgoing, incoming)


def _print_show(info: dict, outgoing: list[dict], incoming: list[dict]) -> None:
    from rich.markup import escape as e

    out = stdout()
    where = info["doc"] or "no note yet (a stub: linked to, not written)"
    out.print(f"[bold]{e(info['title'])}[/]  [dim]{info['kind']} · {e(where)}[/]")
    if info.get("aliases"):
        out.print(f"  aliases: {e(', '.join(info['aliases']))}")
    if info.get("tags"):
        out.print(f"  tags: {e(' '.join('#' + t for t in info['tags']))}")
    for key in ("type", "author", "date", "url"):
        if info.get(key):
            out.print(f"  {key}: {e(str(info[key]))}")
    typed = [lk for lk in outgoing if lk["relation"] not in ("links_to", "embeds")]
    if typed:
        out.print(f"\n[bold]Relations[/] ({len(typed)})")
        for lk in typed:
            out.print(f"  {lk['relation']} → {e(lk['title'])}  [dim]{e(lk['doc'])}:{lk['line']}[/]")
    grouped: dict[str, list[dict]] = {}
    for lk in sorted(outgoing, key=lambda x: x["line"]):
        grouped.setdefault(lk["id"], []).append(lk)
    out.print(f"\n[bold]Links out[/] ({len(grouped)} targets, {len(outgoing)} links)")
    for links in grouped.values():
        lk = links[0]
        mark = "" if lk["resolved"] else " [yellow](no note yet)[/]"
        lines = ", ".join(str(x["line"]) for x in links)
        out.print(f"  → {e(lk['title'])}{mark}  [dim]line{'s' if len(links) > 1 else ''} {lines}[/]")
    out.print(f"\n[bold]Backlinks[/] ({len(incoming)})")
    for lk in incoming:
        rel = "" if lk["relation"] == "links_to" else f" [cyan]{lk['relation']}[/]"
        out.print(f"  ← {e(lk['title'])}{rel}  [dim]{e(lk['doc'])}:{lk['line']}[/]")
        if lk["context"]:
            text = " ".join(lk["context"].split())
            out.print(f"      [italic]{e(text[:300] + ('…' if len(text) > 300 else ''))}[/]")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print sources as a JSON array.")
def sources(as_json: bool) -> None:
    """List the source documents with the title, author and date kg found in them.

    \b
    Examples:
      kg sources
      kg sources --json | jq -r '.[] | select(.date == null) | .doc'
    """
    ctx: Context = click.get_current_context().obj
    kb = ctx.knowledge()
    rows = []
    for sid, path in kb.source_ids.items():
        s = kb.sources[path]
        rows.append({"id": sid, "doc": path, "title": s.title, "author": s.author,
                     "date": s.date.isoformat() if s.date else None, "url": s.url})
    rows.sort(key=lambda r: (r["date"] or "", r["doc"]), reverse=True)
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(box=None, show_edge=False, pad_edge=False)
    for col in ("date", "title", "author", "doc"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["date"] or "", r["title"], r["author"] or "", r["doc"])
    stdout().print(table)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["graphml", "gexf", "json"]), default="graphml",
              show_default=True, help="Output format: GraphML (yEd, Gephi), GEXF (Gephi) or node-link JSON.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of standard output.")
def graph(fmt: str, output: Path | None) -> None:
    """Export the graph of concepts, notes, sources and tags with typed, located edges.

    \b
    Examples:
      kg graph --format graphml -o vault.graphml
      kg graph --format json | jq '.nodes | length'
    """
    from kg.graph import export

    ctx: Context = click.get_current_context().obj
    text = export(ctx.knowledge(), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output} ({len(text) // 1024} KiB)", err=True)
    else:
        click.echo(text, nl=False)
