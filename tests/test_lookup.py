"""Naming a concept or source the way a person types it (kg.lookup), on the demo vault: exact
names, the words of one name, and the closest names when a name is a typo or fits several."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import main
from kg.lookup import resolve
from tests.conftest import ROOT, copy_demo_cache

GAP = "Quality gap between open and closed models"
TAKEN = f"kg: taking 'quality gap' as {GAP} (quality-gap)"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """The demo vault read (no claims, no index): enough to resolve names."""
    return build(ROOT, cache_dir=tmp_path_factory.mktemp("lookup-cache"))


@pytest.fixture(scope="module")
def kg(demo_site, tmp_path_factory):
    """Run kg on the demo vault, on a private copy of the cache the demo_site fixture built (these
    tests read stderr exactly; a shared cache may make kg say it is waiting for another worker)."""
    cache = copy_demo_cache(demo_site, tmp_path_factory.mktemp("lookup") / "cache")
    runner = CliRunner(env={"KG_CACHE_DIR": str(cache)})

    def run(*args: str):
        return runner.invoke(main, ["--vault", str(ROOT), *args], catch_exceptions=False)

    return run


@pytest.mark.parametrize("name", [GAP, "quality gap between OPEN and closed models", "capability gap",
                                  "Open-closed quality gap", "quality-gap", "QUALITY-GAP", "quality-gap.md",
                                  "notes/concepts/quality-gap.md", "notes/concepts/quality-gap"])
def test_exact_names_are_taken_silently(kb, name):
    match = resolve(kb, name)
    assert (match.how, match.found.id, match.found.kind) == ("exact", "quality-gap", "concept")


def test_sources_by_id_title_and_file_name(kb):
    for name in ("open-weight-cascade", "The open-weight cascade: how frontier labs moved to open weights",
                 "sources/open-weight-cascade.md"):
        match = resolve(kb, name)
        assert (match.how, match.found.id, match.found.kind) == ("exact", "open-weight-cascade", "source")


@pytest.mark.parametrize(("name", "ident"), [
    ("quality gap", "quality-gap"),             # its id, without the hyphen
    ("open weight", "open-weight-models"),      # the alias open-weight, without the hyphen
    ("gap quality", "quality-gap"),             # words of the title, in any order
    ("capability", "quality-gap"),              # a word of an alias
    ("Joe", "joe-weisenthal"),                  # the first word of a title
    ("levelized cost", "levelized-cost-of-intelligence"),  # a stub: linked to, no note yet
])
def test_the_words_of_one_name_are_taken_and_said(kb, name, ident):
    match = resolve(kb, name)
    assert (match.how, match.found.id) == ("words", ident)


def test_a_typo_is_not_taken_but_suggested_first(kb):
    match = resolve(kb, "qualty gap")
    assert match.found is None and match.fits == 0
    assert match.suggestions[0].json() == {"id": "quality-gap", "title": GAP, "kind": "concept"}
    assert [s.id for s in resolve(kb, "deepsek").suggestions][:1] == ["deepseek"]
    assert [s.id for s in resolve(kb, "inference price").suggestions][:1] == ["inference-pricing"]


def test_a_word_in_several_names_lists_them_and_takes_none(kb):
    match = resolve(kb, "open")
    assert match.found is None and match.fits >= 5
    assert len(match.suggestions) == 5
    ids = [s.id for s in match.suggestions]
    assert ids[0] == "open-weight-models"  # the shortest name that starts with the word
    assert "open-vs-closed-model-economics" in ids and {s.kind for s in match.suggestions} == {"concept", "source"}
    cost = resolve(kb, "cost")  # a concept and a stub: neither is taken
    assert cost.found is None and {s.id for s in cost.suggestions} == {"inference-pricing",
                                                                       "levelized-cost-of-intelligence"}


def test_a_closer_near_miss_beats_the_words_of_another_name(kb):
    # "Open vs closed model economics" holds both words, but `open models` is an alias of another
    match = resolve(kb, "open model")
    assert match.found is None and match.suggestions[0].id == "open-weight-models"
    assert "open-vs-closed-model-economics" in [s.id for s in match.suggestions]


def test_kinds_limit_what_a_name_may_be(kb):
    assert resolve(kb, "cascade").found.id == "open-weight-cascade"
    only_concepts = resolve(kb, "cascade", ("concept",))
    assert only_concepts.found is None and all(s.kind == "concept" for s in only_concepts.suggestions)
    assert resolve(kb, "quality gap", ("source",)).found is None


def test_nothing_close_suggests_nothing(kb):
    assert resolve(kb, "zzzzqx").suggestions == []
    assert resolve(kb, "").found is None and resolve(kb, "  --  ").found is None


# -- the command line --------------------------------------------------------------------------


def test_show_exact_title_and_alias_without_notice(kg):
    for name in (GAP, "performance gap", "quality-gap"):
        result = kg("show", name, "--json")
        assert result.exit_code == 0 and result.stderr == ""
        assert json.loads(result.stdout)["id"] == "quality-gap"


def test_show_words_says_which_it_took_and_json_stays_json(kg):
    result = kg("show", "quality gap", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == TAKEN
    assert json.loads(result.stdout)["title"] == GAP  # stdout holds the JSON alone
    text = kg("show", "quality gap")
    assert text.exit_code == 0 and text.stdout.startswith(GAP) and text.stderr.strip() == TAKEN


def test_show_typo_lists_the_closest_names(kg):
    result = kg("show", "qualty gap")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "kg: error: no concept or source called 'qualty gap'; did you mean:"
    assert lines[1] == f"  {GAP} (quality-gap, concept)"


def test_show_json_error_carries_the_suggestions(kg):
    result = kg("show", "qualty gap", "--json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert set(error) == {"error", "suggestions"}
    assert error["error"] == "no concept or source called 'qualty gap'"
    assert error["suggestions"][0] == {"id": "quality-gap", "title": GAP, "kind": "concept"}
    assert all(set(s) == {"id", "title", "kind"} for s in error["suggestions"])


def test_show_ambiguous_word_lists_the_names_it_fits(kg):
    result = kg("show", "open")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("kg: error: 'open' could be any of ") and lines[0].endswith("; did you mean:")
    assert lines[1] == "  Open-weight models (open-weight-models, concept)"
    assert len(lines) == 7 and lines[6].startswith("  and ") and "more" in lines[6]
    data = json.loads(kg("show", "open", "--json").stdout)
    assert len(data["suggestions"]) == 5 and data["error"].startswith("'open' could be any of")


def test_claims_unknown_concept_is_an_error_not_an_empty_list(kg):
    result = kg("claims", "--concept", "qualty")
    assert result.exit_code == 1 and "No claims match" not in result.output
    assert result.stderr.splitlines()[:2] == ["kg: error: no concept called 'qualty'; did you mean:",
                                              f"  {GAP} (quality-gap, concept)"]
    nothing = kg("claims", "--concept", "zzzzqx", "--json")
    assert nothing.exit_code == 1 and json.loads(nothing.stdout) == {
        "error": "no concept called 'zzzzqx'", "suggestions": []}
    assert "nor anything close" in nothing.stderr


def test_claims_concept_and_source_by_words(kg):
    by_id = json.loads(kg("claims", "--concept", "quality-gap", "--json").stdout)
    result = kg("claims", "--concept", "quality gap", "--json")
    assert result.exit_code == 0 and result.stderr.strip() == TAKEN
    assert json.loads(result.stdout) == by_id and by_id
    source = kg("claims", "--source", "cascade", "--origin", "source", "--json")
    assert source.exit_code == 0 and "(open-weight-cascade, a source)" in source.stderr
    assert {c["source"] for c in json.loads(source.stdout)} == {"open-weight-cascade"}
    wrong = kg("claims", "--source", "quality gap")  # a concept is not a source
    assert wrong.exit_code == 1 and wrong.stderr.startswith("kg: error: no source called 'quality gap'")


def test_tensions_and_search_resolve_names_too(kg):
    assert kg("tensions", "--concept", "qualty").exit_code == 1
    result = kg("search", "price", "--concept", "pricing", "--mode", "lexical", "--json")
    assert result.exit_code == 0 and "(inference-pricing)" in result.stderr
    hits = json.loads(result.stdout)
    assert hits and {h["doc"] for h in hits} == {"notes/concepts/inference-pricing.md"}
    by_id = kg("search", "price", "--concept", "inference-pricing", "--mode", "lexical", "--json")
    assert by_id.stderr == "" and json.loads(by_id.stdout) == hits
    unknown = kg("search", "price", "--source", "zzzzqx", "--mode", "lexical")
    assert unknown.exit_code == 1 and "no source called 'zzzzqx'" in unknown.stderr
