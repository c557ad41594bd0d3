"""Evidence and contradictions on SciFact (train split): precision and recall of kg's evidence
and of its contradiction flags against SciFact's labels, before and after a change.

Usage: python bench/evidence_scifact.py [--limit N] [--sweep] [--save NAME]

Builds bench/vaults/scifact-claims: the 5,183 abstracts of ../shared/corpora/scifact-train as
sources (each abstract sentence its own paragraph), each of the 809 training claims as a note
with that one claim, citing nothing. Runs kg's knowledge stage afresh (the real model; vectors
are cached in the vault's .kg/, so only the first run embeds: ~20 min on 2 cores) and reports:

- evidence: predicted = every evidence item kg reports for a claim (inferred and declared, both
  stances); gold = the claim's rationale sentences (SUPPORT or CONTRADICT). Precision = items on
  a gold sentence / items; recall = gold sentences found / gold sentences. SciFact labels
  evidence for only some claims (and only in the abstracts it cites), so an item for a claim
  with no labels counts as a false positive: "precision, claims with gold" counts only claims
  that have labels. Abstract level: the same over (claim, abstract) pairs.
- supports precision: of the "supports" items on gold sentences, the share labelled SUPPORT (a
  "supports" item on a CONTRADICT rationale is wrong).
- CONTRADICT: a (claim, abstract) pair is flagged when kg reports an "opposes" item or a
  detected (not declared) tension, as shown after review, between the claim's note and that
  abstract. Precision = flagged pairs labelled CONTRADICT / flagged pairs; recall = CONTRADICT
  pairs flagged / CONTRADICT pairs.
- --sweep: the stage again with evidence.MIN_SCORE off, then precision and recall of evidence at
  thresholds 0.40 ... 0.90. Filtering the unthresholded top 5 at t gives what threshold t would
  give, since the threshold is applied before the top-5 cut; but items keep their score rounded
  to 3 places, so a row can count a few items more (those just under t).

Gold matching: kg reports each item's line in the source file, and the bench knows on which
lines it wrote each abstract sentence (front matter on lines 1-3, sentences separated by a blank
line; some SciFact sentences carry their own newlines): the item maps to the sentence written
on its line when its (normalised) quote is part of that sentence. Otherwise the quote is looked
up in the abstract's sentences by text (either containing the other); an item found neither way
is "unmapped" and counts as a false positive.

--save NAME writes the figures to bench/results/evidence_scifact-NAME.json, with the code they
measured (commit, `git status --short kg/claims`, a hash of kg/claims/*.py); every run prints
them next to bench/results/evidence_scifact-baseline.json when it exists.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "corpora" / "scifact-train"
VAULT = HERE / "vaults" / "scifact-claims"
RESULTS = HERE / "results"
THRESHOLD = "MIN_SCORE"
"""The constant of kg.claims.evidence an inferred sentence's score must reach."""
SWEEP = [round(0.4 + 0.05 * i, 2) for i in range(11)]
BODY_LINE = 4
"""Line of an abstract's first sentence in its source file (after three lines of front matter)."""


def load(limit: int | None):
    corpus = {str(d["doc_id"]): d for d in map(json.loads, (DATA / "corpus.jsonl").read_text().splitlines())}
    claims = [c for c in map(json.loads, (DATA / "claims-train.jsonl").read_text().splitlines())]
    return corpus, claims[:limit] if limit else claims


