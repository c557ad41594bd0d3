"""KnowledgeBase -> RDF triples in SKOS, schema.org, PROV-O, Web Annotation and the kg vocabulary.

Every resource's IRI is its place on the published site (`[site] base_url` in kg.toml):

| resource | IRI | typed |
|---|---|---|
| the vault | `<base>` | skos:ConceptScheme |
| concept | `<base>concepts/<id>.html` | skos:Concept (kg:StubConcept without a note) |
| source | `<base>sources/<id>.html` | schema:CreativeWork |
| tag | `<base>tags/<slug>.html` | kg:Tag |
| a note's claim | its concept's page `#claim-<id>`; a question `questions.html#claim-<id>` | schema:Claim (and schema:Question) |
| a source's claim | its sentence on the source page `#s-...` | schema:Claim |
| quantity | the claim's IRI `-q1`, `-q2`... | schema:QuantitativeValue |
| evidence | its item under the claim `#ev-...` | kg:Evidence (an oa:Annotation) |
| tension | its card `tensions.html#tension-<id>` | kg:Tension and its kind |

Triples are built with the term constructors the caller passes (`Terms`: rdflib's or
pyoxigraph's), so neither library's terms are converted into the other's.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from kg.knowledge import KnowledgeBase
from kg.model import Claim, Evidence, Quantity, Selector, Tension
from kg.publish import urls

if TYPE_CHECKING:
    from kg.claims.analyse import Knowledge

KG = "https://w3id.org/kg-notes/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
DCTERMS = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {"kg": KG, "skos": SKOS, "schema": SCHEMA, "prov": PROV, "oa": OA, "dcterms": DCTERMS,
            "rdf": RDF, "rdfs": RDFS, "xsd": XSD}
"""The prefixes of every export and of `kg query` (a query may use them without declaring them)."""

RELATION = {"links_to": "kg:linksTo", "embeds": "kg:embeds", "supports": "kg:supports", "opposes": "kg:opposes",
            "informs": "kg:informs", "source": "kg:cites", "same-as": "skos:exactMatch"}
"""A link's relation (kg.model.Link.relation) -> the property between the two resources."""
STATUS = {"supported": "kg:Supported", "contested": "kg:Contested", "unsupported": "kg:Unsupported"}
TENSION_CLASS = {"numeric": "kg:NumericTension", "polarity": "kg:PolarityTension",
                 "temporal": "kg:TemporalTension", "declared": "kg:DeclaredTension"}
FORMAT_TYPE = {"md": "text/markdown", "txt": "text/plain", "html": "text/html"}


@dataclass(frozen=True)
class Terms:
    """How to make terms in one RDF library: an IRI from a string, a literal from its lexical form
    and datatype IRI (None: a plain string)."""

    iri: Callable[[str], Any]
    literal: Callable[[str, str | None], Any]


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return PREFIXES[prefix] + local


