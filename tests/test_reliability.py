"""Reliability (issue 15): builds that run at once, a damaged cache, symlinks out of the vault,
odd file names and front matter that used to drop a note. Each test reproduces a reported failure
on real files on disk."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.build import build, run
from kg.cli import main

KG = Path(sys.executable).with_name("kg")


def kg(vault: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(KG), "--vault", str(vault), *args], capture_output=True, text=True, **kwargs)


def small_vault(folder: Path, notes: int = 6) -> Path:
    (folder / "notes").mkdir(parents=True)
    (folder / "sources").mkdir()
    (folder / "kg.toml").write_text("[vault]\n", encoding="utf-8")
    (folder / "sources" / "report.md").write_text(
        "---\ntitle: Report\n---\nOpen models trail closed ones by 3% on quality. Prices fell by half in 2026.\n",
        encoding="utf-8")
    for n in range(notes):
        (folder / "notes" / f"topic {n}.md").write_text(
            f"# Topic {n}\n\nTopic {n} links [[topic {(n + 1) % notes}]] and cites [[sources/report]].\n\n"
            f"Open models trail closed ones by {n + 2}% on quality, as [[sources/report]] says.\n", encoding="utf-8")
    return folder


def test_builds_at_once_wait_for_each_other_and_leave_a_sound_cache(tmp_path):
    """`kg build & kg build & kg build` on a fresh vault: each succeeds (the later ones wait for the
    lock) and a build after them finds nothing to redo and no problem in the cache."""
    vault = small_vault(tmp_path / "vault")
    runs = [subprocess.Popen([str(KG), "--vault", str(vault), "build", "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=600) for p in runs]
    assert all(p.returncode == 0 for p in runs), [err for _, err in outputs]
    assert any("waiting for kg (pid" in err for _, err in outputs), [err for _, err in outputs]
    counts = {json.dumps({k: v for k, v in json.loads(out).items() if k in ("claims", "notes", "sources")})
              for out, _ in outputs}
    assert len(counts) == 1  # the same vault, the same answer from every build
    again = kg(vault, "build", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["parsed"] == 0
    assert "damaged" not in again.stderr
    assert kg(vault, "search", "how far behind are open models").returncode == 0


def test_a_damaged_search_index_is_set_aside_and_rebuilt(tmp_path):
    """Rows that contradict each other (here an FTS row squatting on the next item's id, as two
    interleaved builds left it) used to fail every later command until .kg was deleted."""
    vault = small_vault(tmp_path / "vault")
    run(vault, site=False)
    db = sqlite3.connect(vault / ".kg" / "search.sqlite")
    with db:
        top = db.execute("SELECT max(id) FROM items").fetchone()[0]
        for rowid in range(top + 1, top + 50):
            db.execute("INSERT INTO fts (rowid, text, title) VALUES (?, 'stray', 'stray')", (rowid,))
    db.close()
    note = vault / "notes" / "topic 0.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA new paragraph about tariffs on accelerators.\n",
                    encoding="utf-8")
    result = kg(vault, "build", "--no-site")
    assert result.returncode == 0, result.stderr
    assert "was damaged" in result.stderr and "rebuilt" in result.stderr
    assert list((vault / ".kg").glob("broken-*/search.sqlite"))
    found = kg(vault, "search", "tariffs on accelerators", "--json")
    assert found.returncode == 0 and "topic 0" in found.stdout


def test_links_out_of_the_vault_are_reported_not_read(tmp_path):
    """A note or attachment that is a symlink to a file outside the vault was read and published
    (`![[hostname.png]]` -> a copy of /etc/hostname in site/files)."""
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "diary.md").write_text("# Diary\n\nMy bank PIN is 1234.\n", encoding="utf-8")
    (outside / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\nsecret-bytes-7f3a")
    vault = small_vault(tmp_path / "vault", notes=2)
    (vault / "notes" / "diary.md").symlink_to(outside / "diary.md")
    (vault / "notes" / "secret.png").symlink_to(outside / "secret.png")
    (vault / "notes" / "inside.md").symlink_to(vault / "notes" / "topic 0.md")  # inside: fine
    (vault / "notes" / "gone.md").symlink_to(tmp_path / "nowhere.md")
    (vault / "notes" / "folder").symlink_to(outside, target_is_directory=True)
    os.mkfifo(vault / "notes" / "pipe.md")
    (vault / "notes" / "topic 1.md").write_text("# Topic 1\n\n![[secret.png]] and [[diary]].\n", encoding="utf-8")
    kb = build(vault)
    assert "notes/diary.md" not in kb.infos and "notes/secret.png" not in kb.files
    assert "notes/inside.md" in kb.infos
    codes = {(d.doc, d.code) for d in kb.diagnostics}
    assert {("notes/diary.md", "outside-link"), ("notes/secret.png", "outside-link"),
            ("notes/gone.md", "unreadable-file"), ("notes/pipe.md", "unreadable-file"),
            ("notes/folder", "not-followed")} <= codes
    result = kg(vault, "build", "--no-search", timeout=300)
    assert result.returncode == 0, result.stderr
    published = b"".join(p.read_bytes() for p in (vault / "site").rglob("*") if p.is_file())
    assert b"PIN is 1234" not in published and b"secret-bytes-7f3a" not in published
    (vault / "kg.toml").write_text("[vault]\nfollow_outside_links = true\n", encoding="utf-8")
    assert "notes/diary.md" in build(vault).infos  # the user opted in


def test_front_matter_that_used_to_drop_the_whole_note(tmp_path):
    """A bad date, an alias that holds itself and an alias bomb each failed the note as
    parse-failed; YAML Obsidian accepts (`aliases: [- @kepano]`) lost its aliases."""
    vault = tmp_path / "vault"
    (vault / "notes").mkdir(parents=True)
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]\n" for n in range(1, 9))
    notes = {
        "bad-date.md": "---\ndate: 2024-13-45\ncreated: 2024-02-30\ntags: [kept]\n---\n# Bad date\n\nThe body is read.\n",
        "loop.md": "---\nx: &x [*x]\ntitle: Loop note\n---\n# Loop\n\nThe body is read.\n",
        "laughs.md": f"---\n{laughs}tags: [kept]\n---\n# Laughs\n\nThe body is read.\n",
        "kepano.md": "---\naliases: [- @kepano]\ntags: [tools]\n---\n# Steph\n\nThe body is read.\n",
        "links.md": "# Links\n\nSee [[@kepano]].\n",
    }
    for name, text in notes.items():
        (vault / "notes" / name).write_text(text, encoding="utf-8")
    kb = build(vault)
    problems = {(d.doc, d.line, d.code, d.severity) for d in kb.diagnostics}
    assert not [d for d in kb.diagnostics if d.code == "parse-failed"], kb.diagnostics
    for name in ("bad-date.md", "loop.md", "laughs.md", "kepano.md"):
        assert "The body is read." in kb.doc(f"notes/{name}").blocks[0].text
    assert ("notes/bad-date.md", 3, "bad-front-matter", "warning") in problems  # created: 2024-02-30
    assert "kept" in kb.infos["notes/bad-date.md"].tags and "kept" in kb.infos["notes/laughs.md"].tags
    assert ("notes/loop.md", 2, "bad-front-matter", "error") in problems
    assert kb.infos["notes/loop.md"].title == "Loop note"
    assert ("notes/kepano.md", 2, "bad-front-matter", "warning") in problems
    assert not [d for d in kb.diagnostics if d.doc == "notes/links.md" and d.code == "unresolved-link"]


def test_deep_lists_and_quotes_keep_their_text(tmp_path):
    """markdown-it stops at its nesting limit and dropped the rest of the construct and the rest of
    the note with it; the text is now kept and the place reported."""
    vault = tmp_path / "vault"
    (vault / "notes").mkdir(parents=True)
    deep_list = "".join("  " * i + f"- item {i}\n" for i in range(70)) + "\nAfter the list, a sentence.\n"
    deep_quote = "> " * 150 + "the deep quote\n\nAfter the quote, a sentence.\n"
    (vault / "notes" / "list.md").write_text("# List\n\n" + deep_list, encoding="utf-8")
    (vault / "notes" / "quote.md").write_text("# Quote\n\n" + deep_quote, encoding="utf-8")
    (vault / "notes" / "fine.md").write_text("# Fine\n\n" + "".join("  " * i + f"- item {i}\n" for i in range(30)),
                                             encoding="utf-8")
    kb = build(vault)
    for path, kept in (("notes/list.md", ["item 69", "After the list"]),
                       ("notes/quote.md", ["the deep quote", "After the quote"])):
        text = "\n".join(b.text for b in kb.doc(path).blocks)
        assert all(k in text for k in kept), text[-200:]
        [warning] = [d for d in kb.diagnostics if d.doc == path and d.code == "deep-nesting"]
        assert warning.line >= 3
    assert [b.text for b in kb.doc("notes/fine.md").blocks][-1] == "item 29"  # 30 levels: parsed as written
    assert not [d for d in kb.diagnostics if d.doc == "notes/fine.md"]
    result = kg(vault, "build", "--no-search", timeout=300)
    assert result.returncode == 0, result.stderr
    page = (vault / "site" / "concepts" / "list.html").read_text(encoding="utf-8")
    assert "item 69" in page and "After the list" in page  # the site shows what the parser read
    page = (vault / "site" / "concepts" / "fine.html").read_text(encoding="utf-8")
    assert page.count("<ul") >= 30


def test_names_that_slug_alike_keep_their_own_page(tmp_path):
    """`A B.md` and `a-b.md`, `Note.md` and `note.md` got one id and one page: one note was lost."""
    vault = tmp_path / "vault"
    (vault / "notes").mkdir(parents=True)
    texts = {"A B.md": "Spaced name text.", "a-b.md": "Hyphened name text.", "Note.md": "Capital note text.",
             "note.md": "Lower note text.", "links.md": "Links [[A B]], [[a-b]] and [[Note]]."}
    for name, text in texts.items():
        (vault / "notes" / name).write_text(text + "\n", encoding="utf-8")
    if len(list((vault / "notes").iterdir())) < len(texts):
        pytest.skip("this file system folds case")
    kb = build(vault)
    assert sorted(c.doc for c in kb.concepts.values()) == sorted(f"notes/{n}" for n in texts)
    assert len({c.id for c in kb.concepts.values()}) == len(texts)
    dupes = {d.doc for d in kb.diagnostics if d.code == "duplicate-name"}
    assert dupes == {"notes/Note.md", "notes/note.md"}  # [[Note]] is ambiguous; [[A B]] and [[a-b]] are not
    targets = {r.target_id for r in kb.rows if r.doc == "notes/links.md"}
    assert {kb.concept_by_doc["notes/A B.md"], kb.concept_by_doc["notes/a-b.md"]} <= targets
    result = kg(vault, "build", "--no-search", timeout=300)
    assert result.returncode == 0, result.stderr
    pages = [p.read_text(encoding="utf-8") for p in (vault / "site" / "concepts").glob("*.html")]
    for text in texts.values():
        if not text.startswith("Links"):
            assert sum(text in page for page in pages) >= 1, text


@pytest.mark.parametrize("name", ["quality-gap", "src-0028", "x", "2026", "a--b", "-a", "a-", "Quality Gap",
                                  "open_models", "café-au-lait", "日本", "a.b", "---"])
def test_a_name_slugs_as_python_slugify_makes_it(name):
    """kg takes a name that is already a slug as it is (most file names) without asking python-slugify."""
    from slugify import slugify as reference

    from kg.paths import slugify

    assert slugify(name) == (reference(unicodedata.normalize("NFC", name), allow_unicode=False)
                             or slugify(name))
    assert slugify(name) and slugify(name) == slugify(slugify(name))


def test_decomposed_file_names_get_their_pages(tmp_path):
    """A name written decomposed (NFD, as macOS does) is known by its composed spelling; its page
    was drawn from a path that does not exist on disk and came out empty."""
    vault = tmp_path / "vault"
    (vault / "notes").mkdir(parents=True)
    (vault / "notes" / "attachments").mkdir()
    nfd = unicodedata.normalize("NFD", "Café crème")
    (vault / "notes" / f"{nfd}.md").write_text("# Café crème\n\nThe decomposed note keeps its body text.\n",
                                               encoding="utf-8")
    (vault / "notes" / "attachments" / unicodedata.normalize("NFD", "façade.png")).write_bytes(b"\x89PNG\r\n\x1a\nfacade")
    (vault / "notes" / "links.md").write_text("# Links\n\n[[Café crème]] and ![[façade.png]]\n", encoding="utf-8")
    kb = build(vault)
    assert "notes/Café crème.md" in kb.infos and kb.disk_path("notes/Café crème.md").is_file()
    result = kg(vault, "build", "--no-search", timeout=300)
    assert result.returncode == 0, result.stderr
    pages = {p.name: p.read_text(encoding="utf-8") for p in (vault / "site" / "concepts").glob("*.html")}
    assert "keeps its body text" in pages["cafe-creme.html"]
    copied = [p for p in (vault / "site").rglob("*.png")]
    assert copied and copied[0].read_bytes().endswith(b"facade")


def test_utf16_notes_names_with_newlines_and_init_on_an_existing_vault(tmp_path):
    """Notepad's "Unicode" (UTF-16 with a BOM) was called binary; a newline in a file name broke
    the one-line `path:line:col` format; `kg init` in a folder of notes made a notes/ folder that
    hid every one of them from the next build."""
    vault = tmp_path / "obsidian"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "Ideas").mkdir()
    (vault / "Ideas" / "Windows note.md").write_bytes("# Café\r\n\r\nWritten in Notepad, links [[Other]].\r\n"
                                                      .encode("utf-16"))
    (vault / "Other.md").write_text("# Other\n\nA plain note [[missing one]].\n", encoding="utf-8")
    (vault / "odd\nname.md").write_text("# Odd\n\n[[nowhere]]\n", encoding="utf-8")
    before = sorted(build(vault).infos)
    result = CliRunner().invoke(main, ["init", str(vault)])
    assert result.exit_code == 0 and "read as notes where they are" in result.output
    assert not (vault / "notes").exists()
    kb = build(vault)
    assert sorted(kb.infos) == before and len(before) == 3
    assert "Written in Notepad" in kb.doc("Ideas/Windows note.md").blocks[0].text
    assert any(r.target_id == "other" for r in kb.rows if r.doc == "Ideas/Windows note.md")
    checked = kg(vault, "check")
    lines = [line for line in checked.stdout.splitlines() if "nowhere" in line]
    assert len(lines) == 1 and lines[0].startswith("odd\\nname.md:3:1: warning:"), checked.stdout
    fresh = tmp_path / "fresh"
    assert CliRunner().invoke(main, ["init", str(fresh)]).exit_code == 0
    assert (fresh / "notes" / "welcome.md").is_file()  # an empty folder still gets the example vault


def test_a_forked_helper_that_outlives_the_lock_does_not_keep_it(tmp_path):
    """A build's forked helpers (the model's process, the pools' workers) inherit the descriptor of
    the cache's lock. One that ended a moment after the build let go of `.kg/` kept the lock held,
    and the next command said "waiting for kg" (seen when the suite ran on a busy machine)."""
    folder = tmp_path / ".kg"
    code = ("import os, sys, time\nfrom pathlib import Path\nfrom kg.lock import cache_lock\n"
            f"with cache_lock(Path({str(folder)!r})):\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "    time.sleep(1)\n"  # (the child under way: past the handlers a fork runs in it)
            "print('let go', flush=True)\n"
            "time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert holder.stdout.readline().strip() == "let go"
        waited: list[str] = []
        from kg.lock import cache_lock

        with cache_lock(folder, waiting=waited.append):
            pass
        assert waited == []  # the forked child, still asleep, holds nothing
    finally:
        os.killpg(holder.pid, 9)
        holder.wait()
