"""The demo site in a real browser (Debian's chromium, driven by Playwright).

The site is served by a standard-library HTTP server under a sub-path (/kg/demo/), so these tests
also prove that it works wherever it is mounted. Every page records the requests it makes, its
console errors, its uncaught exceptions and its failed responses. Each test checks what a reader
would notice: search finds the concept, evidence links land on a highlighted sentence, the
keyboard reaches everything, the pages read without JavaScript, the theme sticks, the graph reacts,
the claims filter works. Full-page screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import struct
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT, copy_demo_cache, serving

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MOUNT = "/kg/demo/"
ARTIFACTS = ROOT / "test-artifacts"
WAIT = 15_000  # ms: Pagefind loads its index lazily, on first use of the search box


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser hangs up on requests it no longer needs; that is not a failure


@contextlib.contextmanager
def serve_mounted(folder: Path, top: Path, handler=None):
    """Serve a built site from the sub-path MOUNT of a local server (as a site published below a
    domain's root is); yields the site's base URL."""
    (top / "kg").mkdir(parents=True)
    (top / "kg" / "demo").symlink_to(folder, target_is_directory=True)
    with serving(QuietServer(("127.0.0.1", 0), functools.partial(handler or QuietHandler, directory=str(top)))) as url:
        yield url + MOUNT


@pytest.fixture(scope="module")
def site(demo_site, tmp_path_factory):
    """The base URL of the demo site, served from a sub-path of a local server."""
    with serve_mounted(demo_site, tmp_path_factory.mktemp("served")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)", pytrace=False)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


class Tab:
    """A page in a fresh context that records its requests and everything that goes wrong in it."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status} {r.url}"))

    def _console(self, message):
        # kg.js says "kg: ... not enhanced" as a warning when an enhancement fails: that counts too
        if message.type == "error" or message.text.startswith("kg:"):
            self.errors.append(f"console {message.type}: {message.text}")


@pytest.fixture
def tab(browser):
    tab = Tab(browser)
    yield tab
    tab.context.close()


def until(page, script: str, arg=None, failure="", timeout: int = 5_000):
    """Wait until the script is true in the page; if it never is, fail with what a reader would miss
    (`failure` may be a function, to describe the page as it is then)."""
    try:
        page.wait_for_function(script, arg=arg, timeout=timeout)
        return
    except PlaywrightTimeout:
        pass
    pytest.fail(f"{failure() if callable(failure) else failure} (after {timeout / 1000:g} s)", pytrace=False)


def wait_for_result(page, path: str, within: int = 3):
    """Wait until one of the first `within` search results links to `path`; return the results."""
    until(page, """([path, within]) => Array.from(document.querySelectorAll('#search-results a.search-result'))
          .slice(0, within).some(a => a.pathname.endsWith(path))""", [path, within],
          lambda: f"no link to {path} among the first {within} search results: "
          + repr(page.locator("#search-results").inner_text()), WAIT)
    return page.locator("#search-results a.search-result")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_home_page_loads_cleanly_and_only_from_the_server(tab, site):
    tab.page.goto(site + "index.html", wait_until="networkidle")
    expect(tab.page.locator("h1")).to_be_visible()
    assert tab.errors == []
    outside = [url for url in tab.requests if not url.startswith(site)]
    assert outside == [], f"requests outside {site}: {outside}"
    assert site + "assets/kg.css" in tab.requests and site + "assets/kg.js" in tab.requests


def test_search_finds_the_concept_and_opens_it(tab, site):
    page = tab.page
    page.goto(site + "index.html")
    page.locator("#search-box").press_sequentially("quality gap")
    wait_for_result(page, MOUNT + "concepts/quality-gap.html")
    page.locator('#search-results a.search-result[href$="/concepts/quality-gap.html"]').first.click()
    page.wait_for_url(site + "concepts/quality-gap.html")
    expect(page.locator("main")).to_contain_text("3–5")
    assert tab.errors == []
    assert all(url.startswith(site) for url in tab.requests), tab.requests