def make_vault(corpus, claims) -> None:
    sources, notes = VAULT / "sources", VAULT / "notes"
    sources.mkdir(parents=True, exist_ok=True)
    notes.mkdir(parents=True, exist_ok=True)
    (VAULT / "kg.toml").write_text("# SciFact abstracts as sources, training claims as notes\n", encoding="utf-8")
    for doc_id, doc in corpus.items():
        path = sources / f"d{doc_id}.md"
        if not path.exists():
            title = doc["title"].replace('"', "'")
            body = "\n\n".join(doc["abstract"])
            path.write_text(f'---\ntitle: "{title}"\n---\n{body}\n', encoding="utf-8")
    wanted = {f"c{c['id']}.md" for c in claims}
    for old in notes.iterdir():
        if old.name not in wanted:
            old.unlink()
    for c in claims:
        path = notes / f"c{c['id']}.md"
        text = f"# SciFact claim {c['id']}\n\n- {c['claim']}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def code_state(kg_dir: Path) -> dict:
    """What code a run measures: the working tree's commit and kg/claims changes, and a hash of
    the kg/claims it imported (which may be a copy outside the tree)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.rstrip()
    claims = b"".join(p.read_bytes() for p in sorted((kg_dir / "claims").glob("*.py")))
    out = {"commit": git("log", "-1", "--format=%h").strip(), "status": git("status", "--short", "kg/claims").splitlines(),
           "kg": str(kg_dir), "claims_hash": hashlib.blake2b(claims, digest_size=6).hexdigest()}
    if kg_dir != ROOT / "kg":
        out["note"] = "kg was imported from outside the working tree: commit and status describe the tree, not it"
    return out


@dataclass(frozen=True)
class Item:
    claim: int  # SciFact claim id
    doc: str  # SciFact doc id
    sentence: int | None  # index into the abstract; None when unmapped
    stance: str
    score: float
    method: str


class Gold:
    def __init__(self, claims):
        self.sentences: dict[tuple[int, str, int], str] = {}  # (claim, doc, sentence) -> label
        self.pairs: dict[tuple[int, str], str] = {}  # (claim, doc) -> label
        for c in claims:
            for doc_id, sets in c["evidence"].items():
                for s in sets:
                    self.pairs[c["id"], doc_id] = s["label"]
                    self.sentences.update({(c["id"], doc_id, i): s["label"] for i in s["sentences"]})
        self.claims = {c for c, _ in self.pairs}


def first_lines(abstract: list[str]) -> list[int]:
    """The line of its source file on which each sentence of an abstract starts (as make_vault writes it)."""
    out, line = [], BODY_LINE
    for s in abstract:
        out.append(line + s[:len(s) - len(s.lstrip())].count("\n"))
        line += s.count("\n") + 2
    return out


def items_of(found, claims, corpus, normalise, counts: dict) -> list[Item]:
    """kg's evidence items as SciFact (claim, doc, sentence index); counts how each was mapped."""
    note_of = {f"notes/c{c['id']}.md": c["id"] for c in claims}
    scifact_ids = defaultdict(set)  # kg claim id -> SciFact claim ids (identical texts share an id)
    for c in found.claims:
        if c.origin == "note" and c.doc in note_of:
            scifact_ids[c.id].add(note_of[c.doc])
    texts = {}
    out = []
    for e in found.evidence:
        doc_id = e.doc.rsplit("/", 1)[-1][1:-3]
        if doc_id not in corpus:
            continue
        if doc_id not in texts:
            abstract = corpus[doc_id]["abstract"]
            texts[doc_id] = [normalise(s) for s in abstract], first_lines(abstract)
        (sentences, lines), quote = texts[doc_id], normalise(e.quote)
        i, way = bisect.bisect_right(lines, e.line) - 1, "by line"
        if not quote:  # a declared citation with no sentence
            i, way = None, "unmapped"
        elif i < 0 or quote not in sentences[i]:
            i, way = next((j for j, s in enumerate(sentences) if quote in s or s in quote), None), "by text"
        counts[way if i is not None else "unmapped"] += 1
        for cid in scifact_ids.get(e.claim, ()):
            out.append(Item(cid, doc_id, i, e.stance, e.score, e.method))
    return out


def ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def evidence_figures(items: list[Item], gold: Gold) -> dict:
    hits = [i for i in items if (i.claim, i.doc, i.sentence) in gold.sentences]
    found = {(i.claim, i.doc, i.sentence) for i in hits}
    pairs = {(i.claim, i.doc) for i in items}
    supports = [i for i in hits if i.stance == "supports"]
    opposes = [i for i in hits if i.stance == "opposes"]
    label = {i: gold.sentences[i.claim, i.doc, i.sentence] for i in hits}
    return {
        "evidence items": len(items),
        "claims with evidence": len({i.claim for i in items}),
        "evidence precision": ratio(len(hits), len(items)),
        "evidence precision, claims with gold": ratio(len(hits), sum(i.claim in gold.claims for i in items)),
        "evidence recall": ratio(len(found), len(gold.sentences)),
        "claims with a gold sentence found": ratio(len({c for c, _, _ in found}), len(gold.claims)),
        "abstract precision": ratio(len(pairs & gold.pairs.keys()), len(pairs)),
        "abstract recall": ratio(len(pairs & gold.pairs.keys()), len(gold.pairs)),
        "supports items on gold sentences": len(supports),
        "supports precision (label SUPPORT)": ratio(sum(label[i] == "SUPPORT" for i in supports), len(supports)),
        "opposes items on gold sentences": len(opposes),
        "opposes on gold labelled CONTRADICT": ratio(sum(label[i] == "CONTRADICT" for i in opposes), len(opposes)),
    }


def contradict_figures(found, items: list[Item], claims, gold: Gold) -> dict:
    note_of = {f"notes/c{c['id']}.md": c["id"] for c in claims}
    opposing = {(i.claim, i.doc) for i in items if i.stance == "opposes"}
    tensions = set()
    for t in found.tensions:
        if t.kind == "declared" or t.b is None:
            continue
        for mine, other in ((t.a, t.b), (t.b, t.a)):
            if mine.doc in note_of and other.doc.startswith("sources/d"):
                tensions.add((note_of[mine.doc], other.doc.rsplit("/", 1)[-1][1:-3]))
    flags = opposing | tensions
    contradict = {k for k, v in gold.pairs.items() if v == "CONTRADICT"}
    support = {k for k, v in gold.pairs.items() if v == "SUPPORT"}
    return {
        "CONTRADICT pairs (gold)": len(contradict),
        "flagged pairs": len(flags),
        "  by opposing evidence": len(opposing),
        "  by a tension": len(tensions),
        "CONTRADICT precision": ratio(len(flags & contradict), len(flags)),
        "CONTRADICT recall": ratio(len(flags & contradict), len(contradict)),
        "flags on SUPPORT pairs": len(flags & support),
        "flags on unlabelled pairs": len(flags - contradict - support),
        "tensions shown": len(found.tensions),
        "tensions held back": len(getattr(found, "held", [])),
    }


def sweep_figures(items: list[Item], gold: Gold) -> dict:
    out = {}
    for t in SWEEP:
        kept = [i for i in items if i.method == "declared" or i.score >= t]
        hits = sum((i.claim, i.doc, i.sentence) in gold.sentences for i in kept)
        found = {(i.claim, i.doc, i.sentence) for i in kept} & gold.sentences.keys()
        out[f"{t:.2f}"] = {"items": len(kept), "precision": ratio(hits, len(kept)),
                           "recall": ratio(len(found), len(gold.sentences))}
    return out


