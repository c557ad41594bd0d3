"""The user's review of what kg found: tensions and evidence dismissed ("this one is wrong") or
confirmed ("this one is right"), kept in `kg-review.toml` at the vault root.

The file belongs to the user, like kg.toml: it is not a note (not .md) nor a source (not under
sources/), it is never in `.kg/` (a cache, safe to delete), and it is meant to be read, diffed
and kept in git. One `[[decision]]` table per decision, sorted by kind and id:

    [[decision]]
    id = "t-28fdea7dc0"
    kind = "tension"                  # or "evidence"
    decision = "dismissed"            # or "confirmed"
    date = 2026-05-01
    reason = "the note's figure is the premium tier"       # optional
    a = "notes/kestrel.md:3"          # evidence: claim, claim_text, source, quote
    a_text = "Kestrel 2 costs $20/M output tokens, far above its rivals."
    b = "sources/report.md:5"
    b_text = "The open model Kestrel 2 costs $2/M output tokens, a tenth of the closed rivals."
    fingerprint = "5d0c8e1f2a3b"      # of the sides' texts, white space ignored

`apply` runs on every load of the knowledge stage (kg.claims.store.knowledge), before
`settle`: dismissed items move to `Knowledge.dismissed`, confirmed ones get
`review="confirmed"`. The cached analysis stays raw, so a decision needs no new analysis. A
decision holds while the texts of its sides are the ones it was made on; once one changes (or
the item is no longer found), it no longer applies and `kg check` reports `stale-review`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kg.claims.evidence_set import as_set
from kg.model import Claim, Diagnostic, Evidence, Tension

FILE = "kg-review.toml"
"""The review file, at the vault root."""
Kind = Literal["tension", "evidence"]
Verdict = Literal["dismissed", "confirmed"]
SIDE_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "tension": (("a", "a_text"), ("b", "b_text")),
    "evidence": (("claim", "claim_text"), ("source", "quote")),
}
"""Each kind's sides in the file: the key of `path:line` and the key of its text."""
COMMANDS = {
    ("tension", "dismissed"): "kg tensions --dismiss", ("tension", "confirmed"): "kg tensions --confirm",
    ("evidence", "dismissed"): "kg claims --dismiss-evidence", ("evidence", "confirmed"): "kg claims --confirm-evidence",
    ("tension", "undo"): "kg tensions --undo", ("evidence", "undo"): "kg claims --undo",
}
HEADER = f"""\
# {FILE}: your review of what kg found. Each [[decision]] dismisses or confirms one tension or
# one evidence item, with both sides as path:line and their text as they stood when you decided.
# A decision holds until one side's text changes (its fingerprint no longer matches); then
# `kg check` reports stale-review. Written by `kg tensions --dismiss/--confirm/--undo ID` and
# `kg claims --dismiss-evidence/--confirm-evidence/--undo ID`; you may edit it by hand (comments
# other than this header are not kept when kg writes it). See docs/diagnostics.md.

"""
_KEYS = {"id", "kind", "decision", "date", "reason", "fingerprint"}
_PREFIX = {"tension": "t-", "evidence": "ev-"}


class ReviewError(Exception):
    """The review file cannot be read as decisions: `path:line: message`."""

    def __init__(self, path: Path | str, line: int, message: str, col: int = 1):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.col, self.message = str(path), line, col, message


@dataclass
class Decision:
    """One decision of the review file."""

    id: str
    kind: Kind
    decision: Verdict
    date: dt.date
    fingerprint: str
    sides: list[tuple[str, str]]
    """(path:line, text) of each side, as they stood when the user decided."""
    reason: str = ""
    line: int = 0
    """Line of its `[[decision]]` in the file (0 before it is written)."""

    def entry(self) -> dict:
        out: dict = {"id": self.id, "kind": self.kind, "decision": self.decision, "date": self.date}
        if self.reason:
            out["reason"] = self.reason
        for (where_key, text_key), (where, text) in zip(SIDE_KEYS[self.kind], self.sides):
            out[where_key] = where
            out[text_key] = text
        out["fingerprint"] = self.fingerprint
        return out

    def json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "decision": self.decision, "date": self.date.isoformat(),
                "reason": self.reason or None, "sides": [w for w, _ in self.sides], "fingerprint": self.fingerprint}

    def between(self) -> str:
        """Its sides as a reader wants them: `between notes/a.md:3 and sources/b.md:5` (a tension),
        `for notes/a.md:3 from sources/b.md:5` (evidence)."""
        if self.kind == "evidence" and len(self.sides) == 2:
            return f"for {self.sides[0][0]} from {self.sides[1][0]}"
        return ("between " if len(self.sides) > 1 else "at ") + " and ".join(w for w, _ in self.sides)


