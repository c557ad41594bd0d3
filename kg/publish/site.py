"""Everything the pages need, gathered once from the KnowledgeBase before any page is drawn.

`Site` holds lookups (links by file and by target, claims by file, evidence by claim, tensions
by claim, tags) and answers the renderer's questions (`kg.publish.markdown.Linker`): where a link
goes from a given page, the text of an embedded note. Nothing here writes a file.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from kg.knowledge import KnowledgeBase
from kg.memory import give_back
from kg.model import Claim, Evidence, Link, Note, Tension
from kg.paths import heading_anchor, tag_with_parents
from kg.publish import urls
from kg.vault import decode

if TYPE_CHECKING:
    from kg.claims.store import Analysis
    from kg.publish.fragments import Group

CONTEXT_LIMIT = 1200
"""The most characters of a paragraph a backlink shows; of a longer paragraph, the part around the
link. A paragraph of thousands of links was shown whole on every page it links: publishing took
time and memory growing with the square of its links."""


KNOWLEDGE_VIEWS = ("knowledge", "claims", "_claim_lookups", "claims_by_doc", "statements", "claims_by_id",
                    "claim_by_key", "evidence", "cited", "tensions_by_claim", "tensions_by_subject", "tension_order",
                    "mentioned_in", "related", "knowledge_digests", "declared", "contested", "tension_kinds",
                    "tension_paging")
"""Site's cached lookups made from the knowledge (`let_knowledge_go`)."""


