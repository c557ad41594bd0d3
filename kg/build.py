"""The build, as a table of contents: each stage is one named function, called in order.

    discover files -> parse each file (cached by content hash, on every core)
      -> concepts -> resolve links -> vault-wide checks

Gather everything before anything is written (MkDocs' rule), so every output sees one
consistent state.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from pydantic import TypeAdapter

from kg.assemble import check_vault, make_concepts, resolve_links
from kg.cache import ParseCache
from kg.config import SectionSettings, Settings, load_settings
from kg.model import Diagnostic, KnowledgeBase, Note, Source
from kg.vault import VaultFile, content_hash, discover, read_bytes

Progress = Callable[[int, int], None]
"""Called as progress(done, total) while files are parsed."""

PARALLEL_FROM = 200
"""Below this many files to parse, one process is faster than starting workers."""
_DIAGS = TypeAdapter(list[Diagnostic])


def build(root: Path, settings: Settings | None = None, progress: Progress | None = None,
          jobs: int | None = None, cache_dir: Path | None = None) -> KnowledgeBase:
    """Read the vault at `root` into a KnowledgeBase, re-parsing only files that changed.

    The parse cache lives in `cache_dir` (default `root/.kg`, or $KG_CACHE_DIR)."""
    started = time.perf_counter()
    root = root.resolve()
    settings = settings or load_settings(root)
    kb = KnowledgeBase(root=str(root))
    files = discover(root, settings)
    cache_dir = cache_dir or Path(os.environ.get("KG_CACHE_DIR") or root / ".kg")
    parsed, cached = parse_all(root, files, settings, kb, progress, jobs, cache_dir)
    kb.files = [f.path for f in files if f.kind == "file"]
    make_concepts(kb, settings.vault.notes)
    resolve_links(kb)
    check_vault(kb)
    kb.diagnostics.sort(key=lambda d: (d.doc, d.line, d.col, d.code))
    kb.stats = {"files": len(files), "parsed": parsed, "cached": cached,
                "seconds": round(time.perf_counter() - started, 3)}
    return kb


def _fingerprint(settings: Settings) -> str:
    """Settings that change what a parse produces; a change drops the parse cache."""
    return hashlib.blake2b(settings.sections.model_dump_json().encode(), digest_size=8).hexdigest()


def parse_all(root: Path, files: list[VaultFile], settings: Settings, kb: KnowledgeBase,
              progress: Progress | None, jobs: int | None, cache_dir: Path) -> tuple[int, int]:
    """Parse every note and source, from the cache where the content hash matches.

    Fills kb.notes, kb.sources and per-file diagnostics; returns (parsed, cached) counts."""
    cache = ParseCache(cache_dir, _fingerprint(settings))
    known = cache.load()
    max_bytes = int(settings.vault.max_file_mb * 1e6)
    todo: list[tuple[str, str, str, bytes]] = []
    rows: list[tuple[str, str, str]] = []  # (kind, path, json) to load
    keep: set[str] = set()
    for f in files:
        if f.kind == "file":
            continue
        data, problem = read_bytes(root, f, max_bytes)
        if data is None:
            kb.diagnostics.append(problem)
            continue
        digest = content_hash(data)
        keep.add(f.path)
        hit = known.get(f.path)
        if hit and hit[0] == digest:
            rows.append((hit[1], f.path, hit[2]))
        else:
            todo.append((f.kind, f.path, digest, data))
    fresh = _parse_many(todo, settings.sections, progress, jobs)
    cache.store(fresh, keep)
    cache.close()
    for kind, path, data in [*rows, *((k, p, d) for p, _, k, d in fresh)]:
        if kind == "note":
            doc = Note.model_validate_json(data)
            kb.notes[path] = doc
        elif kind == "source":
            doc = Source.model_validate_json(data)
            kb.sources[path] = doc
        else:
            kb.diagnostics.extend(_DIAGS.validate_json(data))
            continue
        kb.diagnostics.extend(doc.diagnostics)
    kb.notes = dict(sorted(kb.notes.items()))
    kb.sources = dict(sorted(kb.sources.items()))
    return len(todo), len(rows)


def _parse_batch(batch: list[tuple[str, str, str, bytes]], sections: SectionSettings) -> list[tuple[str, str, str, str]]:
    """Parse files -> cache rows (path, hash, kind, json). Runs in a worker process."""
    from kg.parse import parse_file

    rows = []
    for kind, path, digest, data in batch:
        try:
            result = parse_file(kind, path, digest, data, sections)
        except Exception as exc:  # a parser bug must not stop the vault: report it on the file
            result = [Diagnostic(doc=path, severity="error", code="parse-failed",
                                 message=f"kg could not parse this file ({type(exc).__name__}: {exc}); "
                                         "please report it")]
        if isinstance(result, list):
            rows.append((path, digest, "unreadable", _DIAGS.dump_json(result).decode()))
        else:
            rows.append((path, digest, kind, result.model_dump_json()))
    return rows


def _parse_many(todo, sections: SectionSettings, progress: Progress | None, jobs: int | None):
    total = len(todo)
    if progress:
        progress(0, total)
    if not todo:
        return []
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if total < PARALLEL_FROM or jobs <= 1:
        out = []
        for i in range(0, total, 50):
            out.extend(_parse_batch(todo[i:i + 50], sections))
            if progress:
                progress(len(out), total)
        return out
    size = max(10, min(100, total // (jobs * 8)))
    batches = [todo[i:i + size] for i in range(0, total, size)]
    out = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_parse_batch, b, sections) for b in batches]
        for future in as_completed(futures):
            out.extend(future.result())
            if progress:
                progress(len(out), total)
    return out
