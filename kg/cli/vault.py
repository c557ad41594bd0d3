"""Commands that make and read a whole vault: init, build, check."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kg.cli import Context, fail, main, print_json, stderr, stdout

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"

EXAMPLE_NOTE = """\
---
title: Welcome to kg
aliases: [start here]
tags: [kg/howto]
type: concept
---
# Welcome to kg

kg reads the notes in `notes/` and the articles you keep in `sources/`, and builds a graph of
the concepts, links and claims in them. #kg/howto

## Claims

- Each list item or sentence under a heading like this one is a claim. ^first-claim
- Link a concept with `[[double brackets]]`; a link to a note that does not exist yet
  becomes a stub concept, shown until you write the note.
- Cite a source by linking it, e.g. `[[sources/my-article]]`, or on its own line:
  `source:: [[sources/my-article]]`

## Open questions

- Which sources disagree about the figures in these notes?

## Related

- [[welcome#Claims]]
"""

KG_TOML = """\
# kg settings; every key is optional. See `kg --help`.
[vault]
notes = "notes"        # your notes
sources = "sources"    # articles, reports, transcripts (.md, .txt, .html)

[site]
title = "{title}"
base_url = "https://example.org/"
"""


@main.command()
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
def init(path: Path) -> None:
    """Start a new vault in PATH (default: this folder).

    Creates kg.toml, notes/ with one example note, and sources/. Never overwrites a file.

    \b
    Examples:
      kg init my-vault
      cd my-vault && kg build
    """
    path = path.resolve()
    if (path / "kg.toml").exists():
        fail(f"{path / 'kg.toml'} already exists; this folder is already a vault")
    existing = 0 if (path / "notes").is_dir() else _markdown_files(path)
    if existing:
        # an Obsidian (or any) folder of notes: kg already reads them where they are, and a new
        # notes/ folder would hide every one of them from the next build
        (path / "kg.toml").write_text(KG_TOML.format(title=path.name).replace(
            'notes = "notes"        # your notes', 'notes = ""             # your notes: every Markdown file here'),
            encoding="utf-8")
        click.echo(f"Created kg.toml in {path}: its {plural(existing, 'Markdown file')} are read as notes where "
                   "they are (notes = \"\"), and sources/ as sources if you make it; nothing was moved or added")
        click.echo(f"Next: kg --vault {path} build")
        return
    (path / "notes").mkdir(parents=True, exist_ok=True)
    (path / "sources").mkdir(exist_ok=True)
    (path / "kg.toml").write_text(KG_TOML.format(title=path.name), encoding="utf-8")
    welcome = path / "notes" / "welcome.md"
    if not welcome.exists():
        welcome.write_text(EXAMPLE_NOTE, encoding="utf-8")
    click.echo(f"Created a vault in {path}: kg.toml, notes/welcome.md, sources/")
    click.echo(f"Next: put notes in notes/ and articles in sources/, then run: kg --vault {path} build")


def _markdown_files(folder: Path) -> int:
    """How many Markdown files a folder holds outside hidden folders (.obsidian, .git)."""
    count = 0
    for _, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        count += sum(f.lower().endswith((".md", ".markdown")) for f in files)
    return count


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--no-search", is_flag=True, help="Skip the search index, evidence and tensions (no embedding); "
                                                  "the site then shows notes and links without claims.")
@click.option("--no-site", is_flag=True, help="Do not write the static site.")
@click.option("--site-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write the site here instead of the vault's site/ folder.")
def build(as_json: bool, no_search: bool, no_site: bool, site_dir: Path | None) -> None:
    """Read the vault: parse notes and sources, resolve links, find claims, evidence and
    tensions, build the search index, and write the static site into site/.

    Only files whose content changed since the last build are parsed again, only new text is
    embedded, and only pages whose content changed are written again (the cache is in .kg/,
    and deleting it is always safe). Problems are counted here; `kg check` lists them. Open
    site/index.html in a browser, or run `kg serve` for a live preview with search.

    \b
    Examples:
      kg build
      kg build --site-dir /tmp/preview
      kg --vault ~/notes build --json
    """
    ctx: Context = click.get_current_context().obj
    done = ctx.run(search=not no_search, claims=not no_search, site=not no_site, site_dir=site_dir)
    summary, site = done.summary(), done.site
    summary["vault"] = str(ctx.root)
    if as_json:
        print_json(summary)
        return
    from rich.markup import escape

    out = stdout()
    out.print(f"[bold]{escape(ctx.root.name)}[/]: {summary['notes']} notes, {summary['sources']} sources, "
              f"{summary['concepts']} concepts ({summary['stubs']} stubs), "
              f"{summary['links']} links, {summary['tags']} tags")
    out.print(f"  parsed {summary['parsed']} files, {summary['cached']} from cache, in {summary['seconds']:.2f} s")
    if summary["search"]:
        found = summary["search"]
        out.print(f"  search index: {found['files']} files re-indexed, {found['embedded']} passages embedded")
    if summary["claims"]:
        found = summary["claims"]
        out.print(f"  claims: {found['claims']} ({found['note_claims']} in notes: {found['supported']} supported, "
                  f"{found['contested']} contested, {found['unsupported']} unsupported; {found['source_claims']} in "
                  f"sources), {plural(found['questions'], 'question')}, {found['evidence']} evidence, "
                  f"{plural(found['tensions'], 'tension')}")
    if site:
        out.print(f"  site: {site['pages']} pages, {site['written']} written, in {escape(site['folder'])}/ "
                  f"({site['seconds']:.2f} s): open {escape(site['folder'])}/index.html, or run [bold]kg serve[/]")
        if site["search_error"]:
            out.print(f"  [yellow]{escape(site['search_error'])}[/]")
        for error in site["errors"]:
            out.print(f"  [red]{escape(error)}[/]")
        for warning in site.get("warnings", []):
            out.print(f"  [yellow]{escape(warning)}[/]")
    if summary["errors"] or summary["warnings"]:
        out.print(f"  [red]{plural(summary['errors'], 'error')}[/], [yellow]{plural(summary['warnings'], 'warning')}[/]: "
                  "run [bold]kg check[/] to list them")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print diagnostics as a JSON array.")
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too, not only on errors.")
@click.option("--severity", type=click.Choice(["error", "warning", "info"]), default="info",
              help="Show only problems at least this severe (default: all).")
@click.option("--code", "codes", multiple=True, help="Show only these codes (repeatable), e.g. --code unresolved-link.")
@click.option("--no-claims", is_flag=True,
              help="Skip the evidence checks (unsupported-claim, lost-anchor): no embedding, files and links only.")
def check(as_json: bool, strict: bool, severity: str, codes: tuple[str, ...], no_claims: bool) -> None:
    """Lint the vault like a compiler: broken links, bad front matter, unreadable files, claims
    with no evidence, citations whose sentence is gone.

    Each problem prints as `path:line:col: severity: message [code]`, so editors can jump to
    it. Exits 1 when there are errors (or warnings, with --strict), else 0. Codes are listed
    in docs/diagnostics.md.

    \b
    Examples:
      kg check
      kg check --severity warning --code unresolved-link
      kg check --no-claims          # files and links only: fast on a large vault
      kg check --json | jq '.[] | select(.severity == "error")'
    """
    ctx: Context = click.get_current_context().obj
    built = ctx.knowledge(with_claims=not no_claims)
    kb, problems = built.kb, built.diagnostics
    shown = [d for d in problems if SEVERITY_ORDER[d.severity] <= SEVERITY_ORDER[severity]
             and (not codes or d.code in codes)]
    if as_json:
        print_json([d.model_dump() for d in shown])
    else:
        colour = {"error": "red", "warning": "yellow", "info": "cyan"}
        for d in shown:
            click.echo(f"{d.where}: {click.style(d.severity, fg=colour[d.severity], bold=True)}: "
                       f"{d.message} {click.style(f'[{d.code}]', dim=True)}")
        n = {s: sum(1 for d in problems if d.severity == s) for s in SEVERITY_ORDER}
        stderr().print(f"{plural(n['error'], 'error')}, {plural(n['warning'], 'warning')}, {n['info']} info "
                       f"in {plural(len(kb.notes) + len(kb.sources), 'file')} "
                       f"({int(built.stats['parsed'])} parsed, {built.stats['seconds']:.2f} s)")
    errors = any(d.severity == "error" for d in problems)
    warnings = any(d.severity == "warning" for d in problems)
    if errors or (strict and warnings):
        raise SystemExit(1)
