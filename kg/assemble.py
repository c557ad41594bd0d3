"""Whole-vault stages: concepts from notes, links resolved, vault-wide checks.

These see every parsed file at once and decide meaning; they never re-read or re-parse a file.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from kg.index import DocInfo
from kg.knowledge import KnowledgeBase, LinkRow
from kg.links import Resolver
from kg.model import Concept, Diagnostic
from kg.paths import is_attachment, slugify, stem, unlinkable_chars, without_suffix


def make_concepts(kb: KnowledgeBase, notes_root: str) -> None:
    """One concept per note; ids are slugs of file names, made unique by folder where two clash."""
    by_slug: dict[str, list[DocInfo]] = defaultdict(list)
    for path in kb.notes:
        by_slug[slugify(stem(path))].append(kb.infos[path])
    prefix = notes_root.rstrip("/") + "/" if notes_root else ""
    for slug, notes in sorted(by_slug.items()):
        for note in notes:
            cid = slug
            if len(notes) > 1:
                rel = note.path[len(prefix):] if note.path.startswith(prefix) else note.path
                cid = slugify(without_suffix(rel))
                others = ", ".join(n.path for n in notes if n is not note)
                kb.diagnostics.append(Diagnostic(
                    doc=note.path, severity="warning", code="duplicate-name",
                    message=f"another note has the same name ({others}); [[{stem(note.path)}]] is ambiguous, "
                            f"so this one is '{cid}' and links should name its folder"))
            kb.concepts[cid] = Concept(id=cid, title=note.title, doc=note.path, aliases=note.aliases,
                                       tags=sorted(set(note.tags)), type=note.type)
    for path in kb.sources:
        kb.source_ids[_unique(slugify(without_suffix(path.split("/", 1)[-1])), kb.source_ids)] = path


def _unique(slug: str, taken) -> str:
    n, out = 2, slug
    while out in taken:
        out, n = f"{slug}-{n}", n + 1
    return out


def resolve_links(kb: KnowledgeBase) -> None:
    """Every written link -> a `LinkRow` to a concept, source or file; missing targets -> stubs."""
    resolver = Resolver(kb.infos, kb.files)
    concept_of = {c.doc: c.id for c in kb.concepts.values() if c.doc}
    source_of = {path: sid for sid, path in kb.source_ids.items()}
    stub_of: dict[str, str] = {}
    for path, info in kb.infos.items():
        holder = concept_of.get(path) or source_of.get(path, path)
        for ref in info.refs:
            res = resolver.resolve(info, ref)
            kb.diagnostics.extend(res.diagnostics)
            relation = ref.relation or ("embeds" if ref.embed else "links_to")
            target = res.target
            if target is None:
                if is_attachment(ref.target):
                    continue  # a missing image or PDF: reported, but no concept
                key = stem(ref.target).strip()
                cid = stub_of.get(key.casefold())
                if cid is None:
                    cid = _unique(slugify(key), kb.concepts)
                    stub_of[key.casefold()] = cid
                    kb.concepts[cid] = Concept(id=cid, title=key)
                kind, target_id = "missing", cid
            elif target in concept_of:
                kind, target_id = "note", concept_of[target]
            elif target in source_of:
                kind, target_id = "source", source_of[target]
            else:
                kind, target_id = "file", target
            kb.rows.append(LinkRow(path, holder, kind, target_id, target, ref.heading, ref.block, ref.label,
                                   relation, ref.line, ref.col, ref.block_index))


def check_vault(kb: KnowledgeBase) -> None:
    """Checks that need the whole vault: embed loops and names a wikilink cannot reach."""
    embeds = nx.DiGraph()
    first_embed: dict[tuple[str, str], LinkRow] = {}
    for link in kb.rows:
        if link.relation == "embeds" and link.target_doc and link.target_doc in kb.notes:
            embeds.add_edge(link.doc, link.target_doc)
            first_embed.setdefault((link.doc, link.target_doc), link)
    for component in nx.strongly_connected_components(embeds):
        members = sorted(component)
        if len(members) == 1 and not embeds.has_edge(members[0], members[0]):
            continue
        for (a, b), link in sorted(first_embed.items()):
            if a in component and b in component:
                loop = " -> ".join(members + [members[0]]) if len(members) > 1 else f"{a} -> {a}"
                kb.diagnostics.append(Diagnostic(
                    doc=a, line=link.line, col=link.col, severity="warning", code="embed-loop",
                    message=f"embeds loop ({loop}); the site shows the embed once, as a link"))
    for path in [*kb.notes, *kb.sources]:
        bad = unlinkable_chars(path)
        if bad:
            kb.diagnostics.append(Diagnostic(
                doc=path, severity="warning", code="unlinkable-name",
                message=f"the file name contains {' '.join(repr(c) for c in bad)}, which a [[wikilink]] "
                        "cannot contain; rename the file or link to it by an alias"))
