"""The site commands: serve (build, serve on localhost, rebuild and reload on save)."""

from __future__ import annotations

import time

import click

from kg.cli import Context, fail, main


@main.command()
@click.option("--port", default=8000, show_default=True, help="Port to serve on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--no-search", is_flag=True, help="Skip claims, evidence and tensions (faster on a large vault).")
def serve(port: int, host: str, no_search: bool) -> None:
    """Build the site, serve it on localhost and rebuild it whenever a note or source is saved.

    The open page reloads by itself after each save: first with the saved text and the last
    analysis of evidence and tensions (within about a second on a small vault), again once
    they are brought up to date. Search works here, as on any web server. Ctrl+C stops.

    \b
    Examples:
      kg serve
      kg serve --port 8080
      kg --vault ~/notes serve --no-search
    """
    import gc

    from kg.build import collect_garbage
    from kg.publish import SiteFolderError, check_site_folder
    from kg.publish.serve import start_server, watch
    from kg.lock import cache_lock

    gc.enable()  # (a process that serves until stopped: `kg` turns the collector off for a command)
    ctx: Context = click.get_current_context().obj
    settings = ctx.settings()
    try:  # before reading anything: a site folder over the user's files is refused at once
        folder = check_site_folder(ctx.root, settings)
    except SiteFolderError as exc:
        fail(str(exc))
    from kg.claims.store import remember_claims
    from kg.search.embed import keep_model_loaded

    remember_claims()  # each save decodes only the claims of the files it changed
    keep_model_loaded()  # and embeds its new texts with the model already loaded
    report(ctx.run(search=not no_search, claims=not no_search).site)
    try:
        server, signal = start_server(folder, host, port)
    except OSError as exc:
        fail(f"cannot serve on {host}:{port} ({exc.strerror or exc}); try another --port")
    click.echo(f"Serving {folder} at http://{host}:{server.server_port}/")
    click.echo(f"Watching {ctx.root} for changes; the open page reloads after each rebuild. Ctrl+C stops.")

    def draw(preview: bool):
        """Build and write the changed pages, then reload the open page: (build, publish result), or
        None when the build failed (the last good site stays served)."""
        try:
            built = ctx.run(search=not no_search, claims=not no_search, pagefind=False, preview=preview)
            found = built.site
        except SystemExit:  # a problem already reported in one sentence; keep serving
            return None
        except Exception as exc:  # keep serving the last good site
            click.echo(f"kg: error: rebuild failed: {type(exc).__name__}: {exc}", err=True)
            return None
        report(found)
        signal.bump()
        return built, found

    def rebuild(changes: set) -> None:
        # the saved text first, with the last analysis (seconds on a large vault); then evidence
        # and tensions, which may take minutes there; search by words and meaning last
        started = time.perf_counter()
        shown = draw(preview=True)
        if shown is None:
            return
        built, found = shown
        click.echo(f"{time.strftime('%H:%M:%S')} rebuilt after {len(changes)} change(s) in "
                   f"{time.perf_counter() - started:.2f} s: {found['written']} pages written"
                   + ("; evidence and tensions follow" if built.pending else ""))
        finish = found.get("finish")  # absent when nothing any page shows changed
        if built.pending:
            analysed = draw(preview=False)
            if analysed is None:
                return
            click.echo(f"{time.strftime('%H:%M:%S')} evidence and tensions brought up to date in "
                       f"{time.perf_counter() - started:.2f} s: {analysed[1]['written']} pages written")
            finish = analysed[1].get("finish") or finish
        with cache_lock(ctx.cache_dir):
            problem = finish() if finish else None
        if problem:
            click.echo(f"kg: warning: {problem}", err=True)
        collect_garbage()  # the builds' cycles, if any, once the page is up to date

    try:
        watch(ctx.root, [folder, ctx.cache_dir], rebuild)
    finally:
        server.shutdown()


def report(found: dict) -> None:
    """The publisher's problems, one line each: pages not drawn or written, files left alone."""
    for error in found.get("errors", []):
        click.echo(f"kg: error: {error}", err=True)
    for warning in found.get("warnings", []):
        click.echo(f"kg: warning: {warning}", err=True)
