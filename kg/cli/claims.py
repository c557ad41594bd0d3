"""`kg claims` and `kg tensions`: every claim of the vault with its numbers, status and
evidence, and the places where claims disagree."""

from __future__ import annotations

import click

from kg.cli import Context, main, print_json, stdout

QUANTITY_KINDS = ["percent", "multiplier", "currency", "count", "fraction", "duration", "size", "date", "other"]


def claim_json(claim) -> dict:
    """A claim as DESIGN §12 shapes it, plus where it came from."""
    return claim.model_dump(mode="json", exclude={"quantities": {"__all__": {"start", "end"}}})


STATUS_STYLE = {"supported": "green", "contested": "red", "unsupported": "yellow"}


def claim_line(c) -> str:
    """One claim as a line of rich markup: where, status, kind, text, quantity badges."""
    from rich.markup import escape

    from kg.claims.quantities import describe

    badges = " ".join(f"[reverse] {escape(describe(q))} [/]" for q in c.quantities if q.kind != "date")
    kind = "" if c.kind == "claim" else f"[magenta]{c.kind}[/] "
    status = ""
    if c.status and (c.origin == "note" or c.status == "contested"):
        counts = " ".join(x for x in (f"+{c.supports}" if c.supports else "", f"-{c.opposes}" if c.opposes else "") if x)
        status = f"[{STATUS_STYLE[c.status]}]{c.status}{' ' + counts if counts else ''}[/] "
    return f"[cyan]{escape(c.doc)}:{c.line}[/] {status}{kind}{escape(c.text)} {badges}".rstrip()


def evidence_of(kb) -> dict[tuple[str, str], list]:
    """Evidence by (claim id, claim doc), best first (kg.claims.analyse.evidence_by_claim)."""
    from kg.claims.analyse import evidence_by_claim

    return evidence_by_claim(kb.knowledge)


def evidence_json(e) -> dict:
    return e.model_dump(mode="json", exclude={"claim"})


@main.command()
@click.option("--concept", help="Only claims written in this concept's note or naming it (id, title or alias).")
@click.option("--source", help="Only claims found in this source (its id, see `kg sources`).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["claim", "question", "tension"]),
              help="Only this kind (repeatable).")
@click.option("--origin", type=click.Choice(["note", "source"]), help="Only claims of notes, or of sources.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["supported", "contested", "unsupported"]),
              help="Only claims with this status (repeatable).")
@click.option("--has-quantity", "quantity", is_flag=False, flag_value="any", default=None,
              type=click.Choice(["any", *QUANTITY_KINDS]),
              help="Only claims with a quantity (of this kind: percent, currency, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as a JSON array.")
@click.option("--evidence", "show_evidence", is_flag=True, help="Show each claim's evidence under it.")
def claims(concept, source, kinds, origin, statuses, quantity, as_json, show_evidence) -> None:
    """List the claims of the vault: what notes assert and what sources state, with numbers.

    Each claim shows where it is as path:line, its status (supported +3, contested -1,
    unsupported) and its quantities as badges (3–5 %, ≥ 500 models). With --json each claim
    also carries its evidence: the source sentences behind it, with their anchors.

    \b
    Examples:
      kg claims --concept quality-gap
      kg claims --has-quantity percent --origin source
      kg claims --kind question
      kg claims --status unsupported --origin note
      kg claims --source open-weight-cascade --json
    """
    ctx: Context = click.get_current_context().obj
    kb = ctx.knowledge(with_claims=True)
    wanted = kb.claims
    if concept:
        from kg.lookup import find
        from kg.model import Concept

        found, _ = find(kb, concept)
        cid = found.id if isinstance(found, Concept) else concept
        wanted = [c for c in wanted if c.concept == cid or cid in c.concepts]
    if source:
        wanted = [c for c in wanted if c.source == source or source in c.cites]
    if kinds:
        wanted = [c for c in wanted if c.kind in kinds]
    if origin:
        wanted = [c for c in wanted if c.origin == origin]
    if quantity:
        wanted = [c for c in wanted if any(quantity in ("any", q.kind) for q in c.quantities)]
    if statuses:
        wanted = [c for c in wanted if c.status in statuses]
    evidence = evidence_of(kb)
    if as_json:
        print_json([{**claim_json(c), "evidence": [evidence_json(e) for e in evidence.get((c.id, c.doc), [])]}
                    for c in wanted])
        return
    from rich.markup import escape

    out = stdout()
    for c in wanted:
        out.print(claim_line(c))
        if show_evidence:
            for e in evidence.get((c.id, c.doc), []):
                out.print(f"    {'+' if e.stance == 'supports' else '−'} [cyan]{escape(e.doc)}:{e.line}[/] "
                          f"[dim]{e.method} {e.score:.2f}[/] {escape(e.quote or '(the source as a whole)')}")
    if not wanted:
        out.print("No claims match. `kg claims` without filters lists them all.")


@main.command()
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["numeric", "polarity", "temporal", "declared"]),
              help="Only this kind (repeatable).")
@click.option("--concept", help="Only tensions about this concept (id, title or alias).")
@click.option("--json", "as_json", is_flag=True, help="Print the tensions as a JSON array.")
def tensions(kinds, concept, as_json) -> None:
    """List the places where claims disagree, each with the reason kg raised it.

    numeric: the same kind of figure with ranges that do not overlap; polarity: opposite
    statements about one subject (open vs closed, free vs paid); temporal: the same, from
    sources of different dates (the later one supersedes); declared: written in a note's
    Tensions section or with opposes::. Each side is shown as path:line.

    \b
    Examples:
      kg tensions
      kg tensions --kind numeric --json
      kg tensions --concept deepseek
    """
    ctx: Context = click.get_current_context().obj
    kb = ctx.knowledge(with_claims=True)
    wanted = kb.knowledge.tensions
    if kinds:
        wanted = [t for t in wanted if t.kind in kinds]
    if concept:
        from kg.lookup import find
        from kg.model import Concept

        found, _ = find(kb, concept)
        cid = found.id if isinstance(found, Concept) else concept
        about = {c.id for c in kb.claims if c.concept == cid or cid in c.concepts}
        wanted = [t for t in wanted if cid in t.subjects or {t.a.id, *(t.claims), *([t.b.id] if t.b else [])} & about]
    order = {"numeric": 0, "polarity": 1, "temporal": 2, "declared": 3}
    wanted = sorted(wanted, key=lambda t: (order[t.kind], -t.score, t.a.doc, t.a.line))
    if as_json:
        print_json([t.model_dump(mode="json") for t in wanted])
        return
    from rich.markup import escape

    out = stdout()
    for t in wanted:
        out.print(f"[bold magenta]{t.kind}[/] [dim]{t.id} {t.score:.2f}[/] {escape(t.explanation)}")
        out.print(f"  [cyan]{escape(t.a.doc)}:{t.a.line}[/] {escape(t.a.text)}")
        if t.b:
            out.print(f"  [cyan]{escape(t.b.doc)}:{t.b.line}[/] {escape(t.b.text)}")
        out.print()
    if not wanted:
        out.print("No tensions found." if not (kinds or concept) else
                  "No tensions match. `kg tensions` without filters lists them all.")