@dataclass
class Review:
    """The decisions of a vault's review file."""

    path: Path
    decisions: list[Decision] = field(default_factory=list)

    def by_id(self) -> dict[str, Decision]:
        return {d.id: d for d in self.decisions}


def path_of(root: Path | str) -> Path:
    return Path(root) / FILE


def digest(root: Path | str) -> str:
    """A hash of the review file's bytes ('' without one): for caches of what decisions change."""
    try:
        return hashlib.blake2b(path_of(root).read_bytes(), digest_size=8).hexdigest()
    except OSError:
        return ""


# -- ids and fingerprints -----------------------------------------------------------------------
def evidence_id(e: Evidence) -> str:
    """A stable id for an evidence item (`ev-1a2b3c4d5e`): its claim, its source and the sentence's
    anchor. It is the item's fragment on the site (`…/concepts/x.html#ev-1a2b3c4d5e`) and its IRI
    in the exported RDF, so one id names it everywhere."""
    from kg.publish.urls import evidence_anchor

    return evidence_anchor(e.claim, e.source, e.anchor, e.line)


def _norm(text: str) -> str:
    return " ".join(text.split())


def fingerprint(sides: list[tuple[str, str]]) -> str:
    """A hash of the sides' texts, white space and their order ignored: a side whose text changes
    (not only its line) makes a decision stale."""
    joined = "\n".join(sorted(_norm(text) for _, text in sides))
    return hashlib.blake2b(joined.encode(), digest_size=6).hexdigest()


def note_claims(found) -> dict[str, Claim]:
    """The first note claim (by path and line) of each claim id."""
    out: dict[str, Claim] = {}
    for c in sorted(found.claims, key=lambda c: (c.origin != "note", c.doc, c.line)):
        out.setdefault(c.id, c)
    return out


def sides(item: Tension | Evidence, claims: dict[str, Claim]) -> list[tuple[str, str]]:
    """(path:line, text) of each side of a tension or evidence item (the claim, then the source
    sentence)."""
    if isinstance(item, Tension):
        out = [(f"{item.a.doc}:{item.a.line}", item.a.text)]
        if item.b:
            out.append((f"{item.b.doc}:{item.b.line}", item.b.text))
        return out
    claim = claims.get(item.claim)
    return [(f"{claim.doc}:{claim.line}", claim.text) if claim else (item.claim, ""),
            (f"{item.doc}:{item.line}", item.quote)]


def item_id(item: Tension | Evidence) -> str:
    return item.id if isinstance(item, Tension) else evidence_id(item)


def kind_of(item: Tension | Evidence) -> Kind:
    return "tension" if isinstance(item, Tension) else "evidence"


def items(found, kind: Kind) -> list[Tension | Evidence]:
    """Every item of a kind as analysed, whatever was decided: shown, held back and dismissed."""
    if kind == "tension":
        return [*found.tensions, *found.held, *(t for t in found.dismissed if isinstance(t, Tension))]
    return [*found.evidence, *(e for e in found.dismissed if isinstance(e, Evidence))]


