"""Claims per file, cached like parses: each note's and source's claims (with their quantities,
mentions and subjects) are computed from its parse alone and kept by a key of everything they
depend on, so a build extracts claims only from the files that changed.

What one file's claims depend on:
- its content (the parse cache's hash);
- the concept names a mention can match (titles and aliases of every concept) and the note's
  own concept. The names are not in a file's key: when they change, only the files whose text
  holds every word of a name that came, went or now means another concept are read again
  (`files_naming`), so a link that makes a new stub re-reads the files that use its words, not
  the vault. Each file keeps a filter of its words (`words_filter`) beside its claims, so that
  finding those files reads only the few the filter lets through;
- how its links read in a claim: the citation of each source it links ("(Falcioni 2026)"), the
  short name of each note, and which sources each block cites;
- for capitalised words at the start of a sentence (kg.claims.subjects), whether the word is
  seen capitalised mid-sentence in some source. That is a fact about all sources, so each file
  records the words it asked about with the answers it got, and is extracted again only when
  an answer changes; each source records its own mid-sentence words, summed at every build.
"""

from __future__ import annotations

import hashlib
import html
import json
import marshal
import multiprocessing
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from kg.claims.subjects import Subjects
from kg.model import Claim, Diagnostic, Quantity, constructed
from kg.vault import content_hash

if TYPE_CHECKING:
    from kg.claims.extract import Mentions
# extraction (kg.claims.extract, kg.claims.tensions: regular expressions that take 0.35 s to
# compile) is imported when a file's claims are extracted, not by a build that finds none changed

PARALLEL_FROM = 300
"""From this many files to extract, claims are found on every core."""


class AskedSubjects(Subjects):
    """Subjects built from counted mid-sentence words, recording every word whose count decided
    something, with the answer (kg.claims.subjects.Subjects.of asks `midsentence[first]`)."""

    def __init__(self, midsentence: Counter):
        self.midsentence = _Recorder(midsentence)


class _Recorder(dict):
    def __init__(self, counts: Counter):
        super().__init__()
        self.counts = counts
        self.asked: dict[str, bool] = {}

    def __getitem__(self, word: str) -> int:
        n = self.counts.get(word, 0)
        self.asked[word] = n > 0
        return n


def midsentence_words(sentences) -> Counter:
    """The capitalised first words of names seen mid-sentence in these texts (one source's share
    of kg.claims.subjects.Subjects)."""
    return Subjects(sentences).midsentence


@dataclass(slots=True)
class FileClaims:
    """One file's claims and what the knowledge stage needs of each, as stored."""

    key: str
    asked: dict[str, bool]
    mid: dict[str, int]
    claims: bytes
    """The claims as `encode` writes them."""
    listing: bytes
    """One `LISTED` record per claim, in order (`columns_of`): what a listing of the vault's claims
    reads of every claim (kg.claims.analyse._Listed), as arrays, without making an object per
    claim. An edit reads every file's, and makes the claims of the few files it looks at
    (`ClaimRows`): a 10k vault's claims and extras took 0.29 s to read back at the least, the
    listing's fields of them as marshalled lists 0.13 s, as records 0.01 s."""
    columns: bytes
    """Marshalled list of `COLUMNS`, each the list of every claim's value in order (`columns_of`):
    the rest of what the knowledge stage reads of a claim, decoded for the files it looks at."""
    measured: bytes
    """One `MEASURED` record per measured word of a claim (`Extra.measures`), in order: an edit's
    tension search finds the claims that measure its new claims' words among these (0.03 s of a
    10k vault's 36k measuring claims, as lists) without decoding any other claim's."""
    named: bytes = b""
    """The subjects a source's claims name (`named_subjects`), marshalled."""
    words: bytes = b""
    """The filter of the words a name may be found in (`words_filter`); empty: none, so the file is
    read whenever a name changes."""


