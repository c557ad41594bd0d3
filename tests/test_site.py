"""The static site, without a browser: links, safety, accessibility markup, golden pages,
incremental rebuilds and kg serve. (tests/test_browser.py drives chromium.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.publish.urls import relative
from tests.conftest import FIXTURES
from tests.crawl import crawl

GOLDEN = Path(__file__).parent / "golden" / "site"
GOLDEN_PAGES = ["index.html", "concepts/alpha.html", "concepts/gamma.html", "concepts/beta.html",
                "sources/report.html", "tags/topic.html", "concepts.html"]


def kg(*args: str, cache: Path):
    result = CliRunner(env={"KG_CACHE_DIR": str(cache)}).invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def build_site(vault: Path, cache: Path, *more: str) -> dict:
    return json.loads(kg("--vault", str(vault), "build", "--no-search", "--json", *more, cache=cache).output)["site"]


@pytest.fixture
def site_vault(tmp_path: Path) -> Path:
    dest = tmp_path / "site-vault"
    shutil.copytree(FIXTURES / "site-vault", dest)
    return dest


class Markup(HTMLParser):
    """What a test needs to know of a page: scripts, attributes, headings, landmarks."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[int] = []
        self.json_ld: list[str] = []
        self._ld = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        self._ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._ld:
            self.json_ld.append(data)

    def handle_endtag(self, tag):
        self._ld = False


# -- paths ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("source, target, expected", [
    ("index.html", "concepts/a.html", "concepts/a.html"),
    ("concepts/a.html", "sources/b.html#s-1a2b3c4d", "../sources/b.html#s-1a2b3c4d"),
    ("concepts/a.html", "concepts/b.html", "b.html"),
    ("concepts/a.html", "index.html", "../index.html"),
    ("concepts/a.html", "#claim-x", "a.html#claim-x"),
    ("tags/a.html", "files/notes/my image.png", "../files/notes/my%20image.png"),
])
def test_links_between_pages_are_relative(source, target, expected):
    assert relative(source, target) == expected


# -- the demo site -------------------------------------------------------------------------------
def test_demo_site_has_no_broken_links_and_loads_nothing_from_outside(demo_site):
    report = crawl(demo_site)
    assert report.pages >= 40 and report.links > 1000
    assert report.broken == []
    assert report.external_loads == []
    assert report.unsafe == []
    assert (demo_site / "pagefind" / "pagefind.js").is_file()


def test_demo_concept_page_shows_claims_badges_status_and_evidence(demo_site):
    page = (demo_site / "concepts" / "quality-gap.html").read_text(encoding="utf-8")
    claim = re.search(r'<li class="claim" id="claim-[^"]+" data-status="(\w+)">(.*?)</li>\s*(?=<li class="claim"|</ul>)',
                      page, re.S)
    assert claim, "no claim list on the quality-gap page"
    assert '<span class="badge q-percent" title="percent">~3–5 %</span>' in page
    evidence = re.findall(r'<blockquote><a href="(\.\./sources/[^"#]+\.html#s-[0-9a-f]{8})">', page)
    assert evidence, "no evidence quote links to a source sentence"
    target, anchor = evidence[0].split("#")
    assert f'id="{anchor}"' in (demo_site / "concepts" / target).resolve().read_text(encoding="utf-8")
    for section in ("Claims", "Tensions", "Backlinks", "Links around", "Related claims"):
        assert f">{section} " in page or f">{section}<" in page, section
    assert '<svg class="graph"' in page


def test_demo_indexes_list_claims_tensions_and_questions(demo_site):
    claims = (demo_site / "claims.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr(?: id="claim-[^"]+")? data-status="(\w+)" data-quantity="([^"]*)"', claims)
    assert len(rows) > 300
    assert {"supported", "contested", "unsupported"} <= {s for s, _ in rows}
    assert any("percent" in q for _, q in rows)
    tensions = (demo_site / "tensions.html").read_text(encoding="utf-8")
    for kind in ("numeric", "declared"):
        assert f'<h2 id="{kind}">' in tensions
    assert tensions.count('class="side-b"') >= 2
    questions = (demo_site / "questions.html").read_text(encoding="utf-8")
    assert questions.count("<li><a href=") >= 5
    home = (demo_site / "index.html").read_text(encoding="utf-8")
    assert "Most contested concepts" in home and "Newest sources" in home


