"""Quantity parsing: every form of docs/knowledge.md (Quantities) from a table of cases, bounds kept, never averaged;
units compared with pint (`measure`); the traps (versions, names, enumerations) left out; the
development set of bench/quantities_dev.py scored; and a hostile input parsed in linear time."""

from __future__ import annotations

import time

import pytest
import yaml

from kg.claims.quantities import describe, find_numbers, find_quantities, parse_words
from kg.claims.units import UNITS, measure
from kg.model import Quantity
from tests.conftest import CORPORA, ROOT

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


def _same(q, want: dict) -> bool:
    """A found quantity is an expected one when its bounds and unit agree."""
    def close(a, b):
        return a is None if b is None else a is not None and a == pytest.approx(b)
    return close(q.low, want.get("low", q.low)) and close(q.high, want.get("high", q.high)) \
        and q.unit == want.get("unit", q.unit)


def test_case_table_precision_and_recall():
    """The whole table scored as a set of quantities: each expected one found (recall), nothing
    found that is not expected (precision)."""
    tp = fp = fn = 0
    for case in CASES:
        found = find_quantities(case["text"])
        unmatched = list(found)
        for want in case["expect"]:
            hit = next((q for q in unmatched if _same(q, want)), None)
            if hit is None:
                fn += 1
            else:
                unmatched.remove(hit)
                tp += 1
        fp += len(unmatched)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_number_words():
    assert parse_words("twenty-two") == 22
    assert parse_words("three thousand nine hundred and sixty five") == 3965
    assert parse_words("a hundred and two") == 102
    assert parse_words("a half") == 0.5
    assert parse_words("five and a half million") == 5_500_000
    assert parse_words("two hundred point zero three") == pytest.approx(200.03)
    assert parse_words("several") is None


def test_find_numbers_reads_every_number_but_names_and_units():
    values = [q.low for q in find_numbers("Llama 2 has 7 versions; GPT-5 runs 180ml, 1,234 and one over three.")]
    assert values == [2, 7, 1234, pytest.approx(1 / 3)]


def test_offsets_point_into_the_text():
    text = "Open models are ~3–5% behind, at $3.48/M tokens, 415 ppm, 8- to 16-meter, 2 1/2 in."
    for q in find_quantities(text):
        assert text[q.start:q.end] == q.text


# -- measure: one key and one unit per dimension -------------------------------------------------
def _measured(text: str):
    [q] = find_quantities(text)
    return measure(q)


def test_measure_compares_durations_across_units():
    key, low, high = _measured("it took 40 minutes")
    other, hour_low, hour_high = _measured("more than 1 hour")
    assert key == other == "[time]"
    assert (low, high) == (2400, 2400) and hour_low == 3600 and hour_high is None
    assert high < hour_low


def test_measure_equal_masses_in_different_units():
    assert _measured("3.2 Gt") == pytest.approx(_measured("3,200 Mt"))
    assert _measured("3.2 Gt")[0] == "[mass]"
    key, feet, _ = _measured("26 ft")
    assert key == _measured("8 m")[0] == "[length]" and feet == pytest.approx(7.9248)


def test_measure_concentrations_and_temperatures():
    assert _measured("415 ppm") == ("[concentration]", pytest.approx(415e-6), pytest.approx(415e-6))
    assert _measured("1,900 ppb")[1] < _measured("2 ppm")[1]
    assert _measured("0.8 °C") == ("[temperature]", pytest.approx(0.8), pytest.approx(0.8))
    assert _measured("212 °F")[1] == pytest.approx(100) and _measured("373.15 K")[1] == pytest.approx(100)


def test_measure_keys_of_the_other_kinds():
    assert _measured("$3.48/M tokens") == ("USD/M tokens", 3.48, 3.48)
    assert _measured("$0.003/K tokens") == ("USD/M tokens", pytest.approx(3), pytest.approx(3))
    assert _measured("a $10B round")[0] == "USD" != _measured("€5")[0]
    assert _measured("~3–5%") == ("%", 3, 5)
    assert _measured("two thirds of them") == ("%", pytest.approx(66.67, rel=1e-3), pytest.approx(66.67, rel=1e-3))
    assert _measured("a 50x gap") == ("x", 50, 50)
    assert _measured("9 million downloads") == ("download", 9e6, 9e6)
    assert _measured("700M MAU") == ("MAU", 7e8, 7e8)
    assert _measured("6 of 8 major families") == ("share of families", 0.75, 0.75)
    assert _measured("200B models") == ("parameter", 2e11, 2e11)
    assert _measured("4 GB")[0] == _measured("the 16-bit chip")[0] == "[information]"
    assert measure(find_quantities("April 2026")[0]) is None
    assert measure(find_quantities("a score of 2.5")[0]) is None


