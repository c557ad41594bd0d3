"""The pages of one concept, one source and one tag: what each shows (its context, for the
template) and what it is made from (its inputs, hashed to decide whether it must be drawn again).

A page's inputs are cheap to gather: file hashes, resolved links, the claims, evidence and
tensions it shows. Its context is the full work: the note rendered, backlink paragraphs loaded,
the local graph laid out. A rebuild computes every page's inputs and the context of only those
whose inputs changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from kg.model import Claim, Concept, Link
from kg.paths import heading_anchor
from kg.publish import urls
from kg.publish.graphs import Node, local_layout, ring_of, svg
from kg.publish.markdown import render
from kg.publish.site import Site
from kg.publish.views import claim_view, tension_view


@dataclass
class Page:
    """One HTML file of the site."""

    path: str
    """Where it is written, inside site/."""
    template: str
    """Its Jinja template."""
    inputs: Callable[[], object]
    """What it is made from, as JSON-able data: the page is drawn again only when this changes."""
    context: Callable[[], dict]
    """What the template shows."""
    needs: Callable[[], list[str]] = list
    """The files whose paragraphs it shows (read in one batch before drawing)."""
    always: bool = False
    """Check its inputs on every build (an index or tag page: it lists files from all over)."""
    ident: str | None = None
    """The concept or source id whose page it is."""


# -- nodes and the local graph ---------------------------------------------------------------
def node_of(site: Site, kind: str, ident: str, page: str, weight: int = 1) -> Node:
    """A node of a local graph. Its weight says how it is linked (2: from the centre's own
    text), never how linked it is elsewhere: a page must not change when a far note does."""
    if kind == "source":
        return Node(f"source:{ident}", site.kb.title_of(ident) or ident,
                    urls.relative(page, urls.source_page(ident)), "source", weight)
    concept = site.kb.concepts.get(ident)
    return Node(f"concept:{ident}", concept.title if concept else ident,
                urls.relative(page, urls.concept_page(ident)), "stub" if concept is None or concept.stub else "concept",
                weight)


def _target(row: Link) -> tuple[str, str] | None:
    if row.target_kind in ("note", "missing"):
        return "concept", row.target_id
    if row.target_kind == "source":
        return "source", row.target_id
    return None


def neighbourhood(site: Site, ident: str, doc: str | None) -> tuple[set[tuple[str, str]], set[str], set]:
    """The (kind, id) of everything linked from `doc` or linking to `ident`, their files, and
    which of them `doc` itself links to."""
    linked: set[tuple[str, str]] = set()
    for r in site.outgoing.get(doc, []) if doc else []:
        t = _target(r)
        if t:
            linked.add(t)
    near = set(linked)
    for r in site.incoming.get(ident, []):
        if r.doc in site.holder:
            near.add(site.holder[r.doc])
    docs = {d for k, i in near for d in [_doc_of(site, k, i)] if d}
    return near, docs, linked


def _doc_of(site: Site, kind: str, ident: str) -> str | None:
    if kind == "source":
        return site.kb.source_ids.get(ident)
    concept = site.kb.concepts.get(ident)
    return concept.doc if concept else None


def local_graph(site: Site, kind: str, ident: str, doc: str | None, page: str) -> str:
    near, docs, linked = neighbourhood(site, ident, doc)
    near.discard((kind, ident))
    centre = node_of(site, kind, ident, page)
    nodes = ring_of([node_of(site, k, i, page, 2 if (k, i) in linked else 1) for k, i in sorted(near)])
    edges = graph_edges(site, {centre.id} | {n.id for n in nodes}, docs | ({doc} if doc else set()))
    return Markup(svg(local_layout(centre, nodes, edges), 420, 300, f"Links around {centre.label}", label_limit=22))


def graph_edges(site: Site, shown: set[str], docs: set[str]) -> list[tuple[str, str, str]]:
    """The edges a local graph draws: the links of these files between the nodes it shows, in the
    order of each file's text. A page's inputs hold them rather than a hash of every link of its
    neighbours' files: a link added to a neighbour towards a note the picture leaves out changes
    nothing it draws (at 10k notes, one new link redrew 11 concept and 3 source pages to the same bytes)."""
    edges = []
    for d in sorted(docs):
        holder = site.holder.get(d)
        if holder and f"{holder[0]}:{holder[1]}" in shown:
            # only the edges between nodes the picture shows, looked up by their far end: a page
            # beside a note of thousands of links must not go through all of them
            found = site.edges_of(d)
            edges += sorted((at, edge) for b in shown for at, edge in found.get(b, []))
    return [edge for _, edge in edges]


def _graph_inputs(site: Site, kind: str, ident: str, doc: str | None, near: set[tuple[str, str]],
                  docs: set[str]) -> list:
    """What a page's local graph is drawn from, besides its nodes' titles (`near`): its edges, and
    which concept nodes are stubs (drawn otherwise)."""
    shown = {f"{k}:{i}" for k, i in near | {(kind, ident)}}
    concepts = site.kb.concepts
    stubs = sorted(i for k, i in near if k == "concept" and (i not in concepts or concepts[i].stub))
    return [graph_edges(site, shown, docs | ({doc} if doc else set())), stubs]


# -- concept pages ---------------------------------------------------------------------------
_UNSHOWN = {"cluster"}
"""A claim's fields no page shows."""


