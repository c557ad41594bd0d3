"""The knowledge model: one set of pydantic models that every stage reads and writes.

Per-file models (`Note`, `Source`) record what a file says, as written (a link: `LinkRef`).
Whole-vault models (`Concept`, `Link`) record what it means once every file is known; `kg.knowledge.KnowledgeBase`
holds them all. Every other representation (the networkx graph, later RDF, the search index
and the site) is derived from a KnowledgeBase and from nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, NewType

import orjson
from pydantic import BaseModel, ConfigDict, Field

DocPath = NewType("DocPath", str)
"""A file's path relative to the vault root, with forward slashes (`notes/a/b.md`)."""
Slug = NewType("Slug", str)
"""A concept or source id: lowercase, hyphenated, safe in a URL (`open-weight-models`)."""

Severity = Literal["error", "warning", "info"]
SectionRole = Literal["claims", "questions", "tensions", "evidence", "related"]
BlockKind = Literal["paragraph", "item", "quote", "table", "footnote"]
LinkSyntax = Literal["wiki", "markdown"]
TargetKind = Literal["note", "source", "file", "missing"]


class Model(BaseModel):
    # (not use_attribute_docstrings: the field docstrings are for readers of this file; reading
    # them into the models took 40 ms of every command's start, and nothing shows them)
    model_config = ConfigDict(extra="forbid")


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def share_fields_sets(models: Iterable[BaseModel]) -> None:
    """Let models read in bulk share one set of the names of the fields they were given, per
    distinct set: pydantic makes a set for each model (728 bytes for a claim's eight names), which
    was 130 MB of a 10k vault's 182k claims, and a few dozen distinct sets serve them all. kg never
    asks which fields were given (`exclude_unset`), and pydantic compares models without them."""
    setter = object.__setattr__
    for model in models:
        names = model.__pydantic_fields_set__
        setter(model, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(names), names))


def set_fields(model: BaseModel, **values) -> None:
    """Set fields of a model straight in its dict, for values made by kg rather than read: pydantic's
    __setattr__ (which validates nothing here either) took 0.8 s for four fields of a 10k vault's
    180k claims."""
    model.__dict__.update(values)


class Diagnostic(Model):
    """A problem found in a file, reported as `doc:line:col: severity: message [code]`."""

    doc: str
    """File the problem is in, relative to the vault."""
    line: int = 1
    """1-based line."""
    col: int = 1
    """1-based column."""
    severity: Severity = "warning"
    """error: the file is not read as intended; warning: likely a mistake; info: worth knowing."""
    code: str
    """Stable machine-readable code, documented in docs/diagnostics.md."""
    message: str
    """One sentence a person can act on."""

    @property
    def where(self) -> str:
        """`path:line:col` on one line: a newline or other control character in a file name is
        escaped (`\\n`), so editors and CI parsers still split it."""
        doc = self.doc if self.doc.isprintable() else self.doc.encode("unicode_escape").decode("ascii")
        return f"{doc}:{self.line}:{self.col}"

    def format(self) -> str:
        return f"{self.where}: {self.severity}: {self.message} [{self.code}]"


def shortened(text: str, limit: int) -> str:
    """A user's text as a message quotes it: up to `limit` characters, cut with `…` (the file,
    line and column find the rest; a pasted 20,000-character link made one line of `kg check` that long)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


@dataclass(slots=True)
class LinkRef:
    """A link as written in a file, before resolution: in a `Note` or `Source`, and in the light
    index whole-vault stages read (kg.index.DocInfo.refs). A plain dataclass (pydantic validates
    and writes it inside the models), so the 180,000 links of a 10k vault are cheap to make."""

    target: str
    """The target as written, without heading or block (`sources/deepseek`, `Qwen`)."""
    line: int
    """1-based line of the link."""
    heading: str | None = None
    """`#Heading` part, if any (nested headings joined by `#`)."""
    block: str | None = None
    """`#^block-id` part, if any, without the caret."""
    label: str | None = None
    """Display text: `[[a|label]]` or the text of a Markdown link."""
    embed: bool = False
    """True for `![[...]]` and `![](...)`."""
    syntax: LinkSyntax = "wiki"
    """Wikilink or Markdown link."""
    relation: str | None = None
    """Relation field this link is the value of (`supports`, `opposes`, ...), if any."""
    col: int = 1
    """1-based column of the link."""
    block_index: int | None = None
    """Index into the file's `blocks` of the paragraph or list item holding the link."""


