"""The site's keyword search index (Pagefind), in shards, with a small recent index for edits.

Pagefind has no incremental mode: it reads every page again, 13.5 s for SciFact's 5,211 pages on
2 cores, whatever one edit changed. So a large site's searchable pages (concepts, sources, tags:
the pages that carry `data-pagefind-body`) are split by a hash of their path into SHARDS, each its
own Pagefind index: `pagefind/` (the first, with Pagefind's script) and `pagefind-1/` ...; the
site's script merges them when a reader searches (Pagefind's `mergeIndex`). A site of fewer
than SHARD_FROM searchable pages is one index, as Pagefind makes it.

An edit's pages go to `pagefind-recent/`, an index of the pages written or removed since their
shards were indexed, and their stale copies in the shards are listed for the site's script to
drop (`update`): a SciFact edit's shard of 330 pages took Pagefind 0.32 s, its recent index of a
few pages 0.01-0.05 s. Once the recent index is full, the shards of its pages are indexed again,
each from a folder of hard links to its pages, written into a fresh folder that then takes the
old one's place. `pagefind-shards.json` says how many shards there are and what is recent.

A build (kg.publish.writer) does not wait for that: re-indexing the 31 shards of a 10k vault's
recent pages took 17.8 s, one save in every 5-20. It keeps adding to the recent index, up to
RECENT_LATER times RECENT_MAX pages, and leaves the shards to a process of its own (`flush_later`,
`flush`), which indexes them from the pages as they were when it began, without holding the
cache, then swaps them in; the pages written since it began stay in the recent index (`Book`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kg.cache import save_atomic

SHARD_FROM = 1500
"""Searchable pages from which the index is split (below, one Pagefind run costs about 4 s)."""
SHARD_PAGES = 350
"""About this many pages per shard; the number of shards is a power of two (so it rarely changes).
Smaller shards index faster (Pagefind's time is about linear in a shard's pages: an edit's SciFact
shard of 82 pages took 0.12 s where one of 330 takes 0.32 s) but cost the reader: a search of the
SciFact site in Chromium fetched 276 Pagefind files and showed its first results after 2.2-2.7 s
with 64 shards, against 79 files and 1.2 s with 16, on a local server."""
MAX_SHARDS = 32
"""Reader against writer again: the 10k vault's 13,000 searchable pages in 64 shards (of about 200)
made a first search in Chromium fetch 276 files and answer after 2.7-3.0 s, in 32 (of about 410)
148 files and 1.8-1.9 s, in 16 85 files and 1.6 s; an edit's shards took Pagefind 0.45, 0.73 and
1.65 s (on the other core, beside the meaning search files: the edit's site stage went from
2.0-2.2 s to 2.35-2.54 s with 32)."""
COUNT_FILE = "pagefind-shards.json"


def shard_count(pages: int) -> int:
    if pages < SHARD_FROM:
        return 1
    count = 2
    while count * SHARD_PAGES < pages and count < MAX_SHARDS:
        count *= 2
    return count


def shard_of(path: str, count: int) -> int:
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=4).digest(), "big") % count


def folder(out: Path, shard: int) -> Path:
    return out / ("pagefind" if shard == 0 else f"pagefind-{shard}")


def ours(path: Path) -> bool:
    """A Pagefind folder kg may replace: absent, empty, or Pagefind's output (not a link)."""
    if not os.path.lexists(path):
        return True
    return path.is_dir() and not path.is_symlink() and (
        not any(path.iterdir()) or (path / "pagefind-entry.json").is_file())


RECENT = "pagefind-recent"
"""The small index of the pages an edit wrote since their shards were last indexed (`update`)."""
RECENT_MAX = 100
"""Pages the recent index holds at most: past it, the shards of its pages are indexed again and it
empties. Pagefind's time is a fixed 0.01 s and about 1 ms a page, so an edit's recent index costs
0.01-0.1 s where its shard (SHARD_PAGES pages) cost 0.32 s, and a SciFact edit's two or three
searchable pages fill it in 30-50 edits."""
RECENT_LATER = 4
"""A build that leaves the shards to a process of its own (`flush_later`) lets the recent index grow
to this many times RECENT_MAX before it indexes them itself: the process may not have run yet."""
RECENT_META = "kg-layer"
"""The Pagefind metadata that marks a result as the recent index's: the site's script drops a
result of another index for a page the recent index holds or that is gone (`recent` in COUNT_FILE)."""


