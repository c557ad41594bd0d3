"""The site's index pages: home, concepts, sources, claims, tensions, questions, tags, graph.

Each is made of plain data that is cheap to gather, so its inputs are its context: the page is
drawn again only when what it lists changes."""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from functools import partial
from urllib.parse import quote

from markupsafe import Markup, escape

from kg.publish import fragments, urls
from kg.publish.graphs import GLOBAL_LIMIT, Node, global_layout, svg
from kg.publish.pages import Page
from kg.publish.site import Site
from kg.publish.views import KIND_LABEL, claim_view, tension_view

_SLUG = re.compile(r"[a-z0-9-]+")
"""A concept id whose page name is itself, quoted (`urls.page_name`, `quote`)."""
_TO_ESCAPE = re.compile(r"[&<>'\"]")
"""What markupsafe.escape changes: text without them is written as it is."""

CLAIMS_PER_PAGE = 500
"""Rows of the claims index per page, about (whole files per page, `pages_of`): at 2,000, a 10k
vault's pages held up to 4,000 rows, 2.2 MB of HTML for a reader to load."""
TENSIONS_PER_PAGE = 200
"""Tensions per page, about (`pages_of`): on one page, a 10k vault's 5,125 tensions were 4.9 MB of
HTML, drawn again whenever one of them changed."""
TENSION_KINDS = ("numeric", "temporal", "polarity", "declared")
"""The order the tensions pages list the kinds in."""
PAGER_AROUND = 2
"""The pager links the first and last pages and this many on each side of the current one."""


def _ld(site: Site, page: str, kind: str, name: str, **more) -> dict:
    iri = site.base_url + page
    return {"@context": "https://schema.org", "@type": kind, "@id": iri, "url": iri, "name": name, **more}


def home(site: Site, page: str) -> dict:
    kb = site.kb
    contested = site.contested
    newest = []
    for path in site.sources_by_date[:6]:
        s = site.source_meta[path]
        newest.append({"title": s["title"], "href": urls.relative(page, site.page_of_doc(path)),
                       "date": s["date"], "author": s["author"]})
    return {
        "counts": {"concepts": len(kb.concepts), "stubs": sum(1 for c in kb.concepts.values() if c.stub),
                   "sources": len(kb.source_ids), "tags": len(site.tags),
                   **(site.counts or {})},
        "has_claims": site.knowledge is not None,
        "tension_kinds": [{"kind": k, "label": KIND_LABEL[k], "count": n, "href": _kind_href(site, page, k)}
                          for k, n in sorted(site.tension_kinds.items())],
        "newest": newest,
        "contested": [{"title": kb.concepts[cid].title, "count": n,
                       "href": urls.relative(page, urls.concept_page(cid))} for cid, n in contested.most_common(6)],
        "json_ld": _ld(site, page, "WebSite", site.title),
    }


def concepts(site: Site, page: str) -> dict:
    """Every concept by first letter, each letter's entries written here as one HTML text: through
    the template, a 10k vault's concepts index took 0.3 s of each edit that changed a note's count
    of claims."""
    groups: dict[str, list[str]] = defaultdict(list)
    folder = urls.relative(page, urls.concept_page(""))[:-len(urls.page_name(""))]  # as `urls.relative` links
    statements = site.statements  # each concept's page: the folder's link, then the page's name, quoted
    to_escape, short = _TO_ESCAPE.search, urls.MAX_NAME_BYTES - len(".") - len(".html") - len(".tmp")
    for c in sorted(site.kb.concepts.values(), key=lambda c: c.title.casefold()):
        title, doc = c.title, c.doc
        first = title[:1].upper()
        letter = first if first.isalpha() else "#"
        claims = statements.get(doc, 0) if doc else 0
        kind = ' <span class="kind">no note yet</span>' if doc is None else \
            f' <span class="kind">{escape(c.type)}</span>' if c.type else ""
        count = f' <span class="count">{claims} claims</span>' if claims else ""
        cid = c.id  # (a slug's page name is itself quoted: 2 µs a concept of 11,742, 0.05 s in all)
        href = folder + (cid + ".html" if len(cid) <= short and _SLUG.fullmatch(cid) else quote(urls.page_name(cid)))
        stub = ' class="stub"' if doc is None else ""
        groups[letter].append(f'    <li{stub}><a href="{href}">{escape(title) if to_escape(title) else title}</a>{kind}{count}</li>')
    return {"groups": [(letter, "".join(entries)) for letter, entries in sorted(groups.items())],
            "json_ld": _ld(site, page, "CollectionPage", "Concepts")}


