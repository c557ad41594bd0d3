"""An analysis's evidence, where the items of the claims whose evidence an edit kept stay the JSON
the store keeps them in until something asks for them (docs/design.md, Kept evidence).

An edit of a 10k vault keeps the inferred evidence of some 43k claims (84k items). Making every
item a model took 1.5-3.8 s of each edit, and the build then needed from most of them only what a
tally says: how many items a claim has, how many support it, whether one gives a different figure,
which sources they quote and a digest. `EvidenceSet` keeps those claims as a `Kept` run of tallies
and reads a claim's items when a page, a command or the settled rows ask for them.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import marshal
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from pydantic import TypeAdapter

from kg.model import Evidence, Selector, share_fields_sets

_LIST = TypeAdapter(list[Evidence])
FIGURE = "different figure"
"""How the reason of an item that gives another figure for the claim's measure begins."""


def json_of(items: Iterable[Evidence]) -> str:
    """Items as the store keeps one claim's: a JSON list, defaults left out."""
    return "[" + ",".join(e.model_dump_json(exclude_defaults=True) for e in items) + "]"


_PLAIN = operator.itemgetter(*(name for name in Evidence.model_fields if name != "selector"))
_SELECTOR = operator.itemgetter(*Selector.model_fields)


def digest_of(items: Iterable[Evidence]) -> str:
    """A digest of items' field values, read from each model's __dict__ (which holds every field)
    by itemgetter: equal exactly when the items are, and so their JSON. Digesting the JSON of 84k
    items in 42k claims took 0.48-0.54 s, this 0.20-0.29 s (a read of every item, or a fresh
    analysis, digests every claim). marshal's format 2 writes no references, so equal values give
    equal bytes however they were made."""
    values = []
    for e in items:
        fields = e.__dict__
        selector = fields["selector"]
        values.append((_PLAIN(fields), None if selector is None else _SELECTOR(selector.__dict__)))
    return hashlib.blake2b(marshal.dumps(values, 2), digest_size=12).hexdigest()


def is_figure(e: Evidence) -> bool:
    """An item against its claim that quotes a sentence giving another figure for the same measure:
    with the claim, a tension (kg.claims.analyse._opposing_evidence)."""
    return e.stance == "opposes" and bool(e.anchor) and e.reason.startswith(FIGURE)


class Tally(NamedTuple):
    """What the build needs of one claim's kept items without reading them (a tuple: an edit
    reads some 40k of them at 10k)."""

    n: int
    supports: int
    figures: int
    """Items that are `is_figure`."""
    digest: str
    """`digest_of` them: a page shows them otherwise exactly when it differs."""

    @classmethod
    def of(cls, items: list[Evidence]) -> Tally:
        return cls(len(items), sum(e.stance == "supports" for e in items), sum(map(is_figure, items)), digest_of(items))

    def dumps(self) -> str:
        return f"{self.n} {self.supports} {self.figures} {self.digest}"

    @classmethod
    def loads(cls, text: str) -> Tally:
        n, supports, figures, digest = text.split(" ")
        return cls(int(n), int(supports), int(figures), digest)


def no_items(tally: str) -> bool:
    """Whether a stored tally counts no item (60% of a 10k vault's claims), without reading it."""
    return tally.startswith("0 ")


def _docs(data: str) -> list[str]:
    """A kept claim's sources from the memo's JSON list of paths: split where json.dumps wrote
    plain ASCII (a read of 40k lists by json.loads took 0.1 s), read as JSON otherwise."""
    if "\\" in data:
        return json.loads(data)
    return data[2:-2].split('", "') if len(data) > 2 else []


class StoreChanged(RuntimeError):
    """The store no longer holds the items a build kept: another build wrote it since."""


_CHANGED = "the knowledge store changed since this build read it (another kg build wrote it); build again to read the evidence"