def _state(out: Path) -> tuple[int | None, list[str]]:
    """What COUNT_FILE says: the number of shards, and the pages the shards hold a stale copy of."""
    try:
        data = json.loads((out / COUNT_FILE).read_text(encoding="utf-8"))
        return data.get("shards"), [p for p in data.get("recent", []) if isinstance(p, str)]
    except (OSError, ValueError, AttributeError):
        return None, []


def update(out: Path, searchable: list[str], changed: set[str], later: Path | None = None) -> tuple[str | None, int]:
    """Bring the search index of the site in `out` up to date: `searchable` are the paths of the
    pages Pagefind indexes, `changed` those written or removed by this build. Returns (an error
    message or None, how many shards were indexed again).

    An edit's pages go to the recent index (RECENT: the pages written or removed since their
    shards were indexed, with their stale copies listed in COUNT_FILE for the site's script to
    drop), not to their shards; once that holds more than RECENT_MAX pages, or the number of shards
    changes, the shards of its pages are indexed again and it empties. With `later` (the cache
    folder, which keeps the `Book`), the shards are left to `flush` while the recent index holds
    at most RECENT_LATER times RECENT_MAX pages (`wants_flush` then says so)."""
    count = shard_count(len(searchable))
    known, stale = _state(out)
    for place in [*(folder(out, shard) for shard in range(count)), out / RECENT]:
        if not ours(place):
            return (f"{place} holds files that Pagefind did not write, so kg left it alone and the "
                    "site has no search; move it away to get search"), 0
    built = known == count and all((folder(out, s) / "pagefind-entry.json").is_file() for s in range(count))
    recent = sorted(set(stale) | changed)
    book = Book.read(later) if later is not None else None
    if book is not None:
        book.wrote(changed)
    if built and len(recent) <= RECENT_MAX * (RECENT_LATER if book is not None else 1):
        live = set(searchable)
        pages = [p for p in recent if p in live]
        if pages and (changed or not (out / RECENT / "pagefind-entry.json").is_file()):
            error = _index(out, pages, out / RECENT, marked=True)
            if error:
                return error, 0
        _write_state(out, count, recent, bool(pages))
        if not pages:  # (only pages removed: no recent index, their stale copies listed)
            shutil.rmtree(out / RECENT, ignore_errors=True)
        if book is not None:
            book.save()
        return None, 0
    _sweep(out)
    if count == 1:
        todo = [0]
    else:
        todo = sorted({shard_of(p, count) for p in recent} if built else range(count))
        todo = [s for s in range(count) if s in todo or not (folder(out, s) / "pagefind-entry.json").is_file()]
    members: dict[int, list[str]] = {s: [] for s in todo}
    for path in searchable:
        shard = shard_of(path, count) if count > 1 else 0
        if shard in members:
            members[shard].append(path)
    # several shards at once (a cold build indexes them all): Pagefind leaves cores idle while it
    # reads and writes files
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 1))) as pool:
        errors = list(pool.map(lambda shard: _index(out, None if count == 1 else members[shard], folder(out, shard)),
                               todo))
    failed = [e for e in errors if e]
    if failed:
        return failed[0], len(todo) - len(failed)
    if known != count:
        for extra in range(count, MAX_SHARDS):  # fewer shards than before: drop the rest
            if ours(folder(out, extra)) and folder(out, extra).is_dir():
                shutil.rmtree(folder(out, extra), ignore_errors=True)
    _write_state(out, count, [], False)  # (the state first: a reader told of no recent index asks for none)
    shutil.rmtree(out / RECENT, ignore_errors=True)
    if book is not None:
        book.flushed(set(recent))
    return None, len(todo)


def wants_flush(out: Path) -> bool:
    """Whether the recent index of the site in `out` holds more than RECENT_MAX pages: their shards
    are to be indexed again (`flush_later`)."""
    count, recent = _state(out)
    return count is not None and len(recent) > RECENT_MAX


BOOK = "search-recent.json"