def test_evidence_link_lands_on_the_highlighted_sentence(tab, site):
    page = tab.page
    page.goto(site + "concepts/quality-gap.html")
    claim = page.locator("li.claim:has(ul.evidence a[href*='#s-'])").first
    claim.locator("summary").click()  # a claim shows its evidence when opened
    claim.locator('ul.evidence a[href*="#s-"]').first.click()
    page.wait_for_url(re.compile(re.escape(site) + r"sources/[^/]+\.html#s-[0-9a-f]{8}$"))
    anchor = page.url.split("#")[1]
    sentence = page.locator(f"span.sentence#{anchor}")
    expect(sentence).to_have_count(1)
    assert sentence.evaluate("el => el.matches(':target')")
    expect(sentence).to_be_in_viewport(timeout=5_000)  # the page scrolls smoothly to it
    # compare with a sentence of the same kind (same classes: cited, claim...) that is not the target
    twin = sentence.evaluate("""el => Array.from(document.querySelectorAll('span.sentence'))
        .filter(s => s !== el && s.className === el.className).map(s => getComputedStyle(s).backgroundColor)[0]""")
    assert twin is not None, "no other sentence like the target to compare with"
    assert sentence.evaluate("el => getComputedStyle(el).backgroundColor") != twin, "the target is not highlighted"
    assert tab.errors == []


def test_keyboard_reaches_the_search_box_and_opens_a_result(tab, site):
    page = tab.page
    page.goto(site + "concepts/inference-pricing.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip')"), "first Tab misses the skip link"
    expect(page.locator("a.skip")).to_be_in_viewport()
    for _ in range(25):
        if page.evaluate("document.activeElement.id") == "search-box":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-box", "25 Tabs do not reach the search box"
    page.keyboard.type("quality gap")
    first = wait_for_result(page, MOUNT + "concepts/quality-gap.html", within=1).first
    page.keyboard.press("ArrowDown")
    expect(page.locator("#search-box")).to_have_attribute("aria-activedescendant", "search-result-0")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_url(site + "concepts/quality-gap.html")
    assert tab.errors == []


def test_screenshots_of_a_concept_a_source_and_the_tensions(tab, site):
    page = tab.page
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(site + "concepts/quality-gap.html")
    evidence = page.locator('li.claim ul.evidence a[href*="#s-"]').first.evaluate("a => a.href")
    shots = {"concept.png": site + "concepts/quality-gap.html", "source.png": evidence,
             "tensions.png": site + "tensions.html"}
    for name, url in shots.items():
        page.goto(url, wait_until="networkidle")
        page.evaluate("document.fonts.ready")
        # from the top, so the sticky side column sits where a reader first sees it
        page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
        path = ARTIFACTS / name
        page.screenshot(path=str(path), full_page=True)
        size = path.stat().st_size
        width, height = png_size(path)
        assert size > 20_000, f"{name}: {size} bytes"
        assert height > 600, f"{name}: {width}x{height}"
    assert tab.errors == []


def test_pages_read_without_javascript(browser, site):
    tab = Tab(browser, java_script_enabled=False)
    try:
        page = tab.page
        page.goto(site + "concepts/quality-gap.html")
        claims = page.locator("li.claim")
        assert claims.count() >= 5
        expect(claims.first).to_be_visible()
        quote = page.locator("li.claim ul.evidence blockquote").first
        expect(quote).to_be_hidden()  # evidence on demand: a <details> opens without a script
        page.locator("li.claim:has(ul.evidence) summary").first.click()
        expect(quote).to_be_visible()
        expect(page.locator("section.local-graph svg.graph")).to_be_visible()
        expect(page.locator("section.local-graph svg.graph a.node").first).to_be_visible()
        page.goto(site + "claims.html")
        groups = page.locator("details.claim-group")
        assert groups.count() >= 10
        groups.first.locator("summary").click()
        expect(groups.first.locator("table.claims-table")).to_be_visible()
        assert groups.first.locator("tbody tr:visible").count() >= 1
        expect(page.locator("form.filters")).to_be_hidden()  # no controls that cannot work
        page.goto(site + "sources/open-weight-cascade.html")
        marked = page.locator("span.sentence.claim").first
        assert marked.evaluate("el => getComputedStyle(el).textDecorationLine") == "none"
        page.locator("label[for=show-marks]").click()  # a CSS toggle: no script needed
        assert marked.evaluate("el => getComputedStyle(el).textDecorationLine") == "underline"
        expect(page.locator("button.theme")).to_be_hidden()
        assert tab.errors == []
    finally:
        tab.context.close()