def _claim_inputs(site: Site, claims: list[Claim]) -> list:
    """What a page shows of these claims: each with its evidence, its tensions and the claims they
    name. Not a claim's cluster, which no page shows (`Site.knowledge_digests` leaves it out too:
    a cluster changed alone redrew pages that came out the same)."""
    out = []
    for c in claims:
        tensions = site.tensions_by_claim.get(c.id, [])
        named = [[n.id, n.doc, n.line, n.text] for t in tensions for cid in t.claims for n in site.claims_by_id.get(cid, [])]
        out.append([c.model_dump(mode="json", exclude=_UNSHOWN),
                    [e.model_dump(mode="json") for e in site.evidence.get((c.id, c.doc), [])],
                    [t.model_dump(mode="json") for t in tensions], named])  # a tension shows the claims it names
    return out


def _embedded_docs(site: Site, doc: str, depth: int = 0, seen: frozenset = frozenset()) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in site.outgoing.get(doc, []):
        if r.relation == "embeds" and r.target_doc and r.target_doc not in seen and depth < 3:
            info = site.kb.infos.get(r.target_doc)
            out[r.target_doc] = info.hash if info else r.target_doc
            out.update(_embedded_docs(site, r.target_doc, depth + 1, seen | {doc}))
    return out


def _titles(site: Site, *parts) -> list:
    """The titles of the files named in these inputs (the claims, evidence and tension sides a page
    shows from other files, each with where it is written): a file retitled redraws them."""
    infos, found, stack = site.kb.infos, set(), list(parts)
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item in infos:
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return sorted([doc, infos[doc].title] for doc in found)


def concept_inputs(site: Site, c: Concept) -> dict:
    near, docs, _ = neighbourhood(site, c.id, c.doc)
    infos = site.kb.infos
    shown = {"claims": _claim_inputs(site, site.claims_by_doc.get(c.doc, []) if c.doc else []),
             "mentions": [[m.id, m.doc, m.text] for m in unlinked_mentions(site, c)],
             "related": related_inputs(site, c), "about": _about(site, c.id)}
    return {"concept": c.model_dump(mode="json"), "hash": infos[c.doc].hash if c.doc else None,
            "near": sorted([k, i, site.kb.title_of(i) or i] for k, i in near),
            "edges": _graph_inputs(site, "concept", c.id, c.doc, near, docs),
            "rows": [list(r) for r in site.outgoing.get(c.doc, [])] if c.doc else [],
            "incoming": [[*r, site.context(r)] for r in site.incoming.get(c.id, [])],
            "embeds": _embedded_docs(site, c.doc) if c.doc else {}, **shown, "titles": _titles(site, shown)}