NEAR = 64
"""A kept claim's items asked for alone come with those of the kept claims beside it in claim order,
this many claims a read: a page asks for the claims of one file, which lie together, and a whole
site drawn from an edit's analysis reads some 700 runs at 10k rather than 43k claims a query each."""


class Kept:
    """The items of the claims whose inferred evidence was kept (each with at least one item), in
    claim order: tallies now, items read through `read` (claim ids -> their JSON) when asked,
    five hundred claims at a time, each claim's checked against its tally's digest."""

    def __init__(self, claims: list[str], tallies: list[Tally], docs: list[str],
                 read: Callable[[list[str]], dict[str, str]]):
        self.claims, self.tallies, self.docs, self.read = claims, tallies, docs, read
        self.starts: list[int] = []
        size = 0
        for t in tallies:
            self.starts.append(size)
            size += t.n
        self.size = size
        self.tally = dict(zip(claims, tallies))
        self.made: dict[str, list[Evidence]] = {}

    def __len__(self) -> int:
        return self.size

    def load(self, claims: list[str]) -> None:
        """Read and make the items of these claims (those not made yet)."""
        todo = [c for c in dict.fromkeys(claims) if c not in self.made]
        if not todo:
            return
        tally = self.tally
        for start in range(0, len(todo), 500):
            batch = todo[start:start + 500]
            found = self.read(batch)
            bodies = (found[cid][1:-1] for cid in batch if cid in found)
            items = _LIST.validate_json("[" + ",".join(body for body in bodies if body) + "]")
            if len(found) != len(batch) or len(items) != sum(tally[cid].n for cid in batch):
                raise StoreChanged(_CHANGED)
            share_fields_sets(items)
            share_fields_sets(e.selector for e in items if e.selector is not None)
            at = 0
            for cid in batch:
                mine = items[at:at + tally[cid].n]
                if digest_of(mine) != tally[cid].digest:
                    raise StoreChanged(_CHANGED)
                self.made[cid] = mine
                at += tally[cid].n

    def __getitem__(self, n: int) -> Evidence:
        k = bisect.bisect_right(self.starts, n) - 1
        cid = self.claims[k]
        if cid not in self.made:  # with the claims beside it (`NEAR`)
            self.load(self.claims[k - k % NEAR:k - k % NEAR + NEAR])
        return self.made[cid][n - self.starts[k]]

    def __iter__(self) -> Iterator[Evidence]:
        for start in range(0, len(self.claims), 500):
            batch = self.claims[start:start + 500]
            self.load(batch)
            for cid in batch:
                yield from self.made[cid]