def to_columns(items: list, fields: tuple[str, ...]) -> str:
    """Items (dataclasses or named tuples) as JSON by field name, one list of values per field:
    a cache row that says what each value is, and is as compact as a list of tuples."""
    return json.dumps({f: [getattr(item, f) for item in items] for f in fields} if items else {},
                      ensure_ascii=False, separators=(",", ":"))


def counted(data: str, field: str) -> int:
    """How many items `to_columns` wrote, read off `field`, a column of integers, without parsing
    the rest (a key's quotes are the only ones not escaped in JSON, so no value can pose as it)."""
    start = data.find(f'"{field}":[')
    if start < 0:
        return 0
    start += len(field) + 4
    end = data.index("]", start)
    return data.count(",", start, end) + 1 if end > start else 0


def from_columns(data: str, fields: tuple[str, ...]) -> Iterator[tuple]:
    """The values of each item written by `to_columns`, in the order of `fields` (read by orjson:
    a 10k vault's 180k links in 0.11 s, against 0.17 s by the standard library, on every edit)."""
    columns = orjson.loads(data)
    return zip(*(columns[f] for f in fields)) if columns else iter(())


class InlineField(Model):
    """A Dataview inline field: `key:: value` on its own line or `[key:: value]` inline."""

    key: str
    """Field name, lowercased (`supports`, `status`)."""
    value: str
    """The value as written."""
    line: int
    """1-based line."""
    block_index: int | None = None
    """Index into the file's `blocks` of the block holding the field."""


class Section(Model):
    """A heading and everything under it up to the next heading of the same or higher level."""

    heading: str
    """Heading text ('' for the part before the first heading)."""
    level: int
    """1-6 for `#`..`######`, 0 for the part before the first heading."""
    role: SectionRole
    """What the section holds, from its heading (configurable in kg.toml)."""
    line: int
    """1-based line of the heading."""
    anchor: str
    """Slug of the heading, as used in `[[note#Heading]]` and in site URLs."""


class Block(Model):
    """A paragraph, list item, quote or table: the unit a claim, a backlink or an id points at."""

    kind: BlockKind
    """What sort of block it is."""
    text: str
    """Its text as a reader sees it: links shown by their labels, no Markdown markup."""
    line: int
    """1-based first line."""
    end_line: int
    """1-based last line."""
    section: int
    """Index into the file's `sections`."""
    block_id: str | None = None
    """Explicit `^block-id` at the end of the block, without the caret."""
    depth: int = 0
    """List nesting depth (0 for top-level items and non-list blocks)."""
    ordered: bool = False
    """True for an item of a numbered list."""


class Sentence(Model):
    """One sentence of a source's cleaned text, with a stable anchor."""

    anchor: str
    """Stable id from the hash of the sentence's normalised text (`s-1a2b3c4d`)."""
    text: str
    """The sentence as it stands in the cleaned text."""
    line: int
    """1-based line in the original file."""
    block_index: int
    """Index into the source's `blocks`."""


class Tag(Model):
    """A tag as used in a file."""

    name: str
    """Tag without `#`, lowercased (`ai/models`)."""
    line: int
    """1-based line (the front matter line for `tags:` entries)."""


class Document(Model):
    """What notes and sources share: a parsed file."""

    path: str
    """Path relative to the vault, forward slashes."""
    hash: str
    """blake2b hash of the file's bytes: the cache key."""
    title: str
    """Front matter title, else first `# heading`, else a name from the file."""
    aliases: list[str] = Field(default_factory=list)
    """Other names the file answers to in links."""
    tags: list[Tag] = Field(default_factory=list)
    """Tags from front matter and text."""
    meta: dict[str, Any] = Field(default_factory=dict)
    """Front matter as written (dates as ISO strings)."""
    sections: list[Section] = Field(default_factory=list)
    """Sections in file order."""
    blocks: list[Block] = Field(default_factory=list)
    """Paragraphs, list items, quotes and tables in file order."""
    links: list[LinkRef] = Field(default_factory=list)
    """Every link, in file order."""
    fields: list[InlineField] = Field(default_factory=list)
    """Every inline field, in file order."""
    headings: list[str] = Field(default_factory=list)
    """Anchors of every heading, for checking `[[note#Heading]]`."""
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    """Problems found while reading this one file."""


class Note(Document):
    """A parsed note: one concept the user wrote about."""

    type: str | None = None
    """Front matter `type` (concept, person, org, question, ...)."""
    date: dt.date | None = None
    """Front matter `date`."""


