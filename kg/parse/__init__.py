"""Per-file stage: one file's bytes -> a `Note` or `Source`. Sees that file and nothing else."""

from __future__ import annotations

from kg.config import SectionSettings
from kg.model import Diagnostic, Note, Source
from kg.vault import decode


def parse_file(kind: str, path: str, digest: str, data: bytes,
               sections: SectionSettings) -> Note | Source | list[Diagnostic]:
    """Decode and parse one file; the diagnostics alone when it cannot be read as text."""
    text, diags = decode(path, data)
    if text is None:
        return diags
    if kind == "note":
        from kg.parse.notes import parse_note
        return parse_note(path, digest, text, sections, diags)
    from kg.parse.sources import parse_source
    return parse_source(path, digest, text, sections, diags)
