"""Search by meaning on the static site (kg.publish.semantic, assets/semantic.js).

In Debian's chromium: a question finds the concept page by meaning, an exact name still finds
its own page first, search by words goes on working when the meaning files are missing, a
result found by meaning alone shows its passage (not page furniture), and the JavaScript
tokenizer gives the model tokenizer's ids. In Python: the JavaScript ranks pages as
StaticSearch (the bench's query path) does, the table is computed once and shared by processes,
and the writer rewrites the files only when their bytes change.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.publish import semantic
from tests.conftest import FIXTURES
from tests.test_browser import (MOUNT, WAIT, QuietHandler, browser, serve_mounted, site, tab,  # noqa: F401
                                until)  # browser, site, tab: the fixtures

TOKENIZER_CASES = [
    "how far behind are open models?",
    "GLM-5",
    "Qwen3.6-Plus scored 61.6% on Terminal-Bench",
    "DeepSeek V4 Pro costs $3.48/M output tokens",
    "Joe Weisenthal",
    "open-weight vs. closed-weight: who's ahead?",
    "~3–5% gap (Feldman, May 2026)",
    "café naïve résumé Ångström",
    "İstanbul ΣΑΣ Straße ẞ",
    "ﬁne ligatures and ＦＵＬＬ width",
    "日本語のテキストと中文",
    "emoji 😀 inside a word😀too",
    "tabs\tand\nnew lines\r\nand  double  spaces",
    "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
    "non\u00a0breaking and ideographic\u3000space",
    "control\x07chars\x0bvertical\x0cfeed\x85next",
    "private\ue000use and unassigned\u0378point",
    "a$b+c<d>e^f`g|h~i",
    "¿¡«quotes»!? §5 ¶2 • bullets … ellipsis",
    "hyphen‐dash–em—minus−",
    "x" * 101,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "unbelievably unreproducible counterintuitively",
    "C++ and C# and .NET and Node.js",
    "e-mail: someone@example.org, https://example.org/a?b=c&d=e",
    "3.14159 1,000,000 10^6 1e-9 0xFF",
    "Ελληνικά και Русский текст",
    "العربية עברית हिन्दी",
    "한국어 텍스트",
    "ǅemal ǈubljana",
    "K (Kelvin sign) vs K",
    "",
    "   ",
    "[CLS] [SEP] [UNK] [MASK] ##ing",
    "##s ## #tag #ai/benchmarks",
    "it's don't won't y'all",
    "MiniMax M2.7 and Kimi K2",
    "GPT-5.5 Pro, Claude Opus 4.7, Gemma 4",
    "MIT-licensed, Apache 2.0, Llama 3 Community License",
    "SOC 2 Type II compliance",
    "US$ € £ ¥ ₹ ₿",
    "½ ¾ ² ³ ° ℃ №",
    "naïve café" * 20,
    "ALL CAPS SHOUTING TEXT",
    "MixedCase camelCase snake_case kebab-case",
    "quotes \"double\" and 'single' and `back`",
    "a/b\\c|d",
    "what's the ~3–5% 'gap' — really?",
    "Łódź Kraków Gdańsk",
    "Ærøskøbing Æsir øre",
]


@pytest.fixture(scope="module")
def site_without_meaning(demo_site, tmp_path_factory):
    """A copy of the demo site whose semantic/ folder is gone."""
    copy = tmp_path_factory.mktemp("no-meaning") / "site"
    shutil.copytree(demo_site, copy)
    shutil.rmtree(copy / "semantic")
    with serve_mounted(copy, tmp_path_factory.mktemp("served-plain")) as url:
        yield url


class SlowMeaning(QuietHandler):
    """Holds the site's meaning data back until the test lets it go (at most 30 s), as a slow
    line would: what the reader sees meanwhile does not depend on how busy the machine is."""

    release = threading.Event()

    def do_GET(self):
        if self.path.endswith("/semantic/vault.bin"):
            SlowMeaning.release.wait(30)
        super().do_GET()


@pytest.fixture(scope="module")
def slow_site(demo_site, tmp_path_factory):
    with serve_mounted(demo_site, tmp_path_factory.mktemp("served-slow"), SlowMeaning) as url:
        yield url


def results(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#search-results a.search-result')).map(a => (
        {path: a.pathname, hash: a.hash, title: a.querySelector('.search-result-title').textContent,
         excerpt: a.querySelector('.search-result-excerpt').textContent}))""")


