"""An edit costs what it changes, and finds what a fresh build finds: the knowledge stage keeps its
rows (claims per file, evidence per claim, tension pairs with their verdicts) and the site redraws
only pages whose view changed; both must end where a cold build ends."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from kg.build import run
from tests.conftest import ROOT


def _vault(tmp_path: Path) -> Path:
    vault = tmp_path / "vault"
    vault.mkdir()
    for name in ("notes", "sources"):
        shutil.copytree(ROOT / name, vault / name)
    shutil.copy(ROOT / "kg.toml", vault / "kg.toml")
    return vault


def _state(done) -> dict:
    k = done.knowledge
    dump = lambda items: sorted(json.dumps(i.model_dump(), sort_keys=True, default=str) for i in items)  # noqa: E731
    return {"claims": dump(k.claims), "evidence": dump(k.evidence), "tensions": dump(k.tensions + k.held),
            "clusters": k.clusters, "related": {d: list(map(list, v)) for d, v in k.related.items()}}


def _pages(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.html"))}


def test_an_edit_judges_only_what_changed_and_ends_where_a_cold_build_ends(tmp_path):
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    first = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    judged_cold = first.stats["knowledge_judged"]
    assert len(first.knowledge.tensions) > 10

    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    source = vault / "sources" / "closed-source-convergence.md"
    source.write_text(source.read_text(encoding="utf-8")
                      + "\nOpen-weight models trail closed frontier models by 9% on coding tasks, the study found.\n",
                      encoding="utf-8")
    # kg serve shows a save first: the changed files' pages alone, with what the last analysis
    # settled about their claims, judging nothing
    before = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
    preview = run(vault, cache_dir=cache, site_dir=site, pagefind=False, preview=True)
    assert preview.pending and preview.search is None and "knowledge_judged" not in preview.stats
    [new] = [c for c in preview.claims if "9%" in c.text and c.doc == "notes/concepts/quality-gap.md"]
    assert new.status == "unsupported" and not new.opposes  # nothing is known of it yet
    kept = {(e.claim, e.anchor) for e in first.knowledge.evidence if e.claim in {c.id for c in preview.claims}}
    assert kept and {(e.claim, e.anchor) for e in preview.knowledge.evidence} == kept  # the rest stands as it was
    page = (site / "concepts" / "quality-gap.html").read_text("utf-8")
    assert "trail closed ones by 9% on coding tasks" in page and "supported" in page
    redrawn = {p for p, t in before.items() if (site / p).stat().st_mtime_ns != t}
    assert redrawn == {"concepts/quality-gap.html", "sources/closed-source-convergence.html"}, redrawn
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not edited.pending
    assert [c for c in edited.claims if c.id == new.id][0].status != "unsupported"  # the 9% source backs it
    judged = edited.stats["knowledge_judged"]
    assert 0 < judged < judged_cold / 3, (judged, judged_cold)
    assert edited.site["drawn"] < edited.site["pages"] - 10  # the pages of what changed, not the whole site
    assert any("9%" in c.text for c in edited.claims if c.doc == "notes/concepts/quality-gap.md")

    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _state(edited) == _state(cold)
    assert _pages(site) == _pages(tmp_path / "cold-site")

    unchanged = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert "knowledge_judged" not in unchanged.stats  # the last result, not a new analysis
    assert unchanged.site["written"] == 0
    assert _state(unchanged) == _state(cold)


def test_an_edit_that_leaves_every_claim_as_it_was_analyses_nothing_and_draws_what_a_cold_build_draws(tmp_path):
    """A line of prose, or a link, added to notes leaves every file's claims as they were: the
    knowledge stage analyses nothing, and the site draws the pages the edit reaches from the
    settled rows, with no list or tag page checked but the graph. Every page is then what a cold
    build of the same files draws: a note's, the concepts' it links to, the sources' it cites, with
    the claims of other notes those pages list (one of a source's sentences written in a note, a
    note's claim its evidence backs). An edit of a claim analyses as before."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    before = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
    joe = vault / "notes" / "people" / "joe-weisenthal.md"  # cites sources whose pages list other notes' claims
    joe.write_text(joe.read_text(encoding="utf-8") + "\nA note on nothing in particular.\n", encoding="utf-8")
    gap = vault / "notes" / "concepts" / "quality-gap.md"
    gap.write_text(gap.read_text(encoding="utf-8") + "\nSee also [[sources/open-weight-cascade]] and [[deepseek]].\n",
                   encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert edited.analysis.judged is None and edited.analysis.rows() is not None  # nothing analysed, nothing read
    redrawn = {p for p, t in before.items() if (site / p).stat().st_mtime_ns != t}
    assert {"concepts/joe-weisenthal.html", "concepts/quality-gap.html", "concepts/deepseek.html",
            "sources/open-weight-cascade.html"} <= redrawn <= {
        "concepts/joe-weisenthal.html", "concepts/quality-gap.html", "concepts/deepseek.html",
        "sources/open-weight-cascade.html", "graph.html"}, redrawn
    assert edited.site["drawn"] < 10
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site")
    assert edited.summary()["claims"] == cold.summary()["claims"]

    gap.write_text(gap.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 7% on law exams.\n\n## ", 1), encoding="utf-8")
    claimed = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert claimed.analysis.judged and any("7% on law exams" in c.text for c in claimed.claims)
    cold = run(vault, cache_dir=tmp_path / "cold-cache-2", site_dir=tmp_path / "cold-site-2", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site-2")


def test_a_link_to_a_note_not_written_yet_draws_from_the_settled_rows_what_a_cold_build_draws(tmp_path, monkeypatch):
    """A link to a note not written yet leaves every claim as it was, but makes a stub concept, so
    the lists change and every page is planned with the whole knowledge. Nothing was analysed, so
    that knowledge is read from the settled rows (with every note's related claims), not made
    again from the memo, and what each page shows of it is as the last build hashed it; every
    page is then what a cold build of the same files draws."""
    from kg.claims import store
    from kg.publish.site import Site

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    remade, hashed = [], []
    real, digests = store._analyse, Site._digests
    monkeypatch.setattr(store, "_analyse", lambda *args, **kw: remade.append(1) or real(*args, **kw))
    monkeypatch.setattr(Site, "_digests", lambda self, docs: hashed.append(docs) or digests(self, docs))
    joe = vault / "notes" / "people" / "joe-weisenthal.md"
    joe.write_text(joe.read_text(encoding="utf-8") + "\nHe keeps coming back to [[an idea not written yet]].\n",
                   encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert edited.analysis.judged is None and not remade  # nothing analysed, nothing made again
    assert not hashed  # what each page shows of the knowledge: the last build's digests, not hashed again
    assert (site / "concepts" / "an-idea-not-written-yet.html").is_file()
    assert edited.analysis.rows().knowledge(related=True).related  # every note's related claims, from the rows
    run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site")


def _insert(note: Path, before: str, text: str) -> None:
    """Write `text` as lines of their own above the first line that starts with `before`."""
    lines = note.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines) if line.startswith(before))
    note.write_text("\n".join(lines[:at] + text.split("\n") + lines[at:]), encoding="utf-8")


def _numeric_of(done, doc: str):
    [found] = [t for t in done.knowledge.tensions if t.kind == "numeric" and t.a.doc == doc]
    return found


def test_a_heading_or_a_blank_line_above_a_note_s_claims_moves_them_and_ends_where_a_cold_build_ends(tmp_path, monkeypatch):
    """A heading or a blank line written above a note's claims moves them down, and nothing else:
    the knowledge stage moves the lines its settled rows carry (tension sides and explanations, its
    problems) instead of analysing, including a note that declares tensions, and the site draws
    the pages that show those claims (theirs, the concepts' they name, the other sides' of their
    tensions, their claims index page, the tensions page) from the rows, without reading the whole
    knowledge. A tension explains itself with where its claims are now, whether it was moved,
    judged again or kept: a claim moved by an edit that also adds a claim to its note keeps its
    verdicts, not its old line."""
    from kg.claims import store

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    first = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    barbell, pricing = "notes/concepts/barbell-strategy.md", "notes/concepts/inference-pricing.md"
    line = _numeric_of(first, barbell).a.line
    analysed, whole = [], []
    real, every = store._analyse, store.SettledRows.knowledge
    monkeypatch.setattr(store, "_analyse", lambda *args, **kw: analysed.append(1) or real(*args, **kw))
    monkeypatch.setattr(store.SettledRows, "knowledge", lambda self, **kw: whole.append(1) or every(self, **kw))
    before = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
    _insert(vault / barbell, "The AI model market", "")
    _insert(vault / pricing, "## Evidence", "## What I pay\n")  # above its evidence and its declared tensions
    moved = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert moved.analysis.moved == [barbell, pricing] and moved.analysis.judged is None and not analysed
    assert not whole  # the pages were drawn from the rows they show
    redrawn = {p for p, t in before.items() if (site / p).stat().st_mtime_ns != t}
    assert {"concepts/barbell-strategy.html", "concepts/inference-pricing.html", "tensions.html",
            "questions.html", "concepts/open-vs-closed-model-economics.html"} <= redrawn, redrawn  # (a tension's other side)
    assert len(redrawn) < len(before) / 2
    tension = _numeric_of(moved, barbell)
    assert tension.a.line == line + 1 and f"{barbell}:{line + 1} gives" in tension.explanation
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _state(moved) == _state(cold)
    assert [d.model_dump() for d in moved.diagnostics] == [d.model_dump() for d in cold.diagnostics]
    assert _pages(site) == _pages(tmp_path / "cold-site")

    _insert(vault / barbell, "The AI model market", "Closed labs keep 60% of enterprise spend.\n")
    claimed = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert claimed.analysis.judged and not claimed.analysis.moved
    tension = _numeric_of(claimed, barbell)  # its pair kept its verdict, and says where it is now
    assert tension.a.line == line + 3 and f"{barbell}:{line + 3} gives" in tension.explanation
    cold = run(vault, cache_dir=tmp_path / "cold-cache-2", site_dir=tmp_path / "cold-site-2", pagefind=False)
    assert _state(claimed) == _state(cold)
    assert [d.model_dump() for d in claimed.diagnostics] == [d.model_dump() for d in cold.diagnostics]
    assert _pages(site) == _pages(tmp_path / "cold-site-2")


def _planning(monkeypatch) -> list:
    """Grows by one each time the site plans every page with the whole knowledge's lookups."""
    from kg.publish import writer

    planned: list = []
    real = writer._prepare
    monkeypatch.setattr(writer, "_prepare", lambda s: planned.append(1) or real(s))
    return planned


def test_an_analysis_of_a_few_claims_draws_only_the_pages_its_changes_reach_and_ends_where_a_cold_build_ends(
        tmp_path, monkeypatch):
    """After an analysis of a few notes' claims (one added with a figure, a question added, a claim
    deleted), the site plans the pages the changes reach and the lists that may show them (the
    home page's counts, the claims index pages of those notes, the concepts index when a note's
    count changed, the tensions and questions pages), with what they show read from the settled
    rows, not every page with lookups over the whole knowledge; every page is then what a cold
    build draws; so do a source edited (the sources index counts its claims again) and, with the
    whole knowledge, changes that reach more than `writer.REACH_MOST` files."""
    from kg.publish import writer

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    planned = _planning(monkeypatch)
    barbell, routing = vault / "notes/concepts/barbell-strategy.md", vault / "notes/concepts/model-routing.md"
    edits = [(barbell, "The AI model market", "Open models served 37% of enterprise inference workloads in 2025.\n",
              {"concepts/barbell-strategy.html", "index.html", "claims.html", "concepts.html"}),
             (routing, "# ", "# Model routing\n\nWill routers pick open models for most requests by 2027?",
              {"concepts/model-routing.html", "questions.html"})]
    for n, (note, before, text, expected) in enumerate(edits):
        if before == "# ":  # the title line, with a question under it
            note.write_text(note.read_text(encoding="utf-8").replace("# Model routing", text, 1), encoding="utf-8")
        else:
            _insert(note, before, text)
        times = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
        done = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert done.analysis.changes is not None and not planned, n  # analysed, and planned from the rows
        redrawn = {p for p, t in times.items() if (site / p).stat().st_mtime_ns != t}
        assert expected <= redrawn and len(redrawn) < len(times) / 2, (n, redrawn)
        run(vault, cache_dir=tmp_path / f"cold-cache-{n}", site_dir=tmp_path / f"cold-site-{n}", pagefind=False)
        assert _pages(site) == _pages(tmp_path / f"cold-site-{n}"), n
        planned.clear()  # (a cold build plans every page)
    lines = barbell.read_text(encoding="utf-8").split("\n")  # a claim deleted: its note counts one claim fewer
    barbell.write_text("\n".join(line for line in lines if "37% of enterprise" not in line), encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not planned
    run(vault, cache_dir=tmp_path / "cold-cache-d", site_dir=tmp_path / "cold-site-d", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site-d")
    planned.clear()
    source = next((vault / "sources").rglob("*.md"))
    source.write_text(source.read_text(encoding="utf-8") + "\nOpen models cost 90% less to serve in 2026.\n",
                      encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not planned  # (the sources index counts its claims again)
    run(vault, cache_dir=tmp_path / "cold-cache-s", site_dir=tmp_path / "cold-site-s", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site-s")
    planned.clear()
    monkeypatch.setattr(writer, "REACH_MOST", 0)  # changes that reach too many files: every page, with the whole knowledge
    _insert(barbell, "The AI model market", "Closed models kept 55% of enterprise inference workloads in 2025.\n")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert planned


def test_a_page_drawn_from_the_rows_lists_its_claims_in_the_order_of_the_vault(tmp_path):
    """What a concept's or source's page shows, read from the settled rows (kg.claims.store.
    SettledRows.pages), comes in the order the whole knowledge lists it: by file, then as each file
    writes them, though the claims come by several ways (written in its note, naming it, citing
    it, on the other side of its tensions). Sorted by file alone, ten of the demo's pages listed
    them otherwise."""
    from kg.claims.store import SettledRows

    vault = _vault(tmp_path)
    done = run(vault, site=False)
    kb, rows = done.kb, SettledRows(vault / ".kg", done.claim_files.paths)
    place: dict[tuple[str, str], int] = {}
    for n, c in enumerate(done.knowledge.claims):
        place.setdefault((c.doc, c.id), n)
    shown = {}
    for ident, doc in [*((cid, c.doc) for cid, c in kb.concepts.items() if c.doc), *kb.source_ids.items()]:
        shown[ident] = [(c.doc, c.id) for c in rows.pages(kb, {ident}, {doc}).claims]
        assert shown[ident] == sorted(shown[ident], key=place.__getitem__), ident
    assert sum(len({doc for doc, _ in keys}) < len(keys) for keys in shown.values()) >= 10  # (several of one file)


def test_a_note_made_deleted_or_linked_before_it_is_written_redraws_the_lists_from_the_rows(tmp_path, monkeypatch):
    """What the lists show besides the knowledge changed (a link to a note not written yet, a note
    made, a note deleted): every list is drawn again from the vault, the claim counts the manifest
    keeps and the rows' counts, with the pages the edit reaches, and no page is planned with the
    whole knowledge; every page is then what a cold build draws, and a deleted note's page is gone."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    planned = _planning(monkeypatch)
    routing, made = vault / "notes/concepts/model-routing.md", vault / "notes/concepts/gpu-leasing.md"
    routing.write_text(routing.read_text(encoding="utf-8") + "\nRouting leans on [[spot capacity markets]] too.\n",
                       encoding="utf-8")
    made_text = "# GPU leasing\n\nLeased GPUs cost 40% less than reserved ones in 2025, as [[inference-pricing]] notes.\n"
    steps = [("stub", lambda: None, {"concepts/spot-capacity-markets.html", "concepts.html", "index.html"}),
             ("made", lambda: made.write_text(made_text, encoding="utf-8"),
              {"concepts/gpu-leasing.html", "concepts.html", "index.html", "concepts/inference-pricing.html"}),
             ("deleted", made.unlink, {"concepts.html", "index.html"})]
    for name, step, expected in steps:
        step()
        times = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
        run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert not planned, name
        now = _pages(site)
        redrawn = {p for p in now if p not in times or (site / p).stat().st_mtime_ns != times[p]}
        assert expected <= redrawn and len(redrawn) < len(now) / 2, (name, redrawn)
        run(vault, cache_dir=tmp_path / f"cold-cache-{name}", site_dir=tmp_path / f"cold-site-{name}", pagefind=False)
        assert now == _pages(tmp_path / f"cold-site-{name}"), name
        planned.clear()
    assert not (site / "concepts/gpu-leasing.html").exists()


def test_a_note_retitled_is_shown_by_its_new_title_wherever_its_claims_or_paragraphs_are(tmp_path):
    """A note retitled: the pages that list one of its claims (another concept's unlinked mentions,
    a tension's side) or show one of its paragraphs linking them (backlinks) name it by its new
    title, as a cold build does. An edit redrew neither before: their inputs held no title, and a
    page that shows a note's claim without a link between the two was not reached."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    for n, name in enumerate(("model-licences", "inference-pricing", "model-routing")):
        note = vault / "notes/concepts" / f"{name}.md"
        note.write_text("\n".join(f"title: Renamed {line[7:]}" if line.startswith("title: ") else
                                  f"# Renamed {line[2:]}" if line.startswith("# ") else line
                                  for line in note.read_text(encoding="utf-8").split("\n")), encoding="utf-8")
        run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        run(vault, cache_dir=tmp_path / f"cold-cache-{n}", site_dir=tmp_path / f"cold-site-{n}", pagefind=False)
        assert _pages(site) == _pages(tmp_path / f"cold-site-{n}"), name
    assert "Renamed Open-source licences" in (site / "concepts/anthropic.html").read_text(encoding="utf-8")


def test_a_moved_claim_that_another_note_s_declared_tension_names_is_shown_there_where_it_is_now(tmp_path):
    """A note with no tension of its own, whose claim another note's declared tension names by its
    block id: moving its claims changes no tension's row, but the tensions page shows the named
    claim with its line, so the move redraws it; every page is then what a cold build draws."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    plain = vault / "notes" / "concepts" / "plain-note.md"
    plain.write_text("---\ntitle: Plain note\n---\n# Plain note\n\n"
                     "Gardeners water tomato plants every morning in July. ^plain-claim\n", encoding="utf-8")
    licences = vault / "notes" / "concepts" / "model-licences.md"
    licences.write_text(licences.read_text(encoding="utf-8")
                        + "\n## Tensions\n- Licences matter less than [[plain-note#^plain-claim]] suggests.\n",
                        encoding="utf-8")
    first = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert [t for t in first.knowledge.tensions if "plain-claim" in t.claims]
    assert "plain-note.md:6" in (site / "tensions.html").read_text(encoding="utf-8")
    _insert(plain, "Gardeners", "## Mine\n")
    moved = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert moved.analysis.moved == ["notes/concepts/plain-note.md"] and moved.analysis.judged is None
    assert "plain-note.md:8" in (site / "tensions.html").read_text(encoding="utf-8")
    run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site")


def test_a_note_that_links_a_sentence_moves_with_the_problem_on_its_link_s_line(tmp_path):
    """A note whose claim links a source's sentence (here one the source lacks, a problem on the
    link's line) moves too: the analysis stamps it with the links it had, and the problem moves with
    the claim on its line. An `opposes::` field on a line of its own cannot be moved by the claims'
    lines, so that note is analysed. Both end where a cold build ends."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    note = vault / "notes" / "concepts" / "linked-note.md"
    note.write_text("---\ntitle: Linked note\n---\n# Linked note\n\n"
                    "Open-weight frontier models now come from six labs [[sources/open-weight-cascade#^s-deadbeef]].\n",
                    encoding="utf-8")
    first = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert [(d.line, d.code) for d in first.diagnostics if d.doc == "notes/concepts/linked-note.md"] == [(6, "lost-anchor")]
    _insert(note, "Open-weight frontier", "## Mine\n")
    moved = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert moved.analysis.moved == ["notes/concepts/linked-note.md"] and moved.analysis.judged is None
    assert [(d.line, d.code) for d in moved.diagnostics if d.doc == "notes/concepts/linked-note.md"] == [(8, "lost-anchor")]
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert [d.model_dump() for d in moved.diagnostics] == [d.model_dump() for d in cold.diagnostics]
    assert _pages(site) == _pages(tmp_path / "cold-site")

    opposing = vault / "notes" / "concepts" / "open-weight-models.md"  # `opposes::` on a line of its own
    _insert(opposing, "# ", "")
    analysed = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not analysed.analysis.moved and analysed.analysis.judged == 0
    run(vault, cache_dir=tmp_path / "cold-cache-2", site_dir=tmp_path / "cold-site-2", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site-2")


def test_two_claims_of_one_line_split_onto_two_are_analysed_and_end_where_a_cold_build_ends(tmp_path):
    """A line break between two sentences of one paragraph moves only the second claim: the rows
    name places by line, and one line is now two, so the move cannot be told from them and the
    stage analyses (judging nothing afresh); everything ends where a cold build ends."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    gap = vault / "notes" / "concepts" / "quality-gap.md"
    text = gap.read_text(encoding="utf-8")
    assert "shrinking margin. [[andrew-feldman]] put the lead" in text
    gap.write_text(text.replace("shrinking margin. [[andrew-feldman]]", "shrinking margin.\n[[andrew-feldman]]", 1),
                   encoding="utf-8")
    split = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not split.analysis.moved and split.analysis.judged == 0
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _state(split) == _state(cold)
    assert [d.model_dump() for d in split.diagnostics] == [d.model_dump() for d in cold.diagnostics]
    assert _pages(site) == _pages(tmp_path / "cold-site")


def test_deleting_a_note_and_rewording_a_claim_ends_where_a_cold_build_ends(tmp_path):
    """An edit ranks related claims again only for the notes whose pairs changed, and keeps the
    cosines of the pairs it keeps: a claim gone, a note gone and a claim reworded must still
    leave every note's related claims, tensions and evidence as a cold build finds them."""
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    gone = "notes/orgs/deepseek.md"
    assert gone in first.knowledge.related and any(
        d == gone for keys in first.knowledge.related.values() for _, d in keys)  # others list its claims
    (vault / gone).unlink()
    note = vault / "notes" / "concepts" / "open-weight-models.md"
    lines = note.read_text(encoding="utf-8").splitlines(keepends=True)
    said = [n for n, line in enumerate(lines) if line.startswith("- ") and len(line) > 40]
    del lines[said[0]]  # a claim gone
    lines[said[1] - 1] = lines[said[1] - 1].replace("open", "openly", 1)  # a claim reworded
    note.write_text("".join(lines), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert 0 < edited.stats["knowledge_judged"] < first.stats["knowledge_judged"] / 3
    assert not any(d == gone for keys in edited.knowledge.related.values() for _, d in keys)
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site=False)
    assert _state(edited) == _state(cold)
    assert _settled_rows(cache) == _settled_rows(tmp_path / "cold-cache")  # written by difference, read alike


def _settled_rows(cache: Path) -> dict:
    """The settled rows as the readers see them: claims' status, the files naming each concept,
    each claim's evidence in order, the tensions in order with the keys they are found by."""
    import sqlite3

    db = sqlite3.connect(cache / "knowledge.sqlite")
    try:
        evidence: dict[str, list[str]] = {}
        for claim, data in db.execute("SELECT claim, data FROM settled_evidence ORDER BY rowid"):
            evidence.setdefault(claim, []).append(data)
        return {"settled": sorted(db.execute("SELECT * FROM settled")),
                "concepts": sorted(db.execute("SELECT * FROM claim_concepts")), "evidence": evidence,
                "tensions": list(db.execute("SELECT * FROM settled_tensions ORDER BY n")),
                "keys": sorted(db.execute("SELECT * FROM tension_keys")),
                "related": sorted(db.execute("SELECT * FROM related"))}
    finally:
        db.close()


def test_kg_serve_draws_a_save_s_own_page_first_with_what_the_last_analysis_settled(tmp_path):
    """The preview kg serve shows first draws the saved note's page and nothing else, with every
    tension, corroboration and piece of evidence of its claims as the last analysis settled them:
    the page equals the one the full build then draws. (Laid over the whole vault, it took 22 s
    on the 10k vault.)"""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    first = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert first.site["finish"]() is None  # as kg serve does: the search files, after the page
    assert any(len(ids) == 1 for ids in first.knowledge.clusters.values())  # one text, two notes
    before = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
    note = vault / "notes" / "people" / "andrew-feldman.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nHe also hosts a weekly show about chips.\n",
                    encoding="utf-8")
    preview = run(vault, cache_dir=cache, site_dir=site, pagefind=False, preview=True)
    assert preview.pending and preview.site["drawn"] == 1
    redrawn = {p for p, t in before.items() if (site / p).stat().st_mtime_ns != t}
    assert redrawn == {"concepts/andrew-feldman.html"}, redrawn
    mine = [c for c in first.claims if c.doc == "notes/people/andrew-feldman.md"]
    assert any(c.opposes or c.cluster for c in mine) and any(c.supports for c in mine)
    shown = lambda done: {(c.id, c.status, c.supports, c.opposes, c.cluster)  # noqa: E731
                          for c in done.claims if c.doc == "notes/people/andrew-feldman.md"}
    assert shown(preview) >= shown(first)
    previewed = (site / "concepts" / "andrew-feldman.html").read_text("utf-8")
    assert "a weekly show about chips" in previewed
    full = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not full.pending and shown(full) >= shown(first)
    assert (site / "concepts" / "andrew-feldman.html").read_text("utf-8") == previewed
    # the full build found the page as the preview left it, and wrote nothing: Pagefind still has it to index
    from kg.publish.writer import MANIFEST

    assert "concepts/andrew-feldman.html" in json.loads((cache / MANIFEST).read_text("utf-8"))["search_pending"]


def test_a_new_note_saved_while_serving_gets_its_page_first_and_its_links_after(tmp_path):
    """A note created while kg serve runs is a file the site was not drawn from: the preview draws
    its page (its claim names a concept, and a claim new to the analysis has no evidence yet), and
    the full build then draws the pages that link to it or that it links to."""
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    before = {p: (site / p).stat().st_mtime_ns for p in _pages(site)}
    (vault / "notes" / "concepts" / "chip-supply.md").write_text(
        "# Chip supply\n\nNvidia ships about 80% of the accelerators that [[DeepSeek]] trains on.\n",
        encoding="utf-8")
    preview = run(vault, cache_dir=cache, site_dir=site, pagefind=False, preview=True)
    assert preview.pending and preview.site["drawn"] == 1
    page = (site / "concepts" / "chip-supply.html").read_text("utf-8")
    assert "80% of the accelerators" in page
    [claim] = [c for c in preview.claims if c.doc == "notes/concepts/chip-supply.md"]
    assert claim.status == "unsupported" and "deepseek" in claim.concepts
    assert {p for p, t in before.items() if (site / p).stat().st_mtime_ns != t} == set()  # no other page yet
    full = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert not full.pending
    assert "Chip supply" in (site / "concepts" / "deepseek.html").read_text("utf-8")  # its backlink


def test_rewording_the_knowledge_code_s_docstrings_keeps_a_vault_s_analysis():
    """The knowledge stage's code is the version of its rows (a 10k vault analyses again for 12
    minutes): a docstring or comment reworded is not a new version; a changed line of code is."""
    from kg.claims.store import _syntax

    code = b'''"""Module."""\n\ndef f(x):\n    """Say what f does."""\n    return x + 1  # add one\n'''
    reworded = code.replace(b"Say what f does.", b"Add one to x,\n    and say why.").replace(b"# add one", b"# +1")
    assert _syntax(reworded) == _syntax(code)
    assert _syntax(code.replace(b"x + 1", b"x + 2")) != _syntax(code)
    assert _syntax(code.replace(b'    """Say what f does."""\n', b"")) == _syntax(code)
    fields = b'class C:\n    """A class."""\n\n    x: int = 0\n    """What x is."""\n    if x:\n        y = 1\n        """Y."""\n'
    assert _syntax(fields.replace(b"What x is.", b"What x counts.").replace(b"Y.", b"Why.")) == _syntax(fields)
    assert _syntax(fields.replace(b"x: int = 0", b"x: int = 1")) != _syntax(fields)


def test_the_parse_settings_are_part_of_what_a_file_s_claims_are_made_from(tmp_path):
    """[sections] in kg.toml decides which headings hold declared tensions: changing it parses every
    file again, and the claims follow, though no file changed (they stayed as they were)."""
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    declared = lambda done: sorted(c.text for c in done.claims if c.kind == "tension")  # noqa: E731
    before = declared(run(vault, cache_dir=cache, site=False, search=False))
    unchanged = run(vault, cache_dir=cache, site=False, search=False)
    assert declared(unchanged) == before and unchanged.stats["parsed"] == 0
    with open(vault / "kg.toml", "a", encoding="utf-8") as toml:
        toml.write('\n[sections]\ntensions = ["nothing is a tension here"]\n')
    after = run(vault, cache_dir=cache, site=False, search=False)
    assert after.stats["parsed"] > 0 and len(declared(after)) < len(before), (len(before), len(declared(after)))


def test_what_a_page_shows_hashes_alike_however_it_was_built():
    """The knowledge a page shows is hashed to decide whether to draw it again: equal data must
    hash alike whether its strings are one object or two (a serve's second build redrew a page)."""
    from kg.publish.site import dumped

    status = "supported"
    shared = [("c-1", status, status, 1.5, None, (3, status))]
    built = [("c-1", "".join(["suppo", "rted"]), "".join(["sup", "ported"]), 1.5, None, (3, "".join(["s", "upported"])))]
    assert dumped(shared) == dumped(built)
    assert dumped(shared) != dumped([("c-1", status, status, 1.5, None, (4, status))])


def test_a_fresh_analysis_keeps_the_page_titles_vectors(tmp_path, monkeypatch):
    """A fresh analysis says afresh which claim vectors it wants; the vectors the site's meaning
    search asked for (every page title) must stay cached: a 10k vault has 11,700 titles."""
    from kg.claims.store import POOL
    from kg.search.embed import Embedder

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    (cache / POOL).unlink()  # no kept pool: the analysis an edit asks for is a fresh one
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    embedded: list[str] = []
    real = Embedder.embed
    monkeypatch.setattr(Embedder, "embed", lambda self, texts, *a, **k: embedded.extend(texts) or real(self, texts, *a, **k))
    again = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert again.stats["knowledge_judged"] > 0
    assert embedded == ["Open models trail closed ones by 9% on coding tasks."]  # the new line, once
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)  # its search index update looks at every vector
    assert len(embedded) == 1


def test_the_build_that_analyses_afresh_drops_the_vectors_it_no_longer_wants(tmp_path):
    """A fresh analysis says afresh which claim vectors it wants; the build that made it drops the
    rest, so the next build, unchanged, looks at no vector (1.25 s of a 2.8 s unchanged 10k build)."""
    from kg.claims.store import POOL
    from kg.search.embed import Embedder
    from kg.search.index import _UNUSED, SearchIndex, text_key

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    (cache / POOL).unlink()  # no kept pool: the next analysis is a fresh one
    note = vault / "notes" / "concepts" / "quality-gap.md"
    text = note.read_text(encoding="utf-8")
    old = "Open models trail closed ones by 9% on coding tasks."
    note.write_text(text.replace("\n## ", f"\n- {old}\n\n## ", 1), encoding="utf-8")
    run(vault, cache_dir=cache, site=False)
    note.write_text(text.replace("\n## ", "\n- Open models trail closed ones by 7% on coding tasks.\n\n## ", 1),
                    encoding="utf-8")
    (cache / POOL).unlink()
    index = SearchIndex(cache)
    db = index.connect()
    try:
        assert db.execute("SELECT 1 FROM vectors WHERE key = ?", (text_key(old, Embedder.model_id),)).fetchone()
    finally:
        db.close()
    again = run(vault, cache_dir=cache, site=False)
    assert again.stats["knowledge_judged"] > 0
    db = index.connect()
    try:
        assert not db.execute("SELECT 1 FROM meta WHERE key = 'sweep'").fetchone()
        assert db.execute(f"SELECT COUNT(*) FROM vectors WHERE {_UNUSED}").fetchone() == (0,)
        assert not db.execute("SELECT 1 FROM vectors WHERE key = ?", (text_key(old, Embedder.model_id),)).fetchone()
    finally:
        db.close()


def test_the_claims_index_pages_hold_whole_files_and_an_edit_redraws_its_own(tmp_path, monkeypatch):
    from kg.publish import indexes

    monkeypatch.setattr(indexes, "CLAIMS_PER_PAGE", 60)
    monkeypatch.setattr(indexes, "PAGER_AROUND", 1)
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    pages = sorted(site.glob("claims*.html"))
    assert len(pages) >= 5, pages
    _check_pagers(site, len(pages))
    shown = sum(1 for page in pages for line in page.read_text(encoding="utf-8").splitlines()
                if "<tr" in line and "data-status=" in line)  # a row per claim
    before = {p.name: p.read_bytes() for p in pages}

    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    from kg.claims import store
    from kg.publish import writer

    drawn, draw = [], writer.draw
    monkeypatch.setattr(writer, "draw", lambda s, page: drawn.append(page.path) or draw(s, page))
    read, real = [], store.SettledRows.pages
    monkeypatch.setattr(store.SettledRows, "pages", lambda self, kb, idents, docs, listed=frozenset(), *a:
                        read.append(set(listed)) or real(self, kb, idents, docs, listed, *a))
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    changed = [p.name for p in sorted(site.glob("claims*.html")) if before.get(p.name) != p.read_bytes()]
    # a page of the index is drawn when what it shows of its files' statements changed, not when
    # their evidence or clusters did (a page of the 10k vault's index holds some 2,000 claims)
    assert sorted(p for p in drawn if p.startswith("claims")) == changed, (drawn, changed)
    # and the claims read for it are those of the pages drawn and of the files whose entries may show
    # otherwise (`Changed.listed`), not of every page the changes reach: at 10k notes, a claim added
    # read some 300 files' claims for pages of the index that were drawn as they were
    groups = json.loads((cache / "site.json").read_text(encoding="utf-8"))["claim_groups"]
    on_drawn = {d for n, docs in enumerate(groups, 1) if (f"claims-{n}.html" if n > 1 else "claims.html") in changed
                for d in docs}
    changes = edited.analysis.changes
    assert changes.listed < changes.reach and len(read) == 1 and read[0] <= on_drawn | changes.listed, read

    def holding(doc: str) -> list[str]:
        title = edited.kb.infos[doc].title
        return [p.name for p in sorted(site.glob("claims*.html"))
                if f">{title}<" in p.read_text(encoding="utf-8").split("claim-groups", 1)[-1]]

    assert len(holding("notes/concepts/quality-gap.md")) == 1  # a file's claims are on one page
    [new] = [c for c in edited.claims if "9% on coding" in c.text]
    others = {s.doc for t in edited.knowledge.tensions if new.id in t.claim_ids() for s in (t.a, t.b) if s}
    others.discard(new.doc)  # a claim the new one contradicts is now contested: its page changes too
    assert holding(new.doc)[0] in changed and set(changed) <= {"claims.html", *holding(new.doc),  # page 1: the counts
                                                                *(p for d in others for p in holding(d))}, changed
    assert sum(c.kind == "claim" for c in edited.claims) == shown + 1

    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert cold.site["pages"] == edited.site["pages"]
    assert _pages(site) == _pages(tmp_path / "cold-site")


def test_the_tensions_are_paged_and_a_figure_changed_redraws_the_pages_that_show_it(tmp_path, monkeypatch):
    """At 10k notes the tensions were one page of 5,125 (4.9 MB), read whole from the rows and drawn
    again whenever one of them changed. They are paged: by kind, the strongest first, each tension on
    one page; a kind's heading (its anchor, its count) where it starts, "continued" after; page 1 and
    the home page link each kind to the page it starts on. A figure corrected draws the tensions pages
    whose tensions changed, reading their tensions alone, and the site ends as a cold build draws it."""
    import re

    from kg.claims import store
    from kg.publish import indexes, writer

    monkeypatch.setattr(indexes, "TENSIONS_PER_PAGE", 5)
    monkeypatch.setattr(indexes, "PAGER_AROUND", 1)
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    built = run(vault, cache_dir=cache, site_dir=site, pagefind=False)

    def paged() -> list[tuple[str, str]]:
        names = sorted((p.name for p in site.glob("tensions*.html")), key=lambda n: int(re.sub(r"\D", "", n) or 1))
        return [(name, (site / name).read_text(encoding="utf-8")) for name in names]

    pages = paged()
    assert len(pages) >= 4, [name for name, _ in pages]
    _check_pagers(site, len(pages), "tensions", "Tension pages")
    # the site's menu marks the tensions on each of their pages: the first is the page, the others its section
    assert '<a href="tensions.html" aria-current="page">Tensions</a>' in pages[0][1]
    assert all('<a href="tensions.html" aria-current="true">Tensions</a>' in html for _, html in pages[1:])
    cards = [(name, kind, tid) for name, html in pages
             for kind, tid in re.findall(r'<details class="tension (\w+)" id="tension-([^"]+)"', html)]
    shown = built.knowledge.tensions
    assert sorted(tid for _, _, tid in cards) == sorted(t.id for t in shown)  # each once
    kinds = [kind for _, kind, _ in cards]
    assert kinds == sorted(kinds, key=indexes.TENSION_KINDS.index)  # by kind
    score = {t.id: t.score for t in shown}
    for kind in set(kinds):  # the strongest first
        scores = [score[tid] for _, k, tid in cards if k == kind]
        assert scores == sorted(scores, reverse=True)
    home = (site / "index.html").read_text(encoding="utf-8")
    first = pages[0][1]
    for kind, n in Counter(kinds).items():
        starts = next(name for name, k, _ in cards if k == kind)
        assert [name for name, html in pages if f'<h2 id="{kind}">' in html] == [starts]
        assert f'<a href="{starts}#{kind}">' in home and f'<a href="{starts}#{kind}">' in first
        assert re.search(rf'<h2 id="{kind}">[^<]+ <span class="count">{n}</span>', dict(pages)[starts])
        assert all(f'<h2 id="{kind}-continued">' in html for name, html in pages
                   if name != starts and kind in {k for page, k, _ in cards if page == name})

    drawn, draw = [], writer.draw
    monkeypatch.setattr(writer, "draw", lambda s, page: drawn.append(page.path) or draw(s, page))
    read, real = [], store.SettledRows.pages
    monkeypatch.setattr(store.SettledRows, "pages", lambda self, kb, idents, docs, listed=frozenset(), tensions=frozenset(),
                        *a: read.append(set(tensions)) or real(self, kb, idents, docs, listed, tensions, *a))
    planned = _planning(monkeypatch)
    note = vault / "notes" / "concepts" / "inference-pricing.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "costs 10–13x less per output token", "costs 40–50x less per output token", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert planned == [] and len(read) == 1  # planned from the rows, not the whole knowledge
    before, after = dict(pages), dict(paged())
    changed = sorted(name for name in after if before.get(name) != after[name])
    assert changed and len(changed) < len(after), changed
    assert set(changed) <= {p for p in drawn if p.startswith("tensions")}
    on_changed = {tid for name in changed for tid in re.findall(r'id="tension-([^"]+)"', after[name])}
    assert on_changed <= read[0] and len(read[0]) < len(edited.knowledge.tensions)  # not every tension
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert cold.analysis.summary == edited.analysis.summary
    assert _pages(site) == _pages(tmp_path / "cold-site")


def test_an_entry_of_the_claims_index_the_changes_did_not_list_sends_the_plan_to_the_whole_knowledge(
        tmp_path, monkeypatch):
    """The claims index pages an edit draws are those of the files whose entries may show otherwise
    (`Changed.listed`). Should that miss one (here it is made to leave out the claims the new one
    contradicts), what the index shows of that file is found changed once the reached pages are
    hashed again, and the site is planned with the whole knowledge: it ends as a cold build draws
    it, not with a page of the index as it was."""
    from kg.claims import store
    from kg.publish import indexes

    monkeypatch.setattr(indexes, "CLAIMS_PER_PAGE", 60)
    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    real = store._reach

    def missing(kb, db, changed):  # the edited note alone: the files of the claims it contradicts left out
        reached = real(kb, db, changed)
        assert len(changed.listed) > 1
        changed.listed = {"notes/concepts/quality-gap.md"}
        return reached

    monkeypatch.setattr(store, "_reach", missing)
    planned = _planning(monkeypatch)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    [new] = [c for c in edited.claims if "9% on coding" in c.text]
    assert any(s.doc != new.doc for t in edited.knowledge.tensions if new.id in t.claim_ids() for s in (t.a, t.b) if s)
    assert planned  # the whole knowledge planned the site
    run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site")


def test_a_claims_page_drawn_again_takes_the_groups_of_the_files_whose_statements_did_not_change(
        tmp_path, monkeypatch):
    """Page 1 of the claims index is drawn again after every analysis (it counts the claims), and so
    is the page of a file edited: each takes the group of every other file as it was drawn
    (kg.publish.fragments), without reading that file's claims, and ends as a cold build draws
    it, anchors included: of two files that write one statement, the first on the page holds its
    anchor, whichever of the two was drawn again. A damaged file of kept groups costs their drawing."""
    from kg.claims import store
    from kg.publish import writer

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    twice = "- Routers send the hardest 7% of requests to closed models."
    routing = vault / "notes" / "concepts" / "model-routing.md"
    _insert(routing, "## Evidence", twice + "\n\n")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert (cache / "claim-groups.sqlite").is_file()  # (a small vault's pages are drawn in the build's process)
    read, real = [], store.SettledRows.pages
    monkeypatch.setattr(store.SettledRows, "pages", lambda self, kb, idents, docs, listed=frozenset(), *a:
                        read.append(set(listed)) or real(self, kb, idents, docs, listed, *a))
    drawn, draw = [], writer.draw
    monkeypatch.setattr(writer, "draw", lambda s, page: drawn.append(page.path) or draw(s, page))
    note = vault / "notes" / "concepts" / "quality-gap.md"
    for n, line in enumerate([twice, "- Open models trail closed ones by 11% on agent tasks."]):
        _insert(note, "## Evidence", line + "\n\n")
        read.clear(), drawn.clear()
        edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        page_one = set(json.loads((cache / "site.json").read_text(encoding="utf-8"))["claim_groups"][0])
        assert "claims.html" in drawn and len(read) == 1, (n, drawn, read)  # page 1, for its counts
        kept = page_one - edited.analysis.changes.listed - {"notes/concepts/quality-gap.md"}
        assert kept and page_one - read[0] == kept, n  # every other file's group, as it was drawn: its claims not read
        run(vault, cache_dir=tmp_path / f"cold-cache-{n}", site_dir=tmp_path / f"cold-site-{n}", pagefind=False)
        assert _pages(site) == _pages(tmp_path / f"cold-site-{n}"), n
    [claim] = {c.id for c in edited.claims if c.text == twice[2:]}
    assert sum(page.count(f'id="claim-{claim}"'.encode()) for path, page in _pages(site).items()
               if path.startswith("claims")) == 1
    (cache / "claim-groups.sqlite").write_bytes(b"not a database " * 100)  # damaged: the groups are drawn again
    _insert(note, "## Evidence", "- Open models trail closed ones by 13% on math tasks.\n\n")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    run(vault, cache_dir=tmp_path / "cold-cache-x", site_dir=tmp_path / "cold-site-x", pagefind=False)
    assert _pages(site) == _pages(tmp_path / "cold-site-x")


def _check_pagers(site: Path, total: int, name: str = "claims", label: str = "Claim pages") -> None:
    """Each claims page (or tensions page, `name`) names itself (page N of M) and links, at its top and
    bottom, the previous and next pages, the first and the last, and its neighbours (PAGER_AROUND = 1),
    with a gap for two pages or more left out; every link opens a page of the index."""
    import re

    for n in range(1, total + 1):
        html = (site / (f"{name}.html" if n == 1 else f"{name}-{n}.html")).read_text(encoding="utf-8")
        assert f"<title>{name.capitalize()}, page {n} of {total}" in html
        pagers = re.findall(rf'<nav class="pager" aria-label="{label}">(.*?)</nav>', html, re.S)
        assert len(pagers) == 2 and pagers[0] == pagers[1]
        links = re.findall(r'<a href="([^"]+)"( aria-current="page"| rel="(?:prev|next)")?>([^<]+)</a>', pagers[0])
        numbers = [int(text) for _, _, text in links if text.isdigit()]
        wanted = sorted({1, total, *range(max(1, n - 1), min(total, n + 1) + 1)})
        wanted = sorted({*wanted, *(a + 1 for a, b in zip(wanted, wanted[1:]) if b == a + 2)})  # no gap of one page
        assert numbers == wanted, (n, numbers)
        assert [text for _, mark, text in links if mark == ' aria-current="page"'] == [str(n)]
        assert pagers[0].count('class="gap"') == sum(1 for a, b in zip(wanted, wanted[1:]) if b > a + 1)
        assert ("‹ Previous" in pagers[0]) == (n > 1) and ("Next ›" in pagers[0]) == (n < total)
        for href, mark, text in links:
            assert (site / href).is_file(), href
            if mark == ' rel="next"':
                assert href == f"{name}-{n + 1}.html"
            if mark == ' rel="prev"':
                assert href == (f"{name}.html" if n == 2 else f"{name}-{n - 1}.html")


def test_a_claim_added_anywhere_redraws_its_claims_page_and_rarely_the_next():
    """The claims index of a vault shaped like the 10k one (11,000 files, 1 to 40 claims each): a
    claim added to any one file changes the files of one page, at most two, never the pages
    after; pages stay near the size asked for."""
    import random
    from collections import Counter

    from kg.publish.indexes import pages_of

    rng = random.Random(14)
    docs = sorted(f"notes/area-{n % 20}/note-{n:05d}.md" for n in range(11_000))
    count = Counter({d: rng.randint(1, 40) for d in docs})
    before = pages_of(docs, count, 2000)
    sizes = [sum(count[d] for d in page) for page in before]
    assert 1000 <= sum(sizes) / len(sizes) <= 3000 and max(sizes) < 4000 + 40, sizes
    worst = 0
    for doc in rng.sample(docs, 300):
        count[doc] += 1
        after = pages_of(docs, count, 2000)
        count[doc] -= 1
        worst = max(worst, sum(a != b for a, b in zip(before, after)) + abs(len(before) - len(after)))
    assert worst <= 2, worst
    new = sorted(docs + ["notes/area-3/a-new-note.md"])  # a new file joins one page
    count["notes/area-3/a-new-note.md"] = 12
    after = pages_of(new, count, 2000)
    assert sum(a != b for a, b in zip(before, after)) + abs(len(before) - len(after)) <= 2


def test_a_process_that_builds_again_decodes_only_the_claims_that_changed(tmp_path, monkeypatch):
    """kg serve keeps the decoded claims between saves (kg.claims.store.remember_claims): a save's
    analysis decodes no file's claims whole (it makes those it looks at from their rows), reading
    every claim afterwards decodes at most those of the file it changed, and the result is a cold
    build's."""
    from kg.claims import store

    monkeypatch.setattr(store, "_DECODED", {})
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    decoded = []
    real = store.decode
    monkeypatch.setattr(store, "decode", lambda found: decoded.append(found.key) or real(found))
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert not decoded
    assert any("9%" in c.text for c in edited.claims if c.doc == "notes/concepts/quality-gap.md")
    assert len(decoded) <= 1  # (at most the changed file's claims; the others were kept from the first build)
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site=False)
    assert _state(edited) == _state(cold)


def test_a_process_that_builds_again_decodes_again_a_file_extracted_again_under_its_key(tmp_path, monkeypatch):
    """A word a source starts using mid-sentence turns it into a name in the notes that start
    sentences with it: those notes are extracted again with the keys they had. kg serve's kept
    decoded claims (remember_claims) are of the claims as stored, not of the key alone, so its
    next build sees their new subjects as a cold build does."""
    from kg.claims import store

    monkeypatch.setattr(store, "_DECODED", {})
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, search=False, site=False)
    first = run(vault, cache_dir=cache, search=False, site=False)
    asking = {c.doc for c in first.claims if c.text.startswith("Feldman") and "Feldman" not in c.subjects}
    assert asking  # notes start sentences with the name; no source uses it mid-sentence yet
    source = vault / "sources" / "open-weight-cascade.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nA talk by Feldman covered the prices.\n",
                      encoding="utf-8")
    edited = run(vault, cache_dir=cache, search=False, site=False)
    cold = run(vault, cache_dir=tmp_path / "cold", search=False, site=False)
    assert any("Feldman" in c.subjects for c in cold.claims if c.doc in asking)
    assert [c.model_dump() for c in edited.claims] == [c.model_dump() for c in cold.claims]


def test_an_edit_reads_the_claims_once_in_the_build_s_own_thread_and_ends_where_a_cold_build_ends(
        tmp_path, monkeypatch):
    """An edit's analysis reads every file's claims once, in the build's own thread: a thread that
    read them beside the search index stage held the interpreter the other stages wanted, and a
    10k edit took 0.5 s longer with it (alternated runs). A build that will not analyse reads none."""
    import threading

    from kg.claims import store

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    readers = []
    real = store.KnowledgeStore.claim_rows
    monkeypatch.setattr(store.KnowledgeStore, "claim_rows",
                        lambda self, paths: readers.append(threading.current_thread().name) or real(self, paths))
    run(vault, cache_dir=cache, site=False)
    assert readers == []  # nothing changed: nothing is read, ahead or not
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert readers == [threading.main_thread().name]
    assert any("9%" in c.text for c in edited.claims if c.doc == "notes/concepts/quality-gap.md")
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site=False)
    assert _state(edited) == _state(cold)


def test_a_link_that_makes_a_new_concept_reads_again_only_the_files_that_use_its_words(tmp_path, monkeypatch):
    """A concept's names are what mentions match, but a new name can only be found in a file that
    has its words: a link to a note not yet written (a stub) must not re-read the whole vault."""
    from kg.claims import perfile, store

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    read, looked = [], []
    real = store.extract_many
    monkeypatch.setattr(store, "extract_many", lambda kb, todo, *a, **k: read.extend(todo) or real(kb, todo, *a, **k))
    real_files_naming = perfile.files_naming

    def files_naming(kb, paths, *args):  # the files whose text is looked through for the name
        real_text = perfile.naming_text
        perfile.naming_text = lambda kb, path, *a: looked.append(path) or real_text(kb, path, *a)
        try:
            return real_files_naming(kb, paths, *args)
        finally:
            perfile.naming_text = real_text
    monkeypatch.setattr(store, "files_naming", files_naming)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Prices follow the [[Price Floor]] more than the benchmarks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    # the note, and the files with both words: "the price floor" is in the pricing note
    assert "notes/concepts/quality-gap.md" in read and "notes/concepts/inference-pricing.md" in read
    assert len(read) < len(edited.kb.infos) / 3, read
    # and of the other files, only those whose word filters have both words were read through
    assert "notes/concepts/inference-pricing.md" in looked and len(looked) < len(edited.kb.infos) / 3, looked
    assert any(c.doc == "notes/concepts/inference-pricing.md" and "price-floor" in c.concepts for c in edited.claims)
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site=False)
    assert _state(edited) == _state(cold)

    read.clear()
    note.write_text(note.read_text(encoding="utf-8").replace("[[Price Floor]]", "price floor"), encoding="utf-8")
    again = run(vault, cache_dir=cache, site=False)  # the stub is gone: its mentions go with it
    assert "notes/concepts/inference-pricing.md" in read and len(read) < len(again.kb.infos) / 3, read
    assert not any("price-floor" in c.concepts for c in again.claims)


def test_the_word_filters_pass_every_file_that_reading_finds_naming_a_name(tmp_path):
    """What the kept word filters let through holds every file that reading them all finds using a
    name's words: in its text (entities decoded), in its title or in how its links read."""
    from kg.claims.perfile import files_naming, link_views
    from kg.claims.store import KnowledgeStore

    vault = _vault(tmp_path)
    (vault / "notes" / "café.md").write_text("# Caf&eacute; Economics\n\nThe [[quality-gap]] of "
                                                "Caf&eacute; Zeta pricing is 3%.\n", encoding="utf-8")
    done = run(vault, cache_dir=tmp_path / "cache", site=False)
    kb = done.kb
    store = KnowledgeStore(tmp_path / "cache")
    try:
        filters = store.word_filters(store.file_keys())
    finally:
        store.close()
    paths = sorted(kb.infos)
    assert set(filters) == set(paths) and all(len(f) == 512 for f in filters.values())
    names = sorted({n for c in kb.concepts.values() for n in (c.title, *c.aliases)}
                   | {"Café Zeta", "zeta pricing", "Quality gap", "Heliotrope Quarterly", "open weights"})
    shown = lambda only: link_views(kb, only)[0]  # noqa: E731
    for name in names:
        assert files_naming(kb, paths, [name], shown, filters) == files_naming(kb, paths, [name], shown), name
    assert files_naming(kb, paths, ["Café Zeta"], shown, filters) == {"notes/café.md"}
    # the filters let through no file without the name's words
    assert files_naming(kb, paths, ["Heliotrope Quarterly"], lambda only: {} if not only else 1 / 0, filters) == set()


def test_the_tension_search_lets_a_claim_s_mentions_go_once_its_pairs_are_judged(tmp_path, monkeypatch):
    """The tension search decodes a claim's mentions when a pair first asks for them, and lets them
    go once every pair that holds the claim is judged (a 10k vault's fresh analysis held all 145k,
    60 MB at the build's peak): what it finds is what it found holding every one."""
    from kg.claims import analyse

    held: list[int] = []
    real = analyse.Mentioned.forget_before
    monkeypatch.setattr(analyse.Mentioned, "forget_before",
                        lambda self, row: real(self, row) or held.append(len(self.decoded)))
    vault = _vault(tmp_path)
    letting_go = run(vault, cache_dir=tmp_path / "letting-go", site=False)
    every: list[int] = []
    monkeypatch.setattr(analyse.Mentioned, "forget_before", lambda self, row: every.append(len(self.decoded)))
    holding = run(vault, cache_dir=tmp_path / "holding", site=False)
    assert _state(letting_go) == _state(holding) and letting_go.knowledge.tensions
    assert held and every and held[-1] * 4 < every[-1], (held[-1], every[-1])


def test_an_unchanged_build_reads_no_claims_and_loads_no_analysis(demo_site, tmp_path):
    """A build that finds nothing changed checks one stamp per stage: it reads no file's claims
    and imports neither extraction nor analysis (their patterns alone took 0.35 s to compile)."""
    import subprocess
    import sys

    from tests.conftest import copy_demo_cache

    cache = copy_demo_cache(demo_site, tmp_path / "cache")
    script = ("import sys\nfrom kg.build import run\nfrom kg.claims import store\n"
              "store.KnowledgeStore.file_states = lambda self: sys.exit('the claims were read')\n"
              f"done = run({str(ROOT)!r}, cache_dir={str(cache)!r}, site=False)\n"
              "loaded = sorted(m for m in sys.modules if m.startswith('kg.claims.'))\n"
              "print(len(done.claims), loaded)\n")  # the claims, read when asked for, after the build
    patch = "store.KnowledgeStore.file_states = lambda self: sys.exit('the claims were read')\n"
    subprocess.run([sys.executable, "-c", script.replace(patch, "")], check=True, capture_output=True)  # settles it
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    count, modules = out.stdout.split(" ", 1)
    assert int(count) > 400
    assert "kg.claims.analyse" not in modules and "kg.claims.extract" not in modules, modules


LISTINGS = [(), ("--evidence",), ("--status", "contested", "--evidence", "--json"), ("--kind", "question"),
            ("--origin", "source", "--has-quantity", "percent"), ("--source", "open-weight-cascade", "--json")]
"""Ways of listing claims that `kg claims` prints from the settled rows a few files at a time."""


def test_what_is_said_of_a_concept_comes_from_its_rows_alone(demo_site, tmp_path, monkeypatch):
    """When nothing changed, `kg claims --concept X`, `kg tensions --concept X` and `kg show X` read
    the settled rows of X's files (status, counts, evidence, tensions), and `kg claims` and
    `kg tensions` every settled row; none makes the vault's knowledge, and each prints what it
    prints from it. `kg claims` reads every claim a few files at a time (a 10k vault's whole list
    held 2 GB), and lists them as from the whole knowledge, in every form."""
    from click.testing import CliRunner

    from kg.claims import store
    from kg.cli import main
    from tests.conftest import copy_demo_cache

    cache = copy_demo_cache(demo_site, tmp_path / "cache")

    def kg_text(*args: str) -> str:
        result = CliRunner(env={"KG_CACHE_DIR": str(cache)}).invoke(main, ["--vault", str(ROOT), *args])
        assert result.exit_code == 0, result.output
        return result.output

    def kg_json(*args: str) -> list | dict:
        return json.loads(kg_text(*args, "--json"))

    sources = [s["id"] for s in kg_json("sources")]
    with monkeypatch.context() as whole_read:  # what the commands print from the whole knowledge
        whole_read.setattr(store.Analysis, "rows", lambda self: None)
        everything = kg_json("claims")
        concepts = sorted({cid for c in everything for cid in [c["concept"], *c["concepts"]] if cid})
        assert len(concepts) > 15 and sources
        whole = {cid: (kg_json("tensions", "--concept", cid, "--all", "--dismissed"), kg_json("show", cid))
                 for cid in concepts}
        whole |= {sid: (None, kg_json("show", sid)) for sid in sources}
        every_tension = kg_json("tensions", "--all", "--dismissed")
        listed = {args: kg_text("claims", *args) for args in LISTINGS}
    monkeypatch.setattr(store, "_settled", lambda *args: pytest.fail("the whole knowledge was loaded"))
    assert kg_json("tensions", "--all", "--dismissed") == every_tension and len(every_tension) > 20
    read = []
    real = store.KnowledgeStore.models
    monkeypatch.setattr(store.KnowledgeStore, "models",
                        lambda self, paths, *rest: read.append(paths) or real(self, paths, *rest))
    monkeypatch.setattr(store, "BATCH_FILES", 4)  # every claim, a few files at a time: the same list
    assert kg_json("claims") == everything
    assert len(read) >= 4 and max(len(paths) for paths in read) == 4
    for args in LISTINGS:
        assert kg_text("claims", *args) == listed[args], args
    assert all(listed.values()) and len(listed[()].splitlines()) == len(everything)
    monkeypatch.undo()
    monkeypatch.setattr(store, "_settled", lambda *args: pytest.fail("the whole knowledge was loaded"))
    assert any(c["evidence"] for c in everything) and {"supported", "contested"} <= {c["status"] for c in everything}
    read = []
    real = store.KnowledgeStore.models
    monkeypatch.setattr(store.KnowledgeStore, "models",
                        lambda self, paths, *rest: read.extend(paths) or real(self, paths, *rest))
    for cid in concepts:
        assert kg_json("claims", "--concept", cid) == [c for c in everything
                                                      if c["concept"] == cid or cid in c["concepts"]], cid
        assert (kg_json("tensions", "--concept", cid, "--all", "--dismissed"), kg_json("show", cid)) == whole[cid], cid
    for sid in sources:
        assert kg_json("show", sid) == whole[sid][1], sid
    assert any(t for t, _ in whole.values()) and any(s["tensions"] for _, s in whole.values())
    read.clear()
    assert any(c["status"] == "supported" and c["evidence"] for c in kg_json("claims", "--concept", "quality-gap"))
    assert 0 < len(set(read)) <= len({c["doc"] for c in everything}) / 3, read  # its files' rows, not the vault's


def test_a_listing_read_in_batches_is_of_one_analysis(demo_site, tmp_path, monkeypatch):
    """`kg claims` reads the settled rows a few hundred files at a time, for seconds on a large
    vault; another kg that saves an analysis meanwhile must not make one listing of two analyses:
    the batches read one snapshot of the store, and the next listing reads the new rows."""
    import sqlite3

    from kg.claims import store
    from tests.conftest import copy_demo_cache

    cache = copy_demo_cache(demo_site, tmp_path / "cache")
    rows = run(ROOT, cache_dir=cache, site=False).analysis.rows()
    assert rows is not None  # nothing changed: the settled rows are read
    monkeypatch.setattr(store, "BATCH_FILES", 2)
    batches = rows.batches(lambda c: True)
    first = next(batches)[0]
    other = sqlite3.connect(cache / "knowledge.sqlite")  # another kg settles other counts meanwhile
    with other:
        other.execute("UPDATE settled SET opposes = 7")
    other.close()
    later = [c for claims, _ in batches for c in claims]
    assert first and len(later) > 100 and not any(c.opposes == 7 for c in first + later)
    assert all(c.opposes == 7 for claims, _ in rows.batches(lambda c: True) for c in claims
               if c.status is not None)


def test_an_edit_sends_pagefind_only_the_searchable_pages_it_wrote(tmp_path, monkeypatch):
    """The home page and the lists change with most edits, but Pagefind does not index them: only
    the searchable pages written (the edited note's, and the pages its new claim's evidence and
    tensions show on) are sent to Pagefind again."""
    from kg.publish import shards

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site)
    before = _pages(site)
    home = before["index.html"]
    asked: list[set[str]] = []
    real = shards.update
    monkeypatch.setattr(shards, "update", lambda out, searchable, changed, **later: asked.append(set(changed))
                        or real(out, searchable, changed, **later))
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on zanzibarite tasks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site)
    assert (site / "index.html").read_bytes() != home  # the home page was written (its counts)
    written = {path for path, data in _pages(site).items() if before.get(path) != data}
    assert {"index.html", "claims.html"} <= written, written
    [sent] = asked
    assert "concepts/quality-gap.html" in sent and sent <= written, (sent, written)
    assert all(path.startswith(("concepts/", "sources/", "tags/")) for path in sent), sent
    assert edited.site["search_error"] is None


