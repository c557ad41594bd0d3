"""`kg claims` and `kg tensions`: every claim of the vault with its numbers, status and
evidence, and the places where claims disagree."""

from __future__ import annotations

import click

from kg.cli import Context, fail, main, print_json, print_json_items, stderr, stdout

PRINT_LINES = 2000
"""Lines `kg claims` prints at once."""
QUANTITY_KINDS = ["percent", "multiplier", "currency", "count", "fraction", "duration", "size", "measure", "date", "other"]


def claim_json(claim) -> dict:
    """A claim as `kg claims --json` prints it (docs/commands.md), plus where it came from."""
    return claim.model_dump(mode="json", exclude={"quantities": {"__all__": {"start", "end"}}})


STATUS_STYLE = {"supported": "green", "contested": "red", "unsupported": "yellow"}


def claim_line(c, plain: bool = False) -> str:
    """One claim as a line: where, status, kind, text, quantity badges; in rich markup, or as the
    plain text that markup prints as when piped."""
    from kg.claims.quantities import describe

    text, paint = _painter(plain)
    badges = " ".join(paint(f" {describe(q)} ", "reverse") for q in c.quantities if q.kind != "date")
    kind = "" if c.kind == "claim" else paint(c.kind, "magenta") + " "
    status = ""
    if c.status and (c.origin == "note" or c.status == "contested"):
        counts = " ".join(x for x in (f"+{c.supports}" if c.supports else "", f"-{c.opposes}" if c.opposes else "") if x)
        status = paint(f"{c.status}{' ' + counts if counts else ''}", STATUS_STYLE[c.status]) + " "
    line = f"{paint(f'{c.doc}:{c.line}', 'cyan')} {status}{kind}{text(c.text)}"
    return f"{line} {badges}" if badges else line.rstrip()  # (a badge keeps its padding, as rich prints it)


def _painter(plain: bool):
    """(text, paint): how a line shows text as it is and text in a style, as rich markup or plain
    text (what rich prints of that markup without colours: control characters it drops dropped)."""
    if plain:
        return (lambda t: t.translate(_DROPPED)), (lambda t, style: t.translate(_DROPPED))
    from rich.markup import escape

    return escape, (lambda t, style: f"[{style}]{escape(t)}[/]")


_DROPPED = dict.fromkeys([7, 8, 11, 12, 13])
"""The control characters rich leaves out of what it prints (bell, backspace, vertical tab, form
feed, carriage return)."""


def evidence_json(e) -> dict:
    """An evidence item with its id (`ev-…`: the one `kg claims --dismiss-evidence` takes)."""
    from kg.claims.review import evidence_id

    return {"id": evidence_id(e), **e.model_dump(mode="json", exclude={"claim"})}


def _print_lines(out, lines: list[str], plain: bool) -> None:
    """Lines of `claim_line`s and the like, printed at once: as plain text, or as rich markup."""
    if lines and plain:
        click.echo("\n".join(lines))
    elif lines:
        out.print("\n".join(lines))


