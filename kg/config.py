"""Settings: `kg.toml` at the vault root, every key optional.

Example `kg.toml`:

    [vault]
    notes = "notes"          # folder of notes; "" or a missing folder: every .md file outside sources/
    sources = "sources"      # folder of source documents
    exclude = ["templates"]  # folders (relative to the vault) never read
    max_file_mb = 5          # larger files are reported and skipped

    [sections]               # heading words that give a section its role
    questions = ["open questions", "questions"]
    tensions = ["contradictions", "tensions", "counterpoints"]

    [site]
    base_url = "https://example.org/my-vault/"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from kg.folders import CONFIG_NAME, cache_folder, find_vault  # noqa: F401  (kg.config's names too)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")  # (field docstrings unread, as kg.model.Model's)


class VaultSettings(_Section):
    notes: str = "notes"
    """Folder of notes, relative to the vault. If it does not exist, every Markdown file outside the other folders is a note."""
    sources: str = "sources"
    """Folder of source documents (.md, .txt, .html), relative to the vault."""
    site: str = "site"
    """Folder the site is written to; never read as notes."""
    exclude: list[str] = []
    """Further folders, relative to the vault, that are never read."""
    max_file_mb: float = 5.0
    """Files larger than this are reported (`unreadable-file`) and skipped."""
    follow_outside_links: bool = False
    """Read (and publish) files that are symbolic links to files outside the vault; off, they are reported (`outside-link`)."""


class SectionSettings(_Section):
    questions: list[str] = ["open questions", "questions"]
    """Headings whose sections hold questions."""
    tensions: list[str] = ["contradictions", "tensions", "counterpoints", "contradiction", "tension"]
    """Headings whose sections hold declared tensions."""
    evidence: list[str] = ["evidence"]
    """Headings whose sections hold evidence items."""
    related: list[str] = ["related", "see also", "referenced by", "backlinks", "links"]
    """Headings whose sections are lists of links, not claims."""


class SiteSettings(_Section):
    base_url: str = "https://example.org/"
    """Where the site is published; IRIs of exported data derive from it."""
    title: str = ""
    """Site title; defaults to the vault folder's name."""

    @property
    def base(self) -> str:
        """The base URL ending in `/`, so that a page's path can be appended to it."""
        return self.base_url if self.base_url.endswith("/") else self.base_url + "/"

    def title_of(self, root: Path) -> str:
        """The site's title: the one kg.toml gives, else the vault folder's name."""
        return self.title or root.name


class Settings(_Section):
    vault: VaultSettings = VaultSettings()
    """Where things are."""
    sections: SectionSettings = SectionSettings()
    """How headings map to section roles."""
    site: SiteSettings = SiteSettings()
    """The published site."""


class ConfigError(Exception):
    """kg.toml cannot be read; the message names the file and the problem."""


def load_settings(root: Path) -> Settings:
    """Read `kg.toml` from the vault root; defaults for everything it does not say."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{CONFIG_NAME}: {exc}") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{CONFIG_NAME}: {where}: {first['msg']}") from None


def user_cache() -> Path:
    """kg's folder of the user's cache, shared by every vault: $XDG_CACHE_HOME/kg, else ~/.cache/kg
    (the model's export, the compiled page templates)."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kg"


