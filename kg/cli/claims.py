"""`kg claims`: every claim of the vault with its numbers, filterable."""

from __future__ import annotations

import click

from kg.cli import Context, main, print_json, stdout

QUANTITY_KINDS = ["percent", "multiplier", "currency", "count", "fraction", "duration", "size", "date", "other"]


def claim_json(claim) -> dict:
    """A claim as DESIGN §12 shapes it, plus where it came from."""
    return claim.model_dump(mode="json", exclude={"quantities": {"__all__": {"start", "end"}}})


def describe(q) -> str:
    """A quantity as a short badge: '3–5 %', '≥ 500 models', '6 of 8 families'."""
    def num(x):
        return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:.3g}"
    if q.kind == "date":
        return q.text
    if q.total is not None:
        return f"{num(q.low)} of {num(q.total)} {q.unit}".strip()
    if q.low is None:
        body = f"≤ {num(q.high)}"
    elif q.high is None:
        body = f"≥ {num(q.low)}"
    elif q.low == q.high:
        body = num(q.low)
    else:
        body = f"{num(q.low)}–{num(q.high)}"
    return ("~" if q.approx else "") + f"{body} {q.unit}".strip()


@main.command()
@click.option("--concept", help="Only claims written in this concept's note or naming it (id, title or alias).")
@click.option("--source", help="Only claims found in this source (its id, see `kg sources`).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["claim", "question", "tension"]),
              help="Only this kind (repeatable).")
@click.option("--origin", type=click.Choice(["note", "source"]), help="Only claims of notes, or of sources.")
@click.option("--has-quantity", "quantity", is_flag=False, flag_value="any", default=None,
              type=click.Choice(["any", *QUANTITY_KINDS]),
              help="Only claims with a quantity (of this kind: percent, currency, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as a JSON array.")
def claims(concept, source, kinds, origin, quantity, as_json) -> None:
    """List the claims of the vault: what notes assert and what sources state, with numbers.

    Each claim shows where it is as path:line and its quantities as badges (3–5 %, ≥ 500 models).

    \b
    Examples:
      kg claims --concept quality-gap
      kg claims --has-quantity percent --origin source
      kg claims --kind question
      kg claims --source open-weight-cascade --json
    """
    ctx: Context = click.get_current_context().obj
    kb = ctx.knowledge()
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
    if as_json:
        print_json([claim_json(c) for c in wanted])
        return
    from rich.markup import escape

    out = stdout()
    for c in wanted:
        badges = " ".join(f"[reverse] {escape(describe(q))} [/]" for q in c.quantities if q.kind != "date")
        kind = "" if c.kind == "claim" else f"[magenta]{c.kind}[/] "
        out.print(f"[cyan]{escape(c.doc)}:{c.line}[/] {kind}{escape(c.text)} {badges}".rstrip())
    if not wanted:
        out.print("No claims match. `kg claims` without filters lists them all.")