def search(page, query: str, path: str, within: int) -> list[dict]:
    """Type `query` and wait until one of the first `within` results is `path`."""
    page.locator("#search-box").press_sequentially(query)
    until(page, """([path, within]) => Array.from(document.querySelectorAll('#search-results a.search-result'))
          .slice(0, within).some(a => a.pathname.endsWith(path))""", [path, within],
          lambda: f"{query!r}: no link to {path} among the first {within} results: {results(page)}", WAIT)
    return results(page)


def test_a_question_finds_the_concept_by_meaning(tab, site):
    page = tab.page
    page.goto(site + "concepts/deepseek.html")
    found = search(page, "how far behind are open models", MOUNT + "concepts/quality-gap.html", within=3)
    gap = next(r for r in found if r["path"].endswith("concepts/quality-gap.html"))
    assert gap["title"].startswith("Quality gap")
    assert gap["excerpt"].strip(), found
    # found by meaning alone: its best passage, not the page's furniture
    for furniture in ("Published", "Claims found", "File ", "Also:"):
        assert furniture not in gap["excerpt"], gap
    requested = [url for url in tab.requests if "/semantic/" in url or "semantic.js" in url]
    assert {url.rsplit("/", 1)[-1] for url in requested} == {"semantic.js", "table.bin", "vault.bin"}
    assert tab.errors == []


def test_meaning_files_load_only_when_the_reader_searches(tab, site):
    page = tab.page
    page.goto(site + "index.html", wait_until="networkidle")
    page.locator("#search-box").focus()
    page.wait_for_timeout(500)
    assert not [url for url in tab.requests if "/semantic/" in url or "semantic.js" in url]


@pytest.mark.parametrize("query, path", [("Joe Weisenthal", "concepts/joe-weisenthal.html"),
                                         ("Qwen3.6-Plus", "concepts/alibaba-qwen.html"),
                                         ("Kimi K2", "concepts/kimi-k2.html")])
def test_an_exact_name_still_finds_its_page_first(tab, site, query, path):
    tab.page.goto(site + "sources.html")
    search(tab.page, query, MOUNT + path, within=1)
    assert tab.errors == []


def test_a_source_sentence_found_by_meaning_links_to_the_sentence(tab, site):
    page = tab.page
    page.goto(site + "index.html")
    search(page, "what does it cost per million tokens", MOUNT + "concepts/inference-pricing.html", within=3)
    # the results change as the words are typed and as meaning joins the keywords: wait for the last ones
    until(page, """(mount) => Array.from(document.querySelectorAll('#search-results a.search-result'))
          .some(a => a.pathname.startsWith(mount + 'sources/') && a.hash.startsWith('#s-'))""", MOUNT,
          lambda: f"no source sentence among the results: {results(page)}", WAIT)
    found = results(page)
    anchored = [r for r in found if r["path"].startswith(MOUNT + "sources/") and r["hash"].startswith("#s-")]
    assert anchored, found
    # found and clicked in one turn of the page's script: on a loaded machine the list is drawn
    # again as late results come in, and a link found by one call was gone by the next (the
    # click waited 30 s on a link detached again and again)
    click = """(hash) => { const link = Array.from(document.querySelectorAll('#search-results a.search-result'))
          .find(a => a.hash === hash); if (link) link.click(); return Boolean(link); }"""
    deadline = time.monotonic() + WAIT / 1000
    while not page.evaluate(click, anchored[0]["hash"]):
        assert time.monotonic() < deadline, f"the sentence's result went away: {results(page)}"
        page.wait_for_timeout(100)
    page.wait_for_url(lambda url: url.endswith(anchored[0]["hash"]))
    assert page.locator(f"span.sentence{anchored[0]['hash']}").evaluate("el => el.matches(':target')")
    assert tab.errors == []


