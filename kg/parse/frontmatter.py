"""YAML front matter: read safely, report problems with the line they are on."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from kg.model import Diagnostic

try:  # the C loader is several times faster where libyaml is present
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

_WIKILINK = re.compile(r"\[\[([^\[\]\n]+)\]\]")


def load(raw: str, doc: str, first_line: int) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Parse front matter text whose first line is line `first_line` of the file (1-based).

    Returns the mapping (empty when the YAML is broken) and any diagnostics."""
    try:
        data = yaml.load(raw, Loader=_Loader) if raw.strip() else {}
    except yaml.YAMLError as exc:
        # where the broken construct starts (an unclosed bracket) beats where the parser gave up
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        col = (mark.column + 1) if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if getattr(exc, "context", None):
            problem = f"{exc.context}: {problem}"
        return {}, [Diagnostic(doc=doc, line=line, col=col, severity="error", code="bad-front-matter",
                               message=f"front matter is not valid YAML ({problem}); the note is read without it")]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [Diagnostic(doc=doc, line=first_line, severity="error", code="bad-front-matter",
                               message=f"front matter must be a mapping of keys to values, not a {type(data).__name__}")]
    return {str(k): v for k, v in data.items()}, []


def key_line(raw: str, key: str, first_line: int) -> int:
    """The line a top-level key stands on, for messages about it."""
    m = re.search(rf"^{re.escape(key)}\s*:", raw, re.MULTILINE)
    return first_line + raw.count("\n", 0, m.start()) if m else first_line


def as_list(value: Any) -> list[str]:
    """`tags: a, b` / `tags: [a, b]` / `tags: a` -> ['a', 'b'] (None and junk dropped)."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(r"[,\s]+", value) if "," in value or " " not in value.strip() else [value]
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def as_date(value: Any) -> dt.date | None:
    """A YAML date, datetime or ISO string as a date; None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def jsonable(value: Any) -> Any:
    """Front matter values as JSON: dates become ISO strings, other scalars stay."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def wikilinks_in(value: Any) -> list[str]:
    """Wikilink bodies in any string of a front matter value (Obsidian properties can link)."""
    if isinstance(value, str):
        return _WIKILINK.findall(value)
    if isinstance(value, (list, tuple)):
        return [body for v in value for body in wikilinks_in(v)]
    return []
