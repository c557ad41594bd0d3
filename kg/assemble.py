"""Whole-vault stages: concepts from notes, links resolved, vault-wide checks.

These see every parsed file at once and decide meaning; they never re-read or re-parse a file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from kg.index import DocInfo, anchors_digest
from kg.knowledge import LINK_FIELDS, KnowledgeBase, links_digest
from kg.links import Resolver, path_keys, relative_paths, target_key
from kg.model import Concept, Diagnostic, Link, constructed, to_columns
from kg.paths import is_attachment, link_key, slugify, stem, unlinkable_chars, without_suffix


_CONCEPT_FIELDS = ("id", "title", "doc", "aliases", "tags", "type")
_CONCEPT_SET = set(_CONCEPT_FIELDS)


def make_concepts(kb: KnowledgeBase, notes_root: str) -> None:
    """One concept per note; ids are slugs of file names, made unique by folder where two clash."""
    by_slug: dict[str, list[DocInfo]] = defaultdict(list)
    for path in kb.notes:
        by_slug[slugify(stem(path))].append(kb.infos[path])
    prefix = notes_root.rstrip("/") + "/" if notes_root else ""
    for slug, notes in sorted(by_slug.items()):
        for note in sorted(notes, key=lambda n: n.path):
            cid = slug
            if len(notes) > 1:
                rel = note.path[len(prefix):] if note.path.startswith(prefix) else note.path
                cid = slugify(without_suffix(rel))
                others = [n.path for n in notes if n is not note and link_key(stem(n.path)) == link_key(stem(note.path))]
                if others:
                    kb.diagnostics.append(Diagnostic(
                        doc=note.path, severity="warning", code="duplicate-name",
                        message=f"another note has the same name ({', '.join(others)}); [[{stem(note.path)}]] is "
                                f"ambiguous, so this one is '{_unique(cid, kb.concepts)}' and links should name its "
                                "folder"))
            # `A B.md` and `a-b.md`, or `Note.md` and `note.md` beside it, slug alike: each keeps its own id and page
            cid = _unique(cid, kb.concepts)
            # (made without validating: the parse validated each field, and 11k notes took 0.02 s to check again)
            kb.concepts[cid] = constructed(Concept, _CONCEPT_FIELDS, _CONCEPT_SET, (
                cid, note.title, note.path, list(note.aliases), sorted(set(note.tags)), note.type))
    for path in kb.sources:
        kb.source_ids[_unique(slugify(without_suffix(path.split("/", 1)[-1])), kb.source_ids)] = path


def _unique(slug: str, taken) -> str:
    n, out = 2, slug
    while out in taken:
        out, n = f"{slug}-{n}", n + 1
    return out


def stub_id(target: str, taken: dict) -> str:
    """The concept id of a missing link target: its slug, marked where a note already has it."""
    slug = _stub_slug(target)
    return f"{slug}-stub" if slug in taken else slug


def _stub_slug(target: str) -> str:
    return slugify(stem(target).strip())


Resolved = tuple[str, str, str, str, str, str, str]
"""A file's resolved links as cached: (file hash, names fingerprint, rows, problems, embeds,
stubs, digest of the rows), rows to stubs as JSON."""


def resolve_links(kb: KnowledgeBase, fingerprint: str, previous: dict[str, Resolved],
                  lookups: Callable[[], Lookups | None] = lambda: None,
                  offered: Callable[[], dict[str, list]] | None = None,
                  make_resolver: Callable[[], Resolver] | None = None
                  ) -> tuple[list[tuple], dict[str, list[str]], str | None]:
    """Every written link -> a `Link` to a concept, source or file; missing targets -> stubs.

    A file whose hash and names fingerprint match `previous`, and whose links into other files
    (`#Heading`, `#^block`) meet the anchors they met then (`_links_stand`), keeps its cached rows
    (decoded only if a command reads `kb.rows`); so does one resolved against other names when
    none of the names its links looked up changed (`lookups()`, asked only then: the names
    every file offered, and what each file's links looked up; `offered()` gives what every file
    offers now, `entries` when not given). The others are resolved again.
    Returns the fresh (path, hash, fingerprint, rows, problems, embeds, stubs, digest of the rows:
    kg.knowledge.links_digest) to cache, what each file resolved again looked up, and the names
    fingerprint the files kept under the new names were stamped with (None: none was): every file
    cached under it either stands under `fingerprint` now or is among the fresh ones
    (kg.cache.ParseCache.store_resolutions stamps them again at once).
    `make_resolver` makes the Resolver of the vault's names, when a file needs one (kg.links.kept_resolver)."""
    make_resolver = make_resolver or (lambda: Resolver(kb.infos, kb.files))
    resolver = None
    concept_of, source_of = kb.concept_by_doc, kb.source_by_path
    notes = set(concept_of.values())
    stubs: dict[str, str] = {}
    fresh: list[tuple] = []
    looked_up: dict[str, list[str]] = {}
    anchors: dict[str, str] = {}
    last = lookups() if any(old[1].split("|", 1)[0] != fingerprint for old in previous.values()) else None
    changed = _changed_lookups(last, offered() if offered else entries(kb)) if last else set()

    def anchored(target: str) -> str:
        if target not in anchors:
            anchors[target] = anchors_digest(kb.infos.get(target))
        return anchors[target]

    restamped = None
    for path, info in kb.infos.items():
        old = previous.get(path)
        if old and old[0] == info.hash and last and old[1].split("|", 1)[0] == last.names \
                and path in last.looked_up and changed.isdisjoint(last.looked_up[path]):
            # resolved against other names, none of which its links looked up: it stands (only its
            # stamp is written again, with every other such file's)
            old, restamped = (old[0], fingerprint + old[1][len(last.names):], *old[2:]), last.names
        if old and old[0] == info.hash and _links_stand(old[1], fingerprint, anchored):
            kb.resolved[path] = old[2]
            kb.rows_digests[path] = old[6]
            if old[3] != "[]":
                kb.diagnostics.extend(Diagnostic(**d) for d in orjson.loads(old[3]))
            if old[4] != "[]":
                kb.embeds[path] = [tuple(e) for e in orjson.loads(old[4])]
            if old[5] != "[]":
                for cid, written in orjson.loads(old[5]):
                    stubs.setdefault(cid, written)
            continue
        resolver = resolver or make_resolver()
        holder = concept_of.get(path) or source_of.get(path, path)
        rows, problems, embeds, missing, into, looked = [], [], [], {}, set(), set()
        for ref in info.refs:
            target, found = resolver.resolve(info, ref)
            problems.extend(found)
            if target and (ref.heading or ref.block):
                into.add(target)
            looked.update(_looked_up(path, ref, target))
            relation = ref.relation or ("embeds" if ref.embed else "links_to")
            if target is None:
                if is_attachment(ref.target):
                    continue  # a missing image or PDF: reported, but no concept
                kind, target_id = "missing", stub_id(ref.target, notes)
                missing.setdefault(target_id, stem(ref.target).strip())
            elif target in concept_of:
                kind, target_id = "note", concept_of[target]
            elif target in source_of:
                kind, target_id = "source", source_of[target]
            else:
                kind, target_id = "file", target
            if relation == "embeds" and target:
                embeds.append((target, ref.line, ref.col))
            rows.append(Link(path, holder, kind, target_id, target, ref.target, ref.heading, ref.block,
                             ref.label, relation, ref.line, ref.col, ref.block_index))
        kb.resolved[path] = rows
        kb.diagnostics.extend(problems)
        if embeds:
            kb.embeds[path] = embeds
        for cid, written in missing.items():
            stubs.setdefault(cid, written)
        met = fingerprint + "|" + _dumps(sorted([t, anchored(t)] for t in into)) if into else fingerprint
        kb.link_texts[path] = text = to_columns(rows, LINK_FIELDS)
        kb.rows_digests[path] = digest = links_digest(text)
        looked_up[path] = sorted(looked)
        fresh.append((path, info.hash, met, text, _dumps([d.model_dump() for d in problems]), _dumps(embeds),
                      _dumps(list(missing.items())), digest))
    for cid, written in sorted(stubs.items()):
        kb.concepts.setdefault(cid, Concept(id=cid, title=written))
    return fresh, looked_up, restamped


