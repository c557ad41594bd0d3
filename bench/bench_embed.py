"""Embedding throughput: kg's embedder (the int8 ONNX graph, one text a run, a run per core at
once) against the float graph in batches, as kg embedded before, and the raw sentence-transformers
model.

Usage: python bench/bench_embed.py [N]   (default 1000 SciFact sentences)
Needs torch and sentence-transformers, which kg itself does not use: run it in the test venv
(`make test` installs them: the CPU build of torch, then `pip install -e '.[test]'`).

All three run on this machine's cores, on the same texts: N SciFact sentences, then N/8 abstracts
whole (cut at the model's 256 tokens). Prints texts per second for each, and the smallest and
mean cosine between kg's vectors and sentence-transformers'.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "scifact-train" / "corpus.jsonl"


def float_batches(embedder, texts: list[str], batch: int = 64, tokens: int = 2048) -> np.ndarray:
    """The float graph in batches, as kg embedded before int8: texts ordered by token count, a
    batch at most `batch` texts and `tokens` tokens, pads included."""
    counts = [len(e.ids) for e in embedder.tokenizer.encode_batch(texts)]
    order = sorted(range(len(texts)), key=counts.__getitem__)
    out = np.zeros((len(texts), 384), dtype=np.float32)
    embedder.tokenizer.enable_padding()
    try:
        start = 0
        while start < len(order):
            size = max(1, min(batch, tokens // counts[order[min(start + batch, len(order)) - 1]]))
            chunk = order[start:start + size]
            start += size
            enc = embedder.tokenizer.encode_batch([texts[i] for i in chunk])
            out[chunk] = embedder.session.run(None, {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)})[0]
    finally:
        embedder.tokenizer.no_padding()
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    threads = os.cpu_count() or 1
    lines = DATA.read_text(encoding="utf-8").splitlines()
    sets = {"sentences": [s for line in lines for s in json.loads(line)["abstract"]][:n],
            "abstracts": [" ".join(json.loads(line)["abstract"]) for line in lines[:max(1, n // 8)]]}
    import onnxruntime as ort
    import torch
    from sentence_transformers import SentenceTransformer

    from kg.search.embed import Embedder, weights_dir
    from kg.search.onnx_graph import build_onnx

    ours = Embedder(threads=threads)
    with tempfile.TemporaryDirectory() as folder:
        build_onnx(weights_dir(), Path(folder) / "float.onnx")
        floats = Embedder(path=Path(folder) / "float.onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # batches use every core inside one run
        options.log_severity_level = 3
        floats.session = ort.InferenceSession(str(Path(folder) / "float.onnx"), options,
                                              providers=["CPUExecutionProvider"])
    torch.set_num_threads(threads)
    raw = SentenceTransformer(str(weights_dir()), device="cpu")
    for name, texts in sets.items():
        ours.embed(texts[:16])
        float_batches(floats, texts[:16])
        raw.encode(texts[:16])
        rates = {}
        started = time.perf_counter()
        a = ours.embed(texts)
        rates["kg (int8, one text a run)"] = len(texts) / (time.perf_counter() - started)
        started = time.perf_counter()
        float_batches(floats, texts)
        rates["float graph in batches"] = len(texts) / (time.perf_counter() - started)
        started = time.perf_counter()
        b = raw.encode(texts, batch_size=64, normalize_embeddings=True)
        rates["sentence-transformers (torch)"] = len(texts) / (time.perf_counter() - started)
        cosines = (a * b).sum(axis=1)
        print(f"{len(texts)} {name} on {threads} threads: "
              + ", ".join(f"{k} {v:.0f}/s" for k, v in rates.items())
              + f"; kg against torch: min cosine {cosines.min():.4f}, mean {cosines.mean():.4f}")


if __name__ == "__main__":
    main()
