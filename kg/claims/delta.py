"""An analysis of a few claims added, taken out or changed, patched into the settled rows instead
of analysing the vault again (docs/design.md, "A few claims, patched").

The knowledge stage's analysis (kg.claims.analyse) goes through every claim: at 10k notes that is
3.2-3.5 s of an edit, most of it passes that keep what the memo already says. When the vault
changed since the settled rows only in that a few files' claims were added or taken out (a claim
whose figure changed is both), what the analysis would find differs from the rows in those files'
rows, their new claims' evidence, the tensions and clusters those claims take part in, the other
files' claims whose tensions or cluster those change, the counts and the problems. `patched` finds
that, or says it cannot (None) and the analysis runs. It writes the memo as well, as that
analysis would leave it (`_memo`), so the next edit pays for its own change alone; not when the
sources changed (the memo keeps every claim's evidence as of the sources it was made with): the
notes a patch ranked again are then kept in meta `reranked`, the related rows being the memo's
too, and every patch and analysis ranks them again until one writes the memo.

What it takes to hold (each checked, else None):
- the review decisions, the counts' version, the sources and the links the analysis reads are as
  they were, and no decision is written (a decision names items by what they say); the sources may
  have changed in a vault whose notes make no statement (their sentences are evidence for nothing);
- the claims new since the memo (what the last analysis or patch kept for the next build) are
  paired as the analysis pairs them, and the pairs judged; the pairs a new or gone claim pushes
  out of another claim's nearest, or lets in, are found (kg.claims.analyse.edited_pairs), but no
  measured word's pairs come or go. From the verdicts of the pairs that stand, the tensions from
  pairs and the clusters are found again (`_regroup`, `_clusters`) as kg.claims.tensions.detect
  finds them, the polarity tensions again when a pair they leave out may have changed, and the
  tensions from a claim's evidence (a source sentence with another figure) of the new claims and
  of those a tension gone stood for. The notes they come near have their related claims ranked
  again, as the incremental analysis ranks them;
- the declared tensions (which name the claim of a linked note most like them) come out as
  stored, and so do the concepts suggested from the sources; no claim gone is in a declared one;
- the changed files write no citation on a new claim, no sentence link and no `opposes::`, and have
  no problem of their own but unsupported claims; a stored tension's sides in them are claims still
  written there or found again (moved to their lines now, as `_moved` moves them);
- a new or gone claim's id written in another file too (one id, one evidence set) has its first
  note claim there, before and after; no claim id is in two clusters.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
from collections import Counter
from collections.abc import Sequence

import numpy as np
import orjson

from kg.arrays import isin
from kg.cache import rows_in
from kg.claims.perfile import ids_of
from kg.model import Claim, Diagnostic, Tension

DELTA_MOST = 64
"""At most this many claims new since the memo or gone from it, in at most this many files."""


def patched(kb, store, files, stamp: str, settled: str, items, vectors_for, read: dict):
    """The Analysis of the vault with the settled rows patched (see the module), or None when the
    analysis must run. `items`: every file's (claim, extra), in file order. What it read that the
    analysis reads too goes to `read` (kg.claims.store._analyse's `listed` and `pool`)."""
    from kg.claims import review
    from kg.claims.analyse import Memo, _Listed, _Sources

    since, before = store.get("settled"), store.get("stamp")
    if not since or not before or since[len(before):] != settled[len(stamp):] or items is None:
        return None
    try:
        if review.load(kb.root).decisions:
            return None
    except review.ReviewError:
        return None
    sources = _Sources(kb)
    if json.loads(store.get("linked") or "null") != files.linked(kb):
        return None
    # a source edited, made or deleted since the last analysis (its sentences may back other claims)
    resourced = json.loads(store.get("sources") or "null") != {p: kb.infos[p].hash for p in sources.paths.values()}
    claimed = dict(store.db.execute("SELECT name, digest FROM settled_digests WHERE kind = 'claims'"))
    paths = set(files.paths)
    docs = {p for p in paths if claimed.get(p) != files.made.get(p)} | (set(claimed) - paths)
    # a file with no claims has no digest among the rows: one that had none then either is as it was
    # (SciFact's 123 abstracts without a checkable sentence made every edit look like 124 files)
    docs -= {p for p, data in rows_in(store.db, "SELECT path, claims FROM files WHERE path IN ({})",
                                      sorted(docs - set(claimed))) if not ids_of(data)}
    if len(docs) > DELTA_MOST or not docs.isdisjoint(files.linking(kb)):
        return None
    problems = [Diagnostic.model_validate(d) for d in orjson.loads(store.get("diagnostics") or "[]")]
    if any(d.doc in docs and d.code != "unsupported-claim" for d in problems):
        return None
    memo = read["pool"] = Memo()
    store.pool(memo)
    if memo.vectors is None or memo.docs is None or memo.cosines is None:
        return None
    listed = _Listed.of(items)
    if not listed.lazy:  # (the analysis lists a `ClaimRows` afresh, once it made every model)
        read["listed"] = listed
    if resourced and listed.notes:  # the sources' sentences are evidence only for the notes' statements:
        return None  # with none, a source's edit changes its own claims alone (a vault of sources, SciFact's)
    # the changed files' claims now, in file order
    mine = [items[n][0] for start, end in sorted(listed.files[d] for d in docs if d in listed.files)
            for n in range(start, end)]
    return _Patch(kb, store, files, stamp, settled, since, docs, problems, mine, listed, memo, sources,
                  vectors_for, items, remembers=not resourced).run()


def stance_parts(stances: Sequence, keys: Sequence, docs: Sequence[str], made: dict[str, bytes],
                 kept: dict | None = None) -> dict[str, tuple[bytes | None, str]]:
    """Each file with a statement that takes a stance (`stances`, `keys` and `docs`: the pool's), in
    claim order: the digest of its claims as extracted (`ClaimFiles.made`) and a digest of its
    statements that take one, their keys (a claim's file, id, text and mentions) and stances. A file
    in `kept` with the same `made` digest keeps its part there, its stances not read."""
    from kg.claims.tensions import flagged

    rows: dict[str, list[int]] = {}
    for r in flagged(stances):
        rows.setdefault(docs[r], []).append(r)
    kept = kept or {}
    parts = {}
    for doc, mine in rows.items():
        was = kept.get(doc)
        if was is not None and made.get(doc) is not None and was[0] == made[doc]:
            parts[doc] = was
        else:
            taking = [[keys[r], stances[r]] for r in mine]
            parts[doc] = (made.get(doc), hashlib.blake2b(json.dumps(taking, ensure_ascii=False).encode(),
                                                         digest_size=16).hexdigest())
    return parts


def stance_digest(parts: dict[str, tuple[bytes | None, str]]) -> str:
    """The claims that take a stance, as one digest (meta `stance_claims`) of their files' parts."""
    listed = [[doc, part] for doc, (_, part) in parts.items()]
    return hashlib.blake2b(json.dumps(listed, ensure_ascii=False).encode(), digest_size=16).hexdigest()


class _Patch:
    """One patch of the settled rows: checked, found, then written (`run`)."""

    def __init__(self, kb, store, files, stamp, settled, since, docs, problems, mine, listed, memo, sources,
                 vectors_for, every, remembers: bool = True):
        self.kb, self.store, self.files, self.stamp, self.settled, self.since = kb, store, files, stamp, settled, since
        self.every = every
        """Every file's (claim, extra), in file order."""
        self.docs, self.problems, self.listed, self.memo = docs, problems, listed, memo
        self.sources, self.vectors_for = sources, vectors_for
        self.items: dict = {}
        """The evidence items of the new note claims, by claim id."""
        self.figured: list = []
        """Those that quote a source sentence with another figure, in order."""
        self.shared: dict[str, int] = {}
        """The new or gone claims' ids whose first note claim is another file's: its support."""
        self.relined: dict[int, str] = {}
        """The stored tensions moved to their claims' lines now: row -> JSON."""
        self.pairs: list[tuple[int, int, float, list[str], int]] = []
        """The pairs the memo lacks, judged: (row, row, cosine, shared subjects, verdict)."""
        self.standing: np.ndarray | None = None
        """Which of the memo's pairs stand: both claims still in the pool, still neighbours."""
        self.sides: tuple[np.ndarray, np.ndarray] | None = None
        """The rows now of the memo's pairs' first and second claims (-1: gone)."""
        self.displaced: set[str] = set()
        """The files whose claims' neighbour pairs a new or gone claim changed (their related
        claims are ranked again)."""
        self.related: dict[str, list | None] = {}
        """The notes whose related claims differ from the stored: the list now (None: none)."""
        self.reranked: set[str] = set(json.loads(store.get("reranked") or "[]"))
        """The notes whose related claims a patch ranked again since the memo (`Memo.reranked`)."""
        paired = json.loads(store.get("pair_tensions") or "null")
        self.paired_before: set[str] | None = None if paired is None else set(paired)
        """The ids of the stored tensions found from pairs (`Knowledge.paired`)."""
        self.tensions_now: list[tuple[str, str, list[str]]] | None = None
        """The tensions now (state, JSON, the claim ids and subjects each is found by), when they
        differ from the stored ones (`_regroup`)."""
        self.paired_now: list[str] = []
        """The ids of the tensions found from pairs now."""
        self.clusters: dict[str, str | None] = {}
        """Each claim id whose cluster may have changed: its cluster now (None: none)."""
        self.cluster_docs: dict[str, set[str]] = {}
        """The files of the claims of each cluster of a claim of those ids or in a group with one."""
        self.regrouped: set[str] = set()
        """The claim ids whose cluster or cluster's files may have changed."""
        self.against: Counter = Counter()
        """How many shown tensions each claim id is in, now."""
        self.opposed: set[str] = set()
        """The claim ids in more or fewer shown tensions than before."""
        self.others: dict[str, list[Claim]] = {}
        """The files other than the changed ones whose claims' status, counts or cluster changed:
        their claims, in file order, as settled now."""
        self.restated: dict[str, set[str]] = {}
        """Of those files, the ids of the claims whose status or counts changed (what pages show of
        them: a cluster alone no page shows)."""
        self.stance_pairs: list[str] | None = None
        """The ids of the pairs of claims that take opposite stances, when found again (`_regroup`)."""
        self.remembers = remembers
        """Whether the patch writes the memo too (`_memo`): not when the sources changed (the memo's
        sentences and every claim's evidence are of the sources it was made with)."""
        self.inferred: dict[str, tuple] = {}
        """The memo's inferred evidence of the new note claims (Memo.inferred)."""
        self.explained: dict[tuple[str, str], tuple] = {}
        """What kg.claims.tensions.numeric said of the numeric pairs new to the memo (Memo.explained)."""
        from kg.claims.store import Changed

        self.changed = Changed(docs=set(docs))
        self.mine = mine
        """The changed files' claims now, in file order."""

    def run(self):
        from kg.claims.analyse import ClaimVectors, pooled

        self.before = {(doc, cid): row for doc, cid, *row in rows_in(
            self.store.db, "SELECT doc, id, status, supports, opposes, cluster FROM settled WHERE doc IN ({})",
            sorted(self.docs))}
        found = pooled(self.listed, self.memo, self.vectors_for, most=DELTA_MOST)
        if found is None or not found[4]:  # (so many new that the analysis would search the pool afresh)
            return None
        matrix, kth, self.heap_rows, fresh, _ = found
        self.matrix = matrix
        self.vector = ClaimVectors(self.listed, matrix, self.vectors_for)
        pool = self.listed.pool
        self.new = [pool[r] for r in fresh if pool[r].doc in self.docs]
        """The statements new since the memo in the changed files: judged here (one a patch judged
        before is judged again)."""
        now = {(c.doc, c.id) for c in self.mine}
        self.gone = {cid for doc, cid in self.before if (doc, cid) not in now}
        """The ids of the changed files' rows whose claims are no longer written there."""
        new = {(c.doc, c.id) for c in self.new}
        # a claim the memo has whose row a patch took out (it was taken out, then written again):
        # judged again too, its memo pairs looked at as a gone claim's
        back = [c for c in self.mine if c.kind == "claim" and (c.doc, c.id) not in self.before and (c.doc, c.id) not in new]
        self.new += back
        moved = self.moved = self.listed.rows_in(self.memo)[1]  # each of the memo's rows' row now, as the analysis maps them
        unsure = (moved < 0) | isin(moved, [self.listed.row_of[c.doc, c.id] for c in back])
        self.fresh = set(fresh)
        self.quiet = True
        """Whether no pair a tension or cluster is found from came or went, and no claim gone was in one."""
        if not (self._ids_own() and self._pairs(matrix, kth, unsure, fresh) and self._moves()):
            return None
        if not (self._declared() and self._candidates()):
            return None
        evidence = self._evidence()
        if evidence is None:
            return None
        self._related(moved, fresh)
        if not self._regroup():
            return None
        self._status({**evidence.supports(), **self.shared})
        return self._write()

    # -- what must hold ---------------------------------------------------------------------------
    def _ids_own(self) -> bool:
        """Every new or gone claim's id is written at most once in its own file, and gone from it when
        gone; where a file not changed writes it as a note's claim too, that file's is the id's first
        note claim before and after, whose evidence is the id's (kg.claims.analyse._Listed.first) and
        stays as it was (`shared`), and no claim of the id cites or quotes a source."""
        from kg.claims.evidence import quotes

        ids = {c.id for c in self.new} | self.gone
        if not ids:
            return True
        written = Counter(c.id for c in self.mine if c.id in ids)
        if any(n > 1 for n in written.values()) or self.gone & set(written):
            return False
        order = {p: n for n, p in enumerate(self.files.paths)}
        sourced = self.kb.source_by_path
        first: dict[str, tuple[int, int]] = {}  # id -> (place, supports) of the first other file's note claim
        for doc, cid, status, supports in rows_in(
                self.store.db, "SELECT doc, id, status, supports FROM settled WHERE id IN ({})", sorted(ids)):
            if doc not in self.docs and status is not None and doc not in sourced:
                first[cid] = min(first.get(cid, (len(order), 0)), (order[doc], supports))
        was = [(doc, cid) for (doc, cid), row in self.before.items() if row[0] is not None and doc not in sourced]
        now = [(c.doc, c.id) for c in self.mine if c.kind == "claim" and c.origin == "note"]
        if any(cid in first and order.get(doc, -1) < first[cid][0] for doc, cid in was + now):
            return False  # (a changed file's claim was or is the first: its evidence is the id's)
        # a claim's citations are the evidence of its id, whichever file it is in
        if any(c.id in first and (c.cites or quotes(c.text)) for c in self.mine) or any(
                '"method":"declared"' in data for (data,) in rows_in(
                    self.store.db, "SELECT data FROM settled_evidence WHERE claim IN ({})", sorted(first))):
            return False
        self.shared = {cid: supports for cid, (_, supports) in first.items()}
        return True

    def _pairs(self, matrix, kth, unsure: np.ndarray, fresh: list[int]) -> bool:
        """The pairs a whole analysis would look at for the claims new since the memo (kg.claims.
        analyse._tensions): which of the memo's pairs stand (`standing`), and the others judged
        (`pairs`); False when a measured word's pairs come or go, or too many of the memo's claims
        are gone or written again (`unsure`, by the memo's rows)."""
        from kg.claims.analyse import _codes, _cosines, _gone_vectors, edited_pairs, tension_pool
        from kg.claims.tensions import NOTHING, judge

        memo = self.memo
        if int(unsure.sum()) > DELTA_MOST or len(memo.cosines) != len(memo.pairs):
            return False
        if memo.crowded_words is None:  # (kept by a kg before the words were: the analysis finds them)
            return False
        pool, _ = tension_pool(self.kb, self.listed, matrix, kth.copy())
        self.pool = pool
        moved = self.listed.rows_in(memo)[1]
        a, b = self.sides = moved[memo.pairs[:, 0]], moved[memo.pairs[:, 1]]  # (`_related` takes them too)
        self.standing = (a >= 0) & (b >= 0)
        n = len(pool.claims)

        def known() -> tuple[np.ndarray, np.ndarray]:  # (the codes of a 10k vault's 1.15M pairs)
            # the memo writes each pair's smaller row first, and its rows keep their order in the pool
            # unless claims moved within a file: only then are the sides put in order (0.07 s at 10k)
            first, second = a[self.standing], b[self.standing]
            if not bool((first < second).all()):
                first, second = np.minimum(first, second), np.maximum(first, second)
            return _codes(first, second, n), memo.cosines[self.standing]

        edited = edited_pairs(pool, matrix, fresh, _gone_vectors(self.listed, memo), memo.crowded_words, known)
        if edited.grown or edited.fallen:  # a measured word's pairs come or go
            return False
        verdicts = memo.pairs[:, 2]
        self.quiet = not bool((verdicts[unsure[memo.pairs[:, 0]] | unsure[memo.pairs[:, 1]]] != NOTHING).any())
        if edited.keep is not None:  # a new claim pushed a pair out of a claim's nearest, or a gone one let one in
            self.quiet &= not bool((verdicts[self.standing][~edited.keep] != NOTHING).any())
            self.standing[np.nonzero(self.standing)[0][~edited.keep]] = False
        self.displaced, self.words = edited.displaced, edited.words
        more = edited.more
        if not more:
            return True
        first = np.array([p[0] for p in more], dtype=np.int64)
        second = np.array([p[1] for p in more], dtype=np.int64)
        codes = _codes(first, second, n)
        judged = np.zeros(len(more), dtype=bool)
        judged[np.unique(codes, return_index=True)[1]] = True  # each pair once
        # (none is one of the memo's pairs: a pair of two claims it has comes from their nearest found
        # again, and edited_pairs leaves out those it has)
        # each new pair's cosine computed as the analysis computes every pair's (`_cosines`)
        cosines = _cosines(matrix, first[judged], second[judged]).tolist()
        for k, cosine in zip(np.nonzero(judged)[0].tolist(), cosines):
            i, j, _, shared = more[k]
            if shared is None:
                shared = [key for key in pool.subjects[i] if key in pool.subjects[j]]
            self.pairs.append((i, j, cosine, shared, judge(pool, i, j, cosine, shared)))
        self.quiet &= all(p[4] == NOTHING for p in self.pairs)
        return True

    def _related(self, moved: np.ndarray, fresh: list[int]) -> None:
        """Each note's related claims ranked again where the incremental analysis ranks them again
        (kg.claims.analyse.related_again), from the memo's pairs kept and the new ones."""
        from kg.claims.analyse import related_again

        memo = self.memo
        a, b = self.sides  # (the memo's pairs' rows now, as `_pairs` found them: the same `moved`)
        alive = self.standing  # (each pair's rows in the memo's order: a million pairs' smaller row first
        # and larger second were four arrays of 9 MB, made and let go on each edit of a 10k vault)
        first = np.r_[a[alive], np.array([p[0] for p in self.pairs], dtype=np.int64)]
        second = np.r_[b[alive], np.array([p[1] for p in self.pairs], dtype=np.int64)]
        cosines = np.r_[memo.cosines[alive], np.array([p[2] for p in self.pairs], dtype=np.float32)].astype(np.float32)
        memo.reranked = self.reranked  # (what an earlier patch ranked again: the memo's rank of them is not stored)
        touched, ranked = related_again(self.listed, memo, moved, fresh, first, second, cosines, self.displaced,
                                        (a, b))
        self.reranked |= touched
        if not touched:
            return
        stored = dict(rows_in(self.store.db, "SELECT doc, keys FROM related WHERE doc IN ({})", sorted(touched)))
        for doc in sorted(touched):
            now = ranked.get(doc)
            if (json.dumps(now, ensure_ascii=False) if now else None) != stored.get(doc):
                self.related[doc] = now
        self.changed.related = set(self.related)

    def _moves(self) -> bool:
        """The stored tensions with a side in the changed files, moved to the lines their claims are
        on now (a claim written above them moves them: `relined`); False when a place an
        explanation names cannot be told, or a claim gone is in a declared tension (`_regroup`
        finds the others again: a claim gone that took a stance changed the claims that take one)."""
        from kg.claims.store import relined

        if self.paired_before is None:  # (kept by a kg before they were: the analysis tells them)
            return False
        line = {(c.doc, c.id): c.line for c in self.mine}
        names = [json.dumps(d, ensure_ascii=False) for d in self.docs]  # (a side's file, as the JSON writes it)
        line_of: dict[str, dict[int, int]] = {}
        skip: set[int] = set()
        for n, _, data in self.tension_rows:
            if not any(name in data for name in names):
                continue
            t = Tension.model_validate_json(data)
            sides = [(side.doc, side.id) for side in (t.a, t.b) if side is not None]
            if any(key[0] in self.docs and key not in line for key in sides) or \
                    not self.gone.isdisjoint(t.claims):  # (a side not written now, or a claim named gone)
                if t.kind == "declared":
                    return False
                skip.add(n)  # (found again without it: from the pairs, the stances or the evidence now)
                continue
            for side in (t.a, t.b):
                if side is not None and side.doc in self.docs:
                    now = line.get((side.doc, side.id))
                    if now is None or line_of.setdefault(side.doc, {}).setdefault(side.line, now) != now:
                        return False
        try:
            self.relined = {n: data for data, n in relined(self.store, line_of, self.changed, skip)} if line_of else {}
        except LookupError:
            return False
        self.quiet &= not skip and not any(self.before[k][3] for k in self.before if k[1] in self.gone)
        return True

    @functools.cached_property
    def stance_parts(self) -> dict[str, tuple[bytes | None, str]]:
        """`stance_parts` of the pool, a file whose claims are as the last patch or analysis kept
        them (meta `stance_files`) keeping its part: only the others' stances are decoded (decoding
        the 460 stances of a 10k vault, from 440 files' columns, took 0.05-0.07 s of an edit)."""
        from kg.claims.store import kept_data

        return stance_parts(self.pool.stances, self.pool.keys, self.pool.docs, self.files.made,
                            kept_data(self.store.get("stance_files")) or {})

    @functools.cached_property
    def stance_claims(self) -> str:
        """A digest of the claims that take a stance, in their order, file by file (`stance_parts`)."""
        return stance_digest(self.stance_parts)

    @functools.cached_property
    def tension_rows(self) -> list[tuple[int, str, str]]:
        """The stored tensions (row, state, JSON), in their order: read once for every check."""
        return list(self.store.db.execute("SELECT n, state, data FROM settled_tensions ORDER BY n"))

    def _stored(self, kind: str) -> list[tuple[str, str]]:
        """(state, JSON) of the stored tensions of one kind, in their order, moved to their lines now."""
        mark = f'"kind":"{kind}"'
        rows = ((state, self.relined.get(n, data)) for n, state, data in self.tension_rows)
        return [(state, data) for state, data in rows if mark in data and Tension.model_validate_json(data).kind == kind]

    @staticmethod
    def _as_stored(tensions: list[Tension]) -> list[tuple[str, str]]:
        rows = [_stored_row(t) for t in tensions]
        return [r for r in rows if r[0] == "shown"] + [r for r in rows if r[0] == "held"]

    # -- the tensions and clusters, found again from the verdicts ---------------------------------------
    def _shared(self, i: int, j: int, shared: list[str] | None) -> list[str]:
        """The subjects two claims of the pool share (`shared` when known), as `detect` finds them."""
        subjects = self.pool.subjects
        return shared if shared is not None else [k for k in subjects[i] if k in subjects[j]]

    def _numeric_pairs(self) -> list[tuple[int, int, float, list[str] | None]]:
        """The pairs judged NUMERIC now, in the analysis's order: the memo's that stand (by their rows,
        the smaller first) and the new ones, by (first row, second row)."""
        from kg.claims.tensions import NUMERIC

        memo, (a, b) = self.memo, self.sides
        pick = self.standing & (memo.pairs[:, 2] == NUMERIC)
        found = [(i, j, cosine, None) for i, j, cosine in zip(
            np.minimum(a, b)[pick].tolist(), np.maximum(a, b)[pick].tolist(), memo.cosines[pick].tolist())]
        found += [(i, j, cosine, shared) for i, j, cosine, shared, verdict in self.pairs if verdict == NUMERIC]
        n = len(self.pool.claims)
        return sorted(found, key=lambda p: p[0] * n + p[1])

    def _regroup(self) -> bool:
        """The tensions and clusters now, found again from the verdicts of the pairs that stand
        (`_pairs`) as kg.claims.tensions.detect finds them: the numeric tension of each measure
        compared, the best of its pairs; the polarity tensions again when a pair they leave out
        (a numeric one) may have changed; the clusters (`_clusters`). A stored tension of a pair
        whose claims are as they were is kept as stored. Sets the tensions now (`tensions_now`,
        when they differ), each claim id's count of shown tensions (`against`, `opposed`).
        False when a tension from a claim's evidence depends on the change (a tension from a
        pair of the same two claims stands in for it)."""
        from kg.claims.store import _explanation
        from kg.claims.tensions import numeric, placed, side, stance_tensions, tension_id

        if self.quiet and not self.figured and not self.shared and self.store.get("stance_claims") == self.stance_claims:
            # no pair a tension or a cluster is found from came or went (as a patch before the rows were
            # found again took it), nor a tension from evidence or stances: they stand, as they are stored
            # (finding them again took 0.25-0.35 s of every 10k patch)
            self.against = Counter(dict(rows_in(
                self.store.db, "SELECT k.key, count(*) FROM tension_keys k JOIN settled_tensions t ON t.n = k.n "
                               "WHERE t.state = 'shown' AND k.key IN ({}) GROUP BY k.key", sorted({c.id for c in self.mine}))))
            self.paired_now = sorted(self.paired_before)
            return True
        pool, listed = self.pool, self.listed
        ids, docs = listed.pool_ids, listed.pool_docs
        explained = {(a, b): _explanation(json.loads(data))
                     for a, b, data in self.store.db.execute("SELECT a, b, data FROM explained")}
        pairs = self._numeric_pairs()
        figures: dict[tuple, tuple] = {}  # what a figure is compared on -> its best pair's tension
        numeric_ids = set()
        for i, j, cosine, shared in pairs:
            key = (pool.keys[i], pool.keys[j])
            found = explained.get(key)
            if found is None:
                shared = self._shared(i, j, shared)
                found = explained[key] = self.explained[key] = numeric(pool.claims[i], pool.claims[j], cosine,
                                                                       frozenset(shared))
            text, score, compared = found
            made = (round(score, 3), tension_id(f"{ids[i]}\0{docs[i]}", f"{ids[j]}\0{docs[j]}"), i, j, text, shared)
            numeric_ids.add(made[1])
            best = figures.get(compared)  # (one disagreement restated in five notes is one tension)
            if best is None or best[:2] < made[:2]:
                figures[compared] = made
        stored = [(state, self.relined.get(n, data)) for n, state, data in self.tension_rows]
        parsed = {data: orjson.loads(data) for _, data in stored}
        kept = {parsed[data]["id"]: (state, data) for state, data in stored if parsed[data]["id"] in self.paired_before}
        if any(state not in ("shown", "held") or parsed[data]["kind"] not in ("numeric", "polarity", "declared")
               for state, data in stored) or len(kept) != sum(parsed[d]["id"] in self.paired_before for _, d in stored):
            return False  # (a dismissed one, a kind this patch does not know, two from pairs with one id)
        made_rows = []
        for score, tid, i, j, text, shared in sorted(figures.values(), key=lambda f: f[1]):
            row = kept.get(tid)
            if row is None or i in self.fresh or j in self.fresh or docs[i] in self.docs or docs[j] in self.docs:
                a, b = pool.claims[i], pool.claims[j]
                t = Tension(id=tid, kind="numeric", explanation=placed(text, a, b), score=score, a=side(a), b=side(b),
                            subjects=self._shared(i, j, shared))
                row = _stored_row(t)
            made_rows.append(row)
        self.paired_now = sorted(f[1] for f in figures.values())
        # the polarity tensions leave out the pairs judged numeric: while the claims that take a stance
        # are as they were, so are their pairs (meta `stance_pairs`), and the tensions stand when the
        # numeric pairs leave out the same ones (finding them again took 0.17 s of a 10k patch)
        polar = [(state, data) for state, data in stored if parsed[data]["kind"] == "polarity"]
        known = json.loads(self.store.get("stance_pairs") or "null")
        if self.store.get("stance_claims") != self.stance_claims or known is None or \
                [p for p in known if p not in numeric_ids] != [parsed[data]["id"] for _, data in polar]:
            self.stance_pairs, opposite = stance_tensions(pool, {(i, j) for i, j, _, _ in pairs})
            polar = [_stored_row(t) for t in opposite]
        for _, data in polar + made_rows:
            parsed.setdefault(data, orjson.loads(data))
        declared = [(state, data) for state, data in stored if parsed[data]["kind"] == "declared"]
        # one from a claim's evidence is left out where a tension from a pair has its id (the same two sides)
        before = set(kept) | {parsed[d]["id"] for s, d in stored if parsed[d]["kind"] == "polarity"}
        now = set(self.paired_now) | {parsed[d]["id"] for _, d in polar}
        behind = self._behind([parsed[d] for s, d in stored if parsed[d]["id"] in before - now])
        opposing = self._opposing(stored, parsed, now, behind) if behind is not None else None
        if opposing is None:
            return False
        blocks = made_rows + polar + opposing + declared  # (kg.claims.analyse.analyse's order)
        rows = [r for r in blocks if r[0] == "shown"] + [r for r in blocks if r[0] != "shown"]
        self.against = _against(rows, parsed)
        was_against = _against(stored, parsed)
        self.opposed = {cid for cid in self.against.keys() | was_against.keys() if self.against[cid] != was_against[cid]}
        if rows != stored:
            self.tensions_now = [(state, data, _found_by(parsed[data])) for state, data in rows]
        self._clusters()
        return True

    def _opposing(self, stored: list[tuple[str, str]], parsed: dict[str, dict], known: set[str],
                  behind: dict[tuple[str, str], list]) -> list[tuple[str, str]] | None:
        """The tensions of note claims and the source sentences their evidence quotes with another
        figure (kg.claims.analyse._opposing_evidence) now, in their order (their claims' in the
        vault): the stored ones but those of the claims gone and those a tension from a pair or a
        polarity one (`known`: their ids) stands for, with those of the new claims' evidence
        (`figured`) and those of the claims `behind` (`_behind`) found again from their evidence.
        None when the stored ones are not in their claims' order, or one is of a claim whose id
        another file writes too."""
        from kg.claims.analyse import opposing_tension

        row_of = self.listed.row_of
        judged = {(c.doc, c.id) for c in self.new}  # (their evidence is found again)
        found = []
        for state, data in stored:
            t = parsed[data]
            if t["kind"] != "numeric" or t["id"] in self.paired_before:
                continue
            if t["a"]["id"] in self.shared:
                return None
            key = (t["a"]["doc"], t["a"]["id"])
            row = row_of.get(key)
            if row is not None and t["id"] not in known and key not in judged and key not in behind:
                found.append((row, state, data))
        for state in ("shown", "held"):
            rows = [row for row, s, _ in found if s == state]
            if rows != sorted(rows):
                return None
        mine = {c.id: c for c in self.new if c.origin == "note"}
        seen = set(known) | {parsed[data]["id"] for _, _, data in found}
        again = [(self.pool.claims[row_of[key]], e) for key, items in behind.items() for e in items]
        for claim, e in again + [(mine[e.claim], e) for e in self.figured]:
            t = opposing_tension(claim, e)
            if t.id not in seen:
                seen.add(t.id)
                state, data = _stored_row(t)
                parsed[data] = orjson.loads(data)
                found.append((row_of[claim.doc, claim.id], state, data))
        found.sort(key=lambda f: f[0])  # (stable: a claim's in the order of its evidence)
        return [(state, data) for _, state, data in found]

    def _behind(self, gone: list[dict]) -> dict[tuple[str, str], list] | None:
        """The note claims, written before and not judged again, of the tensions from pairs or polarity
        gone (`gone`, decoded) that are between a note's claim and a source's: a tension from the
        claim's evidence that such a tension stood for comes back. Each with its evidence's items
        that quote another figure, in order. None when its id is another note's claim's too."""
        from kg.claims.evidence_set import is_figure
        from kg.model import Evidence

        sourced, row_of = self.kb.source_by_path, self.listed.row_of
        judged = {(c.doc, c.id) for c in self.new}
        out: dict[tuple[str, str], list] = {}
        for t in gone:
            sides = [side for side in (t["a"], t.get("b")) if side]
            if any(side["doc"] in sourced for side in sides):
                out.update(((side["doc"], side["id"]), []) for side in sides if side["doc"] not in sourced and
                           (side["doc"], side["id"]) not in judged and row_of.get((side["doc"], side["id"])) is not None)
        if not out:
            return out
        ids = sorted({cid for _, cid in out})
        notes = Counter(cid for doc, cid, status in rows_in(
            self.store.db, "SELECT doc, id, status FROM settled WHERE id IN ({})", ids) if status and doc not in sourced)
        if any(n > 1 for n in notes.values()):
            return None
        for cid, data in rows_in(self.store.db, "SELECT claim, data FROM settled_evidence WHERE claim IN ({}) "
                                                "ORDER BY rowid", ids):
            e = Evidence.model_validate_json(data)
            if is_figure(e):
                for key in out:
                    if key[1] == cid:
                        out[key].append(e)
        return out

    def _clusters(self) -> None:
        """The clusters now, where a pair of one fact said twice came or went or a claim is new or
        gone (`clusters`, `cluster_docs`): the groups the SAME pairs that stand join (kg.claims.
        tensions.labels), found for the claims those pairs touch and those of the stored clusters
        they were in. Each id of theirs has its cluster now, the last of those its claims are in
        (a text written in two files may be in two groups), and each cluster of a claim of theirs
        the files of every claim with an id of it (a source's claim counts them)."""
        from kg.claims.tensions import SAME, labels, tension_id

        memo, pool, listed, db = self.memo, self.pool, self.listed, self.store.db
        ids, docs, row_of = listed.pool_ids, listed.pool_docs, listed.row_of
        a, b = self.sides
        same = memo.pairs[:, 2] == SAME
        pick = self.standing & same
        new = [(i, j) for i, j, _, _, verdict in self.pairs if verdict == SAME]
        first = np.r_[a[pick], np.array([p[0] for p in new], dtype=np.int64)].astype(np.int64)
        second = np.r_[b[pick], np.array([p[1] for p in new], dtype=np.int64)].astype(np.int64)
        label = labels(len(pool.claims), first, second)
        dropped = same & ~self.standing
        touched = {r for r in np.r_[a[dropped], b[dropped]].tolist() if r >= 0} | {r for p in new for r in p}
        touched |= {r for c in self.mine if c.kind == "claim" and (r := row_of.get((c.doc, c.id))) is not None}
        touched_ids = {ids[r] for r in touched} | {cid for _, cid in self.before}
        held = {k for _, _, k in rows_in(db, "SELECT doc, id, cluster FROM settled WHERE id IN ({})",
                                         sorted(touched_ids)) if k}
        members = list(rows_in(db, "SELECT doc, id FROM settled WHERE cluster IN ({})", sorted(held)))
        touched |= {r for key in members if (r := row_of.get(key)) is not None}
        if not touched:
            return
        groups: dict[int, list[int]] = {}  # each group looked at (its first row) -> its rows

        def add(more: set[int]) -> None:
            rows = np.nonzero(isin(label, sorted(more)))[0]
            for r, group in zip(rows.tolist(), label[rows].tolist()):
                groups.setdefault(group, []).append(r)

        def claims_of(wanted: set[str]) -> list[tuple[str, str]]:
            return [(d, cid) for d, cid in rows_in(db, "SELECT doc, id FROM settled WHERE id IN ({})", sorted(wanted))
                    if d not in self.docs] + [(c.doc, c.id) for c in self.mine if c.id in wanted]

        add(set(label[sorted(touched)].tolist()))
        # the ids whose cluster may change, every claim of theirs, and the groups those claims are in
        changing = {ids[r] for rows in groups.values() for r in rows} | touched_ids | {cid for _, cid in members}
        every = claims_of(changing)
        add({int(label[r]) for key in every if (r := row_of.get(key)) is not None} - set(groups))
        # (an id of those groups alone keeps its cluster: its groups are as they were)
        every += claims_of({ids[r] for rows in groups.values() for r in rows} - changing)
        named, of_group = {}, {}
        for group, rows in groups.items():
            if len({docs[r] for r in rows}) > 1:
                of_group[group] = {ids[r] for r in rows}
                named[group] = "k-" + tension_id(*sorted(of_group[group]))[2:]
        last: dict[str, int] = {}  # (an id in two clusters is the last one's, as the analysis lists them)
        for key in every:
            r = row_of.get(key)
            if r is not None and key[1] in changing and int(label[r]) in named:
                last[key[1]] = max(last.get(key[1], -1), int(label[r]))
        self.clusters = {cid: named[last[cid]] if cid in last else None for cid in changing}
        self.regrouped = {cid for _, cid in every}
        for group, k in named.items():  # the files of every claim with an id of the cluster
            self.cluster_docs[k] = {d for d, cid in every if cid in of_group[group]}

    def _declared(self) -> bool:
        """The tensions notes declare are the stored ones (one names the claim of a linked note
        most like it, which a new claim may be)."""
        from kg.claims.analyse import Knowledge, _declared_tensions

        if self._declared_stand():
            return True
        out = Knowledge(claims=[])
        self.vector.fetch(self.listed.tensions)
        _declared_tensions(self.kb, out, self.vector, self.listed)
        return self._as_stored(out.tensions) == self._stored("declared")

    def _declared_stand(self) -> bool:
        """Whether no declared tension can be made otherwise, so none need be made again (0.3 s at
        10k): the links of the notes that declare one point where they did when the rows were made
        (the names links resolve against are as they were, or, after a note was made or deleted,
        those notes' links are: `declared_links`; a side of `opposes::` is named by its note's
        title, and `patched` checks those notes' links), no changed file declares one, and none
        links a changed file (it names that file's claim most like it) or a new or gone claim's id."""
        from kg.claims.analyse import declared_links

        if self.store.get("settled_names") != self.kb.names and \
                self.store.get("declared_links") != declared_links(self.kb, self.listed.declaring):
            return False
        blocks = self.listed.tension_blocks
        if any(doc in self.docs for doc, _ in blocks):
            return False
        ids = {c.id for c in self.new} | self.gone
        # the links looked at below, as the cache keeps them, name none of the changed files or ids:
        # none can, and none is decoded (decoding them took 0.03-0.06 s of a 10k edit)
        named = [json.dumps(name, ensure_ascii=False) for name in (*sorted(self.docs), *sorted(ids))]
        declaring, linking = {doc for doc, _ in blocks}, self.files.linking(self.kb)
        hit = {doc for doc in declaring | linking if any(name in self.kb.link_text(doc) for name in named)}
        if not hit:
            return True
        # only the files whose links name one are decoded (those of every declaring file and every
        # `opposes::` took 0.03 s of a 10k edit that a file linking the changed note made)
        rows = [r for r in self.kb.rows_of(sorted(hit & declaring))
                if r.block_index is not None and (r.doc, r.block_index) in blocks]
        rows += [r for r in self.kb.rows_of(sorted(hit & linking)) if r.relation == "opposes"]
        return not any(r.target_doc in self.docs or (r.block and r.block in ids) for r in rows)

    def _candidates(self) -> bool:
        """The concepts suggested from the sources are the stored ones (a note made or retitled may
        name one)."""
        from kg.claims.analyse import Knowledge, _candidates

        if not self.kb.source_ids:
            return True
        # they count what the sources' claims name that no note's title or alias does: with the names
        # as the rows were made with, and no source among the changed files, they stand (counting them
        # again was 0.03-0.04 s of a 10k edit)
        if self.store.get("settled_names") == self.kb.names and \
                not any(d in self.kb.source_by_path or d not in self.kb.infos for d in self.docs):
            return True
        out = Knowledge(claims=[])
        _candidates(self.kb, out, self.store.named(self.files.paths))
        return [d.model_dump() for d in out.diagnostics] == \
            [d.model_dump() for d in self.problems if d.code == "candidate-concept"]

    # -- what the patch finds -----------------------------------------------------------------------
    def _evidence(self):
        """The evidence of the new note claims, as the analysis finds it: of their citations and
        quotes (kg.claims.analyse._cited), then inferred; its items that quote another figure (a
        tension each) apart, in `figured` (None: a quote its sources lack, a problem of its own)."""
        from kg.claims.analyse import Memo, _cited, _inferred, _roster_matcher
        from kg.claims.evidence import quotes
        from kg.claims.evidence_set import EvidenceSet

        # (a claim whose id another file's claim has first: its evidence is that claim's)
        notes = [c for c in self.new if c.origin == "note" and c.id not in self.shared]
        if not self.sources or not notes:
            return EvidenceSet()
        memo = Memo()
        memo.roster = json.loads(self.store.get("roster") or "null")
        memo.sentences = self.store._sentences
        with self.kb.holding():
            matcher = _roster_matcher(self.kb, self.sources, memo)
            if matcher is None:
                return None
            declared: dict[tuple[str, str], object] = {}
            for c in notes:
                if c.cites or quotes(c.text):
                    items, problems = _cited(c, lambda: matcher, self.sources, self.vector)
                    if problems:
                        return None
                    declared.update(((c.id, e.source), e) for e in items)
            anchors: dict[str, set] = {}
            for e in declared.values():
                anchors.setdefault(e.claim, set()).add(e.anchor)
            found = EvidenceSet(declared.values())
            judged = Memo()
            found += _inferred(notes, anchors, self.vector, lambda: matcher, self.sources, set(), Memo(), judged)
            self.inferred = judged.inferred
            self.figured = list(found.figures())
            self.items = found.of_claims({c.id for c in notes})
        return found

    def _fields(self, kind: str, origin: str, doc: str, cid: str, row: tuple | None, backing: int) -> tuple:
        """(status, supports, opposes, cluster) of a claim as kg.claims.analyse._status sets them, from
        the tensions and clusters now: `row` is its stored (status, supports, opposes, cluster), None for
        a claim new; `backing`, a new note claim's evidence items. Not a claim: its cluster alone."""
        cluster = self.clusters[cid] if cid in self.clusters else row[3] if row is not None else None
        if kind != "claim":  # (its cluster shows nowhere)
            return (*(row[:3] if row is not None else (None, 0, 0)), cluster)
        against = self.against.get(cid, 0)
        if origin == "note":
            backing = row[1] if row is not None else backing
            return "contested" if against else "supported" if backing else "unsupported", backing, against, cluster
        if row is None or cid in self.clusters or cluster in self.cluster_docs:  # (the other files that
            docs = self.cluster_docs.get(cluster, set()) if cluster else set()  # state the same fact)
            backing = len(docs) - (doc in docs)
        else:
            backing = row[1]
        return "contested" if against else "supported", backing, against, cluster

    def _status(self, supports: dict[str, int]) -> None:
        """Each changed file's claim's status and counts (a new one's support from its evidence), and
        those of the other files' claims whose tensions or cluster changed (`others`)."""
        new = {(c.doc, c.id) for c in self.new}
        for c in self.mine:
            fields = c.__dict__
            row = self.before.get((c.doc, c.id)) if (c.doc, c.id) not in new else None
            now = self._fields(c.kind, c.origin, c.doc, c.id, row, supports.get(c.id, 0))
            if c.kind == "claim":
                fields["status"], fields["supports"], fields["opposes"], fields["cluster"] = now
            else:
                fields["cluster"] = now[3]
        ids = sorted(set(self.clusters) | self.regrouped | self.opposed)
        sourced = self.kb.source_by_path
        changed: dict[str, dict[str, tuple]] = {}
        for doc, cid, *row in rows_in(self.store.db, "SELECT doc, id, status, supports, opposes, cluster FROM settled "
                                                     "WHERE id IN ({})", ids):
            if doc in self.docs:
                continue
            kind = "claim" if row[0] is not None else "other"
            now = self._fields(kind, "source" if doc in sourced else "note", doc, cid, tuple(row), 0)
            if now != tuple(row):
                changed.setdefault(doc, {})[cid] = now
        if not changed:
            return
        stored = {(doc, cid): row for doc, cid, *row in rows_in(
            self.store.db, "SELECT doc, id, status, supports, opposes, cluster FROM settled WHERE doc IN ({})",
            sorted(changed))}
        for doc in sorted(changed):
            start, end = self.listed.files[doc]
            claims = self.others[doc] = [self.every[n][0] for n in range(start, end)]
            for c in claims:
                fields = c.__dict__
                row = changed[doc].get(c.id) or stored.get((doc, c.id))
                if row is None:
                    continue
                if c.kind == "claim":
                    fields["status"], fields["supports"], fields["opposes"], fields["cluster"] = row
                else:
                    fields["cluster"] = row[3]
            restated = {cid for cid, row in changed[doc].items() if tuple(stored[doc, cid][:3]) != row[:3]}
            if restated:  # (a cluster alone no page shows)
                self.changed.docs.add(doc)
                self.changed.restated.add(doc)
                self.restated[doc] = restated

    def _problems(self, was: Counter, docs: set[str], claims_now: list[Claim]) -> list[Diagnostic] | None:
        """The stage's problems with the unsupported claims of the files written (`docs`, whose claims
        are `claims_now`) said again (None: the counts cannot be read).
        `was`: how many unsupported note statements each of those files had."""
        from kg.claims.analyse import UNSOURCED_COUNTS, unsourced_figure, unsourced_line, unsourced_warning

        if not self.kb.source_ids:
            return self.problems
        unsourced = [d for d in self.problems if d.code == "unsupported-claim"]
        line = next((d for d in unsourced if d.severity == "info"), None)
        counted = UNSOURCED_COUNTS.match(line.message) if line is not None else None
        if line is not None and counted is None:
            return None
        claims, notes = (int(counted[1]), int(counted[2])) if counted else (0, 0)
        warned = Counter(d.doc for d in unsourced if d.severity == "warning" and d.doc in docs)
        for doc, n in was.items():  # the info line's claims of a changed file, before
            claims -= n - warned[doc]
            notes -= n - warned[doc] > 0
        order = {p: n for n, p in enumerate(self.files.paths)}
        warnings = [d for d in unsourced if d.severity == "warning" and d.doc not in docs]
        first = (line.doc, line.line) if line is not None and line.doc not in docs else None
        if line is not None and line.doc in docs and claims:  # the line was at a written file's claim
            first = self._first_unsourced(docs, order)
            if first is None:
                return None
        listed: set[str] = set()
        for c in claims_now:
            if c.kind == "claim" and c.origin == "note" and c.status == "unsupported":
                if unsourced_figure(c):
                    warnings.append(unsourced_warning(c))
                    continue
                claims += 1
                if c.doc not in listed:
                    listed.add(c.doc)
                    notes += 1
                    if first is None or order[c.doc] < order[first[0]]:
                        first = (c.doc, c.line)
        warnings.sort(key=lambda d: order[d.doc])  # (stable: each file's in claim order)
        rest = [d for d in self.problems if d.code != "unsupported-claim"]
        return rest + warnings + ([unsourced_line(claims, notes, *first)] if claims else [])

    def _first_unsourced(self, docs: set[str], order: dict[str, int]) -> tuple[str, int] | None:
        """Where the first unsupported note claim without a figure is (the info line's place), among
        the files not written."""
        from kg.claims.analyse import unsourced_figure

        db = self.store.db
        held = sorted((order[d], d) for (d,) in db.execute("SELECT DISTINCT doc FROM settled WHERE status = 'unsupported'")
                      if d not in docs and d in order)
        for _, doc in held:
            stored = dict(db.execute("SELECT id, status FROM settled WHERE doc = ?", (doc,)))
            start, end = self.listed.files[doc]
            for n in range(start, end):
                c = self.every[n][0]
                if c.kind == "claim" and c.origin == "note" and stored.get(c.id) == "unsupported" \
                        and not unsourced_figure(c):
                    return doc, c.line
        return None

    def _memo(self) -> str | None:
        """The memo's pool as the analysis would leave it (kg.claims.analyse._tensions): the pool now,
        its vectors, each claim's k-th cosine, the memo's pairs that stand with the new ones put in
        their places, and the measured words past the limit; written (`KnowledgeStore.save_pool`),
        its tag returned. None when it is the memo's pool (no claim new to it or gone from it)."""
        from kg.claims.analyse import Memo, _codes

        memo, n = self.memo, len(self.pool.claims)
        if not self.fresh and not self.pairs and bool(self.standing.all()) and len(self.moved) == n \
                and bool((self.moved == np.arange(n)).all()):
            return None
        a, b = self.sides
        pairs = memo.pairs[self.standing]  # (rows, verdict), the rows those of the pool now
        pairs[:, 0], pairs[:, 1] = a[self.standing], b[self.standing]
        cosines = memo.cosines[self.standing]
        kept = self.moved[self.moved >= 0]
        if not bool((np.diff(kept) > 0).all()):  # claims moved within a file: the pairs put in order again
            # (while the rows keep their order, so do the pairs, the smaller row first: sorting or
            # checking the codes of a 10k vault's 1.15M pairs took 0.07 s of every edit)
            first, second = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
            _, once = np.unique(_codes(first, second, n), return_index=True)
            pairs[:, 0], pairs[:, 1] = first, second
            pairs, cosines = pairs[once], cosines[once]
        if self.pairs:
            added = np.array([(i, j, verdict) for i, j, _, _, verdict in self.pairs], dtype=np.int32)
            codes = _codes(added[:, 0], added[:, 1], n)
            order = np.argsort(codes, kind="stable")
            at = np.searchsorted(_codes(pairs[:, 0], pairs[:, 1], n), codes[order])
            pairs = np.insert(pairs, at, added[order], axis=0)
            cosines = np.insert(cosines, at, np.array([p[2] for p in self.pairs], dtype=np.float32)[order])
        out = Memo()
        out.pool, out.docs = self.listed.keys, self.listed.pool_docs
        out.vectors, out.vector_rows, out.heap = self.matrix, self.heap_rows, memo.heap
        out.kth, out.crowded_words = self.pool.kth, self.words
        out.pairs, out.cosines = pairs, cosines.astype(np.float32, copy=False)
        return self.store.save_pool(out)

    def _write(self):
        """The patch written, in one transaction; the Analysis it makes."""
        from kg.claims.analyse import declared_links
        from kg.claims.store import (Analysis, SettledRows, _ROW, _bucket, _digest, _reach, _settled, diagnostics_text,
                                    file_digest)

        db, docs = self.store.db, sorted(self.docs | set(self.others))
        written = self.mine + [c for claims in self.others.values() for c in claims]
        tally: Counter = Counter()  # the vault's counts change by the written files' tallies, before and after
        was: Counter = Counter()
        for doc, data in rows_in(db, "SELECT doc, data FROM settled_counts WHERE doc IN ({})", docs):
            for key, n in marshal.loads(data):
                tally[tuple(key)] -= n
                if tuple(key) == ("claim", "note", "unsupported"):
                    was[doc] += n
        problems = self._problems(was, set(docs), written)
        if problems is None:
            return None
        of_doc: dict[str, list[Claim]] = {}
        for c in written:
            of_doc.setdefault(c.doc, []).append(c)
            tally[c.kind, c.origin, c.status] += 1
        summary = json.loads(self.store.get("summary"))
        for (kind, origin, status), n in tally.items():
            if kind == "claim":
                summary["claims"] += n
                summary["note_claims" if origin == "note" else "source_claims"] += n
                if origin == "note":
                    summary[status] += n
            elif kind == "question" and origin == "note":
                summary["questions"] += n
        if self.tensions_now is not None:
            summary["tensions"] = sum(state == "shown" for state, _, _ in self.tensions_now)
        # the evidence of the claims judged again and of those gone, before and after
        ids = sorted((self.gone | {c.id for c in self.new}) - set(self.shared))
        then: dict[str, list[tuple[str, str]]] = {}
        for claim, data, source in rows_in(db, "SELECT claim, data, source FROM settled_evidence WHERE claim IN ({}) "
                                               "ORDER BY rowid", ids):
            then.setdefault(claim, []).append((data, source))
        now = {cid: [(e.model_dump_json(exclude_defaults=True), e.doc) for e in found]
               for cid, found in self.items.items() if found}
        summary["evidence"] += sum(map(len, now.values())) - sum(map(len, then.values()))
        changed = self.changed
        # the pages of the changed files' claims, before and after, and of the other files' claims whose
        # status or counts changed (at 10k, every claim of the 9 files a figure's new tension restated
        # reached 302 files, and the site was planned with the whole knowledge)
        changed.ids = {cid for _, cid in self.before} | {c.id for c in self.mine} | \
            {cid for ids in self.restated.values() for cid in ids}
        changed.concepts = {n for (n,) in rows_in(db, "SELECT concept FROM claim_concepts WHERE doc IN ({})",
                                                  sorted(self.docs))}
        changed.questions = any(row[0] is None for row in self.before.values()) or \
            any(c.kind != "claim" for c in self.mine)
        changed.evidence = {cid for cid in then.keys() | now.keys() if then.get(cid) != now.get(cid)}
        changed.evidence_docs = {source for cid in changed.evidence for _, source in (*then.get(cid, ()), *now.get(cid, ()))}
        stored = dict(rows_in(db, "SELECT path, digest FROM file_index WHERE path IN ({})", docs))
        rows = {d: {c.id: _ROW(c.__dict__) for c in claims} for d, claims in of_doc.items()}
        for d, claims in rows.items():
            if d in changed.docs:
                changed.concepts.update(n for cid, row in claims.items() if d in self.docs or cid in self.restated[d]
                                        for n in (row[4], *row[5]) if n)
        # the memo too, unless the sources changed: the next patch then pays only for its own change (while
        # the memo lagged, every patch after a figure corrected found the gone claim's pairs again, 0.6 s at 10k)
        tag = self._memo() if self.remembers else None
        with db:
            if self.remembers:
                if tag is not None:
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('pool_tag', ?)", (tag,))
                db.executemany("INSERT OR REPLACE INTO inferred VALUES (?, ?, ?, ?, ?, ?)",
                               [(cid, *found) for cid, found in self.inferred.items()])
                db.executemany("INSERT OR REPLACE INTO explained VALUES (?, ?, ?)",
                               [(*k, json.dumps(v, ensure_ascii=False)) for k, v in self.explained.items()])
                self.reranked = set()  # (every note a patch ranked again is ranked from the pairs the memo has now)
            if self.tensions_now is None:
                db.executemany("UPDATE settled_tensions SET data = ? WHERE n = ?", [(d, n) for n, d in self.relined.items()])
            else:
                changed.tensions |= self.store.write_tensions(self.tensions_now)
            self.store.write_files(docs, of_doc, rows)
            db.executemany("DELETE FROM settled_evidence WHERE claim = ?", [(cid,) for cid in then])
            db.executemany("INSERT INTO settled_evidence VALUES (?, ?, ?, ?)",
                           [(cid, data, _bucket(cid), source) for cid, found in sorted(now.items()) for data, source in found])
            # a bucket's digest is of what the analysis held: one that matches none, the next analysis writes its
            # rows again (none, it left a claim taken out after the patch wrote its items, in a bucket it held none of)
            db.executemany("INSERT OR REPLACE INTO settled_digests VALUES ('evidence', ?, x'')",
                           [(str(b),) for b in sorted({_bucket(cid) for cid in then.keys() | now.keys()})])
            db.executemany("DELETE FROM settled_digests WHERE kind IN ('doc', 'claims', 'related') AND name = ?",
                           [(d,) for d in docs if d not in of_doc])
            # (the related rows are the memo's too: only notes the next analysis ranks again are written)
            db.executemany("DELETE FROM related WHERE doc = ?", [(d,) for d, keys in self.related.items() if not keys])
            db.executemany("DELETE FROM settled_digests WHERE kind = 'related' AND name = ?",
                           [(d,) for d, keys in self.related.items() if not keys])
            db.executemany("INSERT OR REPLACE INTO related VALUES (?, ?)",
                           [(d, json.dumps(keys, ensure_ascii=False)) for d, keys in self.related.items() if keys])
            db.executemany("INSERT OR REPLACE INTO settled_digests VALUES ('related', ?, ?)",
                           [(d, _digest(list(keys))) for d, keys in self.related.items() if keys])
            db.executemany("INSERT OR REPLACE INTO settled_digests VALUES (?, ?, ?)",
                           [(kind, d, digest) for d, claims in of_doc.items() for kind, digest in (
                               ("doc", file_digest(stored.get(d), claims)),
                               ("claims", stored.get(d) or b""))])
            for key, value in (("settled", self.settled), ("stamp", self.stamp), ("summary", json.dumps(summary)),
                               ("settled_names", self.kb.names),
                               ("declared_links", declared_links(self.kb, self.listed.declaring)),
                               ("stance_claims", self.stance_claims),
                               ("stance_pairs", json.dumps(self.stance_pairs) if self.stance_pairs is not None
                                else self.store.get("stance_pairs")),
                               ("stance_files", marshal.dumps(self.stance_parts)),
                               ("reranked", json.dumps(sorted(self.reranked), ensure_ascii=False)),
                               ("pair_tensions", json.dumps(self.paired_now)),
                               ("diagnostics", diagnostics_text(problems))):
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        changed.reach = _reach(self.kb, self.store, changed)
        kb, cache_dir, paths, stamp = self.kb, self.files.cache_dir, self.files.paths, self.stamp
        return Analysis(self.settled, summary, problems, judged=len(self.new), changes=changed, since=self.since,
                        patched=sorted(self.docs), loader=lambda: _settled(kb, cache_dir, paths, stamp),
                        unread=SettledRows(cache_dir, paths))


def _claim_ids(t: dict) -> list[str]:
    """`Tension.claim_ids` of a tension's JSON, decoded."""
    return list(dict.fromkeys([t["a"]["id"], *([t["b"]["id"]] if t.get("b") else []), *t.get("claims", ())]))


def _found_by(t: dict) -> list[str]:
    """The claim ids and subjects a tension (its JSON, decoded) is found by (`tension_keys`)."""
    return [*_claim_ids(t), *t.get("subjects", ())]


def _against(rows: list[tuple[str, str]], parsed: dict[str, dict]) -> Counter:
    """How many of these tensions (state, JSON) are shown with each claim id (`Claim.opposes`)."""
    return Counter(cid for state, data in rows if state == "shown" for cid in _claim_ids(parsed[data]))


def _stored_row(t: Tension) -> tuple[str, str]:
    """A tension as `settled_tensions` keeps it: its state (shown, or held back) and its JSON."""
    from kg.claims.analyse import shown

    return "shown" if shown(t) else "held", t.model_dump_json(exclude_defaults=True)
