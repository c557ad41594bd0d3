"""Shared fixtures: real vaults on disk, copied to a temporary folder so tests never write
into the repository or into ../shared."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CORPORA = SHARED / "corpora"


os.environ.setdefault("KG_DAEMON", "0")
"""The `kg` commands the tests run each run in a process of their own (tests/test_daemon.py runs
them in a kg daemon): no daemon outlives the suite."""


SOURCE = """---
title: Price report
date: 2026-03-01
---
Prices fell all year. The open model Kestrel 2 costs $2/M output tokens, a tenth of the closed rivals.
Analysts expect the gap to close within 18 months.
"""
"""A small dated source: a price and a forecast, for evidence, tension and review tests."""


def write_vault(folder: Path, source: str, note: str) -> Path:
    """A vault on disk with one source (sources/report.md) and one note (notes/kestrel.md)."""
    (folder / "notes").mkdir(parents=True)
    (folder / "sources").mkdir()
    (folder / "kg.toml").write_text("[vault]\n", encoding="utf-8")
    (folder / "sources" / "report.md").write_text(source, encoding="utf-8")
    (folder / "notes" / "kestrel.md").write_text(note, encoding="utf-8")
    return folder


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A copy of tests/fixtures/vault."""
    dest = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", dest)
    return dest


@pytest.fixture
def seed_vault(tmp_path: Path) -> Path:
    """A vault whose sources/ holds the five seed documents, read where they are (no copy)."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside the repository")
    dest = tmp_path / "seeds"
    (dest / "sources").mkdir(parents=True)
    (dest / "kg.toml").write_text("[vault]\nfollow_outside_links = true  # the links point at ../shared\n",
                                  encoding="utf-8")
    for seed in sorted(SEEDS.glob("*.txt")):
        (dest / "sources" / seed.name).symlink_to(seed)
    return dest


@pytest.fixture
def seed_note_vault(tmp_path: Path) -> Path:
    """The seeds as a user would keep them: seed 003 (a concept note) in notes/, the four clipped
    articles in sources/ (copied into a temporary folder, never into the repository)."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside the repository")
    dest = tmp_path / "seed-notes"
    (dest / "notes").mkdir(parents=True)
    (dest / "sources").mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        if seed.name.startswith("003"):
            shutil.copyfile(seed, dest / "notes" / "open-vs-closed-source-model-economics.md")
        else:
            shutil.copyfile(seed, dest / "sources" / seed.name)
    return dest


def _shared_tmp(tmp_path_factory) -> Path:
    """A folder this test run's workers share (pytest-xdist gives each worker its own below it)."""
    import os

    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Path:
    """The demo vault's site, with claims, evidence and tensions (the real model), built once per
    test run into a temporary folder (never into the repository's site/)."""
    import fcntl

    from click.testing import CliRunner

    from kg.cli import main

    shared = _shared_tmp(tmp_path_factory)
    folder = shared / "demo-site"
    with open(shared / "demo-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker builds; the others wait and reuse it
        if not (folder / "site" / "index.html").is_file():
            result = CliRunner(env={"KG_CACHE_DIR": str(folder / "cache")}).invoke(
                main, ["--vault", str(ROOT), "build", "--site-dir", str(folder / "site")], catch_exceptions=False)
            assert result.exit_code == 0, result.output
    return folder / "site"


def copy_demo_cache(demo_site: Path, target: Path) -> Path:
    """A private copy of the demo build's cache, taken while no other worker writes it: a test that
    reads stderr exactly must not see "kg: waiting for ..." because another worker holds the cache."""
    from kg.lock import cache_lock

    with cache_lock(demo_site.parent / "cache", waiting=lambda message: None):
        shutil.copytree(demo_site.parent / "cache", target, ignore=shutil.ignore_patterns("lock"))
    return target


@contextlib.contextmanager
def serving(server):
    """Run an http.server on a thread for the duration; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
