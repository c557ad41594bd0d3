"""The static site (`site/`): a page per concept, source and tag, indexes of claims, tensions and
questions, graphs drawn as SVG, search by Pagefind. See `kg.publish.writer` for the build."""

from __future__ import annotations

import os
from pathlib import Path

from kg.config import Settings


class SiteFolderError(ValueError):
    """The site would be written where the user's own files are; the message names the folder,
    says why, and what to do."""


def check_site_folder(root: Path, settings: Settings, out: Path | None = None) -> Path:
    """The folder the site of the vault at `root` goes to (`out`, else the vault's site folder),
    resolved; raises SiteFolderError if it is the vault's own folder, holds the vault, or is or lies
    in its notes or sources folder: the site's pages (`sources/<name>.html`, `index.html`) would be
    written over the user's files there. Call it before anything is written."""
    root = Path(os.path.realpath(root))
    folder = Path(os.path.realpath(out if out is not None else root / settings.vault.site))
    fix = ("choose a folder of its own: `--site-dir` with another folder, or `site = \"site\"` under "
           "[vault] in kg.toml")
    if folder == root:
        why = "it is the vault's own folder"
    elif folder in root.parents:
        why = "it holds the vault"
    else:
        why = None
        for name, setting in (("notes", settings.vault.notes), ("sources", settings.vault.sources)):
            where = Path(os.path.realpath(root / setting)) if setting else root
            if where != root and (folder == where or where in folder.parents):
                why = f"it is in the vault's {name} folder ({setting})"
                break
    if why:
        raise SiteFolderError(f"refusing to write the site into {folder}: {why}, so the site's pages would "
                              f"overwrite your files there; {fix}")
    return folder


def publish_vault(kb, settings: Settings, cache_dir: Path, out: Path | None = None, progress=None,
                  jobs: int | None = None, search: bool = True, analysis=None, only: list[str] | None = None,
                  aside=None) -> dict:
    """Write the site of a vault as read (kg.build.build) into `out` (default: the vault's site
    folder), with the claims, evidence and tensions of `analysis` (kg.claims.store.knowledge) when
    given; returns counts and timings. `only` (files) draws the pages of those files and nothing
    else (kg serve's preview of a save: `writer.publish_pages_of`). Raises
    SiteFolderError (nothing written) for a folder that holds the user's files (`check_site_folder`).
    `aside`: the process kg.build forked to make an edit's meaning search files (writer.MeaningAside)."""
    from kg.publish.site import Site
    from kg.publish.writer import publish, publish_pages_of

    root = Path(kb.root)
    folder = check_site_folder(root, settings, out)
    site = Site(kb, settings.site.title_of(root), settings.site.base, analysis)
    # the setting is read with a fallback so that a kg.toml model without it still publishes
    site.follow_outside_links = bool(getattr(settings.vault, "follow_outside_links", False))
    if only is not None:
        return publish_pages_of(site, folder, cache_dir, only)
    return publish(site, folder, cache_dir, progress, jobs, search, aside)