class Extra(NamedTuple):
    """What the knowledge stage needs of a claim besides the claim itself."""

    mentions: str
    """JSON [subject offsets, exact-name offsets, name spans] (analyse.subject_offsets): kept as
    text, decoded for the few claims a pair needs them for (kg.claims.analyse.Mentioned); decoded
    for every claim, they held 200 MB of a 10k vault's edit."""
    block: int | None
    """Index of its block in a note."""
    measures: Sequence
    """Measured words (tensions.claim_measures); an empty tuple for none."""
    stances: Sequence
    """Stances (tensions.claim_stances); an empty tuple for none."""
    key: str
    """Its key in the tension pool (analyse.claim_key)."""


KINDS = ("claim", "question", "tension")
"""A claim's kind, as the two lowest bits of its `LISTED` code hold it (its place here)."""
SOURCE, MEASURES, STANCES = 4, 8, 16
"""The other bits of a `LISTED` code: a source's claim; one that measures something
(`Extra.measures`); one that takes a stance (`Extra.stances`)."""
KEY_CHARS = 24
"""The length of a claim's key (kg.claims.analyse.claim_key: 12 bytes as hex)."""
LISTED = np.dtype([("code", "u1"), ("block", "<i4"), ("key", f"S{KEY_CHARS}")])
"""A claim's record in `FileClaims.listing`: its `code` (kind and bits), the index of its block in
a note (-1: none) and its key in the tension pool."""
COLUMNS = ("id", "mentions", "measures", "stances")
"""What `FileClaims.columns` holds of every claim: its id, then these fields of its `Extra`."""
MEASURED = np.dtype([("at", "<i4"), ("word", "<u8")])
"""A record of `FileClaims.measured`: a claim's place among its file's, and `measure_hash` of one
of its measures."""


def measure_hash(key: Sequence[str]) -> int:
    """A measure (kind, word: kg.claims.tensions.claim_measures) as 64 bits, for `MEASURED`."""
    return int.from_bytes(hashlib.blake2b("\x1f".join(key).encode(), digest_size=8).digest(), "little")


def columns_of(claims: list[Claim], extras: list[list]) -> tuple[bytes, bytes, bytes]:
    """`FileClaims.listing`, `FileClaims.columns` and `FileClaims.measured` of these claims and
    their extras (each `Extra`'s fields as a list)."""
    fields = Extra._fields
    at = {name: fields.index(name) for name in fields}
    listing = np.zeros(len(claims), dtype=LISTED)
    listing["code"] = [KINDS.index(c.kind) | (SOURCE if c.origin == "source" else 0)
                       | (MEASURES if e[at["measures"]] else 0) | (STANCES if e[at["stances"]] else 0)
                       for c, e in zip(claims, extras)]
    listing["block"] = [-1 if e[at["block"]] is None else e[at["block"]] for e in extras]
    keys = [e[at["key"]] for e in extras]
    if any(len(k) != KEY_CHARS or not k.isascii() for k in keys):
        raise ValueError("a claim key that is not 24 hex digits")
    listing["key"] = keys
    measured = np.array([(n, measure_hash(key)) for n, e in enumerate(extras) for key in e[at["measures"]]],
                        dtype=MEASURED)
    return (listing.tobytes(), marshal.dumps([[c.id for c in claims], *([e[at[name]] for e in extras]
                                                                        for name in COLUMNS[1:])], 4),
            measured.tobytes())


def mention_names(concepts) -> dict[str, str]:
    """Every name a mention matches (kg.claims.extract.Mentions): a title or alias of three
    characters or more, lowercased, with the id of the first concept that uses it. An acronym
    (`acronym`) stays as written: it names its concept only in capitals. Lowercased, an alias
    `THE` made one concept of a 10k vault named by every claim, and `MAP` (mean average
    precision) would be named by every map."""
    names: dict[str, str] = {}
    for concept in concepts:
        for name in (concept.title, *concept.aliases):
            key = name.strip()
            key = key if acronym(key) else key.lower()
            if len(key) >= 3 and key not in names:
                names[key] = concept.id
    return names


def acronym(name: str) -> bool:
    """A name in capitals, with no small letter (`ROI`, `GPT-4`, `EU AI`): matched as written."""
    return name != name.lower() and name == name.upper()


