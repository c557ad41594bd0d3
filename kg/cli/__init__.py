"""The `kg` command line: parse arguments, call the library, print. No logic of its own.

Heavy imports happen inside the commands that need them, so `kg --help` stays instant.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import click

from kg import __version__

EPILOG = """\b
Examples:
  kg init my-vault                 start a new vault
  kg build                         read the vault in this folder (or the nearest one upward)
  kg --vault ~/Obsidian/Vault check   lint an existing Obsidian vault, no set-up needed
  kg show "open-weight models"     a concept with its links and backlinks
  kg search "how far behind are open models?"
  kg sources --json                the source documents, for scripts
  kg graph --format graphml -o vault.graphml
  kg export -o vault.ttl           the vault as linked data (Turtle, JSON-LD, N-Triples, TriG)
  kg query 'SELECT ?c WHERE { ?c kg:status kg:Contested }'
"""


class Context:
    """What every command gets: the vault's folder, and how to talk to the user."""

    def __init__(self, vault: Path | None):
        from kg.config import find_vault

        self.root = (vault or find_vault(Path.cwd())).resolve()
        self.interactive = sys.stderr.isatty()

    @property
    def cache_dir(self) -> Path:
        """The vault's .kg/ folder (or $KG_CACHE_DIR)."""
        from kg.config import cache_folder

        return cache_folder(self.root)

    def settings(self):
        from kg.config import ConfigError, load_settings

        try:
            return load_settings(self.root)
        except ConfigError as exc:
            fail(str(exc))

    @contextmanager
    def progress_bar(self):
        """A progress callback (stage, done, total) drawing a bar on a terminal; None when piped."""
        if not self.interactive:
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), transient=True, console=stderr()) as bar:
            task = bar.add_task("Reading the vault", total=None)

            def progress(stage: str, done: int, total: int | None) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            yield progress

    def knowledge(self, with_search: bool = False, with_claims: bool = False, preview: bool = False):
        """Build the vault (incrementally) without its site and return the Build (kg.build.Build);
        with_search also brings the search index up to date; with_claims also finds claims,
        evidence and tensions, which needs the search index. preview: see kg.build.run."""
        return self.run(search=with_search or with_claims, claims=with_claims, site=False, preview=preview)

    def run(self, search: bool = True, claims: bool = True, site: bool = True, site_dir: Path | None = None,
            pagefind: bool = True, preview: bool = False):
        """The whole build (kg.build.run) with a progress bar on a terminal; a missing model or a
        bad setting ends in one sentence."""
        from kg.build import keep_out_of_collection, run
        from kg.publish import SiteFolderError
        from kg.search.embed import ModelError

        if not self.root.is_dir():
            fail(f"no such folder: {self.root}")
        settings = self.settings()
        if _EXITS:  # the `kg` process prints the build and exits (kg serve collects between builds)
            keep_out_of_collection()
        with self.progress_bar() as progress:
            try:
                done = run(self.root, settings, claims=claims, search=search, knowledge=claims, site=site,
                           site_dir=site_dir, progress=progress, pagefind=pagefind, preview=preview)
            except (ModelError, SiteFolderError) as exc:
                fail(str(exc))
        if done.site:
            try:
                done.site["folder"] = str(Path(done.site["folder"]).relative_to(Path.cwd()))
            except ValueError:
                pass
        if _EXITS:  # held to the end: the process ends with the command, and letting a 10k vault's
            _HELD.append(done)  # build go object by object when the command returned took 0.2 s
        return done


def stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def stdout():
    from rich.console import Console

    # piped: no colours, and wide enough that tables do not wrap for a script to read
    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)


def fail(message: str, code: int = 2):
    """Stop with one clear sentence, never a traceback."""
    click.echo(f"kg: error: {message}", err=True)
    sys.exit(code)


def print_json(data) -> None:
    click.echo(json_text(data))


def print_json_items(items: Iterable, at_once: int = 500) -> None:
    """A JSON array as `print_json` prints it, written as its items come (a few hundred at a time),
    so that a command listing a whole vault never holds the list, nor its text."""
    parts: list[str] = []
    count = 0
    for item in items:
        parts.append(("[\n  " if not count else ",\n  ") + json_text(item).replace("\n", "\n  "))
        count += 1
        if len(parts) >= at_once:
            click.echo("".join(parts), nl=False)
            parts = []
    click.echo("".join(parts) + ("\n]" if count else "[]"))


