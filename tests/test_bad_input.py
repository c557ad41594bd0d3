"""Bad input (docs/diagnostics.md lists what each gives): each problem is reported with file and line, the rest of the vault
still builds, and no file under notes/ or sources/ changes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kg.build import build


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("notes", "sources") for p in sorted((root / folder).rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    notes, sources = root / "notes", root / "sources"
    notes.mkdir()
    sources.mkdir()
    (notes / "good.md").write_text("# Good\n\nLinks [[broken-yaml]] and [[self-loop-a]].\n", encoding="utf-8")
    (notes / "broken-yaml.md").write_text("---\ntitle: [unclosed\ntags: x\n---\n# Still here\n\nBody [[good]].\n",
                                          encoding="utf-8")
    (notes / "unclosed-front-matter.md").write_text("---\ntitle: never closed\n\nBody text.\n", encoding="utf-8")
    (notes / "list-front-matter.md").write_text("---\n- a\n- b\n---\nBody.\n", encoding="utf-8")
    (notes / "bad-date.md").write_text("---\ndate: someday\n---\nBody.\n", encoding="utf-8")
    (notes / "long-number.md").write_text("---\ntitle: Long number\nserial: 9" + "0" * 5000 + "\ntags: [x]\n---\n"
                                          "Body [[good]].\n", encoding="utf-8")
    (notes / "latin1.md").write_bytes("# Caf\xe9\n\nline two\nna\xefve [[good]]\n".encode("latin-1"))
    (notes / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (notes / "empty.md").write_bytes(b"")
    (notes / "huge.md").write_bytes(b"# Huge\n\n" + b"word " * 4_000_000)  # 20 MB
    (notes / "self-loop-a.md").write_text("Links itself [[self-loop-a]] and embeds ![[self-loop-b]].\n", encoding="utf-8")
    (notes / "self-loop-b.md").write_text("Embeds back ![[self-loop-a]].\n", encoding="utf-8")
    (notes / "embeds-itself.md").write_text("![[embeds-itself]]\n", encoding="utf-8")
    (notes / "sub").mkdir()
    (notes / "sub" / "good.md").write_text("Second note named good.\n", encoding="utf-8")
    (notes / "we(ird) name's [x] & #1 ü.md").write_text("Odd name [[good]].\n", encoding="utf-8")
    (notes / " leading space.md").write_text("Leading space.\n", encoding="utf-8")
    (notes / "crlf.md").write_bytes(b"---\r\ntitle: CRLF\r\n---\r\nLine one [[good]]\r\nLine two [[missing-crlf]]\r\n")
    (sources / "bom.txt").write_bytes("\ufeffA Title With A BOM\n\nThe text is 3–5% better.\n".encode("utf-8"))
    (sources / "binary.html").write_bytes(b"\x00\x01\x02<html>")
    # names with a byte that is not UTF-8 (a file copied from an old system): Python reads them with surrogates
    (notes / os.fsdecode(b"latin1-name-caf\xe9.md")).write_text("Links [[good]].\n", encoding="utf-8")
    (notes / os.fsdecode(b"folder\xff")).mkdir()
    (notes / os.fsdecode(b"folder\xff") / "inside.md").write_text("Inside.\n", encoding="utf-8")
    before = tree_hashes(root)
    kb = build(root)
    return root, kb, before


def diag(kb, doc, code):
    return [d for d in kb.diagnostics if d.doc == doc and d.code == code]


def test_malformed_yaml_is_an_error_with_its_line_and_the_note_still_builds(bad):
    _, kb, _ = bad
    [d] = diag(kb, "notes/broken-yaml.md", "bad-front-matter")
    assert d.severity == "error" and d.line == 2 and "YAML" in d.message
    assert kb.concept_of("notes/broken-yaml.md").title == "Still here"
    assert any(r.target_id == "good" for r in kb.rows if r.doc == "notes/broken-yaml.md")


def test_other_front_matter_problems(bad):
    _, kb, _ = bad
    assert diag(kb, "notes/unclosed-front-matter.md", "bad-front-matter")[0].line == 1
    assert "mapping" in diag(kb, "notes/list-front-matter.md", "bad-front-matter")[0].message
    [d] = diag(kb, "notes/bad-date.md", "bad-front-matter")
    assert d.line == 2 and "YYYY-MM-DD" in d.message


def test_a_number_too_long_to_read_stays_text_and_the_note_builds(bad):
    _, kb, _ = bad
    [d] = diag(kb, "notes/long-number.md", "bad-front-matter")
    assert d.severity == "warning" and d.line == 3 and "5,001 digits" in d.message
    assert kb.concept_of("notes/long-number.md").title == "Long number"
    assert kb.infos["notes/long-number.md"].tags == ["x"]
    assert any(r.target_id == "good" for r in kb.rows if r.doc == "notes/long-number.md")


def test_invalid_utf8_is_read_with_replacements_and_located(bad):
    _, kb, _ = bad
    [d] = diag(kb, "notes/latin1.md", "invalid-utf8")
    assert (d.line, d.col) == (1, 6)
    assert kb.concept_of("notes/latin1.md").title == "Caf\ufffd"
    assert any(r.target_id == "good" and r.line == 4 for r in kb.rows if r.doc == "notes/latin1.md")


def test_binary_huge_and_empty_files(bad):
    _, kb, _ = bad
    assert "binary" in diag(kb, "notes/binary.md", "unreadable-file")[0].message
    assert "binary" in diag(kb, "sources/binary.html", "unreadable-file")[0].message
    assert "MB" in diag(kb, "notes/huge.md", "unreadable-file")[0].message
    assert diag(kb, "notes/empty.md", "empty-file")
    assert "notes/empty.md" in kb.notes


def test_loops_and_self_links(bad):
    _, kb, _ = bad
    assert diag(kb, "notes/self-loop-a.md", "self-link")
    assert diag(kb, "notes/self-loop-a.md", "embed-loop") and diag(kb, "notes/self-loop-b.md", "embed-loop")
    assert diag(kb, "notes/embeds-itself.md", "embed-loop")


def test_two_notes_with_one_name(bad):
    _, kb, _ = bad
    assert diag(kb, "notes/good.md", "duplicate-name") and diag(kb, "notes/sub/good.md", "duplicate-name")
    assert {kb.concept_of("notes/good.md").id, kb.concept_of("notes/sub/good.md").id} == {"good", "sub-good"}


def test_odd_file_names_build_and_are_explained(bad):
    _, kb, _ = bad
    odd = "notes/we(ird) name's [x] & #1 ü.md"
    assert odd in kb.notes and kb.concept_of(odd).id == "we-ird-name-s-x-1-u"
    assert "'#'" in diag(kb, odd, "unlinkable-name")[0].message
    assert "notes/ leading space.md" in kb.notes


def test_names_that_are_not_utf8_are_skipped_and_explained(bad):
    _, kb, _ = bad
    [d] = diag(kb, "notes/latin1-name-caf\ufffd.md", "unreadable-file")
    assert d.severity == "error" and "not valid UTF-8" in d.message and "rename it" in d.message
    [d] = diag(kb, "notes/folder\ufffd", "unreadable-file")
    assert "with the files in it" in d.message
    assert all(p.isascii() or "\udc80" > max(p) or max(p) > "\udcff" for p in [*kb.notes, *kb.files])
    assert not [p for p in kb.notes if "inside" in p or "latin1-name" in p]
    assert "notes/good.md" in kb.notes


def test_crlf_and_bom(bad):
    _, kb, _ = bad
    assert kb.concept_of("notes/crlf.md").title == "CRLF"
    [d] = diag(kb, "notes/crlf.md", "unresolved-link")
    assert d.line == 5
    assert kb.sources["sources/bom.txt"].title == "A Title With A BOM"


def test_every_diagnostic_names_a_file_and_line(bad):
    _, kb, _ = bad
    for d in kb.diagnostics:
        assert d.doc and d.line >= 1 and d.col >= 1 and d.message


def test_nothing_the_user_wrote_changes(bad):
    root, kb, before = bad
    build(root)  # and again, from the cache
    assert tree_hashes(root) == before
    assert not (root / "notes" / ".kg").exists()