def _shown_path(path) -> str:
    """A path as the user would type it: relative to the current folder when under it."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def review_decisions(ctx: Context, kind: str, dismiss, confirm, undo, reason, as_json: bool) -> None:
    """Record (or take back) the user's decisions about tensions or evidence, printing one
    sentence for each; stop with a clear error on an unknown id or an unreadable review file."""
    from kg.claims import review

    both = set(dismiss) & set(confirm)
    if both:
        raise click.UsageError(f"{', '.join(sorted(both))}: dismiss or confirm, not both")
    if reason is not None and not (dismiss or confirm):
        raise click.UsageError("--reason goes with a decision: --dismiss or --confirm" if kind == "tension" else
                               "--reason goes with a decision: --dismiss-evidence or --confirm-evidence")
    where = _shown_path(review.path_of(ctx.root))
    made, gone, built = [], [], None
    try:
        if dismiss or confirm:
            built = ctx.knowledge(with_claims=True)
            choices = [(review.find(built.knowledge, kind, ident), "dismissed") for ident in dict.fromkeys(dismiss)]
            choices += [(review.find(built.knowledge, kind, ident), "confirmed") for ident in dict.fromkeys(confirm)]
            made = review.decide(ctx.root, built.knowledge, choices, (reason or "").strip())
        if undo:
            gone = review.undo(ctx.root, list(undo))
    except review.UnknownId as exc:
        fail(str(exc.args[0]))
    except review.ReviewError as exc:
        fail(f"{exc}; fix the file (kg leaves it as it is)")
    if as_json:
        print_json([{**d.json(), "action": "decided"} for d in made] + [{**d.json(), "action": "undone"} for d in gone])
        return
    for d in made:
        what = "Dismissed" if d.decision == "dismissed" else "Confirmed"
        because = f" (\"{d.reason}\")" if d.reason else ""
        click.echo(f"{what} {d.kind} {d.id} {d.between()}{because}; written to {where}.")
        for other in review.counterparts(built.knowledge, d) if d.decision == "dismissed" else []:
            if other.startswith("t-"):
                click.echo(f"  The tension {other} between the same sentences is decided on its own: "
                           f"`kg tensions --dismiss {other}`.")
            else:
                click.echo(f"  The source sentence is still listed as opposing evidence {other}: "
                           f"`kg claims --dismiss-evidence {other}`.")
    for d in gone:
        click.echo(f"Took back your decision: {d.kind} {d.id} ({d.between()}) is no longer {d.decision}; "
                   f"removed from {where}.")


def review_warning(built) -> None:
    """Say on stderr when the review file could not be read (its decisions are then not applied)."""
    for d in built.diagnostics:
        if d.code == "bad-review-file":
            stderr().print(f"[yellow]kg: warning:[/] {d.doc}:{d.line}: {d.message}", markup=True, highlight=False)


@main.command()
@click.option("--concept", help="Only claims written in this concept's note or naming it (id, title, alias, "
                                "or words of one; a near miss lists the closest names).")
@click.option("--source", help="Only claims found in this source or citing it (its id, title or file name, "
                               "see `kg sources`).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["claim", "question", "tension"]),
              help="Only this kind (repeatable).")
@click.option("--origin", type=click.Choice(["note", "source"]), help="Only claims of notes, or of sources.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(["supported", "contested", "unsupported"]),
              help="Only claims with this status (repeatable).")
@click.option("--has-quantity", "quantity", is_flag=False, flag_value="any", default=None,
              type=click.Choice(["any", *QUANTITY_KINDS]),
              help="Only claims with a quantity (of this kind: percent, currency, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the claims as a JSON array.")
@click.option("--evidence", "show_evidence", is_flag=True,
              help="Show each claim's evidence under it, with its id (ev-…).")
@click.option("--dismiss-evidence", "dismiss", multiple=True, metavar="ID",
              help="Dismiss this evidence item (its ev-… id from --evidence or --json): it no longer backs "
                   "or opposes its claim, until the claim or the sentence changes. Repeatable.")
@click.option("--confirm-evidence", "confirm", multiple=True, metavar="ID",
              help="Confirm this evidence item: you checked that it backs (or opposes) its claim. Repeatable.")
@click.option("--undo", multiple=True, metavar="ID",
              help="Take back your decision about this id (evidence or tension). Repeatable.")
@click.option("--reason", metavar="TEXT", help="Why, kept with the decision in kg-review.toml.")
@click.option("--dismissed", "show_dismissed", is_flag=True,
              help="List the evidence you dismissed, with your reasons, instead of the claims.")
def claims(concept, source, kinds, origin, statuses, quantity, as_json, show_evidence, dismiss, confirm, undo, reason,
           show_dismissed) -> None:
    """List the claims of the vault: what notes assert and what sources state, with numbers.

    Each claim shows where it is as path:line, its status (supported +3, contested -1,
    unsupported) and its quantities as badges (3–5 %, ≥ 500 models). With --json each claim
    also carries its evidence: the source sentences behind it, with their anchors and ids.

    Evidence kg found by itself can be wrong. --dismiss-evidence ID sets an item aside (the
    claim's status and counts, kg check, kg show, the site and the export no longer count it),
    --confirm-evidence ID marks it as checked, --undo ID takes the decision back. Decisions are
    kept in kg-review.toml at the vault root (yours to read, edit and commit; not in .kg/) and
    hold until the claim's or the sentence's text changes; then kg check reports stale-review.

    \b
    Examples:
      kg claims --concept quality-gap
      kg claims --concept "quality gap"            # words of a title or alias work too
      kg claims --has-quantity percent --origin source
      kg claims --kind question
      kg claims --status unsupported --origin note
      kg claims --source open-weight-cascade --json
      kg claims --status contested --evidence        # the evidence with its ids (ev-…)
      kg claims --dismiss-evidence ev-1a2b3c4d5e --reason "about the 2024 model, not this one"
      kg claims --confirm-evidence ev-1a2b3c4d5e
      kg claims --undo ev-1a2b3c4d5e
      kg claims --dismissed                          # what you dismissed, and why
    """
    ctx: Context = click.get_current_context().obj
    if dismiss or confirm or undo or reason is not None:
        review_decisions(ctx, "evidence", dismiss, confirm, undo, reason, as_json)
        return
    built = ctx.knowledge(with_claims=True)
    kb = built.kb
    review_warning(built)
    if show_dismissed:
        _print_dismissed(ctx, built, as_json)
        return
    from kg.claims.store import evidence_of
    from kg.cli.inspect import resolve_name

    rows = built.analysis.rows()  # nothing changed: read the settled rows (of its files, with a concept)
    cid = resolve_name(kb, concept, ("concept",), as_json).id if concept else None
    sid = resolve_name(kb, source, ("source",), as_json).id if source else None

    def written(c) -> bool:
        """Whether a claim is asked for, as written (its status aside)."""
        return ((not concept or c.concept == cid or cid in c.concepts)
                and (not source or c.source == sid or sid in c.cites)
                and (not kinds or c.kind in kinds) and (not origin or c.origin == origin)
                and (not quantity or any(quantity in ("any", q.kind) for q in c.quantities)))

    if rows and not concept:
        batches = rows.batches(written)  # a few hundred files at a time, printed as they are read
    else:
        batches = iter([rows.about(cid) if rows else (built.claims, built.knowledge.evidence)])

    def matching():
        """(claim, its evidence) of every claim asked for, in file order."""
        from kg.build import paused_gc

        while True:
            with paused_gc():  # each batch read as a build reads: no collector scans while it is made
                batch = next(batches, None)
                if batch is None:
                    return
                found = [c for c in batch[0] if written(c) and (not statuses or c.status in statuses)]
                evidence = evidence_of(found, batch[1])
                batch = [(c, evidence.get((c.id, c.doc), [])) for c in found]
            yield from batch

    if as_json:
        print_json_items({**claim_json(c), "evidence": [evidence_json(e) for e in items]} for c, items in matching())
        return
    from kg.claims.review import evidence_id

    out = stdout()
    plain = not out.is_terminal  # piped: the text rich would print, without rich (25 s of a 10k vault's claims)
    text, paint = _painter(plain)
    lines: list[str] = []
    shown = 0
    for c, items in matching():
        shown += 1
        lines.append(claim_line(c, plain))
        for e in items if show_evidence else ():
            confirmed = " " + paint("confirmed", "green") if e.review == "confirmed" else ""
            lines.append(f"    {'+' if e.stance == 'supports' else '−'} {paint(f'{e.doc}:{e.line}', 'cyan')} "
                         f"{paint(f'{evidence_id(e)} {e.method} {e.score:.2f}', 'dim')}{confirmed} "
                         f"{text(e.quote or '(the source as a whole)')}")
        if len(lines) >= PRINT_LINES:
            _print_lines(out, lines, plain)
            lines = []
    _print_lines(out, lines, plain)
    if not shown:
        out.print("No claims match. `kg claims` without filters lists them all.")


@main.command()
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["numeric", "polarity", "temporal", "declared"]),
              help="Only this kind (repeatable).")
@click.option("--concept", help="Only tensions about this concept (id, title, alias, or words of one).")
@click.option("--json", "as_json", is_flag=True, help="Print the tensions as a JSON array.")
@click.option("--all", "show_all", is_flag=True,
              help="Also list the candidates: detected tensions below the confidence shown by default.")
@click.option("--dismissed", "show_dismissed", is_flag=True,
              help="List the tensions you dismissed, with your reasons (with --all: as well as the others).")
@click.option("--dismiss", multiple=True, metavar="ID",
              help="Dismiss this tension (its t-… id): kg stops showing it and counting it, until one of its "
                   "sides changes. Repeatable.")
@click.option("--confirm", multiple=True, metavar="ID",
              help="Confirm this tension: it is shown even when kg's confidence is low. Repeatable.")
@click.option("--undo", multiple=True, metavar="ID",
              help="Take back your decision about this id (tension or evidence). Repeatable.")
@click.option("--reason", metavar="TEXT", help="Why, kept with the decision in kg-review.toml.")
def tensions(kinds, concept, as_json, show_all, show_dismissed, dismiss, confirm, undo, reason) -> None:
    """List the places where claims disagree, each with the reason kg raised it.

    numeric: two figures for the same measured thing (a price gap, a share of workloads, a
    valuation) that cannot both hold; polarity: opposite stances said of one subject (open vs
    closed, restricted vs unrestricted); temporal: a later source states the change (it
    supersedes the earlier one); declared: written in a note's Tensions section or with
    opposes::. Each side is shown as path:line, with one sentence naming both figures or stances.

    By default the confident, declared and confirmed tensions are listed; --all adds the
    candidates kg is less sure of. Review them: --dismiss ID when a tension is wrong (it no
    longer counts anywhere: claim status, kg check, kg show, the site, the export),
    --confirm ID when it is right (shown even with low confidence), --undo ID to take the
    decision back. Decisions are kept in kg-review.toml at the vault root (yours to read, edit
    and commit; not in .kg/) and hold until a side's text changes; then kg check reports
    stale-review.

    \b
    Examples:
      kg tensions
      kg tensions --kind numeric --json
      kg tensions --concept deepseek
      kg tensions --all                      # candidates too, marked as such
      kg tensions --dismiss t-1a2b3c4d5e --reason "different products, same name"
      kg tensions --confirm t-1a2b3c4d5e
      kg tensions --undo t-1a2b3c4d5e
      kg tensions --dismissed                # what you dismissed, and why
    """
    ctx: Context = click.get_current_context().obj
    if dismiss or confirm or undo or reason is not None:
        review_decisions(ctx, "tension", dismiss, confirm, undo, reason, as_json)
        return
    built = ctx.knowledge(with_claims=True)
    kb = built.kb
    review_warning(built)
    from kg.claims.store import tensions_about
    from kg.model import Tension

    rows = built.analysis.rows()  # nothing changed: read only the settled rows (of its files, with a concept)
    if concept:
        from kg.cli.inspect import resolve_name

        cid = resolve_name(kb, concept, ("concept",), as_json).id
        about = {c.id for c in (rows.about(cid)[0] if rows else built.claims) if c.concept == cid or cid in c.concepts}
    if rows:
        known = rows.tensions(about | {cid} if concept else None)
        known, held, dismissed = known["shown"], known["held"], known["dismissed"]
    else:
        known, held = built.knowledge.tensions, built.knowledge.held
        dismissed = [t for t in built.knowledge.dismissed if isinstance(t, Tension)]
    wanted = [] if show_dismissed and not show_all else list(known)
    if show_all:
        wanted += held
    if show_dismissed:
        wanted += dismissed
    if kinds:
        wanted = [t for t in wanted if t.kind in kinds]
    if concept:
        wanted = tensions_about(wanted, about, cid)
    order = {"numeric": 0, "polarity": 1, "temporal": 2, "declared": 3}
    shown = {id(t) for t in known}
    gone = {id(t) for t in dismissed}
    wanted = sorted(wanted, key=lambda t: (id(t) not in shown, id(t) in gone, order[t.kind], -t.score, t.a.doc,
                                           t.a.line))
    decisions = _decisions(ctx) if any(t.review or id(t) in gone for t in wanted) else {}

    def review_of(t) -> str | None:
        return "dismissed" if id(t) in gone else t.review

    def decided(t) -> dict:
        d = decisions.get(t.id) if review_of(t) else None
        return {"review_reason": (d.reason or None) if d else None,
                "review_date": d.date.isoformat() if d else None}

    if as_json:
        print_json([{**t.model_dump(mode="json"), "review": review_of(t), "shown": id(t) in shown, **decided(t)}
                    for t in wanted])
        return
    from rich.markup import escape

    out = stdout()
    marks = {"confirmed": " [green]confirmed[/]", "dismissed": " [yellow]dismissed[/]"}
    for t in wanted:
        mark = marks.get(review_of(t) or "", "") or ("" if id(t) in shown else " [yellow]candidate[/]")
        out.print(f"[bold magenta]{t.kind}[/]{mark} [dim]{t.id} {t.score:.2f}[/] {escape(t.explanation)}")
        out.print(f"  [cyan]{escape(t.a.doc)}:{t.a.line}[/] {escape(t.a.text)}")
        if t.b:
            out.print(f"  [cyan]{escape(t.b.doc)}:{t.b.line}[/] {escape(t.b.text)}")
        when = decided(t)
        if when["review_date"]:
            out.print(f"  [dim]{review_of(t)} on {when['review_date']}"
                      f"{': ' + escape(when['review_reason']) if when['review_reason'] else ' (no reason given)'}[/]")
        out.print()
    if not wanted:
        if show_dismissed and not show_all:
            out.print("No tensions are dismissed." if not (kinds or concept) else "No dismissed tensions match.")
        else:
            out.print("No tensions found." if not (kinds or concept) else
                      "No tensions match. `kg tensions` without filters lists them all.")
    hidden = [f"{len(held)} candidate{'s' * (len(held) != 1)} (--all)" if held and not show_all
              else "", f"{len(dismissed)} dismissed (--dismissed)" if dismissed and not show_dismissed else ""]
    if any(hidden) and not (kinds or concept):
        stderr().print(f"[dim]Not listed: {', '.join(h for h in hidden if h)}.[/]")


def _decisions(ctx: Context) -> dict:
    """The review file's decisions by id ({} when it cannot be read: review_warning said so)."""
    from kg.claims import review

    try:
        return review.load(ctx.root).by_id()
    except review.ReviewError:
        return {}


def _print_dismissed(ctx: Context, built, as_json: bool) -> None:
    """The evidence the user dismissed, with the claim it was for and the reason."""
    from rich.markup import escape

    from kg.claims.review import note_claims, evidence_id, sides
    from kg.model import Evidence

    decisions = _decisions(ctx)
    claims = note_claims(built.knowledge)
    rows = []
    for e in (e for e in built.knowledge.dismissed if isinstance(e, Evidence)):
        (claim, claim_text), _ = sides(e, claims)
        d = decisions.get(evidence_id(e))
        rows.append({**evidence_json(e), "claim": claim, "claim_text": claim_text, "review": "dismissed",
                     "review_reason": (d.reason or None) if d else None,
                     "review_date": d.date.isoformat() if d else None})
    rows.sort(key=lambda r: (r["claim"], r["doc"], r["line"]))
    if as_json:
        print_json(rows)
        return
    out = stdout()
    for r in rows:
        out.print(f"[cyan]{escape(r['claim'])}[/] {escape(r['claim_text'])}")
        out.print(f"    {'+' if r['stance'] == 'supports' else '−'} [cyan]{escape(r['doc'])}:{r['line']}[/] "
                  f"[dim]{r['id']}[/] {escape(r['quote'] or '(the source as a whole)')}")
        out.print(f"    [dim]dismissed on {r['review_date']}"
                  f"{': ' + escape(r['review_reason']) if r['review_reason'] else ' (no reason given)'}[/]")
    if not rows:
        out.print("No evidence is dismissed.")
