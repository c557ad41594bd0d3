"""Shared fixtures: real vaults on disk, copied to a temporary folder so tests never write
into the repository or into ../shared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CORPORA = SHARED / "corpora"


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
    for seed in sorted(SEEDS.glob("*.txt")):
        (dest / "sources" / seed.name).symlink_to(seed)
    return dest