def _about(site: Site, ident: str) -> list:
    """The tensions about a concept or source by name (kg.claims.store.tensions_about), with the
    claims they name: a page lists them, so they are among its inputs."""
    return [[t.model_dump(mode="json"), [[n.id, n.doc, n.line, n.text] for cid in t.claims
                                         for n in site.claims_by_id.get(cid, [])]]
            for t in site.tensions_by_subject.get(ident, [])]


def unlinked_mentions(site: Site, c: Concept) -> list[Claim]:
    """The first 50 of kg.knowledge.unlinked_mentions of a concept."""
    from kg.knowledge import unlinked_mentions

    return unlinked_mentions(site.mentioned_in.get(c.id, []), c.doc, {r.doc for r in site.incoming.get(c.id, [])})[:50]


def related_inputs(site: Site, c: Concept) -> list:
    return [[r.id, r.doc, r.text] for r in site.related_claims(c.doc)] if c.doc else []


def backlinks(site: Site, ident: str, page: str) -> list[dict]:
    """Who links here: each linking file once, with the paragraphs that hold the links."""
    grouped: dict[str, dict] = {}
    seen: set[tuple] = set()
    for r in site.incoming.get(ident, []):
        holder = site.page_of_doc(r.doc)
        if holder is None:
            continue
        entry = grouped.setdefault(r.doc, {"title": site.kb.infos[r.doc].title, "href": urls.relative(page, holder),
                                           "kind": site.holder[r.doc][0], "items": []})
        item = {"relation": r.relation, "context": site.context(r), "line": r.line}
        key = (r.doc, r.relation, item["context"], r.line)
        if key not in seen:  # a set: a file linking here thousands of times is no slower to list
            seen.add(key)
            entry["items"].append(item)
    return sorted(grouped.values(), key=lambda e: e["title"].casefold())


def concept_context(site: Site, c: Concept, page: str) -> dict:
    body = ""
    if c.doc:
        body = Markup(render(site.text_of(c.doc), c.doc, page, site.rows_of(c.doc), site, title=c.title))
    own = site.claims_by_doc.get(c.doc, []) if c.doc else []
    tensions = site.tensions_of(c.id, c.doc)
    written = [t for t in tensions if t.kind == "declared" and t.a.doc == c.doc]  # already in the note's text
    return {
        "concept": c, "body": body, "anchor": heading_anchor(c.title),
        "tags": [{"name": t, "href": urls.relative(page, urls.tag_page(t))} for t in c.tags],
        "claims": [claim_view(site, cl, page) for cl in own if cl.kind == "claim"],
        "tensions": [tension_view(site, t, page) for t in tensions if t not in written],
        "written": [{"id": t.id} for t in written], "written_under": _section_of(site, c.doc, written),
        "backlinks": backlinks(site, c.id, page),
        "mentions": [claim_view(site, m, page, with_evidence=False) for m in unlinked_mentions(site, c)],
        "related": [claim_view(site, r, page, with_evidence=False) for r in site.related_claims(c.doc)] if c.doc else [],
        "graph": local_graph(site, "concept", c.id, c.doc, page),
        "json_ld": concept_json_ld(site, c, page, own),
    }


def _section_of(site: Site, doc: str | None, tensions: list) -> dict | None:
    """The heading of the note section that holds the first of `tensions` (where the note declares them)."""
    note = site.kb.notes.get(doc) if doc and tensions else None
    if note is None:
        return None
    line = min(t.a.line for t in tensions)
    section = None
    for s in note.sections:
        if s.line <= line and s.level > 0:
            section = s
    return {"heading": section.heading, "href": f"#{section.anchor}"} if section else None