def names_changed(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The names that came, went, or now name another concept."""
    return sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))


_WORD = re.compile(r"\w+")
FILTER_BITS = 4096
"""The size of a file's word filter (`words_filter`): 512 bytes a file, 5.6 MB for a 10k vault.
A note of 200 distinct words sets a tenth of its bits, so a word it lacks passes one time in a
hundred, and a name of three such words one time in a million."""


def words_filter(words) -> bytes:
    """A Bloom filter of these words: two of FILTER_BITS bits each, from the word's CRC-32 (the
    same in every process). A word whose bits are not all set is not among them; one whose bits
    are may be."""
    bits = np.zeros(FILTER_BITS, dtype=np.uint8)
    hashes = np.fromiter((zlib.crc32(w.encode()) for w in set(words)), dtype=np.int64)
    bits[hashes % FILTER_BITS] = 1
    bits[(hashes >> 12) % FILTER_BITS] = 1
    return np.packbits(bits).tobytes()


def naming_text(kb, path: str, data: bytes, shown: dict) -> str:
    """What a name is looked for in (`files_naming`), lowercased: the file as written (`data`, its
    entities decoded), its title, and how its links read in a claim (`shown`)."""
    extra = " ".join(view for view, _ in shown.get(path, {}).values())
    return f"{html.unescape(data.decode('utf-8', 'replace'))}\n{kb.infos[path].title}\n{extra}".lower()


def file_words(kb, path: str, shown: dict) -> bytes:
    """The word filter of a file as it is now (`words_filter` of the words of `naming_text`); empty
    when it cannot be read, or no longer holds what was parsed (its claims are of other text)."""
    try:
        data = kb.disk_path(path).read_bytes()
    except OSError:
        return b""
    if content_hash(data) != kb.infos[path].hash:
        return b""
    return words_filter(_WORD.findall(naming_text(kb, path, data, shown)))


def files_naming(kb, paths: list[str], names: list[str], shown: Callable[[list[str]], dict],
                 filters: dict[str, bytes] | None = None) -> set[str]:
    """The files among `paths` that may mention one of `names`: every word of the name is a whole
    word of the file as written (entities decoded), of its title, or of how its links read in a
    claim (`shown(paths)`: those views of these files). A mention is those words in a row, so a
    file without them cannot hold one; a file that cannot be read counts as naming them.
    `filters`: files' word filters (`file_words`) made from what they read as now: a file whose
    filter lacks a word of every name is not read (after a note was made in a 10k vault, reading
    every file took 0.45-0.55 s, and viewing every link for it 0.3 s)."""
    if not names or not paths:
        return set()
    words = [[w.lower() for w in _WORD.findall(n)] for n in names]  # (the files' words are lowercased)
    if not all(words):
        return set(paths)
    filters = filters or {}
    filtered = [p for p in paths if len(filters.get(p, b"")) == FILTER_BITS // 8]
    if filtered:
        matrix = np.frombuffer(b"".join(filters[p] for p in filtered), dtype=np.uint8).reshape(len(filtered), -1)
        named = np.zeros(len(filtered), dtype=bool)
        for ws in words:
            mask = np.frombuffer(words_filter(ws), dtype=np.uint8)
            named |= ((matrix & mask) == mask).all(axis=1)
        unnamed = {p for p, hit in zip(filtered, named.tolist()) if not hit}
        paths = [p for p in paths if p not in unnamed]
    wanted = sorted({w for ws in words for w in ws}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, wanted)) + r")\b")
    views = shown(paths) if paths else {}
    out = set()
    for path in paths:
        try:
            data = kb.disk_path(path).read_bytes()
        except OSError:
            out.add(path)
            continue
        low = naming_text(kb, path, data, views)
        # a whole word is first a substring: most files hold none of the name's words, and looking
        # for them as substrings is many times as fast as the word pattern (at 10k notes, 1.1 s of
        # the build after a note was made went to reading every file with the pattern)
        if any(all(w in low for w in ws) for ws in words) and any(
                set(pattern.findall(low)).issuperset(ws) for ws in words):
            out.add(path)
    return out


def link_views(kb, paths: list[str] | None = None) -> tuple[dict[str, dict[str, tuple[str, bool]]],
                                                             dict[str, dict[int, list[tuple[str, str]]]]]:
    """Per file (of `paths`, or every file): how each link target as written reads in a claim (and
    whether it is a citation), and the sources each block cites (block index -> (source id, target
    as written))."""
    shown: dict[str, dict[str, tuple[str, bool]]] = {}
    cites: dict[str, dict[int, list[tuple[str, str]]]] = {}
    views: dict[tuple, tuple[str, bool] | None] = {}  # one per target: a 10k vault has 70k links to 12k
    for r in kb.rows if paths is None else kb.rows_of(paths):
        if not r.label and r.relation != "embeds":
            key = (r.target_kind, r.target_id, r.target_doc, r.target)
            if key not in views:
                views[key] = _view(kb, r)
            if views[key]:
                shown.setdefault(r.doc, {})[r.target] = views[key]
        if r.target_kind == "source" and r.block_index is not None:
            cites.setdefault(r.doc, {}).setdefault(r.block_index, []).append((r.target_id, r.label or r.target))
    return shown, cites


def _view(kb, r) -> tuple[str, bool] | None:
    """How a link's target reads in a claim, and whether it is a citation; None without a title."""
    title = kb.title_of(r.target_id)
    if not title:
        return None
    if r.target_kind == "source":
        info = kb.infos[kb.source_ids[r.target_id]]
        return citation(info.title, info.author, _year(info.date), r.target), True
    return short_title(title, r.target_doc or r.target), False


