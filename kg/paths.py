"""Every conversion between kinds of names: file paths, link targets, slugs, heading anchors.

Kept in one place (as Quartz keeps `util/path.ts`) so that a path is never used where a slug is
meant. Tested by tables in tests/test_paths.py.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import PurePosixPath

from slugify import slugify as _slugify

from kg.model import DocPath, Slug

NOTE_SUFFIXES = (".md", ".markdown")
SOURCE_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")
UNLINKABLE = set("[]#^|")
_NON_WORD = re.compile(r"[^\w]+")
"""Characters Obsidian does not allow in a linkable file name."""


def nfc(text: str) -> str:
    """Unicode NFC: macOS writes decomposed file names; links are typed composed."""
    return unicodedata.normalize("NFC", text)


def doc_path(relative: str) -> DocPath:
    """A vault-relative path with forward slashes and NFC names."""
    relative = relative.replace("\\", "/")
    return DocPath(nfc(relative) if not relative.isascii() else relative)


def stem(path: str) -> str:
    """File name without folder and extension: `notes/a/Open Models.md` -> `Open Models`."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    for suffix in SOURCE_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def without_suffix(path: str) -> str:
    """Path without its extension, for matching `[[folder/note]]`: `a/b.md` -> `a/b`."""
    folder, _, name = path.rpartition("/")
    if not name:
        return path
    return f"{folder}/{stem(name)}" if folder else stem(name)


@lru_cache(maxsize=262144)
def link_key(text: str) -> str:
    """How link targets compare: NFC, case-folded, trimmed, `.md` dropped, runs of space folded."""
    text = nfc(text).strip().replace("\\", "/")
    if text.lower().endswith(".md"):
        text = text[:-3]
    return re.sub(r"\s+", " ", text).casefold()


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""Text that is its own slug: most file names (a 10k vault's read slugified 11k of them, 0.1 s)."""


def slugify(text: str) -> Slug:
    """A URL-safe id: `Open vs Closed (2026)` -> `open-vs-closed-2026`; never empty."""
    if _SLUG.fullmatch(text):
        return Slug(text)
    slug = _slugify(nfc(text), allow_unicode=False)
    if not slug:  # a name made only of symbols or of scripts with no transliteration
        slug = "x-" + "-".join(f"{ord(ch):x}" for ch in text.strip()[:8])
    return Slug(slug)


@lru_cache(maxsize=65536)
def heading_anchor(heading: str) -> str:
    """How headings compare in `[[note#Heading]]`: case-folded, punctuation dropped, spaces as
    hyphens (`Contradictions / tensions` -> `contradictions-tensions`)."""
    words = _NON_WORD.sub(" ", nfc(heading).casefold()).split()
    return "-".join(words) or heading.strip().casefold()


_ANY_UNLINKABLE = re.compile("[" + re.escape("".join(sorted(UNLINKABLE))) + "]")


def unlinkable_chars(path: str) -> str:
    """The characters in a file name that a wikilink cannot contain (most paths hold none: one
    search of the path tells, where looking at each character of 11,000 names took 0.03 s)."""
    if not _ANY_UNLINKABLE.search(path):
        return ""
    return "".join(sorted({ch for ch in stem(path) if ch in UNLINKABLE}))


def is_attachment(target: str) -> bool:
    """A link target naming a non-Markdown file (`img.png`, `paper.pdf`)."""
    name = PurePosixPath(target).name.lower()
    return "." in name and not name.endswith(NOTE_SUFFIXES)


def tag_with_parents(tag: str) -> list[str]:
    """A nested tag and the tags it sits in (`ai/models` -> `ai`, `ai/models`): a file tagged
    `#ai/models` is listed under both, and both are counted."""
    parts = tag.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
