"""Write the site: plan every page, draw the ones whose inputs changed, write the files whose
bytes changed, copy assets and attachments, index the text with Pagefind.

    gather (Site) -> plan (each page's inputs, hashed) -> draw (Jinja, on every core)
      -> write (only changed bytes) -> remove pages that no longer exist -> search index

The manifest `.kg/site.json` remembers each page's input hash and output hash, so a rebuild
after one edit draws that note's page, its neighbours' and the indexes, and rewrites only the
files whose bytes differ. It also lists every file kg wrote into the folder: a file kg did not
write (not in the manifest, and not one of kg's pages or assets by its content) is never written
over or deleted; it is left alone and named in a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import orjson
from markupsafe import Markup

from kg.publish import fragments, shards, urls
from kg.publish.site import KNOWLEDGE_VIEWS, Lookup, Site, dumped

if TYPE_CHECKING:
    from kg.publish.pages import Page
# the pages (and through them the knowledge stage's code) are imported once there is a page to plan

Progress = Callable[[str, int, int | None], None]
T = TypeVar("T")
HERE = Path(__file__).parent
MANIFEST = "site.json"
LAYOUT = "graph-layout.json"
"""In the cache folder: the global graph's last layout (kg.publish.graphs.global_layout)."""
PARALLEL_FROM = 300
"""Below this many pages to draw, one process is faster than starting workers."""
MARKS = (b'<meta name="generator" content="kg">', b"/* kg: ")
"""What kg's pages (in their head) and its stylesheet and script (first line) hold: a file with
one of them is kg's even when the manifest is gone (.kg/ deleted)."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the publisher's code, templates and assets: a new kg draws every page again."""
    h = hashlib.blake2b(digest_size=8)
    for p in sorted(HERE.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".html", ".css", ".js", ".svg"):
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def _json_ld(data) -> Markup:
    """JSON inside <script>: `<`, `>` and `&` escaped, so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


SEARCHABLE = ("concept.html", "source.html", "tag.html")
"""The templates whose pages carry `data-pagefind-body`: the pages search finds."""


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, undefined=StrictUndefined, bytecode_cache=_template_cache())
    env.filters["jsonld"] = _json_ld
    return env


def _template_cache():
    """Jinja's own cache of compiled templates, in kg's folder of the user's cache
    (kg.config.user_cache, beside the model's export), or None where it cannot be made: compiling
    the templates took 0.2 s of every build that drew a page. Jinja keys each by its source's
    checksum, so an edited template is compiled again; a cache that cannot be read or written is
    no error."""
    from jinja2 import FileSystemBytecodeCache

    from kg.config import user_cache

    class Kept(FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError, ValueError, EOFError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    folder = user_cache() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return Kept(str(folder))


def _compile_templates() -> None:
    """Every page template compiled in this process, before the drawing workers are forked from it:
    each worker (one a batch) compiled again those it drew (all 13 take 0.12 s)."""
    env = environment()
    for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
        env.get_template(name)


def draw(site: Site, page: Page) -> bytes:
    """One page's HTML."""
    context = page.context()
    root = urls.root_of(page.path)
    section = urls.section_of(page.path)  # (page 2 of the claims or tensions is in their section, not on their page)
    nav = [{"href": urls.relative(page.path, path), "label": label,
            "current": "page" if path == page.path else "true" if path == section else None} for path, label in urls.NAV]
    html = environment().get_template(page.template).render(
        **context, page=page.path, root=root, nav=nav, site_title=site.title,
        title=context.get("title", site.title))
    return html.encode("utf-8")


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _key(site: Site, page: Page) -> str:
    """The hash of what a page is made from, with what every page shows (the site's title and
    address), written by marshal (`dumped`): as JSON, the 306 pages an edit of a 10k vault checks
    took 0.25-0.35 s to write, by marshal 0.08-0.10 s."""
    return _digest(dumped([site.title, site.base_url, page.inputs()]))


def _write(out: Path, path: str, data: bytes, known: str | None) -> tuple[str, bool]:
    """Write a page if its bytes changed; returns (digest, written)."""
    digest = _digest(data)
    target = out / path
    if known == digest and target.is_file():
        return digest, False
    _put(target, data)
    return digest, True


Bytes = bytes | bytearray | memoryview
"""A file's content, or its parts in order (`semantic.vault_parts`: written and compared part by
part, never joined)."""


def _parts(data: Bytes | Sequence[Bytes]) -> list[memoryview]:
    """`data` as views of bytes, one per part."""
    views = [memoryview(p) for p in ([data] if isinstance(data, (bytes, bytearray, memoryview)) else data)]
    return [v if v.format == "B" and v.ndim == 1 else v.cast("B") for v in views]


def _put(target: Path, data: Bytes | Sequence[Bytes]) -> None:
    """Write a file whole or not at all: into a temporary file beside it, then renamed over it (so a
    link standing where the file goes is replaced, never followed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with tmp.open("wb") as f:
            for part in _parts(data):
                f.write(part)
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _foreign(out: Path, path: str, owned: set[str]) -> bool:
    """Whether a file kg did not write stands where kg would write `path`: it exists, the manifest
    does not list it, and it is not marked as kg's."""
    target = out / path
    if path in owned or not os.path.lexists(target):
        return False
    if target.is_symlink() or not target.is_file():
        return True
    try:
        with open(target, "rb") as f:
            head = f.read(4096)
    except OSError:
        return True
    return not any(mark in head for mark in MARKS)


def _left_alone(out: Path, path: str) -> str:
    return (f"{path}: the file there in {out} was not written by kg, so kg left it as it is and did not "
            "write its own; move that file away (or write the site to another folder) to publish it")


# -- drawing on every core: the site is gathered once, then the workers fork from it ----------
_STATE: dict = {}


def _draw_batch(batch: list[tuple[int, str | None]]) -> tuple[list[tuple], set[str]]:
    """Draw and write pages; returns (path, digest, written, error, warning) for each, and the
    attachments seen. With _STATE["unsearched"] (a set), a searchable page written again whose
    searched part (`searched_part`) is as it was goes into that set."""
    site, pages, out, owned = _STATE["site"], _STATE["pages"], _STATE["out"], _STATE["owned"]
    unsearched = _STATE.get("unsearched")
    site.kb.block_texts(sorted({doc for i, _ in batch for doc in pages[i].needs()}))  # one read of the cache
    done = []
    for i, known in batch:
        page = pages[i]
        if _foreign(out, page.path, owned):
            done.append((page.path, None, False, None, _left_alone(out, page.path)))
            continue
        before = None
        if unsearched is not None and page.template in SEARCHABLE and known is not None:
            try:
                before = (out / page.path).read_bytes()
            except OSError:
                pass
        try:
            html = draw(site, page)
        except Exception as exc:  # one page that cannot be drawn must not stop the site
            done.append((page.path, None, False, f"kg could not draw this page ({type(exc).__name__}: {exc}); "
                                                 "please report it", None))
            continue
        try:
            done.append((page.path, *_write(out, page.path, html, known), None, None))
            if before is not None and done[-1][2] and searched_part(before) == searched_part(html):
                unsearched.add(page.path)
        except OSError as exc:  # nor one that cannot be written (a name the file system refuses, a full disk)
            done.append((page.path, None, False, f"kg could not write this page ({exc.strerror or exc}); "
                                                 "the rest of the site was written", None))
    return done, set(site.attachments)


def _draw_all(site: Site, pages: list[Page], todo: list[tuple[int, str | None]], out: Path, owned: set[str],
              progress: Progress | None, jobs: int) -> tuple[list[tuple], set[str], set[str]]:
    """Draw and write the pages of `todo`: (the results of `_draw_batch`, the attachments seen, the
    pages written again whose searched part is as it was: their Pagefind shard need not be indexed
    again). Those are told apart for an edit's few pages only: a page a source cites or a claim
    names lists it outside what is searched (10k notes: 4 of an edit's 5 searchable pages, each a
    shard of 200 pages for Pagefind, 0.4-0.7 s each)."""
    results: list[tuple] = []
    attachments: set[str] = set()
    unsearched: set[str] = set()
    if progress:
        progress("Writing the site", 0, len(todo))
    _STATE.update(site=site, pages=pages, out=out, owned=owned)
    try:
        if len(todo) < PARALLEL_FROM or jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            if len(todo) < PARALLEL_FROM:
                _STATE["unsearched"] = unsearched
            for start in range(0, len(todo), 50):
                done, found = _draw_batch(todo[start:start + 50])
                results += done
                attachments |= found
                if progress:
                    progress("Writing the site", len(results), len(todo))
        else:
            size = max(20, min(200, len(todo) // (jobs * 6)))
            batches = [todo[i:i + size] for i in range(0, len(todo), size)]
            # a worker is forked afresh for each batch: the pages it copies from this process as it
            # reads them, and what it caches, go with it (10k notes, a full redraw: the workers' copies
            # took the build from 0.8 to 2.1 GB; recycled every two batches, 1.20 GB; every batch,
            # 1.10 GB), and the templates it draws with are compiled here, once
            _compile_templates()
            site.drawn_groups = None  # (a worker's claims index groups go with it: none is noted to be kept)
            with multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=1) as pool:
                for done, found in pool.imap_unordered(_draw_batch, batches):
                    results += done
                    attachments |= found
                    if progress:
                        progress("Writing the site", len(results), len(todo))
    finally:
        _STATE.clear()
    return results, attachments, unsearched


class _Searched(HTMLParser):
    """The markup of a page that Pagefind may read: all of it but the elements marked
    data-pagefind-ignore (each to its own end tag)."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.skipping: tuple[str, int] | None = None  # (tag, how many of it are open within)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.skipping:
            if tag == self.skipping[0]:
                self.skipping = (tag, self.skipping[1] + 1)
            # what Pagefind still reads in an ignored element: its filters, metadata and sort keys
            self.parts += [f"{name}={value}" for name, value in attrs
                           if name.startswith("data-pagefind-") and name != "data-pagefind-ignore"]
        elif any(name == "data-pagefind-ignore" for name, _ in attrs) and tag not in _VOID:
            self.skipping = (tag, 1)
        else:
            self.parts.append(self.get_starttag_text())

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[0]:
                left = self.skipping[1] - 1
                self.skipping = (tag, left) if left else None
        else:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def unknown_decl(self, data: str) -> None:
        self.handle_data(data)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def searched_part(html: bytes) -> str:
    """What Pagefind may index of a page, as markup: equal for two versions of a page when they
    differ only inside elements marked data-pagefind-ignore (the notes citing a source, a
    concept's backlinks and mentions)."""
    parser = _Searched()
    parser.feed(html.decode("utf-8", "replace"))
    parser.close()
    return "".join(parser.parts)


def _prepare(site: Site) -> None:
    """Compute the shared lookups once, before any worker forks."""
    site.kb.rows  # every link decoded at once, and the lookups of every file made from them
    for name in ("outgoing", "incoming"):  # (not a file at a time, as planning an edit made them)
        if isinstance(site.__dict__.get(name), Lookup):
            del site.__dict__[name]
    for name in ("rows_by_doc", "outgoing", "incoming", "holder", "tags", "claims_by_doc", "claims_by_id",
                 "claim_by_key", "declared", "block_rows", "evidence", "cited", "tensions_by_claim", "tension_order",
                 "tension_paging", "tension_kinds", "mentioned_in", "related", "sources_by_date"):
        getattr(site, name)


def _load_manifest(path: Path, version: str, out: Path) -> dict:
    """The last build's {pages: {path: [input hash, output hash]}, attachments: [...], written: [...]},
    if it was written into this folder (by other code: only which files kg wrote there)."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("out") != str(out):
        return {}
    if data.get("version") != version:
        return {"pages": {p: [None, None] for p in data.get("pages", {})},
                "written": sorted(_owned(data) - set(data.get("pages", {})))}
    return data


def _present(out: Path, paths: Iterable[str]) -> set[str]:
    """Which of these paths are files in the site folder `out` (a link to a file counts, as
    `Path.is_file` says): by one listing of each folder they are in, not a look at each path (a
    look at each of a 10k vault's 13,000 pages made an edit's planning 0.11 s longer)."""
    folders = dict.fromkeys(path.rpartition("/")[0] for path in paths)
    found: set[str] = set()
    for folder in folders:
        prefix = f"{folder}/" if folder else ""
        try:
            with os.scandir(out / folder) as entries:
                found.update(prefix + entry.name for entry in entries if entry.is_file())
        except OSError:  # (no such folder yet: none of its pages is there)
            continue
    return found


def _owned(last: dict) -> set[str]:
    """The files of the site folder that kg wrote, by the last build's manifest."""
    owned = set(last.get("pages", {}))
    if "written" in last:
        owned.update(last["written"])
    elif last:  # a manifest from before kg listed them: what kg always wrote
        owned.update(f"assets/{p.name}" for p in (HERE / "assets").iterdir())
        owned.update(urls.file_path(doc) for doc in last.get("attachments", []))
    return owned


def unseen_files(kb, cache_dir: Path, out: Path) -> list[str] | None:
    """The notes and sources whose content is not what the site in `out` was last drawn from (new
    files included), or None when no site was drawn there by this kg."""
    before = _load_manifest(cache_dir / MANIFEST, code_version(), out.resolve()).get("files")
    if not before:
        return None
    return [path for path, info in kb.infos.items() if before.get(path) != info.hash]


def publish_pages_of(site: Site, out: Path, cache_dir: Path, docs: list[str]) -> dict:
    """Draw and write the pages of `docs` alone, from what `site` knows now (kg serve's first look
    at a save: a preview's knowledge, kg.claims.store.knowledge). Nothing else is planned, hashed
    or written; the manifest forgets these pages' inputs and the site's state, so the full build
    that follows draws them again."""
    started = time.perf_counter()
    out = out.resolve()
    manifest_path = cache_dir / MANIFEST
    last = _load_manifest(manifest_path, code_version(), out)
    previous: dict = last.get("pages", {})
    wanted = {site.page_of_doc(doc) for doc in docs} - {None}
    from kg.publish.pages import entity_pages

    pages = [page for page in entity_pages(site) if page.path in wanted]
    todo = [(i, (previous.get(page.path) or [None, None])[1]) for i, page in enumerate(pages)]
    planned = time.perf_counter()
    results, _, _ = _draw_all(site, pages, todo, out, _owned(last), None, 1)
    drawn = time.perf_counter()
    failed = {path: error for path, _, _, error, _ in results if error}
    warnings = [warning for _, _, _, _, warning in results if warning]
    if last and any(digest for _, digest, _, _, _ in results):
        for path, digest, _, _, _ in results:
            if digest:
                previous[path] = [None, digest]  # written, and owned, but drawn from a preview
        # the full build may find these pages as the preview left them: their shards are indexed then
        searchable = set(last.get("searchable", []))
        pending = {path for path, _, w, _, _ in results if w and path in searchable}
        last.update(pages=previous, state=None, search_pending=sorted(set(last.get("search_pending", [])) | pending))
        tmp = manifest_path.with_name(f".{MANIFEST}.tmp")
        tmp.write_bytes(orjson.dumps(last))
        os.replace(tmp, manifest_path)
    return {"pages": len(previous), "drawn": len(todo), "written": sum(1 for _, _, w, _, _ in results if w),
            "removed": 0, "files": 0, "plan_seconds": round(planned - started, 3),
            "draw_seconds": round(drawn - planned, 3), "search_seconds": 0.0, "meaning_seconds": 0.0,
            "seconds": round(time.perf_counter() - started, 3), "search_error": None, "incremental": True,
            "errors": [f"{path}: {error}" for path, error in sorted(failed.items())], "warnings": warnings}


def publish(site: Site, out: Path, cache_dir: Path, progress: Progress | None = None, jobs: int | None = None,
            search: bool = True, aside: MeaningAside | None = None) -> dict:
    """Write the site for `site` into `out`; returns counts and timings, with `errors` (pages that
    could not be drawn or written) and `warnings` (files left alone, attachments not copied).
    search=False writes the pages only; the result's `finish` (finish_search) then brings search
    by words and by meaning up to date: kg serve reloads the page before that. `aside`: the
    process kg.build forked for an edit's meaning search files (`MeaningAside`), used or closed here."""
    started = time.perf_counter()
    out = out.resolve()
    version = code_version()
    manifest_path = cache_dir / MANIFEST
    last = aside.last if aside is not None and aside.last is not None and aside.site == (out, cache_dir) \
        else _load_manifest(manifest_path, version, out)
    owned = _owned(last)
    previous: dict = last.get("pages", {})
    files = {path: info.hash for path, info in site.kb.infos.items()}
    state = _state(site, files)
    warnings: list[str] = []
    assets = _copy_assets(out, owned, warnings)
    from kg.publish import semantic

    if (state and last.get("state") == state and (out / "index.html").is_file()
            and (not search or ((out / "pagefind").is_dir() and not last.get("search_pending")
                                and not last.get("meaning_pending")))
            and assets == 0 and not warnings
            and semantic.current(out, cache_dir)):
        # nothing any page shows has changed: not even the knowledge is read
        return {"pages": len(previous), "drawn": 0, "written": 0, "removed": 0, "files": 0, "plan_seconds": 0.0,
                "draw_seconds": 0.0, "search_seconds": 0.0, "meaning_seconds": 0.0,
                "seconds": round(time.perf_counter() - started, 3),
                "search_error": None, "incremental": True, "errors": [], "warnings": []}
    site.known_sources = last.get("sources", {})
    site.layout_cache = cache_dir / LAYOUT
    # started before the planning: the other core makes the meaning search files meanwhile (`MeaningAside`)
    edit = search and _an_edit(last, files)
    early, aside = aside, None
    if edit and _little_judged(site):
        aside = (early or MeaningAside(site.kb, site.title, site.base_url)).start(out, cache_dir)
    elif early is not None:
        early.close()
    if progress:
        progress("Planning the site", 0, None)
    from kg.publish.indexes import claim_groups, index_pages
    from kg.publish.pages import entity_pages

    linked = site.kb.link_digests
    lists = _lists_state(site, last, files)
    relisted = _relisted(lists, last)
    quiet = _kept_knowledge(site, last, files, linked, lists, relisted, lambda paths: _present(out, paths), cache_dir)
    if quiet is not None:  # the pages of the files edited and of their neighbours, from the settled rows
        pages, shown, affected, groups, statements = \
            quiet.pages, quiet.shown, quiet.affected, quiet.groups, quiet.statements
        site.__dict__["knowledge_digests"] = shown  # (the claims index pages are keyed by them)
    else:
        _prepare(site)
        groups, statements = claim_groups(site), site.statements if site.analysis is not None else None
        pages = entity_pages(site) + index_pages(site, groups)
        shown = site.digests_since(last.get("knowledge"), last.get("knowledge_stamp"))
        affected = _affected(site, last, files, shown, linked, relisted)
    paging = [*site.tension_paging, dict(site.tension_kinds)]  # (kept for the next edit's planning: `_tension_pages`)
    todo, keys = [], {}
    # a deleted page is drawn again
    present = quiet.present if quiet is not None else _present(out, (page.path for page in pages))
    checked = [page for page in pages if page.path in affected] if quiet is not None else \
        [page for page in pages if not (affected is not None and not page.always and page.path not in affected
                                        and (previous.get(page.path) or [None])[0] and page.path in present)]
    site.kb.block_texts(sorted({doc for page in checked for doc in page.needs()}))  # the linking paragraphs, at once
    checked_paths = {page.path for page in checked}
    for i, page in enumerate(pages):
        known = previous.get(page.path)
        if page.path not in checked_paths:
            keys[page.path] = known[0]  # nothing it shows has changed: not even its inputs are gathered
            continue
        keys[page.path] = _key(site, page)
        if known is None or known[0] != keys[page.path] or page.path not in present:
            todo.append((i, known[1] if known else None))
    planned = time.perf_counter()
    if aside is not None and len(todo) >= PARALLEL_FROM:  # drawing workers and the aside at once: too much memory
        aside.close()
        aside = None
    elif aside is None and edit and len(todo) < PARALLEL_FROM:
        aside = MeaningAside(site.kb, site.title, site.base_url).start(out, cache_dir)  # once planned
    results, attachments, unsearched = _draw_all(site, pages, todo, out, owned, progress,
                                                 jobs or min(os.cpu_count() or 1, 4))
    fragments.Kept(cache_dir).put(site.drawn_groups or {})  # (those drawn in this process: an edit's)
    drawn = time.perf_counter()
    digests = {path: digest for path, digest, _, _, _ in results}
    written = sum(1 for _, _, w, _, _ in results if w)
    failed = {path: error for path, _, _, error, _ in results if error}
    left = {path: warning for path, _, _, _, warning in results if warning}
    warnings += [left[path] for path in sorted(left)]
    # a page that failed is tried again; one left alone for a file kg did not write is not kg's to list
    manifest = {p.path: [None if p.path in failed else keys[p.path],
                         digests.get(p.path) or previous.get(p.path, [None, None])[1]]
                for p in pages if p.path not in left}
    carried = 0
    if quiet is not None:  # the lists, and the pages not planned, as the last build drew them
        as_drawn = {path: entry for path, entry in previous.items()
                    if path in quiet.lists and path not in manifest and path not in left}
        as_drawn.update((path, previous[path]) for path in quiet.passed)
        manifest.update(as_drawn)
        carried = len(as_drawn)
    attachments |= {doc for doc in last.get("attachments", []) if doc in site.kb.files}
    copied, kept = _copy_attachments(site, out, attachments, owned, warnings)
    gone = _remove_stale(out, previous, manifest)
    removed = len(gone)
    # the search index follows the pages written or removed, now or by a build that left it for
    # later (kg serve reloads the page first), shard by shard (kg.publish.shards)
    searchable = [p.path for p in pages if p.template in SEARCHABLE and p.path not in failed and p.path not in left]
    searchable += quiet.passed if quiet is not None else []  # (concept and source pages, as drawn before)
    # a written page counts if it is in the index now or was in the last one: the home page and
    # the lists change with most edits, and each would index a shard again for nothing
    indexed = set(searchable) | set(last.get("searchable", []))
    pending = set(last.get("search_pending", [])) | set(gone) | \
        {path for path, _, w, _, _ in results if w and path in indexed and path not in unsearched}
    indexing = _meanwhile(lambda: shards.update(out, searchable, pending, later=cache_dir)) \
        if search and (pending or not (out / "pagefind").is_dir()) else None
    meaning_started = time.perf_counter()  # (an edit's critical path when the forked process is still at work)
    if aside is not None:
        meaning = aside.result(site, out, cache_dir, owned, _drawn(manifest), warnings)
    elif search:
        if len(todo) >= PARALLEL_FROM:  # the pages are drawn; an edit's few keep it (letting a 10k vault's go took 0.5 s)
            site.let_knowledge_go()
        meaning = semantic.publish(site, out, cache_dir, owned, warnings, _drawn(manifest), progress,  # if changed
                                   reads_as=_read_as_before(site, last, files))
    else:  # kg serve: the page reloads first, then `finish` (in the result) brings the search files up to date
        meaning = {path for path in (semantic.TABLE, semantic.VAULT) if path in owned and (out / path).is_file()}
    meaning_seconds = time.perf_counter() - meaning_started
    index_seconds = 0.0
    search_error = None
    if indexing:
        (search_error, _), index_seconds = indexing()
        pending = pending if search_error else set()
        _flush_later(out, cache_dir, search_error)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = manifest_path.with_name(f".{MANIFEST}.tmp")
    tmp.write_bytes(orjson.dumps({  # (orjson: the standard library took 0.09 s of a 10k vault's edit to write it)
        "version": version, "out": str(out), "pages": manifest, "attachments": sorted(attachments),
        "written": sorted(_asset_paths(out, owned) | kept | meaning  # and what kg wrote before that is still there
                          | {path for path in owned - set(previous) if os.path.lexists(out / path)}),
        "names": site.kb.names, "settings": [site.title, site.base_url], "files": files,
        "claims": site.analysis is not None, "links": _links_out(site, last, files), "link_digests": linked,
        "sources": site.source_meta,
        "knowledge": shown, "knowledge_stamp": site.analysis.stamp if site.analysis else None, "lists": lists,
        "claim_groups": groups, "statements": statements, "tension_paging": paging,
        "state": None if failed or warnings else state,
        "searchable": searchable, "search_pending": sorted(pending), "meaning_pending": not search}))
    os.replace(tmp, manifest_path)
    found = {"pages": len(pages) + carried, "drawn": len(todo), "written": written, "removed": removed, "files": assets + copied,
             "plan_seconds": round(planned - started, 3), "draw_seconds": round(drawn - planned, 3),
             "search_seconds": round(index_seconds, 3), "meaning_seconds": round(meaning_seconds, 3),
             "seconds": round(time.perf_counter() - started, 3),
             "search_error": search_error, "incremental": affected is not None,
             "errors": [f"{path}: {error}" for path, error in sorted(failed.items())], "warnings": warnings}
    if not search:
        found["finish"] = lambda: finish_search(site, out, cache_dir)
    return found


# -- an edit's meaning search beside its pages: made in a process forked before they are drawn ----
_MEANING: dict = {}
ASIDE_UPTO = 20
"""Up to this many files changed since the site was last written (and fewer than PARALLEL_FROM pages
to draw), the meaning search files are made in a forked process (`MeaningAside`); past it, here,
after the pages (drawing workers and the meaning search at once would raise the memory peak)."""


def _an_edit(last: dict, files: dict[str, str]) -> bool:
    """Whether at most ASIDE_UPTO files changed since the site in `last` was written, and this
    system can fork (else there is no process to make the meaning search aside)."""
    changed = _changed_files(last, files)
    return changed is not None and len(changed) <= ASIDE_UPTO and "fork" in multiprocessing.get_all_start_methods()


ASIDE_JUDGED = 10_000
"""After an analysis that judged more claims and pairs than this afresh (the knowledge of a kg
upgrade's re-analysis), the meaning aside is forked only once the pages are planned: forked
before, the planning's copy on write beside a fresh analysis took a 10k vault's processes to
1.68 GB together (1.51 GB the largest)."""


def _little_judged(site: Site) -> bool:
    """Whether the knowledge this site shows was judged afresh little (`ASIDE_JUDGED`), or not at all."""
    analysis = site.analysis
    return analysis is None or (analysis.judged or 0) <= ASIDE_JUDGED


def _changed_files(last: dict, files: dict[str, str]) -> set[str] | None:
    """The files new, edited or gone since the site in `last` was written (None: it names none)."""
    before = last.get("files")
    if not before:
        return None
    return {path for path, digest in files.items() if before.get(path) != digest} | (before.keys() - files.keys())


def _meaning_ahead(cache_dir: Path) -> None:
    """In the forked process, first: kg.publish.semantic.read_ahead (and the modules it needs),
    before the search index is up to date; what it cannot read is read again when needed."""
    try:
        from kg.publish import semantic

        semantic.read_ahead(cache_dir)
    except Exception:  # noqa: BLE001 (read again by `_meaning_files`, which reports what fails)
        pass


def _meaning_files(out: Path, cache_dir: Path) -> tuple[set[str] | None, list[str]]:
    """In the forked process: kg.publish.semantic.publish for the vault `MeaningAside` was forked
    with, into the site in `out` as its last manifest lists it; (None, []) when the vault changed
    too much since that site was written (`_an_edit`: `publish` makes the files itself then)."""
    from kg.publish import semantic
    from kg.publish.site import Site

    kb = _MEANING["kb"]
    last = _MEANING["last"] if _MEANING.get("site") == (out, cache_dir) else \
        _load_manifest(cache_dir / MANIFEST, code_version(), out)
    files = {path: info.hash for path, info in kb.infos.items()}
    if not _an_edit(last, files):
        return None, []
    warnings: list[str] = []
    site = Site(kb, _MEANING["title"], _MEANING["base_url"])  # (the meaning search reads no knowledge)
    pages = _drawn(last.get("pages", {})) | _MEANING["concepts"]
    kept = semantic.publish(site, out, cache_dir, _owned(last), warnings, pages, reads_as=_read_as_before(site, last, files))
    return kept, warnings


def _read_as_before(site: Site, last: dict, files: dict[str, str]) -> tuple[str, Callable[[str], bool]] | None:
    """For the meaning search after the names changed (a note made or deleted): the names of the
    site in `last`, and whether a file's links read as they did then (kg.publish.semantic.gather):
    they resolve as they did (the file's link digest is the one `last` keeps) and none points at a
    note or source edited, made or deleted since (an unlabelled link reads as its target's title,
    which only that file's content gives). None when `last` keeps no link digests."""
    linked, names, changed = last.get("link_digests"), last.get("names"), _changed_files(last, files)
    if not isinstance(linked, dict) or not isinstance(names, str) or not names or changed is None:
        return None
    touched = set(changed)
    for path in changed:
        if path in site.holder:
            touched |= site.linking_files(site.holder[path][1])
    digests = site.kb.link_digests
    return names, lambda doc: doc not in touched and doc in linked and linked[doc] == digests.get(doc)


class MeaningAside:
    """The meaning search files of an edit, made by a process of their own on the other core: they
    need the vault and the search index, not the knowledge or the pages. kg.build forks it as soon
    as the vault is read, before the claims are, and starts it (`start`) once the search index is
    up to date: it makes them while this process analyses the claims, and it shares with the
    build only the vault as read, so the build's later work copies few pages on write. (Forked and
    started before the planning, at 10k notes, the planning's walk over every claim took some
    86,000 copy-on-write page faults, 0.2-0.4 s of system time; now the site stage takes
    12,000-13,000 faults in all, and the claims stage 16,000 more than it did.) The process reads
    the site's last manifest itself and takes every concept page to be drawn, now or before (their
    names find them); `result` makes the files again here when one was not (left alone for a file
    kg did not write, or failed), or when the process failed or found the vault changed too much."""

    def __init__(self, kb, title: str, base_url: str, out: Path | None = None, cache_dir: Path | None = None):
        from kg.search.embed import wait_for_model

        wait_for_model()  # (no fork while a thread holds the model's lock)
        self.concepts = {urls.concept_page(c.id) for c in kb.concepts.values()}
        self.job = None
        self.site = (out, cache_dir)
        self.last = None
        """The site's last manifest, read once before the fork for both processes (`publish` and
        `_meaning_files` each read it: 0.12-0.2 s apiece of a 10k vault's edit, the forked one's on
        the edit's critical path)."""
        if out is not None and cache_dir is not None:
            self.last = _load_manifest(cache_dir / MANIFEST, code_version(), out)
        _MEANING.update(kb=kb, title=title, base_url=base_url, concepts=self.concepts, last=self.last, site=self.site)
        try:
            self.pool = multiprocessing.get_context("fork").Pool(1)  # forked here, with _MEANING
        finally:
            _MEANING.clear()
        if cache_dir is not None:  # its first job, while this process reads the claims and updates the index
            self.pool.apply_async(_meaning_ahead, (cache_dir,))

    @classmethod
    def fork(cls, kb, title: str, base_url: str, changed: int, out: Path | None = None,
             cache_dir: Path | None = None) -> MeaningAside | None:
        """The process for a build that read `changed` files afresh, if it may be an edit that
        makes its meaning search files aside (`_an_edit`, which `publish` asks again), for the
        site in `out` whose manifest is in `cache_dir`."""
        if changed > ASIDE_UPTO or "fork" not in multiprocessing.get_all_start_methods():
            return None
        return cls(kb, title, base_url, out, cache_dir)

    def start(self, out: Path, cache_dir: Path) -> MeaningAside:
        """Make the files of the site in `out` (kg.build starts it once the search index is up to
        date, so that they are made while the claims are analysed); starting it again does nothing."""
        if self.job is None:
            self.job = self.pool.apply_async(_meaning_files, (out, cache_dir))
        return self

    def result(self, site: Site, out: Path, cache_dir: Path, owned: set[str], drawn: set[str],
               warnings: list[str]) -> set[str]:
        """The meaning search files there are (kg.publish.semantic.publish), once made."""
        try:
            kept, found = self.job.get()
        except Exception:  # noqa: BLE001 (the process failed: the files are made here)
            kept, found = None, []
        finally:
            self.close()
        if kept is None or not self.concepts <= drawn:
            from kg.publish import semantic

            return semantic.publish(site, out, cache_dir, owned, warnings, drawn)
        warnings += found
        return kept

    def close(self) -> None:
        """End the process (done, not wanted, or no longer wanted); closing twice does nothing."""
        self.pool.terminate()
        self.pool.join()


def _drawn(manifest: dict[str, list]) -> set[str]:
    """The pages of a manifest that were written, by this build or an earlier one."""
    return {path for path, (_, digest) in manifest.items() if digest}


def _flush_later(out: Path, cache_dir: Path, error: str | None) -> None:
    """The shards of a full recent index indexed again by a process of its own, which starts once
    this build lets the cache go (kg.publish.shards.flush_later): at 10k notes that took 17.8 s of
    one save in every 5-20."""
    if error is None and shards.wants_flush(out):
        shards.flush_later(out, cache_dir, cache_dir / MANIFEST)


def _meanwhile(work: Callable[[], T]) -> Callable[[], tuple[T, float]]:
    """Start `work` in a thread; returns what waits for it: (its result, the seconds it took).
    Pagefind runs as a process of its own, so its shards are indexed on the other core while this
    one makes the meaning search files (10k notes: 2-2.5 s of an edit's 4-5 s of search files)."""
    from concurrent.futures import ThreadPoolExecutor

    def timed() -> tuple[T, float]:
        t = time.perf_counter()
        return work(), time.perf_counter() - t

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(timed)
    pool.shutdown(wait=False)
    return future.result


def _lists_state(site: Site, last: dict, files: dict[str, str]) -> dict:
    """What the index and tag pages but the graph show of the vault besides its knowledge:
    {"state": one hash, "files": a hash per file}. Per file: its kind, title, aliases, type,
    tags, author and date, and the sources it links to (the sources index counts their citers);
    with them, the names, the concepts (a stub comes and goes with a link) and the sources'
    hashes. With it and the knowledge as they were, those pages are as they were. A file whose
    content is as at the last build, and whose links resolve as they did then (the same names, or
    the same digest of its links: kg.knowledge.KnowledgeBase.link_digests), keeps its hash from the
    manifest: reading every file's index and every link took 0.3-0.4 s of a 10k vault's edit, and
    0.09 s of one that made a note at 6,571 notes."""
    kb = site.kb
    before = last.get("lists") if isinstance(last.get("lists"), dict) else {}
    linked = last.get("link_digests") if last.get("names") != kb.names else None
    kept = before.get("files", {}) if last.get("names") == kb.names or isinstance(linked, dict) else {}
    changed = _changed_files(last, files) or set()
    if isinstance(linked, dict):  # the names changed: the files whose links resolve otherwise now
        changed |= {p for p, digest in kb.link_digests.items() if linked.get(p) != digest}
    out: dict[str, str] = {}
    todo = [p for p in kb.infos if p in changed or p not in kept]
    cited: dict[str, set[str]] = {}
    for r in kb.rows_of(sorted(todo)):
        if r.target_kind == "source":
            cited.setdefault(r.doc, set()).add(r.target_id)
    for p in kb.infos:
        if p in kept and p not in changed:
            out[p] = kept[p]
            continue
        i = kb.infos[p]
        text = orjson.dumps([i.kind, i.title, i.aliases, i.type, i.tags, i.author, i.date, sorted(cited.get(p, ()))],
                            default=str)
        out[p] = hashlib.blake2b(text, digest_size=8).hexdigest()
    concepts = [[c.id, c.title, c.type, c.stub, c.aliases, c.doc] for c in kb.concepts.values()]
    text = orjson.dumps([kb.names, sorted(out.items()), concepts, sorted(kb.source_ids.items()),
                         [kb.infos[p].hash for p in sorted(kb.sources)]], default=str)
    return {"state": hashlib.blake2b(text, digest_size=16).hexdigest(), "files": out}


REACH_MOST = 200
"""When an analysis's changes reach more files than this (`Changed.reach`), or an edit more pages,
the site is planned with the whole knowledge: reading that many pages' knowledge from the settled
rows takes longer (about 10 ms a page at 10k notes: a person retitled reached 485 pages, 4.6 s,
where a claim added reaches some 30)."""


@dataclass
class _Quiet:
    """What `_kept_knowledge` plans: the pages, the knowledge digests, the pages reached, the claims
    index's pages and statement counts as the manifest keeps them, and the paths of the lists
    (their entries, when not planned, are carried over as the last build drew them)."""

    pages: list[Page]
    shown: dict[str, str]
    affected: set[str]
    groups: list[list[str]]
    statements: dict[str, int] | None
    lists: set[str]
    passed: list[str]
    """The concept and source pages not planned: nothing they show changed (their entries, too, are
    carried over)."""
    present: set[str]
    """The pages in the site folder as the planning found them (`_present`)."""


def _kept_knowledge(site: Site, last: dict, files: dict[str, str], linked: dict[str, str], lists: dict,
                    relisted: set[str], present_pages: Callable, cache_dir: Path) -> _Quiet | None:
    """When an edit left the knowledge as the site was last drawn from it (the knowledge stage
    analysed nothing: kg.claims.store.ClaimFiles.stamp), the pages to plan and what goes with them
    (`_Quiet`), with the site's knowledge made of what those pages show, read from the settled
    rows. Only the pages of the files edited and of their neighbours are then planned
    (`_affected`), and nothing reads every claim (a prose edit of a 6,571-note vault: 1 s of claims
    read and analysed again, and the site's lookups over all of them).
    After a move (kg.claims.store.Analysis.moved: claims moved to other lines, nothing else), or an
    analysis of a few files' claims whose changes reach at most REACH_MOST files, the same, with
    the pages the changes reach (`Changed.reach`, found from the settled rows) and the lists that
    may show them otherwise: the claims index pages that hold them (`claim_groups`; after an
    analysis, page 1 with the counts too, and those whose files changed), the tensions page, the
    questions page, and after an analysis the home page, the concepts index (when a note's count
    of claims changed) and the sources index (when a source's did). The digests of what the
    reached pages show are made again. At 10k notes, a heading written above a note's claims read
    the whole knowledge to plan every page (3.5 s); a claim added planned every page with the
    whole knowledge (1.2-1.3 s).
    When what the lists show besides the knowledge changed (`_lists_state`: a note made, deleted or
    retitled, a link to a note not written yet), every list is planned too, drawn from the vault,
    the statement counts the manifest keeps (`statements`) and the rows' counts, and the claims
    index pages whose files changed in the lists or that hold other files now; a page new to the
    site is drawn. At 6,571 notes, a link to a note not written yet read the whole knowledge to
    plan every page (1.2 s of 2.8 s).
    None when a page needs the whole knowledge: the changes reach many pages, the manifest lacks
    what the lists need, or a list's page failed or is gone."""
    analysis, previous = site.analysis, last.get("pages", {})
    rows = analysis.settled_rows() if analysis is not None else None
    drawn = last.get("lists") if isinstance(last.get("lists"), dict) else {}
    changes, groups = analysis.changes if analysis is not None else None, last.get("claim_groups")
    statements = last.get("statements") if isinstance(last.get("statements"), dict) else None
    ahead = bool(rows is not None and changes is not None and changes.reach is not None
                 and last.get("knowledge_stamp") == analysis.since and isinstance(groups, list))
    moved = ahead and bool(analysis.moved)
    edited = _changed_files(last, files) or set()
    analysed = ahead and not moved and statements is not None and len(changes.reach) <= REACH_MOST
    relist = drawn.get("state") != lists["state"]
    if (rows is None or (last.get("knowledge_stamp") != analysis.stamp and not (moved or analysed))
            or (relist and (statements is None or not isinstance(groups, list) or not isinstance(drawn.get("files"), dict)))
            or not isinstance(last.get("knowledge"), dict)):
        return None
    shown = last["knowledge"]
    affected = _affected(site, last, files, shown, linked, relisted)
    if affected is None:
        return None
    if moved or analysed:
        affected |= {p for p in map(site.page_of_doc, changes.reach) if p}
    from kg.publish import indexes
    from kg.publish.pages import entity_pages

    present = present_pages(previous)

    def kept(path: str) -> bool:  # drawn by an earlier build, and still there
        return bool((previous.get(path) or [None])[0]) and path in present

    passed: list[str] = []  # the concept and source pages nothing reaches, drawn and there: not even made
    # the tag pages as the last build drew them, while no file's entry in the lists changed (and that
    # build warned of nothing: a tag page left alone for a file kg did not write is tried again)
    tagged = [path for path in previous if path.startswith(urls.TAG_FOLDER)]
    tags_kept = not relist and bool(last.get("state")) and all(map(kept, tagged))
    pages = [*entity_pages(site, lambda path: path in affected or not kept(path), passed, tagged if tags_kept else None),
             indexes.graph_page(site)]
    lists_shown, listing = [], set()  # the lists that may show the changes, and the files their claims index pages hold
    now = groups
    if statements is not None and isinstance(groups, list):  # the claims index paged again from the counts it shows
        if analysed:  # the statements of the files whose claims changed counted again (a concept gone or
            again = edited | changes.docs  # renamed changes what other files' claims name, and which are claims)
            counted = rows.statements(sorted(p for p in again if p in site.kb.infos))
            statements = {d: n for d, n in {**statements, **{d: counted.get(d, 0) for d in again}}.items() if n}
        site.__dict__["statements"] = statements
        order = [d for docs in groups for d in docs]  # in the order they were shown, while it stands
        now = indexes.claim_groups(site, order if not relist and set(order) == statements.keys() else None)
    if analysed or relist:  # what the home page counts of the knowledge, from the rows
        contested, kinds = rows.lists()
        site.__dict__["contested"] = Counter({site.kb.concept_by_doc[d]: n for d, n in contested.items()
                                              if d not in site.kb.sources and site.kb.concept_by_doc.get(d)})
        site.__dict__["tension_kinds"] = Counter(kinds)
        lists_shown.append(indexes.list_page(site, "home"))
        counts = {d for d in statements.keys() | last["statements"].keys() if statements.get(d) != last["statements"].get(d)}
        if relist or any(d not in site.kb.sources for d in counts):  # a note's count of claims changed
            lists_shown.append(indexes.list_page(site, "concepts"))
        if relist or any(d in site.kb.sources for d in counts):  # a source's
            lists_shown.append(indexes.list_page(site, "sources"))
        if relist:  # and the tag pages, which list their files by title
            lists_shown += [indexes.list_page(site, "tags"), *(p for p in pages if p.always and p.path != urls.GRAPH)]
    shows = set(analysis.moved) if moved else changes.reach if analysed else set()
    entries = set(analysis.moved) if moved else (changes.listed or set()) if analysed else set()
    for n, docs in enumerate(now, 1):  # (a page whose files' entries are as they were is drawn as it was)
        if (n == 1 and analysed) or len(now) != len(groups) or docs != groups[n - 1] \
                or not entries.isdisjoint(docs) or not relisted.isdisjoint(docs):
            lists_shown.append(indexes.claims_page(site, docs, n, len(now)))
            listing.update(docs)
    unlisted = {d for docs in now for d in docs} - listing  # (the files of the claims pages drawn as they were)
    # the tensions and questions pages name each side's and question's file by its title
    in_tensions, with_questions = rows.listed_in(relisted) if relisted else (False, False)
    every_tension = bool(changes and changes.tensions) and (moved or analysed) or in_tensions
    questions = bool(changes and changes.questions) and (moved or analysed) or with_questions
    paged = _tension_pages(site, rows, last.get("tension_paging"), every_tension,
                           set(changes.tensions) if changes and (moved or analysed) else set(), relisted)
    if paged is None:
        return None
    if paged and site.tension_paging[1] != last["tension_paging"][1] and not any(p.path == urls.HOME for p in lists_shown):
        return _planned_whole(site)  # (the home page links each kind to the page it starts on: not counted here)
    lists_shown += indexes.tensions_pages(site, paged)
    lists_shown += [indexes.list_page(site, "questions")] if questions else []
    planned = {id(p) for p in pages}  # (the tag pages are entity pages already)
    pages += [p for p in lists_shown if id(p) not in planned]
    list_paths = {p.path for p in indexes.index_pages(site, now)}
    listed = (set(previous) & list_paths) - {p.path for p in pages}
    # (a tensions page new to the site shows the tensions read for it)
    if any(p.path not in previous and p.template not in ("tensions.html", "tensions.json") for p in lists_shown) \
            or not all(previous[p][0] and p in present for p in listed):
        return _planned_whole(site)  # a list new, or one that failed or is gone: only the whole knowledge draws it
    # a page new, one a preview drew (kg serve's first look at a save: no key), or one gone from the folder: drawn
    again = {p.path for p in pages if not (previous.get(p.path) or [None])[0] or p.path not in present}
    shown_lists = {id(p) for p in lists_shown}
    reached = [p for p in pages if (p.path in affected and not p.always) or p.path in again or id(p) in shown_lists]
    idents = {p.ident for p in reached if p.ident}
    if len(idents) > REACH_MOST:  # (the pages whose knowledge is read: a tag page's is not)
        return _planned_whole(site)
    docs = {d for d in (site.kb.concepts[i].doc if i in site.kb.concepts else site.kb.source_ids.get(i)
                        for i in idents) if d}
    # the claims index groups of the files whose statements show as they did, as they were drawn: their
    # claims are not read (kg.publish.fragments)
    again = entries | edited | relisted
    wanted = {d: k for d in listing - again
              if (k := indexes.group_key(site, d, (shown.get(d) or "").partition(":")[2] or None)) is not None}
    site.kept_groups = fragments.Kept(cache_dir).get(wanted)
    listing -= site.kept_groups.keys()
    groups_now = site.tension_paging[0]
    on_pages = {tid for n in paged for tid in groups_now[n - 1]}
    knowledge = site.__dict__["knowledge"] = rows.pages(site.kb, idents, docs, listing, on_pages, questions)
    if on_pages:  # the tensions pages link each side to where it is shown
        keys = {(side.id, side.doc) for t in knowledge.tensions if t.id in on_pages for side in (t.a, t.b) if side}
        site.sides = rows.places(keys - set(site.claim_by_key))
    if moved or analysed:  # what the reached pages show of the knowledge now (the claims index pages are keyed by it)
        shown = site.digests_since(shown, last.get("knowledge_stamp"))
        before = last["knowledge"]
        if any(shown.get(d, "").partition(":")[2] != before.get(d, "").partition(":")[2]
               for d in (shows - entries) & unlisted):
            return _planned_whole(site)  # (an entry of a claims page not drawn changed: `Changed.listed` missed it)
    return _Quiet(pages, shown, {p.path for p in reached} | {urls.GRAPH}, now, statements, list_paths, passed, present)


def _tension_pages(site: Site, rows, last: list | None, changed: bool, keys: set[str],
                   relisted: set[str]) -> set[int] | None:
    """The numbers of the tensions pages that may show a change, with `site.tension_paging` (and,
    when the tensions `changed`, `site.tension_kinds`) set from the rows: none while no tension
    changed (the pages as the last build paged them); else those whose tensions are not the same
    ones now, those holding a tension that touches one of these claim ids or subjects (`keys`) or a
    claim of a file `relisted`, and those a kind starts on (they count it). None when the manifest
    has no paging (a site drawn before the tensions were paged)."""
    from kg.publish import indexes

    if not (isinstance(last, list) and len(last) == 3 and isinstance(last[0], list) and isinstance(last[1], dict)
            and isinstance(last[2], dict)):
        return None
    if not changed:
        site.__dict__["tension_paging"] = (last[0], last[1])
        site.__dict__.setdefault("tension_kinds", Counter(last[2]))  # (the rows' count, when read for the home page)
        return set()
    order, touched = rows.tension_order(keys, relisted)
    groups, starts = site.__dict__["tension_paging"] = indexes.tension_paging(order)
    counts = site.__dict__["tension_kinds"] = Counter(kind for _, kind, _ in order)
    return {n for n, ids in enumerate(groups, 1)
            if len(groups) != len(last[0]) or ids != last[0][n - 1] or not touched.isdisjoint(ids)} | \
        {n for kind, n in starts.items() if last[1].get(kind) != n or last[2].get(kind) != counts[kind]}


def _planned_whole(site: Site) -> None:
    """None, for the site to be planned with the whole knowledge after all: what `_kept_knowledge`
    set from the manifest and the rows (the claim counts, the home page's counts, what the reached
    pages show) goes, for the whole knowledge to say it."""
    for name in KNOWLEDGE_VIEWS:
        site.__dict__.pop(name, None)
    site.kept_groups, site.sides = {}, {}


def _state(site: Site, files: dict[str, str]) -> str:
    """Everything the site is drawn from, as one hash: the files, the names, the settings, the
    knowledge stage's result with the review decisions (its stamp), the files linked."""
    kb = site.kb
    stamp = site.analysis.stamp if site.analysis else None
    text = orjson.dumps([files, kb.names, site.title, site.base_url, stamp, sorted(kb.files)], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _links_out(site: Site, last: dict, files: dict[str, str]) -> dict[str, list[str]]:
    """Each file's link targets, as pages: what its page's neighbours were at this build. With the
    names of the last build, an unchanged file's are the last build's (a file's links depend on it
    alone then: `_affected`), and with other names, those of a file whose links' digest is the last
    build's; paging a 10k vault's 70k links took 0.15 s of an edit."""
    same = bool(site.kb.names) and last.get("names") == site.kb.names
    changed = _changed_files(last, files)
    linked = last.get("link_digests")
    if not same and changed is not None and isinstance(linked, dict) and site.kb.names:
        # the names changed: a file whose links are as they were (their digest) links the same pages
        changed |= {p for p, digest in site.kb.link_digests.items() if linked.get(p) != digest}
        same = True
    before = (last.get("links") or {}) if same and changed is not None else {}
    out: dict[str, list[str]] = {}
    for doc in sorted(site.kb.resolved):  # (a file that links no page is kept too, with none: the
        if doc in before and doc not in changed:  # links of 990 such files were read on every edit)
            out[doc] = before[doc]
        else:
            out[doc] = sorted(p for p in {site.href_page(r) for r in site.outgoing.get(doc, [])} if p)
    return out


def _relisted(lists: dict, last: dict) -> set[str]:
    """The files whose entries in the lists changed since the last build (`_lists_state`: their
    title, aliases, tags, ..., or they are new or gone)."""
    drawn = last.get("lists") if isinstance(last.get("lists"), dict) else {}
    before = drawn.get("files") if isinstance(drawn.get("files"), dict) else {}
    if drawn.get("state") == lists["state"]:
        return set()
    return {p for p in lists["files"].keys() | before.keys() if lists["files"].get(p) != before.get(p)}


def _affected(site: Site, last: dict, files: dict[str, str], shown: dict[str, str],
              linked: dict[str, str], relisted: set[str] = frozenset()) -> set[str] | None:
    """The pages whose inputs may have changed since the last build, when that can be told from
    which files changed; None when every page must be checked (first build, other settings, claims).

    With the same names (paths, titles, aliases, files), a file's links depend on it alone, so an
    edit reaches only: its page, the pages it links to now or linked to before, the pages that link
    to it (which also covers a link that finds a heading or block of the edited file, or no longer
    does), and (through embeds) the pages that show it. When the names changed (a file made,
    deleted or renamed, a title or alias changed), a file whose links now resolve otherwise
    (`linked`: KnowledgeBase.link_digests against the last build's) counts as changed, as a file
    edited does, and so does a file that links one whose entry in the lists changed (`relisted`: a
    page that shows its paragraph shows the new title); the pages that show one of that file's
    claims, or a tension it is in, are reached too (kg.claims.store.SettledRows.showing) (at 10k notes, making a note planned every page again: 12.6 s of a 24.6 s build).
    What the knowledge stage shows on a page is hashed per file (`shown`: `Site.digests_since`): a
    file whose hash changed counts as changed. Index and tag pages (`Page.always`) are always checked."""
    if (not last.get("files") or not site.kb.names
            or last.get("settings") != [site.title, site.base_url] or last.get("claims") != (site.analysis is not None)):
        return None
    changed = _changed_files(last, files)
    showing: set[str] = set()  # pages that show a retitled file's claims (found from the settled rows)
    shown_before = last.get("knowledge", {})
    changed |= {p for p in set(shown) | set(shown_before) if shown.get(p) != shown_before.get(p)}
    if last.get("names") != site.kb.names:  # a file made, deleted or retitled: the files whose links
        before = last.get("link_digests")  # point elsewhere now (`linked`) count as changed
        if not before:
            return None
        changed |= {p for p, digest in linked.items() if before.get(p) != digest}
        for doc in relisted:  # a file retitled: the paragraphs that link it show its new title where they are shown
            holder = site.holder.get(doc)
            changed |= site.linking_files(holder[1]) if holder else set()
        retitled = {p for p in relisted if p in site.kb.infos and p in last.get("files", {})}
        rows = site.analysis.settled_rows() if site.analysis is not None else None
        if retitled and rows is not None:  # and so do the pages that show one of its claims, or a tension it is in
            showing = {p for p in map(site.page_of_doc, rows.showing(site.kb, retitled)) if p}
    embedders: dict[str, set[str]] = {}
    for doc, embeds in site.kb.embeds.items():  # (the links that embed a file, as the read kept them)
        for target, _, _ in embeds:
            embedders.setdefault(target, set()).add(doc)
    reach, stack = set(changed), list(changed)
    while stack:
        for doc in embedders.get(stack.pop(), ()):
            if doc not in reach:
                reach.add(doc)
                stack.append(doc)
    pages: set[str] = set(showing)
    old_links = last.get("links", {})
    for doc in reach:
        pages.update(old_links.get(doc, []))
        own = site.page_of_doc(doc)
        if own:
            pages.add(own)
        pages.update(p for p in (site.href_page(r) for r in site.outgoing.get(doc, [])) if p)
        holder = site.holder.get(doc)
        if holder:
            pages.update(p for p in map(site.page_of_doc, site.linking_files(holder[1])) if p)  # (links not decoded)
    return pages


def _asset_paths(out: Path, owned: set[str]) -> set[str]:
    """kg's assets in the site folder that are kg's to write."""
    paths = {f"assets/{src.name}" for src in (HERE / "assets").iterdir() if src.is_file()}
    return {path for path in paths if not _foreign(out, path, owned) or _same(out / path, (HERE / path).read_bytes())}


def _same(target: Path, data: Bytes | Sequence[Bytes]) -> bool:
    """Whether `target` is a file (not a link) that holds `data`: read a megabyte at a time, so that
    a large file (the meaning search's 90 MB at 10k notes) is not held twice at once. Each piece is
    compared as bytes with bytes (one memcmp): bytes against a memoryview compare item by item,
    0.16-0.40 s of that 90 MB file against 0.02 s."""
    parts, step = _parts(data), 1 << 20
    try:
        if not target.is_file() or target.is_symlink() or target.stat().st_size != sum(p.nbytes for p in parts):
            return False
        with target.open("rb") as f:
            return all(f.read(len(piece)) == piece.tobytes() for part in parts
                       for piece in (part[at:at + step] for at in range(0, part.nbytes, step)))
    except OSError:
        return False


def place(out: Path, path: str, data: Bytes | Sequence[Bytes], owned: set[str], warnings: list[str], without: str) -> str | None:
    """Write one file of kg's own (not a page) where its bytes changed, never over a file kg did
    not write. Returns "same", "written", or None when it was not written (the warning says why
    and what the site does `without` it)."""
    target = out / path
    if _same(target, data):
        return "same"
    if _foreign(out, path, owned):
        warnings.append(_left_alone(out, path))
        return None
    try:
        _put(target, data)
    except OSError as exc:
        warnings.append(f"{path}: kg could not write this file ({exc.strerror or exc}); {without}")
        return None
    return "written"


def _copy_assets(out: Path, owned: set[str], warnings: list[str]) -> int:
    """Write kg's stylesheet, script and icon where they changed; returns how many were written."""
    copied = 0
    for src in sorted((HERE / "assets").iterdir()):
        if src.is_file():
            done = place(out, f"assets/{src.name}", src.read_bytes(), owned, warnings, "the pages look plain without it")
            copied += done == "written"
    return copied


def _copy_attachments(site: Site, out: Path, docs: set[str], owned: set[str],
                      warnings: list[str]) -> tuple[int, set[str]]:
    """Copy the files pages link (images, PDFs) into site/files/ where they changed; returns how many
    were copied and the site paths that are kg's copies. A file that is a link to one outside the
    vault is not copied unless [vault] follow_outside_links says so."""
    copied, kept = 0, set()
    for doc in sorted(docs):
        src, path = site.kb.disk_path(doc), urls.file_path(doc)
        target = out / path
        try:
            if not src.is_file():
                continue
            if site.outside(src):
                warnings.append(f"{doc}: this is a link to a file outside the vault; it was not copied into the site "
                                "(set `follow_outside_links = true` under [vault] in kg.toml to publish it)")
                continue
            if _foreign(out, path, owned) and not _same(target, src.read_bytes()):
                warnings.append(_left_alone(out, path))
                continue
            kept.add(path)
            if not target.is_file() or target.stat().st_size != src.stat().st_size \
                    or target.stat().st_mtime < src.stat().st_mtime:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                shutil.copy2(src, tmp)  # then renamed: a link standing at the target is replaced, not followed
                os.replace(tmp, target)
                copied += 1
        except OSError as exc:
            warnings.append(f"{path}: kg could not copy {doc} here ({exc.strerror or exc}); "
                            "the pages that show it link a missing file")
    return copied, kept


def _remove_stale(out: Path, previous: dict, manifest: dict) -> list[str]:
    """Delete the pages an earlier build wrote that no longer exist (a deleted note's page)."""
    removed = []
    for path in previous:
        if path not in manifest:
            try:
                (out / path).unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def finish_search(site: Site, out: Path, cache_dir: Path) -> str | None:
    """What a publish with search=False left for later (kg serve reloads the page first): the
    meaning search files and the Pagefind shards of the pages written since. Returns what went
    wrong in one message, or None. Hold the cache lock: it reads and writes the cache."""
    from kg.publish import semantic

    manifest_path = cache_dir / MANIFEST
    last = _load_manifest(manifest_path, code_version(), out)
    problems: list[str] = []
    pending = set(last.get("search_pending", []))
    indexing = _meanwhile(lambda: shards.update(out, last.get("searchable", []), pending, later=cache_dir)) \
        if pending or not (out / "pagefind").is_dir() else None
    if last.get("meaning_pending"):
        site.let_knowledge_go()
        meaning = semantic.publish(site, out, cache_dir, _owned(last), problems, _drawn(last.get("pages", {})))
        stale = {semantic.TABLE, semantic.VAULT} - meaning
        last["written"] = sorted((set(last.get("written", [])) - stale) | meaning)
        last["meaning_pending"] = False
    if indexing:
        (error, _), _ = indexing()
        if error:
            problems.append(error)
        else:
            last["search_pending"] = []
        _flush_later(out, cache_dir, error)
    if last:
        tmp = manifest_path.with_name(f".{MANIFEST}.search.tmp")
        tmp.write_bytes(orjson.dumps(last))
        os.replace(tmp, manifest_path)
    return "; ".join(problems) or None
