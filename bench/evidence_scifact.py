"""Evidence and tensions on SciFact (train split): how often kg finds the labelled evidence
sentences, and how its tensions match the CONTRADICT labels.

Usage: python bench/evidence_scifact.py [--limit N]

Builds bench/vaults/scifact-claims: the 5,183 abstracts of ../shared/corpora/scifact-train as
sources (one sentence per line, so the labelled sentence indexes can be mapped back), and each
training claim as a note with that one claim, citing nothing. Then runs kg's knowledge stage
(the real model; sentence vectors are cached in the vault's .kg/ after the first run) and
reports:
- recall@5: the share of labelled evidence sentences (SUPPORT or CONTRADICT) that are among the
  claim's inferred evidence (at most 5 per claim, above the score threshold), and the same
  without the threshold (how good the ranking is);
- claims with any labelled sentence found;
- tensions and opposing evidence on labelled (claim, abstract) pairs: recall on CONTRADICT
  pairs, precision among flagged labelled pairs, and flags on SUPPORT pairs (false tensions).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DATA = HERE.parent.parent / "shared" / "corpora" / "scifact-train"
VAULT = HERE / "vaults" / "scifact-claims"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="only the first N claims")
    args = parser.parse_args()
    from kg.build import build
    from kg.claims import evidence as evidence_module
    from kg.claims.analyse import analyse
    from kg.claims.store import knowledge
    from kg.config import cache_folder
    from kg.parse.sentences import normalise
    from kg.search.embed import Embedder
    from kg.search.index import SearchIndex

    corpus, claims = load(args.limit)
    make_vault(corpus, claims)
    started = time.perf_counter()
    kb = build(VAULT)
    print(f"parsed {len(kb.infos)} files in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    found = knowledge(kb, cache_folder(VAULT), lambda stage, done, total: print(
        f"\r{stage} {done}/{total or '?'}", end="", flush=True, file=sys.stderr))
    print(f"\nknowledge stage (incl. any embedding) {time.perf_counter() - started:.1f} s", flush=True)

    originals = {d: [normalise(s) for s in doc["abstract"]] for d, doc in corpus.items()}

    def original_index(doc_id: str, text: str) -> int | None:
        t = normalise(text)
        for i, o in enumerate(originals.get(doc_id, [])):
            if t[:50] in o or o[:50] in t:
                return i
        return None

    claim_of_note = {f"notes/c{c['id']}.md": c for c in claims}
    labelled: dict[tuple[int, str], str] = {}  # (claim id, doc id) -> label
    sentences: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for c in claims:
        for doc_id, sets in c["evidence"].items():
            for s in sets:
                labelled[(c["id"], doc_id)] = s["label"]
                sentences[c["id"]] |= {(doc_id, i) for i in s["sentences"]}

    def scores(evidence) -> tuple[float, float]:
        got: dict[int, set[tuple[str, int]]] = defaultdict(set)
        for e in evidence:
            if e.method != "inferred":
                continue
            claim = next((claim_of_note[d] for d in claim_docs.get(e.claim, []) if d in claim_of_note), None)
            if claim is None:
                continue
            doc_id = e.doc.rsplit("/", 1)[-1][1:-3]
            i = original_index(doc_id, e.quote)
            if i is not None:
                got[claim["id"]].add((doc_id, i))
        total = sum(len(v) for v in sentences.values())
        hit = sum(len(sentences[c] & got[c]) for c in sentences)
        any_hit = sum(bool(sentences[c] & got[c]) for c in sentences)
        return hit / total, any_hit / len(sentences)

    claim_docs: dict[str, list[str]] = defaultdict(list)
    for c in found.claims:
        if c.origin == "note":
            claim_docs[c.id].append(c.doc)
    recall, any_found = scores(found.evidence)
    per_claim = defaultdict(int)
    for e in found.evidence:
        per_claim[e.claim] += e.method == "inferred"
    print(f"claims with labelled evidence: {len(sentences)}; labelled sentences: "
          f"{sum(len(v) for v in sentences.values())}")
    print(f"inferred evidence: {sum(per_claim.values())} items for {len(claim_docs)} claims "
          f"({sum(1 for v in per_claim.values() if v)} claims have some)")
    print(f"recall@5 of labelled sentences (score >= {evidence_module.MIN_SCORE}): {recall:.3f}; "
          f"claims with a labelled sentence found: {any_found:.3f}")

    threshold = evidence_module.MIN_SCORE
    evidence_module.MIN_SCORE = -1.0
    index = SearchIndex(cache_folder(VAULT))
    unthresholded = analyse(kb, lambda texts: index.vectors_for(texts, Embedder))
    evidence_module.MIN_SCORE = threshold
    recall_all, any_all = scores(unthresholded.evidence)
    print(f"recall@5 without the threshold (ranking only): {recall_all:.3f}; claims with one found: {any_all:.3f}")

    flagged: set[tuple[int, str]] = set()
    for t in found.tensions:
        if t.b is None:
            continue
        for mine, other in ((t.a, t.b), (t.b, t.a)):
            if mine.doc in claim_of_note and other.doc.startswith("sources/"):
                flagged.add((claim_of_note[mine.doc]["id"], other.doc.rsplit("/", 1)[-1][1:-3]))
    opposing: set[tuple[int, str]] = set()
    for e in found.evidence:
        if e.stance == "opposes":
            for d in claim_docs.get(e.claim, []):
                if d in claim_of_note:
                    opposing.add((claim_of_note[d]["id"], e.doc.rsplit("/", 1)[-1][1:-3]))
    contradict = {k for k, v in labelled.items() if v == "CONTRADICT"}
    support = {k for k, v in labelled.items() if v == "SUPPORT"}
    for name, flags in (("tensions", flagged), ("opposing evidence", opposing), ("either", flagged | opposing)):
        on_labelled = flags & (contradict | support)
        tp = len(flags & contradict)
        precision = tp / len(on_labelled) if on_labelled else float("nan")
        print(f"{name}: recall on {len(contradict)} CONTRADICT pairs {tp / len(contradict):.3f}; "
              f"precision on labelled pairs {precision:.3f}; flagged SUPPORT pairs {len(flags & support)} "
              f"of {len(support)}; flags on unlabelled pairs {len(flags - contradict - support)}")
    kinds = ", ".join(f"{k} {sum(t.kind == k for t in found.tensions)}" for k in ("numeric", "polarity", "temporal"))
    print(f"tensions in the vault: {len(found.tensions)} ({kinds})")


if __name__ == "__main__":
    main()
