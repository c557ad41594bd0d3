"""KnowledgeBase -> networkx MultiDiGraph, and its export as GraphML, GEXF or JSON.

Nodes are `concept:<id>`, `note:<path>`, `source:<id>`, `tag:<name>` and `file:<path>`; every
edge has a `relation` (links_to, embeds, supports, opposes, informs, source, same-as, defines,
tagged, within) and, for links, the file, line and the paragraph that holds the link.
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx

from kg.knowledge import KnowledgeBase

FORMATS = ("graphml", "gexf", "json")


def _node_of(kind: str, target_id: str) -> str:
    return {"note": "concept", "missing": "concept", "source": "source", "file": "file"}[kind] + ":" + target_id


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """GraphML and GEXF take only scalars: drop None, join lists."""
    return {k: (", ".join(v) if isinstance(v, list) else v) for k, v in attrs.items() if v is not None}


def to_networkx(kb: KnowledgeBase) -> nx.MultiDiGraph:
    """The graph of concepts, notes, sources, tags and files, with typed edges."""
    g = nx.MultiDiGraph()
    for c in kb.concepts.values():
        g.add_node(f"concept:{c.id}", **_clean({"kind": "concept", "label": c.title, "stub": c.stub,
                                                "type": c.type, "aliases": c.aliases, "doc": c.doc}))
        if c.doc:
            g.add_node(f"note:{c.doc}", kind="note", label=c.doc)
            g.add_edge(f"note:{c.doc}", f"concept:{c.id}", relation="defines")
            for tag in c.tags:
                g.add_edge(f"concept:{c.id}", f"tag:{tag}", relation="tagged")
    for path, s in kb.source_meta():
        g.add_node(f"source:{kb.source_by_path[path]}", **_clean({"kind": "source", "label": s["title"], "doc": path,
                                                                  "author": s["author"], "date": s["date"],
                                                                  "url": s["url"]}))
    for node in [n for n in g if n.startswith("tag:")]:
        name = node[4:]
        g.nodes[node].update(kind="tag", label="#" + name)
        while "/" in name:  # nested tags sit within their parents
            parent = name.rsplit("/", 1)[0]
            g.add_node(f"tag:{parent}", kind="tag", label="#" + parent)
            g.add_edge(f"tag:{name}", f"tag:{parent}", relation="within")
            name = parent
    kb.block_texts(sorted({link.doc for link in kb.rows}))  # the paragraphs that hold links, in one read
    for link in kb.rows:
        holder = f"concept:{link.source_id}" if link.doc in kb.notes else f"source:{link.source_id}"
        target = _node_of(link.target_kind, link.target_id)
        if target not in g:
            g.add_node(target, kind="file", label=link.target_id)
        g.add_edge(holder, target, **_clean({"relation": link.relation, "doc": link.doc, "line": link.line,
                                             "label": link.label, "heading": link.heading,
                                             "context": kb.context(link)}))
    return g


def export(kb: KnowledgeBase, fmt: str) -> str:
    """The graph as GraphML, GEXF or node-link JSON text."""
    g = to_networkx(kb)
    if fmt == "json":
        return json.dumps(nx.node_link_data(g, edges="edges"), ensure_ascii=False, indent=1)
    lines = nx.generate_graphml(g) if fmt == "graphml" else nx.generate_gexf(g)
    return "\n".join(lines) + "\n"
