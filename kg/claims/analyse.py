"""The knowledge stage of the build: claims -> evidence -> tensions -> status (DESIGN §6, §9).

    claims (kg.claims.extract) + vectors of note claims and source sentences
      -> declared evidence (citations, quotes, sentence links) and inferred evidence
      -> detected tensions (numeric, polarity, temporal), corroboration clusters, declared tensions
      -> each claim's status and counts, and the problems a writer should see
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kg.claims.evidence import (
    MIN_DECLARED,
    Matcher,
    SourceSentence,
    at_sentence,
    find_quote,
    quotes,
    reanchor,
    selector,
)
from kg.claims.extract import claim_id
from kg.claims.subjects import keys
from kg.claims.tensions import CONFIDENT, Pool, detect, side, tension_id, where
from kg.model import Claim, Diagnostic, Evidence, Selector, Tension, TensionSide

MIN_SENTENCE_WORDS = 4
NAMED_CLAIM_COSINE = 0.35
"""A declared tension names the claim of a linked note or source most like it, if at least this alike."""
CANDIDATE_MIN = 3
"""A name without a note is suggested as a concept when this many sentences, from two sources or
more, name it."""
_SENTENCE_ANCHOR = re.compile(r"s-[0-9a-f]{8}")
_VERSION = re.compile(r"[\s-]?\d|[.\d]")

Vectors = Callable[[list[str]], np.ndarray]


@dataclass
class Knowledge:
    """What the knowledge stage adds to a vault's claims."""

    claims: list[Claim]
    evidence: list[Evidence] = field(default_factory=list)
    tensions: list[Tension] = field(default_factory=list)
    clusters: dict[str, list[str]] = field(default_factory=dict)
    """Corroboration clusters: id -> claim ids (claims from two files or more that state one fact)."""
    candidates: list[dict] = field(default_factory=list)
    """Named subjects with no note: {name, sentences, sources, doc, line}."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    anchors: dict[str, dict[str, dict]] = field(default_factory=dict)
    """Selectors of the sentence anchors notes link to, by source path: kept so that a link
    re-anchors after the sentence is edited."""
    held: list[Tension] = field(default_factory=list)
    """Detected tensions below the confidence a reader is shown by default (`kg tensions --all`)."""
    dismissed: list[Tension | Evidence] = field(default_factory=list)
    """Tensions and evidence the user dismissed (kg.claims.review); they count nowhere."""


def evidence_by_claim(found: Knowledge) -> dict[tuple[str, str], list[Evidence]]:
    """Evidence by (claim id, claim doc): declared first, then best first. A claim id names the
    claim in every note that writes the same text, so each of them gets the evidence."""
    docs: dict[str, list[str]] = {}
    for c in found.claims:
        if c.origin == "note":
            docs.setdefault(c.id, []).append(c.doc)
    out: dict[tuple[str, str], list[Evidence]] = {}
    for e in sorted(found.evidence, key=lambda e: (e.method != "declared", -e.score)):
        for doc in docs.get(e.claim, []):
            out.setdefault((e.claim, doc), []).append(e)
    return out


def analyse(kb, vectors_for: Vectors, previous_anchors: dict | None = None) -> Knowledge:
    """Evidence, tensions and status for every claim of the vault."""
    claims = kb.claims
    out = Knowledge(claims=claims)
    sources = {sid: kb.doc(path) for sid, path in kb.source_ids.items() if path in kb.sources}
    sentences = [SourceSentence(sid, src.path, i, s, src.hash)
                 for sid, src in sources.items() for i, s in enumerate(src.sentences)
                 if len(s.text.split()) >= MIN_SENTENCE_WORDS]
    written = [c for c in claims if c.origin == "note" and c.kind in ("claim", "tension")]
    matrix = vectors_for([c.text for c in written] + [s.sentence.text for s in sentences])
    note_vectors = {c.id + "\0" + c.doc: matrix[i] for i, c in enumerate(written)}
    matcher = Matcher(sentences, matrix[len(written):])
    row_of = {(s.doc, s.sentence.anchor): row for row, s in enumerate(sentences)}

    def vector(claim: Claim) -> np.ndarray | None:
        if claim.origin == "note":
            return note_vectors.get(claim.id + "\0" + claim.doc)
        row = row_of.get((claim.doc, claim.anchor))
        return matcher.vectors[row] if row is not None else None

    by_block = _claims_by_block(kb, claims)
    _declared_evidence(kb, out, matcher, sources, vector, by_block, previous_anchors or {})
    declared = {}
    for e in out.evidence:
        declared.setdefault(e.claim, set()).add(e.anchor)
    first: dict[str, Claim] = {}  # one search per claim id: a claim written in several notes has one evidence set
    for c in written:
        if c.kind == "claim":
            first.setdefault(c.id, c)
    asserted = list(first.values())
    if asserted:
        out.evidence += matcher.infer(asserted, np.stack([vector(c) for c in asserted]), sources, declared)
    _tensions(kb, out, sources, vector)
    _opposing_evidence(out)
    _declared_tensions(kb, out, vector, by_block)
    _candidates(kb, out)
    return out


def _claims_by_block(kb, claims: list[Claim]) -> dict[tuple[str, int], list[Claim]]:
    """Note claims by (doc, index of the block they come from)."""
    out: dict[tuple[str, int], list[Claim]] = {}
    by_doc: dict[str, list[Claim]] = {}
    for c in claims:
        if c.origin == "note":
            by_doc.setdefault(c.doc, []).append(c)
    for doc, found in by_doc.items():
        blocks = kb.doc(doc).blocks
        for c in found:
            for index, block in enumerate(blocks):
                if block.line <= c.line <= block.end_line:
                    out.setdefault((doc, index), []).append(c)
                    break
    return out


def _declared_evidence(kb, out: Knowledge, matcher: Matcher, sources, vector, by_block, previous) -> None:
    """Citations written in notes: a linked source (its best-matching sentence is the quote), a
    quoted passage, a link to one sentence (`[[source#^s-1a2b3c4d]]`). A quote or a sentence
    link is more precise than the best match, so it replaces it: one item per claim and source."""
    declared: dict[tuple[str, str], Evidence] = {}
    for claim in out.claims:
        if claim.origin != "note" or claim.kind != "claim":
            continue
        v = vector(claim)
        for sid in claim.cites:
            best = matcher.best_in(claim, v, sid) if v is not None else None
            if best and best[1] >= MIN_DECLARED:
                row, score, stance, reason = best
                declared[claim.id, sid] = matcher.evidence(claim, row, score, stance, "cited; " + reason, "declared",
                                                           sources)
            elif sid in sources:
                declared[claim.id, sid] = Evidence(
                    claim=claim.id, source=sid, doc=sources[sid].path, line=1, anchor=None, quote="",
                    method="declared", score=0.0, reason="cited; no sentence of the source matches the claim closely")
        for quote in quotes(claim.text):
            found = [(sid, find_quote(sources[sid], quote)) for sid in claim.cites if sid in sources]
            hit = next(((sid, i) for sid, i in found if i is not None), None)
            if hit:
                sid, i = hit
                declared[claim.id, sid] = at_sentence(claim, sid, sources[sid], i, 1.0, "quoted")
            elif found:
                out.diagnostics.append(Diagnostic(
                    doc=claim.doc, line=claim.line, severity="warning", code="lost-anchor",
                    message=f"the quote \"{_short(quote)}\" is not in {', '.join(sources[s].path for s, _ in found)}; "
                            "fix the quote, or cite the source that has it"))
    for r in kb.rows:
        if r.target_kind != "source" or not r.block or not _SENTENCE_ANCHOR.fullmatch(r.block):
            continue
        src = sources.get(r.target_id)
        if src is None:
            continue
        old = previous.get(src.path, {}).get(r.block)
        index = next((i for i, s in enumerate(src.sentences) if s.anchor == r.block), None)
        moved = False
        if index is None and old:
            index = reanchor(src, Selector(**old))
            moved = index is not None
        if index is None:
            out.diagnostics.append(Diagnostic(
                doc=r.doc, line=r.line, col=r.col, severity="warning", code="lost-anchor",
                message=f"[[{r.target}#^{r.block}]]: {src.path} no longer has this sentence"
                        + (f" (\"{_short(old['exact'])}\")" if old else "")
                        + "; link the sentence again or cite the source without ^anchor"))
            continue
        sentence = src.sentences[index]
        out.anchors.setdefault(src.path, {})[r.block] = old if moved else selector(src, index).model_dump()
        if moved:
            out.diagnostics.append(Diagnostic(
                doc=r.doc, line=r.line, col=r.col, severity="info", code="moved-anchor",
                message=f"[[{r.target}#^{r.block}]]: the sentence was edited; it is now ^{sentence.anchor} "
                        f"(\"{_short(sentence.text)}\"), update the link"))
        reason = "linked sentence" + (" (re-anchored after an edit)" if moved else "")
        for claim in by_block.get((r.doc, r.block_index), []) if r.block_index is not None else []:
            if claim.kind == "claim":
                declared[claim.id, r.target_id] = at_sentence(claim, r.target_id, src, index, 1.0, reason)
    out.evidence += declared.values()


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def subject_offsets(mentions, subjects, claim: Claim) -> tuple[dict[str, list[int]], dict[str, list[int]],
                                                                 list[tuple[int, int]]]:
    """A claim's subjects (concept ids, name keys, name families: `Qwen3.6-Plus` also answers to
    `qwen`) with the offsets of their mentions; the same for the subjects it names whole; and the
    (start, end) of every mention."""
    found: dict[str, list[int]] = {}
    exact: dict[str, list[int]] = {}
    spans: list[tuple[int, int]] = []
    for cid in filter(None, (claim.concept, *claim.concepts)):
        found[cid] = []

    def put_in(start: int) -> bool:  # a citation or a link's title: not the writer's words
        return any(a <= start < b for a, b in claim.quoted)

    for start, end, cid in mentions.find(claim.text):
        if put_in(start):
            continue
        found.setdefault(cid, []).append(start)
        if not _VERSION.match(claim.text, end):  # "Qwen 3.5" names a model of the Qwen concept, not the concept
            exact.setdefault(claim.text[start:end].lower(), []).append(start)  # by the name used: Google is not Gemma
        spans.append((start, end))
    for start, name in subjects.of(claim.text):
        if put_in(start):
            continue
        for key in keys(name):
            found.setdefault(key, []).append(start)
        exact.setdefault(name.lower(), []).append(start)
        spans.append((start, start + len(name)))
    return found, exact, sorted(set(spans))


def _tensions(kb, out: Knowledge, sources, vector) -> None:
    pool_claims, rows = [], []
    for c in out.claims:
        if c.kind == "claim":
            v = vector(c)
            if v is not None:
                pool_claims.append(c)
                rows.append(v)
    if not pool_claims:
        return
    dates = []
    for c in pool_claims:
        src = sources.get(c.source) if c.source else None
        dates.append(src.date.isoformat() if src is not None and src.date else None)
    subjects = [subject_offsets(kb.mentions, kb.subjects, c) for c in pool_claims]
    pool = Pool(pool_claims, np.stack(rows), [s for s, _, _ in subjects], dates, [e for _, e, _ in subjects],
                [n for _, _, n in subjects])
    tensions, clusters = detect(pool)
    out.tensions += tensions
    for rows_ in clusters:
        ids = sorted({pool_claims[r].id for r in rows_})
        out.clusters["k-" + tension_id(*ids)[2:]] = ids


def _opposing_evidence(out: Knowledge) -> None:
    """A note claim and a source sentence that oppose it are a tension too: the note says one
    thing, the source the opposite."""
    by_id = {c.id: c for c in out.claims if c.origin == "note"}
    known = {t.id for t in out.tensions}
    for e in out.evidence:
        claim = by_id.get(e.claim)
        if e.stance != "opposes" or claim is None or not e.anchor or not e.reason.startswith("different figure"):
            continue  # opposite wording alone is evidence against, not a tension a reader would sign
        other = TensionSide(id=claim_id(" ".join(e.quote.split())), text=e.quote, doc=e.doc, line=e.line)
        tid = tension_id(where(claim), where(other))
        if tid in known:
            continue
        known.add(tid)
        why = e.reason.split(";")[0].removeprefix("different figure ").strip("()")
        out.tensions.append(Tension(
            id=tid, kind="numeric", score=e.score, a=side(claim), b=other, subjects=claim.concepts,
            explanation=f"{claim.doc}:{claim.line} and its source sentence {e.doc}:{e.line} give different figures "
                        f"for the same measure: {why}"))


def _declared_tensions(kb, out: Knowledge, vector, by_block) -> None:
    """Tensions written in notes: items of a tensions section, and `opposes::` fields."""
    by_doc: dict[str, list[Claim]] = {}
    by_id = {}
    for c in out.claims:
        if c.kind == "claim":
            by_doc.setdefault(c.doc, []).append(c)
            by_id.setdefault(c.id, c)

    def named(target_doc: str | None, block: str | None, v) -> Claim | None:
        if block and block in by_id:
            return by_id[block]
        best, best_cos = None, NAMED_CLAIM_COSINE
        for c in by_doc.get(target_doc or "", []):
            w = vector(c)
            if w is not None and v is not None and float(w @ v) > best_cos:
                best, best_cos = c, float(w @ v)
        return best

    rows_by_block: dict[tuple[str, int], list] = {}
    for r in kb.rows:
        if r.block_index is not None:
            rows_by_block.setdefault((r.doc, r.block_index), []).append(r)
    for (doc, index), claims in by_block.items():
        for claim in claims:
            if claim.kind != "tension":
                continue
            v = vector(claim)
            names = []
            for r in rows_by_block.get((doc, index), []):
                found = named(r.target_doc, r.block, v)
                if found and found.id not in names:
                    names.append(found.id)
            why = f"declared in {claim.doc}:{claim.line}: {claim.text}"
            out.tensions.append(Tension(id=tension_id(where(claim)), kind="declared", score=1.0, a=side(claim),
                                        claims=names, explanation=why))
    for r in kb.rows:
        if r.relation != "opposes":
            continue
        mine = [c for c in by_block.get((r.doc, r.block_index), []) if c.kind == "claim"] \
            if r.block_index is not None else []
        concept = kb.concepts.get(r.source_id)
        for a in mine or [None]:
            b = named(r.target_doc, r.block, vector(a) if a else None) if r.target_doc else None
            first = side(a) if a else TensionSide(
                id=r.source_id, text=f"{concept.title if concept else r.doc} opposes {r.label or r.target}",
                doc=r.doc, line=r.line)
            out.tensions.append(Tension(
                id=tension_id(where(first), r.target_id), kind="declared", score=1.0, a=first, b=side(b) if b else None,
                claims=[b.id] if b else [], explanation=f"declared with opposes:: in {r.doc}:{r.line}: {first.text}"))


def settle(out: Knowledge, warn: bool) -> list[Diagnostic]:
    """What stands after the review: detected tensions below CONFIDENT (and not confirmed) are held
    back, then each claim's status and counts are derived from the evidence and tensions shown.
    Returns the problems a writer should see about unsupported claims (with `warn`: the vault has
    sources, so a claim could have evidence). Idempotent: run it after every change of decisions."""
    every = out.tensions + out.held
    out.tensions = [t for t in every if shown(t)]
    out.held = [t for t in every if not shown(t)]
    return _status(out, warn)


def shown(t: Tension) -> bool:
    """Whether a reader sees a tension by default: declared, confirmed, or confident."""
    return t.kind == "declared" or t.review == "confirmed" or t.score >= CONFIDENT


def _status(out: Knowledge, warn: bool) -> list[Diagnostic]:
    unsupported: list[Claim] = []
    supports: Counter = Counter()
    opposes: Counter = Counter()  # opposing evidence is counted through the tension it makes
    for e in out.evidence:
        supports[e.claim] += e.stance == "supports"
    for t in out.tensions:
        for cid in {t.a.id, *(t.claims), *([t.b.id] if t.b else [])}:
            opposes[cid] += 1
    cluster_of = {cid: k for k, ids in out.clusters.items() for cid in ids}
    docs_of: dict[str, set[str]] = {}
    for c in out.claims:
        docs_of.setdefault(c.id, set()).add(c.doc)
    for c in out.claims:
        c.cluster = cluster_of.get(c.id)
        if c.kind != "claim":
            continue
        c.opposes = opposes[c.id]
        if c.origin == "note":
            c.supports = supports[c.id]
            c.status = "contested" if c.opposes else "supported" if c.supports else "unsupported"
            if c.status == "unsupported" and warn:
                unsupported.append(c)
        else:
            others = {d for cid in out.clusters.get(c.cluster, []) for d in docs_of[cid]} - {c.doc} \
                if c.cluster else set()
            c.supports = len(others)
            c.status = "contested" if c.opposes else "supported"
    return _unsupported(unsupported)


def _figure(q) -> bool:
    """A figure a reader would want a source for: not a date, not a handful of things ("around two
    stacks")."""
    if q.kind in ("date", "other"):
        return False
    return not (q.kind == "count" and q.total is None and (q.high or q.low or 0) < 10)


def _unsupported(claims: list[Claim]) -> list[Diagnostic]:
    """A claim with a figure and no source is a warning (a number needs a source); the other
    unsupported claims are one info line with the command that lists them."""
    problems = [Diagnostic(doc=c.doc, line=c.line, severity="warning", code="unsupported-claim",
                           message=f"this figure has no source (\"{_short(c.text)}\"): cite a source, e.g. "
                                   "[[sources/name]], or move it under '## Open questions'")
                for c in claims if any(_figure(q) for q in c.quantities)]
    rest = [c for c in claims if not any(_figure(q) for q in c.quantities)]
    if rest:
        notes = len({c.doc for c in rest})
        problems.append(Diagnostic(
            doc=rest[0].doc, line=rest[0].line, severity="info", code="unsupported-claim",
            message=f"{len(rest)} claim{'s' if len(rest) != 1 else ''} in {notes} note{'s' if notes != 1 else ''} "
                    "have no source behind them; `kg claims --status unsupported` lists them"))
    return problems


def _candidates(kb, out: Knowledge) -> None:
    """Names that several sources use and no note defines: suggested concepts."""
    counts: Counter = Counter()
    where: dict[str, tuple[str, int]] = {}
    docs: dict[str, set[str]] = {}
    known = {name.lower() for c in kb.concepts.values() for name in (c.title, *c.aliases)}
    for c in out.claims:
        if c.origin != "source":
            continue
        for name in c.subjects:
            if name.lower() in known:
                continue
            counts[name] += 1
            where.setdefault(name, (c.doc, c.line))
            docs.setdefault(name, set()).add(c.doc)
    for name, n in counts.most_common():
        if n < CANDIDATE_MIN or len(docs[name]) < 2:
            continue
        doc, line = where[name]
        out.candidates.append({"name": name, "sentences": n, "sources": len(docs[name]), "doc": doc, "line": line})
        out.diagnostics.append(Diagnostic(
            doc=doc, line=line, severity="info", code="candidate-concept",
            message=f"'{name}' is named in {n} sentences of {len(docs[name])} sources but has no note; "
                    f"write one to collect what they say"))
