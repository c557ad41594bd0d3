"""Named subjects: the organisations, models and products a claim is about, found by their
capitalisation (DeepSeek, Qwen3.6-Plus, GLM-5, Claude Opus 4.7), so that two claims can be seen to
speak of the same thing even where the vault has no note about it yet.

No trained recogniser is used: the names that matter here are product names with digits, dots
and inner capitals that general-purpose NER models split or miss, and capitalisation finds them
at thousands of sentences a second. A capitalised word at the start of a sentence counts only if
the same word is capitalised mid-sentence somewhere in the vault, so "Current pricing..." does
not make "Current" a subject.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_TOKEN = r"(?:[A-Z][A-Za-z0-9]*(?:[.\-+][A-Za-z0-9]+)*|[a-z]+[A-Z][A-Za-z0-9]*)"
_NAME = re.compile(rf"(?<![\w$.-]){_TOKEN}(?:[ ](?:{_TOKEN}|\d+(?:\.\d+)?)(?![\w%]))*")
_STEM = re.compile(r"[A-Za-z]{3,}")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“(]\s*|[-•*–—]\s+)$")
FUNCTION = frozenset("""
a an the this that these those it its they their them we our us you your he she his her i my
in on at of for to by with from into over under about after before since until during between
and or but nor so yet if when while where whether because although though as than then there
here what which who whom whose how why all any both each every few many most more much some
such no not only own same other another one two three four five six seven eight nine ten
first second third last next new current previous recent early late key main top
is are was were be been being has have had do does did can could may might must shall should will would
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
ai api apis ceo cto usd eur llm llms gpu gpus cpu faq tl dr tl;dr ok vs etc ie eg
yes also just even still however therefore thus instead meanwhile overall today tomorrow yesterday
""".split())
COMMON = FUNCTION | frozenset("""
open closed source sources note notes see read share subscribe model models
pro plus max mini preview ultra flash lite base instruct chat large small medium
chinese american european western eastern british french german indian japanese korean global
abstract background introduction objective objectives purpose aim aims design setting settings method methods
research participants interventions measurements results findings conclusion conclusions discussion summary
""".split())
"""Words that are never a subject on their own, nor all together ("RESEARCH DESIGN AND METHODS",
the section labels of a paper's abstract); FUNCTION words are also trimmed off names."""


def names(text: str) -> list[tuple[int, str]]:
    """(offset, name) of each capitalised name in `text`, as written."""
    out = []
    for m in _NAME.finditer(text):
        name = m.group().rstrip(".-+")
        words = name.split(" ")
        while words and (words[0].lower() in FUNCTION or _number(words[0])):  # "In 2025 DeepSeek" -> "DeepSeek"
            words.pop(0)
        while words and words[-1].lower() in FUNCTION:
            words.pop()
        if words and not all(w.lower() in COMMON for w in words):
            start = m.start() + name.index(words[0])
            out.append((start, " ".join(words)))
    return out


def _number(word: str) -> bool:
    return word.replace(".", "").isdigit()


def _plain(word: str) -> bool:
    """A word whose only capital is its first letter and that has no digit: a capitalised
    common word at the start of a sentence looks exactly like this."""
    letters = word.replace("-", "")
    return letters[1:].islower() and letters.isalpha()


def keys(name: str) -> list[str]:
    """What a name answers to, lower case: the whole name and the letters that start each of its
    words (`Qwen3.6-Plus` -> `qwen3.6-plus`, `qwen`; `Claude Opus 4.7` -> `claude opus 4.7`,
    `claude`, `opus`), so that a model and its family meet."""
    out = [name.lower()]
    for word in name.split(" "):
        stem = _STEM.match(word)
        if stem and stem.group().lower() not in COMMON and stem.group().lower() not in out:
            out.append(stem.group().lower())
    return out


class Subjects:
    """Named subjects of a set of texts (the vault's claims)."""

    def __init__(self, texts: Iterable[str]):
        self.midsentence: Counter = Counter()
        for text in texts:
            for start, name in names(text):
                if not _SENTENCE_START.search(text[:start]):
                    self.midsentence[name.split(" ")[0]] += 1

    def of(self, text: str) -> list[tuple[int, str]]:
        """(offset, name as written) of each subject a text names, in order."""
        out: list[tuple[int, str]] = []
        for start, name in names(text):
            first = name.split(" ")[0]
            if " " not in name and _plain(first) and _SENTENCE_START.search(text[:start]) \
                    and not self.midsentence[first]:
                continue
            if len(name) >= 2:
                out.append((start, name))
        return out