def test_theme_button_switches_and_the_choice_survives_a_reload(tab, site):
    page = tab.page
    page.goto(site + "index.html")
    background = "getComputedStyle(document.body).backgroundColor"
    before = page.evaluate(background)
    theme = page.evaluate("document.documentElement.dataset.theme || ''")
    page.locator("button.theme").click()
    after = page.evaluate("document.documentElement.dataset.theme")
    assert after in ("light", "dark") and after != theme
    until(page, f"{background} !== {before!r}", failure=f"the background stays {before} in the {after} theme")
    switched = page.evaluate(background)
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == after
    assert page.evaluate(background) == switched
    expect(page.locator("button.theme")).to_have_attribute("aria-pressed", "true" if after == "dark" else "false")
    assert tab.errors == []


def test_global_graph_highlights_on_hover_and_zooms_on_the_wheel(tab, site):
    page = tab.page
    page.goto(site + "graph.html")
    svg = page.locator(".global-graph svg.graph")
    expect(svg).to_be_visible()
    assert page.locator(".global-graph a.node").count() >= 10
    page.locator(".global-graph a.node circle").first.hover()
    expect(svg).to_have_class(re.compile(r"\bhovering\b"))
    expect(page.locator(".global-graph a.node.active")).to_have_count(1)
    dimmed = page.locator(".global-graph a.node:not(.near) circle").first
    until(page, "el => parseFloat(getComputedStyle(el).opacity) < 0.5", dimmed.element_handle(),
          "hovering a node does not dim the others")
    viewport = page.locator(".global-graph g.viewport")
    before = viewport.get_attribute("transform")
    box = svg.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    expect(viewport).not_to_have_attribute("transform", before or "")
    scale = float(re.search(r"scale\(([\d.]+)\)", viewport.get_attribute("transform")).group(1))
    assert scale > 1, "scrolling up should zoom in"
    assert tab.errors == []


def test_claims_filter_from_the_address(tab, site):
    page = tab.page
    page.goto(site + "claims.html?status=contested")
    output = page.locator("form.filters output.shown")
    expect(output).to_have_text(re.compile(r"^\d+ of \d+ claims$"))
    expect(page.locator("form.filters select[name=status]")).to_have_value("contested")
    rows = page.evaluate("""Array.from(document.querySelectorAll('table.claims-table tbody tr'))
        .map(r => [r.dataset.status, r.getClientRects().length > 0])""")
    shown = [status for status, visible in rows if visible]
    assert shown and set(shown) == {"contested"}
    n, m = map(int, re.match(r"(\d+) of (\d+)", output.inner_text()).groups())
    assert (n, m) == (len(shown), len(rows)) and n < m
    assert tab.errors == []


