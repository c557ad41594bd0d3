"""Small view models shared by the pages: a claim with its badges and evidence, a tension with
its two quoted sides, a node of a graph. Plain dicts, so a template can show them and a page's
inputs can be hashed."""

from __future__ import annotations

from kg.claims.quantities import describe
from kg.model import Claim, Evidence, Tension, TensionSide
from kg.publish import urls
from kg.publish.site import Site

KIND_LABEL = {"numeric": "Numbers disagree", "polarity": "Opposite statements",
              "temporal": "Superseded by a later source", "declared": "Declared in a note"}


def evidence_view(site: Site, e: Evidence, page: str) -> dict:
    target = urls.source_page(e.source) + (f"#{e.anchor}" if e.anchor else "")
    return {"id": urls.evidence_anchor(e.claim, e.source, e.anchor, e.line), "quote": e.quote,
            "href": urls.relative(page, target), "source": site.kb.title_of(e.source) or e.source,
            "doc": e.doc, "line": e.line, "stance": e.stance, "method": e.method, "score": round(e.score, 2),
            "reason": e.reason}


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
        view["evidence"] = [evidence_view(site, e, page) for e in site.evidence.get((c.id, c.doc), [])]
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
    return {"id": t.id, "kind": t.kind, "label": KIND_LABEL[t.kind], "explanation": t.explanation,
            "score": round(t.score, 2), "a": side_view(site, t.a, page),
            "b": side_view(site, t.b, page) if t.b else None, "named": named, "subjects": t.subjects}
