"""Search latency and index size at 10k, 100k and 1M indexed items.

Usage: python bench/bench_search.py [SIZES ...]   (default: 10000 100000 1000000)

Needs the SciFact vault built first (python bench/beir_scifact.py): its ~10k real passage
vectors and texts are tiled to each size into bench/vaults/search-N/.kg. Each copy past the
first gets Gaussian noise (sigma NOISE per dimension) and is renormalised, which leaves it at a
cosine of about 0.8 to its original: near enough to keep the corpus's shape, far enough that
the copies are distinct neighbours rather than a hundred near-ties per passage. Queries are 50 SciFact
training claims. Prints, per size:
- warm hybrid query median and p95 (Python API, model loaded);
- vector recall@10 against an exact scan, and lexical agreement@10: the share of the served
  lexical top 10 that plain BM25 over all query words scores at least as high as its own 10th
  best (the large-vault query plan narrows the candidates; see query.LEXICAL_BUDGET);
- cold `kg search` median of 5 fresh processes;
- index files on disk and the memory a loaded searcher adds after answering (its own, and the
  pages of its index files mapped in);
- for vaults with an HNSW graph: the time to build it whole, and to bring it up to date after
  an edit that removes 20 items and adds 20 (what `kg build` does after one note changes).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from kg.search.index import ANN_FROM, MATRICES, SearchIndex, count_terms, load_matrices, save_matrices, sync_ann

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "vaults" / "scifact" / ".kg"
QUERIES_FILE = HERE.parent.parent / "shared" / "corpora" / "scifact-train" / "queries-train.jsonl"
KG = Path(sys.executable).with_name("kg")
NOISE = 0.035


def rss_mb() -> tuple[float, float]:
    """(the process's own resident memory, resident pages of mapped files) in MB: the kernel can
    reclaim the second (the index files read through their maps) whenever memory is short."""
    fields = {line.split(":")[0]: int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
              if line.startswith(("RssAnon", "RssFile", "RssShmem"))}
    return fields["RssAnon"] / 1e3, (fields["RssFile"] + fields.get("RssShmem", 0)) / 1e3


def queries() -> list[str]:
    lines = QUERIES_FILE.read_text(encoding="utf-8").splitlines()[:50]
    return [json.loads(line)["text"] for line in lines]


def make_index(n: int) -> Path:
    vault = HERE / "vaults" / f"search-{n}"
    folder = vault / ".kg"
    done_mark = folder / f"bench-complete-{NOISE}-heaps"
    if done_mark.is_file():
        return vault
    shutil.rmtree(vault, ignore_errors=True)
    (vault / "notes").mkdir(parents=True)
    (vault / "kg.toml").write_text("# tiled search benchmark\n", encoding="utf-8")
    folder.mkdir()
    source = load_matrices(SOURCE)
    base = np.asarray(source.matrix)
    base_parts, base_part_ids = np.asarray(source.parts), source.part_ids
    src = sqlite3.connect(SOURCE / "search.sqlite")
    rows = src.execute("SELECT doc, kind, line, text, title, concept, source, tags, date, sentences, key, id "
                       "FROM items ORDER BY id").fetchall()
    row_of_id = {r[11]: i for i, r in enumerate(rows)}
    part_row = np.array([row_of_id.get(int(i), -1) for i in base_part_ids], dtype=np.int64)  # each part's item row
    parts, part_ids = [], []  # the sentences of each window, tiled with it (the query scores windows by them)

    db = SearchIndex(folder).connect(create=True)
    rng = np.random.default_rng(0)
    matrix = np.lib.format.open_memmap(folder / ".tiled.npy", mode="w+", dtype=np.float32, shape=(n, base.shape[1]))
    done = 0
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
            count_terms(db, (f"{r[3]}\n{r[4]}" for r in rows[:take]), 1)
            block = base[:take] + (rng.standard_normal((take, base.shape[1])).astype(np.float32) * NOISE if copy else 0)
            matrix[done:done + take] = block / np.linalg.norm(block, axis=1, keepdims=True)
            mine = np.nonzero((part_row >= 0) & (part_row < take))[0]
            block = base_parts[mine] + (rng.standard_normal((len(mine), base.shape[1])).astype(np.float32) * NOISE
                                        if copy else 0)
            parts.append((block / np.linalg.norm(block, axis=1, keepdims=True)).astype(np.float32))
            part_ids.append(done + part_row[mine] + 1)
            done += take
            print(f"  tiling {done:,}/{n:,}", end="\r", file=sys.stderr)
    db.close()
    started = time.perf_counter()
    ids = np.concatenate(part_ids)
    order = np.argsort(ids, kind="stable")  # sorted by item, as kg writes them
    save_matrices(folder, [(np.arange(1, n + 1, dtype=np.int64), np.full(n, -1), matrix, None),
                           (ids[order], np.full(len(ids), -1), np.concatenate(parts)[order], None)])
    sync_ann(folder, np.arange(1, n + 1, dtype=np.int64), matrix)
    print(f"  vectors written{' and HNSW built' if n >= ANN_FROM else ''} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    del matrix
    (folder / ".tiled.npy").unlink()
    done_mark.write_text("ok\n")
    return vault


def measure(n: int, embedder, texts: list[str]) -> None:
    from kg.search.query import Searcher, _phrase, terms

    vault = make_index(n)
    folder = vault / ".kg"
    sync_ann(folder, *load_matrices(folder)[:2])
    rss_before = rss_mb()
    searcher = Searcher(folder, embedder=embedder)
    for q in texts:  # page in what the queries read (this VM reclaims cold page cache quickly)
        searcher.search(q, k=10)
    warm = []
    for q in texts:
        started = time.perf_counter()
        searcher.search(q, k=10)
        warm.append((time.perf_counter() - started) * 1000)
    rss_after = rss_mb()
    vector_recall, lexical_agreement = [], []
    for q in texts:
        v = embedder.embed([q])[0]
        served = [i for i, _ in searcher.nearest(v, 10)]
        # the exact scan scores as the engine does: a window by its best sentence too (SENTENCE_SHARE)
        exact = np.argsort(-searcher._with_sentences(v, searcher.ids, np.asarray(searcher.matrix) @ v))[:10]
        vector_recall.append(len(set(served) & {int(searcher.ids[j]) for j in exact}) / 10)
        plain = " OR ".join(_phrase(w) for w in dict.fromkeys(terms(q)))
        exact_lex = [r[0] for r in searcher.db.execute(
            "SELECT bm25(fts, 1.0, 0.5) FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 1.0, 0.5) LIMIT 10", (plain,))]
        if exact_lex:  # served results that score as well as plain BM25's 10th best (ties count)
            served_lex = [searcher.db.execute("SELECT bm25(fts, 1.0, 0.5) FROM fts WHERE fts MATCH ? AND rowid = ?",
                                              (plain, i)).fetchone()[0] for i in searcher.lexical(q, 10, None)]
            lexical_agreement.append(sum(s <= exact_lex[-1] + 1e-9 for s in served_lex) / len(exact_lex))
    cold = []
    for q in texts[:5]:
        started = time.perf_counter()
        subprocess.run([str(KG), "--vault", str(vault), "search", q, "-k", "10"], check=True, capture_output=True)
        cold.append(time.perf_counter() - started)
    files = {p.name: p.stat().st_size / 1e6 for p in folder.iterdir() if p.is_file()}
    print(f"{n:>9,} items: warm median {statistics.median(warm):5.1f} ms, p95 {sorted(warm)[int(len(warm) * .95)]:5.1f}"
          f" ms | vector recall@10 {statistics.mean(vector_recall):.3f}, lexical agreement@10 "
          f"{statistics.mean(lexical_agreement):.3f} | cold kg search median {statistics.median(cold):.2f} s")
    print(f"{'':>16}files: " + ", ".join(f"{k} {v:,.0f} MB" for k, v in sorted(files.items()) if v >= 1)
          + f" | a loaded searcher adds {rss_after[0] - rss_before[0]:,.0f} MB of its own memory and "
          f"{rss_after[1] - rss_before[1]:,.0f} MB of mapped file pages")
    if n >= ANN_FROM:
        ids, matrix = load_matrices(folder)[:2]
        edited = np.concatenate([np.delete(ids, np.arange(100, 120)), ids[-1] + 1 + np.arange(20)])
        # the note's 20 passages leave and come back under new ids, with their old vectors
        moved = np.concatenate([np.delete(np.arange(len(ids)), np.arange(100, 120)), np.arange(100, 120)])
        started = time.perf_counter()
        action = sync_ann(folder, edited, matrix[moved])
        update = time.perf_counter() - started
        started = time.perf_counter()
        sync_ann(folder, ids, matrix)  # back: 20 more tombstones, 20 adds
        print(f"{'':>16}HNSW after a one-note edit: {action} in {update:.2f} s; restored in "
              f"{time.perf_counter() - started:.2f} s")


def main() -> None:
    sizes = [int(s) for s in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    if not (SOURCE / MATRICES).is_file():
        sys.exit("build the SciFact vault first: python bench/beir_scifact.py")
    from kg.search.embed import Embedder

    embedder = Embedder()
    texts = queries()
    for n in sizes:
        measure(n, embedder, texts)


if __name__ == "__main__":
    main()
