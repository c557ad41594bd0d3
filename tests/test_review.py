"""The review loop: tensions and evidence dismissed or confirmed by the user, kept in
kg-review.toml at the vault root, respected by every command, the site and the export. Real
files on disk and the real embedding model, on small vaults written for each case."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.claims import review
from kg.cli import main
from tests.conftest import SOURCE, write_vault

PRICE = "- Kestrel 2 costs $20/M output tokens, far above its rivals. ^price\n"
GAP = "- Analysts expect the gap with the closed rivals to close within 18 months.\n"


def _vault(tmp_path: Path, *items: str) -> Path:
    """A source and a note whose first claim its figure opposes (a numeric tension and opposing
    evidence) and whose second it backs (supporting evidence)."""
    return write_vault(tmp_path / "vault", SOURCE, "# Kestrel\n\n" + "".join(items or (PRICE, GAP)))


def kg(vault: Path, *args: str):
    return CliRunner().invoke(main, ["--vault", str(vault), *args], catch_exceptions=False)


def ok(vault: Path, *args: str):
    result = kg(vault, *args)
    assert result.exit_code == 0, result.output
    return result


def kg_json(vault: Path, *args: str):
    return json.loads(ok(vault, *args, "--json").stdout)


def the_tension(vault: Path, *more: str) -> dict:
    found = [t for t in kg_json(vault, "tensions", *more)
             if t["kind"] == "numeric" and {t["a"]["doc"], t["b"]["doc"]} == {"notes/kestrel.md", "sources/report.md"}]
    assert len(found) == 1, found
    return found[0]


def claim(vault: Path, start: str) -> dict:
    return next(c for c in kg_json(vault, "claims", "--origin", "note") if c["text"].startswith(start))


def test_a_dismissed_tension_is_gone_everywhere_until_a_side_changes(tmp_path):
    vault = _vault(tmp_path)
    tension = the_tension(vault)
    tid = tension["id"]
    assert tension["shown"] is True and tension["review"] is None
    assert claim(vault, "Kestrel 2 costs")["status"] == "contested"
    ok(vault, "build")
    assert tid in (vault / "site" / "tensions.html").read_text(encoding="utf-8")
    query = "SELECT ?t WHERE { ?t a kg:NumericTension }"
    assert tid in ok(vault, "query", query).stdout  # keeps its store in .kg/rdf-store

    result = ok(vault, "tensions", "--dismiss", tid, "--reason", "the note's figure is the premium tier")
    assert result.stdout.startswith(f"Dismissed tension {tid} between ")
    assert "notes/kestrel.md:3" in result.stdout and "sources/report.md:5" in result.stdout
    assert "kg-review.toml" in result.stdout

    # gone from kg tensions, from the claim's status, from kg check, from the site and the export
    assert tid not in ok(vault, "tensions").stdout
    assert tid not in [t["id"] for t in kg_json(vault, "tensions", "--all")]
    price = claim(vault, "Kestrel 2 costs")
    assert price["status"] != "contested" and price["opposes"] == 0
    assert tid not in ok(vault, "check").output
    ok(vault, "build")
    assert tid not in (vault / "site" / "tensions.html").read_text(encoding="utf-8")
    assert "contested" not in (vault / "site" / "concepts" / "kestrel.html").read_text(encoding="utf-8")
    out = tmp_path / "vault.ttl"
    ok(vault, "export", "-o", str(out))
    assert tid not in out.read_text(encoding="utf-8")
    assert tid not in ok(vault, "query", query).stdout  # the kept store is stamped with the decisions

    # listed with its reason by --dismissed
    [listed] = kg_json(vault, "tensions", "--dismissed")
    assert listed["id"] == tid and listed["review"] == "dismissed" and listed["shown"] is False
    assert listed["review_reason"] == "the note's figure is the premium tier" and listed["review_date"]
    assert "premium tier" in ok(vault, "tensions", "--dismissed").stdout

    # the decision is a readable file in the vault, not in the cache
    text = (vault / "kg-review.toml").read_text(encoding="utf-8")
    assert "notes/kestrel.md:3" in text and "Kestrel 2 costs $20/M output tokens" in text
    [entry] = tomllib.loads(text)["decision"]
    assert entry["id"] == tid and entry["kind"] == "tension" and entry["decision"] == "dismissed"
    assert entry["reason"] == "the note's figure is the premium tier"
    assert entry["a"] == "notes/kestrel.md:3" and entry["b"] == "sources/report.md:5"
    assert entry["b_text"].startswith("The open model Kestrel 2 costs $2/M") and entry["fingerprint"]
    shutil.rmtree(vault / ".kg")
    assert tid not in [t["id"] for t in kg_json(vault, "tensions")]
    assert not [d for d in kg_json(vault, "check") if d["code"] in ("stale-review", "bad-review-file")]

    # a side's text changes (the block id keeps the tension's id): the tension is back, the
    # decision no longer applies and kg check says so at the decision's line
    note = vault / "notes" / "kestrel.md"
    note.write_text(note.read_text(encoding="utf-8").replace("$20/M", "$25/M"), encoding="utf-8")
    assert the_tension(vault)["id"] == tid
    assert claim(vault, "Kestrel 2 costs")["status"] == "contested"
    [stale] = [d for d in kg_json(vault, "check") if d["code"] == "stale-review"]
    assert stale["doc"] == "kg-review.toml" and stale["severity"] == "info"
    assert text.splitlines()[stale["line"] - 1] == "[[decision]]"
    assert "notes/kestrel.md:3" in stale["message"] and f"kg tensions --dismiss {tid}" in stale["message"]
    assert (vault / "kg-review.toml").read_text(encoding="utf-8") == text  # kg check never writes it

    # deciding again takes the new text; --undo forgets the decision
    ok(vault, "tensions", "--dismiss", tid)
    assert not [d for d in kg_json(vault, "check") if d["code"] == "stale-review"]
    assert tid not in [t["id"] for t in kg_json(vault, "tensions")]
    result = ok(vault, "tensions", "--undo", tid)
    assert "Took back" in result.stdout and tid in result.stdout
    assert the_tension(vault)["id"] == tid
    assert tomllib.loads((vault / "kg-review.toml").read_text(encoding="utf-8")).get("decision", []) == []


def test_a_decision_about_an_edited_claim_points_at_its_successor(tmp_path):
    vault = _vault(tmp_path, PRICE.replace(" ^price", ""))
    tid = the_tension(vault)["id"]
    ok(vault, "tensions", "--dismiss", tid)
    note = vault / "notes" / "kestrel.md"
    note.write_text(note.read_text(encoding="utf-8").replace("far above", "well above"), encoding="utf-8")
    new = the_tension(vault)["id"]  # the claim's id is its text: a new tension
    assert new != tid
    [stale] = [d for d in kg_json(vault, "check") if d["code"] == "stale-review"]
    assert "no longer found" in stale["message"] and f"kg tensions --dismiss {new}" in stale["message"]
    ok(vault, "tensions", "--dismiss", new)  # replaces the stale entry
    [entry] = tomllib.loads((vault / "kg-review.toml").read_text(encoding="utf-8"))["decision"]
    assert entry["id"] == new and "well above" in entry["a_text"]
    assert not [d for d in kg_json(vault, "check") if d["code"] == "stale-review"]


def test_a_confirmed_candidate_is_shown_by_default(tmp_path, monkeypatch):
    import kg.claims.analyse

    monkeypatch.setattr(kg.claims.analyse, "CONFIDENT", 0.999)  # every detected tension is now a candidate
    vault = _vault(tmp_path)
    assert not kg_json(vault, "tensions")
    result = ok(vault, "tensions")
    assert "No tensions found." in result.stdout and "candidate" in result.output
    candidate = the_tension(vault, "--all")
    assert candidate["shown"] is False
    assert "candidate" in ok(vault, "tensions", "--all").stdout
    assert claim(vault, "Kestrel 2 costs")["status"] != "contested"

    result = ok(vault, "tensions", "--confirm", candidate["id"])
    assert result.stdout.startswith(f"Confirmed tension {candidate['id']}")
    shown = the_tension(vault)
    assert shown["id"] == candidate["id"] and shown["shown"] is True and shown["review"] == "confirmed"
    assert "numeric confirmed" in ok(vault, "tensions").stdout
    assert claim(vault, "Kestrel 2 costs")["status"] == "contested"


def test_dismissed_evidence_no_longer_backs_its_claim(tmp_path):
    vault = _vault(tmp_path)
    gap = claim(vault, "Analysts expect")
    assert gap["status"] == "supported"
    [item] = gap["evidence"]
    eid = item["id"]
    assert eid.startswith("ev-") and item["doc"] == "sources/report.md"
    assert eid in ok(vault, "claims", "--evidence").stdout
    # the id is the item's fragment on the site
    ok(vault, "build")
    assert f'id="{eid}"' in (vault / "site" / "concepts" / "kestrel.html").read_text(encoding="utf-8")

    tid = the_tension(vault)["id"]
    ok(vault, "tensions", "--dismiss", tid)
    result = ok(vault, "claims", "--dismiss-evidence", eid, "--reason", "says nothing about Kestrel")
    assert result.stdout.startswith(f"Dismissed evidence {eid} for notes/kestrel.md:4 from sources/report.md:6")
    gap = claim(vault, "Analysts expect")
    assert gap["evidence"] == [] and gap["status"] == "unsupported"
    assert [d for d in kg_json(vault, "check") if d["code"] == "unsupported-claim" and d["line"] == 4]
    [listed] = kg_json(vault, "claims", "--dismissed")
    assert listed["id"] == eid and listed["review_reason"] == "says nothing about Kestrel"
    assert listed["claim"] == "notes/kestrel.md:4"

    # both decisions are in the file, tensions first, each entry whole
    entries = tomllib.loads((vault / "kg-review.toml").read_text(encoding="utf-8"))["decision"]
    assert [(e["kind"], e["id"]) for e in entries] == [("tension", tid), ("evidence", eid)]
    assert entries[1]["claim"] == "notes/kestrel.md:4" and entries[1]["source"] == "sources/report.md:6"
    assert entries[1]["quote"] == "Analysts expect the gap to close within 18 months."

    ok(vault, "claims", "--undo", eid)
    gap = claim(vault, "Analysts expect")
    assert gap["status"] == "supported" and [e["id"] for e in gap["evidence"]] == [eid]
    assert [e["id"] for e in tomllib.loads((vault / "kg-review.toml").read_text(encoding="utf-8"))["decision"]] == [tid]

    ok(vault, "claims", "--confirm-evidence", eid)
    [item] = claim(vault, "Analysts expect")["evidence"]
    assert item["review"] == "confirmed"
    assert "confirmed" in ok(vault, "claims", "--evidence").stdout


def test_a_broken_review_file_is_reported_and_never_overwritten(tmp_path):
    vault = _vault(tmp_path)
    tid = the_tension(vault)["id"]
    ok(vault, "tensions", "--dismiss", tid)
    path = vault / "kg-review.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("decision = ")) + 1
    lines[at - 1] = "decision = dismissed"  # not TOML: a bare word
    broken = "\n".join(lines) + "\n"
    path.write_text(broken, encoding="utf-8")

    result = kg(vault, "tensions", "--confirm", tid)
    assert result.exit_code != 0 and f"kg-review.toml:{at}:" in result.output and "TOML" in result.output
    assert path.read_text(encoding="utf-8") == broken
    result = kg(vault, "check", "--json")
    assert result.exit_code == 1
    [bad] = [d for d in json.loads(result.stdout) if d["code"] == "bad-review-file"]
    assert bad["doc"] == "kg-review.toml" and bad["line"] == at and bad["severity"] == "error"
    result = kg(vault, "tensions")  # decisions are not applied, and the user is told why
    assert tid in result.stdout and f"kg-review.toml:{at}" in result.stderr
    assert path.read_text(encoding="utf-8") == broken

    lines[at - 1] = 'decision = "dismised"'  # TOML, but not a decision kg knows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = kg(vault, "tensions", "--undo", tid)
    assert result.exit_code != 0 and f"kg-review.toml:{at}:" in result.output and "dismised" in result.output


def test_an_unknown_id_names_the_closest(tmp_path):
    vault = _vault(tmp_path)
    tid = the_tension(vault)["id"]
    typo = tid[:-1] + ("0" if tid[-1] != "0" else "1")
    result = kg(vault, "tensions", "--dismiss", typo)
    assert result.exit_code != 0 and f"no tension {typo}" in result.output and tid in result.output
    eid = claim(vault, "Analysts expect")["evidence"][0]["id"]
    result = kg(vault, "tensions", "--dismiss", eid)
    assert result.exit_code != 0 and f"kg claims --dismiss-evidence {eid}" in result.output
    result = kg(vault, "claims", "--dismiss-evidence", eid[:-2])
    assert result.exit_code != 0 and eid in result.output
    result = kg(vault, "tensions", "--undo", tid)
    assert result.exit_code != 0 and "nothing is decided" in result.output
    assert not (vault / "kg-review.toml").exists()


# -- the file, without the model ----------------------------------------------------------------------
def test_the_file_round_trips_sorted_and_reports_lines(tmp_path):
    import datetime as dt

    made = [review.Decision(id="ev-00000000aa", kind="evidence", decision="confirmed", date=dt.date(2026, 5, 2),
                            fingerprint="ab", sides=[("notes/a.md:3", "A claim."), ("sources/s.md:9", "A \"quote\".")]),
            review.Decision(id="t-00000000bb", kind="tension", decision="dismissed", date=dt.date(2026, 5, 1),
                            fingerprint="cd", sides=[("notes/a.md:3", "A claim.")], reason="declared by mistake")]
    text = review.render(made)
    assert text.index("t-00000000bb") < text.index("ev-00000000aa")  # tensions first, then by id
    again = review.parse(text)
    assert [(d.id, d.sides, d.reason, d.date) for d in again] == \
        [(d.id, d.sides, d.reason, d.date) for d in sorted(made, key=lambda d: d.kind != "tension")]
    assert text.splitlines()[again[1].line - 1] == "[[decision]]"
    assert review.render(again) == text  # writing what was read changes nothing

    doubled = text + text[text.index("\n[[decision]]"):]
    with pytest.raises(review.ReviewError, match="decided twice"):
        review.parse(doubled)
    with pytest.raises(review.ReviewError, match=r"kg-review.toml:\d+: unknown key 'reasn'"):
        review.parse(text.replace('reason = "declared', 'reasn = "declared'))
    with pytest.raises(review.ReviewError, match="starts with 't-'"):
        review.parse(text.replace('"t-00000000bb"', '"x-1"'))
