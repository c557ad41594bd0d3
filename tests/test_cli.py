"""The kg command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

KG = [sys.executable, "-m", "kg"]


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_every_command_has_help_with_examples():
    for name, command in main.commands.items():
        assert command.help and "Examples:" in command.help, f"kg {name} has no examples in its help"
        assert run(name, "--help").exit_code == 0


def test_init_makes_a_vault_that_builds_cleanly(tmp_path):
    result = run("init", str(tmp_path / "v"))
    assert result.exit_code == 0
    assert (tmp_path / "v" / "kg.toml").is_file() and (tmp_path / "v" / "notes" / "welcome.md").is_file()
    checked = run("--vault", str(tmp_path / "v"), "check", "--json")
    assert checked.exit_code == 0
    problems = json.loads(checked.output)
    assert [p for p in problems if p["severity"] != "info"] == []
    again = run("init", str(tmp_path / "v"))
    assert again.exit_code == 2 and "already" in again.output


def test_check_prints_compiler_style_lines_and_exit_codes(vault):
    result = run("--vault", str(vault), "check")
    assert result.exit_code == 0  # warnings only
    assert "notes/pricing.md:7:21: warning: [[open-models#^no-such-block]]" in result.output
    strict = run("--vault", str(vault), "check", "--strict")
    assert strict.exit_code == 1
    (vault / "notes" / "broken.md").write_text("---\ntitle: [x\n---\n", encoding="utf-8")
    failing = run("--vault", str(vault), "check", "--severity", "error")
    assert failing.exit_code == 1
    assert failing.output.startswith("notes/broken.md:2:")


def test_check_json_shape(vault):
    problems = json.loads(run("--vault", str(vault), "check", "--json", "--code", "missing-heading").output)
    assert problems and all(set(p) == {"doc", "line", "col", "severity", "code", "message"} for p in problems)
    assert {p["code"] for p in problems} == {"missing-heading"}


def test_sources_json_shape(vault, monkeypatch):
    """`kg sources` (and the graph's source nodes) come from the cached parses as plain data."""
    from kg.knowledge import KnowledgeBase

    run("--vault", str(vault), "build")
    # the list comes from the cached parses as plain data: no source is made a model (5,183 SciFact
    # abstracts took 3 s as models, 0.7 s in all as data)
    monkeypatch.setattr(KnowledgeBase, "doc", lambda self, path: pytest.fail(f"{path} was made a model"))
    rows = json.loads(run("--vault", str(vault), "sources", "--json").output)
    assert {r["doc"] for r in rows} == {"sources/gap-article.md", "sources/web/clipped.txt", "sources/page.html"}
    for r in rows:
        assert set(r) == {"id", "doc", "title", "author", "date", "url"}
    gap = next(r for r in rows if r["id"] == "gap-article")
    assert gap["date"] == "2026-04-20" and gap["author"] == "Jane Doe"
    graph = json.loads(run("--vault", str(vault), "graph", "--format", "json").output)  # the graph's sources too
    node = next(n for n in graph["nodes"] if n["id"] == "source:gap-article")
    assert node["label"] == gap["title"] and node["date"] == "2026-04-20" and node["author"] == "Jane Doe"


def test_show_lists_links_and_backlinks_with_context(vault):
    result = run("--vault", str(vault), "show", "OWM")
    assert result.exit_code == 0
    assert "Open models" in result.output and "Backlinks" in result.output
    assert "Ada wrote about" in result.output  # the paragraph that links
    data = json.loads(run("--vault", str(vault), "show", "open models", "--json").output)
    assert data["id"] == "open-models" and data["aliases"] == ["open-weight models", "OWM"]
    assert {"id": "closed-models", "relation": "supports"}.items() <= next(
        o for o in data["outgoing"] if o["relation"] == "supports").items()
    assert any(i["doc"] == "notes/people/ada.md" for i in data["incoming"])


def test_show_unknown_name_suggests(vault):
    result = run("--vault", str(vault), "show", "Open model")
    assert result.exit_code == 1 and "did you mean" in result.output and "Open models" in result.output


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_graph_formats_load_back(vault, fmt, tmp_path):
    import networkx as nx

    out = tmp_path / f"g.{fmt}"
    assert run("--vault", str(vault), "graph", "--format", fmt, "-o", str(out)).exit_code == 0
    if fmt == "graphml":
        g = nx.read_graphml(out)
    elif fmt == "gexf":
        g = nx.read_gexf(out)
    else:
        g = nx.node_link_graph(json.loads(out.read_text(encoding="utf-8")), edges="edges")
    assert g.has_node("concept:open-models") and g.has_node("source:gap-article") and g.has_node("tag:ai/models")
    relations = {d["relation"] for _, _, d in g.edges(data=True)}
    assert {"links_to", "supports", "opposes", "source", "embeds", "tagged", "defines"} <= relations


def test_bad_config_is_one_clear_sentence(vault):
    (vault / "kg.toml").write_text("[vault\nnotes = 1\n", encoding="utf-8")
    result = run("--vault", str(vault), "check")
    assert result.exit_code == 2 and result.output.startswith("kg: error: kg.toml:")


def test_console_script_is_quiet_when_piped(vault):
    kg = Path(sys.executable).with_name("kg")
    done = subprocess.run([str(kg), "--vault", str(vault), "build"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr == ""  # no progress bar when not on a terminal
    assert "notes" in done.stdout and "\x1b[" not in done.stdout


def test_a_knowledge_store_rewritten_while_a_command_reads_it_is_one_sentence(tmp_path, monkeypatch):
    """`kg claims` after an edit analyses, then reads the evidence it kept from the store; if
    another kg process rewrote those rows meanwhile, the user reads why and what to do, not an
    internal error (kg.claims.evidence_set.StoreChanged)."""
    import shutil

    from kg.claims import delta, store
    from tests.conftest import ROOT

    vault = tmp_path / "vault"
    for name in ("notes", "sources"):
        shutil.copytree(ROOT / name, vault / name)
    shutil.copy(ROOT / "kg.toml", vault / "kg.toml")
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    assert run("--vault", str(vault), "build").exit_code in (0, 1)
    monkeypatch.setattr(delta, "patched", lambda *a, **k: None)  # the edit analyses (a patch keeps no evidence)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(  # a claim
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    monkeypatch.setattr(store, "evidence_json", lambda folder, claims: {c: "[]" for c in claims})  # rows written over
    result = run("--vault", str(vault), "claims", "--json")
    assert result.exit_code == 1
    assert "another kg build wrote it" in result.output and "internal error" not in result.output


def test_every_json_output_is_spelt_as_the_standard_library_spells_it():
    """`--json` is written by orjson (the standard library indents in Python: 10 s of a 10k vault's
    `kg claims --json`), and must read byte for byte as json.dumps(indent=2) wrote it: floats as
    Python spells them (1e-05, 2.5e-07, which orjson spells 0.00001 and 2.5e-7), text unescaped,
    dates and other objects as their str(), and what orjson cannot write (keys that are not
    strings, integers past 64 bits) by the standard library."""
    import dataclasses
    import datetime as dt
    import random

    import numpy as np

    from kg.cli import json_text

    @dataclasses.dataclass
    class Kept:
        x: int = 1

    floats = [1e-05, -2.5e-07, 9.99e-05, 1e-4, 1e16, 1.5e300, 0.1 + 0.2, 100.0, -0.0, 5e-324]
    leaves = [*floats, np.float64(3e-06), np.float32(0.25), 12, -7, 2 ** 70, True, None, "", "a\"b\\c\n\x1b é\u2028",
              "k: 1e-7", "0.00001", dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4), Kept(), (1e-6, "t"), {1: 2}]
    rng = random.Random(7)

    def value(depth: int):
        roll = rng.random()
        if depth < 3 and roll < 0.25:
            return {rng.choice(["a", "b\"q", "é", "x: 1e-7", "y\\"]) + str(i): value(depth + 1) for i in range(rng.randint(0, 4))}
        if depth < 3 and roll < 0.45:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        if roll < 0.6:
            return rng.random() * 10 ** rng.randint(-12, 20) * rng.choice([1, -1])
        return rng.choice(leaves)

    cases = [*leaves, [], {}, [[]], {"a": {}}, *(value(0) for _ in range(3000))]
    for data in cases:
        assert json_text(data) == json.dumps(data, ensure_ascii=False, indent=2, default=str), repr(data)[:200]


def test_ctrl_c_while_a_library_loads_is_an_interruption_not_an_internal_error(tmp_path, monkeypatch):
    """Ctrl+C that lands while an extension module built with pybind11 (scipy's, onnxruntime's)
    loads reaches kg as ImportError("initialization failed") raised from the KeyboardInterrupt.
    The user pressed Ctrl+C: kg says "interrupted" and exits 130, as for any other Ctrl+C. An
    ImportError of its own stays an internal error."""
    import kg.build

    def loading(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc

    def broken(*args, **kwargs):
        raise ImportError("initialization failed")

    (tmp_path / "vault").mkdir()
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(kg.build, "run", loading)
    result = run("--vault", str(tmp_path / "vault"), "build")
    assert (result.exit_code, result.output.strip()) == (130, "kg: error: interrupted")
    monkeypatch.setattr(kg.build, "run", broken)
    result = run("--vault", str(tmp_path / "vault"), "build")
    assert result.exit_code == 2 and "internal error: ImportError" in result.output
