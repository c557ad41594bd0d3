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
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
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


def update(out: Path, searchable: list[str], changed: set[str]) -> tuple[str | None, int]:
    """Bring the search index of the site in `out` up to date: `searchable` are the paths of the
    pages Pagefind indexes, `changed` those written or removed by this build. Returns (an error
    message or None, how many shards were indexed again).

    An edit's pages go to the recent index (RECENT: the pages written or removed since their
    shards were indexed, with their stale copies listed in COUNT_FILE for the site's script to
    drop), not to their shards; once that holds more than RECENT_MAX pages, or the number of shards
    changes, the shards of its pages are indexed again and it empties."""
    count = shard_count(len(searchable))
    known, stale = _state(out)
    for place in [*(folder(out, shard) for shard in range(count)), out / RECENT]:
        if not ours(place):
            return (f"{place} holds files that Pagefind did not write, so kg left it alone and the "
                    "site has no search; move it away to get search"), 0
    built = known == count and all((folder(out, s) / "pagefind-entry.json").is_file() for s in range(count))
    recent = sorted(set(stale) | changed)
    if built and len(recent) <= RECENT_MAX:
        live = set(searchable)
        pages = [p for p in recent if p in live]
        if pages and (changed or not (out / RECENT / "pagefind-entry.json").is_file()):
            error = _index(out, pages, out / RECENT, marked=True)
            if error:
                return error, 0
        _write_state(out, count, recent, bool(pages))
        if not pages:  # (only pages removed: no recent index, their stale copies listed)
            shutil.rmtree(out / RECENT, ignore_errors=True)
        return None, 0
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
    return None, len(todo)


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
    tag = f"{os.getpid()}-{target.name}"
    fresh, old, staged = out / f".pagefind-new-{tag}", out / f".pagefind-old-{tag}", out / f".pagefind-pages-{tag}"
    for leftover in (fresh, staged):
        shutil.rmtree(leftover, ignore_errors=True)
    site = out
    if pages is not None:  # a shard or the recent index: a folder of its pages, hard links to them (a copy
        if not marked:  # where links cannot be made); a shard's new folder seeded with the last one's
            _seed(target, fresh)  # fragments (a site of one index is small: it starts empty)
        site = staged
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
    try:
        done = subprocess.run([*_pagefind(), "--site", str(site), "--output-path", str(fresh), "--quiet"],
                              capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Pagefind could not run ({exc}); the site has no search"
    finally:
        if pages is not None:
            shutil.rmtree(staged, ignore_errors=True)
    if done.returncode != 0 or not (fresh / "pagefind-entry.json").is_file():
        shutil.rmtree(fresh, ignore_errors=True)
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        return f"Pagefind failed ({last[0]}); the site has no search"
    if target.is_dir():
        target.replace(old)
    fresh.replace(target)
    shutil.rmtree(old, ignore_errors=True)
    return None
