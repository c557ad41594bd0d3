"""A crawler over a written site folder, for tests: every internal link and resource must reach
a file (and an element, for a #fragment), and nothing may load from outside the folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOADS = {("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
         ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("image", "href")}
"""Attributes whose URL the browser fetches when the page loads."""


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attr, url)
        self.ids: set[str] = set()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for attr in ("href", "src", "data", "action", "srcset", "poster"):
            if attrs.get(attr):
                self.links.append((tag, attr, attrs[attr]))
        self._in_script = tag == "script" and attrs.get("type") != "application/ld+json"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.scripts.append(data)


@dataclass
class Report:
    pages: int = 0
    links: int = 0
    broken: list[str] = field(default_factory=list)
    external_loads: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)


def crawl(site: Path) -> Report:
    """Check every HTML page of `site`."""
    report = Report()
    parsed: dict[Path, _Page] = {}

    def page(path: Path) -> _Page:
        if path not in parsed:
            p = _Page()
            p.feed(path.read_text(encoding="utf-8"))
            parsed[path] = p
        return parsed[path]

    for path in sorted(site.rglob("*.html")):
        if "pagefind" in path.relative_to(site).parts:
            continue
        report.pages += 1
        for tag, attr, url in page(path).links:
            where = f"{path.relative_to(site)}: <{tag} {attr}={url!r}>"
            parts = urlsplit(url)
            if parts.scheme in ("javascript", "data", "vbscript"):
                report.unsafe.append(where)
                continue
            if parts.scheme or url.startswith("//"):
                if (tag, attr) in LOADS or attr in ("srcset", "poster", "data"):
                    report.external_loads.append(where)
                continue
            report.links += 1
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            if parts.path.endswith("/"):
                target = target / "index.html"
            if not str(target).startswith(str(site.resolve())):
                report.broken.append(where + " (leaves the site folder)")
            elif not target.is_file():
                report.broken.append(where)
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in page(target).ids:
                report.broken.append(where + " (no such id)")
    return report
