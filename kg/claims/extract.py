"""Claims: what each note and source asserts (docs/knowledge.md, Claims).

From a note: each list item, and each sentence of a paragraph, in a claims or evidence section;
a paragraph or item with a `^block-id` is one claim under that id. Items of a questions section
(and sentences ending in '?') are questions; items of a tensions section are declared tensions;
link lists, field lines, tables and fragments are not claims.

From a source: sentences that assert something checkable: those with a quantity (a date alone
does not count), list items (key points, takeaways), and sentences of eight words or more that
name a concept of the vault or a named subject (kg.claims.subjects). Questions are not claims;
page chrome is already gone.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from collections.abc import Iterable

import ahocorasick

from kg.claims.compare import masked
from kg.claims.perfile import acronym, mention_names
from kg.claims.quantities import find_quantities
from kg.claims.subjects import Subjects
from kg.model import Block, Claim, Concept, Note, Source
from kg.parse.sentences import normalise, spans

MIN_WORDS = 4
SOURCE_MIN_WORDS = 8
_FIELD = re.compile(r"^\s*[\w-]+::")
_TRAILING_TAGS = re.compile(r"(?:\s+#[\w/-]+)+\s*$")
_WORDS = re.compile(r"[\w'’%$.-]+")


def claim_id(text: str, block_id: str | None = None) -> str:
    """A claim's stable id: its block id, else a hash of its normalised text, so editing
    another line never renames it."""
    if block_id:
        return block_id
    return "c-" + hashlib.blake2b(normalise(text).encode(), digest_size=5).hexdigest()


LOOKUPS_PER_NAME = 5
"""Spans `Mentions` looks up one by one, for each name, before it builds its automata instead:
building takes some 3 µs a name (a 10k vault's 17.6k names: 0.05 s) and a lookup 0.4 µs, so an
edit's note of a few thousand characters (some 10k spans) is read in a few milliseconds."""
_EDGE = re.compile(r"\W")
"""A character a mention may start after or end before (not a letter, digit or `_`)."""


class Mentions:
    """Finds concept names (titles and aliases) in text: an Aho-Corasick pass over the text in
    lower case, and one over the text as written for acronyms (kg.claims.perfile.mention_names);
    whole words only, longest match first. A few texts are read by looking up each span between
    word edges instead, with the same result, until the spans looked up are worth the automata
    (`LOOKUPS_PER_NAME`)."""

    def __init__(self, concepts: Iterable[Concept], names: dict[str, str] | None = None):
        self.names = mention_names(concepts) if names is None else names  # (`names`: mention_names, made already)
        self.longest = max(map(len, self.names), default=0)
        self.looked = 0
        self._automata: list[tuple[ahocorasick.Automaton, bool]] | None = None  # (automaton, over the text as written)
        self.empty = not self.names

    @property
    def automata(self) -> list[tuple[ahocorasick.Automaton, bool]]:
        """The automata of the lowercased names and of the acronyms, built on first use."""
        if self._automata is None:
            self._automata = []
            for written in (False, True):
                keys = {key: cid for key, cid in self.names.items() if acronym(key) == written}
                if keys:
                    automaton = ahocorasick.Automaton()
                    for key, cid in keys.items():
                        automaton.add_word(key, (len(key), cid))
                    automaton.make_automaton()
                    self._automata.append((automaton, written))
        return self._automata

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, concept id) of each mention, left to right, not overlapping."""
        if self.empty or not text:
            return []
        lower = text.lower()
        found = self._looked_up(text, lower)
        if found is None:
            found = []
            for automaton, written in self.automata:
                seen = text if written else lower
                for end, (length, cid) in automaton.iter(seen):
                    start = end - length + 1
                    before = seen[start - 1] if start > 0 else " "
                    after = seen[end + 1] if end + 1 < len(seen) else " "
                    if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
                        found.append((start, end + 1, cid))
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        out, last = [], -1
        for start, end, cid in found:
            if start >= last:
                out.append((start, end, cid))
                last = end
        return out

    def _looked_up(self, text: str, lower: str) -> list[tuple[int, int, str]] | None:
        """Every name found as the automata find them, by looking up each span that starts after a
        word edge and ends before one: in the lowercased text for the names kept in lower case, in
        the text as written for the acronyms, none longer than the longest name. None once
        `LOOKUPS_PER_NAME` spans a name are spent, and from then on: the automata read the rest."""
        if self._automata is not None:
            return None
        found = []
        for seen, written in ((lower, False), (text, True)):
            edges = [m.start() for m in _EDGE.finditer(seen)]
            starts = [0, *(e + 1 for e in edges)]
            ends = [*edges, len(seen)]
            spans = []
            for start in starts:
                first = bisect.bisect_right(ends, start)
                spans.append((start, first, bisect.bisect_right(ends, start + self.longest, first)))
            self.looked += sum(last - first for _, first, last in spans)
            if self.looked > LOOKUPS_PER_NAME * len(self.names):
                return None
            names = self.names
            for start, first, last in spans:
                for end in ends[first:last]:
                    cid = names.get(seen[start:end])
                    if cid is not None and acronym(seen[start:end]) == written:
                        found.append((start, end, cid))
        return found

    def concepts(self, text: str, exclude: str | None = None) -> list[str]:
        """Concept ids named in `text`, first mention first (not `exclude`)."""
        seen: list[str] = []
        for _, _, cid in self.find(text):
            if cid != exclude and cid not in seen:
                seen.append(cid)
        return seen


def _clean(text: str) -> str:
    return _TRAILING_TAGS.sub("", " ".join(text.split())).strip()


def _word_count(text: str) -> int:
    return len(_WORDS.findall(text))


def _names(subjects: Subjects | None, text: str, concepts: list[str]) -> list[str]:
    """Names in a claim that are not already concept mentions."""
    if subjects is None:
        return []
    out: list[str] = []
    for _, name in subjects.of(text):
        if name not in out and name.lower() not in concepts:
            out.append(name)
    return out


# -- what is not a claim -----------------------------------------------------------------------
_SEE_ALSO = re.compile(r"^\W*(?:see(?: also)?|cf\.?|compare|related|referenced by|more (?:in|at|on)|via|source|"
                       r"sources|read more|further reading)\b", re.I)
_TERMINAL = re.compile(r"[.!?:;)\"'”’…]\s*$")
_FIELD_TEXT = re.compile(r"\b[\w-]+::\s*")
_EMPTY_FIELD = re.compile(r"(?:(?<!\s)\s+)?\[?\b[\w-]+::\s*\]?")  # white space only from where it starts


def _heading_like(text: str, block, title: str | None) -> bool:
    """A title line, a heading written as a plain paragraph (clipped or exported notes), or a
    fragment: one line, no closing punctuation, short or the note's own title."""
    if block.kind == "item" or "\n" in block.text.strip():
        return False
    if _TERMINAL.search(text):
        return False
    return _word_count(text) <= 8 or (title is not None and text.casefold() == title.casefold())