@dataclass
class Lookups:
    """What the links were last resolved against (kg.cache.ParseCache.lookups): the names
    fingerprint, every file's `entries` then, and for each file the names its links looked up
    (`_looked_up`). When the names change (a note made, deleted or retitled), a file none of whose
    looked-up names changed keeps its links: at 10k notes, resolving every link again took 0.9 s
    of the build after a note was made."""

    names: str
    entries: dict[str, list]
    looked_up: dict[str, list[str]]


def entries(kb: KnowledgeBase) -> dict[str, list]:
    """What each file offers the links of others: its kind, title, aliases and concept or source id
    (a file that is not a note or source: its kind alone)."""
    out: dict[str, list] = {path: ["file"] for path in kb.files}
    for path, info in kb.infos.items():
        out[path] = [info.kind, info.title, info.aliases, kb.concept_by_doc.get(path) or kb.source_by_path.get(path)]
    return out


def _offered(path: str, entry: list | None) -> set[str]:
    """The names a file with this entry answers to, as `_looked_up` spells a look-up of them."""
    if entry is None:
        return set()
    kind, doc = entry[0], entry[0] != "file"
    out = {f"p:{path}", f"i:{path}", *(f"k:{key}" for key in path_keys(path, doc))}
    if doc:
        out.update(f"k:{link_key(alias)}" for alias in entry[2])
        out.add(f"t:{link_key(entry[1])}")
        if kind == "note" and entry[3]:
            out.add(f"s:{entry[3]}")
    return out