def test_search_by_words_works_without_the_meaning_files(tab, site_without_meaning):
    page = tab.page
    page.goto(site_without_meaning + "index.html")
    found = search(page, "quality gap", MOUNT + "concepts/quality-gap.html", within=3)
    assert len(found) >= 3
    expect_missing = [e for e in tab.errors if "/semantic/" not in e and "Failed to load resource" not in e]
    assert expect_missing == []  # only the files that are not there; no message for the reader
    assert page.locator("#search-results .search-message").count() == 0


def test_words_come_first_when_the_meaning_files_are_slow(tab, slow_site):
    page = tab.page
    SlowMeaning.release.clear()
    page.goto(slow_site + "index.html")
    page.locator("#search-box").press_sequentially("how far behind are open models")
    until(page, "() => document.querySelector('#search-results a.search-result, #search-results .search-message')",
          None, "no answer by words while the meaning files load", WAIT)
    assert not SlowMeaning.release.is_set()  # answered while the meaning data was still held back
    SlowMeaning.release.set()
    search(page, "", MOUNT + "concepts/quality-gap.html", within=3)  # then the same query, fused
    assert tab.errors == []


def test_javascript_tokenizer_gives_the_model_tokenizers_ids(tab, site):
    tokenizer = semantic.model_tokenizer()
    expected = [tokenizer.encode(text, add_special_tokens=False).ids for text in TOKENIZER_CASES]
    tab.page.goto(site + "index.html")
    got = tab.page.evaluate("""async ([texts, module, base]) => {
        const m = await import(module);
        const t = await m.tokenizer(base);
        return texts.map(s => t.encode(s));
    }""", [TOKENIZER_CASES, site + "assets/semantic.js", site + "semantic/"])
    wrong = [(text, e, g) for text, e, g in zip(TOKENIZER_CASES, expected, got) if e != g]
    assert not wrong, wrong
    assert len(TOKENIZER_CASES) >= 50


def test_javascript_ranks_pages_as_the_python_query_path(tab, site, demo_site):
    table = semantic.read_table(semantic.ensure_table())
    python = semantic.StaticSearch(table, (demo_site / semantic.VAULT).read_bytes())
    queries = ["how far behind are open models", "licence restrictions on llama", "GLM-5", "price per token",
               "zzzqqq", "?"]
    tab.page.goto(site + "index.html")
    got = tab.page.evaluate("""async ([queries, module, base, root]) => {
        const m = await import(module);
        const index = await m.open(base, root);
        return queries.map(q => index.search(q, 10).map(h => [h.page, h.score]));
    }""", [queries, site + "assets/semantic.js", site + "semantic/", site])
    for query, js in zip(queries, got):
        py = python.search(query, 10)
        assert [MOUNT + path for path, _, _ in py] == [page for page, _ in js], query
        assert np.allclose([s for _, s, _ in py], [s for _, s in js], atol=1e-5), query


