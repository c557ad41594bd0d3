"""kg without faiss (the optional `large` extra): exact neighbours in numpy (kg.search.knn) give
what faiss's exact index gives, no HNSW graph is built or read, and a whole build finds the
same claims, evidence and tensions, and search the same passages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kg.search import knn
from tests.conftest import FIXTURES, ROOT

KG = Path(sys.executable).with_name("kg")


def unit_vectors(n: int, d: int = 384, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def no_faiss(monkeypatch):
    """faiss looked for and not found, in this process."""
    monkeypatch.setattr(knn, "_faiss", None)


def assert_same_search(ours, theirs, tolerance=1e-5):
    """Same rows, same scores up to float rounding; rows may only swap where their scores are
    within rounding of each other."""
    (sims, rows), (ref_sims, ref_rows) = ours, theirs
    assert sims.shape == ref_sims.shape and rows.shape == ref_rows.shape
    assert sims.dtype == np.float32 and rows.dtype == np.int64
    np.testing.assert_allclose(sims, ref_sims, atol=tolerance, rtol=0)
    for line, position in zip(*np.nonzero(rows != ref_rows)):
        near = np.abs(ref_sims[line] - ref_sims[line, position]) <= tolerance
        assert rows[line, position] in ref_rows[line][near], (line, position)


@pytest.mark.parametrize("n, queries, k", [(3000, 700, 20), (500, 5, 20), (50, 30, 11), (7, 4, 7), (5, 3, 9)])
def test_numpy_search_equals_faiss_flat_ip(n, queries, k, monkeypatch):
    """kg.search.knn.Flat returns IndexFlatIP's rows and scores, chunked or not, padding included
    (k past the number of rows: row -1)."""
    faiss = pytest.importorskip("faiss")
    matrix, q = unit_vectors(n), unit_vectors(queries, seed=1)
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    reference = index.search(q, k)
    assert_same_search(knn.Flat(matrix).search(q, k), reference)
    monkeypatch.setattr(knn, "CHUNK_CELLS", 1000)  # many small chunks of queries
    assert_same_search(knn.Flat(matrix).search(q, k), reference)


def test_the_exact_search_equals_index_flat_ip_and_copies_no_row():
    """The exact search (kg.search.knn.Flat, used with faiss or without) searches the matrix where
    it is (no copy of a 10k vault's vectors) and answers as IndexFlatIP does; a row written twice
    (a sentence clipped twice) is listed as faiss lists it, the copy first."""
    faiss = pytest.importorskip("faiss")
    matrix, q = unit_vectors(3000), unit_vectors(700, seed=1)
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    found = knn.Flat(matrix)
    assert np.shares_memory(found.matrix, matrix)
    for k in (20, 1):
        assert_same_search(found.search(q, k), index.search(q, k))
    matrix[11] = matrix[10]
    _, rows = found.search(matrix[10], 20)
    assert rows[0, :2].tolist() == [11, 10]


def test_a_large_pool_s_claim_neighbours_are_scored_exactly_best_first(monkeypatch):
    """From ANN_FROM claims the neighbours come from an 8-bit HNSW graph; each is scored on the
    float vectors (a tension's cosine is exact) and listed best first, and near claims are found
    as an exact search finds them."""
    pytest.importorskip("faiss")
    from kg.claims import tensions
    from kg.claims.tensions import NEIGHBOURS, neighbours

    ANN_FROM = 20_000  # (the graph is the same from any size: a pool of 50,000 took 13 s)
    monkeypatch.setattr(tensions, "ANN_FROM", ANN_FROM)
    rng = np.random.default_rng(7)
    centres = unit_vectors(ANN_FROM // 10, seed=8)  # groups of ten near claims, as rewordings are
    vectors = np.repeat(centres, 10, axis=0) + rng.standard_normal((ANN_FROM, 384)).astype(np.float32) * 0.02
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sims, rows = neighbours(vectors)
    assert rows.shape == (ANN_FROM, NEIGHBOURS + 1) and (rows >= 0).all()
    exact = np.stack([np.einsum("nd,nd->n", vectors, vectors[rows[:, j]]) for j in range(rows.shape[1])], axis=1)
    np.testing.assert_allclose(sims, exact, atol=1e-5)
    assert (np.diff(sims, axis=1) <= 0).all()
    sample = rng.choice(ANN_FROM, 500, replace=False)
    own = [int((rows[n, :10] // 10 == n // 10).sum()) for n in sample]  # its group's ten (itself included) first
    assert np.mean(own) >= 9.5


@pytest.mark.parametrize("dims", [64, 8])  # scores of 64 dimensions tie at the cut; of 8, lines of them tie
def test_the_sampled_floor_picks_what_a_partition_of_every_score_picks(dims, monkeypatch):
    """`pick` finds each line's k largest among the scores at or above a floor found in a sample
    of them: the same columns as a partition of every score, ties at the cut included (the lowest
    columns), and when a line has too many scores at its floor it partitions them all."""
    rng = np.random.default_rng(9)
    matrix = rng.integers(-1, 2, (3001, dims)).astype(np.float32)  # integers: many exact ties; 3001, a
    # line that ends in a part of an 8-byte word
    queries = rng.integers(-1, 2, (50, dims)).astype(np.float32)
    scores = queries @ matrix.T
    for k in (1, 20, 90):
        sampled = knn.pick(scores, k)
        monkeypatch.setattr(knn, "SAMPLE", len(matrix))  # no sample: every score partitioned
        whole = knn.pick(scores, k)
        monkeypatch.undo()
        assert [sorted(line) for line in sampled.tolist()] == [sorted(line) for line in whole.tolist()]
        kth = -np.sort(-scores, axis=1)[:, k - 1]
        assert (np.take_along_axis(scores, sampled, axis=1).min(axis=1) == kth).all()


def tied_matrix() -> np.ndarray:
    """Rows 3, 5, 9, 17, 30 and 31 the same; integers, so every dot product is exact."""
    matrix = np.random.default_rng(5).integers(-1, 2, (40, 8)).astype(np.float32)
    for row in (3, 5, 9, 17, 30, 31):
        matrix[row] = 3.0  # 72 with itself and its copies, at most 24 with the others
    return matrix


def test_ties_are_listed_as_faiss_lists_them(monkeypatch):
    """Equal scores are listed from the highest row down, as faiss lists them, so that the same
    sentence twice in a source is cited at the same place with faiss and without; across the
    cut of k the lowest rows are kept, whatever the chunking."""
    matrix = tied_matrix()
    for cells in (knn.CHUNK_CELLS, 40):
        monkeypatch.setattr(knn, "CHUNK_CELLS", cells)
        sims, rows = knn.top_k(matrix[[5, 30]], matrix, 4)
        assert rows.tolist() == [[17, 9, 5, 3], [17, 9, 5, 3]] and (sims == 72).all()
        sims, rows = knn.top_k(matrix[5], matrix, 8)
        assert rows[0, :6].tolist() == [31, 30, 17, 9, 5, 3] and sims[0, 6] < sims[0, 5]


@pytest.mark.parametrize("queries", [1, 2, 40])  # faiss scans fewer than 20 queries without BLAS
@pytest.mark.parametrize("k", [1, 3, 6, 10, 40])
def test_ties_equal_faiss(queries, k, monkeypatch):
    """Exact ties: the same scores as faiss, and the same rows in the same order wherever the
    ties do not straddle the cut of k (there faiss's choice depends on its heap's history)."""
    faiss = pytest.importorskip("faiss")
    monkeypatch.setattr(knn, "CHUNK_CELLS", 80)
    matrix = tied_matrix()
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    q = matrix[np.resize([5, 0, 30, 12, 1, 2, 4, 6], queries)]
    (sims, rows), (ref_sims, ref_rows) = knn.Flat(matrix).search(q, k), index.search(q, k)
    assert (sims == ref_sims).all()
    following = knn.top_k(q, matrix, k + 1)[0][:, -1]
    clean = (sims[:, -1] > following) | (k >= len(matrix))
    assert (rows[clean] == ref_rows[clean]).all()
    assert clean[0] or k != 6  # row 5's six copies fill k = 6 exactly


@pytest.mark.parametrize("block", [7, 64, 4096])
def test_the_pool_s_own_search_finds_what_the_exact_search_finds(block, monkeypatch):
    """`self_top_k` (each claim against every claim, each pair of blocks scored once) returns what
    `top_k` of the matrix against itself returns, row for row: on integer vectors whose products
    are exact and tie often, rows written ten times over, blocks that do not divide the rows, fewer
    rows than k, and a row of NaN."""
    monkeypatch.setattr(knn, "SELF_BLOCK", block)
    rng = np.random.default_rng(11)
    for dims in (8, 64):
        varied = (rng.integers(-3, 4, (300, dims)) / 8).astype(np.float32)
        for matrix in (varied, np.repeat(varied[:30], 10, axis=0), tied_matrix(), varied[:5]):
            for k in (11, 1):
                ours, exact = knn.self_top_k(matrix, k), knn.top_k(matrix, matrix, k)
                assert (ours[1] == exact[1]).all() and (ours[0] == exact[0]).all(), (dims, len(matrix), k)
    broken = unit_vectors(50)
    broken[7] = np.nan
    assert (knn.self_top_k(broken, 11)[1] == knn.top_k(broken, broken, 11)[1]).all()


def test_tension_neighbours_are_exact_without_faiss(no_faiss, monkeypatch):
    """Without faiss the claim neighbours are exact even past ANN_FROM (no HNSW)."""
    import kg.claims.tensions as tensions

    vectors = unit_vectors(300, seed=4)
    monkeypatch.setattr(tensions, "ANN_FROM", 10)
    sims, rows = tensions.neighbours(vectors, k=10)
    full = vectors @ vectors.T
    expected = np.argsort(-full, axis=1, kind="stable")[:, :11]
    assert rows.shape == (300, 11) and (rows[:, 0] == np.arange(300)).all()
    assert_same_search((sims, rows), (np.take_along_axis(full, expected, axis=1), expected))


@pytest.fixture(scope="module")
def embedder():
    from kg.search.embed import Embedder

    return Embedder()


def test_large_vault_without_faiss_scans_exactly(tmp_path, embedder, monkeypatch, capsys):
    """Past ANN_FROM without faiss: no graph is built (a graph of an earlier build is removed,
    and not read at query time), search answers as exactly as a small vault, the build says
    once that the `large` extra would help; with faiss back, the next build makes the graph."""
    faiss = pytest.importorskip("faiss")
    import kg.search.index as index
    from kg.build import build
    from kg.search.index import SearchIndex
    from kg.search.query import Searcher

    monkeypatch.setattr(index, "ANN_FROM", 5)
    monkeypatch.setattr(index, "_told", False)
    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    cache = vault / ".kg"
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert (cache / "ann.faiss").is_file()
    query = embedder.embed(["tariffs on accelerators"])[0]
    with_graph = Searcher(cache, embedder=embedder)
    assert with_graph.ann is not None
    exact = Searcher(cache, embedder=embedder)
    exact._ann = None  # the full scan, as a small vault does it
    expected = exact.nearest(query, 5)

    monkeypatch.setattr(knn, "_faiss", None)
    left = Searcher(cache, embedder=embedder)  # the graph is on disk, faiss is not: scan exactly
    assert left.ann is None and left.nearest(query, 5) == expected
    assert left.search("tariffs on accelerators", k=3, mode="vector")

    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA brand new passage about tariffs on accelerators.\n",
                    encoding="utf-8")
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert not (cache / "ann.faiss").exists() and not (cache / "ann_ids.npy").exists()
    SearchIndex(cache).update(build(vault), lambda: embedder)  # unchanged: no graph, nothing said again
    assert not (cache / "ann.faiss").exists()
    told = capsys.readouterr().err
    assert told.count("kg-notes[large]") == 1, told
    searcher = Searcher(cache, embedder=embedder)
    assert searcher.search("tariffs on accelerators", k=1, mode="vector")[0].doc == "notes/pricing.md"

    monkeypatch.setattr(knn, "_faiss", faiss)  # faiss installed since: the graph comes back
    SearchIndex(cache).update(build(vault), lambda: embedder)
    assert (cache / "ann.faiss").is_file()
    assert Searcher(cache, embedder=embedder).ann is not None


def _kg(vault: Path, *args: str, hide_faiss: Path | None = None, stdin: str | None = None) -> str:
    env = dict(os.environ)
    if hide_faiss:  # a faiss module first on the path that cannot be imported
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hide_faiss), env.get("PYTHONPATH")]))
    done = subprocess.run([str(KG), "--vault", str(vault), *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


QUERIES = ["how far behind are open models?", "GLM-5", "which firms keep their model parameters secret",
           "price per token"]


def test_a_build_without_faiss_finds_the_same(tmp_path):
    """The demo vault built in two processes, with faiss and with faiss unimportable: the same
    counts of claims, evidence and tensions, the same evidence and tensions one by one, and the
    same search results."""
    pytest.importorskip("faiss")
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "faiss.py").write_text('raise ImportError("faiss is hidden for this test")\n', encoding="utf-8")
    assert subprocess.run([sys.executable, "-c", "import kg.search.knn as k; assert k.load_faiss() is None"],
                          env={**os.environ, "PYTHONPATH": str(hide)}).returncode == 0
    runs = {}
    for name, hidden in (("with", None), ("without", hide)):
        vault = tmp_path / name
        vault.mkdir()
        for part in ("notes", "sources"):
            shutil.copytree(ROOT / part, vault / part)
        shutil.copyfile(ROOT / "kg.toml", vault / "kg.toml")
        summary = json.loads(_kg(vault, "build", "--json", "--no-site", hide_faiss=hidden))
        answers = _kg(vault, "search", "-k", "5", "--batch", "-", hide_faiss=hidden, stdin="\n".join(QUERIES))
        hits = [[(h["doc"], h["line"]) for h in json.loads(line)["results"]] for line in answers.splitlines()]
        found = [json.loads(_kg(vault, *command, "--json", hide_faiss=hidden))
                 for command in (("claims", "--evidence"), ("tensions", "--all"))]
        runs[name] = summary, hits, found
    (with_faiss, hits, found), (without, hits_without, found_without) = runs["with"], runs["without"]
    assert with_faiss["claims"] and with_faiss["claims"]["claims"] > 0 and with_faiss["claims"]["tensions"] > 0
    assert without["claims"] == with_faiss["claims"]
    assert hits_without == hits and len(hits) == len(QUERIES) and all(hits)
    assert found_without == found  # each claim's evidence, sentence by sentence, and each tension
