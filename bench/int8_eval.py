"""Would an int8 model do? Speed and SciFact retrieval quality of a dynamically quantized copy.

Usage: python bench/int8_eval.py

Needs the SciFact vault built first (python bench/beir_scifact.py). Quantizes kg's ONNX export
of all-MiniLM-L6-v2 with onnxruntime (per-channel int8 weights, MatMul only) into a temporary
folder, then prints:
- embedding throughput of fp32 and int8 on the SciFact passages (2 threads);
- mean cosine between the fp32 and int8 vectors of the same passages;
- vector-only nDCG@10 and recall@100 on the 809 training queries for fp32 passages and queries,
  int8 for both, and fp32 passages with int8 queries (a faster query path over an fp32 index).
kg keeps fp32 unless int8 loses no retrieval quality here.
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

from kg.search.embed import Embedder, onnx_path  # noqa: E402


def quantized_embedder(folder: Path) -> Embedder:
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = folder / "int8.onnx"
    quantize_dynamic(str(onnx_path()), str(target), per_channel=True, op_types_to_quantize=["MatMul"],
                     weight_type=QuantType.QInt8)
    embedder = Embedder(threads=2)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    embedder.session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
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
    fp32 = Embedder(threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        int8 = quantized_embedder(Path(tmp))
        vectors, rates = {}, {}
        for name, embedder in (("fp32", fp32), ("int8", int8)):
            started = time.perf_counter()
            vectors[name] = embedder.embed(texts)
            rates[name] = len(texts) / (time.perf_counter() - started)
            vectors[name + "-q"] = embedder.embed(qtexts)
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