def _furniture(text: str) -> bool:
    """Page furniture a clipper kept: words glued together ("High Impact📅Long-termOrganizations",
    "7 min readApr 5"), pictographs, run-together tag lists."""
    if any(unicodedata.category(ch) == "So" for ch in text):
        return True
    if re.search(r"[a-z]{3,}[A-Z][a-z]{2,}", text) and not re.search(r"\b[A-Z][a-z]+[A-Z]", text):
        return True  # "readApr", "ImpactLong"; names such as DeepSeek or OpenAI start with a capital
    return any(len(word) > 40 for word in text.split()) or bool(re.search(r"\b\d+ min read", text, re.I))


# -- links as a reader sees them in a claim ----------------------------------------------------------
_BEFORE_TARGET = re.compile(r"[\w/.-]")
_TARGET_END = re.compile(r"(?:#[^\s,;()]*)?(?![\w/-])")


def _automaton(words: Iterable[str]) -> ahocorasick.Automaton | None:
    """An Aho-Corasick automaton of the (non-empty) words, None when there are none."""
    automaton = ahocorasick.Automaton()
    for word in words:
        if word:
            automaton.add_word(word, word)
    if not len(automaton):
        return None
    automaton.make_automaton()
    return automaton


def _starts(automaton: ahocorasick.Automaton, text: str) -> dict[int, list[str]]:
    """Start -> the words found there, overlaps included, in one pass over the text.

    The link targets of a block used to be one regular expression (every target tried at every
    word: 20,000 links in a paragraph took 7 s) and one `str.replace` each (4 s)."""
    found: dict[int, list[str]] = {}
    for end, word in automaton.iter(text):
        found.setdefault(end - len(word) + 1, []).append(word)
    return found


