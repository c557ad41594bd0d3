"""Claims from notes and sources: kinds, ids, quantities, mentions, declared citations."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kg.build import run
from kg.claims.extract import claim_id
from kg.cli import main
from tests.conftest import ROOT


def _demo_claims():
    return run(ROOT, search=False, site=False).claims


def test_seed_claims_carry_their_quantities(seed_vault):
    claims = run(seed_vault, search=False, site=False).claims
    gap = [c for c in claims if c.doc.startswith("sources/003") and any(
        q.low == 3 and q.high == 5 and q.unit == "%" for q in c.quantities)]
    assert gap, "the ~3–5% claim of seed 003"
    families = [q for c in claims if c.doc.startswith("sources/002") for q in c.quantities if q.total == 8]
    assert families and families[0].low == 6 and families[0].kind == "count"
    assert all(c.origin == "source" and c.anchor and c.source for c in claims)


def test_chrome_and_questions_are_not_claims(seed_vault):
    texts = [c.text for c in run(seed_vault, search=False, site=False).claims]
    assert not any(t.endswith("?") for t in texts)
    assert not any("Skip to main content" in t or t.startswith("Share") for t in texts)


def test_note_claims_by_section_role():
    claims = [c for c in _demo_claims() if c.doc == "notes/concepts/quality-gap.md"]
    by_id = {c.id: c for c in claims}
    gap = by_id["gap-3-5"]  # an explicit block id is the claim's id
    assert gap.kind == "claim" and gap.concept == "quality-gap" and gap.line == 16
    assert [(q.low, q.high, q.unit) for q in gap.quantities] == [(3, 5, "%")]
    assert "andrew-feldman" in gap.concepts
    kinds = {c.kind for c in claims}
    assert kinds == {"claim", "question", "tension"}
    assert all(c.text.endswith("?") for c in claims if c.kind == "question")
    assert not any("model-routing" == c.text or c.text.startswith("informs::") for c in claims)  # fields
    cited = [c for c in claims if c.cites]
    assert any("open-weight-cascade" in c.cites for c in cited)


def test_claim_ids_are_stable_across_edits_elsewhere():
    assert claim_id("Open models trail by 3–5%.") == claim_id("open models  trail by 3–5%.")
    assert claim_id("x", "my-block") == "my-block"


def test_cli_claims_json_and_filters():
    runner = CliRunner()
    result = runner.invoke(main, ["--vault", str(ROOT), "claims", "--has-quantity", "percent", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and all(any(q["kind"] == "percent" for q in r["quantities"]) for r in rows)
    assert set(rows[0]) >= {"id", "text", "kind", "doc", "line", "quantities", "concepts"}
    questions = json.loads(runner.invoke(main, ["--vault", str(ROOT), "claims", "--kind", "question",
                                                "--json"]).output)
    assert questions and all(r["kind"] == "question" for r in questions)
    about = json.loads(runner.invoke(main, ["--vault", str(ROOT), "claims", "--concept", "Quality gap between open "
                                            "and closed models", "--json"]).output)
    assert any(r["id"] == "gap-3-5" for r in about)
    text = runner.invoke(main, ["--vault", str(ROOT), "claims", "--concept", "quality-gap"]).output
    assert "notes/concepts/quality-gap.md:16" in text and "~3–5 %" in text


def test_what_is_not_a_claim_in_the_demo():
    claims = [c for c in _demo_claims() if c.origin == "note"]
    texts = [c.text for c in claims]
    assert "Quality gap between open and closed models" not in texts  # an embed line
    assert not any("::" in t for t in texts)  # inline fields
    assert not any("Closed-source convergence: frontier labs abandon open weights" in t for t in texts)
    cited = next(c for c in claims if c.text.startswith("Trainium's 50% cost advantage"))
    assert cited.text.endswith("(Closed-source convergence).") and cited.cites
    assert any(t.endswith("(Falcioni 2026).") for t in texts)  # author and year of a dated source


def test_a_cited_title_lends_the_claim_no_number(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "sleep.md").write_text("---\ntitle: \"Sleep study: 6 hours a night is too little\"\n---\n"
                                                   "Adults need more sleep than they get.\n", encoding="utf-8")
    (tmp_path / "notes" / "sleep.md").write_text(
        "---\ntitle: Sleep\n---\n# Sleep\n\nSee also [[sources/sleep]]\n\n"
        "## Notes\n\nMost adults sleep too little ([[sources/sleep]]).\n\n![[sources/sleep]]\n",
        encoding="utf-8")
    claims = [c for c in run(tmp_path, search=False, site=False).claims if c.origin == "note"]
    assert [c.text for c in claims] == ["Most adults sleep too little (Sleep study)."]
    assert claims[0].quantities == [] and claims[0].cites


def test_page_furniture_of_a_clipped_source_is_no_claim(seed_note_vault):
    texts = [c.text for c in run(seed_note_vault, search=False, site=False).claims]
    assert not any("High Impact" in t or "min read" in t or "📅" in t for t in texts)
    note = [c.text for c in run(seed_note_vault, search=False, site=False).claims if c.origin == "note"]
    assert "Open vs closed source model economics" not in note and "brain/" not in note


def test_candidate_pairs_are_each_near_pair_of_two_files_once():
    """The tension search's candidates, on real sentences and the real model: every pair of claims
    of two files among each other's nearest (cosine at least MIN_COSINE), once, lower row first,
    with its cosine; never two claims of one file. Checked against a plain exact scan."""
    import numpy as np

    from kg.claims.tensions import MIN_COSINE, NEIGHBOURS, Pool, candidate_pairs, candidates
    from kg.model import Claim
    from kg.search.embed import shared_embedder
    from tests.test_model_export import seed_sentences

    base = [t for t in seed_sentences(150) if len(t.split()) >= 5][:60]
    texts = base + [f"As reported, {t[0].lower()}{t[1:]}" for t in base[::2]]  # near twins, often in one file
    claims = [Claim(id=f"c-{i}", text=t, doc=f"notes/n{i % 7}.md", line=1, origin="note") for i, t in enumerate(texts)]
    vectors = shared_embedder().embed(texts)
    n = len(texts)
    pool = Pool(claims, vectors, [{}] * n, [None] * n, [{}] * n, [[]] * n)
    first, second, cosines = candidate_pairs(pool)
    sims = vectors @ vectors.T
    expected = set()
    for i in range(n):
        for j in np.argsort(-sims[i])[:NEIGHBOURS + 1].tolist():
            if j != i and sims[i, j] >= MIN_COSINE and claims[i].doc != claims[j].doc:
                expected.add((min(i, j), max(i, j)))
    found = list(zip(first.tolist(), second.tolist()))
    assert len(expected) >= 10
    assert len(found) == len(set(found)) and set(found) == expected
    assert all(i < j for i, j in found)
    assert np.allclose(cosines, sims[first, second], atol=1e-5)
    listed = candidates(pool)
    assert [(i, j) for i, j, _, _ in listed[:len(found)]] == found
    assert all(shared is None for *_, shared in listed[:len(found)])  # looked up when judged


def test_an_acronym_alias_names_its_concept_only_in_capitals(tmp_path):
    """`MAP` (mean average precision) is named by "MAP", not by every map; an alias in capitals that
    is also a common word (`THE`) is named by no ordinary sentence. Other names match in any case."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mean-average-precision.md").write_text(
        "---\ntitle: Mean average precision\naliases: [MAP, THE]\n---\n# Mean average precision\n\n"
        "A ranking metric.\n", encoding="utf-8")
    (notes / "routing.md").write_text(
        "---\ntitle: Routing\naliases: [model routing]\n---\n# Routing\n\n"
        "- The reranker lifted MAP from 0.41 to 0.47 on the test set.\n"
        "- We drew a map of the route in 2024 and it took 3 weeks.\n"
        "- Mean Average Precision fell by 2% when Model Routing was off.\n", encoding="utf-8")
    done = run(tmp_path, site=False, search=False)
    named = {c.text.split()[1]: c.concepts for c in done.claims if c.doc == "notes/routing.md"}
    assert named["reranker"] == ["mean-average-precision"]
    assert "mean-average-precision" not in named["drew"]
    assert named["Average"] == ["mean-average-precision"]  # the title, written otherwise, still names it