def test_a_build_lets_the_model_go_and_what_it_reads_shares_its_field_names(tmp_path, monkeypatch):
    """What a 10k vault's edit holds at its peak: a one-shot build unloads the search model once a
    stage's texts are embedded, while kg serve keeps it loaded for the next save; the claims and the
    kept evidence read from the store share pydantic's sets of field names (a set each was 728
    bytes of every claim) and print as before."""
    from kg.search import embed

    monkeypatch.setattr(embed, "_KEEP_LOADED", False)
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    assert embed._loaded.cache_info().currsize == 0
    embed.keep_model_loaded()  # as kg serve does
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 11% on maths tasks.\n\n## ", 1), encoding="utf-8")
    try:
        edited = run(vault, cache_dir=cache, site=False)
        assert embed._loaded.cache_info().currsize == 1  # the new claim was embedded, and the model kept
    finally:
        embed._loaded.cache_clear()
    claims = edited.knowledge.claims
    inferred = [e for e in edited.knowledge.evidence if e.method == "inferred"]  # kept from the last build
    assert len({id(c.__pydantic_fields_set__) for c in claims}) * 5 < len(claims)
    assert len({id(e.__pydantic_fields_set__) for e in inferred}) * 5 < len(inferred)
    assert {c.model_dump_json() for c in claims} == {c.model_dump_json() for c in
                                                    run(vault, cache_dir=tmp_path / "cold", site=False).claims}