def _swapper(shown: dict[str, tuple[str, bool]]):
    """A function text -> (text as a reader sees it, (start, end, is a citation) of each piece kg
    put in): link targets shown bare (`[[andrew-feldman]]` reads `andrew-feldman` in the block's
    text) become their short names, sources their citations.

    A target is read where it stands alone: not after a word character, `/`, `.` or `-`; the
    longest target first; with a `#heading` after it; not followed by a word character, `/` or
    `-`. An empty target (`[[#heading]]`) is none: as a pattern it matched between any two words."""
    automaton = _automaton(shown)
    if automaton is None:
        return lambda text: (text, [])

    def swap(text: str) -> tuple[str, list[tuple[int, int]]]:
        out, spans_, last, start, after = [], [], 0, 0, 0  # start: the length of out so far
        found = _starts(automaton, text)
        for at in sorted(found):
            if at < after or (at and _BEFORE_TARGET.match(text, at - 1)):
                continue
            for word in sorted(found[at], key=len, reverse=True):
                end = _TARGET_END.match(text, at + len(word))
                if end:
                    break
            else:
                continue
            after = end.end()
            target = text[at:after].split("#", 1)[0]
            if target not in shown:
                continue
            out.append(text[last:at])
            start += at - last
            name, cited = shown[target]
            out.append(name)
            spans_.append((start, start + len(name), cited))
            start += len(name)
            last = after
        out.append(text[last:])
        return "".join(out), spans_
    return swap


def _trailing_citation(text: str, spans_: list[tuple[int, int, bool]]) -> tuple[str, list[tuple[int, int, bool]]]:
    """`... to run. Kestrel report` -> `... to run (Kestrel report).`: a citation written after the
    sentence reads as one in parentheses."""
    if not spans_:
        return text, spans_
    start, end, cited = spans_[-1]
    before = text[:start].rstrip()
    if end == len(text.rstrip(" .")) and before.endswith((".", "!")) and not text[start - 1:start] == "(":
        cite = text[start:end]
        body = before[:-1].rstrip()
        return f"{body} ({cite}){before[-1]}", [*spans_[:-1], (len(body) + 2, len(body) + 2 + len(cite), cited)]
    return text, spans_


def _fields_out(text: str, fields: list[str]) -> str:
    """A block's text without its inline fields (`supports:: Model routing`): each `key:: value`
    whose value is one of the block's fields goes, with the `[ ]` and the white space before it,
    then every `key::` left. An empty field takes out every `key::` with its brackets where it
    stands in the order.

    A pass for all fields at once: a substitution for each, led by any white space, took fields x
    text, and a run of spaces squared (40,000 spaces: 43 s)."""
    values = list(dict.fromkeys(fields))
    if "" in values:
        cut = values.index("")
        text = _EMPTY_FIELD.sub("", _values_out(text, values[:cut]))
        values = values[cut + 1:]
    return _FIELD_TEXT.sub("", _values_out(text, values))