@dataclass
class Book:
    """What `flush` needs that neither the site nor the site's manifest says, kept in the cache
    folder (`BOOK`): when each recent page was last written, as a count of the builds that wrote
    pages (`at`, `gen`), so that a page written again while a flush indexed its shard stays recent;
    and how many times the shards were indexed again (`flushes`: a flush whose shards another one
    replaced meanwhile drops its own)."""

    folder: Path
    gen: int = 0
    at: dict[str, int] = field(default_factory=dict)
    flushes: int = 0

    @classmethod
    def read(cls, folder: Path) -> Book:
        try:
            data = json.loads((Path(folder) / BOOK).read_text(encoding="utf-8"))
            return cls(Path(folder), int(data["gen"]), {str(k): int(v) for k, v in data["at"].items()},
                       int(data["flushes"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(Path(folder))

    def wrote(self, changed: set[str]) -> None:
        if changed:
            self.gen += 1
            self.at.update((page, self.gen) for page in changed)

    def flushed(self, pages: set[str]) -> None:
        """The shards of `pages` were indexed again: they are no longer recent."""
        self.flushes += 1
        self.at = {page: gen for page, gen in self.at.items() if page not in pages}
        self.save()

    def save(self) -> None:
        data = json.dumps({"gen": self.gen, "at": self.at, "flushes": self.flushes})
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        save_atomic(Path(self.folder) / BOOK, lambda f: f.write(data.encode()))


def flush_later(out: Path, cache: Path, manifest: Path) -> subprocess.Popen | None:
    """Start `flush` of the site in `out` in a process of its own, which outlives the build: it
    waits for the cache lock the build holds, so it starts once the build is over. None when it
    could not be started (the next build's recent index grows, and past RECENT_LATER times
    RECENT_MAX that build indexes the shards itself)."""
    here = str(Path(__file__).resolve().parents[2])  # (the folder of this kg, which the process imports)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
    code = "import sys; from kg.publish.shards import main; main(sys.argv[1:])"
    try:
        return subprocess.Popen([sys.executable, "-c", code, str(out), str(cache), str(manifest)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    except OSError:
        return None


def main(argv: list[str]) -> None:
    """`flush_later`'s process: it and its Pagefind runs take only what the machine leaves idle
    (Linux's SCHED_IDLE; else the lowest priority), and `flush` waits for each build; one at a time
    per cache folder."""
    import fcntl

    out, cache, manifest = Path(argv[0]), Path(argv[1]), Path(argv[2])
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        try:
            os.nice(19)
        except OSError:
            pass
    fd = os.open(Path(cache) / "search-flush.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another is at work: it flushes what this one would
    try:
        flush(out, cache, manifest)
    finally:
        os.close(fd)


def searchable_in(manifest: Path) -> list[str]:
    """The pages Pagefind indexes, as the site's manifest (kg.publish.writer.MANIFEST) lists them."""
    import orjson

    try:
        found = orjson.loads(Path(manifest).read_bytes()).get("searchable", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [p for p in found if isinstance(p, str)] if isinstance(found, list) else []


def flush(out: Path, cache: Path, manifest: Path) -> str | None:
    """Index again the shards of the recent pages of the site in `out` (the cache in `cache`, the
    site's manifest `manifest`, which lists the pages Pagefind indexes: `searchable_in`): the
    pages as they are when it begins (what is recent, and since when, read holding the cache
    lock), linked into a folder per shard and indexed without it, then swapped in holding it
    again. The pages written since it began stay in the recent index, which is made again with
    them alone. Nothing is swapped when the shards changed meanwhile (a build indexed them
    itself). Returns an error message or None."""
    from kg.lock import cache_lock

    quiet = lambda message: None  # noqa: E731 (no terminal: it waits its turn without a word)
    with cache_lock(cache, waiting=quiet):
        count, recent = _state(out)
        book = Book.read(cache)
        if not count or not recent or not all((folder(out, s) / "pagefind-entry.json").is_file() for s in range(count)):
            return None
        begun, flushes = book.gen, book.flushes
        searchable = searchable_in(manifest)
        if not searchable:  # (no manifest: the next build indexes what it must)
            return None
        _sweep(out)
        todo = sorted({shard_of(p, count) for p in recent}) if count > 1 else [0]
        members: dict[int, list[str]] = {s: [] for s in todo}
        for path in searchable:
            shard = shard_of(path, count) if count > 1 else 0
            if shard in members:
                members[shard].append(path)
    # the pages linked after `begun` was read: one written since is written after it, so stays recent
    staged: dict[int, tuple[Path, Path]] = {}
    made: dict[int, Path] = {}
    try:
        for s in todo:
            # one shard at a time, each once no build is at work: Pagefind running beside a 10k edit
            # made the edit 1.1-1.3 s slower, even at idle priority
            with cache_lock(cache, waiting=quiet):
                pass
            staged[s] = _stage(out, members[s], folder(out, s))
            error = _pagefind_run(*staged[s])
            if error:
                return error
            made[s] = staged[s][1]
        with cache_lock(cache, waiting=quiet):
            now, recent = _state(out)
            book = Book.read(cache)
            if now != count or book.flushes != flushes:
                return None  # (the shards were indexed again meanwhile: these are older)
            for s in todo:
                _swap(folder(out, s), made.pop(s))
            left = [p for p in recent if book.at.get(p, 0) > begun]  # (one not in it: listed by a kg before it)
            live = set(searchable_in(manifest))
            pages = [p for p in left if p in live]
            _write_state(out, count, left, bool(pages))  # (first: a reader told of no recent index asks for none)
            error = _index(out, pages, out / RECENT, marked=True) if pages else None
            if not pages:
                shutil.rmtree(out / RECENT, ignore_errors=True)
            book.flushed(set(recent) - set(left))
            return error
    finally:  # (a fresh folder swapped in is no longer there)
        for pages_folder, fresh in staged.values():
            shutil.rmtree(pages_folder, ignore_errors=True)
            shutil.rmtree(fresh, ignore_errors=True)


def _write_state(out: Path, count: int, recent: list[str], indexed: bool) -> None:
    """COUNT_FILE, which the site's script reads: the shards, the pages whose copies in them are
    stale, and whether the recent index exists."""
    state = json.dumps({"shards": count, "recent": recent, "recent_index": indexed}).encode()
    save_atomic(out / COUNT_FILE, lambda f: f.write(state))


STALE_SHARE = 0.25
"""A shard is indexed into an empty folder, dropping the fragments no page uses any more, once
they pass this share of its pages (`_seed`)."""


def _seed(target: Path, fresh: Path) -> None:
    """Start the new index of a shard (of a site in shards) with hard links to the last one's page
    fragments, which Pagefind names by a hash of their content and so does not make and compress
    again: a SciFact shard of 352 pages took it 0.39-0.41 s into an empty folder and 0.30 s so
    seeded, for the same files (its index chunks, a few files that change with most edits, it
    writes anew). It leaves alone the fragments no page uses any more (an edited page's old one);
    once they pass STALE_SHARE of the shard's pages, the shard starts from an empty folder and they
    go. Nothing is seeded where hard links cannot be made."""
    try:
        entry = json.loads((target / "pagefind-entry.json").read_text(encoding="utf-8"))
        pages = sum(int(lang.get("page_count", 0)) for lang in entry.get("languages", {}).values())
        folder = target / "fragment"
        if folder.is_symlink():  # (not Pagefind's: what it points at is not the site's to publish)
            return
        fragments = list(folder.iterdir())
    except (OSError, ValueError, AttributeError, TypeError):
        return
    if len(fragments) - pages > STALE_SHARE * max(pages, 8):
        return
    try:
        (fresh / "fragment").mkdir(parents=True)
        for file in fragments:  # Pagefind's own files only: a link planted there would publish what it points at
            if not file.is_symlink() and file.is_file():
                os.link(file, fresh / "fragment" / file.name, follow_symlinks=False)
    except OSError:  # (no hard links here: an empty folder, as before)
        shutil.rmtree(fresh, ignore_errors=True)


@functools.cache
def _pagefind() -> list[str]:
    """The command that runs Pagefind: the binary its wheel carries (the extended one first, as
    Pagefind itself chooses), run directly (`python -m pagefind` starts an interpreter and asyncio
    only to exec it: 0.14 s of every indexed shard); else that module, which also honours
    PAGEFIND_BINARY_PATH and a pagefind on PATH."""
    if os.environ.get("PAGEFIND_BINARY_PATH") is None:
        import importlib

        for wheel in ("pagefind_bin_extended", "pagefind_bin"):
            try:
                binary = importlib.import_module(wheel).get_executable()
            except (ImportError, OSError):  # (FileNotFoundError: a wheel without its binary)
                continue
            if os.access(binary, os.X_OK):
                return [str(binary)]
    return [sys.executable, "-m", "pagefind"]


_MARK = f'<span hidden data-pagefind-meta="{RECENT_META}:recent"></span>'.encode()


def _index(out: Path, pages: list[str] | None, target: Path, marked: bool = False) -> str | None:
    """Run Pagefind over `pages` of the site (all of it when None) into `target`, replacing it
    whole: a fresh folder, seeded with the last one's fragments (`_seed`), takes the old one's
    place, so a reader never meets a half-written index. marked: the recent index, whose pages are
    copies that carry RECENT_META."""
    if pages is None:  # (a site of one index is small: it starts empty)
        site, fresh = out, _fresh(out, target)
    else:
        site, fresh = _stage(out, pages, target, marked)
    try:
        error = _pagefind_run(site, fresh)
    finally:
        if pages is not None:
            shutil.rmtree(site, ignore_errors=True)
    if error is None:
        _swap(target, fresh)
    return error


_RUNS = itertools.count()


_LEFT = re.compile(r"\.pagefind-(?:new|old|pages)-(\d+)-\d+-[\w-]+")
"""The name of a folder of one Pagefind run (`_tag`), with the process that made it."""


def _sweep(out: Path) -> None:
    """Remove the folders of Pagefind runs whose process is gone (a flush killed halfway): they are
    in the site's folder, and would be published with it."""
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        found = _LEFT.fullmatch(entry.name)
        if not found or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(entry.path, ignore_errors=True)
        except (OSError, OverflowError):  # (alive, another user's: left alone)
            pass


def _tag(target: Path) -> str:
    """A name for a folder of one Pagefind run into `target`, this process's alone (a flush and a
    build of one process, as in a test, may index one shard at once)."""
    return f"{os.getpid()}-{next(_RUNS)}-{target.name}"


def _fresh(out: Path, target: Path) -> Path:
    """The folder Pagefind writes `target`'s next index into, left empty."""
    fresh = out / f".pagefind-new-{_tag(target)}"
    shutil.rmtree(fresh, ignore_errors=True)
    return fresh


def _stage(out: Path, pages: list[str], target: Path, marked: bool = False) -> tuple[Path, Path]:
    """A folder of `pages` for Pagefind to read, hard links to them (a copy where links cannot be
    made), and the fresh folder it is to write `target`'s index into, seeded with the last one's
    fragments (`_seed`) for a shard. Marked: copies that carry RECENT_META (the recent index)."""
    staged = out / f".pagefind-pages-{_tag(target)}"
    shutil.rmtree(staged, ignore_errors=True)
    fresh = _fresh(out, target)
    if not marked:
        _seed(target, fresh)
    staged.mkdir(parents=True)
    for path in pages:
        if (out / path).is_symlink() or not (out / path).is_file():  # no longer the page kg wrote:
            continue  # what a link put there points at is not the site's to index
        dest = staged / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if marked:
            dest.write_bytes((out / path).read_bytes().replace(b"</body>", _MARK + b"</body>", 1))
            continue
        try:
            os.link(out / path, dest)
        except OSError:
            shutil.copyfile(out / path, dest)
    return staged, fresh


def _pagefind_run(site: Path, fresh: Path) -> str | None:
    """Pagefind over the pages in `site`, its index written into `fresh`; an error message or None."""
    try:
        done = subprocess.run([*_pagefind(), "--site", str(site), "--output-path", str(fresh), "--quiet"],
                              capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        return f"Pagefind could not run ({exc}); the site has no search"
    if done.returncode != 0 or not (fresh / "pagefind-entry.json").is_file():
        shutil.rmtree(fresh, ignore_errors=True)
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        return f"Pagefind failed ({last[0]}); the site has no search"
    return None


def _swap(target: Path, fresh: Path) -> None:
    """The index in `fresh` takes `target`'s place, the old one removed."""
    old = target.with_name(f".pagefind-old-{_tag(target)}")
    if target.is_dir():
        target.replace(old)
    fresh.replace(target)
    shutil.rmtree(old, ignore_errors=True)