def test_an_edit_appends_its_new_claims_vectors_to_the_pool_heap(tmp_path, monkeypatch):
    """The tension pool's vectors are a heap an edit appends to: the heap keeps its name and grows by
    the new claims' rows alone (rows a crash left past its length are written over), and a heap
    holding too many rows of claims gone is written afresh with the pool's alone. Each time, the
    analysis ends where a cold build ends."""
    import numpy as np

    from kg.claims import delta, store
    from kg.search import heap as heaps

    monkeypatch.setattr(delta, "patched", lambda *a, **k: None)  # (the analysis appends: a patch writes no pool)

    def heap() -> tuple[Path, int, int]:
        [path] = cache.glob(f"{store.POOL_HEAP}.*.f32")
        with np.load(cache / store.POOL) as saved:
            return path, int(saved["heap_rows"]), len(saved["pool"])

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    path, length, pool = heap()
    assert length == pool > 100 and path.stat().st_size == length * heaps.ROW_BYTES
    with open(path, "ab") as f:  # what a crash after an append leaves
        f.write(b"\xff" * 3 * heaps.ROW_BYTES)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    appended, grown, now = heap()
    assert appended == path and grown == length + 1 and now == pool + 1  # one claim more, one row more
    assert path.stat().st_size == grown * heaps.ROW_BYTES
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site=False)
    assert _state(edited) == _state(cold)

    monkeypatch.setattr(heaps, "HEAP_SLACK", 1)  # the next edit's rows would pass it
    note.write_text(note.read_text(encoding="utf-8").replace("by 9% on coding", "by 8% on coding"), encoding="utf-8")
    again = run(vault, cache_dir=cache, site=False)
    fresh, rows, now = heap()
    assert fresh != path and not path.exists() and rows == now and fresh.stat().st_size == now * heaps.ROW_BYTES
    cold = run(vault, cache_dir=tmp_path / "cold-cache-2", site=False)
    assert _state(again) == _state(cold)