def show(value) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def report(now: dict, base: dict | None) -> None:
    if base and base.get("limit") != now.get("limit"):
        print(f"! the baseline measured limit={base.get('limit')}, this run limit={now.get('limit')}: not comparable")
    b = (base or {}).get("figures", {})
    keys = list(now["figures"]) + [k for k in b if k not in now["figures"]]
    print(f"\n{'figure':44}{'baseline':>12}{'now':>12}" if base else f"\n{'figure':44}{'now':>12}")
    for k in keys:
        print(f"{k:44}" + (f"{show(b.get(k)):>12}" if base else "") + f"{show(now['figures'].get(k)):>12}")
    sweep, bsweep = now.get("sweep"), (base or {}).get("sweep")
    if sweep or bsweep:
        print("\nevidence by score threshold: items, precision, recall" + (" (baseline | now)" if bsweep else ""))
        for t in sorted(set(sweep or {}) | set(bsweep or {})):
            cols = (bsweep, sweep) if bsweep else (sweep,)
            print(f"  >= {t}" + "".join(f"{show((s or {}).get(t, {}).get(k)):>8}"
                                        for s in cols for k in ("items", "precision", "recall")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="only the first N claims (partial figures, for development)")
    parser.add_argument("--sweep", action="store_true", help="also precision/recall at thresholds 0.40 ... 0.90")
    parser.add_argument("--save", metavar="NAME", help="write the figures to bench/results/evidence_scifact-NAME.json")
    args = parser.parse_args()
    import kg
    from kg.build import build
    from kg.claims import evidence as evidence_module
    from kg.claims.store import FILE, claims as claims_stage, knowledge
    from kg.config import cache_folder
    from kg.parse.sentences import normalise

    code = code_state(Path(kg.__file__).parent)
    threshold = getattr(evidence_module, THRESHOLD)
    corpus, claims = load(args.limit)
    make_vault(corpus, claims)
    gold = Gold(claims)
    started = time.perf_counter()
    kb = build(VAULT)
    print(f"parsed {len(kb.infos)} files in {time.perf_counter() - started:.1f} s", flush=True)
    (cache_folder(VAULT) / FILE).unlink(missing_ok=True)  # analyse afresh, so the time means something

    def progress(stage, done, total):
        print(f"\r{stage} {done}/{total or '?'}", end="", flush=True, file=sys.stderr)

    started = time.perf_counter()
    found = knowledge(kb, claims_stage(kb, cache_folder(VAULT), progress), cache_folder(VAULT), progress).knowledge
    seconds = round(time.perf_counter() - started, 1)
    print(f"\nknowledge stage {seconds} s (includes embedding text not yet in the vault's vector cache)", flush=True)

    counts: dict[str, int] = defaultdict(int)
    items = items_of(found, claims, corpus, normalise, counts)
    figures = {f"score threshold ({THRESHOLD})": threshold, "knowledge stage seconds": seconds,
               "claims (gold: with labels)": f"{len(claims)} ({len(gold.claims)})",
               "gold sentences": len(gold.sentences)}
    figures |= evidence_figures(items, gold)
    figures["items mapped by line/by text"] = f"{counts['by line']}/{counts['by text']}"
    figures["items unmapped (false positives)"] = counts["unmapped"]
    figures |= contradict_figures(found, items, claims, gold)
    sweep = None
    if args.sweep:
        setattr(evidence_module, THRESHOLD, -1.0)
        store = cache_folder(VAULT) / FILE
        store.unlink(missing_ok=True)
        started = time.perf_counter()
        try:
            loose = knowledge(kb, claims_stage(kb, cache_folder(VAULT), progress), cache_folder(VAULT),
                              progress).knowledge
        finally:
            setattr(evidence_module, THRESHOLD, threshold)
            store.unlink(missing_ok=True)  # kept rows were found without the threshold: never reuse them
        print(f"\nknowledge stage without the threshold {time.perf_counter() - started:.1f} s", flush=True)
        loose_items = items_of(loose, claims, corpus, normalise, defaultdict(int))
        figures["evidence recall, no threshold (ranking)"] = evidence_figures(loose_items, gold)["evidence recall"]
        sweep = sweep_figures(loose_items, gold)

    now = {"name": args.save, "date": time.strftime("%Y-%m-%d %H:%M"), "code": code, "limit": args.limit,
           "figures": figures, "sweep": sweep}
    print(f"code: {code['commit']}, kg/claims hash {code['claims_hash']} ({code['kg']}); kg/claims changes: "
          f"{', '.join(code['status']) or 'none'}" + (f"\n  {code['note']}" if "note" in code else ""))
    if args.limit:
        print(f"PARTIAL: only the first {args.limit} claims; the figures are not the bench's")
    print("Items for claims SciFact gives no evidence labels count as false positives in 'evidence precision';\n"
          "'precision, claims with gold' leaves those claims out. Unmapped items count as false positives.")
    baseline = RESULTS / "evidence_scifact-baseline.json"
    report(now, json.loads(baseline.read_text()) if baseline.exists() else None)
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"evidence_scifact-{args.save}.json"
        path.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
        print(f"\nsaved {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
