"""The .kg/ cache: nothing changed parses nothing, one edit parses one file, a broken cache heals."""

from __future__ import annotations

import os

import pytest

from kg.build import build


def test_rerun_parses_nothing_and_one_edit_parses_one(vault):
    first = build(vault)
    assert first.stats["parsed"] == first.stats["cached"] + first.stats["parsed"] > 0
    again = build(vault)
    assert again.stats["parsed"] == 0
    assert [d.format() for d in again.diagnostics] == [d.format() for d in first.diagnostics]
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nNow links [[Missing Concept]].\n", encoding="utf-8")
    edited = build(vault)
    assert edited.stats["parsed"] == 1 and edited.stats["gone"] == 0
    assert any(r.doc == "notes/pricing.md" and r.target_id == "missing-concept" for r in edited.rows)
    (vault / "notes" / "loop-a.md").unlink()  # a deleted note is a change too, though nothing is parsed
    deleted = build(vault)
    assert deleted.stats["parsed"] == 0 and deleted.stats["gone"] == 1 and "notes/loop-a.md" not in deleted.infos


def test_the_links_are_counted_from_the_cache_as_decoding_them_counts_them(vault):
    build(vault)
    again = build(vault)  # every file's links still the cached JSON
    counted = again.link_count
    assert "rows" not in again.__dict__
    assert counted == len(again.rows) > 10
    assert again.link_count == counted


def test_touching_without_changing_parses_nothing(vault):
    build(vault)
    note = vault / "notes" / "pricing.md"
    os.utime(note, ns=(1, 1))
    assert build(vault).stats["parsed"] == 0


def test_deleted_file_leaves_the_vault(vault):
    build(vault)
    (vault / "notes" / "pricing.md").unlink()
    kb = build(vault)
    assert "notes/pricing.md" not in kb.notes and kb.concepts["pricing"].stub


def test_full_documents_load_from_the_cache(vault):
    fresh = build(vault)
    cached = build(vault)
    assert cached.notes["notes/open-models.md"] == fresh.notes["notes/open-models.md"]