def test_the_table_is_computed_once_and_written_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_MODEL_CACHE", str(tmp_path / "models"))
    calls = []

    def compute(embedder, progress=None):
        calls.append(threading.get_ident())
        body = b"x" * 1000
        meta = {"version": semantic.TABLE_VERSION, "size": semantic.HEADER_BYTES + len(body)}
        return (b"/* kg: test */\n" + json.dumps(meta).encode() + b"\n").ljust(semantic.HEADER_BYTES) + body

    monkeypatch.setattr(semantic, "compute_table", compute)
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(semantic.ensure_table(lambda: None)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(set(paths)) == 1
    assert paths[0].parent == tmp_path / "models"
    assert [p.name for p in paths[0].parent.iterdir() if p.name.endswith(".tmp")] == []
    paths[0].write_bytes(paths[0].read_bytes()[:-10])  # cut short: computed again
    semantic.ensure_table(lambda: None)
    assert len(calls) == 2


def _build(vault: Path, cache: Path, *more: str) -> dict:
    result = CliRunner(env={"KG_CACHE_DIR": str(cache)}).invoke(
        main, ["--vault", str(vault), "build", "--json", *more], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["site"]


def test_the_writer_rewrites_the_files_only_when_they_change(vault, tmp_path):
    cache = tmp_path / "cache"
    site = _build(vault, cache)
    assert site["warnings"] == [] and site["errors"] == []
    out = vault / "site"
    table, data = out / semantic.TABLE, out / semantic.VAULT
    assert table.read_bytes() == semantic.ensure_table().read_bytes()
    meta, scales, codes = semantic.decode_vault(data.read_bytes())
    assert meta["count"] == len(scales) == len(codes) and meta["pages"]
    written = json.loads((cache / "site.json").read_text())["written"]
    assert semantic.TABLE in written and semantic.VAULT in written
    before = {p: p.stat().st_mtime_ns for p in (table, data)}

    _build(vault, cache)  # nothing changed
    assert {p: p.stat().st_mtime_ns for p in (table, data)} == before

    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nInference on a cheap model costs a tenth as much.\n",
                    encoding="utf-8")
    _build(vault, cache)
    assert table.stat().st_mtime_ns == before[table]  # the table is the same for every vault
    assert data.stat().st_mtime_ns != before[data]
    assert "costs a tenth as much" in data.read_bytes().decode("utf-8", "replace")

    shutil.rmtree(out / semantic.FOLDER)  # deleted: an unchanged build puts them back
    _build(vault, cache)
    assert table.is_file() and data.is_file()


def test_an_edit_weighs_new_text_by_the_kept_counts_until_they_drift(vault, tmp_path, monkeypatch):
    """A small edit embeds only its new text, weighed by the token counts the other units were
    weighed by (vault.bin carries those, so the browser's query agrees); a change past
    REFRESH_SHARE weighs every unit afresh by the vault's new counts."""
    monkeypatch.setattr(semantic, "REFRESH_SHARE", 0.25)  # this vault is small: one line is 2% of it
    cache = tmp_path / "cache"
    _build(vault, cache)
    data = vault / "site" / semantic.VAULT
    first, _, _ = semantic.decode_vault(data.read_bytes())
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nHeliotrope invoices arrive quarterly.\n", encoding="utf-8")
    _build(vault, cache)
    kept, _, _ = semantic.decode_vault(data.read_bytes())
    assert (kept["df"], kept["passages"], kept["centre"]) == (first["df"], first["passages"], first["centre"])
    table = semantic.read_table(semantic.ensure_table())
    found = semantic.StaticSearch(table, data.read_bytes()).search("heliotrope invoices quarterly", 3)
    assert found and found[0][0] == "concepts/pricing.html"

    for n in range(2 * first["passages"] // 5):  # new notes: more passages than REFRESH_SHARE allows
        (vault / "notes" / f"extra-{n}.md").write_text(f"# Extra {n}\n\nA paragraph about topic {n}.\n\n"
                                                      f"Another about heliotrope {n}.\n", encoding="utf-8")
    _build(vault, cache)
    fresh, _, _ = semantic.decode_vault(data.read_bytes())
    assert fresh["passages"] > first["passages"] and fresh["df"] != first["df"]


def test_a_save_while_serving_reloads_the_page_first_and_search_follows(vault, tmp_path):
    """kg serve publishes with pagefind=False: the page is written at once; the meaning search
    file and the Pagefind index are brought up to date by `finish` after the reload, and a build
    that follows a serve stopped before `finish` does it."""
    from kg.build import run

    cache, out = tmp_path / "cache", vault / "site"
    run(vault, cache_dir=cache)
    data = out / semantic.VAULT
    manifest = cache / "site.json"
    note = vault / "notes" / "pricing.md"
    for line, finish in (("Inference on a cheap model costs a tenth as much.", True),
                         ("A second line saved while serving.", False)):
        note.write_text(note.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
        before = data.read_bytes()
        done = run(vault, cache_dir=cache, pagefind=False)
        assert line in (out / "concepts" / "pricing.html").read_text(encoding="utf-8")
        assert data.read_bytes() == before and json.loads(manifest.read_text())["meaning_pending"]
        if finish:
            assert done.site["finish"]() is None
            assert line in data.read_bytes().decode("utf-8", "replace")
            state = json.loads(manifest.read_text())
            assert not state["meaning_pending"] and not state["search_pending"] and semantic.VAULT in state["written"]
    again = run(vault, cache_dir=cache)  # after a serve stopped before `finish`
    assert again.site["drawn"] == 0 and "A second line saved" in data.read_bytes().decode("utf-8", "replace")
    assert not json.loads(manifest.read_text())["meaning_pending"]


def test_without_a_search_index_the_site_has_no_meaning_files(vault, tmp_path):
    site = _build(vault, tmp_path / "cache", "--no-search")
    assert site["warnings"] == []
    assert not (vault / "site" / semantic.FOLDER).exists()


def test_a_file_kg_did_not_write_is_left_alone(vault, tmp_path):
    mine = vault / "site" / semantic.FOLDER / "vault.bin"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"the user's own file")
    site = _build(vault, tmp_path / "cache")
    assert mine.read_bytes() == b"the user's own file"
    assert any("vault.bin" in w for w in site["warnings"])
    assert os.path.isfile(vault / "site" / semantic.TABLE)


def _made_afresh(vault: Path, cache: Path, statics: Path) -> tuple[semantic.Units, bytes]:
    """Every unit of the vault made again without the unit cache, on the counts and centres kept in
    `statics`, and the vault.bin they make."""
    import hashlib

    from kg.build import run
    from kg.publish import urls
    from kg.publish.site import Site
    from kg.search.embed import shared_embedder
    from kg.search.index import SearchIndex

    done = run(vault, cache_dir=cache, site=False)
    site = Site(done.kb, "t", "", done.analysis)
    table = semantic.ensure_table()
    units = semantic.gather(
        cache, site.page_of_doc, semantic.read_table(table),
        lambda texts: SearchIndex(cache).vectors_for(texts, shared_embedder, add=True),
        {p: i.hash for p, i in done.kb.infos.items()},
        {urls.concept_page(c.id): [c.title, *c.aliases[:semantic.MAX_ALIASES]] for c in done.kb.concepts.values()
         if (vault / "site" / urls.concept_page(c.id)).is_file()},  # as the writer names pages
        shown=site.shown_text, static_cache=statics)
    return units, semantic.encode_vault(units, hashlib.blake2b(table.read_bytes(), digest_size=8).hexdigest())


def test_an_edit_makes_only_its_own_units_and_ships_what_making_them_all_would(vault, tmp_path, monkeypatch):
    """The unit cache keeps what was made of each file: after an edit only the edited file is read
    and its new units made, and vault.bin is byte for byte what making every unit afresh on the same
    counts and centres gives. A new title changes how links to that note read: it and the files
    that link it unlabelled are read again (not every file: the names changed), and vault.bin is
    again what making every unit afresh gives."""
    from kg.publish import writer

    monkeypatch.setattr(semantic, "REFRESH_SHARE", 0.25)  # this vault is small: one line is 2% of it
    monkeypatch.setattr(semantic, "BLOCK", 7)  # units made a few at a time, as at 10k notes
    monkeypatch.setattr(writer, "ASIDE_UPTO", -1)  # in this process, where the files read are seen
    cache = tmp_path / "cache"
    _build(vault, cache)
    read: list[str] = []
    real_file_units = semantic._file_units
    monkeypatch.setattr(semantic, "_file_units", lambda doc, *rest: read.append(doc) or real_file_units(doc, *rest))
    from kg.publish.site import Site

    digested: list[str] = []  # whose links were looked at to tell how they read
    real_digest = Site.shown_digest
    monkeypatch.setattr(Site, "shown_digest", lambda site, doc: digested.append(doc) or real_digest(site, doc))
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nHeliotrope invoices arrive quarterly.\n", encoding="utf-8")
    statics = tmp_path / "static.npz"
    statics.write_bytes((cache / "semantic-static.npz").read_bytes())  # the counts and centres the edit is made on
    _build(vault, cache)
    assert read == ["notes/pricing.md"]
    assert set(digested) == {"notes/pricing.md"}  # the names as they were: the other files' links read as they did
    shipped = (vault / "site" / semantic.VAULT).read_bytes()
    afresh, data = _made_afresh(vault, cache, statics)
    assert afresh.real is not None and any("Heliotrope" in t for t in afresh.full)
    assert data == shipped

    read.clear()
    digested.clear()
    text = note.read_text(encoding="utf-8")
    note.write_text(text.replace("title: Pricing", "title: Pricing and costs", 1), encoding="utf-8")
    assert note.read_text(encoding="utf-8") != text
    _build(vault, cache)
    from kg.build import build

    rows = build(vault, cache_dir=cache).rows
    linking = {r.doc for r in rows if r.target_doc == "notes/pricing.md" and not r.label}
    assert "notes/pricing.md" in read and linking - {"notes/pricing.md"} and set(read) == linking | {"notes/pricing.md"}
    # the names changed, but the other files link as they did and link no file edited: their links
    # read as they did, and are not looked at (every file's were)
    assert set(digested) <= {r.doc for r in rows if r.target_doc == "notes/pricing.md"} | {"notes/pricing.md"}
    shipped = (vault / "site" / semantic.VAULT).read_bytes()
    assert "Pricing and costs" in shipped.decode("utf-8", "replace")
    assert _made_afresh(vault, cache, statics)[1] == shipped
    assert len(list(cache.glob("semantic-units.*.npy"))) == 1  # the units' vectors, the last build's alone


def test_a_fresh_analysis_keeps_the_vectors_of_the_titles_the_site_kept(vault, tmp_path, monkeypatch):
    """The site keeps its title units from the last build and does not ask for their vectors; a
    fresh analysis then sweeps the vectors nothing wants. The titles are named as wanted before that
    sweep, so their vectors stay for the build that must make the units again."""
    from kg.build import run
    from kg.claims.store import POOL
    from kg.search.embed import Embedder
    from kg.search.index import SearchIndex, text_key

    monkeypatch.setattr(semantic, "REFRESH_SHARE", 0.25)  # this vault is small: one line is 2% of it
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache)
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nInference on a cheap model costs a tenth as much.\n",
                    encoding="utf-8")
    (cache / POOL).unlink()  # the next analysis is a fresh one: it asks for a sweep
    run(vault, cache_dir=cache)
    meta, _, _ = semantic.decode_vault((vault / "site" / semantic.VAULT).read_bytes())
    titles = {title for _, title in meta["pages"] if title.strip()}
    db = SearchIndex(cache).connect()
    try:
        assert not db.execute("SELECT 1 FROM meta WHERE key = 'sweep'").fetchone()  # the sweep ran
        missing = [t for t in titles if not db.execute("SELECT 1 FROM vectors WHERE key = ?",
                                                       (text_key(t, Embedder.model_id),)).fetchone()]
    finally:
        db.close()
    assert titles and not missing