def decimal(x: float) -> str:
    """The canonical xsd:decimal form of a number (`3`, `2.5`, `397000000000`, `0.0001`), the form
    stores keep. Decimal, not double: rdflib's Turtle writer shortens doubles (2026.0849 ->
    2026.085)."""
    text = format(Decimal(repr(float(x))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


_IRI_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?")
"""The ASCII characters an IRI may hold anywhere after its scheme (RFC 3987 ipchar, "/" and "?");
"#" once, "%" before two hex digits and "[ ]" around an IP address are checked apart."""
_PLAIN_IRI = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/?-]*#?[A-Za-z0-9._~!$&'()*+,;=:@/?-]*")
_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_HEX = frozenset("0123456789abcdefABCDEF")


def _ucschar(code: int) -> bool:
    """A non-ASCII character RFC 3987 allows in an IRI (ucschar): not a control, a surrogate, a
    private-use character or a noncharacter."""
    if code < 0x10000:
        return 0xA0 <= code <= 0xD7FF or 0xF900 <= code <= 0xFDCF or 0xFDF0 <= code <= 0xFFEF
    return (code & 0xFFFF) <= 0xFFFD and (0x10000 <= code < 0xE0000 or 0xE1000 <= code < 0xF0000)


def escape_iri(text: str) -> str:
    """`text` with every character an IRI may not hold percent-encoded as UTF-8 (RFC 3987):
    `https://example.com/list?filter[tag]=ai` -> `...?filter%5Btag%5D=ai`. A valid IRI comes back
    unchanged, byte for byte (non-ASCII letters stay as they are), so this is safe on any string
    from a user that goes into an IRI. It cannot make a relative reference absolute: see web_iri."""
    if _PLAIN_IRI.fullmatch(text):  # the common case, and every IRI kg makes itself
        return text
    authority = _AUTHORITY.match(text)
    host_end = authority.end(1) if authority else -1
    hash_at = text.find("#")
    query_at = text.find("?")
    query_end = hash_at if hash_at >= 0 else len(text)
    out = []
    for i, ch in enumerate(text):
        code = ord(ch)
        if ch in _IRI_ASCII:
            out.append(ch)
        elif ch == "%" and text[i + 1:i + 2] in _HEX and text[i + 2:i + 3] in _HEX:
            out.append(ch)
        elif ch == "#" and i == hash_at:  # the fragment starts; a second # is data
            out.append(ch)
        elif ch in "[]" and i < host_end:  # an IPv6 host, http://[::1]/ (anything else fails later)
            out.append(ch)
        elif code >= 0xA0 and (_ucschar(code) or (0 <= query_at < i < query_end and (
                0xE000 <= code <= 0xF8FF or (0xF0000 <= code <= 0x10FFFD and (code & 0xFFFF) <= 0xFFFD)))):
            out.append(ch)  # letters of any script; private-use characters only in the query
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
    return "".join(out)


def is_iri(text: str) -> bool:
    """Whether `text` is an absolute IRI as RFC 3987 has it (pyoxigraph's strict parser judges:
    the writer that stops on a bad one)."""
    from pyoxigraph import NamedNode

    try:
        NamedNode(text)
    except ValueError:
        return False
    return True


def web_iri(url: str | None) -> str | None:
    """A source's URL as an IRI, with what an IRI may not hold percent-encoded (escape_iri); None
    when it is not an absolute http(s) URL (`not a url`, `javascript:alert(1)`, `http://x:port/`)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    iri = escape_iri(url)
    return iri if is_iri(iri) else None


class Emitter:
    """The triples of one vault. `counts` says how many concepts, claims, evidence items and
    tensions were written, once `triples()` has been consumed."""

    def __init__(self, kb: KnowledgeBase, base_url: str, terms: Terms, title: str = "",
                 progress: Callable[[str, int, int | None], None] | None = None,
                 warn: Callable[[str], None] | None = None, knowledge: Knowledge | None = None):
        self.kb = kb
        self.knowledge = knowledge
        """Claims, evidence and tensions (kg.build.Build.knowledge), or None for files and links only."""
        self.progress = progress
        """Called with ("Writing triples", count, None) every 20,000 triples."""
        self.warn = warn or logging.getLogger(__name__).warning
        """Called with a message for each value of the vault left out of the triples (a source URL
        that is no absolute http(s) URL): the CLI prints it, Python callers get a log record."""
        base = escape_iri(base_url if base_url.endswith("/") else base_url + "/")
        if not is_iri(base):  # else every IRI made from it would stop the writer half-way
            raise ValueError(f"base URL {base_url!r} is not an absolute IRI (e.g. https://example.org/my-vault/)")
        self.base = base
        self.t = terms
        self.title = title
        self._curies: dict[str, Any] = {}
        self._pages: dict[str, str] = {}
        self._claim_iris: dict[tuple[str, str], str] = {}
        self.counts = {"concepts": 0, "sources": 0, "claims": 0, "evidence": 0, "tensions": 0, "triples": 0}
        self.claims: list[Claim] = knowledge.claims if knowledge else []
        self.by_key = {(c.id, c.doc): c for c in self.claims}
        self.note_claims: dict[str, list[Claim]] = {}
        first: dict[str, int] = {}  # each claim id's first place in the vault
        for n, c in enumerate(self.claims):
            first.setdefault(c.id, n)
            if c.origin == "note":
                self.note_claims.setdefault(c.id, []).append(c)
        self.declared = {(t.a.id, t.a.doc): t.id for t in (knowledge.tensions if knowledge else [])
                         if t.kind == "declared"}
        """(claim id, file) of the sentence that declares a tension -> the tension's id."""
        self.evidence_items = sorted(knowledge.evidence if knowledge else [], key=lambda e: (
            first.get(e.claim, len(first)), e.method != "declared", -e.score, e.doc, e.line, e.anchor or "", e.stance))
        """The evidence in one order whatever it was read in (the whole result, or the settled rows):
        by its claim's first place in the vault, declared first, then best first."""
        self.sentence_at = {(e.doc, e.line): f"{self.source_iri(e.source)}#{e.anchor}"
                            for e in self.evidence_items if e.anchor}
        """(source path, line) -> the IRI of the sentence there that evidence quotes."""

    # -- terms ------------------------------------------------------------------------
    def c(self, curie: str):
        """A vocabulary term (`skos:prefLabel`), made once."""
        term = self._curies.get(curie)
        if term is None:
            term = self._curies[curie] = self.t.iri(expand(curie))
        return term

    def page(self, path: str) -> str:
        """The IRI of a page of the site (`concepts/a.html` -> `<base>concepts/a.html`). quote()
        percent-encodes the path as the site's own links do (kg.publish.urls.relative), so the IRI
        stays the page's URL, and it leaves nothing an IRI may not hold: file names and ids with
        odd characters are safe here."""
        iri = self._pages.get(path)
        if iri is None:
            iri = self._pages[path] = self.base + quote(path)
        return iri

    def text(self, value: str):
        return self.t.literal(value, None)

    def integer(self, n: int):
        return self.t.literal(str(int(n)), XSD + "integer")

    def number(self, x: float):
        if not math.isfinite(x):
            return self.t.literal(repr(float(x)).replace("inf", "INF").replace("nan", "NaN"), XSD + "double")
        return self.t.literal(decimal(x), XSD + "decimal")

    # -- IRIs of the model's resources ------------------------------------------------
    def concept_iri(self, concept_id: str) -> str:
        return self.page(urls.concept_page(concept_id))

    def source_iri(self, source_id: str) -> str:
        return self.page(urls.source_page(source_id))

    def claim_iri(self, claim: Claim) -> str:
        """Where the site shows the claim: a source's sentence, a note's claim item, a question on
        the questions page, or for the
        sentence that declares a tension, the tension's card on the note's page."""
        key = (claim.id, claim.doc)
        iri = self._claim_iris.get(key)
        if iri is None:
            if claim.origin == "source" and claim.source and claim.anchor:
                iri = f"{self.source_iri(claim.source)}#{claim.anchor}"
            elif claim.kind == "question":  # the questions page lists them (the note shows them as text)
                iri = f"{self.page(urls.QUESTIONS)}#claim-{escape_iri(claim.id)}"
            else:
                tension = self.declared.get(key)
                fragment = f"tension-{tension}" if tension else f"claim-{escape_iri(claim.id)}"  # id: a ^block-id
                iri = f"{self.doc_page(claim.doc)}#{fragment}"
            self._claim_iris[key] = iri
        return iri

    def holder_iri(self, doc: str) -> str | None:
        """The concept or source a file is the page of (the resource its links start from)."""
        concept = self.kb.concept_by_doc.get(doc)
        if concept:
            return self.concept_iri(concept)
        source = self.kb.source_by_path.get(doc)
        return self.source_iri(source) if source else None

    def doc_page(self, doc: str) -> str:
        """The IRI of the page that shows a file's claims."""
        return self.holder_iri(doc) or self.page(urls.CLAIMS)

    def side_iri(self, claim_id: str, doc: str, line: int) -> str | None:
        """A tension's side: a claim, else the source sentence an opposing evidence quotes; None for
        a note's whole-concept opposes:: field, which no claim states."""
        claim = self.by_key.get((claim_id, doc))
        if claim is not None:
            return self.claim_iri(claim)
        return self.sentence_at.get((doc, line))

    def evidence_iri(self, e: Evidence, claim: Claim) -> str:
        page = self.claim_iri(claim).partition("#")[0]
        return f"{page}#{urls.evidence_anchor(e.claim, e.source, e.anchor, e.line)}"

    # -- the triples --------------------------------------------------------------------
    def triples(self) -> Iterator[tuple]:
        for part in (self.vault(), self.concepts(), self.sources(), self.links(), self.claim_triples(),
                     self.evidence(), self.tensions()):
            for triple in part:
                self.counts["triples"] += 1
                if self.progress and not self.counts["triples"] % 20_000:
                    self.progress("Writing triples", self.counts["triples"], None)
                yield triple

    def vault(self) -> Iterator[tuple]:
        me = self.t.iri(self.base)
        yield me, self.c("rdf:type"), self.c("skos:ConceptScheme")
        if self.title:
            yield me, self.c("schema:name"), self.text(self.title)

    def concepts(self) -> Iterator[tuple]:
        a, label, alt, scheme, path = (self.c(x) for x in ("rdf:type", "skos:prefLabel", "skos:altLabel",
                                                           "skos:inScheme", "kg:path"))
        concept, stub, tag_p, kind = (self.c(x) for x in ("skos:Concept", "kg:StubConcept", "kg:tag", "kg:noteType"))
        vault = self.t.iri(self.base)
        tags: set[str] = set()
        for cid in sorted(self.kb.concepts):
            c = self.kb.concepts[cid]
            me = self.t.iri(self.concept_iri(cid))
            self.counts["concepts"] += 1
            yield me, a, concept
            if c.stub:
                yield me, a, stub
            yield me, label, self.text(c.title)
            for name in dict.fromkeys(c.aliases):
                yield me, alt, self.text(name)
            yield me, scheme, vault
            if c.doc:
                yield me, path, self.text(c.doc)
            if c.type:
                yield me, kind, self.text(c.type)
            for tag in dict.fromkeys(c.tags):
                tags.add(tag)
                yield me, tag_p, self.t.iri(self.page(urls.tag_page(tag)))
        yield from self.tags(tags)

    def tags(self, used: set[str]) -> Iterator[tuple]:
        a, label, within, tag_class = self.c("rdf:type"), self.c("rdfs:label"), self.c("kg:within"), self.c("kg:Tag")
        every = set(used)
        for name in used:  # a nested tag brings its parents
            while "/" in name:
                name = name.rsplit("/", 1)[0]
                every.add(name)
        for name in sorted(every):
            me = self.t.iri(self.page(urls.tag_page(name)))
            yield me, a, tag_class
            yield me, label, self.text("#" + name)
            if "/" in name:
                yield me, within, self.t.iri(self.page(urls.tag_page(name.rsplit("/", 1)[0])))

    def sources(self) -> Iterator[tuple]:
        a, name, path_p = self.c("rdf:type"), self.c("schema:name"), self.c("kg:path")
        meta = dict(self.kb.source_meta())
        for sid in sorted(self.kb.source_ids):
            path = self.kb.source_ids[sid]
            m = meta.get(path, {})
            iri = self.source_iri(sid)
            me = self.t.iri(iri)
            self.counts["sources"] += 1
            yield me, a, self.c("schema:CreativeWork")
            yield me, name, self.text(m.get("title") or self.kb.infos[path].title)
            yield me, path_p, self.text(path)
            if m.get("format") in FORMAT_TYPE:
                yield me, self.c("schema:encodingFormat"), self.text(FORMAT_TYPE[m["format"]])
            if m.get("date"):
                yield me, self.c("schema:datePublished"), self.t.literal(str(m["date"]), XSD + "date")
            url = web_iri(m.get("url"))
            if url:
                yield me, self.c("schema:url"), self.t.iri(url)
            elif m.get("url"):  # the shapes want schema:url to be an IRI: leave the value out, and say so
                self.warn(f"{path}: url {str(m['url'])!r} is not an absolute http(s) URL; left out of schema:url")
            for role, kind, value in (("author", "schema:Person", m.get("author")),
                                      ("publisher", "schema:Organization", m.get("publisher"))):
                if value:
                    who = self.t.iri(f"{iri}#{role}")
                    yield me, self.c(f"schema:{role}"), who
                    yield who, a, self.c(kind)
                    yield who, name, self.text(value)

    def links(self) -> Iterator[tuple]:
        seen: set[tuple[str, str, str]] = set()
        for r in self.kb.rows:
            holder = self.holder_iri(r.doc)
            if holder is None:
                continue
            if r.target_kind == "source":
                target = self.source_iri(r.target_id)
            elif r.target_kind == "file":
                target = self.page(urls.file_path(r.target_id))
            else:
                target = self.concept_iri(r.target_id)
            key = (holder, RELATION.get(r.relation, "kg:linksTo"), target)
            if key not in seen:
                seen.add(key)
                yield self.t.iri(holder), self.c(key[1]), self.t.iri(target)

    def claim_triples(self) -> Iterator[tuple]:
        a, text, origin, path, line = (self.c(x) for x in ("rdf:type", "schema:text", "kg:origin", "kg:path", "kg:line"))
        about, part, mentions, cites = (self.c(x) for x in ("schema:about", "schema:isPartOf", "schema:mentions",
                                                            "kg:cites"))
        claim_class, question, sentence = self.c("schema:Claim"), self.c("schema:Question"), self.c("kg:Sentence")
        subject, quantity = self.c("kg:subjectName"), self.c("kg:quantity")
        seen: set[str] = set()
        for c in self.claims:
            iri = self.claim_iri(c)
            if iri in seen:  # the same text twice in one file is one claim
                continue
            seen.add(iri)
            self.counts["claims"] += 1
            me = self.t.iri(iri)
            yield me, a, claim_class
            if c.kind == "question":
                yield me, a, question
            yield me, text, self.text(c.text)
            yield me, origin, self.text(c.origin)
            yield me, path, self.text(c.doc)
            yield me, line, self.integer(c.line)
            if c.origin == "note" and c.concept:
                yield me, about, self.t.iri(self.concept_iri(c.concept))
            if c.origin == "source" and c.source:
                yield me, a, sentence
                yield me, part, self.t.iri(self.source_iri(c.source))
            for cid in dict.fromkeys(c.concepts):
                if cid != c.concept:
                    yield me, mentions, self.t.iri(self.concept_iri(cid))
            for name in dict.fromkeys(c.subjects):
                yield me, subject, self.text(name)
            for sid in dict.fromkeys(c.cites):
                yield me, cites, self.t.iri(self.source_iri(sid))
            if c.status:
                yield me, self.c("kg:status"), self.c(STATUS[c.status])
            if c.supports:
                yield me, self.c("kg:supportCount"), self.integer(c.supports)
            if c.opposes:
                yield me, self.c("kg:opposeCount"), self.integer(c.opposes)
            if c.cluster:
                yield me, self.c("kg:corroboration"), self.text(c.cluster)
            values = [self.t.iri(f"{iri}-q{n}") for n in range(1, len(c.quantities) + 1)]
            for value in values:  # all of the claim's triples first: Turtle writes them as one block
                yield me, quantity, value
            for value, q in zip(values, c.quantities):
                yield from self.quantity(value, q)

    def quantity(self, me, q: Quantity) -> Iterator[tuple]:
        yield me, self.c("rdf:type"), self.c("schema:QuantitativeValue")
        yield me, self.c("schema:description"), self.text(q.text)
        if q.low is not None:
            yield me, self.c("schema:minValue"), self.number(q.low)
        if q.high is not None:
            yield me, self.c("schema:maxValue"), self.number(q.high)
        if q.low is not None and q.low == q.high:
            yield me, self.c("schema:value"), self.number(q.low)
        if q.unit:
            yield me, self.c("schema:unitText"), self.text(q.unit)
        yield me, self.c("kg:quantityKind"), self.text(q.kind)
        if q.approx:
            yield me, self.c("kg:approximate"), self.t.literal("true", XSD + "boolean")
        if q.direction:
            yield me, self.c("kg:bound"), self.text(q.direction)
        if q.total is not None:
            yield me, self.c("kg:outOf"), self.number(q.total)

    def evidence(self) -> Iterator[tuple]:
        """Each evidence item, and once per sentence its description and its anchored target (a
        sentence is evidence for many claims; its oa:SpecificResource and selector are shared)."""
        c = self.c
        a, linking, motivated, body, method, score, reason = (c(x) for x in (
            "rdf:type", "oa:linking", "oa:motivatedBy", "oa:hasBody", "kg:method", "kg:score", "kg:reason"))
        evidence_class, annotation, derived, has_target = (c(x) for x in (
            "kg:Evidence", "oa:Annotation", "prov:wasDerivedFrom", "oa:hasTarget"))
        methods = {"declared": c("kg:Declared"), "inferred": c("kg:Inferred")}
        stances = {"supports": c("kg:supports"), "opposes": c("kg:opposes")}
        sentences = {self.claim_iri(cl) for cl in self.claims if cl.origin == "source"}  # already described
        targets: dict[str, tuple] = {}  # sentence IRI -> (selector as written, target IRI)
        for e in self.evidence_items:
            claims = self.note_claims.get(e.claim)
            if not claims:
                continue
            me = self.t.iri(self.evidence_iri(e, claims[0]))
            self.counts["evidence"] += 1
            source = self.t.iri(self.source_iri(e.source))
            yield me, a, evidence_class
            yield me, a, annotation
            yield me, motivated, linking
            for claim in claims:
                target = self.t.iri(self.claim_iri(claim))
                yield me, stances[e.stance], target
                yield me, body, target
            yield me, method, methods[e.method]
            yield me, score, self.number(round(e.score, 4))
            if e.reason:
                yield me, reason, self.text(e.reason)
            if not e.anchor:  # a citation kg found no sentence for: the source is the target
                yield me, derived, source
                yield me, has_target, source
                continue
            sentence_iri = f"{self.source_iri(e.source)}#{e.anchor}"
            sentence = self.t.iri(sentence_iri)
            yield me, derived, sentence
            if sentence_iri not in sentences:
                sentences.add(sentence_iri)
                yield sentence, a, c("kg:Sentence")
                yield sentence, c("schema:text"), self.text(e.quote)
                yield sentence, c("schema:isPartOf"), source
                yield sentence, c("kg:line"), self.integer(e.line)
            if e.selector is None:
                yield me, has_target, sentence
                continue
            quote = (e.selector.exact, e.selector.prefix, e.selector.suffix, e.selector.source_hash)
            known = targets.get(sentence_iri)
            if known is not None and known[0] == quote:
                yield me, has_target, known[1]
                continue
            suffix = "" if known is None else "-" + hashlib.blake2b("\0".join(quote).encode(), digest_size=4).hexdigest()
            target, selector = self.t.iri(f"{sentence_iri}-target{suffix}"), self.t.iri(f"{sentence_iri}-quote{suffix}")
            if known is None:
                targets[sentence_iri] = (quote, target)
            yield me, has_target, target
            yield from self.anchored(target, selector, source, e.selector)

    def anchored(self, target, selector, source, quote: Selector) -> Iterator[tuple]:
        """A sentence as the Web Annotation model anchors it: the source, and the exact quote with
        the text before and after it."""
        a = self.c("rdf:type")
        yield target, a, self.c("oa:SpecificResource")
        yield target, self.c("oa:hasSource"), source
        yield target, self.c("oa:hasSelector"), selector
        yield selector, a, self.c("oa:TextQuoteSelector")
        yield selector, self.c("oa:exact"), self.text(quote.exact)
        if quote.prefix:
            yield selector, self.c("oa:prefix"), self.text(quote.prefix)
        if quote.suffix:
            yield selector, self.c("oa:suffix"), self.text(quote.suffix)
        if quote.source_hash:
            yield selector, self.c("kg:sourceHash"), self.text(quote.source_hash)

    def tensions(self) -> Iterator[tuple]:
        for t in self.knowledge.tensions if self.knowledge else []:
            self.counts["tensions"] += 1
            yield from dict.fromkeys(self.tension(t))  # a named claim may also be its other side

    def tension(self, t: Tension) -> Iterator[tuple]:
        a, side = self.c("rdf:type"), self.c("kg:side")
        me = self.t.iri(f"{self.page(urls.TENSIONS)}#tension-{t.id}")
        yield me, a, self.c("kg:Tension")
        yield me, a, self.c(TENSION_CLASS[t.kind])
        yield me, self.c("schema:description"), self.text(t.explanation)
        yield me, self.c("kg:score"), self.number(round(t.score, 4))
        first = self.side_iri(t.a.id, t.a.doc, t.a.line)
        if first is None:  # a whole note opposes something: the note's concept is one side
            holder = self.kb.concept_by_doc.get(t.a.doc)
            if holder:
                yield me, self.c("schema:about"), self.t.iri(self.concept_iri(holder))
        elif t.kind == "declared":
            yield me, self.c("kg:statement"), self.t.iri(first)
        else:
            yield me, side, self.t.iri(first)
        if t.kind == "declared":
            for named in self.named(t):
                yield me, side, named
        second = self.side_iri(t.b.id, t.b.doc, t.b.line) if t.b is not None else None
        if second is not None:
            yield me, side, self.t.iri(second)
            if t.kind == "temporal" and first is not None:
                yield me, self.c("kg:earlier"), self.t.iri(first)
                yield me, self.c("kg:later"), self.t.iri(second)
                yield self.t.iri(second), self.c("kg:supersedes"), self.t.iri(first)
        for name in dict.fromkeys(t.subjects):
            if name in self.kb.concepts:
                yield me, self.c("schema:about"), self.t.iri(self.concept_iri(name))
            else:
                yield me, self.c("kg:subjectName"), self.text(name)

    def named(self, t: Tension) -> Iterator[Any]:
        """The claims a declared tension names, each note's copy of the claim."""
        for cid in t.claims:
            for claim in self.note_claims.get(cid) or [c for c in self.claims if c.id == cid][:1]:
                yield self.t.iri(self.claim_iri(claim))
