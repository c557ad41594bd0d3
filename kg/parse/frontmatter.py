"""YAML front matter: read safely, report problems with the line they are on."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from kg.model import Diagnostic

try:  # the C loader is several times faster where libyaml is present
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Base = yaml.SafeLoader

_WIKILINK = re.compile(r"\[\[([^\[\]\n]+)\]\]")
_TOP_KEY = re.compile(r"^([^\s#:][^:]*?)\s*:(?:\s|$)")
MAX_VALUES = 10_000
"""Values one front matter may hold once its aliases are expanded: `&a [*a]` refers to itself and
a few aliases of aliases expand to billions of values (both stopped the whole note before)."""


class _Loader(_Base):
    """The safe loader, except that a date that is not one (`2024-13-45`) and a whole number too
    long for Python to read (over 4,300 digits) stay the text they are and are reported, instead
    of failing the whole front matter (the number failed the whole note)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.bad_dates: list[tuple[int, str]] = []
        self.long_numbers: list[tuple[int, str]] = []


def _timestamp(loader: _Loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        loader.bad_dates.append((node.start_mark.line, node.value))
        return node.value


def _int(loader: _Loader, node):
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # (more digits than int() reads: sys.get_int_max_str_digits)
        loader.long_numbers.append((node.start_mark.line, node.value))
        return node.value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)


def _parse(raw: str) -> tuple[Any, list[tuple[int, str]], list[tuple[int, str]]]:
    loader = _Loader(raw)
    try:
        return loader.get_single_data(), loader.bad_dates, loader.long_numbers
    finally:
        loader.dispose()


def load(raw: str, doc: str, first_line: int) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Parse front matter text whose first line is line `first_line` of the file (1-based).

    Returns the mapping and any diagnostics. YAML that PyYAML rejects but Obsidian reads
    (`aliases: [- @kepano]`) is read key by key: a key whose value is not valid YAML keeps its
    text (a list split at commas), with a warning."""
    if not raw.strip():
        return {}, []
    try:
        data, bad_dates, long_numbers = _parse(raw)
    except yaml.YAMLError as exc:
        return _lenient(raw, doc, first_line, exc)
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [Diagnostic(doc=doc, line=first_line, severity="error", code="bad-front-matter",
                               message=f"front matter must be a mapping of keys to values, not a {type(data).__name__}")]
    diags = [Diagnostic(doc=doc, line=first_line + line, severity="warning", code="bad-front-matter",
                        message=f"'{value}' is not a real date; it is kept as text (write dates as YYYY-MM-DD)")
             for line, value in bad_dates if "date" not in data or line != key_line(raw, "date", 0)]
    diags += [Diagnostic(doc=doc, line=first_line + line, severity="warning", code="bad-front-matter",
                         message=f"a whole number of {len(value.lstrip('+-')):,} digits is more than kg reads as a "
                                 "number; it is kept as text")
              for line, value in long_numbers]
    out: dict[str, Any] = {}
    for key, value in data.items():
        if _too_big(value):
            diags.append(Diagnostic(doc=doc, line=key_line(raw, str(key), first_line), severity="error",
                                    code="bad-front-matter",
                                    message=f"'{key}' refers to itself through a YAML alias, or expands to more than "
                                            f"{MAX_VALUES:,} values; it is left out and the rest of the note is read"))
        else:
            out[str(key)] = value
    return out, diags


def _too_big(value: Any) -> bool:
    """True when a value holds itself or more than MAX_VALUES values (aliases expanded)."""
    count, stack, path = 0, [(value, False)], set()
    while stack:
        item, leaving = stack.pop()
        if leaving:
            path.discard(id(item))
            continue
        count += 1
        if count > MAX_VALUES:
            return True
        if isinstance(item, (list, dict)):
            if id(item) in path:
                return True
            path.add(id(item))
            stack.append((item, True))
            stack.extend((v, False) for v in (item.values() if isinstance(item, dict) else item))
    return False


def _lenient(raw: str, doc: str, first_line: int, exc: yaml.YAMLError) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Front matter PyYAML rejects, read one top-level key at a time; a key whose value is still
    not YAML keeps its text. Nothing read at all: the error, and the note without front matter."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    line = first_line + (mark.line if mark else 0)
    col = (mark.column + 1) if mark else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if getattr(exc, "context", None):
        problem = f"{exc.context}: {problem}"
    chunks: list[tuple[int, list[str]]] = []
    for n, text in enumerate(raw.split("\n")):
        if _TOP_KEY.match(text):
            chunks.append((n, [text]))
        elif chunks:
            chunks[-1][1].append(text)
        elif text.strip() and not text.lstrip().startswith("#"):
            chunks = []
            break
    out: dict[str, Any] = {}
    plain: list[str] = []
    for _, lines in chunks:
        key = _TOP_KEY.match(lines[0]).group(1).strip().strip("'\"")
        try:
            value = _parse("\n".join(lines))[0]
            out[key] = value.get(key) if isinstance(value, dict) and not _too_big(value) else None
        except yaml.YAMLError:
            value = _as_text("\n".join(lines).split(":", 1)[1])
            if value is None:  # a bracket or quote never closed: no reading of it is safe
                return {}, [Diagnostic(doc=doc, line=line, col=col, severity="error", code="bad-front-matter",
                                       message=f"front matter is not valid YAML ({problem}); "
                                               "the note is read without it")]
            out[key] = value
            plain.append(key)
    if not plain:
        return {}, [Diagnostic(doc=doc, line=line, col=col, severity="error", code="bad-front-matter",
                               message=f"front matter is not valid YAML ({problem}); the note is read without it")]
    return out, [Diagnostic(doc=doc, line=line, col=col, severity="warning", code="bad-front-matter",
                            message=f"front matter is not valid YAML ({problem}); "
                                    + ", ".join(f"'{k}'" for k in plain)
                                    + " read as plain text, as Obsidian does (quote the value to silence this)")]


def _as_text(value: str) -> Any:
    """A value that is not YAML, as Obsidian shows it: `[- @a, b]` -> ['@a', 'b'], else the text;
    None when a bracket or quote is never closed."""
    text = " ".join(value.split())
    first = text[:1]
    if first and (first in "[{" and text[-1] != {"[": "]", "{": "}"}[first] or
                  first in "'\"" and (len(text) < 2 or text[-1] != first)):
        return None
    if text.startswith("[") and text.endswith("]"):
        items = (i.strip().lstrip("-").strip().strip("'\"") for i in text[1:-1].split(","))
        return [i for i in items if i]
    if text.startswith("- "):
        return [i.strip().strip("'\"") for i in text[2:].split(" - ") if i.strip()]
    return text.strip("'\"")


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