def test_every_page_is_accessible_markup_with_json_ld(demo_site):
    for path in sorted(demo_site.rglob("*.html")):
        if "pagefind" in path.parts:
            continue
        page = Markup(path.read_text(encoding="utf-8"))
        names = [t for t, _ in page.tags]
        where = path.relative_to(demo_site)
        assert {"header", "nav", "main", "footer"} <= set(names), where
        assert page.headings.count(1) == 1 and page.headings[0] == 1, where
        for before, after in zip(page.headings, page.headings[1:]):
            assert after <= before + 1, f"{where}: heading h{before} is followed by h{after}"
        assert ("html", {"lang": "en"}) in page.tags, where
        assert len(page.json_ld) == 1, where
        data = json.loads(page.json_ld[0])
        assert data["@context"] == "https://schema.org" and data["@id"].startswith("https://example.org/kg-demo/")
        ids = [a["id"] for _, a in page.tags if a.get("id")]
        assert len(ids) == len(set(ids)), f"{where}: repeated ids {[i for i in ids if ids.count(i) > 1][:3]}"


# -- safety --------------------------------------------------------------------------------------
HOSTILE = """---
title: "<script>alert('title')</script>"
tags: ["<b>x</b>"]
---
# Hostile

<script>alert('body')</script>
<img src=x onerror="alert('img')">
[click](javascript:alert('link')) and [[javascript:alert('wiki')]] and [data](data:text/html,<script>alert(1)</script>)
![x](javascript:alert('image'))
<a href="javascript:alert('raw')">raw</a>

- A claim with <iframe src="https://evil.example"></iframe> inside. ^hostile
"""


