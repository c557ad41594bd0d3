"""Search by meaning on the static site, measured on BEIR SciFact (train): nDCG@10 and recall@100.

Usage: python bench/static_search_scifact.py [--pagefind] [--variants]

Reads the vault that bench/beir_scifact.py built (bench/vaults/scifact: its .kg/ search index and
its site's Pagefind index; nothing is rebuilt) and runs the 809 training claims through the
browser's query path in Python (kg.publish.semantic.StaticSearch: the same tokens, weights,
centring, int8 vectors and page scoring as assets/semantic.js; tests/test_semantic_search.py
checks that the JavaScript tokenizer gives the ids of `tokenizers`). Documents are ranked as
pages (one page per abstract). Prints:

- the real model's query vector against the same units (the ceiling of this page scoring);
- (a) the static query against the real model's vectors;
- (b) the static query against static vectors of the same units (passages, sentences and titles
  embedded with the table too);
- (a) + 0.25 (b), what the site ships: one int8 vector a unit, real + 0.25 static, so one dot
  product scores both (and other shares);
- Pagefind alone and Pagefind fused with (a) as kg.js fuses them. Pagefind runs for real, in
  Chromium on the vault's site: the query as typed (Pagefind requires every word) and as a
  phrase; its lists are kept in bench/vaults/scifact/pagefind-lists.json (--pagefind runs it
  again, about 2 minutes).

--variants also scores a float (unquantised) table, no sentence vectors and no title vectors.
The page titles' real vectors (5,183 titles, about a minute and a half) are kept in
bench/vaults/scifact/static-title-vectors.npy.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from beir_scifact import VAULT, qrels, queries, score  # noqa: E402

from kg.publish import semantic  # noqa: E402

CACHE = VAULT / ".kg"
TITLES = VAULT / "static-title-vectors.npy"
PAGEFIND = VAULT / "pagefind-lists.json"
POOL = 16  # kg.js SEARCH_POOL
RRF_K = 10  # kg.js SEARCH_RRF_K
LOOSE = 0.25  # kg.js SEARCH_LOOSE


def page_of(doc: str) -> str:
    return f"sources/{Path(doc).stem}.html"


def doc_id(page: str) -> str:
    return Path(page).stem[1:]


def title_vectors(texts: list[str]) -> np.ndarray:
    key = hashlib.blake2b("\n".join(texts).encode(), digest_size=8).hexdigest()
    meta = TITLES.with_suffix(".json")
    if TITLES.is_file() and meta.is_file() and json.loads(meta.read_text())["key"] == key:
        return np.load(TITLES)
    from kg.search.embed import Embedder

    started = time.perf_counter()
    vectors = Embedder().embed(texts)
    np.save(TITLES, vectors)
    meta.write_text(json.dumps({"key": key, "seconds": round(time.perf_counter() - started, 1)}))
    return vectors


def rank_pages(search: semantic.StaticSearch, vectors: list[np.ndarray | None], k: int = 300) -> list[list[str]]:
    out = []
    for v in vectors:
        if v is None:
            out.append([])
            continue
        pages, _ = search.page_scores(v.astype(np.float32))
        top = np.argsort(-pages, kind="stable")[:k]
        out.append([doc_id(search.pages[p][0]) for p in top if np.isfinite(pages[p])])
    return out


def report(name: str, rankings: list[list[str]], qs, rel) -> None:
    ndcg, recall = score({qid: r for (qid, _), r in zip(qs, rankings)}, rel)
    print(f"{name:58s} nDCG@10={ndcg:.3f}  recall@100={recall:.3f}", flush=True)


def only(units: semantic.Units, which: str) -> semantic.Units:
    """The units with one kind of vector alone: the real model's or the static ones."""
    codes, scales = semantic._int8(units.real if which == "real" else units.static)
    return semantic.Units(**{**units.__dict__, "codes": codes, "scales": scales})


