"""Claims: what each note and source asserts (DESIGN §3, §4, §6).

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

import hashlib
import re
from collections.abc import Iterable

import ahocorasick

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


class Mentions:
    """Finds concept names (titles and aliases) in text: one Aho-Corasick pass, whole words
    only, longest match first."""

    def __init__(self, concepts: Iterable[Concept]):
        self.automaton = ahocorasick.Automaton()
        names: dict[str, str] = {}
        for concept in concepts:
            for name in (concept.title, *concept.aliases):
                key = name.strip().lower()
                if len(key) >= 3 and key not in names:
                    names[key] = concept.id
        for key, cid in names.items():
            self.automaton.add_word(key, (len(key), cid))
        self.empty = not names
        if not self.empty:
            self.automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, concept id) of each mention, left to right, not overlapping."""
        if self.empty or not text:
            return []
        lower = text.lower()
        found = []
        for end, (length, cid) in self.automaton.iter(lower):
            start = end - length + 1
            before = lower[start - 1] if start > 0 else " "
            after = lower[end + 1] if end + 1 < len(lower) else " "
            if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
                found.append((start, end + 1, cid))
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        out, last = [], -1
        for start, end, cid in found:
            if start >= last:
                out.append((start, end, cid))
                last = end
        return out

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


def note_claims(note: Note, concept: str | None, mentions: Mentions,
                cites_of: dict[int, list[tuple[str, str]]], subjects: Subjects | None = None,
                shown: dict[str, str] | None = None) -> list[Claim]:
    """The claims, questions and declared tensions of one note. `cites_of` maps a block index to
    the (source id, link text) of the sources its links point at; `shown` maps a link target as
    written (`andrew-feldman`) to the title a reader sees in the claim (`Andrew Feldman`)."""
    swap = _swapper(shown or {})
    out: list[Claim] = []
    for index, block in enumerate(note.blocks):
        role = note.sections[block.section].role if block.section < len(note.sections) else "claims"
        if role == "related" or block.kind in ("table", "footnote") or _FIELD.match(block.text):
            continue
        cites = cites_of.get(index, [])
        whole = block.kind == "item" or block.block_id or role in ("questions", "tensions")
        parts = [(block.text, 0)] if whole else [(block.text[s:e], block.text[:s].count("\n")) for s, e in
                                                 spans(block.text)]
        for text, line_offset in parts:
            text = _clean(swap(text))
            if _word_count(text) < MIN_WORDS:
                continue
            kind = "question" if role == "questions" or text.endswith("?") else \
                "tension" if role == "tensions" else "claim"
            named = mentions.concepts(text, exclude=concept)
            out.append(Claim(
                id=claim_id(text, block.block_id), text=text, kind=kind, doc=note.path,
                line=block.line + line_offset, origin="note", concept=concept,
                quantities=[] if kind == "question" else find_quantities(text),
                concepts=named, cites=_cited(text, cites, whole), subjects=_names(subjects, text, named)))
    return _unique(out)


def _swapper(shown: dict[str, str]):
    """A function that writes link targets shown bare (`[[andrew-feldman]]` reads `andrew-feldman`
    in the block's text) as their titles."""
    if not shown:
        return lambda text: text
    pattern = re.compile(r"(?<![\w/.-])(?:" + "|".join(map(re.escape, sorted(shown, key=len, reverse=True)))
                         + r")(?![\w/-])")
    return lambda text: pattern.sub(lambda m: shown[m.group()], text)


def _cited(text: str, cites: list[tuple[str, str]], whole: bool) -> list[str]:
    """Sources a claim links: every source linked in its block for a whole block; for one
    sentence of a paragraph, those whose link text is in that sentence."""
    out: list[str] = []
    for sid, shown in cites:
        if (whole or (shown and shown in text)) and sid not in out:
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
        if words < MIN_WORDS or text.endswith("?"):
            continue
        quantities = find_quantities(text)
        named = mentions.concepts(text)
        names = _names(subjects, text, named)
        in_list = sentence.block_index < len(blocks) and blocks[sentence.block_index].kind == "item"
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
