"""Embedding throughput: kg's embedder (ONNX) against the raw sentence-transformers model.

Usage: python bench/bench_embed.py [N]   (default 1000 SciFact sentences)
Needs torch and sentence-transformers, which kg itself does not use: run it in the test venv
(`make test` installs them: the CPU build of torch, then `pip install -e '.[test]'`).

Both run on this machine's cores (torch and onnxruntime limited to the same thread count) on
the same sentences, in batches of 64; prints sentences per second for each, their ratio, and
the smallest cosine between the two models' vectors.

First it prints how kg's batching pays: the same texts (the SciFact sentences, and N/8 abstracts
whole) embedded in batches ordered by token count, as kg does, and ordered by characters
(kg before), with the share of pads among the tokens fed and the smallest cosine between the two.
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
    batching(ours, texts + [" ".join(json.loads(line)["abstract"]) for line in
                            DATA.read_text(encoding="utf-8").splitlines()[:n // 8]])
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


def batching(ours, texts: list[str]) -> None:
    """kg's batches (by token count) against batches by characters, on the same session."""
    import numpy as np

    from kg.search.embed import BATCH_TOKENS, DIM

    counts = ours.token_counts(texts)

    def by_characters() -> tuple[np.ndarray, int]:
        out, fed = np.zeros((len(texts), DIM), dtype=np.float32), 0
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        budget = BATCH_TOKENS * 8  # characters: about as many tokens as kg's batches hold
        start = 0
        while start < len(order):
            size = max(1, min(64, budget // max(len(texts[order[min(start + 64, len(order)) - 1]]), 1)))
            chunk = order[start:start + size]
            start += size
            enc = ours.tokenizer.encode_batch([texts[i] for i in chunk])
            fed += len(enc) * len(enc[0].ids)
            out[chunk] = ours.session.run(None, {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)})[0]
        return out, fed

    started = time.perf_counter()
    old, fed = by_characters()
    old_seconds = time.perf_counter() - started
    started = time.perf_counter()
    new = ours.embed(texts)
    new_seconds = time.perf_counter() - started
    print(f"{len(texts)} texts, {sum(counts)} tokens: by tokens (kg) {new_seconds:.1f} s, "
          f"by characters {old_seconds:.1f} s ({fed - sum(counts)} pads, {1 - sum(counts) / fed:.0%} of the tokens fed); "
          f"min cosine {float((old * new).sum(axis=1).min()):.6f}")


if __name__ == "__main__":
    main()