def json_text(data) -> str:
    """`data` as every `--json` prints it: indented by two spaces, text as it is (not \\u-escaped),
    what JSON has no type for as its str(); the text of json.dumps(data, ensure_ascii=False,
    indent=2, default=str). Written by orjson where it can (the standard library indents in
    Python: 10 s of `kg claims --json` on a 10k vault), its floats then spelt as Python spells
    them (`_as_python`); by the standard library where orjson cannot (an integer past 64 bits, a
    key that is not a string, or orjson missing). One difference: a float that is not a number is
    null, where the standard library wrote NaN, which is not JSON."""
    try:
        import orjson

        text = orjson.dumps(data, default=_orjson_default, option=orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME
                            | orjson.OPT_PASSTHROUGH_DATACLASS).decode()
    except (ImportError, TypeError):  # (orjson.JSONEncodeError is a TypeError)
        import json

        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return _as_python(text) if _SUSPECT.search(text) else text


def _orjson_default(value):
    """What orjson hands back: a float subclass (numpy's float64) is a number to the standard
    library, anything else its str()."""
    return float(value) if isinstance(value, float) else str(value)


_SUSPECT = re.compile(r"\de-\d|0\.0000\d")
"""Where orjson may have spelt a float otherwise than Python (1e-5 as 0.00001, 1e-07 as 1e-7)."""
_FLOAT_LINE = re.compile(r'^( *(?:"(?:[^"\\\n]|\\.)*": )?)(-?(?:0\.0000\d+|\d+(?:\.\d+)?e-\d))(,?)$', re.M)
"""A line of indented JSON whose value is such a float (a string never matches: it is quoted)."""


def _as_python(text: str) -> str:
    return _FLOAT_LINE.sub(lambda m: f"{m[1]}{float(m[2])!r}{m[3]}", text)


def _interrupted(exc: BaseException) -> bool:
    """Whether Ctrl+C is behind `exc`: an extension module interrupted while it loads (scipy's and
    onnxruntime's, built with pybind11) raises ImportError("initialization failed") from it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class _Group(click.Group):
    """Unexpected errors reach the user as one sentence; KG_DEBUG=1 shows the traceback."""

    def invoke(self, ctx):
        import os

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", code=130)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:
            if _interrupted(exc):
                fail("interrupted", code=130)
            if os.environ.get("KG_DEBUG"):
                raise
            from kg.claims.evidence_set import StoreChanged

            if isinstance(exc, StoreChanged):  # another kg wrote the knowledge while this one read it
                fail(str(exc), code=1)
            fail(f"internal error: {type(exc).__name__}: {exc} (set KG_DEBUG=1 to see where; please report it)")


@click.group(cls=_Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--vault", type=click.Path(path_type=Path, file_okay=False),
              help="The vault's folder. Default: the nearest folder upward holding kg.toml, else this one.")
@click.version_option(__version__, prog_name="kg")
@click.pass_context
def main(ctx: click.Context, vault: Path | None) -> None:
    """kg: a knowledge graph of your Markdown notes and the sources behind them.

    kg reads notes (any Markdown, Obsidian-style [[links]], #tags, key:: value fields) and
    source documents (articles, reports, transcripts as .md, .txt or .html) and shows the
    concepts, links and problems in them.
    """
    ctx.obj = Context(vault)


from kg.cli import claims as _claims, daemon as _daemon, inspect as _inspect, rdf as _rdf, search as _search, site as _site, vault as _vault  # noqa: E402,F401,I001  (commands register on `main`)


_EXITS = False
_HELD: list = []
"""Whether this process is the `kg` command (`entry`), which ends with the command: not a Python
caller of `main` (the tests' CliRunner), whose objects must stay collectable."""


def entry() -> None:
    """The `kg` command when it runs in its own process (kg.launch): `run`, then out of the process
    without tearing its objects down one by one (after a command that read a 10k vault's knowledge
    that took 7 s; every file and database is closed by then, and the output is flushed)."""
    import os

    os._exit(run())


def run() -> int:
    """`main` as the `kg` command runs it, in its own process or one a kg daemon forked for it
    (kg.daemon); its exit code, the output flushed."""
    import gc
    import os

    global _EXITS
    _EXITS = True
    # no collector passes over what the command imports (15 ms of a 10k edit's start): the build
    # runs with it paused anyway (kg.build.paused_gc), and the process ends with the command
    # (kg serve, which does not, turns it on again)
    gc.disable()
    # kg's models are its own: pydantic need not look through every installed package for plugins
    # to run on them (reading their metadata took 5-20 ms of every command's start)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `kg ... | head`: the reader has gone
        pass
    return code or 0