def test_every_unit_is_known_to_pint():
    for display, unit in UNITS.items():
        q = Quantity(text=f"1 {display}", low=1, high=1, unit=display, kind=unit.kind, start=0, end=0)
        assert measure(q) is not None, display


def test_badges_show_the_units():
    assert [describe(q) for q in find_quantities("415 ppm, 0.8 °C and 8- to 16-meter waves")] == \
        ["415 ppm", "0.8 °C", "8–16 m"]
    assert describe(find_quantities("above 10^25 FLOPs")[0]) == "≥ 1e25 FLOPs"


# -- cost and the development set -----------------------------------------------------------------
def test_hostile_input_is_parsed_in_linear_time():
    text = "1 % " * 25000
    started = time.process_time()
    found = find_quantities(text)
    assert len(found) == 25000
    assert time.process_time() - started < 2.0


def test_development_set_precision_and_recall():
    """bench/quantities_dev.py on the Recognizers-Text specification: each of its five files at
    precision and recall of 0.9 or more (how each is matched: the bench's docstring)."""
    if not (CORPORA / "quantities-dev").is_dir():
        pytest.skip("../shared/corpora/quantities-dev is not beside the repository")
    from bench.quantities_dev import FILES, score

    for case in FILES:
        s = score(case)
        assert s.precision >= 0.9 and s.recall >= 0.9, (case, s.precision, s.recall)


def test_a_badge_for_a_share_without_a_count_reads_as_written():
    # SciFact's "one in five" is a share with no count: its badge once stopped a whole site build
    from kg.claims.quantities import describe
    from kg.model import Quantity

    assert describe(Quantity(text="one in five", kind="count", unit="", low=None, high=None, total=5)) == "one in five"
    assert describe(Quantity(text="6 of 8", kind="count", unit="families", low=6, high=6, total=8)) == "6 of 8 families"


def test_units_are_converted_from_answers_kept_on_disk_and_a_broken_answer_is_asked_again(tmp_path):
    """A build loads pint (about half a second) only for a unit no earlier build asked about;
    what the kept answers say is what pint says, and an answer that is not one is asked again."""
    import json
    import os
    import subprocess
    import sys

    script = ("import sys, json\nfrom kg.claims.quantities import find_quantities\nfrom kg.claims.units import measure\n"
              "print(json.dumps([[measure(q) for q in find_quantities(t)] for t in sys.argv[1:]]))\n"
              "print('pint' in sys.modules)")
    texts = ["26 ft", "212 °F", "3.2 Gt per year", "4 GB/s", "40 minutes"]
    env = {**os.environ, "KG_MODEL_CACHE": str(tmp_path)}

    def run() -> tuple[list, bool]:
        done = subprocess.run([sys.executable, "-c", script, *texts], capture_output=True, text=True, env=env,
                              cwd=ROOT, check=True)
        found, loaded = done.stdout.splitlines()
        return json.loads(found), loaded == "True"

    first, loaded = run()
    assert loaded  # nothing kept yet: pint answers
    [kept] = tmp_path.glob("units-pint-*.json")
    second, loaded = run()
    assert second == first and not loaded
    assert first[0][0] == ["[length]", pytest.approx(7.9248), pytest.approx(7.9248)]
    assert first[1][0][1] == pytest.approx(100)
    answers = json.loads(kept.read_text(encoding="utf-8"))
    answers["ft"] = ["[length]", "not a number", 0]
    kept.write_text(json.dumps(answers), encoding="utf-8")
    third, loaded = run()
    assert third == first and loaded
    assert json.loads(kept.read_text(encoding="utf-8"))["ft"] == answers["ft"][:1] + [pytest.approx(0.3048), 0.0]