class Site:
    """One vault, seen from the site."""

    def __init__(self, kb: KnowledgeBase, title: str, base_url: str, analysis: Analysis | None = None):
        self.kb = kb
        self.analysis = analysis
        """The knowledge stage's result, or None when the build skipped it (--no-search)."""
        self.title = title
        """The site's title."""
        self.base_url = base_url
        """Where the site is published, ending in `/`: the `@id` of each page's JSON-LD."""
        self._edges_of: dict[str, dict] = {}
        self._contexts: dict[tuple, str | tuple[str, dict[str, int]]] = {}
        self._doc_titles: dict[str, dict[str, str]] = {}
        self.known_sources: dict[str, dict] = {}
        """Source metadata remembered from the last build, by path (see `source_meta`)."""
        self.attachments: set[str] = set()
        """Files (images, PDFs) that pages link, to copy into site/files/."""
        self.follow_outside_links = False
        """Publish files that are links to files outside the vault ([vault] follow_outside_links)."""
        self.layout_cache: Path | None = None
        """Where the global graph's layout is kept between builds (kg.publish.graphs.global_layout)."""
        self.kept_groups: dict[str, Group] = {}
        """The claims index groups of the files whose claims were not read, as they were drawn
        (kg.publish.fragments: `_kept_knowledge` takes them)."""
        self.drawn_groups: dict[str, tuple[str, Group]] | None = {}
        """The claims index groups this process drew, by file, with their keys, to be kept (None
        while the pages are drawn in workers, whose groups are not kept)."""
        self.sides: dict[tuple[str, str], Claim] = {}
        """Where the tension sides that are not among the knowledge's claims are shown (id, file,
        kind, origin, source, anchor: kg.claims.store.SettledRows.places), when the knowledge holds
        only what some pages show but every tension (kg.publish.writer, `_kept_knowledge`)."""

    @cached_property
    def knowledge(self):
        """Claims, evidence and tensions, or None when the build skipped that stage (--no-search);
        read on first use, so a site with nothing to draw never reads them. When the stage analysed
        nothing, they are read from the settled rows, which say what the pages show: making the
        whole result again from the memo took 3 s of a 6,571-note vault's edit that adds a link to
        a note not written yet (a new stub concept changes the lists, so every page is planned)."""
        if not self.analysis:
            return None
        rows = self.analysis.rows()
        return rows.knowledge(related=True) if rows is not None else self.analysis.knowledge

    def let_knowledge_go(self) -> None:
        """Forget the knowledge and every lookup made from it, once the pages are drawn (the meaning
        search needs none of it): through that last step, a 10k vault's cold build held its 145k
        claims and 89k evidence items (0.6 GB) beside the search's units. Read again if asked."""
        for name in KNOWLEDGE_VIEWS:
            self.__dict__.pop(name, None)
        if self.analysis is not None:
            self.analysis.let_go()
        give_back()

    @cached_property
    def counts(self) -> dict | None:
        """The knowledge's counts as the knowledge stage counted them (what `kg build` prints), for
        every page that shows them."""
        return self.analysis.summary if self.analysis else None

    # -- lookups ------------------------------------------------------------------------
    @cached_property
    def rows_by_doc(self) -> Lookup[str, dict[tuple, Link]]:
        """Each file's resolved links, by (target as written, heading, block)."""
        def of(doc: str) -> dict[tuple, Link]:
            out: dict[tuple, Link] = {}
            for r in self.outgoing.get(doc, ()):
                out.setdefault((r.target, r.heading, r.block), r)
            return out
        return Lookup(of)

    @cached_property
    def outgoing(self) -> Mapping[str, list[Link]] | Lookup[str, list[Link]]:
        """Each file's resolved links, in the order written. When no step decoded every link yet
        (`kb.rows`), a file's are decoded when first asked for: an edit's pages ask for a few files',
        and decoding a 10k vault's 70k links for them took 0.35 s of the edit."""
        if "rows" not in self.kb.__dict__:
            return Lookup(lambda doc: self.kb.rows_of([doc]))
        out: dict[str, list[Link]] = defaultdict(list)
        for r in self.kb.rows:
            out[r.doc].append(r)
        return out

    @cached_property
    def incoming(self) -> Mapping[str, list[Link]] | Lookup[str, list[Link]]:
        """Links by the id they point at (concept or source id), in file order; found through
        `kb.linking` from the files that link it, when every link is not decoded yet (`outgoing`)."""
        if "rows" not in self.kb.__dict__:
            def by_target(doc: str) -> dict[str, list[Link]]:  # (each file's links gone through once,
                out: dict[str, list[Link]] = {}  # however many of its targets are asked for)
                for r in self.outgoing.get(doc, ()):
                    if r.target_kind != "file":
                        out.setdefault(r.target_id, []).append(r)
                return out
            targets = Lookup(by_target)
            return Lookup(lambda ident: [r for doc in dict.fromkeys(self.kb.linking.get(ident, ()))
                                         for r in targets.get(doc, {}).get(ident, ())])
        out: dict[str, list[Link]] = defaultdict(list)
        for r in self.kb.rows:
            if r.target_kind != "file":
                out[r.target_id].append(r)
        return out

    def incoming_count(self, ident: str) -> int:
        """How many links point at a concept or source id (what the graph ranks concepts by),
        counted without decoding the links (`kb.linking`)."""
        return len(self.kb.linking.get(ident, ()))

    def linking_files(self, ident: str) -> set[str]:
        """The files with a link to a concept or source id (a source's "cited by" on the sources
        index), found without decoding the links: asking `incoming` of 1,000 sources decoded
        most files' links, 0.1 s of a 10k vault's note made."""
        return set(self.kb.linking.get(ident, ()))

    @cached_property
    def holder(self) -> dict[str, tuple[str, str]]:
        """File path -> (kind, id) of the page that shows it: ('concept', id) or ('source', id)."""
        out = {c.doc: ("concept", c.id) for c in self.kb.concepts.values() if c.doc}
        out.update({path: ("source", sid) for sid, path in self.kb.source_ids.items()})
        return out

    @cached_property
    def tags(self) -> dict[str, list[str]]:
        """Tag -> the files that use it (nested tags count for their parents too)."""
        out: dict[str, list[str]] = defaultdict(list)
        nested: dict[str, list[str]] = {}  # (each tag's parents found once: a 10k vault tags 24,000 times)
        holder = self.holder
        for path, info in self.kb.infos.items():
            if not info.tags or path not in holder:
                continue
            seen: set[str] = set()
            for tag in info.tags:
                for t in nested.get(tag) or nested.setdefault(tag, tag_with_parents(tag)):
                    if t not in seen:
                        seen.add(t)
                        out[t].append(path)
        return dict(sorted(out.items()))

    @cached_property
    def claims(self) -> list[Claim]:
        return self.knowledge.claims if self.knowledge else []

    @cached_property
    def _claim_lookups(self) -> tuple[dict, dict, dict, dict, dict]:
        """`claims_by_doc`, `claims_by_id`, `claim_by_key`, `mentioned_in` and `statements`, made in
        one pass over the claims (five passes took 0.50 s of a 10k vault's claims, this one 0.40 s)."""
        by_doc: dict[str, list[Claim]] = defaultdict(list)
        by_id: dict[str, list[Claim]] = defaultdict(list)
        by_key: dict[tuple[str, str], Claim] = {}
        mentioned: dict[str, list[Claim]] = defaultdict(list)
        stated: dict[str, int] = {}
        for c in self.claims:
            by_doc[c.doc].append(c)
            by_id[c.id].append(c)
            by_key[c.id, c.doc] = c
            for cid in c.concepts:
                mentioned[cid].append(c)
            if c.kind == "claim":
                stated[c.doc] = stated.get(c.doc, 0) + 1
        return by_doc, by_id, by_key, mentioned, stated

    @cached_property
    def claims_by_doc(self) -> dict[str, list[Claim]]:
        return self._claim_lookups[0]

    @cached_property
    def statements(self) -> dict[str, int]:
        """File -> how many of its claims are statements (not questions or declared tensions), for
        the files with one: the concepts index and the claims index count them, once."""
        return self._claim_lookups[4]

    @cached_property
    def claims_by_id(self) -> dict[str, list[Claim]]:
        return self._claim_lookups[1]

    @cached_property
    def claim_by_key(self) -> dict[tuple[str, str], Claim]:
        return self._claim_lookups[2]

    @cached_property
    def evidence(self) -> Mapping[tuple[str, str], list[Evidence]]:
        """Evidence by (claim id, claim doc), declared first, then best first
        (kg.claims.store.EvidenceByClaim: each claim's items sorted when first asked for)."""
        from kg.claims.store import EvidenceByClaim

        return EvidenceByClaim(self.claims_by_id, self.knowledge.evidence) if self.knowledge else {}

    @cached_property
    def cited(self) -> Mapping[str, dict[str, list[tuple[Claim, Evidence]]]]:
        """Source path -> sentence anchor -> the note claims whose evidence it is, in the order of
        `evidence`'s keys (made for a source when first asked for)."""
        return _Cited(self.evidence, self.claim_by_key) if self.knowledge else {}

    @cached_property
    def tensions_by_claim(self) -> dict[str, list[Tension]]:
        out: dict[str, list[Tension]] = defaultdict(list)
        for t in self.knowledge.tensions if self.knowledge else []:
            for cid in t.claim_ids():
                out[cid].append(t)
        return out

    @cached_property
    def tensions_by_subject(self) -> dict[str, list[Tension]]:
        out: dict[str, list[Tension]] = defaultdict(list)
        for t in self.knowledge.tensions if self.knowledge else []:
            for subject in t.subjects:
                out[subject].append(t)
        return out

    @cached_property
    def tension_order(self) -> dict[str, int]:
        """Each shown tension's place in the knowledge's list: the order every page and `kg show` list them in."""
        return {t.id: n for n, t in enumerate(self.knowledge.tensions)} if self.knowledge else {}

    def tensions_of(self, ident: str, doc: str | None) -> list[Tension]:
        """The tensions a page lists (kg.claims.store.tensions_about), found through the indexes, in
        the knowledge's order (not the order of a set of claim ids, which differs from one process
        to the next: a page's tensions changed places at every build that drew it)."""
        from kg.claims.store import tensions_about

        own = {c.id for c in self.claims_by_doc.get(doc, [])} if doc else set()
        near = [t for cid in own for t in self.tensions_by_claim.get(cid, [])] + self.tensions_by_subject.get(ident, [])
        return tensions_about(sorted(near, key=lambda t: self.tension_order[t.id]), own, ident)

    @cached_property
    def contested(self) -> Counter:
        """Concept id -> how many of its note's statements are contested, in the order of the
        vault's files (the home page lists the most contested concepts)."""
        out: Counter = Counter()
        for c in self.claims:
            if c.origin == "note" and c.kind == "claim" and c.status == "contested" and c.concept:
                out[c.concept] += 1
        return out

    @cached_property
    def tension_paging(self) -> tuple[list[list[str]], dict[str, int]]:
        """The ids of each tensions page and the page each kind starts on (kg.publish.indexes.tension_paging)."""
        from kg.publish.indexes import tension_paging

        return tension_paging([(t.id, t.kind, t.score) for t in self.knowledge.tensions] if self.knowledge else [])

    @cached_property
    def tension_kinds(self) -> Counter:
        """Kind -> how many tensions of that kind are shown (the home page counts them)."""
        return Counter(t.kind for t in self.knowledge.tensions) if self.knowledge else Counter()

    @cached_property
    def mentioned_in(self) -> dict[str, list[Claim]]:
        """Concept id -> the claims that name it (by title or alias)."""
        return self._claim_lookups[3]

    @cached_property
    def related(self) -> dict[str, list[Claim]]:
        """Note path -> claims of other files nearest in meaning to its claims (the knowledge
        stage's neighbours, kg.claims.analyse.Knowledge.related)."""
        if not self.knowledge:
            return {}
        return {doc: [self.claim_by_key[k] for k in keys if k in self.claim_by_key]
                for doc, keys in self.knowledge.related.items()}

    @cached_property
    def knowledge_digests(self) -> dict[str, str]:
        """File path -> a hash of everything its page shows from the knowledge stage: its claims with
        their status, their evidence and tensions, related claims, and, for a concept, the claims
        that name it, for a source, the claims it backs. An edit redraws a page when this changes.
        After a colon, a hash of what the claims index shows of the file (`listed_digest`)."""
        return self._digests(None)

    def digests_since(self, before: dict[str, str] | None, stamp: str | None) -> dict[str, str]:
        """`knowledge_digests`, hashing again only the pages the knowledge stage's changes reach
        when `before` are the digests of the settled rows those changes start from (`stamp`,
        kg.claims.store.Analysis.since), and none when nothing was analysed and `stamp` is this
        knowledge's; else every page's. A 10k vault's edit hashed every page's view (1.6 s) to find
        the few that changed. What it returns is `knowledge_digests` from then
        on (the claims index pages are keyed by it)."""
        if (before is not None and stamp is not None and self.analysis is not None
                and self.analysis.judged is None and stamp == self.analysis.stamp):
            # nothing analysed, and the knowledge the last pages were drawn from: their digests stand
            self.__dict__["knowledge_digests"] = out = dict(before)  # (0.5 s of a 6,571-note vault's edit)
            return out
        changes = self.analysis.changes if self.analysis else None
        if changes is None or before is None or stamp is None or stamp != self.analysis.since:
            return self.knowledge_digests
        reached = changes.reach  # (found from the settled rows: kg.claims.store._reach)
        out = {doc: digest for doc, digest in before.items() if doc not in reached}
        out.update(self._digests(reached))
        self.__dict__["knowledge_digests"] = out = dict(sorted(out.items()))  # (the cached property's value)
        return out

    def _digests(self, docs: set[str] | None) -> dict[str, str]:
        """`knowledge_digests` of these files (every file's with None)."""
        if not self.knowledge:
            return {}
        if docs is not None:  # their kept items, read at once
            self.evidence.evidence.load({c.id for d in docs for c in self.claims_by_doc.get(d, ())}
                                        | self.cited.quoting(docs))
        shown: dict[str, list] = defaultdict(list)
        views: dict[int, tuple] = {}  # a claim is shown on several pages: its view is made once

        def view(c: Claim) -> tuple:
            found = views.get(id(c))
            if found is None:
                found = views[id(c)] = (c.id, c.doc, c.line, c.text, c.kind, c.status, c.supports, c.opposes)
            return found

        listed: dict[str, list] = {}  # what the claims index shows of each file's statements
        for doc, claims in self.claims_by_doc.items() if docs is None else \
                ((d, self.claims_by_doc[d]) for d in sorted(docs) if d in self.claims_by_doc):
            listed[doc] = []
            for c in claims:
                shown[doc].append(view(c))
                shown[doc] += [(e.source, e.anchor, e.stance, e.score, e.method, e.reason, e.line)
                               for e in self.evidence.get((c.id, c.doc), [])]
                tensions = self.tensions_by_claim.get(c.id, [])
                for t in tensions:
                    shown[doc].append((t.id, t.explanation, t.score, t.kind, t.review, t.a.line, t.b and t.b.line))
                    shown[doc] += [view(named) for cid in t.claims for named in self.claims_by_id.get(cid, [])]
                if c.kind == "claim":
                    listed[doc].append((view(c), [t.id for t in tensions]))
        for subject, tensions in self.tensions_by_subject.items():
            holder = self.kb.concepts.get(subject)
            path = holder.doc if holder is not None else self.kb.source_ids.get(subject)
            if path and (docs is None or path in docs):
                shown[path] += [(t.id, t.explanation, t.score, t.kind, t.review) for t in tensions]
        for doc, claims in self.related.items():
            if docs is None or doc in docs:
                shown[doc] += [view(c) for c in claims]
        for cid, claims in self.mentioned_in.items():
            concept = self.kb.concepts.get(cid)
            if concept is not None and concept.doc and (docs is None or concept.doc in docs):
                shown[concept.doc] += [view(c) for c in claims]
        for doc, anchors in self.cited.items() if docs is None else \
                ((d, self.cited[d]) for d in sorted(docs) if d in self.cited):
            shown[doc] += [(anchor, *view(c), e.stance) for anchor, items in sorted(anchors.items()) for c, e in items]
        return {doc: f"{_hashed(items)}:{_hashed(listed.get(doc, []))}" for doc, items in shown.items()}

    def listed_digest(self, doc: str) -> str | None:
        """A hash of what the claims index shows of a file's statements: each one's text, status,
        counts and tensions, not their evidence or the claims that name its concept (when a page
        of the index held some 2,000 claims, at 10k notes, one new claim redrew 9 of them to write 2)."""
        digest = self.knowledge_digests.get(doc)
        return digest.partition(":")[2] if digest else None

    def related_claims(self, doc: str) -> list[Claim]:
        return self.related.get(doc, [])

    @cached_property
    def source_meta(self) -> dict[str, dict]:
        """Source path -> {title, date, author, publisher}: from `known` (the last build's, by file
        hash) where the file is unchanged, else read from the parse cache."""
        out, missing = {}, []
        for path in self.kb.source_ids.values():
            info = self.kb.infos[path]
            found = self.known_sources.get(path)
            if found and found.get("hash") == info.hash:
                out[path] = found
            else:
                missing.append(path)
        for path, m in self.kb.source_meta(missing):
            out[path] = {key: m[key] for key in ("hash", "title", "date", "author", "publisher")}
        return out

    @cached_property
    def sources_by_date(self) -> list[str]:
        """Source paths, newest first (undated last)."""
        meta = self.source_meta
        return sorted(meta, key=lambda p: (meta[p]["date"] is None, _negate(meta[p]["date"] or ""), p))

    # -- where things are ---------------------------------------------------------------
    def page_of_doc(self, doc: str) -> str | None:
        kind, ident = self.holder.get(doc, (None, None))
        if kind == "concept":
            return urls.concept_page(ident)
        if kind == "source":
            return urls.source_page(ident)
        return None

    @cached_property
    def declared(self) -> dict[tuple[str, str], str]:
        """(claim id, doc) of a note's declared tension -> the tension's id."""
        return {(t.a.id, t.a.doc): t.id for t in (self.knowledge.tensions if self.knowledge else [])
                if t.kind == "declared"}

    def href_page(self, row: Link) -> str | None:
        """The page a link's target is shown on (no attachment)."""
        if row.target_kind in ("note", "missing"):
            return urls.concept_page(row.target_id)
        if row.target_kind == "source":
            return urls.source_page(row.target_id)
        return None

    def claim_target(self, claim: Claim) -> str:
        """The page and fragment where a claim is shown (a declared tension: its card)."""
        if claim.origin == "source" and claim.source:
            return urls.source_page(claim.source) + (f"#{claim.anchor}" if claim.anchor else "")
        if claim.kind == "question":  # listed on the questions page (the note shows them in its text)
            return f"{urls.QUESTIONS}#claim-{claim.id}"
        page = self.page_of_doc(claim.doc) or urls.CLAIMS
        tension = self.declared.get((claim.id, claim.doc))
        return f"{page}#tension-{tension}" if tension else f"{page}#claim-{claim.id}"

    def side_target(self, claim_id: str, doc: str) -> str:
        claim = self.claim_by_key.get((claim_id, doc)) or self.sides.get((claim_id, doc))
        if claim is not None:
            return self.claim_target(claim)
        return self.page_of_doc(doc) or urls.HOME

    @cached_property
    def block_rows(self) -> Lookup[str, dict[int, list[Link]]]:
        """The links of each paragraph or list item of a file, by block index."""
        def of(doc: str) -> dict[int, list[Link]]:
            out: dict[int, list[Link]] = {}
            for r in self.outgoing.get(doc, ()):
                if r.block_index is not None:
                    out.setdefault(r.block_index, []).append(r)
            return out
        return Lookup(of)

    def edges_of(self, doc: str) -> dict[str, list[tuple[int, tuple[str, str, str]]]]:
        """A file's links as graph edges (its page's node id, the target's node id, relation), each once,
        by the target's node id, with the place of its first link (edges keep the order of the text)."""
        found = self._edges_of.get(doc)
        if found is None:
            found = self._edges_of[doc] = {}
            holder = self.holder.get(doc)
            seen: set[tuple[str, str]] = set()
            for at, r in enumerate(self.outgoing.get(doc, []) if holder else []):
                kind = "concept" if r.target_kind in ("note", "missing") else r.target_kind
                if kind not in ("concept", "source") or (r.target_id, kind, r.relation) in seen:
                    continue
                seen.add((r.target_id, kind, r.relation))
                b = f"{kind}:{r.target_id}"
                found.setdefault(b, []).append((at, (f"{holder[0]}:{holder[1]}", b, r.relation)))
        return found

    def context(self, row: Link) -> str:
        """The paragraph that holds a link, as a reader of the site sees it: a link with no
        label reads as its target's title, as it does on the page. A paragraph longer than
        CONTEXT_LIMIT is cut to the part around the first link to the same target (so the links of
        one paragraph to one page still show one paragraph). Each paragraph is worked out once."""
        key = (row.doc, row.block_index)
        found = self._contexts.get(key)
        if found is None:
            found = self._contexts[key] = self._paragraph(row)
        if isinstance(found, str):
            return found
        text, first_at = found
        return _window(text, first_at.get(row.target_id, 0))

    def _shown_title(self, r: Link) -> str | None:
        """The title an unlabelled link to a note or source reads as, when it differs from the target written."""
        title = self.kb.title_of(r.target_id) if not r.label and r.target_kind in ("note", "source") else None
        return title if title and r.target and r.target != title else None

    def _titled(self, text: str, titles: dict[str, str]) -> str:
        """`text` with each link target of `titles` read as its title, as a page shows it."""
        for target, title in titles.items():
            if target in text:
                text = _replace_whole(text, target, title)
        return text

    def _titles(self, rows: list[Link]) -> dict[str, str]:
        """The unlabelled links of `rows` whose target reads as another title: target -> title."""
        return {r.target: t for r in rows if (t := self._shown_title(r))}

    def shown_text(self, doc: str, text: str) -> str:
        """A passage of `doc` (as the search index keeps it, links as written) as the site shows it."""
        return self._titled(text, self._titles_of(doc))

    def shown_digest(self, doc: str) -> str:
        """A hash of everything `shown_text` reads of `doc` besides the passage: which of its links
        read as which title. The meaning search keeps a file's units while it stands."""
        titles = self._titles_of(doc)
        return hashlib.blake2b(marshal.dumps(sorted(titles.items()), 2), digest_size=8).hexdigest() if titles else "-"

    def _titles_of(self, doc: str) -> dict[str, str]:
        titles = self._doc_titles.get(doc)
        if titles is None:  # a file's links looked up once for all its passages (65,000 at 10k notes)
            titles = self._doc_titles[doc] = self._titles(self.outgoing.get(doc, []))
        return titles

    def _paragraph(self, row: Link) -> str | tuple[str, dict[str, int]]:
        """A short paragraph with its links' titles in; a long one as (text with titles in, where the
        first link to each target starts), found in one pass left to right."""
        text = self.kb.context(row)
        rows = self.block_rows.get(row.doc, {}).get(row.block_index, [])
        if len(text) <= CONTEXT_LIMIT:
            return self._titled(text, self._titles(rows))
        parts: list[str] = []
        first_at: dict[str, int] = {}
        pos = length = missed = 0
        for r in rows:  # in the order they are written, each found after the one before
            shown = r.label or r.target or r.heading or r.block or ""
            # links whose text is not in the paragraph (`[](x.md)`) are searched for to its end only
            # until that has cost a few readings of it; then near the link before, so it stays linear
            end = len(text) if missed < 4 * len(text) else pos + CONTEXT_LIMIT + len(shown)
            at = text.find(shown, pos, end) if shown else -1
            if at < 0:  # not found: the place of the link before
                missed += end - pos
                first_at.setdefault(r.target_id, length)
                continue
            new = self._shown_title(r) or shown
            parts.append(text[pos:at])
            length += at - pos
            first_at.setdefault(r.target_id, length)
            parts.append(new)
            length += len(new)
            pos = at + len(shown)
        parts.append(text[pos:])
        return "".join(parts), first_at

    # -- the renderer's questions (kg.publish.markdown.Linker) ---------------------------
    def href(self, row: Link, page: str) -> str | None:
        if row.target_kind == "file":
            return self.attachment(row.target_id, page)
        target = self.href_page(row)
        return urls.relative(page, target) if target else None

    def tag_href(self, tag: str, page: str) -> str:
        return urls.relative(page, urls.tag_page(tag))

    def attachment(self, doc: str, page: str) -> str:
        self.attachments.add(doc)
        return urls.relative(page, urls.file_path(doc))

    def rows_of(self, doc: str) -> dict[tuple, Link]:
        return self.rows_by_doc.get(doc, {})

    def target_title(self, row: Link) -> str | None:
        """The title a link's target is shown by."""
        return self.kb.title_of(row.target_id)

    def has_anchor(self, doc: str | None, heading: str | None = None, block: str | None = None) -> bool:
        """Whether a note has the heading or block a link names (so the link may point into it)."""
        info = self.kb.infos.get(doc or "")
        if info is None:
            return False
        if block:
            return block in info.block_ids
        return heading_anchor(heading or "") in info.headings

    @cached_property
    def _inside(self) -> str:
        return os.path.join(os.path.realpath(self.kb.root), "")

    def outside(self, path: Path) -> bool:
        """Whether a file of the vault is (now) a link to a file outside it, not to be published:
        the build skips such files, but one may have been swapped for a link since."""
        return not self.follow_outside_links and not os.path.realpath(path).startswith(self._inside)

    def text_of(self, doc: str) -> str:
        """A file's text as the user wrote it (read again from disk; decoded as the parser does).
        A note that became a link out of the vault since it was read shows nothing."""
        path = self.kb.disk_path(doc)
        if self.outside(path):
            return ""
        try:
            data = path.read_bytes()
        except OSError:
            return ""
        text, _ = decode(doc, data)
        return text or ""

    def embed_source(self, row: Link) -> tuple[str, str] | None:
        """The Markdown an embed shows: the whole note, or the section or block it names."""
        doc = row.target_doc
        if not doc or doc not in self.kb.notes:
            return None
        text = self.text_of(doc)
        note: Note = self.kb.notes[doc]
        lines = text.split("\n")
        if row.block:
            block = next((b for b in note.blocks if b.block_id == row.block), None)
            return ("\n".join(lines[block.line - 1:block.end_line]), doc) if block else None
        if row.heading:
            anchor = heading_anchor(row.heading)
            for i, s in enumerate(note.sections):
                if s.anchor == anchor and s.level > 0:
                    end = next((t.line - 1 for t in note.sections[i + 1:] if t.level <= s.level), len(lines))
                    return "\n".join(lines[s.line - 1:end]), doc
            return None
        return text, doc  # front matter renders as nothing