def test_a_claim_that_only_joins_a_cluster_reaches_no_page(tmp_path):
    """No page shows a claim's cluster: a new claim that states the fact of a cluster changes the
    cluster of its claims in other files, and those files are not changed files to the site
    (at 10k notes, 5 of one new claim's 6 files, whose 55 concepts' pages were checked again)."""
    from kg.config import load_settings
    from kg.publish.site import Site

    vault = _vault(tmp_path)
    cache, site_dir = tmp_path / "cache", tmp_path / "site"

    def shown(done) -> dict[str, list]:
        out: dict[str, list] = {}
        for c in done.knowledge.claims:
            out.setdefault(c.doc, []).append((c.id, c.line, c.text, c.status, c.supports, c.opposes, c.cluster))
        return out

    before = shown(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    note = vault / "notes" / "orgs" / "anthropic.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\nA step of 5% would weaken the incentive to close frontier weights.\n\n## ", 1), encoding="utf-8")
    done = run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False)
    after = shown(done)
    clustered = [doc for doc in after if before.get(doc) != after[doc]
                 and [c[:-1] for c in before[doc]] == [c[:-1] for c in after[doc]]]
    assert "notes/concepts/barbell-strategy.md" in clustered, clustered
    assert done.analysis.changes is not None and "notes/orgs/anthropic.md" in done.analysis.changes.docs
    assert not set(clustered) & done.analysis.changes.docs, done.analysis.changes.docs
    settings = load_settings(vault)  # and what the site kept is what hashing every page gives
    every = Site(done.kb, settings.site.title_of(vault), settings.site.base, done.analysis)._digests(None)
    assert json.loads((cache / "site.json").read_text(encoding="utf-8"))["knowledge"] == every


def test_an_edit_hashes_again_only_the_pages_its_knowledge_changes_reach(tmp_path, monkeypatch):
    """After an analysis the site hashes the knowledge view of the pages the changed rows reach
    (Site.digests_since), not of every page: after each of nine kinds of edit, what it kept and
    hashed again equals hashing every page; a reworded claim reaches few pages; a build after one
    without the site hashes every page."""
    from kg.claims import review
    from kg.config import load_settings
    from kg.publish.site import Site

    vault = _vault(tmp_path)
    cache, site_dir = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False)
    hashed: list[set | None] = []
    real = Site._digests
    monkeypatch.setattr(Site, "_digests", lambda self, docs: hashed.append(docs) or real(self, docs))

    def edit(path: str, old: str | None, new: str) -> None:
        file = vault / path
        text = file.read_text(encoding="utf-8")
        assert old is None or old in text, old
        file.write_text(text + new if old is None else text.replace(old, new, 1), encoding="utf-8")

    def check(done) -> set:
        settings = load_settings(vault)
        every = Site(done.kb, settings.site.title_of(vault), settings.site.base, done.analysis)._digests(None)
        kept = json.loads((cache / "site.json").read_text(encoding="utf-8"))["knowledge"]
        assert kept == every
        [docs] = [d for d in hashed if d is not None] or [None]
        hashed.clear()
        assert docs is not None, "every page's view was hashed"
        infos.update(done.kb.infos)
        return docs

    infos: dict = {}

    # a claim reworded on its line moves no other claim: its page and few others
    edit("notes/people/joe-weisenthal.md", "the closed premium visible", "the closed premium of 20% visible")
    reached = check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    assert "notes/people/joe-weisenthal.md" in reached and len(reached) < len(infos) / 3, sorted(reached)
    # one in the middle of a hub note moves the lines of its claims on every page that shows them
    # (in this small vault, on nearly every page)
    edit("notes/concepts/quality-gap.md", "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ")
    check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    edit("sources/closed-source-convergence.md", None,
         "\nOpen-weight models trail closed frontier models by 9% on coding tasks, the study found.\n")
    check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    edit("notes/concepts/quality-gap.md", "by 9% on coding tasks", "by 14% on coding tasks")
    done = run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False)
    check(done)
    tension = done.knowledge.tensions[0]
    review.decide(vault, done.knowledge, [(tension, "dismissed")], reason="checked by hand")
    check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    # lines moved, nothing else: the pages that list these claims as related show the new lines
    edit("notes/people/joe-weisenthal.md", "# Joe Weisenthal\n", "# Joe Weisenthal\n\n")
    check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    (vault / "notes" / "people" / "joe-weisenthal.md").unlink()
    check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    # a note whose one claim quotes a source, then gone: the source's page loses that quote
    (vault / "notes" / "concepts" / "lab-cascade.md").write_text(
        "---\ntitle: Lab cascade\n---\n# Lab cascade\n\n- Most major AI labs published model weights within "
        "about 18 months of one Chinese release [[sources/open-weight-cascade]].\n", encoding="utf-8")
    done = run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False)
    check(done)
    assert any(e.doc == "sources/open-weight-cascade.md" and e.anchor for e in done.knowledge.evidence
               if e.claim in {c.id for c in done.claims if c.doc == "notes/concepts/lab-cascade.md"})
    (vault / "notes" / "concepts" / "lab-cascade.md").unlink()
    check(run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False))
    # a build without the site leaves the site's digests behind the rows: every page is hashed
    edit("notes/concepts/model-routing.md", None, "\nRouting sends 40% of queries to the cheaper model.\n")
    run(vault, cache_dir=cache, site=False)
    edit("notes/concepts/model-routing.md", None, "\nRouting halves the cost of a query.\n")
    run(vault, cache_dir=cache, site_dir=site_dir, pagefind=False)
    assert None in hashed


