"""Clipped web text -> the article: page chrome out, repeats out, title, author and date in.

A page saved as text keeps its chrome: "Skip to main content", share buttons, reading times,
breadcrumbs, tag clouds glued into one word, a byline ("Jane Doe April 20, 2026"), repeated
"Key Takeaways". These rules are ours (no library cleans plain text; trafilatura needs HTML);
each is a small named test on one line, so a wrong guess is easy to find and fix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_MONTH = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
_DATE_MDY = re.compile(_MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DATE_DMY = re.compile(r"\b(\d{1,2})\s+" + _MONTH + r"\.?,?\s+(\d{4})")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

_CHROME = [re.compile(p, re.IGNORECASE) for p in (
    r"skip to (main )?content",
    r"share( this( article| post| page)?)?( on \w+)?",
    r"(←|<-|«|‹)?\s*back to\b.{0,40}",
    r"pipeline active",
    r"last:.*\|\s*next:.*",
    r".{0,80}?\d+\s*min(ute)?s?\s*read.{0,40}",
    r"(✦\s*)?reading( time)?:?\s*\d+\s*min(ute)?s?",
    r"✦.{0,60}",
    r"ai rewrite",
    r"read it as(…|\.\.\.)?",
    r"(next|previous|related) (article|post|story|stories|articles|posts)",
    r"sources?:?",
    r"contexts?",
    r"referenced by",
    r"(created with|copyright|©|all rights reserved).*",
    r"(subscribe|sign (in|up)|log ?in|advertisement|menu|home|print|comments?)( .{0,30})?",
    r"(tags?|filed under|categories)\s*:.{0,80}",
)]
_BULLET = re.compile(r"^\s*(?:[•\-*·–◦▪]|\d{1,2}[.)])\s+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
_KNOWN_HEADINGS = re.compile(r"^(tl;?dr|key takeaways|takeaways|summary|abstract|introduction|conclusion)\b", re.I)
_BREADCRUMB = re.compile(r" [·›>|/] | · |/$")
_END_MARKERS = re.compile(r"^(next article|read next|read more|more from|you may also like)\b", re.I)


@dataclass
class Line:
    """One kept line of the article."""

    number: int
    """1-based line in the original file."""
    text: str
    """The line's text, bullet marker removed for items."""
    kind: str
    """heading, item, table or paragraph."""


@dataclass
class Cleaned:
    """The article found in a clipped page."""

    lines: list[Line] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    date: dt.date | None = None
    removed: int = 0


def find_date(text: str) -> dt.date | None:
    """The first written date in `text`: "April 20, 2026", "Apr 5, 2026", "5 April 2026", "2026-04-05"."""
    found: list[tuple[int, dt.date]] = []
    for m in _DATE_MDY.finditer(text):
        found.append((m.start(), _make_date(m.group(3), m.group(1), m.group(2))))
    for m in _DATE_DMY.finditer(text):
        found.append((m.start(), _make_date(m.group(3), m.group(2), m.group(1))))
    for m in _DATE_ISO.finditer(text):
        found.append((m.start(), _make_date(m.group(1), m.group(2), m.group(3))))
    dates = [d for _, d in sorted(found, key=lambda x: x[0]) if d]
    return dates[0] if dates else None


def _make_date(year: str, month: str, day: str) -> dt.date | None:
    try:
        m = int(month) if month.isdigit() else _MONTHS[month[:3].casefold()]
        return dt.date(int(year), m, int(day))
    except (ValueError, KeyError):
        return None


def _words(text: str) -> int:
    return len(text.split())


def is_chrome(text: str) -> bool:
    """A line that belongs to the page, not the article."""
    if len(text) <= 2 and not text.isdigit():
        return True  # an avatar initial, a lone symbol
    if " " not in text and len(text) > 25 and "-" in text:
        return True  # a tag cloud glued into one word
    return any(p.fullmatch(text) for p in _CHROME)


def _heading_like(text: str) -> bool:
    return (_words(text) <= 14 and len(text) <= 120 and text[-1] not in ".!?,;:"
            and (text[0].isupper() or text[0].isdigit() or not text[0].isalpha()))