def sources(site: Site, page: str) -> dict:
    items = []
    for path in site.sources_by_date:
        s = site.source_meta[path]
        items.append({"title": s["title"], "href": urls.relative(page, site.page_of_doc(path)), "author": s["author"],
                      "date": s["date"], "publisher": s["publisher"], "doc": path,
                      "claims": site.statements.get(path, 0),  # (a source's claims are all statements)
                      "cited_by": len(site.linking_files(site.holder[path][1]))})
    return {"items": items, "json_ld": _ld(site, page, "CollectionPage", "Sources")}


def claim_groups(site: Site, order: list[str] | None = None) -> list[list[str]]:
    """The files of each page of the claims index, in the order it shows them (notes, then sources,
    by title), paged by `pages_of`. `order`: those files in that order, when known (the last
    build's, while no file was retitled and the same files hold statements: sorting a 10k vault's
    by title took 0.02 s of an edit)."""
    count = site.statements
    sources = site.kb.sources
    docs = order if order is not None else sorted(count, key=lambda d: (d in sources, _group_title(site, d).casefold(), d))
    return pages_of(docs, count, CLAIMS_PER_PAGE)


def pages_of(docs: list[str], count: Counter, per_page: int) -> list[list[str]]:
    """Whole files per page, about `per_page` claims each: a page ends after a file whose name
    hashes to a cut (one file in `step`, so that the files after half a page make up the other
    half on average), once it holds half a page, or at twice a page whatever the names. Where a
    page ends then depends on the files around it, not on every file before it: a claim added to
    one file redraws its page and, rarely, the next. (Closing each page at the first file past
    `per_page` moved every later boundary whenever one moved: on 11,000 simulated files, one added
    claim changed up to 45 of 112 pages.) Up to two pages' worth, one page."""
    total = sum(count[d] for d in docs)
    if total <= 2 * per_page:  # one page, as long as it is no longer than a page may be: its filters
        return [docs]  # then count the whole vault (the home page's counts link them)
    share = (per_page / 2) / max(total / max(len(docs), 1), 1.0)  # files in half a page
    step = 2 ** max(0, round(math.log2(max(share, 1.0))))  # a power of two: the same for small changes
    pages: list[list[str]] = [[]]
    filled = 0
    for doc in docs:
        pages[-1].append(doc)
        filled += count[doc]
        cut = int.from_bytes(hashlib.blake2b(doc.encode(), digest_size=4).digest(), "big") % step == 0
        if filled >= 2 * per_page or (filled >= per_page / 2 and cut):
            pages.append([])
            filled = 0
    if len(pages) > 1 and not pages[-1]:
        pages.pop()
    return pages


def _group_title(site: Site, doc: str) -> str:
    holder = site.holder.get(doc)
    return (site.kb.title_of(holder[1]) if holder else None) or doc


def _claims_inputs(site: Site, docs: list[str], number: int, total: int) -> list:
    """What a claims page shows, cheaply: its files with their titles and the hash of their
    claims as the index shows them (Site.listed_digest)."""
    first = site.counts if number == 1 else None  # the lead, on page 1 only
    return [number, total, first, [[d, _group_title(site, d), site.listed_digest(d)] for d in docs]]


def claims(site: Site, page: str, docs: list[str], number: int, total: int) -> dict:
    groups, kinds = fragments.on_page([site.kept_groups.get(doc) or _claim_group(site, page, doc) for doc in docs])
    pager = pager_of(page, number, total)
    return {"groups": groups, "pager": pager, "number": number, "total": total, "quantity_kinds": kinds,
            "has_claims": site.knowledge is not None,
            "counts": site.counts if number == 1 else None,
            "json_ld": _ld(site, page, "CollectionPage", "Claims")}