def _replace_whole(text: str, target: str, title: str) -> str:
    """`text` with `target` read as `title` where it stands alone (not inside a longer name or
    path): a full stop after it ends the sentence (`according to sources/x.`), one before a
    letter continues a name (`sources/x.md`). By hand, not a regular expression per target:
    a 10k vault has 11,000 targets, and compiling their patterns took seconds of every build."""
    if not target:
        return text
    out, start, at = [], 0, text.find(target)
    while at >= 0:
        end = at + len(target)
        before = text[at - 1] if at else ""
        after, then = text[end:end + 1], text[end + 1:end + 2]
        alone = not (before and (_name_char(before) or before == ".")) and not (after and _name_char(after)) \
            and not (after == "." and then and _name_char(then))
        if alone:
            out.append(text[start:at])
            out.append(title)
            start = end
        at = text.find(target, end if alone else at + 1)
    out.append(text[start:])
    return "".join(out)


def _name_char(c: str) -> bool:
    """A character that continues a name or path: a word character, `/` or `-`."""
    return c.isalnum() or c in "_/-"


def _window(text: str, at: int) -> str:
    """About CONTEXT_LIMIT characters of `text` around position `at`, cut between words, with `…`
    where text was left out."""
    start = max(0, min(at - CONTEXT_LIMIT // 3, len(text) - CONTEXT_LIMIT))
    end = min(len(text), start + CONTEXT_LIMIT)
    if start > 0:
        space = text.find(" ", start, start + 40)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", end - 40, end)
        end = space if space > start else end
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def _negate(iso: str) -> str:
    """A key that sorts ISO dates newest first."""
    return "".join(chr(0x10000 - ord(ch)) for ch in iso)


def _hashed(items: list) -> str:
    return hashlib.blake2b(dumped(items), digest_size=10).hexdigest()


def dumped(items: list) -> bytes:
    """Plain data as bytes to hash: marshal writes strings, numbers and tuples several times as
    fast as repr (3.7 s of a 10k vault's edit). Format 2: later ones mark an object met twice by
    reference, so equal data built otherwise would hash otherwise. A new Python may write other
    bytes: its first build redraws the pages."""
    try:
        return marshal.dumps(items, 2)
    except ValueError:  # something marshal does not write: as text
        return repr(items).encode()


class _Cited(Mapping):
    """Source path -> sentence anchor -> (note claim, evidence item) for the items that quote one
    of its sentences, in the order of kg.claims.store.EvidenceByClaim's keys; made for a source when first asked."""

    def __init__(self, evidence, claim_by_key: dict[tuple[str, str], Claim]):
        self.evidence, self.claim_by_key = evidence, claim_by_key
        self.claims: dict[str, set[str]] = evidence.evidence.quoted()
        """Source path -> the ids of the note claims with an item that quotes one of its sentences
        (or, for a claim whose evidence an edit kept, with an item from it: `__getitem__` looks)."""
        self._made: dict[str, dict[str, list]] = {}

    def quoting(self, docs: Iterable[str]) -> set[str]:
        """The ids of the claims with an item that quotes one of these sources."""
        return {cid for doc in docs for cid in self.claims.get(doc, ())}

    def __getitem__(self, doc: str) -> dict[str, list[tuple[Claim, Evidence]]]:
        made = self._made.get(doc)
        if made is None:
            made = defaultdict(list)
            for cid in sorted(self.claims.get(doc, ()), key=self.evidence.rank):
                for note in dict.fromkeys(self.evidence.docs(cid)):
                    claim = self.claim_by_key.get((cid, note))
                    for e in self.evidence[cid, note] if claim else ():
                        if e.anchor and e.doc == doc:
                            made[e.anchor].append((claim, e))
            self._made[doc] = made
        if not made:
            raise KeyError(doc)
        return made

    def __iter__(self):
        return (doc for doc in self.claims if self.get(doc))

    def __len__(self) -> int:
        return sum(1 for _ in self)


K = TypeVar("K")
V = TypeVar("V")


class Lookup(Generic[K, V]):
    """A lookup whose value for a key is made when the key is first asked for (`get`), then kept.
    It cannot be gone through: what is asked for is all it holds."""

    def __init__(self, make: Callable[[K], V]):
        self._make = make
        self._made: dict[K, V] = {}

    def get(self, key: K, default=None) -> V:
        made = self._made.get(key, _UNMADE)
        if made is _UNMADE:
            made = self._made[key] = self._make(key)
        return made if made or default is None else default


_UNMADE = object()
