"""Tension detection at scale: 100,000 claims with their vectors cached (goal: <= 60 s).

Usage: python bench/bench_tensions.py [N]   (default 100000; run bench/evidence_scifact.py first)

The claims are real sentences: the SciFact abstracts' sentences and training claims of
bench/vaults/scifact-claims, whose vectors that benchmark cached. They are repeated until there
are N, each copy in its own file and its vector moved by Gaussian noise (sigma 0.035 per
dimension, as in bench_search.py), so that every claim has near neighbours that share its
subjects and figures: the detectors' worst case. Reports the time to prepare the claims
(quantities and subjects: part of claim extraction), to find the neighbours (faiss), to judge
the candidate pairs, and the peak memory.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
VAULT = HERE / "vaults" / "scifact-claims"
NOISE = 0.035


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    from kg.build import build
    from kg.claims import tensions as tension_module
    from kg.claims.analyse import subject_offsets
    from kg.claims.extract import Mentions
    from kg.claims.quantities import find_quantities
    from kg.claims.subjects import Subjects
    from kg.config import cache_folder
    from kg.model import Claim
    from kg.search.embed import Embedder
    from kg.search.index import SearchIndex

    if not (VAULT / "notes").is_dir():
        sys.exit("run bench/evidence_scifact.py first: it builds the vault and caches the vectors")
    kb = build(VAULT)
    texts, docs = [], []
    for path in kb.sources:
        for s in kb.doc(path).sentences:
            if len(s.text.split()) >= 4:
                texts.append(s.text)
                docs.append(path)
    for path in kb.notes:
        for b in kb.doc(path).blocks:
            texts.append(b.text)
            docs.append(path)
    base = SearchIndex(cache_folder(VAULT)).vectors_for(texts, Embedder)
    print(f"{len(texts)} distinct claims with cached vectors; tiling to {n}", flush=True)

    rng = np.random.default_rng(0)
    rows = np.arange(n) % len(texts)
    vectors = base[rows] + rng.normal(0, NOISE, (n, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    started = time.perf_counter()
    subjects = Subjects(texts)
    mentions = Mentions([])
    claims = [Claim(id=f"c{i}", text=texts[r], doc=f"{docs[r]}#{i // len(texts)}", line=1, origin="source",
                    quantities=find_quantities(texts[r])) for i, r in enumerate(rows)]
    prepared = [subject_offsets(mentions, subjects, c) for c in claims]
    prepare = time.perf_counter() - started

    pool = tension_module.Pool(claims, vectors.astype(np.float32), [p for p, _, _ in prepared], [None] * n,
                               [e for _, e, _ in prepared], [s for _, _, s in prepared])
    started = time.perf_counter()
    tension_module.neighbours(pool.vectors)
    search = time.perf_counter() - started
    started = time.perf_counter()
    found, clusters = tension_module.detect(pool)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = pool.pairs
    print(f"claims: {n}")
    print(f"prepare claims (quantities, subjects): {prepare:.1f} s")
    kind = "HNSW" if n >= tension_module.ANN_FROM else "exact"
    print(f"nearest neighbours alone (faiss {kind}, k={tension_module.NEIGHBOURS}): {search:.1f} s")
    print(f"detect (neighbours + {pairs} candidate pairs judged): {total:.1f} s")
    kinds = ", ".join(f"{k} {sum(t.kind == k for t in found)}" for k in ("numeric", "polarity"))
    print(f"tensions {len(found)} ({kinds}), corroboration clusters {len(clusters)}")
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