def _values_out(text: str, values: list[str]) -> str:
    """The text without each `key:: value` of these (non-empty) values, found in one pass; where
    several values fit, the first of them, as one substitution after the other did."""
    trie: dict = {}
    for order, value in enumerate(values):
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node.setdefault("", order)  # "" marks where a value ends
    out, last = [], 0
    for m in _FIELD_TEXT.finditer(text) if values else ():
        if m.start() < last:
            continue  # inside a value already taken out
        node, i, found = trie, m.end(), None
        while i < len(text) and (node := node.get(text[i])) is not None:
            i += 1
            if "" in node and (found is None or node[""] < found):
                found = node[""]
        if found is None:
            continue
        end = m.end() + len(values[found])
        end += text.startswith("]", end)
        start = m.start() - (m.start() > last and text[m.start() - 1] == "[")
        while start > last and text[start - 1].isspace():
            start -= 1
        out.append(text[last:start])
        last = end
    return "".join(out) + text[last:] if out else text


def note_claims(note: Note, concept: str | None, mentions: Mentions,
                cites_of: dict[int, list[tuple[str, str]]], subjects: Subjects | None = None,
                shown: dict[str, tuple[str, bool]] | None = None, title: str | None = None) -> list[Claim]:
    """The claims, questions and declared tensions of one note. `cites_of` maps a block index to
    the (source id, link target as written) of the sources its links point at; `shown` maps a link
    target as written to how it reads in a claim and whether it is a citation: a source reads as
    "(Falcioni 2026)" or its short title, a note as the link's label or the target's short name.
    Neither is text the writer typed, so their numbers and names never count as the claim's own
    (`Claim.quoted`)."""
    swap = _swapper(shown or {})
    fields_of: dict[int, list[str]] = {}
    for f in note.fields:
        if f.block_index is not None:
            fields_of.setdefault(f.block_index, []).append(f.value)
    linked_of: dict[int, list[str]] = {}
    for link in note.links:
        if link.block_index is not None:
            linked_of.setdefault(link.block_index, []).append(link.label or link.target or link.heading or "")
    out: list[Claim] = []
    for index, block in enumerate(note.blocks):
        role = note.sections[block.section].role if block.section < len(note.sections) else "claims"
        if role == "related" or block.kind in ("table", "footnote") or _FIELD.match(block.text):
            continue
        if _link_only(block.text, linked_of.get(index, [])) or _SEE_ALSO.match(block.text):
            continue  # an embed, a list of links, "See also ..."
        cites = cites_of.get(index, [])
        whole = block.kind == "item" or block.block_id or role in ("questions", "tensions")
        raw = _fields_out(block.text, fields_of.get(index, []))
        parts = [(raw, 0)] if whole else _sentences(raw)
        for part, line_offset in parts:
            if _heading_like(_clean(part), block, title) or _SEE_ALSO.match(part):
                continue
            text, pieces = _trailing_citation(*swap(" ".join(part.split())))
            text = _TRAILING_TAGS.sub("", text.strip()).rstrip()
            pieces = [(a, min(b, len(text)), cited) for a, b, cited in pieces if a < len(text)]
            put_in = [(a, b) for a, b, _ in pieces]
            own = masked(text, put_in)
            if _word_count(own.replace("_", " ")) < MIN_WORDS:
                continue
            kind = "question" if role == "questions" or text.endswith("?") else \
                "tension" if role == "tensions" else "claim"
            named = mentions.concepts(masked(text, [(a, b) for a, b, cited in pieces if cited]), exclude=concept)
            out.append(Claim(
                id=claim_id(text, block.block_id), text=text, kind=kind, doc=note.path,
                line=block.line + line_offset, origin="note", concept=concept,
                quantities=[] if kind == "question" else _quantities(text, own),
                concepts=named, cites=_cited(part, cites, whole), subjects=_names(subjects, own, named),
                quoted=put_in))
    return _unique(out)