def test_a_hostile_note_renders_inert(site_vault, tmp_path):
    (site_vault / "notes" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (site_vault / "sources" / "hostile.txt").write_text(
        "A source with <script>alert('source')</script> and <img src=x onerror=alert(1)> in its text.\n",
        encoding="utf-8")
    build_site(site_vault, tmp_path / "cache")
    site = site_vault / "site"
    for path in sorted(site.rglob("*.html")):
        if "pagefind" in path.parts:
            continue
        page = Markup(path.read_text(encoding="utf-8"))
        for tag, attrs in page.tags:
            assert not [a for a in attrs if a.startswith("on")], f"{path.name}: <{tag} {attrs}>"
            assert tag not in ("iframe", "object", "embed"), path.name
            for key in ("href", "src", "action"):
                assert not (attrs.get(key) or "").strip().lower().startswith(("javascript:", "data:")), \
                    f"{path.name}: <{tag} {key}={attrs[key]!r}>"
            if tag == "script":  # only ours: the theme line, the JSON-LD, the site script
                assert attrs.get("type") == "application/ld+json" or attrs.get("src", "").endswith("assets/kg.js") \
                    or attrs == {}, attrs
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<img src=x" not in text
    hostile = (site / "concepts" / "hostile.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in hostile


# -- golden output -------------------------------------------------------------------------------
def test_fixture_site_matches_the_golden_pages(site_vault, tmp_path):
    """Set KG_UPDATE_GOLDEN=1 to write the golden pages again after an intended change."""
    build_site(site_vault, tmp_path / "cache")
    site = site_vault / "site"
    assert crawl(site).broken == []
    for name in GOLDEN_PAGES:
        got = (site / name).read_text(encoding="utf-8")
        golden = GOLDEN / name
        if os.environ.get("KG_UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(got, encoding="utf-8")
        assert golden.is_file(), f"no golden page {name}: run with KG_UPDATE_GOLDEN=1"
        assert got == golden.read_text(encoding="utf-8"), f"{name} differs from tests/golden/site/{name}"


def test_fixture_site_renders_obsidian_syntax(site_vault, tmp_path):
    build_site(site_vault, tmp_path / "cache")
    page = (site_vault / "site" / "concepts" / "alpha.html").read_text(encoding="utf-8")
    assert '<a class="link missing" href="beta.html" title="No note yet">the beta family</a>' in page
    assert 'href="gamma.html#numbers"' in page and 'href="gamma.html#b-key-figure"' in page
    assert '<div class="callout" data-callout="warning" role="note"><p class="callout-title">Read with care</p>' in page
    assert '<details class="callout" data-callout="tip"><summary class="callout-title">Folded tip</summary>' in page
    assert '<div class="embed" role="note">' in page and "Gamma scores 61.6% on the benchmark." in page
    assert '<li id="b-alpha-price">' in page
    assert '<a class="tag" href="../tags/topic--sub.html">#topic/sub</a>' in page
    assert 'data-relation="supports"' in page
    assert "[[not-a-link]] inside code" in page
    assert '<img' not in page.split('class="note-body"')[1].split("</article>")[0] or "example.com/chart.png" not in page
    assert '<a class="external image-link" href="https://example.com/chart.png"' in page
    source = (site_vault / "site" / "sources" / "report.html").read_text(encoding="utf-8")
    assert '<dt>Author</dt><dd>Jane Doe</dd>' in source and '<time datetime="2026-04-20">' in source
    assert re.search(r'<span class="sentence" id="s-[0-9a-f]{8}">Alpha models trail the beta family', source)
    assert '<h2 id="key-points">Key points</h2>' in source


# -- incremental ---------------------------------------------------------------------------------
def test_editing_one_note_rewrites_only_the_pages_that_show_it(site_vault, tmp_path):
    cache = tmp_path / "cache"
    first = build_site(site_vault, cache)
    assert first["written"] == first["pages"]
    site = site_vault / "site"
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html") if "pagefind" not in p.parts}
    again = build_site(site_vault, cache)
    assert again["drawn"] == 0 and again["written"] == 0
    time.sleep(0.01)
    gamma = site_vault / "notes" / "topics" / "gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8").replace("Gamma links back", "Gamma, edited, links back"),
                     encoding="utf-8")
    edited = build_site(site_vault, cache)
    changed = {str(p.relative_to(site)) for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert "concepts/gamma.html" in changed
    # alpha shows a backlink paragraph from gamma, so it is drawn again; the source page and the
    # tag pages do not show gamma's text, so they are not rewritten
    assert "concepts/alpha.html" in changed
    assert not changed & {"sources/report.html", "tags/topic.html", "index.html"}, changed
    assert edited["written"] == len(changed) and edited["drawn"] < edited["pages"]
    # the search index is the current one only: a fragment per indexed page, none left from before
    indexed = [p for p in site.rglob("*.html") if "pagefind" not in p.parts
               and "data-pagefind-body" in p.read_text(encoding="utf-8")]
    assert len(list((site / "pagefind" / "fragment").iterdir())) == len(indexed)
    assert not [p.name for p in site.iterdir() if p.name.startswith(".pagefind")]


@pytest.mark.parametrize("sizes", [[1, 5], [1, 12], [1, 6, 7], [3], [2, 4]])
def test_local_graph_rings_are_where_networkx_puts_them(sizes):
    import networkx as nx

    from kg.publish.graphs import _rings

    shells, n = [], 0
    for size in sizes:
        shells.append([f"n{k}" for k in range(n, n + size)])
        n += size
    g = nx.Graph()
    g.add_nodes_from(node for shell in shells for node in shell)
    expected = {k: (float(x), float(y)) for k, (x, y) in nx.shell_layout(g, shells).items()}
    assert _rings(shells) == expected


def test_the_global_layout_draws_linked_concepts_together_the_same_way_every_time():
    import numpy as np

    from kg.publish.graphs import _spring

    rng = np.random.default_rng(3)  # two communities of 60, linked within, one link between them
    pairs = sorted({(min(a, b), max(a, b)) for group in (range(60), range(60, 120))
                    for a, b in rng.choice(list(group), (150, 2)).tolist() if a != b} | {(0, 60)})
    pos = _spring(120, pairs, 1.6 / np.sqrt(120))
    assert np.array_equal(pos, _spring(120, pairs, 1.6 / np.sqrt(120)))
    assert np.abs(pos).max() == 1.0 and np.allclose(pos.mean(axis=0), 0.0)
    apart = lambda a, b: float(np.hypot(*(pos[a] - pos[b])))  # noqa: E731
    within = np.mean([apart(a, b) for a, b in pairs])
    across = np.mean([apart(a, b) for a in range(60) for b in range(60, 120)])
    assert within < 0.6 * across
    assert len({tuple(p) for p in np.round(pos, 3).tolist()}) == 120  # no two concepts on one spot


def test_the_global_graph_is_laid_out_again_only_when_its_nodes_or_links_change(site_vault, tmp_path, monkeypatch):
    from kg.publish import graphs

    laid_out = []
    spring = graphs._spring
    monkeypatch.setattr(graphs, "_spring", lambda *a, **k: laid_out.append(1) or spring(*a, **k))
    fresh = tmp_path / "fresh-vault"
    shutil.copytree(site_vault, fresh)
    cache = tmp_path / "cache"
    build_site(site_vault, cache)
    assert len(laid_out) == 1
    graph = site_vault / "site" / "graph.html"
    first = graph.read_text(encoding="utf-8")
    # gamma links alpha once more: alpha's dot grows, and no node or link of the picture changes
    for vault in (site_vault, fresh):
        gamma = vault / "notes" / "topics" / "gamma.md"
        gamma.write_text(gamma.read_text(encoding="utf-8") + "\nAlpha again: [[alpha]].\n", encoding="utf-8")
    build_site(site_vault, cache)
    assert len(laid_out) == 1
    kept = graph.read_text(encoding="utf-8")
    assert kept != first
    # the page drawn from the kept layout is the one a fresh layout draws
    build_site(fresh, tmp_path / "fresh-cache")
    assert len(laid_out) == 2
    assert (fresh / "site" / "graph.html").read_text(encoding="utf-8") == kept
    # a new link between two concepts it shows lays it out again
    gamma = site_vault / "notes" / "topics" / "gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8") + "\nAnd [[report-notes]].\n", encoding="utf-8")
    build_site(site_vault, cache)
    assert len(laid_out) == 3
    assert 'data-to="concept:report-notes"' in graph.read_text(encoding="utf-8")


