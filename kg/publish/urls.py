"""Where each page of the site lives, and the relative link from one page to another.

Every internal link on the site is relative, so `site/` works opened from disk and served from
any sub-path. Page paths are `PagePath`s (`concepts/quality-gap.html`); nothing else in the
publisher builds one by hand.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
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
TENSION_MAP = PagePath("tensions.json")
QUESTIONS = PagePath("questions.html")
TAGS = PagePath("tags.html")
GRAPH = PagePath("graph.html")
NAV = [(HOME, "Home"), (CONCEPTS, "Concepts"), (SOURCES, "Sources"), (CLAIMS, "Claims"),
       (TENSIONS, "Tensions"), (QUESTIONS, "Questions"), (TAGS, "Tags"), (GRAPH, "Graph")]
"""The site's main navigation, in order."""
MAX_NAME_BYTES = 200
"""The longest file name the writer makes, in bytes of UTF-8, counting the dot and `.tmp` of the
temporary file it writes first: file systems allow 255, and a longer name stopped the whole site."""
SAFE_SCHEMES = ("http", "https", "mailto")
"""The only schemes a link taken from the user's text may have (`javascript:` would run in the page)."""
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_C0_OR_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


def page_name(stem: str, suffix: str = ".html") -> str:
    """A page's file name: `stem` + `suffix`, or, when that with the writer's temporary `.` and
    `.tmp` would pass MAX_NAME_BYTES, a readable prefix of `stem` and a hash of all of it (so two
    long names that share a prefix still get pages of their own)."""
    budget = MAX_NAME_BYTES - len(".") - len(suffix.encode()) - len(".tmp")
    raw = stem.encode()
    if len(raw) <= budget:
        return stem + suffix
    digest = hashlib.blake2b(raw, digest_size=6).hexdigest()
    prefix = raw[:budget - len(digest) - 1].decode("utf-8", errors="ignore")  # never half a character
    return f"{prefix}-{digest}{suffix}"


def safe_href(url: str | None) -> str | None:
    """`url` as a link's target if it is a web or mail address (http, https, mailto), else None:
    a `javascript:` or `data:` address would run or load in the page, and a relative one written
    by the user points nowhere on the site, so it is shown as text. The scheme is read as a browser
    reads it (spaces and control characters around it dropped, tabs and newlines inside ignored,
    case ignored), and also after decoding character references (`&#106;avascript:`), so that
    text which is later decoded once more cannot turn into a script either."""
    if not url:
        return None
    cleaned = _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE))
    for reading in (cleaned, _TAB_OR_NEWLINE.sub("", html.unescape(url).strip(_C0_OR_SPACE))):
        m = _SCHEME.match(reading)
        if not m or m.group(1).lower() not in SAFE_SCHEMES:
            return None
    return cleaned


def concept_page(concept_id: str) -> PagePath:
    return PagePath(f"concepts/{page_name(concept_id)}")


def source_page(source_id: str) -> PagePath:
    return PagePath(f"sources/{page_name(source_id)}")


TAG_FOLDER = "tags/"
"""Where the tag pages are, and only they."""


def tag_page(tag: str) -> PagePath:
    """`ai/models` -> `tags/ai--models.html`: levels joined by `--`, which no slug holds, so that
    `#ai/models` and `#ai-models` get pages of their own. A long one is cut (see `page_name`)."""
    parts = [slugify(p) or "t-" + hashlib.blake2b(p.encode(), digest_size=4).hexdigest() for p in tag.split("/")]
    return PagePath(f"{TAG_FOLDER}{page_name('--'.join(parts))}")


def claims_page(number: int) -> PagePath:
    """The claims index, split into pages of a few thousand rows: claims.html, claims-2.html, ..."""
    return CLAIMS if number <= 1 else PagePath(f"claims-{number}.html")


def tensions_page(number: int) -> PagePath:
    """The tensions, split into pages of a few hundred: tensions.html, tensions-2.html, ..."""
    return TENSIONS if number <= 1 else PagePath(f"tensions-{number}.html")


def section_of(path: str) -> str:
    """The page a numbered page of the claims or the tensions continues (claims-2.html: claims.html)."""
    found = _NUMBERED.fullmatch(path)
    return f"{found[1]}.html" if found else path


_NUMBERED = re.compile(r"(claims|tensions)-\d+\.html")


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
