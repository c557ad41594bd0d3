"""Sentence splitting (syntok) and stable sentence anchors.

syntok was chosen over pysbd: on our clipped articles both split abbreviations ("U.S.", "vs.",
"e.g.", "$3.48/M") correctly, syntok runs about 8x faster (0.14 ms against 1.2 ms a sentence
here), and its tokens carry character offsets, so a sentence is always an exact slice of the
text it came from.
"""

from __future__ import annotations

import hashlib
import re

from syntok import segmenter
from syntok.tokenizer import Tokenizer

_TOKENIZER = Tokenizer(emit_hyphen_or_underscore_sep=True, replace_not_contraction=False)
_SPACE = re.compile(r"\s+")


def spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence of `text`."""
    out: list[tuple[int, int]] = []
    if not text.strip():
        return out
    for sentence in segmenter.split(_TOKENIZER.tokenize(text)):
        if not sentence:
            continue
        first, last = sentence[0], sentence[-1]
        start, end = first.offset, last.offset + len(last.value)
        if text[start:end].strip():
            out.append((start, end))
    return out


def normalise(text: str) -> str:
    """What two copies of a sentence share: case-folded, white space collapsed."""
    return _SPACE.sub(" ", text).strip().casefold()


def anchor(text: str) -> str:
    """A stable anchor for a sentence: `s-` and 8 hex digits of the hash of its normalised text."""
    return "s-" + hashlib.blake2b(normalise(text).encode(), digest_size=4).hexdigest()
