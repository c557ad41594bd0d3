"""The knowledge stage's cache: `.kg/knowledge.json` holds the claims, evidence, tensions and
clusters of the last build, with a fingerprint of everything they were computed from (every
file's hash, the concepts' names, this stage's version). Commands that only read them (`kg
claims`, `kg tensions`, `kg show`, `kg check`) load it instead of analysing again; any edit to
the vault analyses it again, reusing the cached vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from kg.claims import review
from kg.claims.analyse import Knowledge, analyse, settle
from kg.model import Claim, Diagnostic, Evidence, Tension

VERSION = 1
"""Bump when what the knowledge stage computes changes for a reason outside kg/claims/."""
FILE = "knowledge.json"


def _code() -> bytes:
    """The knowledge stage's own code: a new kg version analyses again."""
    return b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))


def fingerprint(kb) -> str:
    h = hashlib.blake2b(f"knowledge {VERSION}\n".encode(), digest_size=12)
    h.update(_code())
    for path, info in kb.infos.items():
        h.update(f"{path}\0{info.hash}\n".encode())
    for cid, c in sorted(kb.concepts.items()):
        h.update(f"{cid}\0{c.title}\0{'|'.join(c.aliases)}\0{c.doc}\n".encode())
    return h.hexdigest()


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def knowledge(kb, cache_dir: Path, progress=None) -> Knowledge:
    """The vault's evidence and tensions, from the cache when nothing changed, with the user's
    review decisions applied (kg.claims.review); sets kb.knowledge, replaces kb.claims by the
    analysed claims and adds the stage's problems to kb.diagnostics."""
    path = cache_dir / FILE
    stamp = fingerprint(kb)
    saved = _load(path)
    if saved.get("fingerprint") == stamp:
        found = Knowledge(
            claims=[Claim.model_validate(c) for c in saved["claims"]],
            evidence=[Evidence.model_validate(e) for e in saved["evidence"]],
            tensions=[Tension.model_validate(t) for t in saved["tensions"]],
            clusters=saved["clusters"], candidates=saved["candidates"],
            diagnostics=[Diagnostic.model_validate(d) for d in saved["diagnostics"]], anchors=saved["anchors"])
    else:
        from kg.search.embed import shared_embedder
        from kg.search.index import SearchIndex

        index = SearchIndex(cache_dir)
        if progress:
            progress("Finding evidence and tensions", 0, None)
        found = analyse(kb, lambda texts: index.vectors_for(texts, shared_embedder, progress), saved.get("anchors"))
        data = {"fingerprint": stamp, "claims": [c.model_dump(exclude_defaults=True) for c in found.claims],
                "evidence": [e.model_dump(exclude_defaults=True) for e in found.evidence],
                "tensions": [t.model_dump(exclude_defaults=True) for t in found.tensions],
                "clusters": found.clusters, "candidates": found.candidates,
                "diagnostics": [d.model_dump() for d in found.diagnostics], "anchors": found.anchors}
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{FILE}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    kb.knowledge = found
    kb.__dict__["claims"] = found.claims
    kb.diagnostics.extend(found.diagnostics)
    # the user's decisions (kg-review.toml) apply on every load, so the cache above stays the raw
    # analysis and a new decision needs no new analysis
    kb.diagnostics.extend(review.apply(found, kb.root))
    kb.diagnostics.extend(settle(found, warn=bool(kb.source_ids)))
    kb.diagnostics.sort(key=lambda d: (d.doc, d.line, d.col, d.code))
    return found