def short_title(title: str, stem: str | None = None) -> str:
    """A title short enough to read inside a sentence: the part before a colon or dash, and when
    that is still long, the file's own name ("quality-gap" -> "Quality gap")."""
    head = re.split(r"\s*(?::|\s[-–—|]\s)\s*", title, maxsplit=1)[0].strip() or title
    if len(head.split()) <= 5 or not stem:
        return head
    words = re.sub(r"\.(?:md|txt|html?)$", "", stem.rsplit("/", 1)[-1]).replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else head


def citation(title: str, author: str | None, date, stem: str | None = None) -> str:
    """How a cited source reads in a claim: `Falcioni 2026`, else its short title."""
    if author and date:
        surname = re.split(r"\s+(?:and|&)\s+|,", author)[0].strip().split()[-1:]
        if surname:
            return f"{surname[0]} {date.year}"
    return short_title(title, stem)


class _Year:
    __slots__ = ("year",)

    def __init__(self, year: int):
        self.year = year


def _year(iso: str | None):
    return _Year(int(iso[:4])) if iso and iso[:4].isdigit() else None


def key_context(kb, version: str) -> str:
    """A digest of what every file's key (`file_key`) is made from beside the file, its links and
    what they point at: kg's claims code and the parse settings. While it is as it was, a file's key
    changes only with the file, with where its links point (`KnowledgeBase.link_digests`, which
    also says which concept or source the file is) and with how the files and stubs they point at
    read (`link_titles`, `stub_titles`): kg.claims.store keeps the others."""
    return hashlib.blake2b(json.dumps([version, kb.parsed_with]).encode(), digest_size=16).hexdigest()


def link_titles(kb) -> dict[str, list]:
    """How a link to each note or source reads in a claim, as `_view` makes it: a note's title, a
    source's title, author and date."""
    return {path: [info.title] if info.kind == "note" else [info.title, info.author, info.date]
            for path, info in kb.infos.items()}


def stub_titles(kb) -> dict[str, str]:
    """Each stub's id and title (a link read in a claim shows its target's title: `_view`)."""
    return {c.id: c.title for c in kb.concepts.values() if c.stub}