class Source(Document):
    """A parsed source document: an article, report or transcript the user keeps."""

    format: Literal["md", "txt", "html"]
    """The file's format."""
    author: str | None = None
    """Author, from front matter or recovered from the text."""
    date: dt.date | None = None
    """Publication date, from front matter or recovered from the text."""
    url: str | None = None
    """Where it was published, if known."""
    publisher: str | None = None
    """Who published it, if known."""
    sentences: list[Sentence] = Field(default_factory=list)
    """The cleaned text split into sentences, each with a stable anchor."""
    removed: int = 0
    """Lines of page chrome and repeated passages dropped while cleaning."""


_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__


def constructed(cls, names: tuple[str, ...], shared: set[str], values: tuple):
    """A model of these field values (every field, in the model's order), as `model_construct`
    makes one, without its per-field work: for values that were a model's fields already (a
    stored claim, a parsed note's title). Every model shares one set of given names, `shared`
    (kg never asks which fields were given). model_construct took 10 µs a model: 0.1 s of a 10k
    vault's build for its concepts alone."""
    model = object.__new__(cls)
    object.__setattr__(model, "__dict__", dict(zip(names, values)))
    _SET_FIELDS_SET(model, shared)
    _SET_EXTRA(model, None)
    _SET_PRIVATE(model, None)
    return model


class Concept(Model):
    """A node of the knowledge graph: one per note, plus one per missing link target."""

    id: str
    """Slug, unique in the vault."""
    title: str
    """Display name."""
    doc: str | None = None
    """The note that defines it; None for a stub (a link target with no note yet)."""
    aliases: list[str] = Field(default_factory=list)
    """Other names."""
    tags: list[str] = Field(default_factory=list)
    """Tag names."""
    type: str | None = None
    """Note type, if given."""

    @property
    def stub(self) -> bool:
        return self.doc is None


class Link(NamedTuple):
    """A link after resolution: from a file to a concept, a source or another file. A tuple: a
    10k vault holds 180,000 of them, decoded from the cache on every build that reads links. The
    paragraph that holds it is `KnowledgeBase.context(link)`."""

    doc: str
    """File the link is written in."""
    source_id: str
    """Id of the concept (for a note) or source (for a source document) that holds the link."""
    target_kind: TargetKind
    """What the link points at; `missing` links point at a stub concept."""
    target_id: str
    """Concept id, source id, or file path (for attachments)."""
    target_doc: str | None
    """Path of the target file, if there is one."""
    target: str
    """The target as written (`LinkRef.target`)."""
    heading: str | None
    """Heading the link points into, if any."""
    block: str | None
    """Block id the link points at, if any."""
    label: str | None
    """Display text."""
    relation: str
    """Edge type: `links_to`, `embeds`, or a relation field (`supports`, `opposes`, `informs`, `source`, `same-as`)."""
    line: int
    """1-based line."""
    col: int
    """1-based column."""
    block_index: int | None
    """Index into the file's `blocks` of the paragraph or list item holding the link."""


QuantityKind = Literal["percent", "multiplier", "currency", "count", "fraction", "duration", "size", "measure", "date",
                       "other"]


class Quantity(Model):
    """A number stated in a claim, normalised (docs/knowledge.md, Quantities). Ranges keep both bounds."""

    text: str
    """As written: `~3–5%`, `$3.48/M tokens`, `6 of 8`."""
    low: float | None
    """Lower bound with scale words applied (`$10B` -> 1e10); None when only an upper bound is stated."""
    high: float | None
    """Upper bound; equal to low for a single value; None for an open range (`500+`, `more than 30`)."""
    unit: str
    """`%`, `x`, `USD`, `USD/M tokens`, `months`, a counted noun (`parameters`, `MAU`), `year` for dates, or ''."""
    kind: QuantityKind
    """What sort of quantity it is."""
    approx: bool = False
    """Stated as approximate (`~`, `about`, `roughly`)."""
    direction: Literal["more than", "at least", "less than", "at most"] | None = None
    """A stated bound (`more than`, `up to`, `500+`)."""
    total: float | None = None
    """For `N of M`: M."""
    start: int = 0
    """Character offset in the claim text."""
    end: int = 0
    """End offset (exclusive)."""


ClaimKind = Literal["claim", "question", "tension"]


