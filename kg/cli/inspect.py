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
            "context": kb.context(link)}


def resolve_name(kb, name: str, kinds: tuple[str, ...] = ("concept", "source"), as_json: bool = False):
    """The concept or source of `kinds` that `name` stands for (kg.lookup.resolve): exactly, or,
    saying on stderr which one it took, by its words. Else stop (exit code 1) with the closest
    names; with --json also print {"error", "suggestions": [{id, title, kind}]} on stdout."""
    from kg.lookup import SUGGESTIONS, resolve

    match = resolve(kb, name, kinds)
    if match.found:
        if match.how != "exact":
            n = match.found
            click.echo(f"kg: taking '{name}' as {n.title} ({n.id}{', a source' if n.kind == 'source' else ''})",
                       err=True)
        return match.found
    what = " or ".join(kinds)
    if match.fits:
        error = f"'{name}' could be any of {match.fits} {' and '.join(k + 's' for k in kinds)}"
    else:
        error = f"no {what} called '{name}'"
    if as_json:
        print_json({"error": error, "suggestions": [n.json() for n in match.suggestions]})
    if match.suggestions:
        lines = [f"  {n.title} ({n.id}, {n.kind})" for n in match.suggestions]
        if match.fits > SUGGESTIONS:
            lines.append(f"  and {match.fits - SUGGESTIONS} more: add a word, or give the id")
        fail(f"{error}; did you mean:\n" + "\n".join(lines), code=1)
    fail(f"{error}, nor anything close (an id, a title, an alias or a file name works)", code=1)


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the concept as JSON.")
def show(name: str, as_json: bool) -> None:
    """Show a concept (or source): its names, tags, claims with their status and evidence,
    tensions, links out, backlinks with context, and unlinked mentions.

    NAME is the note's id, file name, title or an alias (case and punctuation do not matter),
    or words of one of them: `kg show "quality gap"` takes "Quality gap between open and closed
    models" and says so, when no other concept or source has those words. A name that fits
    several, or none, lists the closest names (a typo finds its concept) and exits with 1.

    \b
    Examples:
      kg show "open-weight models"
      kg show "quality gap"             # words of the title: taken, with a notice on stderr
      kg show DeepSeek --json
    """
    ctx: Context = click.get_current_context().obj
    built = ctx.knowledge(with_claims=True)
    kb = built.kb
    found = resolve_name(kb, name, as_json=as_json)
    if found.kind == "concept":
        concept = kb.concepts[found.id]
        ident, doc = concept.id, concept.doc
        info = {"kind": "concept", "id": concept.id, "title": concept.title, "doc": concept.doc,
                "stub": concept.stub, "type": concept.type, "aliases": concept.aliases, "tags": concept.tags}
    else:
        ident, source = found.id, kb.source_by_id(found.id)
        doc = source.path
        info = {"kind": "source", "id": ident, "title": source.title, "doc": source.path,
                "author": source.author, "date": source.date.isoformat() if source.date else None,
                "url": source.url, "tags": sorted({t.name for t in source.tags})}
    outgoing = [_link_json(lk, kb, "out") for lk in kb.outlinks(doc)] if doc else []
    incoming = [_link_json(lk, kb, "in") for lk in kb.backlinks(ident)]
    knowledge = _knowledge(built, ident, doc, {lk["doc"] for lk in incoming}, built.analysis.rows())
    if as_json:
        print_json({**info, **knowledge, "outgoing": outgoing, "incoming": incoming})
        return
    _print_show(info, outgoing, incoming, knowledge)


