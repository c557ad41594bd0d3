"""Link resolution, as a table over the fixture vault (tests/fixtures/vault)."""

from __future__ import annotations

import pytest

from kg.build import build

# (file the link is in, line, written target) -> (target kind, target id), as Obsidian resolves it.
TABLE = [
    ("notes/open-models.md", 11, "Closed Models", ("note", "closed-models")),        # by alias, any case
    ("notes/open-models.md", 15, "sources/gap-article", ("source", "gap-article")),  # by path
    ("notes/open-models.md", 16, "people/ada", ("note", "ada")),                     # by partial path
    ("notes/open-models.md", 19, "pricing", ("note", "pricing")),                    # block link
    ("notes/open-models.md", 23, "sources/web/clipped", ("source", "web-clipped")),  # .txt source, no suffix
    ("notes/open-models.md", 39, "Missing Concept", ("missing", "missing-concept")),  # stub concept
    ("notes/open-models.md", 40, "dup", ("note", "archive-dup")),                    # tie: first by path, reported
    ("notes/open-models.md", 41, "projects/alpha/plan.md", ("note", "plan")),        # markdown link, relative
    ("notes/open-models.md", 42, "diagram.png", ("file", "notes/assets/diagram.png")),  # attachment embed
    ("notes/closed-models.md", 12, "OWM", ("note", "open-models")),                  # alias
    ("notes/closed-models.md", 12, "Open-Weight Models", ("note", "open-models")),   # alias, other case
    ("notes/people/ada.md", 7, "Unicode Ünïcode", ("note", "unicode-unicode")),      # spaces and accents
    ("notes/projects/alpha/plan.md", 3, "../../open-models", ("note", "open-models")),  # relative wikilink
    ("notes/projects/alpha/plan.md", 3, "alpha/plan", ("note", "plan")),             # path suffix
    ("notes/Unicode Ünïcode.md", 1, "loop-a", ("note", "loop-a")),                   # embed
    ("notes/open-models.md", 7, "sources/gap-article", ("source", "gap-article")),   # front matter link
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    import shutil

    from tests.conftest import FIXTURES

    dest = tmp_path_factory.mktemp("links") / "vault"
    shutil.copytree(FIXTURES / "vault", dest)
    return build(dest)


@pytest.mark.parametrize("doc,line,written,expected", TABLE, ids=[f"{r[0]}:{r[1]}:{r[2]}" for r in TABLE])
def test_resolution_table(kb, doc, line, written, expected):
    [ref] = [r for r in kb.infos[doc].refs if r.line == line and r.target == written]
    [row] = [row for row in kb.rows if row.doc == doc and row.line == line and row.col == ref.col]
    assert (row.target_kind, row.target_id) == expected


def codes_at(kb, doc):
    return sorted((d.line, d.code) for d in kb.diagnostics if d.doc == doc)


def test_problems_are_reported_where_they_are(kb):
    assert (40, "ambiguous-link") in codes_at(kb, "notes/open-models.md")
    assert (39, "unresolved-link") in codes_at(kb, "notes/open-models.md")
    assert codes_at(kb, "notes/pricing.md") == [(6, "missing-heading"), (6, "missing-heading"), (6, "self-link"),
                                                 (7, "missing-block")]
    assert (1, "duplicate-name") in codes_at(kb, "notes/archive/dup.md")
    assert (1, "embed-loop") in codes_at(kb, "notes/loop-a.md")
    assert (1, "embed-loop") in codes_at(kb, "notes/loop-b.md")
    assert (1, "unlinkable-name") in codes_at(kb, "notes/odd #name.md")


def test_unresolved_link_suggests_the_note_with_that_title(kb):
    [d] = [d for d in kb.diagnostics if d.doc == "notes/closed-models.md" and d.code == "unresolved-link"]
    assert "notes/open-models.md" in d.message and "[[open-models]]" in d.message


def test_links_inside_code_are_ignored(kb):
    targets = {r.target for r in kb.infos["notes/open-models.md"].refs}
    assert not targets & {"not-a-link", "also-not-a-link"}
    assert "not-a-tag" not in kb.concepts["open-models"].tags


def test_relation_fields_are_typed_edges(kb):
    rels = {(r.relation, r.target_id) for r in kb.rows if r.doc == "notes/open-models.md"}
    assert ("supports", "closed-models") in rels
    assert ("opposes", "pricing") in rels
    assert ("source", "gap-article") in rels


def test_stub_concepts_for_missing_targets(kb):
    stub = kb.concepts["missing-concept"]
    assert stub.stub and stub.title == "Missing Concept"
    assert not kb.concepts["open-models"].stub


def test_backlinks_carry_the_paragraph_that_links(kb):
    back = [lk for lk in kb.backlinks("open-models") if lk.doc == "notes/people/ada.md"]
    assert back and kb.context(back[0]).startswith("Ada wrote about open-models")


def test_who_links_a_note_is_read_from_the_cached_rows_as_the_decoded_links_say(tmp_path):
    """`KnowledgeBase.linking` reads who links each concept or source off two columns of the
    cached rows, without decoding the links; `backlinks` and `outlinks` then decode only those
    files'. On a rebuild (every file's links from the cache), they say what the decoded links
    say, also for targets and labels that hold quotes, brackets or a column's own key."""
    import shutil

    from tests.conftest import FIXTURES

    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", vault)
    (vault / "notes" / "assets" / 'say "hi", "target_doc":.png').write_bytes(b"\x89PNG")
    (vault / "notes" / "odd.md").write_text(
        '# Odd\n\n[[open-models|a "quoted" ], label]] and [[Closed Models|"target_kind":]],\n'
        'and [[A "missing" one]] and ![[say "hi", "target_doc":.png]].\n', encoding="utf-8")
    build(vault)
    kb = build(vault)  # (read again: every file's links are the cache's text)
    assert kb.resolved and all(isinstance(rows, str) for rows in kb.resolved.values())
    linking = kb.linking
    idents = {r.target_id for r in kb.rows_of(sorted(kb.resolved)) if r.target_kind != "file"}
    backlinks = {i: kb.backlinks(i) for i in idents}
    outlinks = {d: kb.outlinks(d) for d in kb.resolved}
    assert "rows" not in kb.__dict__  # (none of these decoded every link)
    every = kb.rows
    assert {i: [r.doc for r in every if r.target_id == i and r.target_kind != "file"] for i in idents} == linking
    assert backlinks == {i: [r for r in every if r.target_id == i and r.target_kind != "file"] for i in idents}
    assert outlinks == {d: [r for r in every if r.doc == d] for d in kb.resolved}
    odd = {(r.target_kind, r.target_id) for r in outlinks["notes/odd.md"]}
    assert odd == {("note", "open-models"), ("note", "closed-models"), ("missing", "a-missing-one"),
                   ("file", 'notes/assets/say "hi", "target_doc":.png')}
    assert all("notes/odd.md" in linking[i] for k, i in odd if k != "file")


def test_each_note_s_concept_is_the_model_pydantic_would_make(kb):
    """The read makes a concept per note without pydantic's per-field work (kg.model.constructed):
    each must equal the model `model_construct` makes of the same fields, every field included."""
    from kg.model import Concept

    notes = [c for c in kb.concepts.values() if c.doc]
    assert notes
    for c in notes:
        again = Concept.model_construct(**{name: getattr(c, name) for name in Concept.model_fields})
        assert c == again and c.model_dump() == again.model_dump() and c.model_fields_set == set(Concept.model_fields)


def test_a_very_long_link_target_is_cut_short_in_its_message(tmp_path):
    """A pasted blob of text in [[...]] or (...) is named in its message by its first characters:
    the whole target made one line of `kg check` tens of thousands of characters long."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "pasted.md").write_text(f"# Pasted\n\n[[{'x' * 5000}]] and [y]({'z' * 5000}.md)\n",
                                                 encoding="utf-8")
    kb = build(tmp_path)
    found = [d for d in kb.diagnostics if d.code == "unresolved-link"]
    assert len(found) == 2
    for d in found:
        assert len(d.message) < 400 and "…" in d.message and "points at nothing" in d.message
