"""Find a concept or source by what a person would type: id, title, alias, file name or path;
else the one name whose words fit; else the closest names, for the error to suggest.

Three tiers, in order (`resolve`):

1. exact: the name is an id, title, alias, file stem or path, compared as links compare
   (`link_key`: case, white space and `.md` do not matter). Silent.
2. words: punctuation and accents do not matter either. The name's words equal the words of
   one name (`quality gap` is the id `quality-gap`, `open weight` the alias `open-weight`),
   or else they are all whole words of the names of exactly one concept or source
   (`quality gap` of "Quality gap between open and closed models"). Taken only when exactly
   one concept or source fits; the command says which it took.
3. none: the closest names, ranked by difflib ratios (standard library) over ids, titles,
   aliases and file stems together with how many of the typed words they hold (a word may be
   misspelt or cut short). When several fit the words, those are the ones listed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg.knowledge import KnowledgeBase
from kg.paths import link_key, stem, without_suffix

KINDS = ("concept", "source")
SUGGESTIONS = 5
"""How many close names an error lists."""
CUTOFF = 0.5
"""The least score (0..1) of a name worth suggesting."""
WORD_CUTOFF = 0.75
"""The least difflib ratio at which a typed word counts as a misspelling of a word of a name."""

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Named:
    """A concept or a source as a person names it."""

    id: str
    title: str
    kind: str
    """concept or source."""
    names: tuple[str, ...]
    """id, title, aliases, file stem: matched exactly, by their words and by closeness."""
    paths: tuple[str, ...] = ()
    """The file's path with and without its suffix: matched exactly only."""

    def json(self) -> dict:
        return {"id": self.id, "title": self.title, "kind": self.kind}


@dataclass
class Match:
    """What a typed name stands for: `found` and how, or the names to suggest instead."""

    name: str
    found: Named | None = None
    how: str | None = None
    """exact (silent) or words (a loose name: say which one was taken)."""
    suggestions: list[Named] = field(default_factory=list)
    """Closest first, at most SUGGESTIONS."""
    fits: int = 0
    """How many concepts or sources the words fit, when more than one (ambiguous)."""


def words(text: str) -> tuple[str, ...]:
    """The words of a name, case-folded, accents and punctuation dropped: `Öffene-Modelle.md`
    -> ('offene', 'modelle')."""
    text = link_key(text)
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return tuple(_WORD.findall(text))


def candidates(kb: KnowledgeBase, kinds: Iterable[str] = KINDS) -> Iterator[Named]:
    """Every concept (stubs included), then every source, as a person may name them."""
    kinds = set(kinds)
    if "concept" in kinds:
        for c in kb.concepts.values():
            doc = c.doc or ""
            yield Named(c.id, c.title, "concept", _unique(c.id, c.title, *c.aliases, stem(doc) if doc else ""),
                        _unique(without_suffix(doc), doc) if doc else ())
    if "source" in kinds:
        for sid, path in kb.source_ids.items():
            info = kb.infos[path]
            yield Named(sid, info.title, "source", _unique(sid, info.title, *info.aliases, stem(path)),
                        _unique(without_suffix(path), path))


def resolve(kb: KnowledgeBase, name: str, kinds: Iterable[str] = KINDS) -> Match:
    """The concept or source of `kinds` that `name` stands for (concepts before sources when
    both are called so), or the closest names to suggest."""
    named = list(candidates(kb, kinds))
    key = link_key(name)
    for n in named:
        if any(link_key(x) == key for x in n.names + n.paths):
            return Match(name, n, "exact")
    typed = words(name)
    if not typed:
        return Match(name)
    slug = "-".join(typed)
    equal = [n for n in named if n.id == slug or any(words(x) == typed for x in n.names)]
    wanted = set(typed)
    fit = equal or [n for n in named if any(wanted <= set(words(x)) for x in n.names)]
    if len(fit) > 1:
        return Match(name, suggestions=[n for n, _ in _rank(typed, fit)][:SUGGESTIONS], fits=len(fit))
    ranked = _rank(typed, named)
    if fit:
        score = next(s for n, s in ranked if n is fit[0])
        if all(s < score for n, s in ranked if n is not fit[0]):
            return Match(name, fit[0], "words")
        # a closer near miss: `open model` holds the words of "Open vs closed model economics",
        # but is one letter from the alias `open models` of another concept
    return Match(name, suggestions=[n for n, s in ranked if s >= CUTOFF][:SUGGESTIONS])


def _unique(*names: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))


def _rank(typed: tuple[str, ...], named: list[Named]) -> list[tuple[Named, float]]:
    """`named` with their scores, best first (concepts before sources, then by title, on ties)."""
    query = " ".join(typed)
    whole = difflib.SequenceMatcher(autojunk=False)
    whole.set_seq2(query)  # difflib caches what it learns about the second sequence
    similar: dict[tuple[str, str], float] = {}

    def word_score(w: str, x: str) -> float:
        if w == x:
            return 1.0
        if len(w) >= 3 and x.startswith(w):
            return 0.9  # cut short: `qual` for `quality`
        if (w, x) not in similar:
            m = difflib.SequenceMatcher(None, w, x, autojunk=False)
            ok = m.real_quick_ratio() >= WORD_CUTOFF and m.quick_ratio() >= WORD_CUTOFF
            r = m.ratio() if ok else 0.0
            similar[(w, x)] = r if r >= WORD_CUTOFF else 0.0
        return similar[(w, x)]

    def score(name: str) -> float:
        have = words(name)
        if not have:
            return 0.0
        whole.set_seq1(" ".join(have))
        ratio = whole.ratio()
        held = sum(max(word_score(w, x) for x in have) for w in typed) / len(typed)
        return max(ratio, 0.8 * held + 0.2 * ratio)

    scored = [(n, max(score(x) for x in n.names)) for n in named]
    scored.sort(key=lambda p: (-p[1], p[0].kind != "concept", p[0].title.casefold(), p[0].id))
    return scored