def _cli_json(demo_site, *args) -> dict:
    from click.testing import CliRunner

    from kg.cli import main

    result = CliRunner(env={"KG_CACHE_DIR": str(demo_site.parent / "cache")}).invoke(
        main, ["--vault", str(ROOT), *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_counts_agree_on_the_home_page_the_claims_page_and_the_cli(tab, site, demo_site):
    summary = _cli_json(demo_site, "build", "--no-site")
    counts = summary["claims"]
    page = tab.page
    page.goto(site + "index.html")

    def tile(selector: str) -> int:
        return int(page.locator(f"ul.stats {selector} strong").inner_text())

    assert tile("li:has(a[href='claims.html'])") == counts["claims"]
    assert tile("li:has(a[href='concepts.html'])") == summary["concepts"]
    assert tile("li:has(a[href='tags.html'])") == summary["tags"]
    assert tile("li:has(a[href='claims.html?origin=note'])") == counts["note_claims"]
    for status in ("supported", "contested", "unsupported"):
        assert tile(f"li.{status}") == counts[status], status
        page.locator(f"ul.stats li.{status} a").click()
        shown = page.locator("form.filters output.shown")
        expect(shown).to_have_text(f"{counts[status]} of {counts['claims']} claims")
        page.go_back()
    assert counts["supported"] + counts["contested"] + counts["unsupported"] == counts["note_claims"]
    assert tab.errors == []


def test_a_concept_page_shows_each_tension_once_and_as_many_as_kg_show(tab, site, demo_site):
    shown = _cli_json(demo_site, "show", "quality-gap")
    page = tab.page
    page.goto(site + "concepts/quality-gap.html")
    ids = page.evaluate("""Array.from(document.querySelectorAll('section.tensions [id^="tension-"]'))
        .map(el => el.id)""")
    assert ids and len(ids) == len(set(ids)), ids
    assert sorted(ids) == sorted(f"tension-{t['id']}" for t in shown["tensions"])
    assert page.locator("#h-tensions .count").inner_text() == str(len(shown["tensions"]))
    claims = [c for c in shown["claims"] if c["kind"] == "claim"]
    assert page.locator("#h-claims .count").inner_text() == str(len(claims))
    backlinks = len({link["doc"] for link in shown["incoming"]})
    assert page.locator("#h-backlinks .count").inner_text() == str(backlinks)
    assert tab.errors == []


@pytest.mark.parametrize("name", ["concepts/quality-gap.html", "sources/open-weight-cascade.html",
                                  "claims.html", "tensions.html"])
def test_the_demo_pages_fit_a_reader_on_a_desktop(browser, site, name):
    tab = Tab(browser, viewport={"width": 1280, "height": 900})
    try:
        tab.page.goto(site + name)
        height = tab.page.evaluate("document.documentElement.scrollHeight")
        assert height < 4000, f"{name} is {height} px tall at 1280 px wide"
        assert tab.errors == []
    finally:
        tab.context.close()


def test_a_link_to_a_claim_opens_its_group_on_the_claims_page(tab, site):
    page = tab.page
    page.goto(site + "claims.html")
    anchor = page.locator("details.claim-group tr[id^='claim-']").last.get_attribute("id")
    expect(page.locator(f"#{anchor}")).to_be_hidden()
    page.goto(site + f"claims.html#{anchor}")
    expect(page.locator(f"#{anchor}")).to_be_visible()
    expect(page.locator(f"#{anchor}")).to_be_in_viewport()
    assert tab.errors == []


def test_claim_marks_on_a_source_page_are_off_until_asked_for(tab, site):
    page = tab.page
    page.goto(site + "sources/open-weight-cascade.html")
    chips = page.locator(".cited-by a")
    assert chips.count() > 0
    expect(chips.first).to_be_hidden()
    page.locator("#show-marks").check()
    expect(chips.first).to_be_visible()
    page.locator("#show-marks").uncheck()
    expect(chips.first).to_be_hidden()
    assert tab.errors == []


def _demo_vault(demo_site: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the demo vault and a cache with the demo's vectors (no embedding in the test)."""
    import shutil

    vault = tmp_path / "vault"
    for name in ("notes", "sources"):
        shutil.copytree(ROOT / name, vault / name)
    shutil.copy(ROOT / "kg.toml", vault / "kg.toml")
    cache = tmp_path / "cache"
    copy_demo_cache(demo_site, cache)
    return vault, cache


def test_a_paged_claims_index_keeps_its_filter_from_page_to_page(browser, demo_site, tmp_path, monkeypatch):
    """On a claims index of several pages (a large vault's), a filter counts the page it is on and
    says so, and the pager's links carry it: Next opens the next page filtered alike."""
    from kg.build import run
    from kg.publish import indexes

    monkeypatch.setattr(indexes, "CLAIMS_PER_PAGE", 60)
    vault, cache = _demo_vault(demo_site, tmp_path)
    run(vault, cache_dir=cache, site_dir=vault / "site", pagefind=False)
    site = vault / "site"
    assert (site / "claims-3.html").is_file()
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto((site / "claims.html").as_uri() + "?status=supported")
        shown = page.locator("form.filters output.shown").inner_text()
        assert shown.endswith(" claims on this page"), shown
        assert page.locator("tbody tr:not([hidden])").count() == int(shown.split()[0]) > 0
        assert page.locator("tbody tr[hidden]").count() > 0  # the others are there, filtered out
        nexts = page.locator('nav.pager a[rel="next"]')
        assert nexts.count() == 2 and all(href == "claims-2.html?status=supported"
                                          for href in nexts.evaluate_all("links => links.map(a => a.getAttribute('href'))"))
        nexts.first.click()
        page.wait_for_url("**/claims-2.html?status=supported")
        assert page.locator("form.filters select[name=status]").input_value() == "supported"
        rows = page.locator("tbody tr:not([hidden])")
        assert rows.count() > 0 and set(rows.evaluate_all("rows => rows.map(r => r.dataset.status)")) == {"supported"}
        page.locator("form.filters select[name=status]").select_option("")  # no filter: plain links again
        assert page.locator('nav.pager a[rel="prev"]').first.get_attribute("href") == "claims.html"
        assert tab.errors == []
    finally:
        tab.context.close()


def test_paged_tensions_are_reached_from_the_home_page_by_kind_and_walked_by_the_pager(
        browser, demo_site, tmp_path, monkeypatch):
    """On a vault with more tensions than a page holds (a large vault's thousands), the home page's
    link to a kind opens the page that kind starts on, at its heading; Next walks the pages in order,
    a kind begun on an earlier page is "continued", and every tension shows once, with no error in
    the console."""
    from kg.build import run
    from kg.publish import indexes

    monkeypatch.setattr(indexes, "TENSIONS_PER_PAGE", 5)
    vault, cache = _demo_vault(demo_site, tmp_path)
    built = run(vault, cache_dir=cache, site_dir=vault / "site", pagefind=False)
    site = vault / "site"
    assert (site / "tensions-3.html").is_file()
    tab = Tab(browser)
    try:
        page = tab.page
        page.goto((site / "index.html").as_uri())
        link = page.locator('a[href$="#declared"]').first  # the notes' own tensions
        href = link.get_attribute("href")
        assert href.startswith("tensions") and href.endswith(".html#declared"), href
        link.click()
        page.wait_for_url(f"**/{href}")
        heading = page.locator("h2#declared")
        assert heading.is_visible() and heading.inner_text().startswith("Declared")
        assert page.evaluate("(h => h.getBoundingClientRect().top >= 0 && h.getBoundingClientRect().bottom <= innerHeight)"
                             "(document.getElementById('declared'))")  # in view
        page.goto((site / "tensions.html").as_uri())
        seen, continued = [], 0
        while True:
            seen += page.locator("details.tension").evaluate_all("cards => cards.map(c => c.id)")
            continued += page.locator("h2#declared-continued").count()
            nexts = page.locator('nav.pager a[rel="next"]')
            if not nexts.count():
                break
            nexts.first.click()
            page.wait_for_load_state()
        assert sorted(seen) == sorted(f"tension-{t.id}" for t in built.knowledge.tensions)
        assert continued == len(list(site.glob("tensions*.html"))) - 1  # the declared ones run past page 1
        # a tension's IRI in the linked data (tensions.html#tension-…) opens the page that holds it, at its card
        last = seen[-1]
        with serving(QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))) as url:
            page.goto(f"{url}/tensions.html#{last}")
            page.wait_for_url(f"**/tensions-{len(list(site.glob('tensions*.html')))}.html#{last}")
            page.wait_for_load_state()
            assert page.locator(f"#{last}").is_visible()
        assert tab.errors == []
    finally:
        tab.context.close()


def test_a_sharded_search_index_finds_pages_of_every_shard_and_an_edit_goes_to_the_recent_index(
        browser, demo_site, tmp_path, monkeypatch):
    """A large site's Pagefind index is split in shards (kg.publish.shards) that the page's script
    merges, with a recent index for the pages edited since; here the demo is split as a vault of
    thousands of pages would be."""
    import shutil

    from kg.build import run
    from kg.publish import shards

    monkeypatch.setattr(shards, "SHARD_FROM", 10)
    monkeypatch.setattr(shards, "SHARD_PAGES", 8)
    vault, cache = _demo_vault(demo_site, tmp_path)
    run(vault, cache_dir=cache, site_dir=vault / "site")
    site = vault / "site"
    count = json.loads((site / "pagefind-shards.json").read_text(encoding="utf-8"))["shards"]
    assert count >= 4 and all((site / f"pagefind-{i}" / "pagefind-entry.json").is_file() for i in range(1, count))
    entries = {i: (site / ("pagefind" if i == 0 else f"pagefind-{i}") / "pagefind-entry.json").stat().st_mtime_ns
               for i in range(count)}

    with serving(QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))) as url:
        tab = Tab(browser)
        try:
            page = tab.page
            for query, path in (("quality gap", "concepts/quality-gap.html"),
                                ("cascade", "sources/open-weight-cascade.html"),
                                ("Alibaba Qwen", "concepts/alibaba-qwen.html")):
                page.goto(url + "/index.html")
                page.locator("#search-box").fill("")
                page.locator("#search-box").press_sequentially(query)
                wait_for_result(page, "/" + path, within=5)
            assert tab.errors == []
        finally:
            tab.context.close()

    shard = shards.folder(site, shards.shard_of("concepts/quality-gap.html", count))

    def fragments() -> dict[str, int]:
        return {f.name: f.stat().st_ino for f in (shard / "fragment").iterdir()}

    def pages() -> int:
        entry = json.loads((shard / "pagefind-entry.json").read_text(encoding="utf-8"))
        return sum(lang["page_count"] for lang in entry["languages"].values())

    def state() -> dict:
        return json.loads((site / "pagefind-shards.json").read_text(encoding="utf-8"))

    def entry_times() -> dict[int, int]:
        return {i: (site / ("pagefind" if i == 0 else f"pagefind-{i}") / "pagefind-entry.json").stat().st_mtime_ns
                for i in range(count)}

    def search(query: str, path: str | None, expected: tuple[str, ...] = ()) -> None:
        """Search the site; `path` among the first results, or (None) the site says it found nothing.
        `expected`: what the errors of files removed for the test say."""
        with serving(QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))) as url:
            tab = Tab(browser)
            try:
                page = tab.page
                page.goto(url + "/index.html")
                page.locator("#search-box").press_sequentially(query)
                if path:
                    wait_for_result(page, "/" + path, within=5)
                else:
                    expect(page.locator("#search-results")).to_contain_text("No results")
                assert [e for e in tab.errors if not any(part in e for part in expected)] == []
            finally:
                tab.context.close()

    # an edit's page goes to the recent index; no shard is indexed again
    before = fragments()
    assert len(before) == pages()
    note = vault / "notes" / "concepts" / "quality-gap.md"
    text = note.read_text(encoding="utf-8")
    note.write_text(text + "\nA line added about zeppelin tariffs.\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site)
    assert entry_times() == entries
    assert "concepts/quality-gap.html" in state()["recent"] and state()["recent_index"]
    search("zeppelin tariffs", "concepts/quality-gap.html")  # the edit is found

    # past RECENT_MAX, the shards of the recent pages are indexed again and the recent index empties
    monkeypatch.setattr(shards, "RECENT_MAX", 0)
    note.write_text(text + "\nA line added about zeppelin tariffs.\nAnd a second line.\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site)
    again = entry_times()
    redone = [i for i in range(count) if again[i] != entries[i]]
    assert 1 <= len(redone) < count, redone  # the shards of the recent pages, not all of them
    assert shards.shard_of("concepts/quality-gap.html", count) in redone
    assert state()["recent"] == [] and not (site / shards.RECENT).exists()
    after = fragments()  # the unchanged pages' fragments are the same files, linked, not made again
    assert before.items() <= after.items() and len(after) > pages()  # (+ the edited page's old ones)

    # the shard's copy of the page says "zeppelin", the page no longer does: a search does not show it
    monkeypatch.setattr(shards, "RECENT_MAX", 100)
    note.write_text(text + "\nA line added about dirigible tariffs.\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site)
    assert state()["recent_index"] and entry_times() == again
    shutil.rmtree(site / "semantic")  # words alone: by meaning, the page is still near "zeppelin"
    search("dirigible tariffs", "concepts/quality-gap.html", expected=("404",))
    search("zeppelin", None, expected=("404",))

    monkeypatch.setattr(shards, "RECENT_MAX", 0)
    monkeypatch.setattr(shards, "STALE_SHARE", 0.0)  # past it: the shard is indexed into an empty folder
    before = fragments()
    note.write_text(note.read_text(encoding="utf-8") + "\nAnd one more line.\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site)
    assert len(fragments()) == pages() and not set(fragments().values()) & set(before.values())  # all made anew