class EvidenceSet:
    """A sequence of evidence items in runs: lists of models, and `Kept` runs read when asked.
    Iterating or indexing it gives every item in order, as the list it stands for would; the
    methods below answer what the build asks of all of them without reading the kept ones."""

    def __init__(self, items: Iterable[Evidence] | None = None):
        self.parts: list[list[Evidence] | Kept] = []
        self.starts: list[int] = []
        self.size = 0
        if items is not None:
            self += items

    def __iadd__(self, more) -> EvidenceSet:
        for part in (more.parts if isinstance(more, EvidenceSet) else [more if isinstance(more, Kept) else list(more)]):
            if len(part):
                self.parts.append(part)
                self.starts.append(self.size)
                self.size += len(part)
        return self

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def __iter__(self) -> Iterator[Evidence]:
        for part in self.parts:
            yield from part

    def __getitem__(self, n: int) -> Evidence:
        if not 0 <= n < self.size:
            raise IndexError(n)
        k = bisect.bisect_right(self.starts, n) - 1
        return self.parts[k][n - self.starts[k]]

    def _runs(self) -> Iterator[tuple[int, list[Evidence] | Kept]]:
        return zip(self.starts, self.parts)

    def models(self) -> Iterator[Evidence]:
        """The items made so far (a kept claim's once read)."""
        for part in self.parts:
            yield from (e for items in part.made.values() for e in items) if isinstance(part, Kept) else part

    def positions(self) -> dict[str, list[int]]:
        """Claim id -> the places of its items, in order."""
        out: dict[str, list[int]] = {}
        for start, part in self._runs():
            if isinstance(part, Kept):
                for cid, at, t in zip(part.claims, part.starts, part.tallies):
                    out.setdefault(cid, []).extend(range(start + at, start + at + t.n))
            else:
                for n, e in enumerate(part, start):
                    out.setdefault(e.claim, []).append(n)
        return out

    def supports(self) -> dict[str, int]:
        """Claim id -> how many of its items support it."""
        out: dict[str, int] = {}
        for part in self.parts:
            if isinstance(part, Kept):
                for cid, t in zip(part.claims, part.tallies):
                    if t.supports:
                        out[cid] = out.get(cid, 0) + t.supports
            else:
                for e in part:
                    if e.stance == "supports":
                        out[e.claim] = out.get(e.claim, 0) + 1
        return out

    def figures(self) -> Iterator[Evidence]:
        """The items that are `is_figure`, in order."""
        for part in self.parts:
            if isinstance(part, Kept):
                mine = [cid for cid, t in zip(part.claims, part.tallies) if t.figures]
                part.load(mine)
                for cid in mine:
                    yield from (e for e in part.made[cid] if is_figure(e))
            else:
                yield from (e for e in part if is_figure(e))

    def quoted(self) -> dict[str, set[str]]:
        """Source path -> the claim ids with an item that quotes one of its sentences (for a kept
        claim: with an item from that source)."""
        out: dict[str, set[str]] = {}
        for part in self.parts:
            if isinstance(part, Kept):
                for cid, docs in zip(part.claims, part.docs):
                    for doc in _docs(docs):
                        out.setdefault(doc, set()).add(cid)
            else:
                for e in part:
                    if e.anchor:
                        out.setdefault(e.doc, set()).add(e.claim)
        return out

    def digests(self) -> dict[str, tuple]:
        """Claim id -> a digest of its items as the settled rows keep them: equal exactly when the
        items are, whether they were read or kept (per run of the claim's items: its declared ones,
        then its inferred ones)."""
        groups: dict[str, list] = {}
        for part in self.parts:
            if isinstance(part, Kept):
                for cid, t in zip(part.claims, part.tallies):
                    groups.setdefault(cid, []).append(("inferred", t.digest))
            else:
                runs: dict[tuple[str, str], list[Evidence]] = {}
                for e in part:
                    runs.setdefault((e.claim, e.method), []).append(e)
                for (cid, method), items in runs.items():
                    groups.setdefault(cid, []).append((method, digest_of(items)))
        return {cid: tuple(sorted(found)) for cid, found in groups.items()}

    def load(self, claims: set[str]) -> None:
        """Read the kept items of these claims now, in batches of five hundred: the pages an edit
        reaches ask for them one claim at a time, and each ask read the `NEAR` claims beside it
        (the 48 source pages of one 10k edit read most of the vault's kept claims: 1.2 s)."""
        for part in self.parts:
            if isinstance(part, Kept):
                part.load([cid for cid in part.claims if cid in claims])

    def of_claims(self, claims: set[str]) -> dict[str, list[Evidence]]:
        """The items of these claims, each claim's in order."""
        out: dict[str, list[Evidence]] = {}
        for part in self.parts:
            if isinstance(part, Kept):
                mine = [cid for cid in part.claims if cid in claims]
                part.load(mine)
                for cid in mine:
                    out.setdefault(cid, []).extend(part.made[cid])
            else:
                for e in part:
                    if e.claim in claims:
                        out.setdefault(e.claim, []).append(e)
        return out


def as_set(evidence: Iterable[Evidence]) -> EvidenceSet:
    """Evidence as an EvidenceSet (a list is wrapped, not copied item by item)."""
    return evidence if isinstance(evidence, EvidenceSet) else EvidenceSet(evidence)
