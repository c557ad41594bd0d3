"""Where a vault and its cache are. The standard library alone, so that the `kg` command finds
them before it imports anything else (kg.launch); kg.config gives the same names."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_NAME = "kg.toml"


def cache_folder(root: Path) -> Path:
    """Where kg keeps its cache and indexes for the vault at `root`: $KG_CACHE_DIR, else root/.kg."""
    return Path(os.environ.get("KG_CACHE_DIR") or root / ".kg")


def find_vault(start: Path) -> Path:
    """The nearest folder upward holding kg.toml, else `start` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return start