def file_key(kb, path: str, shown: dict, cites: dict, version: str) -> str:
    """The key of one file's claims: its content and everything else they are made from, but the
    concept names (`files_naming`)."""
    text = json.dumps([version, kb.parsed_with, kb.infos[path].hash, kb.concept_by_doc.get(path), kb.source_by_path.get(path),
                       sorted(shown.get(path, {}).items()), sorted(cites.get(path, {}).items()),
                       kb.infos[path].title], ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def extract(kb, path: str, mentions: Mentions, counts: Counter, shown: dict, cites: dict, key: str,
            mid: dict[str, int]) -> tuple[FileClaims, list[Diagnostic]]:
    """One file's claims, with the subject words it asked about."""
    from kg.claims.analyse import claim_key, subject_offsets
    from kg.claims.extract import note_claims, source_claims
    from kg.claims.tensions import claim_measures, claim_stances

    subjects = AskedSubjects(counts)
    info = kb.infos[path]
    try:
        doc = kb.doc(path)
        if info.kind == "note":
            found = note_claims(doc, kb.concept_by_doc.get(path), mentions, cites.get(path, {}), subjects,
                                shown.get(path, {}), info.title)
        elif path in kb.source_by_path:
            found = source_claims(doc, kb.source_by_path[path], mentions, subjects)
        else:
            found = []
        block_of = _blocks_by_line(doc) if info.kind == "note" else {}
        extra = []
        for c in found:
            found_in, exact, names = subject_offsets(mentions, subjects, c)
            extra.append([json.dumps([found_in, exact, names], ensure_ascii=False, separators=(",", ":")),
                          block_of.get(c.line), [list(m) for m in claim_measures(c, found_in)],
                          claim_stances(c, exact, names), claim_key(c, (found_in, exact, names))])
        problems: list[Diagnostic] = []
    except Exception as exc:  # a bug on one file must not stop the vault: report it on the file
        found, extra = [], []
        problems = [Diagnostic(doc=path, severity="error", code="parse-failed",
                               message=f"kg could not find the claims of this file ({type(exc).__name__}: {exc}); "
                                       "please report it")]
    return FileClaims(key, dict(subjects.midsentence.asked), mid, encode(found),
                      *columns_of(found, extra), marshal.dumps(named_subjects(found), 4),
                      file_words(kb, path, shown)), problems


def named_subjects(claims: list[Claim]) -> list[list]:
    """What a source's claims add to the concepts suggested for the vault (kg.claims.analyse
    `_candidates`): [name, sentences naming it, line of the first], in the order the names come.
    Kept per file (marshalled in `FileClaims.named`), so that an analysis adds these up instead of
    reading every subject of every source sentence again (0.14 s of a SciFact edit)."""
    named: dict[str, list] = {}
    for c in claims:
        if c.origin == "source":
            for name in c.subjects:
                if name in named:
                    named[name][1] += 1
                else:
                    named[name] = [name, 1, c.line]
    return list(named.values())


def _blocks_by_line(doc) -> dict[int, int]:
    """Line -> index of the first block that holds it (a note's claims name their block this way)."""
    out: dict[int, int] = {}
    for index, block in enumerate(doc.blocks):
        for line in range(block.line, block.end_line + 1):
            out.setdefault(line, index)
    return out


_STATE: dict = {}


def _extract_batch(paths: list[str]) -> list[tuple[str, FileClaims, list[Diagnostic]]]:
    s = _STATE
    s["kb"].load(paths)
    out = []
    for path in paths:
        found, problems = extract(s["kb"], path, s["mentions"], s["counts"], s["shown"], s["cites"], s["keys"][path],
                                  s["mids"].get(path, {}))
        out.append((path, found, problems))
    s["kb"]._docs.clear()  # a worker never holds more than one batch of parses
    return out


def extract_many(kb, todo: list[str], mentions: Mentions, counts: Counter, shown: dict, cites: dict,
                 keys: dict[str, str], mids: dict[str, dict[str, int]],
                 progress: Callable[[str, int, int | None], None] | None = None, jobs: int | None = None):
    """Extract the claims of these files, on every core when there are many; yields batches of
    (path, FileClaims, problems) as they come, so a cold build never holds them all."""
    jobs = jobs or min(os.cpu_count() or 1, 8)
    _STATE.update(kb=kb, mentions=mentions, counts=counts, shown=shown, cites=cites, keys=keys, mids=mids)
    size = 50 if len(todo) < PARALLEL_FROM else max(20, min(200, len(todo) // (jobs * 6)))
    batches = [todo[i:i + size] for i in range(0, len(todo), size)]
    done, pool = 0, None
    if progress:
        progress("Finding claims", 0, len(todo))
    try:
        if len(todo) < PARALLEL_FROM or jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            results = map(_extract_batch, batches)
        else:
            from kg.search.embed import wait_for_model

            wait_for_model()
            pool = multiprocessing.get_context("fork").Pool(jobs)
            results = pool.imap(_extract_batch, batches)
        for batch in results:
            done += len(batch)
            if progress:
                progress("Finding claims", done, len(todo))
            yield batch
    finally:
        _STATE.clear()
        if pool is not None:
            pool.terminate()


_CLAIM_FIELDS = tuple(Claim.model_fields)
_QUANTITY_FIELDS = tuple(Quantity.model_fields)
_CLAIM_SET = set(_CLAIM_FIELDS)
_QUANTITY_SET = set(_QUANTITY_FIELDS)
_QUANTITIES = _CLAIM_FIELDS.index("quantities")
_TEXT = _CLAIM_FIELDS.index("text")
_KIND = _CLAIM_FIELDS.index("kind")


_LINE, _ID, _DOC = _CLAIM_FIELDS.index("line"), _CLAIM_FIELDS.index("id"), _CLAIM_FIELDS.index("doc")
_CONCEPT, _CONCEPTS = _CLAIM_FIELDS.index("concept"), _CLAIM_FIELDS.index("concepts")


def moved_lines(old_claims: bytes, old_columns: bytes, now: FileClaims) -> list[tuple[str, int, int]] | None:
    """When a note's claims are as they were stored (`old_claims`, `old_columns`) but for their lines
    (a heading or a blank line written above them, which may also move their blocks' places):
    (id, line before, line now) of each, in order; else None."""
    was, are = marshal.loads(old_claims), marshal.loads(now.claims)
    if len(was) != len(are) or any(a[:_LINE] != b[:_LINE] or a[_LINE + 1:] != b[_LINE + 1:] for a, b in zip(was, are)):
        return None
    # an extra's block and key (which holds the block) may differ; what the analysis reads of it may not
    # (the ids are the claims', compared above)
    if marshal.loads(old_columns)[1:] != marshal.loads(now.columns)[1:]:
        return None
    return [(a[_ID], a[_LINE], b[_LINE]) for a, b in zip(was, are)]


def encode(claims: list[Claim]) -> bytes:
    """A file's claims as stored: marshal of one tuple of field values per claim, in the model's
    field order (quantities the same way). A 10k vault's 150k claims read back in 0.7-0.9 s this
    way, against 1.5-1.7 s as JSON validated by pydantic (49 MB of it), on every edit."""
    return marshal.dumps([tuple((v if name != "quantities" else
                                 [tuple(getattr(q, f) for f in _QUANTITY_FIELDS) for q in v])
                                for name, v in ((name, getattr(c, name)) for name in _CLAIM_FIELDS))
                          for c in claims], 4)


def is_about(doc: str, concept: str | None, concepts: Iterable[str], about: tuple[set[str], set[str]]) -> bool:
    """Whether a claim written in `doc`, of `concept` and naming `concepts`, is about `about`
    (files, concept or source ids): written in one of the files, or naming one of the ids as its
    concept or among its concepts."""
    files, idents = about
    return doc in files or concept in idents or not idents.isdisjoint(concepts)


def claims_of(data: bytes, ids: set[str] | None = None, about: tuple[set[str], set[str]] | None = None,
              places: dict[tuple[str, str], int] | None = None) -> list[Claim]:
    """The claims `encode` wrote, as models (with `ids`, those with these ids alone; with `about`,
    those `is_about` it, found before the models are made); with `places`, every claim's place
    among them put there by (file, id)."""
    written = marshal.loads(data)
    if places is not None:
        for n, values in enumerate(written):
            places[values[_DOC], values[_ID]] = n
    return [_claim(values) for values in written if (ids is None or values[_ID] in ids)
            and (about is None or is_about(values[_DOC], values[_CONCEPT], values[_CONCEPTS], about))]


def tension_blocks(found: FileClaims) -> list[int]:
    """The blocks of a file that declare a tension (the links in them name the claims it is about),
    without making models."""
    listing = np.frombuffer(found.listing, dtype=LISTED)
    blocks = listing["block"][((listing["code"] & 3) == KINDS.index("tension")) & (listing["block"] >= 0)]
    return sorted(set(blocks.tolist()))


def places_of(data: bytes, ids: set[str]) -> list[Claim]:
    """The claims with these ids among those `encode` wrote, as far as where they are goes: without
    their figures, for a page that links to them (made as kg.model.constructed makes them: model_construct asks
    each default factory for its signature, 3 s for a 10k vault's 6k tension sides)."""
    return [constructed(Claim, _CLAIM_FIELDS, _CLAIM_SET, (*values[:_QUANTITIES], [], *values[_QUANTITIES + 1:]))
            for values in marshal.loads(data) if values[_ID] in ids]


def ids_of(data: bytes) -> list[str]:
    """The ids of the claims `encode` wrote, in their order, without making models."""
    return [values[_ID] for values in marshal.loads(data)]


def texts_of(data: bytes) -> list[str]:
    """The texts of the claims `encode` wrote, without making models."""
    return [values[_TEXT] for values in marshal.loads(data)]


def _claim(values: tuple) -> Claim:
    if values[_QUANTITIES]:
        values = (*values[:_QUANTITIES], [constructed(Quantity, _QUANTITY_FIELDS, _QUANTITY_SET, q)
                                          for q in values[_QUANTITIES]], *values[_QUANTITIES + 1:])
    return constructed(Claim, _CLAIM_FIELDS, _CLAIM_SET, values)


def _extras(listing: np.ndarray, columns: list[list]) -> list[Extra]:
    """Each claim's `Extra`, from a file's listing and columns as `columns_of` wrote them. Most
    claims measure nothing and take no stance: one empty tuple serves them all (two empty lists a
    claim were 20 MB of a 10k vault's)."""
    _, mentions, measures, stances = columns
    return [_extra(*values) for values in zip(mentions, listing["block"].tolist(), measures, stances,
                                              listing["key"].tolist())]


def _extra(mentions: list, block: int, measures: list, stances: list, key: bytes) -> Extra:
    """One claim's `Extra` from its columns' values and its record's block and key."""
    return Extra(mentions, None if block < 0 else block, measures or (), stances or (), key.decode())


def decode(found: FileClaims) -> list[tuple[Claim, Extra]]:
    """A file's claims as models, each with its `Extra`."""
    listing = np.frombuffer(found.listing, dtype=LISTED)
    return list(zip(claims_of(found.claims), _extras(listing, marshal.loads(found.columns))))


ONE_BY_ONE = 32
"""`ClaimRows.columns_of` reads the columns of this many files one by one, then every file's at once."""


class ClaimRows(Sequence):
    """Every file's claims with their extras, as `decode` gives them, each pair made when first
    asked: the records a listing needs are read as one array (`listing`), and a file's claims are
    read and decoded when one of them is first asked for, so an edit's patch (kg.claims.delta)
    makes the models of the few claims it looks at, not all of them (1.0 s at 10k notes), and
    reads back the records of the rest alone."""

    def __init__(self, files: Iterable[tuple[str, bytes, bytes]], fetch: Callable[..., dict[str, bytes]]):
        """`files`: (path, listing, measured) of each file, as stored (`FileClaims`); `fetch(paths)`:
        the stored claims of these files, by path, and `fetch(paths, "columns")` their columns."""
        self.paths: list[str] = []
        """Each file, in order."""
        listings, measured = [], []
        for path, listing, measures in files:
            self.paths.append(path)
            listings.append(listing)
            measured.append(measures)
        counts = np.fromiter(map(len, listings), dtype=np.int64, count=len(listings)) // LISTED.itemsize
        self.listing: np.ndarray = np.frombuffer(b"".join(listings), dtype=LISTED)
        """Every claim's record, in file order."""
        self.starts: np.ndarray = np.r_[0, np.cumsum(counts)].astype(np.int64)
        """Each file's first row, and the number of rows last."""
        self.file: np.ndarray = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        """Each row's file, by its place in `paths`."""
        found = np.frombuffer(b"".join(measured), dtype=MEASURED)
        per_file = np.fromiter(map(len, measured), dtype=np.int64, count=len(measured)) // MEASURED.itemsize
        self.measured: tuple[np.ndarray, np.ndarray] = (
            found["at"] + np.repeat(self.starts[:-1], per_file), found["word"])
        """The row of each measure of a claim (`MEASURED`), and its hash."""
        self.fetch = fetch
        self.decoded: dict[int, list] = {}
        """The field values of the claims of the files asked for, by the file's place."""
        self.unpacked: dict[int, list] = {}
        """The columns of the files asked about, by the file's place."""
        self.raw: dict[int, bytes] = {}
        """The columns read and not decoded yet, by the file's place (`columns_of`)."""
        self.asked = 0
        """How many times columns were read for one file (`columns_of`)."""
        self.made: dict[int, tuple[Claim, Extra]] = {}

    def __len__(self) -> int:
        return len(self.listing)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        found = self.made.get(n)
        if found is None:
            f, at = self.place(n)
            values = self.decoded.get(f)
            if values is None:
                values = self.decoded[f] = marshal.loads(self.fetch([self.paths[f]])[self.paths[f]])
            _, mentions, measures, stances = self.columns_of(f)
            record = self.listing[n]
            found = self.made[n] = (_claim(values[at]), _extra(mentions[at], int(record["block"]), measures[at],
                                                               stances[at], bytes(record["key"])))
        return found

    def __iter__(self):
        return (self[n] for n in range(len(self)))

    def place(self, n: int) -> tuple[int, int]:
        """Row n's file (its place in `paths`) and the row's place among that file's claims."""
        f = int(self.file[n])
        return f, n - int(self.starts[f])

    def columns_of(self, f: int) -> list[list]:
        """The columns (`COLUMNS`) of the file at place `f`, decoded once. A file's are read when
        first asked for, up to ONE_BY_ONE files; then every file's left at once (a patch at 10k
        notes asks for those of some 1,250 files, one read each took 0.3 s, and all at once 0.03 s;
        a small vault's asks for a few)."""
        found = self.unpacked.get(f)
        if found is None:
            if f not in self.raw:
                self.read_columns([f] if self.asked < ONE_BY_ONE else range(len(self.paths)))
                self.asked += 1
            found = self.unpacked[f] = marshal.loads(self.raw.pop(f))
        return found

    def read_columns(self, places: Iterable[int]) -> None:
        """Read the stored columns of the files at these places that are not read yet, at once
        (they are decoded when asked for: decoding every file's took 0.13 s at 10k)."""
        todo = {self.paths[f]: f for f in places if f not in self.unpacked and f not in self.raw}
        if todo:
            self.raw.update((todo[path], blob) for path, blob in self.fetch(list(todo), "columns").items())

    def models(self) -> list[tuple[Claim, Extra]]:
        """Every pair, made now (those made already as they were), as a list; the rows let go of
        everything they held, so that a whole analysis holds the models alone."""
        out = []
        blobs = self.fetch([p for f, p in enumerate(self.paths) if f not in self.decoded])
        self.read_columns(range(len(self.paths)))
        starts = self.starts.tolist()
        for f, path in enumerate(self.paths):
            values = self.decoded.pop(f) if f in self.decoded else marshal.loads(blobs[path])
            start = starts[f]
            unpacked = self.unpacked.pop(f, None) or marshal.loads(self.raw.pop(f))
            extras = _extras(self.listing[start:start + len(values)], unpacked)
            out += [self.made.get(start + n) or (_claim(v), extra) for n, (v, extra) in enumerate(zip(values, extras))]
        self.made, self.decoded, self.unpacked, self.raw = {}, {}, {}, {}
        self.listing = self.listing[:0]
        return out

    @property
    def claims(self) -> Sequence[Claim]:
        return _Side(self, 0)

    @property
    def extras(self) -> Sequence[Extra]:
        return _Side(self, 1)


@dataclass(frozen=True)
class _Side(Sequence):
    """The claims (`at` 0) or the extras (1) of a `ClaimRows`, each made when first asked."""

    rows: ClaimRows
    at: int

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [pair[self.at] for pair in self.rows[n]]
        return self.rows[n][self.at]
