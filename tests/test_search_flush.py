"""A full recent search index is folded into its shards by a process of its own (kg.publish.shards
`flush`), not by the save that fills it: at 10k notes that save took 17.8 s more. Real Pagefind,
real pages on disk."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from kg.build import run
from kg.publish import shards
from kg.publish.writer import MANIFEST


@pytest.fixture
def small_shards(monkeypatch):
    """A site of a few pages split into shards as one of thousands is, whose recent index is full
    past one page."""
    monkeypatch.setattr(shards, "SHARD_FROM", 1)
    monkeypatch.setattr(shards, "SHARD_PAGES", 8)
    monkeypatch.setattr(shards, "RECENT_MAX", 1)


def _vault(folder: Path) -> Path:
    (folder / "notes").mkdir(parents=True)
    for n in range(14):
        (folder / "notes" / f"n{n}.md").write_text(f"# Note {n}\n\nNote {n} is about [[topic {n % 3}]].\n",
                                                   encoding="utf-8")
    return folder


def _site(tmp_path: Path) -> tuple[Path, Path, Path, list[str], int]:
    vault, cache = _vault(tmp_path / "vault"), tmp_path / "cache"
    run(vault, cache_dir=cache, site_dir=vault / "site", claims=False, knowledge=False)
    out = vault / "site"
    searchable = sorted(str(p.relative_to(out)) for p in out.rglob("*.html")
                        if "data-pagefind-body" in p.read_text(encoding="utf-8"))
    count = _state(out)["shards"]
    assert count >= 2 and _state(out)["recent"] == []
    return vault, cache, out, searchable, count


def _state(out: Path) -> dict:
    return json.loads((out / shards.COUNT_FILE).read_text(encoding="utf-8"))


def _indexed(index: Path) -> bytes:
    """The text of every page an index holds."""
    return b"".join(gzip.decompress(f.read_bytes()) for f in (index / "fragment").iterdir())


def _entry_times(out: Path, count: int) -> dict[int, int]:
    return {s: (shards.folder(out, s) / "pagefind-entry.json").stat().st_mtime_ns for s in range(count)}


def _rewrite(out: Path, page: str, word: str) -> None:
    """A page written again by a build, with a word it did not have."""
    path = out / page
    text = path.read_text(encoding="utf-8")
    body = text.index(">", text.index("data-pagefind-body")) + 1  # (the part Pagefind reads)
    path.with_name(path.name + ".tmp").write_text(f"{text[:body]}<p>{word}</p>{text[body:]}", encoding="utf-8")
    path.with_name(path.name + ".tmp").replace(path)


def _flush_while(monkeypatch, out: Path, cache: Path, build) -> None:
    """`shards.flush`, with `build()` run once while the flush's first Pagefind run is at work (the
    build's own Pagefind runs go on as they would)."""
    running = shards._pagefind_run
    pending = [build]

    def run(site: Path, fresh: Path):
        if pending:
            pending.pop()()
        return running(site, fresh)

    monkeypatch.setattr(shards, "_pagefind_run", run)
    assert shards.flush(out, cache, cache / MANIFEST) is None
    monkeypatch.setattr(shards, "_pagefind_run", running)