def test_an_edit_sends_pagefind_no_page_whose_searched_part_is_as_it_was(tmp_path, monkeypatch):
    """A new claim that cites a source adds a mark to the source's page, in a part Pagefind does not
    read (data-pagefind-ignore): the page is written, but its shard is not indexed again. The note's
    own page, whose text changed, is; and the next build has nothing left to send."""
    from kg.publish import shards
    from kg.publish.writer import searched_part

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site)
    before = _pages(site)
    asked: list[set[str]] = []
    real = shards.update
    monkeypatch.setattr(shards, "update", lambda out, searchable, changed, **later: asked.append(set(changed))
                        or real(out, searchable, changed, **later))
    note = vault / "notes" / "orgs" / "anthropic.md"  # a line at the end: no line that pages show moves
    note.write_text(note.read_text(encoding="utf-8") + "- Anthropic's Mythos 5 has 10T parameters "
                    "([[sources/closed-source-convergence]]).\n", encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site)
    after = _pages(site)
    source = "sources/closed-source-convergence.html"
    assert after[source] != before[source]  # the source's page marks the sentence the new claim cites
    assert searched_part(after[source]) == searched_part(before[source])
    [sent] = asked
    assert "concepts/anthropic.html" in sent and source not in sent, sent
    assert edited.site["search_error"] is None
    asked.clear()
    run(vault, cache_dir=cache, site_dir=site)
    assert asked == []


def test_a_page_lists_its_tensions_in_one_order_whatever_the_process(demo_site, tmp_path):
    """Two processes with different string hashes draw every page alike: a concept's tensions were
    listed in the order of a set of claim ids, so they changed places at every build that drew the
    page, and each such build wrote it and sent it to Pagefind for nothing."""
    import os
    import subprocess
    import sys

    from tests.conftest import copy_demo_cache

    script = ("import sys; from pathlib import Path; from kg.build import run; "
              "run(Path(sys.argv[1]), cache_dir=Path(sys.argv[2]), site_dir=Path(sys.argv[3]), pagefind=False)")
    sites = []
    for seed in ("1", "2"):
        cache = copy_demo_cache(demo_site, tmp_path / f"cache-{seed}")
        done = subprocess.run([sys.executable, "-c", script, str(ROOT), str(cache), str(tmp_path / f"site-{seed}")],
                              cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        sites.append(_pages(tmp_path / f"site-{seed}"))
    assert sites[0].keys() == sites[1].keys()
    differ = [path for path in sites[0] if sites[0][path] != sites[1][path]]
    assert differ == []
    assert sum(page.count(b'class="tension ') for page in sites[0].values()) > 20  # pages that list tensions


def test_the_knowledge_let_go_before_the_meaning_search_is_made_again_when_asked(tmp_path, monkeypatch):
    """A build that draws the whole site lets the knowledge go once its pages are drawn (a 10k
    vault's claims and evidence held 0.6 GB through the meaning search); a Python user who asks for
    it afterwards gets the knowledge the build counted, made again from the settled memo. An edit,
    which draws a few pages, keeps it (letting a 10k vault's go took 0.5 s)."""
    from kg.publish import writer

    monkeypatch.setattr(writer, "PARALLEL_FROM", 30)  # the demo's 47 pages count as a whole site
    vault = _vault(tmp_path)
    done = run(vault, cache_dir=tmp_path / "cache", site_dir=tmp_path / "site")
    assert done.site["drawn"] >= 30 and done.analysis.found is None  # let go
    summary = done.analysis.summary
    k = done.knowledge
    assert (len(k.evidence), len(k.tensions)) == (summary["evidence"], summary["tensions"])
    assert sum(c.status == "supported" for c in k.claims if c.origin == "note") == summary["supported"]
    again = run(vault, cache_dir=tmp_path / "cache", site=False)  # unchanged: from the settled rows
    assert _state(again) == _state(done)

    from kg.claims import delta

    monkeypatch.setattr(delta, "patched", lambda *a, **k: None)  # (analysed, not patched)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 9% on coding tasks.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=tmp_path / "cache", site_dir=tmp_path / "site")
    assert edited.analysis.patched is None
    assert edited.site["drawn"] < 30 and edited.analysis.found is not None  # kept: not made again if asked
    assert _state(edited) == _state(run(vault, cache_dir=tmp_path / "cold", site=False))


def test_a_fresh_analysis_holds_no_evidence_source_parse_or_sentence_vector_through_the_tension_search(
        tmp_path, monkeypatch):
    """The tension search needs no evidence, no source parse and no sentence vector: a fresh
    analysis holds its inferred evidence as the JSON the store keeps (made again when asked, as a
    kept claim's is), lets go of the sources' parses the evidence search read, and has the
    sentence vectors written and mapped from their file (a 10k vault's 89k items, 138 MB, 1,000
    parses, 75 MB, and 107 MB of vectors were held through its peak); the result is what it was,
    and the next build reads it."""
    import numpy as np

    from kg.claims import analyse

    vault = _vault(tmp_path)
    plain = run(vault, cache_dir=tmp_path / "plain", site=False)
    seen = []
    real = analyse._tensions

    def spy(kb, out, *args):
        new = args[5]  # (listed, matrix, moved, fresh, memo, new)
        declared = sum(e.method == "declared" for e in out.evidence.models())
        seen.append((len(list(out.evidence.models())) - declared, [p for p in kb._docs if p in kb.source_by_path],
                     type(new.sentences[1]).__name__))
        return real(kb, out, *args)

    monkeypatch.setattr(analyse, "_tensions", spy)
    spied = run(vault, cache_dir=tmp_path / "spied", site=False)
    assert seen == [(0, [], "memmap")]
    assert len(spied.knowledge.evidence) > 100
    assert _state(spied) == _state(plain)
    [vectors] = (tmp_path / "spied").glob("sentence_vectors.*.npy")
    assert np.load(vectors).shape[0] > 100
    source = vault / "sources" / "closed-source-convergence.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nOpen models trail closed ones by 9% on coding.\n",
                      encoding="utf-8")
    edited = run(vault, cache_dir=tmp_path / "spied", site=False)
    assert 0 < edited.stats["knowledge_judged"] < spied.stats["knowledge_judged"] / 3
    assert _state(edited) == _state(run(vault, cache_dir=tmp_path / "cold", site=False))


def test_memory_a_stage_freed_goes_back_to_the_system():
    """What a stage frees is handed back to the system before the next one (kg.memory.give_back):
    glibc kept it resident, and the site's drawing workers were forked from a process holding
    it (after a 10k vault's knowledge stage, about 250 MB)."""
    import subprocess
    import sys

    from kg.memory import _trim

    if _trim() is None:
        pytest.skip("no malloc_trim in this C library")
    script = """
import sys
from kg.memory import give_back
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 >> 20
many = [bytes(1000 + i % 7) for i in range(200_000)]  # 200 MB in 1 KB blocks (malloc's, not pymalloc's)
kept = many[::50]
del many
before = rss()
give_back()
print(before, rss())
"""
    before, after = map(int, subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                            check=True).stdout.split())
    assert before - after > 100, (before, after)


def test_pages_drawn_by_forked_workers_are_the_pages_drawn_in_process(tmp_path, monkeypatch):
    """A large site is drawn by workers forked a batch at a time from the build, with the page
    templates compiled once before they fork (each worker compiled them again: a 10k redraw's
    drawing took 63-66 s, then 49-56 s); what they write is what the build draws alone."""
    from kg.publish import writer

    vault = _vault(tmp_path)
    run(vault, cache_dir=tmp_path / "cache", site_dir=tmp_path / "alone", pagefind=False, jobs=1)
    writer.environment.cache_clear()
    monkeypatch.setattr(writer, "PARALLEL_FROM", 1)
    forked = run(vault, cache_dir=tmp_path / "cache", site_dir=tmp_path / "forked", pagefind=False, jobs=2)
    assert forked.site["drawn"] > 20
    assert _pages(tmp_path / "forked") == _pages(tmp_path / "alone")
    compiled = {key[1] for key in writer.environment().cache.keys()}  # (loader, name) keys
    assert {"concept.html", "source.html", "home.html", "claims.html"} <= compiled  # in this process, before the fork


def test_an_edit_loads_the_model_once_for_its_passages_and_its_claims(tmp_path, monkeypatch):
    """An edit embeds its new passage (search index) and then its new claim (knowledge): one load of
    the model serves both (a second load was 0.5 s of a 10k vault's edit), and a one-shot build
    still lets it go at the end. That load is in a process forked for it as the build starts
    (kg.search.embed._Forked), which embeds what the build sends it."""
    from kg.search import embed

    monkeypatch.setattr(embed, "_KEEP_LOADED", False)
    monkeypatch.setattr(embed.threading, "active_count", lambda: 1)  # (as the `kg` command runs it)
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    loads, forks, sent = [], [], []

    class Counted(embed.Embedder):
        def __init__(self, *args, **kwargs):
            loads.append(1)
            super().__init__(*args, **kwargs)

    real_fork, real_embed = embed._Forked.__init__, embed._Forked.embed
    monkeypatch.setattr(embed._Forked, "__init__", lambda self: forks.append(1) or real_fork(self))
    monkeypatch.setattr(embed._Forked, "embed", lambda self, texts, *a: sent.append(len(texts)) or real_embed(self, texts, *a))
    monkeypatch.setattr(embed, "Embedder", Counted)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 13% on chess puzzles.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert edited.search["embedded"] >= 1 and edited.analysis.judged >= 1  # both stages embedded
    assert len(forks) == 1 and not loads  # (the forked process made its Embedder: this one made none)
    assert sent and edited.embedding["texts"] == sum(sent)  # what it embedded there is counted here
    assert embed._loaded.cache_info().currsize == 0 and embed._FORKED is None


def test_a_build_reports_the_texts_it_embedded_and_an_edit_only_its_new_ones(tmp_path):
    """`kg build --json`'s `embedding`: what the build ran through the model. A cold build embeds
    every passage, claim and source sentence once; a rebuild with nothing changed embeds nothing;
    an edit of one sentence embeds only the texts that sentence made (its passage, its claim)."""
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    cold = run(vault, cache_dir=cache, site=False).summary()["embedding"]
    assert cold["texts"] > 100 and cold["tokens"] > 5 * cold["texts"] and cold["seconds"] > 0
    assert run(vault, cache_dir=cache, site=False).summary()["embedding"] == {"texts": 0, "tokens": 0, "seconds": 0}
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 13% on chess puzzles.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False).summary()["embedding"]
    assert 1 <= edited["texts"] <= 3 and edited["tokens"] >= 10, edited
    shutil.rmtree(cache)  # every text again, as a cold build: the same count as the first one plus the edit's
    again = run(vault, cache_dir=cache, site=False).summary()["embedding"]
    assert cold["texts"] <= again["texts"] <= cold["texts"] + edited["texts"]


def test_an_edit_whose_sources_are_as_they_were_makes_only_the_source_sentences_it_looks_at(tmp_path, monkeypatch):
    """The matcher of an edit's new claims: while every source is as the last analysis found it,
    its sentences come from the kept roster and are made only where a claim looks (a 10k vault's
    edit read and made all 70k, 1.2 s); a source edited lists them all again. Either way the
    result is a cold build's."""
    from kg.claims import analyse
    from kg.claims.evidence import CANDIDATES

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    made = []
    real = analyse._roster_matcher
    monkeypatch.setattr(analyse, "_roster_matcher", lambda *args: made.append(real(*args)) or made[-1])
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace("\n## ", (
        "\n- Open models trail closed ones by 7% on reasoning tasks."
        "\n- Qwen3.6-Plus scored 61.6% on Terminal-Bench ([[sources/closed-source-convergence]]).\n\n## "), 1),
        encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    [matcher] = made
    assert matcher is not None
    listed = matcher.sentences
    # each new claim's nearest sentences, and every sentence of the source one of them cites
    looked_at = 2 * CANDIDATES + len(listed.by_source()["closed-source-convergence"])
    assert 0 < len(listed.made) <= looked_at < len(listed), (len(listed.made), looked_at, len(listed))
    cited = [e for e in edited.knowledge.evidence if e.method == "declared" and "Terminal-Bench" in e.quote]
    assert any(e.doc == "sources/closed-source-convergence.md" for e in cited)  # its best sentence, from the roster
    assert _state(edited) == _state(run(vault, cache_dir=tmp_path / "cold", site=False))

    made.clear()
    source = vault / "sources" / "open-weight-cascade.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nOpen models trail closed ones by 7% on reasoning tasks.\n",
                      encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert made == [None]  # a source changed: every sentence is listed again
    assert _state(edited) == _state(run(vault, cache_dir=tmp_path / "cold-again", site=False))


def test_a_one_shot_build_s_objects_leave_the_collector_s_sight_before_it_is_on_again(tmp_path, monkeypatch):
    """The `kg` command prints a build and exits: what the build made goes out of the collector's
    sight before the collector is on again, whose first scan of an edit's kept knowledge took 0.5 s
    at 10k notes. A process that builds again (kg serve) collects as before."""
    import gc

    from kg import build as builds

    vault = _vault(tmp_path)
    monkeypatch.setattr(builds, "_KEEP", False)
    builds.keep_out_of_collection()  # as the `kg` command does, before its build
    try:
        frozen = gc.get_freeze_count()
        done = run(vault, cache_dir=tmp_path / "cache", site=False)
        assert gc.get_freeze_count() > frozen + len(done.claims)
    finally:
        builds.collect_garbage()
    assert gc.get_freeze_count() == 0
    run(vault, cache_dir=tmp_path / "cache", site=False)
    assert gc.get_freeze_count() == 0  # not kept: collected as usual


def test_an_edit_keys_only_the_files_it_changed_and_ends_with_a_cold_build_s_keys(tmp_path, monkeypatch):
    """While the names links resolve against and how sources are cited are as they were, an
    unchanged file's claims key is the stored one: only the edited file's links are viewed, and
    those of the files that link a stub the edit made or retitled. A change to what every key is
    made from (a source's author) keys every file again."""
    from kg.claims import perfile, store

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, search=False, site=False)
    viewed = []
    real = perfile.link_views
    monkeypatch.setattr(store, "link_views", lambda kb, paths=None: viewed.append(paths) or real(kb, paths))

    def cold_keys() -> dict[str, str]:
        shutil.rmtree(tmp_path / "cold", ignore_errors=True)
        return run(vault, cache_dir=tmp_path / "cold", search=False, site=False).claim_files.keys

    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 4% says [[andrew-feldman]].\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, search=False, site=False)
    assert viewed == [["notes/concepts/quality-gap.md"]] * 2  # to key it, then to extract its claims
    assert any("4%" in c.text for c in edited.claims if c.doc == "notes/concepts/quality-gap.md")
    viewed.clear()
    assert edited.claim_files.keys == cold_keys()
    assert viewed == [None]

    # a link to a note not written yet makes a stub only the edited note links (a name too short
    # for a mention: a longer one has the files that may mention it read again, all links viewed)
    viewed.clear()
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Prices follow [[Q9]] closely.\n\n## ", 1), encoding="utf-8")
    stubbed = run(vault, cache_dir=cache, search=False, site=False)
    assert viewed == [["notes/concepts/quality-gap.md"]] * 2 and "q9" in stubbed.kb.concepts
    assert stubbed.claim_files.keys == cold_keys()
    # the first note (by path) that links a stub gives its title: the others that link it read otherwise
    viewed.clear()
    first = vault / "notes" / "concepts" / "closed-weight-models.md"
    first.write_text(first.read_text(encoding="utf-8").replace("[[EU AI Act]]", "[[EU AI act]]"), encoding="utf-8")
    retitled = run(vault, cache_dir=cache, search=False, site=False)
    assert viewed[0] == ["notes/concepts/closed-weight-models.md", "notes/concepts/model-licences.md"]
    assert any("EU AI act" in c.text for c in retitled.claims if c.doc == "notes/concepts/model-licences.md")
    assert retitled.claim_files.keys == cold_keys()

    # a source's citation reads otherwise: it and the files that cite it are keyed again
    viewed.clear()
    source = next(p for p in sorted((vault / "sources").iterdir()) if "author:" in p.read_text(encoding="utf-8"))
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("author:", "author: Someone Else, formerly", 1), encoding="utf-8")
    cited = run(vault, cache_dir=cache, search=False, site=False)
    path = f"sources/{source.name}"
    citing = sorted({r.doc for r in cited.kb.rows if r.target_doc == path} | {path})
    assert viewed[0] == citing and len(citing) < len(cited.claim_files.paths)
    assert cited.claim_files.keys == cold_keys()
    assert cited.claim_files.keys != edited.claim_files.keys

    # a note made where links pointed at nothing: it and the files whose links now find it are
    # keyed, not the vault (the names links resolve against changed)
    viewed.clear()
    (vault / "notes" / "concepts" / "q9.md").write_text("# Q9\n\nQ9 is a price index.\n", encoding="utf-8")
    made = run(vault, cache_dir=cache, search=False, site=False)
    assert viewed[0] == ["notes/concepts/q9.md", "notes/concepts/quality-gap.md"] and "q9" not in {
        c for c, concept in made.kb.concepts.items() if concept.stub}
    assert made.claim_files.keys == cold_keys()
    # deleted, and another note retitled: the files that linked them
    viewed.clear()
    (vault / "notes" / "concepts" / "q9.md").unlink()
    other = vault / "notes" / "concepts" / "closed-weight-models.md"
    other.write_text("---\ntitle: Closed models\n---\n" + other.read_text(encoding="utf-8"), encoding="utf-8")
    gone = run(vault, cache_dir=cache, search=False, site=False)
    linking = {r.doc for r in gone.kb.rows if r.target_doc == "notes/concepts/closed-weight-models.md"}
    assert viewed[0] == sorted(linking | {"notes/concepts/closed-weight-models.md", "notes/concepts/quality-gap.md"})
    assert gone.claim_files.keys == cold_keys()