def group_key(site: Site, doc: str, listed: str | None) -> str | None:
    """The key of a file's group of the claims index (kg.publish.fragments.key), with what the
    index shows of its statements (`listed`: Site.listed_digest)."""
    from kg.publish.writer import code_version

    return fragments.key(code_version(), doc, site.page_of_doc(doc), _group_title(site, doc), listed)


def _claim_group(site: Site, page: str, doc: str) -> fragments.Group:
    """A file's group of the claims index, drawn from its statements (each one's anchor: the first
    of an id), and noted in `site.drawn_groups` to be kept (when drawn in the build's process)."""
    from kg.publish.writer import environment

    group: dict | None = None
    ids: list[str] = []
    seen: set[str] = set()
    for c in site.claims_by_doc.get(doc, []):
        if c.kind != "claim":
            continue
        v = claim_view(site, c, page, with_evidence=False)
        v["qkinds"] = " ".join(sorted({b["kind"] for b in v["badges"]}))
        v["anchor"] = None if v["id"] in seen else f"claim-{v['id']}"  # one text twice: one id (and on the page:
        seen.add(v["id"])  # `fragments.on_page`)
        ids.append(v["id"])
        if group is None:
            group = {"title": _group_title(site, doc), "href": v["where_href"], "origin": c.origin, "items": [],
                     "status": Counter()}
        group["items"].append(v)
        group["status"][c.status or "none"] += 1
    if group is None:
        drawn = fragments.Group("", [], [])
    else:
        html = environment().get_template("claim_group.html").module.claim_group(group)
        drawn = fragments.Group(str(html), ids, sorted({b["kind"] for v in group["items"] for b in v["badges"]}))
    if site.drawn_groups is not None and (found := group_key(site, doc, site.listed_digest(doc))) is not None:
        site.drawn_groups[doc] = (found, drawn)
    return drawn


def pager_of(page: str, number: int, total: int, path_of=urls.claims_page) -> dict | None:
    """The links between the claims pages, as a reader of a long list expects them: previous and
    next, the first and the last page, and the pages around this one, with a gap (None) where two
    pages or more are left out (a 10k vault has over 300 pages; listing each made every page's
    pager a list of links longer than a screen). None for a single page."""
    if total <= 1:
        return None

    def link(n: int) -> str:
        return urls.relative(page, path_of(n))

    pages: list[dict | None] = []
    last = 0
    for n in sorted({1, total, *range(max(1, number - PAGER_AROUND), min(total, number + PAGER_AROUND) + 1)}):
        if n == last + 2:  # a gap would hide one page: show it instead
            pages.append({"number": last + 1, "href": link(last + 1), "current": False})
        elif n > last + 2:
            pages.append(None)
        pages.append({"number": n, "href": link(n), "current": n == number})
        last = n
    return {"pages": pages, "previous": link(number - 1) if number > 1 else None,
            "next": link(number + 1) if number < total else None}


def tension_paging(order: list[tuple[str, str, float]]) -> tuple[list[list[str]], dict[str, int]]:
    """The ids of each tensions page, and the page each kind starts on, from the shown tensions'
    (id, kind, score) in the knowledge's order: by kind, the strongest first (ties in that order),
    paged by `pages_of`, which cuts after ids that hash to a cut, not at every `TENSIONS_PER_PAGE`:
    a tension new, gone or scored again redraws the page it leaves and the one it joins, not every
    page after them."""
    rank = {kind: n for n, kind in enumerate(TENSION_KINDS)}
    ranked = sorted(range(len(order)), key=lambda i: (rank[order[i][1]], -order[i][2], i))
    ids = [order[i][0] for i in ranked]
    groups = pages_of(ids, dict.fromkeys(ids, 1), TENSIONS_PER_PAGE) if ids else [[]]
    kind_of = {tid: kind for tid, kind, _ in order}
    starts: dict[str, int] = {}
    for n, page in enumerate(groups, 1):
        for tid in page:
            starts.setdefault(kind_of[tid], n)
    return groups, starts


