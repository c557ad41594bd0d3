"""Search latency at 10k, 100k and 1M indexed items: warm (model loaded) and cold (`kg search`).

Usage: python bench/bench_search.py [SIZES ...]   (default: 10000 100000)

Needs the SciFact vault built first (python bench/beir_scifact.py): its ~10k real passage
vectors and texts are tiled to each size, each copy nudged by a little noise and renormalised
so that no two vectors are equal, into bench/vaults/search-N/.kg. Prints, per size: warm
query median and p95 over 50 queries (API, model loaded), cold `kg search` median of 5 fresh
processes, and the memory of the vector matrix.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from kg.search.index import QUANTIZE_FROM, SearchIndex, write_vectors

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "vaults" / "scifact" / ".kg"
KG = Path(sys.executable).with_name("kg")
QUERIES = ["vitamin D lowers the risk of fractures", "how do macrophages respond to infection",
           "GLM-5 parameters", "statins reduce cardiovascular mortality", "gene expression in tumour cells"]


def make_index(n: int) -> Path:
    vault = HERE / "vaults" / f"search-{n}"
    folder = vault / ".kg"
    if (folder / "vectors.npy").is_file() and len(np.load(folder / "vector_ids.npy")) == n:
        if n >= QUANTIZE_FROM and not (folder / "vectors.sq8").is_file():
            write_vectors(folder, np.load(folder / "vector_ids.npy"), np.load(folder / "vectors.npy"))
        return vault
    shutil.rmtree(vault, ignore_errors=True)
    (vault / "notes").mkdir(parents=True)
    (vault / "kg.toml").write_text("# tiled search benchmark\n", encoding="utf-8")
    folder.mkdir()
    base = np.load(SOURCE / "vectors.npy")
    src = sqlite3.connect(SOURCE / "search.sqlite")
    rows = src.execute("SELECT doc, kind, line, text, title, concept, source, tags, date, sentences, key "
                       "FROM items ORDER BY id").fetchall()

    db = SearchIndex(folder).connect(create=True)
    rng = np.random.default_rng(0)
    chunks, done = [], 0
    with db:
        while done < n:
            take = min(len(rows), n - done)
            copy = done // len(rows)
            db.executemany("INSERT INTO items (id, doc, kind, line, text, title, concept, source, tags, date, "
                           "sentences, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(done + i + 1, r[0].replace(".md", f"-{copy}.md"), *r[1:10], f"{r[10]}-{copy}")
                            for i, r in enumerate(rows[:take])])
            db.executemany("INSERT INTO fts (rowid, text, title) VALUES (?, ?, ?)",
                           [(done + i + 1, r[3], r[4]) for i, r in enumerate(rows[:take])])
            block = base[:take] + (rng.standard_normal((take, base.shape[1])).astype(np.float32) * 0.01 if copy else 0)
            chunks.append(block / np.linalg.norm(block, axis=1, keepdims=True))
            done += take
    db.close()
    write_vectors(folder, np.arange(1, n + 1, dtype=np.int64), np.concatenate(chunks).astype(np.float32))
    return vault


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 100_000]
    if not (SOURCE / "vectors.npy").is_file():
        sys.exit("build the SciFact vault first: python bench/beir_scifact.py")
    from kg.search.embed import Embedder
    from kg.search.query import Searcher

    embedder = Embedder()
    for n in sizes:
        vault = make_index(n)
        searcher = Searcher(vault / ".kg", embedder=embedder)
        searcher.search(QUERIES[0])  # page the matrix in
        warm = []
        for i in range(50):
            started = time.perf_counter()
            searcher.search(QUERIES[i % len(QUERIES)], k=10)
            warm.append((time.perf_counter() - started) * 1000)
        cold = []
        for i in range(5):
            started = time.perf_counter()
            subprocess.run([str(KG), "--vault", str(vault), "search", QUERIES[i], "-k", "10"], check=True,
                           capture_output=True)
            cold.append(time.perf_counter() - started)
        recall = []
        for i in range(50):
            q = QUERIES[i % len(QUERIES)] + f" {i}"
            served = searcher.vector(q, 10, None)
            v = embedder.embed([q])[0]
            exact = np.argsort(-(np.asarray(searcher.matrix) @ v))[:10]
            recall.append(len(set(served) & {int(searcher.ids[j]) for j in exact}) / 10)
        mb = (vault / ".kg" / "vectors.npy").stat().st_size / 1e6
        print(f"{n:>9,} items: warm median {statistics.median(warm):6.1f} ms, p95 "
              f"{sorted(warm)[int(len(warm) * 0.95)]:6.1f} ms; cold kg search median {statistics.median(cold):.2f} s; "
              f"vectors {mb:.0f} MB; vector recall@10 against exact {statistics.mean(recall):.3f}")


if __name__ == "__main__":
    main()