def test_a_deleted_note_loses_its_page(site_vault, tmp_path):
    cache = tmp_path / "cache"
    build_site(site_vault, cache)
    assert (site_vault / "site" / "concepts" / "gamma.html").is_file()
    (site_vault / "notes" / "topics" / "gamma.md").unlink()
    result = build_site(site_vault, cache)
    # gamma is still linked from alpha, so it stays as a stub page
    page = (site_vault / "site" / "concepts" / "gamma.html").read_text(encoding="utf-8")
    assert "no note yet" in page
    assert crawl(site_vault / "site").broken == []
    assert result["written"] >= 1


def test_a_page_deleted_from_the_site_folder_is_drawn_again_by_the_next_edit(site_vault, tmp_path):
    """A page the reader deleted (or lost) from the site folder is written again by the next
    build that draws anything, though nothing it shows changed; the pages still there are not."""
    cache = tmp_path / "cache"
    build_site(site_vault, cache)
    out = site_vault / "site"
    for page in ("concepts/gamma.html", "tags.html"):
        (out / page).unlink()
    kept = (out / "sources" / "report.html").stat().st_mtime_ns
    alpha = site_vault / "notes" / "alpha.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = build_site(site_vault, cache)
    assert (out / "concepts" / "gamma.html").is_file() and (out / "tags.html").is_file()
    assert result["written"] >= 3  # alpha's page and the two that were gone
    assert (out / "sources" / "report.html").stat().st_mtime_ns == kept
    assert crawl(out).broken == []


def test_a_page_that_cannot_be_drawn_does_not_stop_the_site(site_vault, tmp_path, monkeypatch):
    from kg.build import build
    from kg.config import load_settings
    from kg.publish import publish_vault, writer

    real = writer.draw

    def broken(site, page):
        if page.path == "concepts/gamma.html":
            raise ValueError("a renderer bug")
        return real(site, page)

    monkeypatch.setattr(writer, "draw", broken)
    settings = load_settings(site_vault)
    found = publish_vault(build(site_vault, settings, cache_dir=tmp_path / "cache"), settings, tmp_path / "cache",
                          search=False)
    assert found["errors"] == ["concepts/gamma.html: kg could not draw this page (ValueError: a renderer bug); "
                               "please report it"]
    assert (site_vault / "site" / "concepts" / "alpha.html").is_file()
    assert not (site_vault / "site" / "concepts" / "gamma.html").exists()