# -- reading and writing the file ------------------------------------------------------------------
def load(root: Path | str) -> Review:
    """The vault's decisions ([] without a review file). Raises ReviewError, with the line, when
    the file is not TOML or not decisions as kg writes them."""
    path = path_of(root)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Review(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(path, 1, f"cannot be read ({exc})") from None
    return Review(path, parse(text, path))


def parse(text: str, path: Path | str = FILE) -> list[Decision]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+), column (\d+)", str(exc))
        raise ReviewError(path, int(m.group(1)) if m else 1, f"not valid TOML: {exc}",
                          int(m.group(2)) if m else 1) from None
    lines = text.splitlines()
    headers = [i + 1 for i, line in enumerate(lines) if re.match(r"\s*\[\[\s*\"?decision\"?\s*\]\]", line)]

    def line_of(key: str, index: int | None = None) -> int:
        """The line that sets `key` (in the index-th decision), for messages."""
        start = headers[index] if index is not None and index < len(headers) else 1
        end = headers[index + 1] if index is not None and index + 1 < len(headers) else len(lines) + 1
        for n in range(start, end):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", lines[n - 1]):
                return n
        return start

    for key in data:
        if key != "decision":
            raise ReviewError(path, line_of(key), f"unknown key '{key}': the file holds only [[decision]] tables")
    entries = data.get("decision", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ReviewError(path, line_of("decision"), "'decision' must be [[decision]] tables")
    out: list[Decision] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        at = headers[index] if index < len(headers) else 1

        def bad(key: str, message: str) -> ReviewError:
            return ReviewError(path, line_of(key, index) if key in entry else at, message)

        def string(key: str, required: bool = True) -> str:
            value = entry.get(key)
            if value is None and not required:
                return ""
            if not isinstance(value, str) or (required and not value.strip()):
                raise bad(key, f"'{key}' must be a string" if key in entry else f"this decision has no '{key}'"
                          + (" (kg writes it: decide with kg tensions --dismiss ID or kg claims --dismiss-evidence "
                             "ID rather than by hand)" if key == "fingerprint" else ""))
            return value

        kind = string("kind")
        if kind not in SIDE_KEYS:
            raise bad("kind", f"kind must be \"tension\" or \"evidence\", not \"{kind}\"")
        known = _KEYS | {k for pair in SIDE_KEYS[kind] for k in pair}
        for key in entry:
            if key not in known:
                raise bad(key, f"unknown key '{key}' in a {kind} decision (known: {', '.join(sorted(known))})")
        ident = string("id")
        if not ident.startswith(_PREFIX[kind]):
            raise bad("id", f"a {kind} id starts with '{_PREFIX[kind]}', not '{ident}'")
        if ident in seen:
            raise bad("id", f"{ident} is decided twice (also at line {seen[ident]}); keep one of them")
        seen[ident] = at
        verdict = string("decision")
        if verdict not in ("dismissed", "confirmed"):
            raise bad("decision", f"decision must be \"dismissed\" or \"confirmed\", not \"{verdict}\"")
        date = entry.get("date")
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                date = None
        if isinstance(date, dt.datetime):
            date = date.date()
        if not isinstance(date, dt.date):
            raise bad("date", "date must be a date, as in date = 2026-05-01")
        found_sides = []
        for where_key, text_key in SIDE_KEYS[kind]:
            required = not (kind == "tension" and where_key == "b")  # a declared tension has one side
            where = string(where_key, required)
            if where or text_key in entry:
                found_sides.append((where, string(text_key, False)))
        out.append(Decision(id=ident, kind=kind, decision=verdict, date=date, fingerprint=string("fingerprint"),
                            sides=found_sides, reason=string("reason", False), line=at))
    return out


def render(decisions: list[Decision]) -> str:
    import tomli_w

    ordered = sorted(decisions, key=lambda d: (d.kind != "tension", d.id))
    return HEADER + (tomli_w.dumps({"decision": [d.entry() for d in ordered]}) if ordered else "")


def save(review: Review) -> None:
    """Write the decisions atomically (a temporary file beside it, then os.replace)."""
    text = render(review.decisions)
    path = review.path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            import shutil

            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    review.decisions = parse(text, path)


@contextmanager
def _locked(root: Path | str) -> Iterator[None]:
    """One writer at a time: two decisions made at once both land in the file."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    try:
        fd = os.open(str(root), os.O_RDONLY)
    except OSError:  # no such folder: there is nothing to write into either
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- deciding ---------------------------------------------------------------------------------------
class UnknownId(LookupError):
    """An id that names nothing: the message names the closest ids."""


def find(found, kind: Kind, ident: str) -> Tension | Evidence:
    """The item of this kind with this id, whatever was decided about it. Raises UnknownId."""
    every = items(found, kind)
    for item in every:
        if item_id(item) == ident:
            return item
    other = "evidence" if kind == "tension" else "tension"
    if ident.startswith(_PREFIX[other]) and not ident.startswith(_PREFIX[kind]):
        raise UnknownId(f"{ident} is an {other} id, not a {kind} id: decide about it with "
                        f"`{COMMANDS[other, 'dismissed']} {ident}` or `{COMMANDS[other, 'confirmed']} {ident}`")
    ids = sorted({item_id(i) for i in every})
    listing = "kg tensions --all --dismissed" if kind == "tension" else "kg claims --evidence"
    if not ids:
        raise UnknownId(f"no {kind} {ident}: this vault has no {'tensions' if kind == 'tension' else 'evidence'}")
    raise UnknownId(f"no {kind} {ident} in this vault{_suggest(ident, ids)} (`{listing}` lists every id)")


def _suggest(ident: str, ids: list[str]) -> str:
    """`; did you mean x or y?` with the ids closest to a mistyped one ('' when none is close)."""
    close = [i for i in ids if i.startswith(ident) or ident.startswith(i)][:3]
    close += [i for i in difflib.get_close_matches(ident, ids, n=3, cutoff=0.6) if i not in close]
    return f"; did you mean {' or '.join(close[:3])}?" if close else ""


def decide(root: Path | str, found, choices: list[tuple[Tension | Evidence, Verdict]], reason: str = "",
           today: dt.date | None = None) -> list[Decision]:
    """Record decisions about items of `found` (from kg.claims.store.knowledge) in the review
    file, replacing earlier decisions about them and stale decisions they succeed. Raises
    ReviewError (the file is left as it is) when the file cannot be read."""
    claims = note_claims(found)
    made = []
    with _locked(root):
        review = load(root)
        kept = review.by_id()
        for item, verdict in choices:
            here = sides(item, claims)
            d = Decision(id=item_id(item), kind=kind_of(item), decision=verdict, date=today or dt.date.today(),
                         fingerprint=fingerprint(here), sides=here, reason=reason)
            for old in _succeeded(found, list(kept.values()), claims).get(d.id, []):
                kept.pop(old.id, None)
            kept[d.id] = d
            made.append(d)
        review.decisions = list(kept.values())
        save(review)
    return made


def undo(root: Path | str, ids: list[str]) -> list[Decision]:
    """Remove the decisions with these ids from the review file. Raises UnknownId (naming the
    closest decided ids) when one is not there, ReviewError when the file cannot be read."""
    with _locked(root):
        review = load(root)
        kept = review.by_id()
        for ident in ids:
            if ident not in kept:
                if not kept:
                    raise UnknownId(f"nothing is decided about {ident}: {review.path.name} holds no decisions")
                raise UnknownId(f"nothing is decided about {ident} in {review.path.name}"
                                f"{_suggest(ident, sorted(kept))}")
        gone = [kept.pop(ident) for ident in dict.fromkeys(ids)]
        review.decisions = list(kept.values())
        save(review)
    return gone


def counterparts(found, d: Decision) -> list[str]:
    """Ids of the other kind with the same two sides (opposing evidence and the tension it makes),
    not already decided the same way: each is decided on its own, so the user is told of them."""
    other: Kind = "evidence" if d.kind == "tension" else "tension"
    claims = note_claims(found)
    mine = sorted(w for w, _ in d.sides)
    dismissed = {item_id(i) for i in found.dismissed}
    out = []
    for item in items(found, other):
        if isinstance(item, Evidence) and item.stance != "opposes":
            continue
        ident = item_id(item)
        already = ident in dismissed if d.decision == "dismissed" else item.review == "confirmed"
        if sorted(w for w, _ in sides(item, claims)) == mine and not already and ident not in out:
            out.append(ident)
    return out


# -- applying ---------------------------------------------------------------------------------------
def _succeeded(found, decisions: list[Decision], claims) -> dict[str, list[Decision]]:
    """Decisions whose item is no longer found, by the id of the item that likely replaced it:
    same kind, sides in the same files, one side's text unchanged."""
    def files_and_texts(found_sides: list[tuple[str, str]]) -> tuple[list[str], set[str]]:
        return sorted(w.rsplit(":", 1)[0] for w, _ in found_sides), {_norm(t) for _, t in found_sides if t}

    present = {k: {item_id(i): i for i in items(found, k)} for k in {d.kind for d in decisions}}
    gone = [d for d in decisions if d.id not in present[d.kind]]
    out: dict[str, list[Decision]] = {}
    for kind in {d.kind for d in gone}:
        now = {ident: files_and_texts(sides(item, claims)) for ident, item in present[kind].items()}
        for d in (d for d in gone if d.kind == kind):
            docs, texts = files_and_texts(d.sides)
            ident = next((i for i, (f, t) in now.items() if f == docs and texts & t), None)
            if ident:
                out.setdefault(ident, []).append(d)
    return out


def apply(found, root: Path | str) -> list[Diagnostic]:
    """Apply the vault's decisions to an analysed Knowledge (before settle()): dismissed items
    move to found.dismissed, confirmed ones get review="confirmed". Returns `stale-review` for
    decisions that no longer apply, or `bad-review-file` (and applies nothing) when the file
    cannot be read. Idempotent."""
    try:
        review = load(root)
    except ReviewError as exc:
        review = exc
    found.tensions = items(found, "tension")
    if any(isinstance(e, Evidence) for e in found.dismissed) or \
            (not isinstance(review, ReviewError) and any(d.kind == "evidence" for d in review.decisions)):
        found.evidence = items(found, "evidence")  # every item read: a decision names items by what they say
    found.held, found.dismissed = [], []
    for item in (*found.tensions, *as_set(found.evidence).models()):  # (an item not read yet was never reviewed)
        item.review = None
    if isinstance(review, ReviewError):
        return [Diagnostic(doc=FILE, line=review.line, col=review.col, severity="error", code="bad-review-file",
                           message=f"{review.message}; your review decisions are not applied until it is fixed "
                                   "(kg will not write to it either)")]
    if not review.decisions:
        return []
    decided = review.by_id()
    claims = note_claims(found)
    problems: list[Diagnostic] = []
    matched: set[str] = set()
    for kind, kept in (("tension", found.tensions), ("evidence", found.evidence)):
        if not any(d.kind == kind for d in review.decisions):
            continue
        stay = []
        for item in kept:
            ident = item_id(item)
            d = decided.get(ident)
            if d is None or d.kind != kind:
                stay.append(item)
                continue
            now = sides(item, claims)
            if fingerprint(now) != d.fingerprint:
                if ident not in matched:
                    problems.append(_stale_changed(d, now))
                matched.add(ident)
                stay.append(item)
                continue
            matched.add(ident)
            if d.decision == "dismissed":
                found.dismissed.append(item)
            else:
                item.review = "confirmed"
                stay.append(item)
        if kind == "tension":
            found.tensions = stay
        else:
            found.evidence = stay
    successors = {d.id: ident for ident, ds in _succeeded(found, review.decisions, claims).items() for d in ds}
    for d in review.decisions:
        if d.id not in matched:
            problems.append(_stale_gone(d, successors.get(d.id)))
    return problems


def _verb(d: Decision) -> str:
    return "dismiss" if d.decision == "dismissed" else "confirm"


def _stale_changed(d: Decision, now: list[tuple[str, str]]) -> Diagnostic:
    before = {_norm(text) for _, text in d.sides}
    changed = [where for where, text in now if _norm(text) not in before] or [w for w, _ in now]
    return Diagnostic(
        doc=FILE, line=d.line, severity="info", code="stale-review",
        message=f"the {d.kind} {d.id} you {d.decision} on {d.date.isoformat()} no longer applies: "
                f"{' and '.join(changed)} changed since; run `{COMMANDS[d.kind, d.decision]} {d.id}` to "
                f"{_verb(d)} it again, or `{COMMANDS[d.kind, 'undo']} {d.id}` to drop the decision")


def _stale_gone(d: Decision, successor: str | None) -> Diagnostic:
    then = f"; it is now {successor}: run `{COMMANDS[d.kind, d.decision]} {successor}` to {_verb(d)} it again" \
        if successor else f"; find it again with `{'kg tensions --all' if d.kind == 'tension' else 'kg claims --evidence'}`"
    return Diagnostic(
        doc=FILE, line=d.line, severity="info", code="stale-review",
        message=f"the {d.kind} {d.id} you {d.decision} on {d.date.isoformat()} ({d.between()}) is no longer "
                f"found: one of its sides was edited or removed{then}, or `{COMMANDS[d.kind, 'undo']} {d.id}` "
                "to drop the decision")
