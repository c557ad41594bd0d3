"""Find the vault's files and read them safely.

Reading never raises: a file that cannot be read as text becomes a diagnostic naming it, and
the rest of the vault goes on. Nothing here ever writes into the vault.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kg.config import Settings
from kg.model import Diagnostic
from kg.paths import NOTE_SUFFIXES, SOURCE_SUFFIXES, doc_path

FileKind = Literal["note", "source", "file"]
ALWAYS_SKIPPED = {".kg", "node_modules", "__pycache__"}
BINARY_SNIFF = 8192


@dataclass(frozen=True)
class VaultFile:
    """A file found in the vault: where it is and what role it plays."""

    path: str
    """Path relative to the vault, forward slashes, NFC."""
    kind: FileKind
    """note, source, or file (an attachment links may point at)."""
    size: int
    """Size in bytes."""
    mtime: int
    """Modification time in nanoseconds (only to skip re-reading a file whose hash is known)."""
    fs: str
    """The path as it is on disk (it may differ from `path` in Unicode normalisation)."""


def _walk(top: Path, skip: set[Path]):
    """Every file under `top`, skipping hidden folders and `skip`; sorted, links not followed."""
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ALWAYS_SKIPPED
                         and here / d not in skip)
        for name in sorted(files):
            if not name.startswith("."):
                yield here / name


def discover(root: Path, settings: Settings) -> list[VaultFile]:
    """Notes, sources and attachments of the vault at `root` (DESIGN §2)."""
    vs = settings.vault
    notes_dir = root / vs.notes if vs.notes else root
    sources_dir = root / vs.sources
    skip = {root / vs.site, *(root / e for e in vs.exclude)}
    if not notes_dir.is_dir() or notes_dir == root:
        notes_dir = root
        skip.add(sources_dir)
    found: dict[str, VaultFile] = {}

    def add(path: Path, kind: FileKind) -> None:
        try:
            st = path.stat()
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size = mtime = 0
        real = path.relative_to(root).as_posix()
        rel = doc_path(real)
        found.setdefault(rel, VaultFile(rel, kind, size, mtime, real))

    if sources_dir.is_dir():
        for path in _walk(sources_dir, skip - {sources_dir}):
            add(path, "source" if path.suffix.lower() in SOURCE_SUFFIXES else "file")
    for path in _walk(notes_dir, skip):
        add(path, "note" if path.suffix.lower() in NOTE_SUFFIXES else "file")
    return sorted(found.values(), key=lambda f: f.path)


def content_hash(data: bytes) -> str:
    """The cache key of a file: blake2b of its bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_bytes(root: Path, f: VaultFile, max_bytes: int) -> tuple[bytes | None, Diagnostic | None]:
    """The file's bytes, or None and a diagnostic when it is too large or cannot be read."""
    if f.size > max_bytes:
        mb = f.size / 1e6
        return None, Diagnostic(doc=f.path, severity="error", code="unreadable-file",
                                message=f"file is {mb:.1f} MB, over the {max_bytes / 1e6:g} MB limit; "
                                        "it is skipped (raise [vault] max_file_mb in kg.toml to read it)")
    try:
        return (root / f.fs).read_bytes(), None
    except OSError as exc:
        return None, Diagnostic(doc=f.path, severity="error", code="unreadable-file",
                                message=f"cannot read file: {exc.strerror or exc}")


def decode(doc: str, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Bytes -> text with `\\n` line ends. Binary files give None; bad UTF-8 is replaced and reported."""
    if b"\x00" in data[:BINARY_SNIFF]:
        return None, [Diagnostic(doc=doc, severity="error", code="unreadable-file",
                                 message="file looks binary (it contains NUL bytes), not text; it is skipped")]
    diags: list[Diagnostic] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        diags.append(Diagnostic(doc=doc, line=line, col=col, severity="warning", code="invalid-utf8",
                                message="file is not valid UTF-8; bad bytes are shown as '\ufffd' "
                                        "(re-save it as UTF-8 to fix)"))
        text = data.decode("utf-8-sig", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, diags