def _changed_lookups(lookups: Lookups, now: dict[str, list]) -> set[str]:
    """The names that answer otherwise than when `lookups` was made: those of every file made,
    deleted or changed in what it offers."""
    out: set[str] = set()
    before = lookups.entries
    for path in before.keys() | now.keys():
        if before.get(path) != now.get(path):
            out |= _offered(path, before.get(path)) | _offered(path, now.get(path))
    return out


def _looked_up(path: str, ref, target: str | None) -> list[str]:
    """The names resolving `ref` (kg.links.Resolver.resolve) read, spelt as `_offered` spells them:
    the paths a relative link may mean, the name key it matches files and aliases by, the title
    key a missing target's message names, the stub id it takes, and the file it reached."""
    out = []
    if ref.target:
        if ref.syntax == "markdown" or ref.target.startswith(("./", "../")):
            out += [f"p:{p}" for p in relative_paths(path, ref.target)]
        out.append(f"k:{target_key(ref.target)}")
    if target is None:
        out += [f"t:{link_key(ref.target)}", f"s:{_stub_slug(ref.target)}"]
    else:
        out.append(f"i:{target}")
    return out


def _links_stand(stored: str, fingerprint: str, anchored) -> bool:
    """Whether a file's cached links stand: resolved against these names (`fingerprint`), and,
    for its links into other files' headings and blocks, against the anchors those files have now
    (stored after the names as [[path, anchors digest], ...])."""
    if stored == fingerprint:
        return True
    if not stored.startswith(fingerprint + "|"):
        return False
    return all(anchored(target) == digest for target, digest in orjson.loads(stored[len(fingerprint) + 1:]))


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def check_vault(kb: KnowledgeBase) -> None:
    """Checks that need the whole vault: embed loops and names a wikilink cannot reach."""
    first_embed: dict[tuple[str, str], tuple[int, int]] = {}
    for doc, targets in kb.embeds.items():
        for target, line, col in targets:
            if target in kb.notes:
                first_embed.setdefault((doc, target), (line, col))
    if first_embed and _has_cycle(first_embed):
        _embed_loops(kb, first_embed)
    for path in [*kb.notes, *kb.sources]:
        bad = unlinkable_chars(path)
        if bad:
            kb.diagnostics.append(Diagnostic(
                doc=path, severity="warning", code="unlinkable-name",
                message=f"the file name contains {' '.join(repr(c) for c in bad)}, which a [[wikilink]] "
                        "cannot contain; rename the file or link to it by an alias"))


def _has_cycle(edges) -> bool:
    """Whether the embeds loop anywhere (graphlib, standard library: no networkx for a vault without loops)."""
    from graphlib import CycleError, TopologicalSorter

    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError:
        return True
    return False


def _embed_loops(kb: KnowledgeBase, first_embed: dict[tuple[str, str], tuple[int, int]]) -> None:
    """A warning at the first embed of each loop of notes embedding each other."""
    import networkx as nx  # only for a vault whose embeds loop: kg's import stays light

    embeds = nx.DiGraph(list(first_embed))
    for component in nx.strongly_connected_components(embeds):
        members = sorted(component)
        if len(members) == 1 and not embeds.has_edge(members[0], members[0]):
            continue
        for (a, b), (line, col) in sorted(first_embed.items()):
            if a in component and b in component:
                loop = " -> ".join(members + [members[0]]) if len(members) > 1 else f"{a} -> {a}"
                kb.diagnostics.append(Diagnostic(
                    doc=a, line=line, col=col, severity="warning", code="embed-loop",
                    message=f"embeds loop ({loop}); the site shows the embed once, as a link"))
