"""Embedding throughput: kg's embedder (ONNX) against the raw sentence-transformers model.

Usage: python bench/bench_embed.py [N]   (default 1000 SciFact sentences)
Needs torch and sentence-transformers, which kg itself does not use: run it in the test venv
(`make test` installs them: the CPU build of torch, then `pip install -e '.[test]'`).

Both run on this machine's cores (torch and onnxruntime limited to the same thread count) on
the same sentences, in batches of 64; prints sentences per second for each, their ratio, and
the smallest cosine between the two models' vectors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "scifact-train" / "corpus.jsonl"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    threads = os.cpu_count() or 1
    texts = [s for line in DATA.read_text(encoding="utf-8").splitlines() for s in json.loads(line)["abstract"]][:n]
    from kg.search.embed import Embedder, weights_dir

    ours = Embedder(threads=threads)
    ours.embed(texts[:64])
    started = time.perf_counter()
    a = ours.embed(texts)
    kg_rate = len(texts) / (time.perf_counter() - started)

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    raw = SentenceTransformer(str(weights_dir()), device="cpu")
    raw.encode(texts[:64])
    started = time.perf_counter()
    b = raw.encode(texts, batch_size=64, normalize_embeddings=True)
    raw_rate = len(texts) / (time.perf_counter() - started)
    print(f"{len(texts)} sentences on {threads} threads: kg (onnxruntime) {kg_rate:.0f}/s, "
          f"raw sentence-transformers {raw_rate:.0f}/s, ratio {kg_rate / raw_rate:.2f}; "
          f"min cosine {float((a * b).sum(axis=1).min()):.6f}")


if __name__ == "__main__":
    main()