def test_an_edit_reads_only_the_kept_evidence_its_pages_and_rows_ask_for(tmp_path, monkeypatch):
    """The evidence an edit keeps stays the store's JSON (kg.claims.evidence_set): the knowledge
    stage reads none of it but the claims whose settled rows share a bucket with a changed one (the
    site reads the claims of the pages it looks at); its counts, statuses and pages are a cold
    build's; and a store another build wrote since is said so, not read as this build's."""
    from kg.claims import store
    from kg.claims.evidence_set import EvidenceSet, Kept, StoreChanged

    vault = _vault(tmp_path)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nOpen models trail closed ones by 9% on coding tasks.\n",
                    encoding="utf-8")
    asked: list[str] = []
    real = store.evidence_json
    monkeypatch.setattr(store, "evidence_json", lambda folder, claims: asked.extend(claims) or real(folder, claims))
    edited = run(vault, cache_dir=cache, site=False)
    evidence = edited.knowledge.evidence
    assert isinstance(evidence, EvidenceSet)
    [kept] = [p for p in evidence.parts if isinstance(p, Kept)]
    assert len(kept.claims) > 50 and len(set(asked)) <= 2, (len(set(asked)), len(kept.claims))
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)  # the pages, from the rows it left
    evidence = edited.knowledge.evidence
    [kept] = [p for p in evidence.parts if isinstance(p, Kept)]

    cold = run(vault, cache_dir=tmp_path / "cold-cache", site_dir=tmp_path / "cold-site", pagefind=False)
    assert edited.analysis.summary == cold.analysis.summary
    assert _state(edited) == _state(cold)  # (every kept item read now, in the list's order)
    assert _pages(site) == _pages(tmp_path / "cold-site")

    db = store.KnowledgeStore(cache)  # another build rewrote a kept claim's items
    with db.db:
        db.db.execute("UPDATE inferred SET data = '[]' WHERE claim = ?", (kept.claims[-1],))
    db.close()
    kept.made.clear()
    with pytest.raises(StoreChanged, match="build again"):
        list(evidence)


def test_a_link_a_neighbour_gains_redraws_a_page_only_when_its_graph_draws_it(tmp_path, monkeypatch):
    """A concept page's local graph shows the notes around it and the links between them. A
    neighbour that links to a note the picture leaves out changes nothing on the page, so the page
    is not drawn again (its inputs once held a hash of every link of every neighbour: at 10k notes,
    one new link redrew 11 concept and 3 source pages to the same bytes); a link between two notes
    the picture shows is a new edge, and the page is drawn with it."""
    from kg.publish import writer

    vault, cache, site = tmp_path / "vault", tmp_path / "cache", tmp_path / "site"
    (vault / "notes").mkdir(parents=True)
    (vault / "kg.toml").write_text("[vault]\n", encoding="utf-8")
    notes = {"pivot": "# Pivot\n\nThe pivot leans on [[quay]] for its footing.\n",
             "near": "# Near\n\nThe near note builds on [[pivot]].\n",
             "quay": "# Quay\n\nThe quay stands alone.\n",
             "far": "# Far\n\nThe far note is about something else.\n"}
    for name, text in notes.items():
        (vault / "notes" / f"{name}.md").write_text(text, encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    page = site / "concepts" / "pivot.html"
    before = page.read_bytes()
    assert b"Near" in before and b"Quay" in before and b"Far" not in before  # its picture: near and quay
    drawn, draw = [], writer.draw
    monkeypatch.setattr(writer, "draw", lambda s, p: drawn.append(p.path) or draw(s, p))

    near = vault / "notes" / "near.md"
    near.write_text(notes["near"] + "\nIt also cites [[far]].\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert "concepts/near.html" in drawn and "concepts/far.html" in drawn
    assert "concepts/pivot.html" not in drawn, drawn  # far is not in its picture
    assert page.read_bytes() == before

    drawn.clear()
    near.write_text(notes["near"] + "\nIt also stands on [[quay]].\n", encoding="utf-8")
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert "concepts/pivot.html" in drawn  # near -> quay: an edge between two nodes it shows
    assert page.read_bytes() != before


def test_an_edit_reads_the_stored_rows_of_its_own_files_and_a_word_come_into_use_those_that_asked(
        tmp_path, monkeypatch):
    """A source's claims read its capitalised words as names when another source uses them
    mid-sentence, so every file's claims depend on the whole vault's count of those words. An edit
    reads the stored rows of the files it changed and counts from the last count; a word that comes
    into use makes it read every row, to extract again the files that asked about that word. Either
    way the stored rows and the count end as a cold build's."""
    import marshal
    import sqlite3

    from kg.claims import store
    from kg.claims.perfile import claims_of

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, search=False, site=False)
    read: list[list[str] | None] = []
    real = store.KnowledgeStore.file_states
    monkeypatch.setattr(store.KnowledgeStore, "file_states",
                        lambda self, paths=None: read.append(paths) or real(self, paths))

    def rows(folder: Path) -> tuple[list, dict]:
        """Each file's stored row (its claims and names decoded: marshal's bytes depend on which
        strings the writing process shared) and the count of words used mid-sentence."""
        db = sqlite3.connect(folder / store.FILE)
        try:
            files = [(p, key, asked, mid, [c.model_dump() for c in claims_of(claims)], marshal.loads(columns),
                      marshal.loads(named))
                     for p, key, asked, mid, claims, columns, named in db.execute(
                         "SELECT path, key, asked, mid, claims, columns, named FROM files JOIN file_index USING (path, key) "
                         "ORDER BY path")]
            return files, store.kept_data(db.execute("SELECT value FROM meta WHERE key = 'mid_counts'").fetchone()[0])
        finally:
            db.close()

    def cold_rows() -> tuple[list, dict]:
        shutil.rmtree(tmp_path / "cold", ignore_errors=True)
        run(vault, cache_dir=tmp_path / "cold", search=False, site=False)
        return rows(tmp_path / "cold")

    source = vault / "sources" / "open-weight-cascade.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nThe study found that prices fell by 9% in a year.\n",
                      encoding="utf-8")
    run(vault, cache_dir=cache, search=False, site=False)
    assert read == [["sources/open-weight-cascade.md"], []]  # its own row, then none more to extract
    assert rows(cache) == cold_rows()

    files, counts = rows(cache)
    asking = sorted(p for p, _, asked, *_ in files if json.loads(asked).get("Feldman") is False)
    assert asking and "Feldman" not in counts  # notes start sentences with the name; no source uses it mid-sentence
    read.clear()
    source.write_text(source.read_text(encoding="utf-8") + "\nA talk by Feldman covered the prices.\n",
                      encoding="utf-8")
    edited = run(vault, cache_dir=cache, search=False, site=False)
    assert read[:2] == [["sources/open-weight-cascade.md"], None]  # the count of a word flipped: every row
    files, counts = rows(cache)
    assert counts["Feldman"] == 1 and all(json.loads(asked)["Feldman"] for p, _, asked, *_ in files if p in asking)
    assert any("Feldman" in c.subjects for c in edited.claims if c.doc in asking)
    assert (files, counts) == cold_rows()


def test_what_an_older_kg_kept_as_json_makes_the_claims_stage_check_every_key_again(tmp_path):
    """The claims stage keeps the files' hashes and links and the sources' mid-sentence words as
    marshal (kg.claims.store.kept_data); where an older kg left them as JSON, the next build reads
    them as none and checks every file's key again, ending as a cold build does."""
    import sqlite3

    from kg.claims import store

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, search=False, site=False)
    db = sqlite3.connect(cache / store.FILE)
    with db:
        for key in ("file_hashes", "mid_counts"):
            value = store.kept_data(db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])
            assert isinstance(value, dict) and value
            db.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(value), key))
    db.close()
    assert store.kept_data(json.dumps({"a": 1})) is None and store.kept_data(b"not marshal") is None
    note = vault / "notes" / "concepts" / "quality-gap.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        "\n## ", "\n- Open models trail closed ones by 7% on ledgers.\n\n## ", 1), encoding="utf-8")
    edited = run(vault, cache_dir=cache, search=False, site=False)
    cold = run(vault, cache_dir=tmp_path / "cold", search=False, site=False)
    assert [c.model_dump() for c in edited.claims] == [c.model_dump() for c in cold.claims]
    assert any("ledgers" in c.text for c in edited.claims)


_FERN = ("# Office fern\n\nThe office fern on my desk grew by 3 cm during 2024 in the north window.\n\n"
         "Its soil dries out within four days when the heating runs in winter.\n")


def _counting(monkeypatch) -> tuple[list[bool], list[int]]:
    """Lists that record, build by build, whether kg.claims.delta patched the rows and whether the
    whole analysis ran."""
    from kg.claims import analyse, delta

    patched: list[bool] = []
    real = delta.patched
    monkeypatch.setattr(delta, "patched", lambda *a, **k: patched.append((r := real(*a, **k)) is not None) or r)
    analysed: list[int] = []
    whole = analyse.analyse
    monkeypatch.setattr(analyse, "analyse", lambda *a, **k: analysed.append(1) or whole(*a, **k))
    return patched, analysed


def _ends_as_cold(edited, rows: dict, site: Path, vault: Path, tmp_path: Path, n: int, what: str) -> None:
    """An edit's build (`edited`, its settled `rows`, its `site`) ends where a cold build of the vault
    ends: counts, problems, every row and every page."""
    cold = run(vault, cache_dir=tmp_path / f"cold-{n}", site_dir=tmp_path / f"cold-site-{n}", pagefind=False)
    assert edited.analysis.summary == cold.analysis.summary, what
    assert [d.model_dump() for d in edited.analysis.problems] == [d.model_dump() for d in cold.analysis.problems], what
    assert rows == _settled_rows(tmp_path / f"cold-{n}"), what
    assert _pages(site) == _pages(tmp_path / f"cold-site-{n}"), what


def test_a_few_claims_that_take_part_in_nothing_else_are_patched_into_the_rows_as_a_cold_build_finds_them(
        tmp_path, monkeypatch):
    """A claim added to or taken out of a note, a note made or deleted, a question: when what they
    take part in reaches no other claim (no tension, no shared fact), the rows are patched instead
    of analysing the vault again, the related claims of the notes they come near ranked again, and
    every page, count, problem and row is what a cold build makes; so for a claim that meets others
    in a tension (the test below goes through those)."""
    patched, analysed = _counting(monkeypatch)
    vault = _vault(tmp_path)
    fern = vault / "notes" / "garden" / "office-fern.md"
    fern.parent.mkdir()
    fern.write_text(_FERN, encoding="utf-8")
    cactus = vault / "notes" / "garden" / "cactus.md"
    cache, site = tmp_path / "cache", tmp_path / "site"
    first = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    steps = [
        ("a claim added", True, lambda: fern.write_text(
            _FERN + "\nA second fern by the door has grown 11 new fronds since March 2025.\n", encoding="utf-8")),
        ("a claim taken out", True, lambda: fern.write_text(_FERN.replace(
            "Its soil dries out within four days when the heating runs in winter.\n", ""), encoding="utf-8")),
        ("a note made", True, lambda: cactus.write_text(
            "# Cactus\n\nThe cactus on the shelf flowered twice in 2023, both times in late May.\n", encoding="utf-8")),
        ("a claim near another note's", True, lambda: cactus.write_text(
            "# Cactus\n\nThe cactus on the shelf flowered twice in 2023, both times in late May.\n\n"
            "Beside it, the office fern on my desk grows slowly by the cold north window.\n", encoding="utf-8")),
        ("a question", True, lambda: fern.write_text(
            _FERN + "\n## Open questions\n\n- Would the fern grow faster in the south window?\n", encoding="utf-8")),
        ("a note deleted", True, cactus.unlink),
        ("a claim that meets others", True, lambda: fern.write_text(
            _FERN + "\nOpen models trail closed ones by 9% on coding tasks.\n", encoding="utf-8")),
        ("that claim taken out", True, lambda: fern.write_text(_FERN, encoding="utf-8")),
    ]
    for n, (what, patches, step) in enumerate(steps):
        step()
        patched.clear(), analysed.clear()
        edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert patched == [patches] and bool(analysed) != patches, what
        rows = _settled_rows(cache)
        _ends_as_cold(edited, rows, site, vault, tmp_path, n, what)
        if what == "a claim near another note's":  # each note lists the other's claim as related
            related = _settled_rows(cache)["related"]
            assert any(doc == "notes/garden/office-fern.md" and "cactus" in keys for doc, keys in related)
        if what == "a claim added":  # shown on its note's page, counted on the home page
            assert "11 new fronds" in (site / "concepts" / "office-fern.html").read_text("utf-8")
            assert edited.analysis.summary["note_claims"] == first.analysis.summary["note_claims"] + 1