def _knowledge(built, ident: str, doc: str | None, linking: set[str], rows=None) -> dict:
    """The claims written in `doc` with their evidence, the tensions they are in, the claims of
    other files that mention `ident`, and those of them whose file does not link to it
    (`linking`: the files that do); from the settled `rows` of those files when nothing changed
    (kg.claims.store.Analysis.rows)."""
    from kg.knowledge import unlinked_mentions
    from kg.claims.store import evidence_by_claim, tensions_about
    from kg.cli.claims import claim_json, evidence_json

    claims, evidence = rows.about(ident, doc) if rows else (built.claims, built.knowledge.evidence)
    evidence = evidence_by_claim(claims, evidence)
    own = [c for c in claims if c.doc == doc]
    ids = {c.id for c in own}
    mentioned = [c for c in claims if c.doc != doc and ident in c.concepts]
    near = rows.tensions(ids | {ident})["shown"] if rows else built.knowledge.tensions
    tensions = tensions_about(near, ids, ident)  # what its page lists
    return {"claims": [{**claim_json(c), "evidence": [evidence_json(e) for e in evidence.get((c.id, c.doc), [])]}
                       for c in own],
            "tensions": [t.model_dump(mode="json") for t in tensions],
            "mentioned_in": [claim_json(c) for c in mentioned],
            "unlinked_mentions": [claim_json(c) for c in unlinked_mentions(mentioned, doc, linking)]}


def _print_show(info: dict, outgoing: list[dict], incoming: list[dict], knowledge: dict) -> None:
    from rich.markup import escape as e

    from kg.cli.claims import STATUS_STYLE

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
    claims = [c for c in knowledge["claims"] if c["kind"] == "claim"]
    if claims:
        counts = {s: sum(c["status"] == s for c in claims) for s in STATUS_STYLE}
        out.print(f"\n[bold]Claims[/] ({len(claims)}: " + ", ".join(
            f"[{STATUS_STYLE[s]}]{n} {s}[/]" for s, n in counts.items() if n) + ")")
        for c in claims:
            status = f"[{STATUS_STYLE.get(c['status'], 'white')}]{c['status'] or ''}[/] " if c["status"] else ""
            out.print(f"  {status}{e(c['text'])}  [dim]line {c['line']}[/]")
            for ev in c["evidence"][:3]:
                mark = "+" if ev["stance"] == "supports" else "−"
                quote = ev["quote"] or "(the source as a whole)"
                out.print(f"      {mark} [italic]{e(quote[:200])}[/]  [dim]{e(ev['doc'])}:{ev['line']} "
                          f"{ev['method']} {ev['score']:.2f}[/]")
    questions = [c for c in knowledge["claims"] if c["kind"] == "question"]
    if questions:
        out.print(f"\n[bold]Open questions[/] ({len(questions)})")
        for c in questions:
            out.print(f"  ? {e(c['text'])}  [dim]line {c['line']}[/]")
    if knowledge["tensions"]:
        out.print(f"\n[bold]Tensions[/] ({len(knowledge['tensions'])})")
        for t in knowledge["tensions"]:
            out.print(f"  [magenta]{t['kind']}[/] {e(t['explanation'][:300])}")
    if knowledge["unlinked_mentions"]:
        out.print(f"\n[bold]Unlinked mentions[/] ({len(knowledge['unlinked_mentions'])}): other files name it "
                  "without a link")
        for m in knowledge["unlinked_mentions"]:
            out.print(f"  [cyan]{e(m['doc'])}:{m['line']}[/] {e(m['text'][:200])}")
    if knowledge["mentioned_in"]:
        out.print(f"\n[bold]Mentioned in[/] {len(knowledge['mentioned_in'])} claims of other files")
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
    files = len({lk["doc"] for lk in incoming})
    out.print(f"\n[bold]Backlinks[/] ({files} {'file' if files == 1 else 'files'}, {len(incoming)} links)")
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
    kb = ctx.knowledge().kb
    rows = [{"id": kb.source_by_path[path], "doc": path, "title": m["title"], "author": m["author"], "date": m["date"],
             "url": m["url"]} for path, m in kb.source_meta()]
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
    text = export(ctx.knowledge().kb, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output} ({len(text) // 1024} KiB)", err=True)
    else:
        click.echo(text, nl=False)