def _kind_href(site: Site, page: str, kind: str) -> str:
    """Where a kind of tension starts, from `page`."""
    return f"{urls.relative(page, urls.tensions_page(site.tension_paging[1].get(kind, 1)))}#{kind}"


def tensions(site: Site, page: str, ids: list[str], number: int, total: int) -> dict:
    """Page `number` of the tensions: these ids, under a heading for each kind (a kind that began on
    an earlier page is continued)."""
    # (each looked up by its place, not found by walking them all: every drawing worker walking a 10k
    # vault's 5,125 tensions copied the pages that hold them)
    shown, place, starts = site.knowledge.tensions if site.knowledge else [], site.tension_order, site.tension_paging[1]
    groups: list[dict] = []
    for tid in ids:
        t = shown[place[tid]]
        if not groups or groups[-1]["kind"] != t.kind:
            continued = starts.get(t.kind, number) < number  # (its heading, anchor and count are on an earlier page)
            groups.append({"kind": t.kind, "label": KIND_LABEL[t.kind], "items": [],
                           "anchor": f"{t.kind}-continued" if continued else t.kind,
                           "count": "continued" if continued else site.tension_kinds[t.kind]})
        groups[-1]["items"].append(tension_view(site, t, page))
    kinds = [{"kind": k, "label": KIND_LABEL[k], "count": n, "href": _kind_href(site, page, k)}  # (page 1 of several)
             for k, n in sorted(site.tension_kinds.items(), key=lambda kn: TENSION_KINDS.index(kn[0]))] \
        if number == 1 and total > 1 else None
    return {"groups": groups, "pager": pager_of(page, number, total, urls.tensions_page), "number": number,
            "total": total, "kinds": kinds,
            "has_claims": site.knowledge is not None, "json_ld": _ld(site, page, "CollectionPage", "Tensions")}


def questions(site: Site, page: str) -> dict:
    groups: dict[str, dict] = {}
    seen: set[str] = set()
    for c in site.claims:
        if c.kind != "question" or c.origin != "note":
            continue
        where = site.page_of_doc(c.doc)
        group = groups.setdefault(c.doc, {"title": site.kb.infos[c.doc].title,
                                          "href": urls.relative(page, where) if where else None, "items": []})
        view = claim_view(site, c, page, with_evidence=False)
        view["anchor"] = None if c.id in seen else f"claim-{c.id}"  # one question in two notes: one id
        seen.add(c.id)
        group["items"].append(view)
    return {"groups": sorted(groups.values(), key=lambda g: g["title"].casefold()),
            "has_claims": site.knowledge is not None, "json_ld": _ld(site, page, "CollectionPage", "Open questions")}


def tags(site: Site, page: str) -> dict:
    items = [{"name": t, "href": urls.relative(page, urls.tag_page(t)), "count": len(docs), "depth": t.count("/")}
             for t, docs in site.tags.items()]
    return {"items": items, "json_ld": _ld(site, page, "CollectionPage", "Tags")}


def _graph_data(site: Site, page: str) -> tuple[list[Node], list[tuple[str, str, str]], int]:
    """The most linked concepts and the links between them."""
    ranked = heapq.nsmallest(GLOBAL_LIMIT, ((-site.incoming_count(c.id), c.title.casefold(), c.id)
                                            for c in site.kb.concepts.values()))
    top = [Node(f"concept:{cid}", site.kb.concepts[cid].title, urls.relative(page, urls.concept_page(cid)),
                "stub" if site.kb.concepts[cid].stub else "concept", 1 - weight) for weight, _, cid in ranked]
    shown = {n.id for n in top}
    edges = set()
    for node in top:  # only the links written in the shown concepts' notes can join two shown nodes
        concept = site.kb.concepts[node.id.split(":", 1)[1]]
        for r in site.outgoing.get(concept.doc, []) if concept.doc else []:
            b = f"concept:{r.target_id}"
            if r.target_kind in ("note", "missing") and b in shown:
                edges.add((node.id, b, r.relation))
    return top, sorted(edges), len(site.kb.concepts)