# -- kg serve ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_reloads_the_page_after_a_save(site_vault, tmp_path):
    port = _free_port()
    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "kg"), "--vault", str(site_vault), "serve", "--no-search",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line + proc.stdout.read()
        base = f"http://127.0.0.1:{port}/"
        page = urllib.request.urlopen(base + "concepts/gamma.html", timeout=10).read().decode()
        assert '<script src="/_kg/live.js"></script></body>' in page
        assert "/_kg/live.js" not in (site_vault / "site" / "concepts" / "gamma.html").read_text(encoding="utf-8")
        events = urllib.request.urlopen(base + "_kg/events", timeout=20)
        assert events.readline().startswith(b"retry:")
        heard: list[bytes] = []
        listener = threading.Thread(target=lambda: heard.extend(
            line for line in iter(events.readline, b"") if line.startswith(b"data:")), daemon=True)
        listener.start()
        gamma = site_vault / "notes" / "topics" / "gamma.md"
        text = gamma.read_text(encoding="utf-8") + "\nA sentence saved while serving.\n"
        deadline = time.perf_counter() + 30
        while not heard and time.perf_counter() < deadline:
            gamma.write_text(text, encoding="utf-8")  # again, in case the watcher was not yet started
            for _ in range(40):
                if heard:
                    break
                time.sleep(0.05)
        assert heard and heard[0] == b"data: reload\n", heard
        page = urllib.request.urlopen(base + "concepts/gamma.html", timeout=10).read().decode()
        assert "A sentence saved while serving." in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_link_that_ends_a_sentence_reads_as_its_title_where_its_paragraph_is_quoted(demo_site):
    """Backlink paragraphs (and search excerpts) show a link by its target's title, as the page
    it comes from does, also when a full stop follows it; `sources/x.md` stays a path."""
    from kg.publish.site import _replace_whole

    assert _replace_whole("according to sources/x.", "sources/x", "X") == "according to X."
    assert _replace_whole("see sources/x.md and sources/x-2", "sources/x", "X") == "see sources/x.md and sources/x-2"
    assert _replace_whole("sources/x, then sources/x", "sources/x", "X") == "X, then X"
    quoted = [p.name for p in demo_site.rglob("*.html") if "according to sources/" in p.read_text(encoding="utf-8")]
    assert quoted == []


def test_a_concept_page_and_kg_show_list_the_same_unlinked_mentions(demo_site, tmp_path):
    """One definition (kg.knowledge.unlinked_mentions): claims of other files that name the concept
    and whose file has no link to it."""
    from tests.conftest import ROOT, copy_demo_cache

    cache = copy_demo_cache(demo_site, tmp_path / "cache")
    found = 0
    for cid in ("deepseek", "anthropic", "quality-gap"):
        result = CliRunner(env={"KG_CACHE_DIR": str(cache)}).invoke(main, ["--vault", str(ROOT), "show", cid, "--json"])
        shown = json.loads(result.output)
        linking = {lk["doc"] for lk in shown["incoming"]}
        unlinked = shown["unlinked_mentions"]
        assert unlinked == [c for c in shown["mentioned_in"] if c["doc"] not in linking]
        page = (demo_site / "concepts" / f"{cid}.html").read_text(encoding="utf-8")
        listed = re.search(r'<h2 id="h-mentions">Unlinked mentions <span class="count">(\d+)</span>', page)
        assert (int(listed.group(1)) if listed else 0) == min(len(unlinked), 50), cid
        found += len(unlinked)
    assert found > 20


