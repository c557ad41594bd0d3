"""Small view models shared by the pages: a claim with its badges and evidence, a tension with
its two quoted sides, a node of a graph. Plain dicts, so a template can show them and a page's
inputs can be hashed."""

from __future__ import annotations

import re

from kg.claims.quantities import describe
from kg.model import Claim, Evidence, Tension, TensionSide
from kg.publish import urls
from kg.publish.site import Site

KIND_LABEL = {"numeric": "Numbers disagree", "polarity": "Opposite statements",
              "temporal": "Superseded by a later source", "declared": "Declared in a note"}


_FIGURE = re.compile(r"^(same|different) figure \((.*)\)$")
_WORDING = re.compile(r"^opposite wording \((.*)\)$")


def plain_reason(e: Evidence) -> str:
    """Why a sentence is shown under a claim, in a reader's words: how it was found and what it
    shares with the claim (no scores)."""
    first = e.reason.split(";")[0].strip()
    if first.startswith("cited"):
        first = e.reason.split(";")[1].strip() if ";" in e.reason else ""
    how = ("the note links this sentence" if e.reason.startswith("linked sentence")
           else "the note cites this source" if e.method == "declared" else "found by meaning")
    if (m := _FIGURE.match(first)):
        left, _, right = m[2].replace(" against ", " / ").partition(" / ")
        what = f"same figure ({left})" if m[1] == "same" else f"different figure ({left} against {right})"
        return f"{what}; {how}"
    if (m := _WORDING.match(first)):
        return f"opposite wording ({m[1]}); {how}"
    if e.method == "declared" and not e.anchor:
        return "the note cites this source; no sentence of it says the same"
    return how


def evidence_view(site: Site, e: Evidence, page: str) -> dict:
    target = urls.source_page(e.source) + (f"#{e.anchor}" if e.anchor else "")
    return {"id": urls.evidence_anchor(e.claim, e.source, e.anchor, e.line), "quote": e.quote,
            "href": urls.relative(page, target), "source": site.kb.title_of(e.source) or e.source,
            "doc": e.doc, "line": e.line, "stance": e.stance, "method": e.method, "why": plain_reason(e)}


def evidence_summary(items: list[Evidence]) -> str:
    """A claim's evidence in a few words: "same figure in 2 sources", "1 source disagrees"."""
    backing = {e.source for e in items if e.stance == "supports" and e.anchor}
    against = {e.source for e in items if e.stance == "opposes"}
    same = {e.source for e in items if e.stance == "supports" and "same figure" in e.reason}
    parts = []
    if same:
        parts.append(f"same figure in {_sources(len(same))}")
        backing -= same
    if backing:
        parts.append(f"{'also ' if same else ''}backed by {_sources(len(backing))}")
    if against:
        parts.append(f"{_sources(len(against))} {'disagrees' if len(against) == 1 else 'disagree'}")
    return "; ".join(parts) or "no source sentence yet"


def _sources(n: int) -> str:
    return f"{n} source" if n == 1 else f"{n} sources"


def claim_view(site: Site, c: Claim, page: str, with_evidence: bool = True) -> dict:
    where = site.page_of_doc(c.doc)
    view = {"id": c.id, "text": c.text, "kind": c.kind, "status": c.status, "supports": c.supports,
            "opposes": c.opposes, "doc": c.doc, "line": c.line, "origin": c.origin,
            "href": urls.relative(page, site.claim_target(c)),
            "where": site.kb.title_of(c.concept or c.source or "") or c.doc,
            "where_href": urls.relative(page, where) if where else None,
            "badges": [{"text": describe(q), "kind": q.kind} for q in c.quantities if q.kind != "date"],
            "tensions": [t.id for t in site.tensions_by_claim.get(c.id, [])]}
    if with_evidence:
        found = site.evidence.get((c.id, c.doc), [])
        view["evidence"] = [evidence_view(site, e, page) for e in found]
        view["summary"] = evidence_summary(found) if found or not view["tensions"] else ""
    return view


def side_view(site: Site, side: TensionSide, page: str) -> dict:
    holder = site.page_of_doc(side.doc)
    return {"id": side.id, "text": side.text, "doc": side.doc, "line": side.line,
            "href": urls.relative(page, site.side_target(side.id, side.doc)),
            "title": site.kb.infos[side.doc].title if side.doc in site.kb.infos else side.doc,
            "title_href": urls.relative(page, holder) if holder else None}


def tension_view(site: Site, t: Tension, page: str) -> dict:
    named = []
    for cid in t.claims:
        claim = (site.claims_by_id.get(cid) or [None])[0]
        if claim is not None:
            named.append(side_view(site, TensionSide(id=claim.id, text=claim.text, doc=claim.doc,
                                                     line=claim.line), page))
    a, b = side_view(site, t.a, page), side_view(site, t.b, page) if t.b else None
    explanation = t.explanation
    for side in (a, b) if b else (a,):  # a reader knows the notes by title, not by path:line
        explanation = explanation.replace(f"{side['doc']}:{side['line']}", side["title"])
    return {"id": t.id, "kind": t.kind, "label": KIND_LABEL[t.kind], "explanation": explanation,
            "score": round(t.score, 2), "a": a, "b": b, "named": named, "subjects": t.subjects}