def test_a_save_that_fills_the_recent_index_leaves_its_shards_to_a_flush(tmp_path, small_shards, monkeypatch):
    """Past RECENT_MAX pages, a build that can leave the shards to a flush (`later`) keeps adding to
    the recent index and indexes no shard; the flush indexes the shards of the recent pages from the
    pages as they are, and the recent index empties. A page written again while the flush indexed
    its shard stays in the recent index with what it says now, and so does a page new since."""
    vault, cache, out, searchable, count = _site(tmp_path)
    first, second, third = searchable[0], searchable[1], searchable[2]
    times = _entry_times(out, count)
    for page, word in ((first, "quokka"), (second, "wombat")):
        _rewrite(out, page, word)
    assert shards.update(out, searchable, {first, second}, later=cache) == (None, 0)
    assert _entry_times(out, count) == times and _state(out)["recent"] == sorted({first, second})
    assert shards.wants_flush(out)
    assert b"quokka" in _indexed(out / shards.RECENT)

    def save():  # a save while the flush indexes its first shard
        _rewrite(out, first, "platypus")
        _rewrite(out, third, "echidna")
        assert shards.update(out, searchable, {first, third}, later=cache) == (None, 0)

    _flush_while(monkeypatch, out, cache, save)
    state = _state(out)
    assert state["recent"] == sorted({first, third}) and state["recent_index"]  # written since it began
    redone = {s for s, t in _entry_times(out, count).items() if t != times[s]}
    assert redone == {shards.shard_of(p, count) for p in (first, second)}  # the shards of the recent pages alone
    shard = shards.folder(out, shards.shard_of(second, count))
    assert b"wombat" in _indexed(shard)  # the page as it was when the flush began
    recent = _indexed(out / shards.RECENT)
    assert b"platypus" in recent and b"echidna" in recent and b"wombat" not in recent
    assert not list(out.glob(".pagefind-*"))  # nothing of the flush's own left in the site


def test_a_flush_whose_shards_a_build_indexed_meanwhile_keeps_the_build_s(tmp_path, small_shards, monkeypatch):
    """A build whose recent index passed RECENT_LATER times RECENT_MAX (the flush had not run)
    indexes the shards itself; a flush that was indexing older pages then swaps nothing in."""
    vault, cache, out, searchable, count = _site(tmp_path)
    shards.update(out, searchable, set(searchable[:2]), later=cache)
    many = set(searchable[:shards.RECENT_MAX * shards.RECENT_LATER + 1])

    def build():
        for page in sorted(many):
            _rewrite(out, page, "numbat")
        error, redone = shards.update(out, searchable, many, later=cache)
        assert error is None and redone >= 1  # past the limit: the build indexed them itself

    _flush_while(monkeypatch, out, cache, build)
    assert _state(out)["recent"] == []
    for page in searchable[:2]:
        assert b"numbat" in _indexed(shards.folder(out, shards.shard_of(page, count)))
    assert not list(out.glob(".pagefind-*"))


def test_a_build_starts_the_flush_in_a_process_of_its_own_once_it_lets_the_cache_go(tmp_path, small_shards,
                                                                                    monkeypatch):
    """The build returns with the recent index full; a process of its own, started by the build and
    waiting for the cache lock, folds it into the shards, and the words of the edited notes are
    then found in their shards."""
    vault, cache, out, searchable, count = _site(tmp_path)
    started = []
    real = shards.flush_later
    monkeypatch.setattr(shards, "flush_later", lambda *a: started.append(real(*a)) or started[-1])
    for n, word in ((1, "quokka"), (2, "wombat")):
        note = vault / "notes" / f"n{n}.md"
        note.write_text(note.read_text(encoding="utf-8") + f"\nAbout the {word}.\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=out, claims=False, knowledge=False)
    assert len(started) == 1 and started[0] is not None
    assert started[0].wait(timeout=120) == 0
    assert _state(out)["recent"] == [] and not (out / shards.RECENT).exists()
    for n, word in ((1, b"quokka"), (2, b"wombat")):
        assert word in _indexed(shards.folder(out, shards.shard_of(f"concepts/n{n}.html", count)))


def test_what_a_flush_killed_halfway_left_in_the_site_goes_with_the_next_one(tmp_path, small_shards):
    """A flush runs after the build, so it may be killed halfway (the machine shut down): the folders
    of its Pagefind runs are in the site's folder, and the next flush removes them, not those of a
    process still at work."""
    import subprocess
    import sys

    vault, cache, out, searchable, count = _site(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    left = out / f".pagefind-new-{gone.pid}-0-pagefind-1"
    (left / "fragment").mkdir(parents=True)
    working = out / f".pagefind-pages-{os.getpid()}-7-pagefind-2"
    working.mkdir()
    shards.update(out, searchable, set(searchable[:2]), later=cache)
    assert shards.flush(out, cache, cache / MANIFEST) is None
    assert not left.exists() and working.is_dir()