def test_a_page_s_evidence_and_citations_made_when_asked_are_those_of_the_whole_vault_s(demo_site, tmp_path):
    """Site.evidence and Site.cited sort and gather a claim's or a source's items only when a page
    asks for them; what they give, and in which order, is what the whole vault's sort gives."""
    from collections import defaultdict

    from kg.build import run
    from kg.claims.store import EvidenceByClaim, evidence_by_claim
    from kg.publish.site import _Cited
    from tests.conftest import ROOT, copy_demo_cache

    def sorted_whole(claims: list, evidence: list) -> dict:
        """Every item sorted at once, declared first, then best first, then by claim (not by where
        the evidence lists it, which differs between an analysis and the settled rows), then given
        to each note that writes its claim: the order the lazy map must keep."""
        docs: dict = {}
        for c in claims:
            if c.origin == "note":
                docs.setdefault(c.id, []).append(c.doc)
        out: dict = {}
        for e in sorted(evidence, key=lambda e: (e.method != "declared", -e.score, e.claim)):
            for doc in docs.get(e.claim, []):
                out.setdefault((e.claim, doc), []).append(e)
        return out

    knowledge = run(ROOT, cache_dir=copy_demo_cache(demo_site, tmp_path / "cache"), site=False).knowledge
    claims, evidence = list(knowledge.claims), knowledge.evidence
    twice = next(c for c in claims if c.origin == "note" and any(e.claim == c.id for e in evidence))
    claims.append(twice.model_copy())  # one text written twice in one note: its items come twice
    whole = sorted_whole(claims, evidence)
    by_id: dict = {}
    for c in claims:
        by_id.setdefault(c.id, []).append(c)
    lazy = EvidenceByClaim(by_id, evidence)
    assert list(lazy) == list(whole) and len(lazy) == len(whole) > 100
    assert all(lazy[key] == items for key, items in whole.items())
    assert list(evidence_by_claim(claims, evidence).items()) == list(whole.items())
    once = sorted_whole(knowledge.claims, evidence)[twice.id, twice.doc]
    assert len(lazy[twice.id, twice.doc]) == 2 * len(once) > 0
    assert lazy.get(("c-none", twice.doc)) is None
    by_key = {(c.id, c.doc): c for c in claims}
    cited: dict = defaultdict(lambda: defaultdict(list))
    for (cid, doc), items in whole.items():
        for e in items:
            if e.anchor and by_key.get((cid, doc)):
                cited[e.doc][e.anchor].append((by_key[cid, doc], e))
    made = _Cited(lazy, by_key)
    assert sorted(made) == sorted(cited) and len(cited) >= 3
    for doc, anchors in cited.items():
        assert list(made[doc].items()) == list(anchors.items())
    assert made.get("notes/concepts/quality-gap.md") is None


def test_compiled_templates_are_kept_for_the_next_process_and_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    from kg.publish import writer

    def fresh_environment():
        writer.environment.cache_clear()
        return writer.environment()

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        fresh_environment().get_template("concept.html")
        assert len(list((tmp_path / "cache" / "kg" / "templates").iterdir())) == 1
        env = fresh_environment()  # another process's, as far as jinja knows
        monkeypatch.setattr(env, "compile", lambda *a, **k: pytest.fail("compiled again"))
        env.get_template("concept.html")
        monkeypatch.undo()
        (tmp_path / "file").write_text("not a folder", encoding="utf-8")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
        assert fresh_environment().get_template("concept.html") is not None
    finally:
        writer.environment.cache_clear()


def test_an_unchanged_file_s_links_are_the_last_build_s_while_the_names_are(site_vault, tmp_path):
    from kg.build import run
    from kg.publish.site import Site
    from kg.publish.writer import MANIFEST, _links_out

    cache = tmp_path / "cache"
    build_site(site_vault, cache)
    last = json.loads((cache / MANIFEST).read_text(encoding="utf-8"))
    site = Site(run(site_vault, cache_dir=cache, search=False, site=False).kb, "Site", "/")
    files = {path: info.hash for path, info in site.kb.infos.items()}
    every = _links_out(site, {}, files)
    assert _links_out(site, last, files) == every and every["notes/alpha.md"]
    kept = {**last, "links": {**last["links"], "notes/alpha.md": ["kept.html"]}}
    assert _links_out(site, kept, files)["notes/alpha.md"] == ["kept.html"]  # not paged again
    assert _links_out(site, kept, {**files, "notes/alpha.md": "edited"}) == every
    # other names: kept while the file's links are as they were (their digest), paged again if not
    assert _links_out(site, {**kept, "names": "other names"}, files)["notes/alpha.md"] == ["kept.html"]
    moved = {**kept, "names": "other names", "link_digests": {**last["link_digests"], "notes/alpha.md": "other"}}
    assert _links_out(site, moved, files) == every
    assert _links_out(site, {**kept, "names": "other names", "link_digests": None}, files) == every


