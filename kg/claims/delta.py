"""An analysis of a few claims added or taken out, patched into the settled rows instead of
analysing the vault again (docs/design.md, "A few claims, patched").

The knowledge stage's analysis (kg.claims.analyse) goes through every claim: at 10k notes that is
3.2-3.5 s of an edit, most of it passes that keep what the memo already says. When the vault
changed since the settled rows only in that a few files' claims were added or taken out, and
nothing those claims take part in reaches another claim, what the analysis would find differs
from the rows only in those files' rows, their new claims' evidence, the counts and the problems.
`patched` finds that, or says it cannot (None) and the analysis runs.

What it takes to hold (each checked, else None):
- the review decisions, the counts' version, the sources and the links the analysis reads are as
  they were, and no decision is written (a decision names items by what they say); the sources may
  have changed in a vault whose notes make no statement (their sentences are evidence for nothing);
- the claims new since the memo (the last whole analysis, which a patch does not write: the next
  analysis judges them again), and the claims the memo has whose rows a patch took out, pair with
  no claim as a numeric tension or as one fact said twice; the claims gone from the memo were in no
  such pair; a claim taken out of a file was in no tension and no cluster; the pairs the new
  and gone claims push out of another claim's nearest, or let in, are judged nothing too
  (kg.claims.analyse._displaced). The notes they come near have their related claims ranked
  again, as the incremental analysis ranks them (the related rows are the memo's too, so the
  notes a patch ranked again are kept in meta `reranked`, and every analysis ranks them again
  until the next one writes the memo);
- the tensions that depend on the whole pool come out as stored: polarity tensions (ranked per
  subject over every claim's stances) and declared tensions (which name the claim of a linked note
  most like them), and so do the concepts suggested from the sources;
- the changed files write no citation on a new claim, no sentence link and no `opposes::`, and have
  no problem of their own but unsupported claims; a stored tension's sides in them are claims still
  written there (moved to their lines now, as `_moved` moves them);
- every new or gone claim's id is its own (a claim id written in two files shares its evidence).
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
                  vectors_for).run()


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
                 vectors_for):
        self.kb, self.store, self.files, self.stamp, self.settled, self.since = kb, store, files, stamp, settled, since
        self.docs, self.problems, self.listed, self.memo = docs, problems, listed, memo
        self.sources, self.vectors_for = sources, vectors_for
        self.items: dict = {}
        """The evidence items of the new note claims, by claim id."""
        self.relined: dict[int, str] = {}
        """The stored tensions moved to their claims' lines now: row -> JSON."""
        self.pairs: list[tuple[int, int, float]] = []
        """The pairs of the claims new since the memo, all judged nothing: (row, row, cosine)."""
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
        matrix, kth, _, fresh, _ = found
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
        moved = self.listed.rows_in(self.memo)[1]  # each of the memo's rows' row now, as the analysis maps them
        unsure = (moved < 0) | isin(moved, [self.listed.row_of[c.doc, c.id] for c in back])
        if not (self._ids_own() and self._pairs(matrix, kth, unsure, fresh) and self._moves()):
            return None
        if not (self._polarity(moved) and self._declared() and self._candidates()):
            return None
        evidence = self._evidence()
        if evidence is None:
            return None
        self._related(moved, fresh)
        self._status(evidence.supports())
        return self._write()

    # -- what must hold ---------------------------------------------------------------------------
    def _ids_own(self) -> bool:
        """Every new or gone claim's id is written in no other file, and once in its own."""
        ids = {c.id for c in self.new} | self.gone
        if not ids:
            return True
        for doc, _ in rows_in(self.store.db, "SELECT doc, id FROM settled WHERE id IN ({})", sorted(ids)):
            if doc not in self.docs:
                return False
        # (another file's claims are as the rows say: the query found them)
        written = Counter(c.id for c in self.mine if c.id in ids)
        return all(n == 1 for cid, n in written.items()) and not (self.gone & set(written))

    def _pairs(self, matrix, kth, unsure: np.ndarray, fresh: list[int]) -> bool:
        """The pairs a whole analysis would look at for the claims new since the memo (kg.claims.
        analyse._tensions), and the memo's pairs of the claims gone or written again (`unsure`,
        by the memo's rows): none is a tension or one fact, none near enough to be a related claim."""
        from kg.claims.analyse import _gone_vectors, edited_pairs, tension_pool
        from kg.claims.tensions import NOTHING, judge

        memo = self.memo
        if int(unsure.sum()) > DELTA_MOST:
            return False
        if bool((memo.pairs[unsure[memo.pairs[:, 0]] | unsure[memo.pairs[:, 1]], 2] != NOTHING).any()):
            return False
        if memo.crowded_words is None:  # (kept by a kg before the words were: the analysis finds them)
            return False
        pool, _ = tension_pool(self.kb, self.listed, matrix, kth.copy())
        self.pool = pool
        moved = self.listed.rows_in(memo)[1]
        a, b = self.sides = moved[memo.pairs[:, 0]], moved[memo.pairs[:, 1]]  # (`_related` takes them too)
        self.standing = (a >= 0) & (b >= 0)

        def known() -> tuple[np.ndarray, np.ndarray]:  # (the codes of a 10k vault's 1.15M pairs: 0.2 s)
            codes = np.minimum(a, b)[self.standing].astype(np.int64) * max(len(pool.claims), 1) \
                + np.maximum(a, b)[self.standing]
            kept = memo.cosines is not None and len(memo.cosines) == len(memo.pairs)
            return codes, memo.cosines[self.standing] if kept else np.full(len(codes), np.nan, dtype=np.float32)

        edited = edited_pairs(pool, matrix, fresh, _gone_vectors(self.listed, memo), memo.crowded_words, known)
        if edited.grown or edited.fallen:  # a measured word's pairs come or go
            return False
        if edited.keep is not None:  # a new claim pushed a pair out of a claim's nearest, or a gone one let one in
            if bool((memo.pairs[self.standing, 2][~edited.keep] != NOTHING).any()):
                return False
            self.standing[np.nonzero(self.standing)[0][~edited.keep]] = False
        self.displaced = edited.displaced
        for i, j, cosine, shared in edited.more:
            if judge(pool, i, j, cosine, shared) != NOTHING:
                return False
            self.pairs.append((i, j, cosine))
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
        on now (a claim written above them moves them: `relined`); False when a claim gone is in one,
        or a place its explanation names cannot be told, or a claim gone was in a cluster."""
        from kg.claims.store import relined

        line = {(c.doc, c.id): c.line for c in self.mine}
        names = [json.dumps(d, ensure_ascii=False) for d in self.docs]  # (a side's file, as the JSON writes it)
        line_of: dict[str, dict[int, int]] = {}
        for _, _, data in self.tension_rows:
            if not any(name in data for name in names):
                continue
            t = Tension.model_validate_json(data)
            if not self.gone.isdisjoint(t.claim_ids()):
                return False
            for side in (t.a, t.b):
                if side is not None and side.doc in self.docs:
                    now = line.get((side.doc, side.id))
                    if now is None or line_of.setdefault(side.doc, {}).setdefault(side.line, now) != now:
                        return False
        try:
            self.relined = {n: data for data, n in relined(self.store, line_of, self.changed)} if line_of else {}
        except LookupError:
            return False
        return not any(self.before[k][3] for k in self.before if k[1] in self.gone)  # (a cluster's claim)

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
        from kg.claims.analyse import shown

        rows = [("shown" if shown(t) else "held", t.model_dump_json(exclude_defaults=True)) for t in tensions]
        return [r for r in rows if r[0] == "shown"] + [r for r in rows if r[0] == "held"]

    def _polarity(self, moved: np.ndarray) -> bool:
        """The polarity tensions of the pool as it is now are the stored ones: they are ranked per
        subject over every claim's stances (kg.claims.tensions.polarity_pairs). They stand without
        a look when the claims that take a stance are those the stored ones were found or kept
        among (`stance_claims`, which a patch keeps): each pair is of two of them, judged from the
        two alone; the pairs a memo's numeric tension leaves out are the same while a patch holds
        (a claim gone from one stops it); and a stored side's line is moved as `_moves` moves it.
        Finding them again took 0.04-0.1 s of a 10k edit, most of it making the 460 claims that
        take a stance, from 440 files."""
        from kg.claims.tensions import NUMERIC, polarity, polarity_pairs

        if self.store.get("stance_claims") == self.stance_claims:
            return True
        memo = self.memo
        numeric = memo.pairs[memo.pairs[:, 2] == NUMERIC]
        a, b = moved[numeric[:, 0]], moved[numeric[:, 1]]
        alive = (a >= 0) & (b >= 0)
        paired = set(zip(np.minimum(a, b)[alive].tolist(), np.maximum(a, b)[alive].tolist()))
        found = [polarity(self.pool, i, j, subject, words_i, words_j, family)
                 for i, j, subject, _, words_i, words_j, family in polarity_pairs(self.pool)
                 if (min(i, j), max(i, j)) not in paired]
        return self._as_stored(found) == self._stored("polarity")

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
        """The inferred evidence of the new note claims (None: a citation, or an item whose figure
        differs, which is a tension)."""
        from kg.claims.analyse import Memo, _inferred, _roster_matcher
        from kg.claims.evidence import quotes
        from kg.claims.evidence_set import EvidenceSet

        notes = [c for c in self.new if c.origin == "note"]
        if any(c.cites or quotes(c.text) for c in notes):
            return None
        if not self.sources or not notes:
            return EvidenceSet()
        memo = Memo()
        memo.roster = json.loads(self.store.get("roster") or "null")
        memo.sentences = self.store._sentences
        with self.kb.holding():
            matcher = _roster_matcher(self.kb, self.sources, memo)
            if matcher is None:
                return None
            found = _inferred(notes, {}, self.vector, lambda: matcher, self.sources, set(), Memo(), Memo())
            if any(True for _ in found.figures()):
                return None
            self.items = found.of_claims({c.id for c in notes})
        return found

    def _status(self, supports: dict[str, int]) -> None:
        """Each changed file's claim's status and counts: a kept claim's as stored, a new one's from
        its evidence (it is in no tension and no cluster)."""
        new = {(c.doc, c.id) for c in self.new}
        for c in self.mine:
            fields = c.__dict__
            row = self.before.get((c.doc, c.id))
            if (c.doc, c.id) not in new and row is not None:
                fields["status"], fields["supports"], fields["opposes"], fields["cluster"] = row
            elif c.kind == "claim":
                backing = supports.get(c.id, 0) if c.origin == "note" else 0
                status = "supported" if backing or c.origin == "source" else "unsupported"
                fields["cluster"], fields["opposes"], fields["supports"], fields["status"] = None, 0, backing, status
            else:
                fields["cluster"] = None

    def _problems(self, was: Counter) -> list[Diagnostic] | None:
        """The stage's problems with the changed files' unsupported claims said again (None: the
        first unsupported claim of the vault was in them, and where the next one is, elsewhere, is
        not known).
        `was`: how many unsupported note statements each changed file had."""
        from kg.claims.analyse import UNSOURCED_COUNTS, unsourced_figure, unsourced_line, unsourced_warning

        if not self.kb.source_ids:
            return self.problems
        unsourced = [d for d in self.problems if d.code == "unsupported-claim"]
        line = next((d for d in unsourced if d.severity == "info"), None)
        counted = UNSOURCED_COUNTS.match(line.message) if line is not None else None
        if line is not None and counted is None:
            return None
        claims, notes = (int(counted[1]), int(counted[2])) if counted else (0, 0)
        warned = Counter(d.doc for d in unsourced if d.severity == "warning" and d.doc in self.docs)
        for doc, n in was.items():  # the info line's claims of a changed file, before
            claims -= n - warned[doc]
            notes -= n - warned[doc] > 0
        if line is not None and line.doc in self.docs and claims:
            return None  # (the line was at a changed file's claim, and others are left: where is not known)
        warnings = [d for d in unsourced if d.severity == "warning" and d.doc not in self.docs]
        first = (line.doc, line.line) if line is not None and line.doc not in self.docs else None
        order = {p: n for n, p in enumerate(self.files.paths)}
        listed: set[str] = set()
        for c in self.mine:
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

    def _write(self):
        """The patch written, in one transaction; the Analysis it makes."""
        from kg.claims.analyse import declared_links
        from kg.claims.store import (Analysis, SettledRows, _ROW, _bucket, _digest, _reach, _settled, diagnostics_text,
                                    file_digest)

        db, docs = self.store.db, sorted(self.docs)
        tally: Counter = Counter()  # the vault's counts change by the changed files' tallies, before and after
        was: Counter = Counter()
        for doc, data in rows_in(db, "SELECT doc, data FROM settled_counts WHERE doc IN ({})", docs):
            for key, n in marshal.loads(data):
                tally[tuple(key)] -= n
                if tuple(key) == ("claim", "note", "unsupported"):
                    was[doc] += n
        problems = self._problems(was)
        if problems is None:
            return None
        of_doc: dict[str, list[Claim]] = {}
        for c in self.mine:
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
        # the evidence of the claims judged again and of those gone, before and after
        ids = sorted(self.gone | {c.id for c in self.new})
        then: dict[str, list[tuple[str, str]]] = {}
        for claim, data, source in rows_in(db, "SELECT claim, data, source FROM settled_evidence WHERE claim IN ({}) "
                                               "ORDER BY rowid", ids):
            then.setdefault(claim, []).append((data, source))
        now = {cid: [(e.model_dump_json(exclude_defaults=True), e.doc) for e in found]
               for cid, found in self.items.items() if found}
        summary["evidence"] += sum(map(len, now.values())) - sum(map(len, then.values()))
        changed = self.changed
        changed.ids = {cid for _, cid in self.before} | {c.id for c in self.mine}
        changed.concepts = {n for (n,) in rows_in(db, "SELECT concept FROM claim_concepts WHERE doc IN ({})", docs)}
        changed.questions = any(row[0] is None for row in self.before.values()) or \
            any(c.kind != "claim" for c in self.mine)
        changed.evidence = {cid for cid in then.keys() | now.keys() if then.get(cid) != now.get(cid)}
        changed.evidence_docs = {source for cid in changed.evidence for _, source in (*then.get(cid, ()), *now.get(cid, ()))}
        stored = dict(rows_in(db, "SELECT path, digest FROM file_index WHERE path IN ({})", docs))
        rows = {d: {c.id: _ROW(c.__dict__) for c in claims} for d, claims in of_doc.items()}
        for claims in rows.values():
            changed.concepts.update(n for row in claims.values() for n in (row[4], *row[5]) if n)
        with db:
            db.executemany("UPDATE settled_tensions SET data = ? WHERE n = ?", [(d, n) for n, d in self.relined.items()])
            self.store.write_files(docs, of_doc, rows)
            db.executemany("DELETE FROM settled_evidence WHERE claim = ?", [(cid,) for cid in then])
            db.executemany("INSERT INTO settled_evidence VALUES (?, ?, ?, ?)",
                           [(cid, data, _bucket(cid), source) for cid, found in sorted(now.items()) for data, source in found])
            # a bucket's digest is of what the analysis held: gone, the next analysis writes its rows again
            db.executemany("DELETE FROM settled_digests WHERE kind = 'evidence' AND name = ?",
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
                               ("stance_files", marshal.dumps(self.stance_parts)),
                               ("reranked", json.dumps(sorted(self.reranked), ensure_ascii=False)),
                               ("diagnostics", diagnostics_text(problems))):
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        changed.reach = _reach(self.kb, self.store, changed)
        kb, cache_dir, paths, stamp = self.kb, self.files.cache_dir, self.files.paths, self.stamp
        return Analysis(self.settled, summary, problems, judged=len(self.new), changes=changed, since=self.since,
                        patched=docs, loader=lambda: _settled(kb, cache_dir, paths, stamp),
                        unread=SettledRows(cache_dir, paths))
