"""A note file -> `Note`: front matter, title, aliases, tags and the Markdown parts."""

from __future__ import annotations

from kg.config import SectionSettings
from kg.model import Diagnostic, Note, Tag
from kg.parse import frontmatter, markdown
from kg.paths import stem


def parse_note(doc: str, digest: str, text: str, sections: SectionSettings,
               diagnostics: list[Diagnostic] | None = None) -> Note:
    """Parse one note's decoded text. Never raises for bad content: problems become diagnostics."""
    parts = markdown.parse(doc, text, sections)
    meta = parts.meta
    diags = [*(diagnostics or []), *parts.diagnostics]
    if not text.strip():
        diags.append(Diagnostic(doc=doc, severity="info", code="empty-file",
                                message="note is empty; it still names a concept"))
    title = _title(meta.get("title")) or parts.h1 or stem(doc)
    fm_line = parts.front_matter_line or 1
    tags = [Tag(name=t.lstrip("#").casefold(), line=frontmatter.key_line(parts.front_matter_raw, "tags", fm_line))
            for t in frontmatter.as_list(meta.get("tags", meta.get("tag")))]
    date = None
    if meta.get("date") is not None:
        date = frontmatter.as_date(meta["date"])
        if date is None:
            diags.append(Diagnostic(doc=doc, line=frontmatter.key_line(parts.front_matter_raw, "date", fm_line),
                                    severity="warning", code="bad-front-matter",
                                    message=f"date {meta['date']!r} is not a date; write it as YYYY-MM-DD"))
    note_type = meta.get("type")
    return Note(
        path=doc, hash=digest, title=title,
        aliases=frontmatter.as_list(meta.get("aliases", meta.get("alias"))),
        tags=tags + parts.tags, meta=frontmatter.jsonable(meta),
        sections=parts.sections, blocks=parts.blocks, links=parts.links, fields=parts.fields,
        headings=parts.headings, diagnostics=diags,
        type=str(note_type) if note_type is not None else None, date=date,
    )


def _title(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