def test_renaming_a_heading_redraws_only_the_pages_that_show_or_link_that_note(site_vault, tmp_path):
    """A heading is no name a link resolves by (kg.index.names_fingerprint): renaming one plans
    the site incrementally, as any edit of that note does (at 10k notes it planned every page
    again: 26 s against 11 s), and the pages that link into the heading follow it."""
    cache = tmp_path / "cache"
    build_site(site_vault, cache)
    site = site_vault / "site"
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*.html") if "pagefind" not in p.parts}
    assert 'href="gamma.html#numbers"' in (site / "concepts" / "alpha.html").read_text(encoding="utf-8")
    time.sleep(0.01)
    gamma = site_vault / "notes" / "topics" / "gamma.md"
    gamma.write_text(gamma.read_text(encoding="utf-8").replace("## Numbers", "## Figures"), encoding="utf-8")
    edited = build_site(site_vault, cache)
    assert edited["incremental"] and edited["drawn"] < edited["pages"]
    changed = {str(p.relative_to(site)) for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert {"concepts/gamma.html", "concepts/alpha.html"} <= changed  # alpha's link lost its heading
    assert not changed & {"sources/report.html", "tags/topic.html"}, changed
    alpha = (site / "concepts" / "alpha.html").read_text(encoding="utf-8")
    assert "gamma.html#numbers" not in alpha and 'href="gamma.html#b-key-figure"' in alpha
    problems = json.loads(kg("--vault", str(site_vault), "check", "--json", "--code", "missing-heading",
                             cache=cache).output)
    assert [(p["doc"], p["line"]) for p in problems] == [("notes/alpha.md", 10), ("notes/alpha.md", 26)]  # link, embed
    drawn = {p: p.read_bytes() for p in site.rglob("*.html") if "pagefind" not in p.parts}
    shutil.rmtree(site)
    build_site(site_vault, tmp_path / "cold-cache")  # the same vault built from nothing: the same pages
    assert {p: p.read_bytes() for p in site.rglob("*.html") if "pagefind" not in p.parts} == drawn


def _new_note(vault: Path) -> None:
    (vault / "notes" / "nowhere yet.md").write_text("# Nowhere yet\n\nNow written: see [[gamma]].\n", encoding="utf-8")


def _retitle(vault: Path) -> None:
    gamma = vault / "notes" / "topics" / "gamma.md"
    gamma.write_text("---\ntitle: Gamma models\naliases: [beta]\n---\n" + gamma.read_text(encoding="utf-8"),
                     encoding="utf-8")


@pytest.mark.parametrize("change", [_new_note, lambda vault: (vault / "notes" / "topics" / "gamma.md").unlink(),
                                    _retitle], ids=["new note", "deleted note", "retitled with an alias"])
def test_a_change_of_names_redraws_the_pages_it_reaches_as_a_cold_build_draws_them(site_vault, tmp_path, change):
    """A note made, deleted or given another title and alias changes what links resolve to: the
    files whose links now point elsewhere count as edited (KnowledgeBase.link_digests), so the site
    is planned incrementally (at 10k notes, planning every page took 12.6 s of a 24.6 s build) and
    every page ends as a build from nothing draws it."""
    cache = tmp_path / "cache"
    build_site(site_vault, cache)
    site = site_vault / "site"
    change(site_vault)
    edited = build_site(site_vault, cache)
    assert edited["incremental"] and not edited["errors"]
    drawn = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*.html") if "pagefind" not in p.parts}
    assert "sources/report.html" in drawn  # (not drawn again: its inputs did not change)
    shutil.rmtree(site)
    build_site(site_vault, tmp_path / "cold-cache")
    cold = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*.html") if "pagefind" not in p.parts}
    assert sorted(drawn) == sorted(cold)
    assert [p for p in cold if drawn[p] != cold[p]] == []
