"""Every syntax rule, checked against the cases in tests/cases/syntax.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kg.config import SectionSettings
from kg.parse import markdown

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "syntax.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_syntax_case(case):
    parts = markdown.parse("note.md", case["md"], SectionSettings())
    if "links" in case:
        got = [[r.target, r.heading, r.block, r.label, r.embed, r.relation, r.line] for r in parts.links]
        assert got == case["links"]
    if "tags" in case:
        assert [[t.name, t.line] for t in parts.tags] == case["tags"]
    if "fields" in case:
        assert [[f.key, f.value, f.line] for f in parts.fields] == case["fields"]
    if "block_ids" in case:
        got = [[b.text.split(" ^")[0].strip(), b.block_id] for b in parts.blocks if b.block_id]
        assert [[t.split(" ^")[0], i] for t, i in got] == [[t, i] for t, i in case["block_ids"]]


def test_link_columns_point_at_the_link():
    text = "Intro line\nsome words then [[Target note]] here"
    parts = markdown.parse("n.md", text, SectionSettings())
    link = parts.links[0]
    assert (link.line, link.col) == (2, text.split("\n")[1].index("[[") + 1)


def test_sections_get_roles_from_headings():
    text = "# T\n\n## Key insights\n\n### Detail\n\n## Contradictions / tensions\n\n## Open questions\n\n## See also\n"
    parts = markdown.parse("n.md", text, SectionSettings())
    roles = [(s.heading, s.role) for s in parts.sections]
    assert roles == [("", "claims"), ("T", "claims"), ("Key insights", "claims"), ("Detail", "claims"),
                     ("Contradictions / tensions", "tensions"), ("Open questions", "questions"),
                     ("See also", "related")]


def test_section_roles_follow_settings():
    custom = SectionSettings(questions=["puzzles"])
    parts = markdown.parse("n.md", "## Puzzles\n\n- why?\n", custom)
    assert parts.sections[-1].role == "questions"


def test_block_text_is_what_a_reader_sees():
    parts = markdown.parse("n.md", "A **bold** [[target|label]] and [link](x.md) with `code`.", SectionSettings())
    assert parts.blocks[0].text == "A bold label and link with code."
