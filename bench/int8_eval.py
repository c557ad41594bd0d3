"""Does the int8 model kg embeds with do? Speed and SciFact retrieval quality against the float graph.

Usage: python bench/int8_eval.py

Needs the SciFact vault built first (python bench/beir_scifact.py). kg embeds with an int8 copy
of its ONNX graph of all-MiniLM-L6-v2 (kg.search.embed.quantize: per-channel int8 weights,
MatMul only), one text a run. This builds the float graph into a temporary folder, then prints:
- embedding throughput of the float graph (in batches, as kg embedded before) and of kg's int8
  embedder on the SciFact passages;
- mean cosine between the float and int8 vectors of the same passages;
- vector-only nDCG@10 and recall@100 on the 809 training queries for float passages and queries,
  int8 for both, and float passages with int8 queries.
Measured when kg moved to int8: float 0.661 / 0.919, int8 0.660 / 0.919;
2.48x the passages a second.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from beir_scifact import VAULT, ndcg_at, qrels, queries  # noqa: E402

from bench_embed import float_batches  # noqa: E402

from kg.search.embed import Embedder, weights_dir  # noqa: E402
from kg.search.onnx_graph import build_onnx  # noqa: E402


def float_embedder(folder: Path) -> Embedder:
    """The float graph, run with every core inside one batch (as kg ran it before int8)."""
    import onnxruntime as ort

    build_onnx(weights_dir(), folder / "float.onnx")
    embedder = Embedder(path=folder / "float.onnx")
    options = ort.SessionOptions()
    options.intra_op_num_threads = embedder.threads
    options.log_severity_level = 3
    embedder.session = ort.InferenceSession(str(folder / "float.onnx"), options, providers=["CPUExecutionProvider"])
    return embedder


def evaluate(doc_vectors: np.ndarray, docs: list[str], query_vectors: np.ndarray, qids: list[str],
             rel: dict[str, set[str]]) -> tuple[float, float]:
    ndcg, recall, n = 0.0, 0.0, 0
    for qid, q in zip(qids, query_vectors):
        if not rel.get(qid):
            continue
        order = np.argsort(-(doc_vectors @ q))
        ranked: list[str] = []
        for row in order:
            if docs[row] not in ranked:
                ranked.append(docs[row])
            if len(ranked) == 100:
                break
        ndcg += ndcg_at(ranked, rel[qid])
        recall += len(set(ranked) & rel[qid]) / len(rel[qid])
        n += 1
    return ndcg / n, recall / n


def main() -> None:
    db = sqlite3.connect(VAULT / ".kg" / "search.sqlite")
    rows = db.execute("SELECT doc, text FROM items ORDER BY id").fetchall()
    docs = [d.rsplit("/", 1)[-1][1:].rsplit(".", 1)[0] for d, _ in rows]
    texts = [t for _, t in rows]
    qs, rel = queries(), qrels()
    qids, qtexts = [q for q, _ in qs], [t for _, t in qs]
    int8 = Embedder()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = float_embedder(Path(tmp))
        vectors, rates = {}, {}
        for name, embed in (("fp32", lambda t: float_batches(fp32, t)), ("int8", int8.embed)):
            started = time.perf_counter()
            vectors[name] = embed(texts)
            rates[name] = len(texts) / (time.perf_counter() - started)
            vectors[name + "-q"] = embed(qtexts)
    cosine = float((vectors["fp32"] * vectors["int8"]).sum(axis=1).mean())
    print(f"throughput on {len(texts):,} SciFact passages: fp32 {rates['fp32']:.0f}/s, int8 {rates['int8']:.0f}/s "
          f"({rates['int8'] / rates['fp32']:.2f}x); mean cosine int8 to fp32 {cosine:.4f}")
    results = defaultdict(tuple)
    for label, d, q in (("fp32 passages, fp32 queries", "fp32", "fp32-q"),
                        ("int8 passages, int8 queries", "int8", "int8-q"),
                        ("fp32 passages, int8 queries", "fp32", "int8-q")):
        results[label] = evaluate(vectors[d], docs, vectors[q], qids, rel)
        print(f"{label}: vector nDCG@10 {results[label][0]:.3f}, recall@100 {results[label][1]:.3f}")


if __name__ == "__main__":
    main()