def test_corrupt_cache_is_rebuilt(vault):
    build(vault)
    (vault / ".kg" / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    for extra in ("-wal", "-shm"):
        (vault / ".kg" / f"cache.sqlite{extra}").unlink(missing_ok=True)
    kb = build(vault)
    assert kb.stats["parsed"] == len(kb.notes) + len(kb.sources)


def test_deleting_the_cache_is_safe(vault):
    import shutil

    first = build(vault)
    shutil.rmtree(vault / ".kg")
    second = build(vault)
    assert sorted(second.concepts) == sorted(first.concepts)


def test_changed_section_settings_drop_the_cache(vault):
    build(vault)
    (vault / "kg.toml").write_text('[sections]\nquestions = ["insights"]\n', encoding="utf-8")
    kb = build(vault)
    assert kb.stats["parsed"] == len(kb.notes) + len(kb.sources)
    roles = {s.heading: s.role for s in kb.notes["notes/open-models.md"].sections}
    assert roles["Key insights"] == "questions"


def test_renaming_a_heading_updates_links_to_it_in_other_files(vault, monkeypatch):
    from kg.links import Resolver

    build(vault)
    target = vault / "notes" / "closed-models.md"
    target.write_text(target.read_text(encoding="utf-8").replace("## Pricing gap", "## Price gap"), encoding="utf-8")
    resolving: set[str] = set()
    resolve = Resolver.resolve
    monkeypatch.setattr(Resolver, "resolve", lambda self, doc, ref: resolving.add(doc.path) or resolve(self, doc, ref))
    kb = build(vault)
    assert kb.stats["parsed"] == 1
    missing = [d for d in kb.diagnostics if d.code == "missing-heading" and d.doc == "notes/open-models.md"]
    assert missing and "Pricing gap" in missing[0].message
    # a heading is no name links resolve by: the files linking into closed-models' headings are
    # checked again, the others keep the links they had
    assert resolving == {"notes/closed-models.md", "notes/open-models.md", "notes/pricing.md"}
    target.write_text(target.read_text(encoding="utf-8").replace("## Price gap", "## Pricing gap"), encoding="utf-8")
    assert not [d for d in build(vault).diagnostics if d.code == "missing-heading" and d.doc == "notes/open-models.md"]


def test_a_new_note_resolves_links_that_were_stubs(vault):
    assert build(vault).concepts["missing-concept"].stub
    (vault / "notes" / "Missing Concept.md").write_text("Now written.\n", encoding="utf-8")
    kb = build(vault)
    assert not kb.concepts["missing-concept"].stub
    assert not [d for d in kb.diagnostics if d.code == "unresolved-link" and "Missing Concept" in d.message]


def _new_note(vault):
    (vault / "notes" / "Missing Concept.md").write_text("Now written.\n", encoding="utf-8")


def _alias(vault):
    note = vault / "notes" / "people" / "ada.md"
    note.write_text("---\naliases: [Pricing]\n---\n" + note.read_text(encoding="utf-8"), encoding="utf-8")


def _clash(vault):  # a second dup.md: the ids of both, and what [[dup]] means, change
    (vault / "notes" / "people" / "dup.md").write_text("A third dup.\n", encoding="utf-8")


def _gone(vault):
    (vault / "notes" / "closed-models.md").unlink()


def _attachment(vault):
    (vault / "notes" / "assets" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("change", [_new_note, _alias, _clash, _gone, _attachment],
                         ids=["note made", "alias added", "name clash", "note deleted", "image added"])
def test_a_change_of_names_resolves_again_only_the_files_whose_links_looked_it_up(vault, tmp_path, monkeypatch, change):
    """When the names change, a file keeps its links unless one of them looked up a name that now
    answers otherwise (kg.assemble.Lookups), and its cached links are not written again (only the
    names they stand under are); what the read ends with is what a read from nothing finds: every
    link, problem and concept. The next read resolves nothing: every file was stamped with the new names."""
    import sqlite3

    from kg.links import Resolver

    before = set(build(vault).infos)
    db = sqlite3.connect(vault / ".kg" / "cache.sqlite")  # (the files whose cached links are written)
    db.executescript("CREATE TABLE written (path TEXT); CREATE TRIGGER w1 AFTER INSERT ON resolved BEGIN "
                     "INSERT INTO written VALUES (new.path); END; CREATE TRIGGER w2 AFTER UPDATE ON resolved "
                     "BEGIN INSERT INTO written VALUES (new.path); END;")
    db.close()
    change(vault)
    resolving: set[str] = set()
    resolve = Resolver.resolve
    monkeypatch.setattr(Resolver, "resolve", lambda self, doc, ref: resolving.add(doc.path) or resolve(self, doc, ref))
    kb = build(vault)
    monkeypatch.setattr(Resolver, "resolve", resolve)
    cold = build(vault, cache_dir=tmp_path / "cold")
    assert kb.rows == cold.rows
    assert [d.format() for d in kb.diagnostics] == [d.format() for d in cold.diagnostics]
    assert {c: v.model_dump() for c, v in kb.concepts.items()} == {c: v.model_dump() for c, v in cold.concepts.items()}
    assert len(resolving) < len(kb.infos) - 1, resolving  # (an image no link names: none)
    assert resolving or change is _attachment
    db = sqlite3.connect(vault / ".kg" / "cache.sqlite")
    written = {p for (p,) in db.execute("SELECT path FROM written")}
    assert resolving <= written and written - resolving <= set(kb.infos) - before  # (a new file without links)
    db.close()
    resolving.clear()
    monkeypatch.setattr(Resolver, "resolve", lambda self, doc, ref: resolving.add(doc.path) or resolve(self, doc, ref))
    assert build(vault).rows == cold.rows
    assert not resolving


def test_the_stored_claims_read_back_as_the_models_they_were(tmp_path):
    """Claims are stored as marshal of their field values and made again without validation
    (kg.claims.perfile.claims_of): each one of the demo vault's, read back, is the model pydantic
    makes of its JSON, quantities and spans included, and dumps alike."""
    import shutil
    from pathlib import Path

    from kg.build import run
    from kg.model import Claim

    root = Path(__file__).resolve().parent.parent
    for name in ("notes", "sources"):
        shutil.copytree(root / name, tmp_path / "vault" / name)
    shutil.copy(root / "kg.toml", tmp_path / "vault" / "kg.toml")
    done = run(tmp_path / "vault", cache_dir=tmp_path / "cache", search=False, site=False)
    claims = done.claims
    assert len(claims) > 100 and any(c.quantities for c in claims) and any(c.quoted for c in claims)
    for c in claims:
        again = Claim.model_validate_json(c.model_dump_json())
        assert c == again and c.model_dump() == again.model_dump()
        assert c.model_dump_json(exclude_defaults=True) == again.model_dump_json(exclude_defaults=True)
        assert all(type(q) is type(p) for q, p in zip(c.quantities, again.quantities))


def test_an_edit_resolves_its_links_with_the_index_of_names_kept_from_the_last_read(vault, tmp_path, monkeypatch):
    """The index of every file's names (kg.links.kept_resolver) is kept between reads while the
    names are the same: an edit that adds links resolves them without indexing the vault again,
    and finds what a read from nothing finds; a kept index that cannot be read is made again."""
    import kg.links as links

    build(vault)
    assert (vault / ".kg" / links.RESOLVER_FILE).is_file()
    indexed: list[str] = []
    path_keys = links.path_keys
    monkeypatch.setattr(links, "path_keys", lambda path, doc: indexed.append(path) or path_keys(path, doc))
    note = vault / "notes" / "pricing.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nSee [[ada]], [[Closed Models]] and [[nowhere yet]].\n",
                    encoding="utf-8")
    kb = build(vault)
    assert indexed == []  # the kept index answered
    cold = build(vault, cache_dir=tmp_path / "cold")
    assert indexed  # (a read from nothing indexes)
    assert kb.rows == cold.rows and {r.target for r in kb.rows if r.doc == "notes/pricing.md"} >= {"ada", "Closed Models"}
    assert [d.format() for d in kb.diagnostics] == [d.format() for d in cold.diagnostics]

    (vault / ".kg" / links.RESOLVER_FILE).write_bytes(b"not an index")
    note.write_text(note.read_text(encoding="utf-8") + "\nAnd [[ada]] again.\n", encoding="utf-8")
    indexed.clear()
    kb = build(vault)
    assert indexed  # made again
    assert kb.rows == build(vault, cache_dir=tmp_path / "cold").rows


def test_a_note_made_retitled_or_deleted_updates_the_kept_index_of_names_as_a_fresh_one_finds_it(vault, tmp_path,
                                                                                                 monkeypatch):
    """With other names (a note made, retitled, given an alias, deleted), the kept index of names is
    brought up to date for the files whose names changed alone, and is, list for list, the index a
    read from nothing makes; the links resolve as that read resolves them."""
    import marshal

    import kg.links as links

    build(vault)
    indexed: list[str] = []
    path_keys = links.path_keys
    monkeypatch.setattr(links, "path_keys", lambda path, doc: indexed.append(path) or path_keys(path, doc))
    made = vault / "notes" / "people" / "grace.md"
    ada = vault / "notes" / "people" / "ada.md"
    pricing = vault / "notes" / "pricing.md"
    steps = [
        ("a note made", lambda: made.write_text("# Grace\n\nSee [[ada]] and [[pricing]].\n", encoding="utf-8")),
        ("a title and an alias", lambda: ada.write_text(ada.read_text(encoding="utf-8").replace(
            "title: Ada Example\naliases:\n", "title: Ada Lovelace\naliases:\n  - Countess\n  - countess\n"),
            encoding="utf-8")),
        ("links to the new names", lambda: pricing.write_text(
            pricing.read_text(encoding="utf-8") + "\nSee [[Grace]], [[Countess]] and [[Ada Lovelace]].\n", encoding="utf-8")),
        ("a note deleted", made.unlink),
    ]
    for n, (what, step) in enumerate(steps):
        step()
        indexed.clear()
        kb = build(vault)
        assert len(set(indexed)) <= 1, what  # the file whose names changed, not the vault
        kept = marshal.loads((vault / ".kg" / links.RESOLVER_FILE).read_bytes())[1]
        fresh = links.Resolver(kb.infos, kb.files).index
        assert [dict(table) for table in kept] == [dict(table) for table in fresh], what
        cold = build(vault, cache_dir=tmp_path / f"cold-{n}")
        assert kb.rows == cold.rows, what
        assert [d.format() for d in kb.diagnostics] == [d.format() for d in cold.diagnostics], what


def test_the_names_fingerprint_is_the_json_of_every_file_s_names_as_it_was_written():
    """The names every link resolves against are kept as one hash, in every cache (links, claims,
    pages): another way of writing it would resolve every link and plan every page of every vault
    again. Written faster now, it must be the hash of each file's names as json.dumps wrote them,
    for odd titles too."""
    import dataclasses
    import hashlib
    import json

    from kg.index import names_fingerprint
    from tests.conftest import ROOT

    kb = build(ROOT)
    some = next(iter(kb.infos.values()))
    odd = {f"notes/{name}.md": dataclasses.replace(some, path=f"notes/{name}.md", title=title, aliases=aliases)
           for name, title, aliases in [("é\"\\\t", 'Té "q" \\ \x01 \u2028 😀', ["é", "", "a, b"]),
                                        ("none", None, []), ("n", "N", [3])]}
    for infos, files in [(kb.infos, kb.files), ({**kb.infos, **odd}, [*kb.files, "a b.png"])]:
        written = "".join(json.dumps([p, i.kind, i.title, i.aliases]) for p, i in sorted(infos.items()))
        written += json.dumps(sorted(files))
        assert names_fingerprint(infos, files) == hashlib.blake2b(written.encode(), digest_size=16).hexdigest()