def test_a_figure_changed_is_patched_with_the_tensions_and_clusters_it_makes_or_ends(tmp_path, monkeypatch):
    """A writer corrects a figure: the claim then disagrees with another note's or a source's, or
    agrees again, joins a fact other files state or leaves it, takes a stance against a source's.
    The build patches the rows (no whole analysis) and finds what a cold build finds: the tensions
    from pairs of claims, from a claim's evidence (a source sentence with another figure) and from
    stances, the clusters, and the status and counts of the other files' claims they change. A
    claim that cites a source has that source's evidence found as the analysis finds it."""
    from kg.claims import tensions

    patched, analysed = _counting(monkeypatch)
    stances_paired: list[int] = []  # (the polarity tensions found again: only when the stances changed)
    pairing = tensions.polarity_pairs
    monkeypatch.setattr(tensions, "polarity_pairs", lambda pool: stances_paired.append(1) or pairing(pool))
    vault = _vault(tmp_path)
    fern = vault / "notes" / "garden" / "fern.md"
    fern.parent.mkdir()
    fern.write_text("# Fern\n\nThe office fern on my desk grew by 3 cm during 2024 in the north window.\n",
                    encoding="utf-8")
    deepseek, gap = vault / "notes" / "orgs" / "deepseek.md", vault / "notes" / "concepts" / "quality-gap.md"
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)

    def edit(note: Path, old: str, new: str):
        return lambda: note.write_text(note.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    r1 = "2. R1 matched GPT-4 at a 10–50x lower training cost.\n"
    steps = [  # (what, the step, how the shown tensions change, whether claims of other files change)
        ("a stance", edit(fern, "window.\n", "window.\n\nQwen3.6-Plus is an open-weight model released under "
                                             "Apache 2.0.\n"), 1, True),
        ("the stance turned", edit(fern, "an open-weight model released under Apache 2.0",
                                   "a closed model, the first closed Qwen flagship"), 0, True),
        ("a fact other files state", edit(fern, "window.\n", "window.\n\nDeepSeek's R1 matched GPT-4 while its "
                                                             "training cost was 10–50x lower.\n"), 0, True),
        ("its figure changed", edit(fern, "10–50x lower", "70–80x lower"), 4, True),
        ("another file's claim of it taken out", edit(deepseek, r1, ""), 0, True),
        ("the figure changed back", edit(fern, "70–80x lower", "10–50x lower"), -4, True),
        ("a figure against the quality gap", edit(gap, "\n## ", "\n- Open models trail closed ones by 9% on "
                                                                "coding tasks.\n\n## "), 1, True),
        ("that figure corrected", edit(gap, "by 9% on coding", "by 2% on coding"), -1, True),
        ("a cited figure changed", edit(gap, "in January 2025 at a 10–50x lower", "in January 2025 at a 70–90x lower"),
         2, True),
        ("and changed back", edit(gap, "at a 70–90x lower", "at a 10–50x lower"), -2, True),
    ]
    shown = run(vault, cache_dir=tmp_path / "cold-0", site=False).analysis.summary["tensions"]
    for n, (what, step, more, elsewhere) in enumerate(steps, 1):
        before = _settled_rows(cache)["settled"]
        step()
        patched.clear(), analysed.clear(), stances_paired.clear()
        edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert patched == [True] and not analysed, what
        assert bool(stances_paired) == what.startswith(("a stance", "the stance")), what
        rows = _settled_rows(cache)
        _ends_as_cold(edited, rows, site, vault, tmp_path, n, what)
        assert edited.analysis.summary["tensions"] == shown + more, what
        shown += more
        mine = ("notes/garden/fern.md", "notes/orgs/deepseek.md", "notes/concepts/quality-gap.md")
        others = {tuple(r) for r in rows["settled"] if r[0] not in mine} ^ {tuple(r) for r in before if r[0] not in mine}
        assert bool(others) == elsewhere, what


def _memo_of(cache: Path) -> dict:
    """What an analysis keeps for the next one (kg.claims.store: `KnowledgeStore.save`), as plain data."""
    import sqlite3

    import numpy as np

    with np.load(cache / "claim_pool.npz") as saved:
        out = {k: saved[k].tolist() for k in ("pool", "kth", "pairs", "cosines")}
        out["crowded"] = str(saved["crowded"]) if "crowded" in saved.files else None
        out["docs"] = [saved["doc_names"][r].decode() for r in saved["doc_rows"]]
    db = sqlite3.connect(cache / "knowledge.sqlite")
    try:
        out["related"] = sorted(db.execute("SELECT * FROM related"))
        out["inferred"] = {claim: rest for claim, *rest in db.execute("SELECT * FROM inferred")}
        out["reranked"] = json.loads((db.execute("SELECT value FROM meta WHERE key = 'reranked'").fetchone() or ["[]"])[0])
    finally:
        db.close()
    return out


def test_a_patch_keeps_the_memo_an_analysis_of_the_edit_keeps_and_the_next_edit_pays_for_its_own_change(
        tmp_path, monkeypatch):
    """A patch writes what the analysis keeps for the next build (the pool of claims with their
    vectors and k-th cosines, every candidate pair with its verdict and cosine, the related
    claims, the new claims' evidence) as a whole analysis of the same edit writes it. So the next
    edit pays for its own change alone: before, a patch left the memo at the last analysis, and
    every later patch found the pairs of every claim taken out since then again (0.6 s of each
    one-note edit at 10k notes after one figure corrected, until an analysis ran)."""
    from kg.claims import analyse, delta

    patched, analysed = _counting(monkeypatch)
    vault = _vault(tmp_path)
    fern, deepseek = vault / "notes" / "garden" / "fern.md", vault / "notes" / "orgs" / "deepseek.md"
    fern.parent.mkdir()
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    paired: list[tuple[int, int]] = []  # (claims new to the pool, claims gone from it) of each patch's pairs
    pairing = analyse.edited_pairs
    monkeypatch.setattr(analyse, "edited_pairs", lambda pool, matrix, fresh, gone, *a: paired.append(
        (len(fresh), 0 if gone is None else len(gone))) or pairing(pool, matrix, fresh, gone, *a))

    def edit(note: Path, old: str, new: str):
        return lambda: note.write_text(note.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    steps = [  # (what, the step, the claims it adds to the pool and takes out)
        ("a note with a figure", lambda: fern.write_text(
            "# Fern\n\nThe office fern on my desk grew by 3 cm during 2024 in the north window.\n", encoding="utf-8"),
         (1, 0)),
        ("its figure corrected", edit(fern, "by 3 cm", "by 5 cm"), (1, 1)),
        ("another note's claim taken out", edit(deepseek, "2. R1 matched GPT-4 at a 10–50x lower training cost.\n", ""),
         (0, 1)),
        ("the figure corrected back", edit(fern, "by 5 cm", "by 3 cm"), (1, 1)),
    ]
    for n, (what, step, own) in enumerate(steps):
        other = tmp_path / f"analysed-{n}"
        shutil.copytree(cache, other)
        step()
        patched.clear(), analysed.clear(), paired.clear()
        run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert patched == [True] and not analysed and paired == [own], what
        with monkeypatch.context() as m:
            m.setattr(delta, "patched", lambda *a, **k: None)
            run(vault, cache_dir=other, site=False)
        kept, made = _memo_of(cache), _memo_of(other)
        assert kept["reranked"] == [] and made["reranked"] == [], what
        for key in ("pool", "kth", "pairs", "cosines", "crowded", "docs", "related"):
            assert kept[key] == made[key], (what, key)
        # (the k-th sentence's cosine of a claim judged alone may differ in its last bits from one judged among many)
        for claim, (dep, kth, *rest) in made["inferred"].items():
            assert kept["inferred"][claim][0] == dep and kept["inferred"][claim][2:] == rest, (what, claim)
            assert kept["inferred"][claim][1] == pytest.approx(kth, abs=1e-6), (what, claim)


def test_a_claim_whose_status_alone_changed_reaches_the_pages_that_show_it_not_its_files_neighbours(tmp_path):
    """When a patch or an analysis changes only the status or counts of another file's claim (a
    tension it is now in), the pages reached are those that show that claim: its file's, its
    concepts', the sources of its evidence. Not the notes that list that file's other claims among
    their related claims, which show each claim's text and file, not its status: at 10k notes, the
    9 files a figure's new tension restated reached 224 such notes, and the site was planned with
    the whole knowledge (3 s). A file whose claims were extracted again reaches those notes."""
    from kg.claims.store import Changed, KnowledgeStore, _reach

    vault = _vault(tmp_path)
    done = run(vault, cache_dir=tmp_path / "cache", site=False)
    store = KnowledgeStore(tmp_path / "cache")
    try:
        related = {doc: {d for _, d in json.loads(keys)} for doc, keys in store.db.execute("SELECT doc, keys FROM related")}
        listed = {d for docs in related.values() for d in docs}
        claim = next(c for c in done.knowledge.claims if c.doc in listed and c.kind == "claim" and c.origin == "note"
                     and len([n for n, docs in related.items() if c.doc in docs and n != c.doc]) >= 2)
        near = {n for n, docs in related.items() if claim.doc in docs and n != claim.doc}

        def reached(restated: bool) -> set[str]:
            changed = Changed(docs={claim.doc}, ids={claim.id}, restated={claim.doc} if restated else set())
            return _reach(done.kb, store, changed)

        holders = {doc for (doc,) in store.db.execute("SELECT doc FROM settled WHERE id = ?", (claim.id,))}
        assert near - holders <= reached(restated=False)  # extracted again: the related claims may read otherwise
        assert not (near - holders) & reached(restated=True), claim.doc
        assert claim.doc in reached(restated=True)
    finally:
        store.close()


def _sources_vault(tmp_path: Path) -> Path:
    """The demo's sources alone, with its settings: a vault without notes."""
    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "sources", vault / "sources")
    shutil.copy(ROOT / "kg.toml", vault / "kg.toml")
    return vault


def _fern_note(note: Path) -> None:
    """A note of one statement, which no source backs."""
    note.parent.mkdir(exist_ok=True)
    note.write_text("# Fern\n\nThe office fern on my desk grows slowly by the cold north window.\n", encoding="utf-8")


def test_a_patch_counts_the_unsupported_claims_again_when_the_line_was_at_the_changed_note(tmp_path):
    """The info line "N claims in M notes have no source" sits at the first such claim of the
    vault. When that claim is in the note a patch changes, and no other note has one, the patch says
    the line again from that note (or drops it), as a cold build does."""
    vault = _sources_vault(tmp_path)
    note = vault / "notes" / "fern.md"
    _fern_note(note)
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    steps = [("a second claim", lambda: note.write_text(note.read_text(encoding="utf-8")
                                                         + "\nIts soil dries out quickly when the heating runs in winter.\n",
                                                         encoding="utf-8")),
             ("the note deleted", note.unlink)]
    for n, (what, step) in enumerate(steps):
        step()
        edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert edited.analysis.patched == ["notes/fern.md"], what
        cold = run(vault, cache_dir=tmp_path / f"cold-{n}", site_dir=tmp_path / f"cold-site-{n}", pagefind=False)
        lines = [d.message for d in edited.analysis.problems if d.code == "unsupported-claim"]
        assert lines == [d.message for d in cold.analysis.problems if d.code == "unsupported-claim"], what
        assert lines == (["2 claims in 1 note have no source behind them; `kg claims --status unsupported` lists them"]
                         if n == 0 else []), what
        assert edited.analysis.summary == cold.analysis.summary, what
        assert _pages(site) == _pages(tmp_path / f"cold-site-{n}"), what


def test_notes_without_claims_do_not_count_as_changed_for_a_patch(tmp_path):
    """A file with no claims has no settled rows; it was counted as a changed file by every patch,
    and past DELTA_MOST of them (SciFact has 123 abstracts without a checkable sentence) no edit was
    patched. An edit beside many such notes is patched, and finds what a cold build finds."""
    from kg.claims.delta import DELTA_MOST

    vault = _sources_vault(tmp_path)
    note = vault / "notes" / "fern.md"
    _fern_note(note)
    for n in range(DELTA_MOST + 6):
        (vault / "notes" / f"stub-{n}.md").write_text(f"# Stub {n}\n\nSee [[fern]].\n", encoding="utf-8")
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    note.write_text(note.read_text(encoding="utf-8") + "\nIts soil dries out quickly when the heating runs in winter.\n",
                    encoding="utf-8")
    edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    assert edited.analysis.patched == ["notes/fern.md"]
    cold = run(vault, cache_dir=tmp_path / "cold", site_dir=tmp_path / "cold-site", pagefind=False)
    assert edited.analysis.summary == cold.analysis.summary
    assert _settled_rows(cache) == _settled_rows(tmp_path / "cold")
    assert _pages(site) == _pages(tmp_path / "cold-site")


def _models_a_patch_makes(tmp_path: Path, monkeypatch, vault: Path, cache: Path, step) -> int:
    """How many claim models the build after `step()` makes (kg.claims.perfile's `_claim`), with
    that build patched into fern.md's rows and ending where a cold build ends."""
    from kg.claims import perfile

    made = []
    real = perfile._claim
    monkeypatch.setattr(perfile, "_claim", lambda values: made.append(values) or real(values))
    step()
    edited = run(vault, cache_dir=cache, site=False)
    monkeypatch.setattr(perfile, "_claim", real)
    assert edited.analysis.patched == ["notes/fern.md"]
    cold = run(vault, cache_dir=tmp_path / "cold", site=False)
    assert edited.analysis.summary == cold.analysis.summary
    assert _settled_rows(cache) == _settled_rows(tmp_path / "cold")
    return len(made)


def test_a_patch_makes_the_models_of_the_claims_it_looks_at_not_of_every_claim(tmp_path, monkeypatch):
    """An edit's patch lists every claim from its stored fields and makes a model only of the
    claims it looks at (kg.claims.perfile.ClaimRows): the edited note's and their neighbours', not
    the vault's (a 10k vault's 150k models took 1.0 s of every edit). It finds what a cold build
    finds."""
    vault = _sources_vault(tmp_path)
    note = vault / "notes" / "fern.md"
    _fern_note(note)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    made = _models_a_patch_makes(tmp_path, monkeypatch, vault, cache, lambda: note.write_text(
        note.read_text(encoding="utf-8") + "\nIts soil dries out quickly when the heating runs in winter.\n",
        encoding="utf-8"))
    assert first.analysis.summary["claims"] > 100 and 0 < made <= 20


def _forty_notes(tmp_path: Path) -> Path:
    vault = tmp_path / "vault"
    (vault / "notes").mkdir(parents=True)
    topics = ["steel", "wheat", "copper", "cotton", "coffee", "timber", "salmon", "lithium", "cocoa", "rubber"]
    for i in range(40):
        (vault / "notes" / f"n{i:02d}.md").write_text(
            f"# Note {i}\n\nThe {topics[i % 10]} market in region {i} grew by {i + 3}% in 2023.\n\n"
            f"Farmers in region {i} sold {i * 7 + 11} tonnes of {topics[i % 10]} to buyers abroad.\n", encoding="utf-8")
    return vault


def _patched_forty(tmp_path: Path, monkeypatch, patches) -> tuple:
    """The forty notes built, then one of them given a line of prose and built again, with `patches()`
    made first: (the edited build, a cold build of the same notes, each read of the claims store as
    (column, files))."""
    from kg.claims import store

    vault = _forty_notes(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    reads, real_fetch = [], store.KnowledgeStore.stored_claims

    def fetch(self, paths: list[str], column: str = "claims") -> dict[str, bytes]:
        reads.append((column, list(paths)))
        return real_fetch(self, paths, column)

    monkeypatch.setattr(store.KnowledgeStore, "stored_claims", fetch)
    patches()
    note = vault / "notes" / "n07.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nThe office fern on my desk grows slowly by the cold north window.\n",
                    encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    monkeypatch.undo()
    cold = run(vault, cache_dir=tmp_path / "cold", site=False)
    assert edited.analysis.patched == ["notes/n07.md"]
    assert _settled_rows(cache) == _settled_rows(tmp_path / "cold")  # where a cold build ends
    return edited, cold, reads


def test_a_patch_that_asks_for_many_files_columns_reads_the_rest_at_once(tmp_path, monkeypatch):
    """Past `ONE_BY_ONE` files, a patch reads the columns of every file left in one go (at 10k notes
    it asks for some 1,250 files': read one by one, 0.3 s), and ends where a cold build ends."""
    from kg.claims import perfile

    _, _, reads = _patched_forty(tmp_path, monkeypatch, lambda: monkeypatch.setattr(perfile, "ONE_BY_ONE", 1))
    sizes = [len(paths) for column, paths in reads if column == "columns"]
    assert sizes[0] == 1 and len(sizes) == 2 and sizes[1] > 1, sizes  # one file, then the rest


def test_a_patch_reads_the_stored_claims_of_the_files_it_changed_and_the_columns_of_their_neighbours(
        tmp_path, monkeypatch):
    """An edit's patch lists the vault's claims from their records (kg.claims.perfile.LISTED: kind,
    origin, block and key, as arrays), reads the stored claims of the edited note alone, and the
    rest of a claim's fields (its id, mentions, measures and stances) only for the files whose
    claims it looks at, read from the store for those alone: a 10k vault decoded every file's as
    lists on each edit (0.26-0.37 s), then read them all (0.03 s). It finds what a cold build finds."""
    from kg.claims import perfile

    unpacked, real_columns = set(), perfile.ClaimRows.columns_of
    edited, cold, reads = _patched_forty(tmp_path, monkeypatch, lambda: monkeypatch.setattr(
        perfile.ClaimRows, "columns_of", lambda self, f: unpacked.add(self.paths[f]) or real_columns(self, f)))
    assert [p for column, paths in reads if column == "claims" for p in paths] == ["notes/n07.md"]
    assert "notes/n07.md" in unpacked and len(unpacked) < 20, sorted(unpacked)
    # the columns are read from the store only for those files
    assert sorted(p for column, paths in reads if column == "columns" for p in paths) == sorted(unpacked)
    assert edited.analysis.summary == cold.analysis.summary


def test_an_edit_that_leaves_the_names_as_they_were_keeps_the_names_mentions_match(tmp_path, monkeypatch):
    """The names a claim's mentions match (kg.claims.perfile.mention_names) are made again only when
    a title, an alias, a note or a stub changed: a prose edit keeps the stored ones, and its claims
    are stored as they were, byte for byte (it analyses nothing); a new alias makes them again, and
    the build ends where a cold build ends."""
    from kg.claims import store

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    made = []
    real = store.mention_names
    monkeypatch.setattr(store, "mention_names", lambda concepts: made.append(1) or real(concepts))
    joe = vault / "notes" / "people" / "joe-weisenthal.md"
    joe.write_text(joe.read_text(encoding="utf-8") + "\nA note on nothing in particular.\n", encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert made == [] and edited.analysis.judged is None
    gap = vault / "notes" / "concepts" / "quality-gap.md"
    gap.write_text(gap.read_text(encoding="utf-8").replace("aliases: [", "aliases: [frontier lead, ", 1),
                   encoding="utf-8")
    renamed = run(vault, cache_dir=cache, site=False)
    assert made == [1]
    cold = run(vault, cache_dir=tmp_path / "cold", site=False)
    assert _state(renamed) == _state(cold)


def test_the_keys_of_a_listing_of_records_find_their_rows_as_the_lists_do():
    """A listing of records joins its keys with a memo's in sorts (kg.claims.analyse.
    rows_both_arrays): each finds the rows a dict of the lists finds, the last of a key written
    twice included, and -1 for a key not there."""
    import numpy as np

    from kg.claims.analyse import rows_both, rows_both_arrays

    def key(k: int, alike: bool = False) -> str:  # 24 hex digits; alike: the first 16 those of others
        return f"{(k % 40 if alike else k) * 2654435761 % 2**64:016x}{k:08x}"

    rng = np.random.default_rng(7)
    for n, m, alike in ((0, 5, False), (5, 0, False), (300, 250, False), (1000, 1200, False), (300, 250, True)):
        words = [key(k, alike) for k in rng.integers(0, 400, size=n + m).tolist()]  # (many keys twice)
        keys, among = words[:n], words[n:]
        want = rows_both(keys, among)
        got = rows_both_arrays(np.array(keys, dtype="S24"), np.array(among, dtype="S24"))
        assert [a.tolist() for a in got] == [a.tolist() for a in want]
        assert (want[0] >= 0).any() or not (n and m)
    keys = [key(k) for k in range(50)]  # each once, some twice among the others
    for among in ([key(k) for k in (3, 7, 3, 60, 7, 49, 3)], [key(k) for k in (9, 3, 60)]):
        assert [a.tolist() for a in rows_both_arrays(np.array(keys, dtype="S24"), np.array(among, dtype="S24"))] \
            == [a.tolist() for a in rows_both(keys, among)]


def _declared_made(monkeypatch) -> list:
    """The calls that make the notes' declared tensions (kg.claims.analyse._declared_tensions)."""
    from kg.claims import analyse

    calls = []
    real = analyse._declared_tensions
    monkeypatch.setattr(analyse, "_declared_tensions", lambda *args: calls.append(args[0]) or real(*args))
    return calls


def test_a_note_made_keeps_the_declared_tensions_when_their_notes_link_as_they_did(tmp_path, monkeypatch):
    """A note made changes the names links resolve against. When the notes that declare tensions
    link where they did (their link digests are the stored ones), a patch keeps their declared
    tensions without making them again (0.2-0.3 s of a note made at 6,571 or 10k notes) and makes
    the models of the new note's claims alone. It finds what a cold build finds."""
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    assert any(t.kind == "declared" for t in first.knowledge.tensions)
    calls = _declared_made(monkeypatch)
    made = _models_a_patch_makes(tmp_path, monkeypatch, vault, cache, lambda: _fern_note(vault / "notes" / "fern.md"))
    assert len(calls) == 1  # (by the cold build that the patch is checked against, not by the patch)
    # (the statements that take a stance, which the polarity tensions are ranked over, and the new one:
    # 89 of the vault's 477 statements; with the declared tensions made again, 113 were made)
    assert first.analysis.summary["claims"] > 450 and 0 < made <= 100


def _declare_wattle(vault: Path) -> None:
    """A tension meta-llama.md declares, in its tensions section, with a labelled link to wattle-study."""
    llama = vault / "notes" / "orgs" / "meta-llama.md"
    line = "- [[wattle-study|A study of wattle]] puts the peak of wattle pollen in Canberra at 412 grains a m3.\n"
    llama.write_text(llama.read_text(encoding="utf-8").replace("\n## Open questions", f"{line}\n## Open questions"),
                     encoding="utf-8")


def test_a_note_made_that_a_declared_tension_links_makes_the_declared_tensions_again(tmp_path, monkeypatch):
    """A tension section's labelled link to a note not written yet points at that note once it is
    made. The declaring note's text reads as it did (the label), but its links changed, so the
    patch makes the declared tensions again: the tension now names the new note's claim, so the
    patch gives way to the analysis, which finds what a cold build finds."""
    vault = _vault(tmp_path)
    _declare_wattle(vault)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    calls = _declared_made(monkeypatch)
    (vault / "notes" / "wattle-study.md").write_text(
        "# Wattle study\n\nWattle pollen in Canberra peaked at 412 grains per cubic metre in September 2024.\n",
        encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert calls and edited.analysis.patched is None
    wattle = next(c.id for c in edited.knowledge.claims if c.doc == "notes/wattle-study.md")
    assert any(wattle in t.claims and t.a.doc == "notes/orgs/meta-llama.md"
               for t in edited.knowledge.tensions + edited.knowledge.held if t.kind == "declared")
    run(vault, cache_dir=tmp_path / "cold", site=False)
    assert _settled_rows(cache) == _settled_rows(tmp_path / "cold")


def test_a_claim_written_in_a_note_a_declared_tension_links_is_weighed_for_that_tension(tmp_path, monkeypatch):
    """A tension section's link names the claim of the linked note most like it. A claim written
    in that note may be the one now, so a patch makes the declared tensions again when a declaring
    link points at a changed file (it finds so in the links as the cache keeps them, and decodes
    them only then), and ends where a cold build ends: the tension names the new claim."""
    vault = _vault(tmp_path)
    wattle = vault / "notes" / "wattle-study.md"
    wattle.write_text("# Wattle study\n\nWattle flowers in Canberra bloom from late winter into spring.\n",
                      encoding="utf-8")
    _declare_wattle(vault)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    calls = _declared_made(monkeypatch)
    wattle.write_text(wattle.read_text(encoding="utf-8")
                      + "\nWattle pollen in Canberra peaked at 412 grains per cubic metre in September 2024.\n",
                      encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    assert calls
    peak = next(c.id for c in edited.knowledge.claims if c.doc == "notes/wattle-study.md" and "412" in c.text)
    assert any(peak in t.claims and t.a.doc == "notes/orgs/meta-llama.md"
               for t in edited.knowledge.tensions + edited.knowledge.held if t.kind == "declared")
    run(vault, cache_dir=tmp_path / "cold", site=False)
    assert _settled_rows(cache) == _settled_rows(tmp_path / "cold")


def test_a_source_edited_in_a_vault_without_note_claims_is_patched_as_a_cold_build_finds_it(tmp_path):
    """A source's sentences are evidence for the notes' statements alone: in a vault of sources
    (a reading list before any note, as SciFact's abstracts), a sentence added to a source or taken
    out of it changes that source's claims only, and is patched (a sentence that is no claim leaves
    every claim as it was: patched with no file); a note's statement brings the analysis back."""
    vault = _sources_vault(tmp_path)
    source = vault / "sources" / "open-weight-cascade.md"
    text = source.read_text(encoding="utf-8")
    head = "\n## From shock to standard\n"
    fern = "In March 2025 the office fern in the reading room grew 11 new fronds within 6 weeks.\n"
    cache, site = tmp_path / "cache", tmp_path / "site"
    run(vault, cache_dir=cache, site_dir=site, pagefind=False)
    steps = [
        ("a sentence with a figure", ["sources/open-weight-cascade.md"],
         lambda: source.write_text(text.replace(head, f"{head}\n{fern}", 1), encoding="utf-8")),
        ("a line that is no claim", [], lambda: source.write_text(
            text.replace(head, f"{head}\n{fern}", 1) + "\nSee also.\n", encoding="utf-8")),
        ("the sentence taken out", ["sources/open-weight-cascade.md"], lambda: source.write_text(text, encoding="utf-8")),
        ("a note's statement", None, lambda: _fern_note(vault / "notes" / "fern.md")),
    ]
    for n, (what, patched, step) in enumerate(steps):
        step()
        edited = run(vault, cache_dir=cache, site_dir=site, pagefind=False)
        assert edited.analysis.patched == patched, what
        cold = run(vault, cache_dir=tmp_path / f"cold-{n}", site_dir=tmp_path / f"cold-site-{n}", pagefind=False)
        assert edited.analysis.summary == cold.analysis.summary, what
        assert [d.model_dump() for d in edited.analysis.problems] == [d.model_dump() for d in cold.analysis.problems], what
        assert _settled_rows(cache) == _settled_rows(tmp_path / f"cold-{n}"), what
        assert _pages(site) == _pages(tmp_path / f"cold-site-{n}"), what
        if n == 0:  # the source's new claim is listed with the others
            assert "11 new fronds" in _pages(site)["claims.html"].decode("utf-8")


def test_a_patch_keeps_the_polarity_tensions_while_the_claims_that_take_a_stance_are_as_they_were(
        tmp_path, monkeypatch):
    """The polarity tensions are ranked over every claim that takes a stance. A patch keeps them
    while those claims are as they were when an analysis or a patch found them (it found them
    again on every edit: 0.04-0.1 s at 10k notes, most of it making the claims that take a
    stance; then on the first edit after an analysis, 0.2 s). A claim that takes the opposite
    stance, written later, still makes its tension, as a cold build finds it."""
    from kg.claims import tensions

    vault = _sources_vault(tmp_path)  # (with the demo's sources: a few new claims are few among theirs)
    notes = vault / "notes"
    notes.mkdir()
    (notes / "crate-co.md").write_text("---\ntitle: Crate & Co\n---\nA wholesaler.\n", encoding="utf-8")
    (notes / "baskets.md").write_text("# Baskets\n\n- Crate & Co narrows the price gap with the big chains.\n",
                                      encoding="utf-8")
    awards = notes / "awards.md"
    awards.write_text("# Awards\n\n- Crate & Co widens the achievement of its suppliers.\n", encoding="utf-8")
    fern = notes / "fern.md"
    _fern_note(fern)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    found = []
    real = tensions.polarity_pairs
    monkeypatch.setattr(tensions, "polarity_pairs", lambda pool: found.append(len(pool.claims)) or real(pool))

    def edit(note: Path, line: str, cold: str):
        note.write_text(note.read_text(encoding="utf-8") + line, encoding="utf-8")
        done = run(vault, cache_dir=cache, site=False)
        whole = run(vault, cache_dir=tmp_path / cold, site=False)
        assert done.analysis.summary == whole.analysis.summary
        assert _settled_rows(cache) == _settled_rows(tmp_path / cold)
        return done

    assert edit(fern, "It was repotted in a larger clay pot last spring.\n", "cold-1").analysis.patched == ["notes/fern.md"]
    assert len(found) == 1  # (the cold build's alone: the patch kept what the analysis found)
    assert edit(fern, "Its leaves turn yellow when the radiator is on.\n", "cold-2").analysis.patched == ["notes/fern.md"]
    assert len(found) == 2  # (the cold build's alone)
    done = edit(awards, "- Since 2024 Crate & Co widens the price gap with the big chains.\n", "cold-3")
    [tension] = [t for t in done.knowledge.tensions + done.knowledge.held
                 if t.kind == "polarity" and t.a.doc.startswith("notes/")]  # (the sources take stances too)
    assert {tension.a.doc, tension.b.doc} == {"notes/baskets.md", "notes/awards.md"}


def test_an_analysis_stopped_once_its_pool_was_kept_ends_where_a_cold_build_ends(tmp_path, monkeypatch):
    """kg serve stopped, or a build interrupted, after the analysis kept its claim pool (a file of
    its own) and before its rows (in the database): the next build must not take that pool with
    the rows of the analysis before it, and ends where a cold build ends."""
    from kg.claims import delta, store

    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    run(vault, cache_dir=cache, site=False)
    note = vault / "notes" / "concepts" / "quality-gap.md"
    original = note.read_bytes()
    _insert(note, "## Evidence", "- Open models trail closed ones by 9% on coding tasks.\n")
    real = store.keep_heap

    def stopped(*args):
        real(*args)  # the pool is kept, then the process stops
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(delta, "patched", lambda *args: None)  # (an analysis, not a patch: it keeps a pool)
        m.setattr(store, "keep_heap", stopped)
        with pytest.raises(KeyboardInterrupt):
            run(vault, cache_dir=cache, site=False)
    note.write_bytes(original)  # (the save undone, as the bench undoes kg serve's)
    edited = run(vault, cache_dir=cache, site=False)
    cold = run(vault, cache_dir=tmp_path / "cold-cache", site=False)
    assert _state(edited) == _state(cold)




def test_a_note_that_restates_claims_other_notes_cite_ends_where_a_cold_build_ends(tmp_path):
    """A claim id written in two files shares its evidence, inferred for the first file's claim,
    whose cited links (shown by their titles) are left out of the words it shares with a source.
    A note made before the others in file order, restating their claims without the links, takes
    those ids' evidence over: an edit must infer it again, as a cold build does, and give it back
    when the note goes."""
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    citing = [c for c in first.knowledge.claims if c.kind == "claim" and c.origin == "note" and c.quoted
              and any(e.claim == c.id and e.method == "inferred" for e in first.knowledge.evidence)]
    assert len(citing) > 5
    note = vault / "notes" / "again.md"  # (before notes/concepts/, notes/orgs/ and notes/people/)
    note.write_text("# Again\n\n" + "".join(f"- {c.text}\n" for c in citing), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    cold = run(vault, cache_dir=tmp_path / "cold", site=False)
    assert _state(edited) == _state(cold)
    note.unlink()
    back = run(vault, cache_dir=cache, site=False)
    assert _state(back) == _state(first)


def _pairs(cache: Path) -> set:
    """The candidate pairs the last analysis kept, by their claims' keys, with their verdicts."""
    from kg.claims.analyse import Memo
    from kg.claims.store import KnowledgeStore

    store, memo = KnowledgeStore(cache), Memo()
    store.pool(memo)
    store.close()
    return {(*sorted((memo.pool[a], memo.pool[b])), verdict) for a, b, verdict in memo.pairs.tolist()}


def _written_then_taken_out(tmp_path: Path, first, before: set, note: Path, text: str) -> None:
    """Write `note` into the vault of `first` (built in tmp_path/cache, its pairs `before`): the
    edit's analysis keeps the pairs and rows a cold build finds, and some pair of `before` went
    (the case the caller is about); take it out: the pairs and rows are `first`'s again."""
    vault, cache = tmp_path / "vault", tmp_path / "cache"
    note.write_text(text, encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    cold = run(vault, cache_dir=tmp_path / "cold", site=False)
    assert _pairs(cache) == _pairs(tmp_path / "cold")
    assert not before <= _pairs(cache)
    assert _state(edited) == _state(cold)
    note.unlink()
    back = run(vault, cache_dir=cache, site=False)
    assert _pairs(cache) == before
    assert _state(back) == _state(first)


def test_claims_written_near_others_leave_the_pairs_a_cold_build_looks_at(tmp_path, monkeypatch):
    """A pair of claims is looked at while one is among the other's ten nearest (kg.claims.tensions.
    candidate_pairs). A claim written near Y comes among Y's ten nearest and pushes the tenth out;
    a claim taken out lets the eleventh in. After either, the pairs an edit's analysis keeps are
    those a cold build finds, not the last analysis's with the new claims' added."""
    from kg.claims import delta

    monkeypatch.setattr(delta, "patched", lambda *args: None)  # (an analysis, which keeps its pairs)
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    before = _pairs(cache)
    near = [c for c in first.knowledge.claims if c.kind == "claim" and c.origin == "note"][::7]
    _written_then_taken_out(tmp_path, first, before, vault / "notes" / "zz-near.md",
                            "# Near\n\n" + "".join(f"- {c.text.rstrip('.')} again.\n" for c in near))


def test_a_measured_word_grown_past_its_limit_leaves_the_pairs_a_cold_build_looks_at(tmp_path, monkeypatch):
    """Claims whose figures are said of one measured word pair up, unless the word has more than
    MEASURE_GROUP figures (kg.claims.tensions.measure_pairs): a claim written with one more figure
    of such a word takes its pairs away in a cold build, and taking it out gives them back. An
    edit must do the same (the limit is lowered to 4 here, so that the demo's words cross it)."""
    import re

    import numpy as np

    from kg.claims import analyse, delta, tensions
    from kg.claims.analyse import Memo
    from kg.claims.store import KnowledgeStore

    monkeypatch.setattr(tensions, "MEASURE_GROUP", 4)
    monkeypatch.setattr(analyse, "MEASURE_GROUP", 4)
    monkeypatch.setattr(delta, "patched", lambda *args: None)  # (an analysis, which keeps its pairs)
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    before = _pairs(cache)
    store, memo = KnowledgeStore(cache), Memo()
    store.pool(memo)
    store.close()
    a, b = memo.pairs[:, 0], memo.pairs[:, 1]
    by_word = (memo.cosines < memo.kth[a] - 1e-6) & (memo.cosines < memo.kth[b] - 1e-6)  # (no neighbours)
    pool = [c for c in first.knowledge.claims if c.kind == "claim"]
    again = sorted({pool[r].text for r in np.unique(a[by_word]).tolist()})
    assert again
    # four more figures of each such claim's words: past the limit, whatever their number was
    _written_then_taken_out(tmp_path, first, before, vault / "notes" / "zz-figures.md", "# Figures\n\n" + "".join(
        f"- {re.sub(r'[0-9]+', str(n), t)}\n" for t in again for n in (17, 23, 31, 47)))


def test_a_figure_changed_in_a_claim_the_writer_named_is_judged_again(tmp_path):
    """A claim's id is made from its text unless the writer names it (`^commodity-80-90`): then
    the id stays when the text changes. Its evidence must be inferred again for the new figure,
    as a cold build infers it, not kept from the old one's."""
    vault = _vault(tmp_path)
    cache = tmp_path / "cache"
    first = run(vault, cache_dir=cache, site=False)
    note = vault / "notes" / "concepts" / "barbell-strategy.md"
    named = "Commodity tasks make up 80–90% of workloads and suit"
    text = note.read_text(encoding="utf-8")
    assert text.count(named) == 1
    note.write_text(text.replace(named, named.replace("80–90%", "40–50%")), encoding="utf-8")
    edited = run(vault, cache_dir=cache, site=False)
    cold = run(vault, cache_dir=tmp_path / "cold", site=False)
    assert _state(edited) == _state(cold)

    def judged(done) -> list:
        return sorted((e.doc, e.stance) for e in done.knowledge.evidence if e.claim == "commodity-80-90")

    assert judged(edited) != judged(first)  # (the new figure is judged otherwise: this test's case)


def test_the_records_count_each_measured_word_as_the_claims_measures_do(tmp_path, monkeypatch):
    """An edit's pool counts the claims that measure a word from the files' records
    (`_RowsListed.measure_counts`), none decoded, to tell which words past MEASURE_GROUP may have
    fallen back after a claim went. The counts, and the words `crowded_words` then finds, must be
    those of the claims' own measures (the limit is lowered to 2 here, so that the demo's words
    cross it)."""
    import numpy as np

    from kg.claims import analyse
    from kg.claims.analyse import _Listed, _RowsListed, crowded_words, tension_pool
    from kg.claims.perfile import ClaimRows
    from kg.claims.store import KnowledgeStore

    vault = _vault(tmp_path)
    done = run(vault, cache_dir=tmp_path / "cache", site=False)
    store = KnowledgeStore(tmp_path / "cache")
    try:
        rows, plain = store.claim_rows(done.claim_files.paths), _Listed.of(store.claims(done.claim_files.paths))
    finally:
        store.close()
    assert isinstance(rows, ClaimRows)
    listed = _Listed.of(rows)
    assert isinstance(listed, _RowsListed)
    expected: dict[tuple[str, str], set[int]] = {}
    for row, measures in enumerate(plain.pool_extra("measures")):
        for key in measures:
            expected.setdefault(tuple(key), set()).add(row)
    assert len(expected) > 10 and any(len(found) > 2 for found in expected.values())
    keys = set(expected) | {("percent", "no-claim-measures-this")}
    assert listed.measure_counts(keys) == {k: len(expected.get(k, ())) for k in keys}
    assert plain.measure_counts(keys) is None

    monkeypatch.setattr(analyse, "MEASURE_GROUP", 2)
    n = len(plain.keys)
    found = [crowded_words(tension_pool(done.kb, each, np.zeros((n, 384), dtype=np.float32), np.ones(n, dtype=np.float32))[0],
                           set(expected), [], True) for each in (listed, plain)]
    assert found[0] == found[1]
    assert found[0][0] == {k for k, got in expected.items() if len(got) > 2}  # (the rest fell back)
    assert found[0][2]