def test_a_few_texts_find_the_mentions_the_automata_find(monkeypatch):
    """Mentions reads an edit's few texts by looking up each span between word edges, and builds its
    automata for more: both ways find the same names, on the demo vault's files and on names that
    start or end with punctuation, acronyms beside a lowercased name, and a letter whose lower case
    is two characters."""
    from kg.build import build
    from kg.claims import extract
    from kg.claims.extract import Mentions
    from kg.model import Concept

    kb = build(ROOT)
    made = [Concept(id=f"x{n}", title=title, aliases=aliases) for n, (title, aliases) in enumerate([
        ("GPT-4", ["gpt 4o"]), ("MAP", []), ("map reduce", ["Map-Reduce"]), (".NET", ["C++"]),
        ("Qwen 3.5", []), ("naïve Bayes", []), ("İstanbul", []), ("open-weight models", ["AI"]),
        ("a_b", []), ("3-5%", [])])]
    texts = [block.text for path in kb.infos for block in kb.doc(path).blocks] + [
        "MAP and map: the MAP of GPT-4 (gpt 4o) beat .NET and C++ on Map-Reduce, map reduce;",
        "naïve Bayes, Qwen 3.5, open-weight models, AI, a_b but not xa_b or a_bx, 3-5%.",
        "İstanbul's İ lowers to two characters, which moves what follows: 3-5% of AI", "", "...", "MAP"]
    concepts = [*kb.concepts.values(), *made]
    by_default = Mentions(concepts)
    found = [by_default.find(t) for t in texts]
    assert by_default._automata, "the demo's 70k characters are more than 67 names are worth looking up"
    monkeypatch.setattr(extract, "LOOKUPS_PER_NAME", 10**6)
    looked = Mentions(concepts)
    assert [looked.find(t) for t in texts] == found
    assert looked.looked > 100_000 and looked._automata is None, "the texts were read by lookups"
    names = [[texts[-6][a:b] for a, b, _ in found[-6]], [texts[-5][a:b] for a, b, _ in found[-5]]]
    assert names == [["MAP", "MAP", "GPT-4", "gpt 4o", ".NET", "C++", "Map-Reduce", "map reduce"],  # `map`: no acronym
                     ["naïve Bayes", "Qwen 3.5", "open-weight models", "a_b", "3-5%"]]  # `AI`: too short
