"""Source documents: the five seeds load with their metadata and without page chrome."""

from __future__ import annotations

import pytest

from kg.build import build
from kg.parse.clean import clean, find_date
from kg.parse.sources import parse_source
from kg.config import SectionSettings
from tests.conftest import SEEDS

CHROME = ["Skip to main content", "Share", "min read", "Reading: 10 min", "Pipeline Active", "Back to Insights",
          "AI rewrite", "Read it as", "Summarized with Claude", "Created with", "Next article",
          "conceptartificial-intelligence", "Last: 15:00 UTC"]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside the repository")
    root = tmp_path_factory.mktemp("seeds")
    (root / "sources").mkdir()
    (root / "kg.toml").write_text("[vault]\nfollow_outside_links = true\n", encoding="utf-8")
    for seed in sorted(SEEDS.glob("*.txt")):
        (root / "sources" / seed.name).symlink_to(seed)
    kb = build(root)
    return {path.split("/")[-1][:3]: kb.sources[path] for path in kb.sources}


def test_all_five_seeds_load(seeds):
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    for source in seeds.values():
        assert len(source.sentences) > 20
        assert not [d for d in source.diagnostics if d.severity == "error"]


def test_seed_metadata(seeds):
    assert seeds["004"].author == "Germán Falcioni"
    assert seeds["004"].date.isoformat() == "2026-04-20"
    assert seeds["004"].title == "Open vs closed models — the battle that shapes the future"
    assert seeds["000"].date.isoformat() == "2026-04-05"
    assert seeds["000"].title == "Closed-Source Convergence: Frontier Labs Abandon Open Weights"
    assert seeds["003"].title == "Open vs closed source model economics"
    assert seeds["001"].date is None and seeds["002"].date is None  # they state none


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_no_chrome_in_the_text(seeds, seed):
    text = "\n".join(b.text for b in seeds[seed].blocks)
    for chrome in CHROME:
        assert chrome not in text, f"{chrome!r} left in seed {seed}"
    assert "Germán Falcioni April 20, 2026" not in text  # the byline became metadata


def test_repeated_takeaways_count_once(seeds):
    text = [b.text for b in seeds["000"].blocks]
    mythos = [t for t in text if t.startswith("Anthropic's Mythos 5 (10T parameters, $10B training cost)")]
    assert len(mythos) == 1
    assert seeds["000"].removed >= 5


def test_sentences_keep_their_figures_and_lines(seeds):
    s = [x for x in seeds["001"].sentences if "10–13x less per output token" in x.text]
    assert len(s) == 1 and "($3.48/M vs. $25–30/M)" in s[0].text
    raw = (SEEDS / "001_9feba166aeb97373.txt").read_text(encoding="utf-8").split("\n")
    assert "10–13x less per output token" in raw[s[0].line - 1]


def test_sentence_anchors_are_stable_and_unique(seeds):
    for source in seeds.values():
        anchors = [s.anchor for s in source.sentences]
        assert len(anchors) == len(set(anchors))
    again = parse_source("x.txt", "h", (SEEDS / "000_947be1c9650d1e6f.txt").read_text(encoding="utf-8"),
                         SectionSettings())
    assert [s.anchor for s in again.sentences] == [s.anchor for s in seeds["000"].sentences]


def test_anchor_survives_whitespace_changes():
    a = parse_source("a.txt", "h", "Title Line Here\n\nOpen models trail by 3–5%. Second one.", SectionSettings())
    b = parse_source("a.txt", "h", "Title Line Here\n\nOpen  models trail by 3–5%.   Second one.\n", SectionSettings())
    assert [s.anchor for s in a.sentences] == [s.anchor for s in b.sentences]


def test_takeaway_and_tension_sections_in_seed_003(seeds):
    roles = {s.heading: s.role for s in seeds["003"].sections}
    assert roles["Contradictions / tensions"] == "tensions"
    assert roles["Open questions"] == "questions"


@pytest.mark.parametrize("text,expected", [
    ("7 min readApr 5, 2026", "2026-04-05"),
    ("Published April 20, 2026 by X", "2026-04-20"),
    ("5 April 2026", "2026-04-05"),
    ("updated 2026-03-02", "2026-03-02"),
    ("January 2025: no day given", None),
])
def test_find_date(text, expected):
    found = find_date(text)
    assert (found.isoformat() if found else None) == expected


def test_markdown_and_html_sources(vault):
    kb = build(vault)
    md = kb.sources["sources/gap-article.md"]
    assert (md.title, md.author, md.date.isoformat(), md.publisher) == (
        "The gap article", "Jane Doe", "2026-04-20", "Example Press")
    assert any("U.S. labs (e.g. Anthropic)" in s.text for s in md.sentences)
    html = kb.sources["sources/page.html"]
    assert html.title == "Hosted Inference Prices Fall" and html.author == "Sam Writer"
    text = " ".join(s.text for s in html.sentences)
    assert "$0.50 per million tokens" in text and "Subscribe" not in text and "Copyright" not in text
    clipped = kb.sources["sources/web/clipped.txt"]
    assert clipped.author == "Jane Roe" and clipped.title == "Pricing Gaps Between Labs Keep Widening"
    assert sum("50x between DeepSeek and Opus" in s.text for s in clipped.sentences) == 1


def test_hard_wrapped_text_joins_into_paragraphs():
    found = clean("A Title For This Text\n\nThis sentence is wrapped\nacross two lines. Next one.\n")
    assert [ln.text for ln in found.lines] == ["This sentence is wrapped\nacross two lines. Next one."]