def _byline(text: str) -> tuple[str, dt.date] | None:
    """`Jane Doe April 20, 2026` or `By Jane Doe · Apr 5, 2026` -> (author, date)."""
    m = _DATE_MDY.search(text) or _DATE_DMY.search(text)
    if not m or m.end() < len(text.rstrip()) - 1:
        return None
    name = re.sub(r"^(by|von|par|por)\s+", "", text[: m.start()], flags=re.I).strip(" ,|·•—–-")
    words = name.split()
    if not 2 <= len(words) <= 4 or not all(w[0].isupper() for w in words):
        return None
    date = find_date(text[m.start():])
    return (name, date) if date else None


def clean(text: str, header_lines: int = 20) -> Cleaned:
    """Find the article in clipped page text (see the module docstring)."""
    out = Cleaned()
    raw = text.split("\n")
    out.date = find_date("\n".join(raw[:header_lines]))
    seen: set[str] = set()
    kept: list[Line] = []
    in_header = True
    for number, original in enumerate(raw, start=1):
        line = original.strip()
        if not line:
            continue
        if _END_MARKERS.match(line) and number > len(raw) * 0.8:
            out.removed += sum(1 for r in raw[number - 1:] if r.strip())
            break
        if _TABLE_RULE.match(line):
            continue
        if is_chrome(line):
            out.removed += 1
            continue
        if number <= header_lines and (by := _byline(line)):
            out.author, out.date = by
            out.removed += 1
            continue
        if in_header and not _KNOWN_HEADINGS.match(line) and (_words(line) <= 2 or _BREADCRUMB.search(line)):
            out.removed += 1  # a site name, breadcrumbs or a folder before the article starts
            continue
        if m := re.match(r"^(tl;?dr)(?=[A-Z]|\s*$)", line, re.I):
            line = m.group(1)
        kind = "paragraph"
        if line.startswith("|"):
            kind = "table"
        elif bullet := _BULLET.match(line):
            kind, line = "item", line[bullet.end():].strip()
        elif _heading_like(line):
            kind = "heading"
        key = re.sub(r"\s+", " ", line).casefold()
        if key in seen and (kind != "heading" or key == (out.title or "").casefold()):
            out.removed += 1
            continue
        seen.add(key)
        if in_header and kind == "heading" and out.title is None:
            if not _KNOWN_HEADINGS.match(line):
                out.title = line
                continue
        if kind in ("paragraph", "item"):
            in_header = False
        kept.append(Line(number, line, kind))
    kept = _short_runs_are_items(kept)
    while kept and kept[-1].kind == "heading":  # headings of sections left empty at the end
        kept.pop()
        out.removed += 1
    out.lines = _join_wrapped(kept)
    return out


def _short_runs_are_items(lines: list[Line]) -> list[Line]:
    """Three or more 'headings' in a row are a list (chart labels, cards), not headings."""
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].kind == "heading":
            j += 1
        if j - i >= 3:
            for line in lines[i:j - 1]:  # the last of the run may head what follows
                line.kind = "item"
        i = max(j, i + 1)
    return lines


def _join_wrapped(lines: list[Line]) -> list[Line]:
    """Hard-wrapped paragraphs: a line that does not end a sentence, followed by one starting in
    lower case on the next line, is the same paragraph."""
    out: list[Line] = []
    pieces: list[list[str]] = []  # the lines of each kept line, joined once at the end: adding each
    for line in lines:            # to the text before took the paragraph's length every time (quadratic)
        prev = out[-1] if out else None
        if (prev and prev.kind in ("paragraph", "heading") and line.kind in ("paragraph", "heading")
                and line.number == prev.number + len(pieces[-1])
                and pieces[-1][-1][-1] not in ".!?:;" and line.text[0].islower()):
            pieces[-1].append(line.text)
            prev.kind = "paragraph"
            continue
        out.append(line)
        pieces.append([line.text])
    for line, texts in zip(out, pieces):
        line.text = "\n".join(texts)
    return out