def test_an_edit_s_meaning_search_files_made_in_a_forked_process_are_those_made_here(tmp_path, monkeypatch):
    """An edit's meaning search files are made by a process forked as soon as the vault is read and
    set to work before the pages are planned (on the other core, while this one plans and draws):
    they are byte for byte those made in this process after the pages. When a new concept's page is not drawn (a file kg did not write is
    there), they are made again here, as they are without the process; so are they when the edit
    draws so many pages that drawing workers are forked (the process is ended unused). After an
    analysis that judged much afresh, the process is forked once the pages are planned."""
    from kg.publish import writer

    made_here = []
    real = semantic.publish
    monkeypatch.setattr(semantic, "publish", lambda *args, **kw: made_here.append(1) or real(*args, **kw))
    order = []  # when the process is forked: before or after the planning (with every page's lookups, or from the rows)
    planning, forking, starting = writer._prepare, writer.MeaningAside.__init__, writer.MeaningAside.start
    quiet = writer._kept_knowledge
    monkeypatch.setattr(writer, "_prepare", lambda site: order.append("plan") or planning(site))
    monkeypatch.setattr(writer, "_kept_knowledge",
                        lambda *args, **kw: (lambda found: found and order.append("plan") or found)(quiet(*args, **kw)))
    monkeypatch.setattr(writer.MeaningAside, "__init__",
                        lambda self, *args: order.append("fork") or forking(self, *args))
    monkeypatch.setattr(writer.MeaningAside, "start",
                        lambda self, *args: order.append("start") or starting(self, *args))
    vaults = []
    for name in ("aside", "here"):
        vault = tmp_path / name
        shutil.copytree(FIXTURES / "vault", vault)
        _build(vault, tmp_path / f"cache-{name}")
        vaults.append(vault)

    edits = []

    def edit(vault: Path) -> None:  # a claim each time: an edit that leaves the claims as they were analyses nothing
        edits.append(vault)
        note = vault / "notes" / "pricing.md"
        note.write_text(note.read_text(encoding="utf-8") + f"\nHeliotrope invoices rose by {edits.count(vault)}% in 2025.\n",
                        encoding="utf-8")
        (vault / "notes" / "heliotrope.md").write_text("# Heliotrope\n\nA billing system of [[pricing]].\n",
                                                     encoding="utf-8")

    def build(vault: Path, name: str, aside: bool) -> tuple[bytes, int]:
        made_here.clear()
        monkeypatch.setattr(writer, "ASIDE_UPTO", 20 if aside else -1)
        site = _build(vault, tmp_path / f"cache-{name}")
        assert site["errors"] == []
        return (vault / "site" / semantic.VAULT).read_bytes(), len(made_here)

    for vault in vaults:
        edit(vault)
    order.clear()
    aside, here = build(vaults[0], "aside", True), build(vaults[1], "here", False)
    assert aside[1] == 0 and here[1] == 1  # made by the forked process, or here
    assert aside[0] == here[0] and b"Heliotrope" in aside[0] and b"heliotrope.html" in aside[0]
    # forked once the vault was read, started once the search index was (the site's start does
    # nothing more), before the planning; the second build made them here
    assert order == ["fork", "start", "start", "plan", "plan"]

    for vault in vaults:  # a note deleted is an edit too: no file parsed, one gone
        (vault / "notes" / "heliotrope.md").unlink()
    order.clear()
    aside, here = build(vaults[0], "aside", True), build(vaults[1], "here", False)
    assert aside[1] == 0 and here[1] == 1
    assert aside[0] == here[0] and b"heliotrope.html" not in aside[0]
    assert order == ["fork", "start", "start", "plan", "plan"]  # forked as the vault was read, as for a save

    for vault in vaults:
        edit(vault)
    # the analysis the last build kept is gone (as after a kg upgrade): no process is forked beside the
    # analysis (it would keep what the analysis lets go); the site stage forks and starts it, once it
    # knows how much was judged afresh
    from kg.claims import store

    claims_stage = store.claims
    monkeypatch.setattr(store, "claims", lambda *args, **kw: order.append("claims") or claims_stage(*args, **kw))
    (tmp_path / "cache-aside" / "claim_pool.npz").unlink()
    order.clear()
    aside, here = build(vaults[0], "aside", True), build(vaults[1], "here", False)
    assert aside[1] == 0 and aside[0] == here[0]
    assert order == ["claims", "fork", "start", "plan", "claims", "plan"]
    monkeypatch.setattr(store, "claims", claims_stage)

    monkeypatch.setattr(writer, "ASIDE_JUDGED", -1)  # as after a large analysis: forked once the pages are planned
    for vault in vaults:
        edit(vault)
    order.clear()
    aside, here = build(vaults[0], "aside", True), build(vaults[1], "here", False)
    assert aside[1] == 0 and here[1] == 1
    assert aside[0] == here[0]
    assert order == ["fork", "start", "plan", "fork", "start", "plan"]  # the first one ended, its work unused
    monkeypatch.setattr(writer, "ASIDE_JUDGED", 10_000)

    for vault in vaults:  # a new concept whose page is a file kg did not write
        (vault / "notes" / "quinine.md").write_text("# Quinine\n\nBitter, and [[pricing]] says so.\n",
                                                  encoding="utf-8")
        (vault / "site" / "concepts" / "quinine.html").write_text("my own page", encoding="utf-8")
    aside, here = build(vaults[0], "aside", True), build(vaults[1], "here", False)
    assert aside[1] == 1 and here[1] == 1  # the forked process named that page: made again here
    assert aside[0] == here[0]

    monkeypatch.setattr(writer, "PARALLEL_FROM", 1)  # every page drawn by workers: no aside beside them
    for vault in vaults:
        edit(vault)
    aside, here = build(vaults[0], "aside", True), build(vaults[1], "here", False)
    assert aside[1] == 1 and here[1] == 1
    assert aside[0] == here[0]