def _quantities(text: str, own: str):
    """The quantities of the text the writer typed (`own`: what kg put in is blanked), as written."""
    found = find_quantities(own)
    return [q.model_copy(update={"text": text[q.start:q.end]}) if own is not text else q for q in found]


def _sentences(text: str) -> list[tuple[str, int]]:
    """Each sentence of a paragraph with its line in the paragraph, lines counted from the sentence
    before (counted from the start each time, a paragraph of many sentences was quadratic)."""
    out, line, counted = [], 0, 0
    for s, e in spans(text):
        line += text.count("\n", counted, s)
        counted = s
        out.append((text[s:e], line))
    return out


def _link_only(text: str, shown: list[str]) -> bool:
    """Whether a block says nothing beyond its links (an embed, `[[a]] · [[b]]`): what is left
    when each name is taken out (the longest first, each where no longer one was) has fewer
    than MIN_WORDS - 1 words."""
    names = sorted(dict.fromkeys(shown), key=len, reverse=True)
    automaton = _automaton(names)
    if automaton is None:
        return bool(shown) and _word_count(re.sub(r"[^\w\s'’%$.-]", " ", text)) < MIN_WORDS - 1
    starts: dict[str, list[int]] = {}
    for start, words in _starts(automaton, text).items():
        for word in words:
            starts.setdefault(word, []).append(start)
    taken = bytearray(len(text))
    cuts: list[tuple[int, int]] = []
    for name in names:  # as str.replace on what the longer names left: left to right, not overlapping
        after = 0
        for start in sorted(starts.get(name, ())):
            end = start + len(name)
            if start >= after and taken.find(1, start, end) < 0:
                taken[start:end] = b"\1" * len(name)
                cuts.append((start, end))
                after = end
    pieces, last = [], 0
    for start, end in sorted(cuts):
        pieces.append(text[last:start])
        last = end
    rest = " ".join(pieces + [text[last:]])
    return _word_count(re.sub(r"[^\w\s'’%$.-]", " ", rest)) < MIN_WORDS - 1


def _cited(text: str, cites: list[tuple[str, str]], whole: bool) -> list[str]:
    """Sources a claim links: every source linked in its block for a whole block; for one
    sentence of a paragraph, those whose link (as written) is in that sentence."""
    out: list[str] = []
    for sid, written in cites:
        if (whole or (written and written in text)) and sid not in out:
            out.append(sid)
    return out


def source_claims(source: Source, source_id: str, mentions: Mentions,
                  subjects: Subjects | None = None) -> list[Claim]:
    """Sentences of a source that assert something checkable."""
    out: list[Claim] = []
    blocks: list[Block] = source.blocks
    for sentence in source.sentences:
        text = _clean(sentence.text)
        words = _word_count(text)
        if words < MIN_WORDS or text.endswith("?") or _furniture(text) or _SEE_ALSO.match(text):
            continue
        block = blocks[sentence.block_index] if sentence.block_index < len(blocks) else None
        if block is not None and _heading_like(text, block, source.title):
            continue
        quantities = find_quantities(text)
        named = mentions.concepts(text)
        names = _names(subjects, text, named)
        in_list = block is not None and block.kind == "item"
        if not (any(q.kind != "date" for q in quantities) or in_list
                or ((named or names) and words >= SOURCE_MIN_WORDS)):
            continue
        out.append(Claim(id=claim_id(text), text=text, doc=source.path, line=sentence.line, origin="source",
                         source=source_id, anchor=sentence.anchor, quantities=quantities, concepts=named,
                         subjects=names))
    return _unique(out)


def _unique(claims: list[Claim]) -> list[Claim]:
    """One claim per id in a file (the same sentence twice, or one block id on two lines)."""
    seen: set[str] = set()
    out = []
    for claim in claims:
        if claim.id not in seen:
            seen.add(claim.id)
            out.append(claim)
    return out
