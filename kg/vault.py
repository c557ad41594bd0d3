"""Find the vault's files and read them safely.

Reading never raises: a file that cannot be read as text becomes a diagnostic naming it, and
the rest of the vault goes on. Nothing here ever writes into the vault.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal, NamedTuple

from kg.config import Settings
from kg.model import Diagnostic
from kg.paths import NOTE_SUFFIXES, SOURCE_SUFFIXES, doc_path

FileKind = Literal["note", "source", "file"]
ALWAYS_SKIPPED = {".kg", "node_modules", "__pycache__"}
BINARY_SNIFF = 8192
BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
"""Byte order marks, longest first (UTF-32 LE starts with UTF-16 LE's)."""


class VaultFile(NamedTuple):
    """A file found in the vault: where it is and what role it plays (a tuple: a 10k vault's read
    makes 11k of them, and a frozen dataclass took 1 µs more for each)."""

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


def _walk(top: str, skip: set[str], inside: str, outside_ok: bool, problems: list[tuple[str, str, str]]):
    """(full path, size, mtime) of every file under the folder `top`, skipping hidden folders and
    the folders in `skip`; sorted, links to folders not followed. A link to a file outside the
    folder `inside` is followed only when `outside_ok`; what is passed over for a reason the user
    should know (a link out of the vault, a dangling link, a pipe or device) is added to
    `problems` as (full path, code, message)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subdirs = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if not entry.name.isascii() and not _utf8(entry.name):
                problems.append((_readable(entry.path), "unreadable-file",
                                 "this name is not valid UTF-8 (a byte the system could not decode); it is "
                                 f"skipped{', with the files in it' if _is_folder(entry) else ''} (rename it)"))
                continue
            try:
                link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in ALWAYS_SKIPPED and entry.path not in skip:
                        subdirs.append(entry.path)
                    continue
                if link:
                    real = os.path.realpath(entry.path)
                    if not os.path.exists(real):
                        problems.append((entry.path, "unreadable-file",
                                         "this is a link to a file that does not exist; it is skipped"))
                        continue
                    if os.path.isdir(real):
                        problems.append((entry.path, "not-followed",
                                         "this is a link to a folder, which kg does not follow; its files are "
                                         "not read (move or copy them into the vault)"))
                        continue
                    if not outside_ok and not real.startswith(inside):
                        problems.append((entry.path, "outside-link",
                                         "this is a link to a file outside the vault; it is not read or published "
                                         "(set `follow_outside_links = true` under [vault] in kg.toml to read it)"))
                        continue
                if not entry.is_file():
                    problems.append((entry.path, "unreadable-file",
                                     "this is not a regular file (a pipe, socket or device); it is skipped"))
                    continue
                st = entry.stat()
                yield entry.path, st.st_size, st.st_mtime_ns
            except OSError:
                yield entry.path, 0, 0
        stack.extend(reversed(subdirs))


def _utf8(name: str) -> bool:
    """Whether a name from the file system is text: a byte that is not UTF-8 comes as a lone
    surrogate (Python's surrogateescape), which no file, database or page kg writes can hold."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:  # (gone meanwhile)
        return False


def _readable(path: str) -> str:
    """`path` with each byte that is not UTF-8 shown as U+FFFD, for a message."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def discover(root: Path, settings: Settings) -> tuple[list[VaultFile], list[Diagnostic]]:
    """Notes, sources and attachments of the vault at `root` (see docs/design.md), and the
    problems of what was passed over."""
    vs = settings.vault
    base = str(root)
    notes_dir = os.path.join(base, vs.notes) if vs.notes else base
    sources_dir = os.path.join(base, vs.sources)
    skip = {os.path.join(base, vs.site), os.path.join(base, ".kg"), *(os.path.join(base, e) for e in vs.exclude)}
    if not os.path.isdir(notes_dir) or os.path.normpath(notes_dir) == base:
        notes_dir = base
        skip.add(sources_dir)
    found: dict[str, VaultFile] = {}
    problems: list[tuple[str, str, str]] = []
    start = len(base) + 1
    inside = os.path.realpath(base) + os.sep

    def add(walk, kind: FileKind, suffixes: tuple[str, ...]) -> None:
        for full, size, mtime in walk:
            real = full[start:].replace(os.sep, "/")
            rel = doc_path(real)
            if rel not in found:
                found[rel] = VaultFile(rel, kind if full.lower().endswith(suffixes) else "file", size, mtime, real)

    if os.path.isdir(sources_dir):
        add(_walk(sources_dir, skip - {sources_dir}, inside, vs.follow_outside_links, problems), "source",
            SOURCE_SUFFIXES)
    add(_walk(notes_dir, skip, inside, vs.follow_outside_links, problems), "note", NOTE_SUFFIXES)
    severity = {"unreadable-file": "error", "outside-link": "warning", "not-followed": "info"}
    diagnostics = [Diagnostic(doc=doc_path(full[start:]), severity=severity[code], code=code, message=message)
                   for full, code, message in dict.fromkeys(problems)]
    return [found[path] for path in sorted(found)], diagnostics


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
    """Bytes -> text with `\\n` line ends. Binary files give None; bad UTF-8 is replaced and reported.
    A file that starts with a UTF-16 or UTF-32 byte order mark (Windows Notepad's "Unicode") is
    read in that encoding: it is full of NUL bytes, and was called binary."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(codec, errors="replace")
            diags = [] if "\ufffd" not in text else [Diagnostic(
                doc=doc, severity="warning", code="invalid-utf8",
                message=f"file is {codec.upper()} with bad bytes, shown as '\ufffd' (re-save it as UTF-8 to fix)")]
            return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), diags
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