class Claim(Model):
    """One statement of a note or a source (docs/knowledge.md, Claims)."""

    id: str
    """Stable: the block id when the text has one, else `c-` and a hash of its normalised text."""
    text: str
    """The statement as a reader sees it (links shown by their text)."""
    kind: ClaimKind = "claim"
    """claim, question (from a questions section, or ending in '?'), or tension (declared)."""
    doc: str
    """File it is written in."""
    line: int
    """1-based line."""
    origin: Literal["note", "source"]
    """Written in a note or found in a source."""
    concept: str | None = None
    """For a note's claim: the concept the note defines."""
    source: str | None = None
    """For a source's claim: the source id."""
    anchor: str | None = None
    """For a source's claim: the anchor of its sentence."""
    quantities: list[Quantity] = Field(default_factory=list)
    """Numbers stated in it."""
    concepts: list[str] = Field(default_factory=list)
    """Concepts it mentions, by title or alias (ids, in order of first mention)."""
    cites: list[str] = Field(default_factory=list)
    """Sources it links (declared evidence), by source id."""
    subjects: list[str] = Field(default_factory=list)
    """Names it mentions that may be subjects without a note yet (organisations, models)."""
    status: Literal["supported", "contested", "unsupported"] | None = None
    """Derived (docs/knowledge.md, Status and counts): for a note's claim, contested (in a tension
    shown by default), else supported (a source sentence backs it), else unsupported; for a source's
    claim, contested or supported. None for questions and declared tensions."""
    supports: int = 0
    """How many evidence items support it (for a source's claim: how many other sources say the same)."""
    opposes: int = 0
    """How many tensions it is in (opposing evidence counts through the tension it makes)."""
    cluster: str | None = None
    """Id of its corroboration cluster: claims from several files that state the same fact."""
    quoted: list[tuple[int, int]] = Field(default_factory=list)
    """Spans of `text` that kg put in rather than the writer typed: citations and link titles. Their
    numbers and stance words are not the claim's."""


class Selector(Model):
    """Where a quote sits in a source, as the W3C Web Annotation model anchors text: the exact
    quote with a little text before and after it, and the hash of the source it was taken from."""

    exact: str
    """The quoted sentence."""
    prefix: str = ""
    """Up to 32 characters of the text just before it."""
    suffix: str = ""
    """Up to 32 characters of the text just after it."""
    source_hash: str = ""
    """Hash of the source file the quote was taken from."""


class Evidence(Model):
    """A source sentence that backs (or opposes) a note's claim (docs/knowledge.md, Evidence)."""

    claim: str
    """Id of the claim it is evidence for."""
    source: str
    """Source id."""
    doc: str
    """The source's path."""
    line: int
    """1-based line of the sentence in the source file."""
    anchor: str | None
    """Anchor of the sentence (`s-1a2b3c4d`); None when a declared citation names no sentence that kg
    could find."""
    quote: str
    """The sentence as it stands in the cleaned source text ('' without an anchor)."""
    selector: Selector | None = None
    """The Web Annotation anchor of the quote."""
    stance: Literal["supports", "opposes"] = "supports"
    """supports, or opposes (its numbers or wording contradict the claim)."""
    method: Literal["declared", "inferred"]
    """declared (the claim cites this source) or inferred (found by similarity)."""
    score: float
    """How well the sentence matches the claim, 0 to 1."""
    reason: str = ""
    """Why kg linked them, for a reader: shared numbers, shared words, similarity."""
    review: Literal["confirmed"] | None = None
    """`confirmed` when the user confirmed it (kg.claims.review); dismissed ones are set aside."""


class TensionSide(Model):
    """One side of a tension: a claim and where it is written."""

    id: str
    text: str
    doc: str
    line: int


TensionKind = Literal["numeric", "polarity", "temporal", "declared"]


class Tension(Model):
    """Two claims that disagree, with a reason a person can check (docs/knowledge.md, Tensions)."""

    id: str
    """Stable: `t-` and a hash of the two claim ids (or of the declared claim id)."""
    kind: TensionKind
    """numeric, polarity, temporal (superseded by a later source) or declared (written in a note)."""
    explanation: str
    """One line that says why, naming both sides."""
    score: float
    """Confidence, 0 to 1."""
    a: TensionSide
    """The first claim (for temporal: the earlier one; for declared: the note's tension)."""
    b: TensionSide | None = None
    """The other claim; None for a declared tension."""
    claims: list[str] = Field(default_factory=list)
    """For a declared tension: the claims it names."""
    subjects: list[str] = Field(default_factory=list)
    """What both sides are about: shared concepts and names."""
    review: Literal["confirmed"] | None = None
    """`confirmed` when the user confirmed it (kg.claims.review); dismissed ones are set aside."""

    def claim_ids(self) -> list[str]:
        """The claims it touches, once each: both sides and the claims a declared tension names."""
        return list(dict.fromkeys([self.a.id, *([self.b.id] if self.b else []), *self.claims]))