def concept_json_ld(site: Site, c: Concept, page: str, own: list[Claim]) -> dict:
    iri = site.base_url + page
    data = {"@context": "https://schema.org", "@type": "DefinedTerm", "@id": iri, "url": iri, "name": c.title}
    if c.aliases:
        data["alternateName"] = c.aliases
    if c.tags:
        data["keywords"] = c.tags
    claims = []
    for cl in own:
        if cl.kind != "claim":
            continue
        item = {"@type": "Claim", "@id": f"{iri}#claim-{cl.id}", "text": cl.text}
        if cl.status:
            item["additionalProperty"] = {"@type": "PropertyValue", "name": "status", "value": cl.status}
        cites = [{"@type": "Quotation", "text": e.quote, "isPartOf": {"@id": site.base_url + urls.source_page(e.source)},
                  "url": site.base_url + urls.source_page(e.source) + (f"#{e.anchor}" if e.anchor else "")}
                 for e in site.evidence.get((cl.id, cl.doc), []) if e.stance == "supports"]
        if cites:
            item["citation"] = cites
        claims.append(item)
    if claims:
        data["subjectOf"] = claims
    return data


# -- source pages ----------------------------------------------------------------------------
def source_inputs(site: Site, sid: str) -> dict:
    path = site.kb.source_ids[sid]
    near, docs, _ = neighbourhood(site, sid, path)
    infos = site.kb.infos
    cited = site.cited.get(path, {})
    shown = {"claims": _claim_inputs(site, site.claims_by_doc.get(path, [])),
             "cited": {a: [[c.id, c.doc, c.text, c.status, e.stance] for c, e in items] for a, items in sorted(cited.items())},
             "about": _about(site, sid)}
    return {"id": sid, "hash": infos[path].hash,
            "near": sorted([k, i, site.kb.title_of(i) or i] for k, i in near),
            "edges": _graph_inputs(site, "source", sid, path, near, docs),
            "incoming": [[*r, site.context(r)] for r in site.incoming.get(sid, [])], **shown,
            "titles": _titles(site, shown)}


def source_context(site: Site, sid: str, page: str) -> dict:
    kb = site.kb
    path = kb.source_ids[sid]
    source = kb.sources[path]
    claims = {c.anchor: c for c in site.claims_by_doc.get(path, []) if c.anchor}
    cited = site.cited.get(path, {})
    by_block: dict[int, list] = {}
    for s in source.sentences:
        claim = claims.get(s.anchor)
        by_block.setdefault(s.block_index, []).append({
            "anchor": s.anchor, "text": s.text, "line": s.line,
            "claim": claim_view(site, claim, page, with_evidence=False) if claim else None,
            "cited": _cited_by(site, cited.get(s.anchor, []), page)})
    blocks, section = [], 0
    for i, b in enumerate(source.blocks):
        while section < b.section:  # the headings of the sections up to this block's
            section += 1
            s = source.sections[section] if section < len(source.sections) else None
            if s and s.level > 0 and s.heading != source.title:
                blocks.append({"kind": "heading", "text": s.heading, "anchor": s.anchor})
        view = {"kind": b.kind, "text": b.text, "sentences": by_block.get(i, []), "line": b.line}
        if b.kind == "item":
            if not blocks or blocks[-1]["kind"] != "list":
                blocks.append({"kind": "list", "items": []})
            blocks[-1]["items"].append(view)
        else:
            blocks.append(view)
    own = site.claims_by_doc.get(path, [])
    tensions = site.tensions_of(sid, path)
    iri = site.base_url + page
    ld = {"@context": "https://schema.org", "@type": "CreativeWork", "@id": iri, "url": iri, "name": source.title}
    if source.author:
        ld["author"] = {"@type": "Person", "name": source.author}
    if source.date:
        ld["datePublished"] = source.date.isoformat()
    url = urls.safe_href(source.url)  # a `javascript:` address is shown as text, never linked
    if url:
        ld["sameAs"] = url
    if source.publisher:
        ld["publisher"] = {"@type": "Organization", "name": source.publisher}
    return {"source": source, "sid": sid, "url": url, "blocks": blocks, "cited": bool(cited),
            "tags": [{"name": t, "href": urls.relative(page, urls.tag_page(t))}
                     for t in dict.fromkeys(t.name for t in source.tags)],
            "claims": [claim_view(site, c, page, with_evidence=False) for c in own],
            "tensions": [tension_view(site, t, page) for t in tensions],
            "backlinks": backlinks(site, sid, page),
            "graph": local_graph(site, "source", sid, path, page), "json_ld": ld}


