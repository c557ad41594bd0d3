"""Quantity parsing: every form of DESIGN §5 from a table of cases, bounds kept, never averaged."""

from __future__ import annotations

import pytest
import yaml

from kg.claims.quantities import find_quantities, parse_words
from tests.conftest import ROOT

CASES = yaml.safe_load((ROOT / "tests" / "cases" / "quantities.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_quantity_forms(case):
    found = find_quantities(case["text"])
    assert len(found) == len(case["expect"]), [q.text for q in found]
    for q, want in zip(found, case["expect"]):
        for key, value in want.items():
            got = getattr(q, key)
            if isinstance(value, float | int) and not isinstance(value, bool) and got is not None:
                assert got == pytest.approx(value), (key, q)
            else:
                assert got == value, (key, q)


def test_number_words():
    assert parse_words("twenty-two") == 22
    assert parse_words("three thousand nine hundred and sixty five") == 3965
    assert parse_words("a half") == 0.5
    assert parse_words("several") is None


def test_offsets_point_into_the_text():
    text = "Open models are ~3–5% behind, at $3.48/M tokens."
    for q in find_quantities(text):
        assert text[q.start:q.end] == q.text
