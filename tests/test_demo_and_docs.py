"""The demo vault in the repository, and the documentation promises."""

from __future__ import annotations

import re

from kg.build import build
from tests.conftest import ROOT


def test_demo_vault_checks_without_errors(tmp_path):
    kb = build(ROOT, cache_dir=tmp_path / "cache")
    assert len(kb.notes) >= 12 and len(kb.sources) >= 4
    assert not [d.format() for d in kb.diagnostics if d.severity == "error"]
    # every warning is a deliberate stub: a concept with no note yet
    for d in kb.diagnostics:
        assert d.code == "unresolved-link", d.format()
    stubs = [c for c in kb.concepts.values() if c.stub]
    assert 1 <= len(stubs) <= 5
    typed = {r.relation for r in kb.rows}
    assert {"supports", "informs", "source", "embeds"} <= typed
    for source in kb.sources.values():
        assert source.title and source.sentences


def test_every_diagnostic_code_is_documented():
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", (ROOT / "docs" / "diagnostics.md").read_text(), re.M))
    emitted = set()
    for path in (ROOT / "kg").rglob("*.py"):
        emitted |= set(re.findall(r'code="([a-z0-9-]+)"', path.read_text(encoding="utf-8")))
    assert emitted and emitted <= documented, emitted - documented