_MADE_ASIDE = None
"""The real kg.publish.writer._meaning_files, for `_made_slowly` (set by the test that uses it)."""


def _made_slowly(*args):
    """The forked process's work, made to take 0.8 s longer (at module level: the pool sends it by name)."""
    time.sleep(0.8)
    return _MADE_ASIDE(*args)


def test_an_edit_says_how_long_it_waited_for_the_forked_meaning_search_files(tmp_path, monkeypatch):
    """An edit's meaning search files are made by the forked process while this one analyses and
    plans; when that process is still at work once the pages are drawn, the build waits for it, and
    the site summary says how long (`meaning_seconds`): the part of the edit's time that process,
    not this one, set."""
    import sys

    from kg.publish import writer

    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    first = _build(vault, tmp_path / "cache")
    assert first["meaning_seconds"] >= 0  # (a first build makes them itself: no edit, no process)
    monkeypatch.setattr(writer, "ASIDE_UPTO", 20)
    monkeypatch.setattr(sys.modules[__name__], "_MADE_ASIDE", writer._meaning_files)
    monkeypatch.setattr(writer, "_meaning_files", _made_slowly)
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nHeliotrope invoices rose by 7% in 2025.\n", encoding="utf-8")
    site = _build(vault, tmp_path / "cache")
    assert site["errors"] == [] and site["meaning_seconds"] >= 0.5
    assert site["seconds"] >= site["meaning_seconds"]