def graph(site: Site, page: str) -> dict:
    top, edges, total = _graph_data(site, page)
    picture = global_layout(top, edges, site.layout_cache)
    return {"svg": Markup(svg(picture, 1200, 800, "The most linked concepts of the vault")), "shown": len(picture.nodes),
            "total": total, "json_ld": _ld(site, page, "CollectionPage", "Graph")}


def _graph_inputs(site: Site) -> list:
    top, edges, total = _graph_data(site, urls.GRAPH)
    return [[[n.id, n.label, n.kind, n.weight] for n in top], edges, total]


def index_pages(site: Site, groups: list[list[str]] | None = None) -> list[Page]:
    """Home and the indexes; each page's inputs are its context (cheap), except the graph's.
    `groups`: the files of each claims page (`claim_groups`), when already found."""
    groups = claim_groups(site) if groups is None else groups
    pages = [list_page(site, name) for name in LISTS]
    pages += [claims_page(site, docs, n, len(groups)) for n, docs in enumerate(groups, 1)]
    pages += tensions_pages(site)
    pages.append(graph_page(site))
    return pages


def _listing(site: Site, path: str, template: str, make) -> Page:
    """An index page whose inputs are its context (`make(site, path)`), made once."""
    made = {}

    def context() -> dict:
        if "c" not in made:
            made["c"] = make(site, path)
        return made["c"]
    return Page(path, template, context, context, always=True)


LISTS = {"home": (urls.HOME, "home.html", home), "concepts": (urls.CONCEPTS, "concepts.html", concepts),
         "sources": (urls.SOURCES, "sources.html", sources),
         "questions": (urls.QUESTIONS, "questions.html", questions), "tags": (urls.TAGS, "tags.html", tags)}
"""The lists but the claims index, the tensions and the graph, by name: the home page (counts, newest
sources, most contested concepts), the concepts, sources and tags indexes, every note's questions."""


def list_page(site: Site, name: str) -> Page:
    """The page of one of `LISTS`."""
    path, template, make = LISTS[name]
    return _listing(site, path, template, make)


def claims_page(site: Site, docs: list[str], number: int, total: int) -> Page:
    """Page `number` of the claims index, of these files (one of `claim_groups`)."""
    path = urls.claims_page(number)
    return Page(path, "claims.html", partial(_claims_inputs, site, docs, number, total),
                partial(claims, site, path, docs, number, total), always=True)


def tensions_pages(site: Site, numbers: set[int] | None = None) -> list[Page]:
    """The pages of the tensions (`Site.tension_paging`), or those of these `numbers`, with the
    map of the tensions to their pages when they are several (`tension_map`)."""
    groups = site.tension_paging[0]
    pages = [tensions_page(site, ids, n, len(groups)) for n, ids in enumerate(groups, 1) if numbers is None or n in numbers]
    return pages + ([tension_map(site)] if len(groups) > 1 and (numbers is None or numbers) else [])


def tension_map(site: Site) -> Page:
    """tensions.json: the ids of each tensions page, for the site's script to open the page that holds
    a tension a link names (`tensions.html#tension-…`, its linked data IRI: kg.rdf) when it is another."""
    groups = site.tension_paging[0]
    return Page(urls.TENSION_MAP, "tensions.json", lambda: groups, lambda: {"pages": groups}, always=True)


def tensions_page(site: Site, ids: list[str], number: int, total: int) -> Page:
    """Page `number` of the tensions, of these ids; its inputs are its context."""
    path = urls.tensions_page(number)
    return _listing(site, path, "tensions.html", lambda site, page: tensions(site, page, ids, number, total))


def graph_page(site: Site) -> Page:
    """The graph of the most linked concepts: made of the links alone, not the knowledge."""
    return Page(urls.GRAPH, "graph.html", lambda: _graph_inputs(site), lambda: graph(site, urls.GRAPH), always=True)
