"""The static site (`site/`): a page per concept, source and tag, indexes of claims, tensions and
questions, graphs drawn as SVG, search by Pagefind. See `kg.publish.writer` for the build."""

from __future__ import annotations

from pathlib import Path

from kg.config import Settings


def publish_vault(kb, settings: Settings, cache_dir: Path, out: Path | None = None, progress=None,
                  jobs: int | None = None, search: bool = True) -> dict:
    """Write the site of a built vault (kg.build.build, plus kg.claims.store.knowledge for claims)
    into `out` (default: the vault's site folder); returns counts and timings."""
    from kg.publish.site import Site
    from kg.publish.writer import publish

    root = Path(kb.root)
    site = Site(kb, settings.site.title_of(root), settings.site.base)
    return publish(site, out or root / settings.vault.site, cache_dir, progress, jobs, search)