def run_pagefind(qs) -> dict:
    """Each query's Pagefind results in the browser: [page url, counts in full (phrase)] of the
    first POOL, as kg.js takes them."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import serving
    from tests.test_browser import ARGS, CHROMIUM, QuietHandler, QuietServer

    handler = functools.partial(QuietHandler, directory=str(VAULT / "site"))
    with serving(QuietServer(("127.0.0.1", 0), handler)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(url + "/index.html")
        started = time.perf_counter()
        lists = page.evaluate("""async ([qs, pool]) => {
          const pf = await import('/pagefind/pagefind.js');
          await pf.init();
          // a large site's index is in shards, merged as kg.js merges them
          const counted = await fetch('/pagefind-shards.json');
          const shards = counted.ok ? ((await counted.json()).shards || 1) : 1;
          for (let i = 1; i < shards; i++) await pf.mergeIndex('/pagefind-' + i + '/', {baseUrl: '/'});
          const out = {};
          for (const [id, q] of qs) {
            const found = await pf.search(q);
            const top = found.results.slice(0, pool);
            let exact = null;
            if (top.length && /\\s/.test(q)) {
              const phrase = await pf.search('"' + q.replace(/"/g, ' ') + '"');
              exact = new Set(phrase.results.map(r => r.id));
            }
            const data = await Promise.all(top.map(r => r.data()));
            out[id] = top.map((r, i) => [data[i].url, !exact || exact.has(r.id)]);
          }
          return out;
        }""", [qs, POOL])
        seconds = time.perf_counter() - started
        browser.close()
    PAGEFIND.write_text(json.dumps({"seconds": round(seconds, 1), "lists": lists}), encoding="utf-8")
    return lists


def fuse(words: list[tuple[str, bool]], meanings: list[str]) -> list[str]:
    """kg.js fuse(): reciprocal ranks, a word match not found as a phrase counting LOOSE; ties to
    the word match, then to the meaning rank."""
    score, wr, mr = {}, {}, {}
    for rank, (url, exact) in enumerate(words[:POOL]):
        page = url.lstrip("/")
        if page in wr:
            continue
        wr[page] = rank
        score[page] = score.get(page, 0.0) + (1.0 if exact else LOOSE) / (RRF_K + rank + 1)
    for rank, page in enumerate(meanings[:POOL]):
        if page in mr:
            continue
        mr[page] = rank
        score[page] = score.get(page, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda p: (-score[p], wr.get(p, 1 << 30), mr.get(p, 1 << 30)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pagefind", action="store_true", help="run the Pagefind queries again in Chromium")
    parser.add_argument("--variants", action="store_true", help="also a float table, no sentences, no titles")
    args = parser.parse_args()
    qs, rel = queries(), qrels()

    started = time.perf_counter()
    path = semantic.ensure_table()
    table = semantic.read_table(path)
    print(f"table: {path.stat().st_size:,} bytes; computed in {sum(table.meta['seconds']):.0f} s "
          f"(model {table.meta['seconds'][0]:.0f} s + quantisation {table.meta['seconds'][1]:.0f} s); "
          f"read in {time.perf_counter() - started:.1f} s")
    tokenizer = semantic.model_tokenizer()
    started = time.perf_counter()
    units = semantic.gather(CACHE, page_of, table, title_vectors, tokenizer=tokenizer)
    data = semantic.encode_vault(units, "bench")
    print(f"vault.bin: {len(data):,} bytes, {len(units.page):,} units of {len(units.pages):,} pages "
          f"(made in {time.perf_counter() - started:.1f} s)")
    search = semantic.StaticSearch(table, data, tokenizer)

    started = time.perf_counter()
    static = [search.vector(q) for _, q in qs]
    seconds = time.perf_counter() - started
    meaning = rank_pages(search, static)
    print(f"static query vectors: {1000 * seconds / len(qs):.2f} ms a query in Python")

    from kg.search.embed import Embedder

    real = Embedder().embed([q for _, q in qs])
    from kg.search.index import load_matrices

    mean = np.asarray(load_matrices(CACHE).matrix, dtype=np.float64).mean(0)
    centred = [(v - mean) / np.linalg.norm(v - mean) for v in real]
    real_only = semantic.StaticSearch(table, semantic.encode_vault(only(units, "real"), "bench"), tokenizer)
    report("real-model query -> real-model vectors (reference)", rank_pages(real_only, centred), qs, rel)
    report("(a) static query -> real-model vectors", rank_pages(real_only, static), qs, rel)
    static_only = semantic.StaticSearch(table, semantic.encode_vault(only(units, "static"), "bench"), tokenizer)
    report("(b) static query -> static vectors", rank_pages(static_only, static), qs, rel)
    report(f"(a) + {semantic.STATIC_SHARE} (b), one int8 vector a unit [shipped]", meaning, qs, rel)
    for share in (0.5, 1.0):
        other = semantic.StaticSearch(table, semantic.encode_vault(semantic.combine(units, share), "bench"), tokenizer)
        report(f"(a) + {share} (b)", rank_pages(other, static), qs, rel)

    if args.variants:
        float_table = semantic.Table(semantic.token_vectors(Embedder(), table.meta["tokens"]), table.meta,
                                     table.tokens)
        units_f = semantic.gather(CACHE, page_of, float_table, title_vectors, tokenizer=tokenizer)
        search_f = semantic.StaticSearch(float_table, semantic.encode_vault(units_f, "bench"), tokenizer)
        report("shipped, with the float table (12 MB in int8, 47 MB float)",
               rank_pages(search_f, [search_f.vector(q) for _, q in qs]), qs, rel)
        keep = units.kind != 2
        no_sentences = semantic.StaticSearch(table, semantic.encode_vault(_subset(units, keep), "bench"), tokenizer)
        report("shipped, without sentence vectors", rank_pages(no_sentences, static), qs, rel)
        keep = units.kind != 0
        no_titles = semantic.StaticSearch(table, semantic.encode_vault(_subset(units, keep), "bench"), tokenizer)
        report("shipped, without title vectors", rank_pages(no_titles, static), qs, rel)

    if args.pagefind or not PAGEFIND.is_file():
        lists = run_pagefind(qs)
    else:
        lists = json.loads(PAGEFIND.read_text(encoding="utf-8"))["lists"]
    found = sum(1 for qid, _ in qs if lists.get(qid))
    words = [[doc_id(u) for u, _ in lists.get(qid, [])] for qid, _ in qs]
    report(f"Pagefind alone (answers {found} of {len(qs)} claims)", words, qs, rel)
    pages = [[f"sources/d{d}.html" for d in ranking] for ranking in meaning]
    fused = [[doc_id(p) for p in fuse(lists.get(qid, []), ranked)] + [d for d in ranking]
             for (qid, _), ranked, ranking in zip(qs, pages, meaning)]
    fused = [list(dict.fromkeys(r)) for r in fused]  # past the fused pool, the meaning ranking
    report("Pagefind fused with the shipped meaning search, as kg.js", fused, qs, rel)
    exact = [[doc_id(p) for p in fuse([(u, True) for u, _ in lists.get(qid, [])], ranked)] for (qid, _), ranked
             in zip(qs, pages)]
    exact = [list(dict.fromkeys(r + ranking)) for r, ranking in zip(exact, meaning)]
    report("  the same, every word match counting in full", exact, qs, rel)


def _subset(units: semantic.Units, keep: np.ndarray) -> semantic.Units:
    index = np.nonzero(keep)[0]
    new_of = -np.ones(len(keep), dtype=np.int64)
    new_of[index] = np.arange(len(index))
    group = np.array([new_of[g] if g >= 0 else -1 for g in units.group[index]], dtype=np.int32)
    return semantic.Units(
        pages=units.pages, page=units.page[index], kind=units.kind[index], group=group,
        anchor=[units.anchor[i] for i in index], text=[units.text[i] for i in index],
        codes=units.codes[index], scales=units.scales[index], passages=units.passages, df=units.df,
        centre=units.centre, full=[units.full[i] for i in index], real=units.real[index],
        static=units.static[index])


if __name__ == "__main__":
    main()