def _cited_by(site: Site, items: list, page: str) -> list[dict]:
    """The notes whose claims a sentence backs (or opposes): one chip per note and stance."""
    chips: dict[tuple[str, str], dict] = {}
    for c, e in items:
        where = site.kb.title_of(c.concept or "") or c.doc
        chips.setdefault((where, e.stance), {"text": c.text, "href": urls.relative(page, site.claim_target(c)),
                                             "stance": e.stance, "where": where})
    return list(chips.values())


# -- tag pages -------------------------------------------------------------------------------
def tag_inputs(site: Site, tag: str) -> dict:
    return {"tag": tag, "items": [[p, site.kb.infos[p].title] for p in site.tags[tag]],
            "children": [t for t in site.tags if t.startswith(tag + "/")]}


def tag_context(site: Site, tag: str, page: str) -> dict:
    items = []
    for p in site.tags[tag]:
        holder = site.page_of_doc(p)
        items.append({"title": site.kb.infos[p].title, "href": urls.relative(page, holder),
                      "kind": site.holder[p][0], "path": holder})
    children = [{"name": t, "href": urls.relative(page, urls.tag_page(t)), "count": len(site.tags[t])}
                for t in site.tags if t.startswith(tag + "/") and t.count("/") == tag.count("/") + 1]
    iri = site.base_url + page
    return {"tag": tag, "items": sorted(items, key=lambda i: i["title"].casefold()), "children": children,
            "json_ld": {"@context": "https://schema.org", "@type": "CollectionPage", "@id": iri, "url": iri,
                        "name": f"#{tag}", "hasPart": [{"@id": site.base_url + i["path"]} for i in items]}}


def needs(site: Site, ident: str) -> list[str]:
    """The files whose paragraphs link to `ident` (their block texts are read in one batch)."""
    return [r.doc for r in site.incoming.get(ident, [])]


def entity_pages(site: Site, wanted: Callable[[str], bool] | None = None, passed: list[str] | None = None,
                 tagged: list[str] | None = None) -> list[Page]:
    """A page per concept (stubs included), per source and per tag. With `wanted`, only the concept
    and source pages whose path it wants are made, and the paths of the others go to `passed`: an
    edit's plan looks at some 30 of a 10k vault's 13,000 pages. With `tagged` (the tag pages as the
    last build drew them, when no file's tags or title changed since), no tag page is made, and
    those go to `passed` too: finding every file's tags took 0.03 s of a 10k vault's edit."""
    pages = []
    for c in site.kb.concepts.values():
        path = urls.concept_page(c.id)
        if wanted is not None and not wanted(path):
            passed.append(path)
            continue
        pages.append(Page(path, "concept.html", lambda c=c: concept_inputs(site, c),
                          lambda c=c, path=path: concept_context(site, c, path),
                          lambda c=c: needs(site, c.id), ident=c.id))
    for sid in site.kb.source_ids:
        path = urls.source_page(sid)
        if wanted is not None and not wanted(path):
            passed.append(path)
            continue
        pages.append(Page(path, "source.html", lambda sid=sid: source_inputs(site, sid),
                          lambda sid=sid, path=path: source_context(site, sid, path),
                          lambda sid=sid: needs(site, sid), ident=sid))
    if tagged is not None:
        passed += tagged
        return pages
    for tag in site.tags:
        path = urls.tag_page(tag)
        pages.append(Page(path, "tag.html", lambda tag=tag: tag_inputs(site, tag),
                          lambda tag=tag, path=path: tag_context(site, tag, path), always=True))
    return pages