def test_what_the_meaning_search_reads_ahead_is_taken_only_while_its_files_are_as_read(vault, tmp_path, monkeypatch):
    """kg.build's forked meaning search process reads the table, the kept units and the tokenizer
    while the claims and index stages run (semantic.read_ahead). The site takes them only while
    their files are as they were read: units saved again since are read again, and the files made
    are the same either way."""
    from kg.publish import writer

    monkeypatch.setattr(writer, "ASIDE_UPTO", -1)  # in this process, where what it reads is seen
    cache = tmp_path / "cache"
    _build(vault, cache)
    read: list = []
    real = semantic.Segments.__init__
    monkeypatch.setattr(semantic.Segments, "__init__", lambda self, *args: read.append(args[0]) or real(self, *args))
    note = vault / "notes" / "pricing.md"
    text = note.read_text(encoding="utf-8")
    made = []
    for stale in (False, True):
        note.write_text(text + "\nHeliotrope invoices arrive quarterly.\n", encoding="utf-8")
        semantic.read_ahead(cache)
        units = cache / semantic.UNIT_CACHE
        if stale:  # as if another build had saved the units since
            os.utime(units, ns=(units.stat().st_atime_ns, units.stat().st_mtime_ns + 1_000_000_000))
        read.clear()
        _build(vault, cache)
        assert read == ([units] if stale else [])
        assert not semantic._AHEAD  # each thing read ahead is taken once
        made.append((vault / "site" / semantic.VAULT).read_bytes())
        note.write_text(text, encoding="utf-8")
        _build(vault, cache)
    assert made[0] == made[1] and b"Heliotrope" in made[0]
