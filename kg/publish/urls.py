"""Where each page of the site lives, and the relative link from one page to another.

Every internal link on the site is relative, so `site/` works opened from disk and served from
any sub-path. Page paths are `PagePath`s (`concepts/quality-gap.html`); nothing else in the
publisher builds one by hand.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import NewType
from urllib.parse import quote

from kg.paths import slugify

PagePath = NewType("PagePath", str)
"""A page's path inside `site/`, forward slashes (`concepts/quality-gap.html`)."""

HOME = PagePath("index.html")
CONCEPTS = PagePath("concepts.html")
SOURCES = PagePath("sources.html")
CLAIMS = PagePath("claims.html")
TENSIONS = PagePath("tensions.html")
QUESTIONS = PagePath("questions.html")
TAGS = PagePath("tags.html")
GRAPH = PagePath("graph.html")
NAV = [(HOME, "Home"), (CONCEPTS, "Concepts"), (SOURCES, "Sources"), (CLAIMS, "Claims"),
       (TENSIONS, "Tensions"), (QUESTIONS, "Questions"), (TAGS, "Tags"), (GRAPH, "Graph")]
"""The site's main navigation, in order."""


def concept_page(concept_id: str) -> PagePath:
    return PagePath(f"concepts/{concept_id}.html")


def source_page(source_id: str) -> PagePath:
    return PagePath(f"sources/{source_id}.html")


def tag_page(tag: str) -> PagePath:
    """`ai/models` -> `tags/ai--models.html`: levels joined by `--`, which no slug holds, so that
    `#ai/models` and `#ai-models` get pages of their own."""
    parts = [slugify(p) or "t-" + hashlib.blake2b(p.encode(), digest_size=4).hexdigest() for p in tag.split("/")]
    return PagePath(f"tags/{'--'.join(parts)}.html")


def claims_page(number: int) -> PagePath:
    """The claims index, split into pages of a few thousand rows: claims.html, claims-2.html, ..."""
    return CLAIMS if number <= 1 else PagePath(f"claims-{number}.html")


def file_path(doc: str) -> PagePath:
    """Where an attachment (image, PDF) that a note links is copied."""
    return PagePath(f"files/{doc}")


def relative(from_page: str, to_page: str) -> str:
    """The link from one page to another: `relative('concepts/a.html', 'sources/b.html')` ->
    `../sources/b.html`; a fragment (`#s-1a2b`) is kept."""
    to_page, hash_, fragment = to_page.partition("#")
    if not to_page:
        return posixpath.basename(from_page) + hash_ + fragment
    here = from_page.split("/")[:-1]
    there = to_page.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    link = "../" * (len(here) - common) + "/".join(there[common:])
    return quote(link) + hash_ + fragment


def root_of(page: str) -> str:
    """The relative path from a page to the site's root folder: '' or '../'."""
    return "../" * page.count("/")


def evidence_anchor(claim_id: str, source_id: str, anchor: str | None, line: int) -> str:
    """The fragment of one evidence item under its claim (`ev-1a2b3c4d`): the same on the site
    and in the exported RDF, where it names the evidence."""
    key = f"{claim_id}\0{source_id}\0{anchor or line}".encode()
    return "ev-" + hashlib.blake2b(key, digest_size=5).hexdigest()
