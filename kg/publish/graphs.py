"""Graph pictures for the site: layouts computed here (networkx), drawn as SVG.

The SVG is in the page, its nodes are plain links, so a graph works without JavaScript; the
site's script only adds pan, zoom and hover to the global graph.

- The local graph of a concept is its neighbourhood: the concept in the middle, what it links
  to and what links to it on a ring around it (networkx's shell layout: instant, and a reader
  sees at once what is near).
- The global graph is the most linked concepts of the vault (a spring layout, computed once
  per change of the graph: the page is rebuilt only when its nodes or edges change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape


LOCAL_LIMIT = 24
"""The most neighbours a local graph shows (the most linked first)."""
GLOBAL_LIMIT = 400
"""The most concepts the global graph shows (the most linked first)."""


@dataclass
class Node:
    id: str
    label: str
    href: str
    kind: str = "concept"
    """concept, stub, source or tag."""
    weight: int = 1


@dataclass
class Picture:
    """Nodes with positions in [-1, 1]² and the edges between them, ready to draw."""

    nodes: list[Node]
    edges: list[tuple[str, str, str]]
    """(from id, to id, relation)."""
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    centre: str | None = None


def ring_of(neighbours: list[Node]) -> list[Node]:
    """The neighbours a local graph shows, in the order it places them."""
    return sorted(neighbours, key=lambda n: (-n.weight, n.kind, n.label.casefold()))[:LOCAL_LIMIT]


def local_layout(centre: Node, neighbours: list[Node], edges: list[tuple[str, str, str]]) -> Picture:
    """The centre with its neighbours on a ring (two rings past a dozen)."""
    ring = ring_of(neighbours)
    shown = {centre.id} | {n.id for n in ring}
    shells = [[centre.id]]
    if len(ring) > 12:
        inner = [n.id for n in ring[:len(ring) // 2]]
        outer = [n.id for n in ring[len(ring) // 2:]]
        shells += [inner, outer]
    elif ring:
        shells.append([n.id for n in ring])
    import networkx as nx  # imported on first drawing: kg's other commands never pay for it

    g = nx.Graph()
    g.add_nodes_from(shown)
    positions = nx.shell_layout(g, shells) if len(shown) > 1 else {centre.id: (0.0, 0.0)}
    if len(shells) == 3:  # turn the outer ring half a step, so labels do not stack
        step = math.pi / max(1, len(shells[2]))
        positions.update({k: _turn(positions[k], step) for k in shells[2]})
    kept = [(a, b, r) for a, b, r in edges if a in shown and b in shown and a != b]
    return Picture([centre, *ring], kept, {k: (float(x), float(y)) for k, (x, y) in positions.items()}, centre.id)


def _turn(point, angle: float) -> tuple[float, float]:
    x, y = point
    return (x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle))


def global_layout(nodes: list[Node], edges: list[tuple[str, str, str]]) -> Picture:
    """The most linked concepts in a spring layout (fixed seed: the same vault, the same picture)."""
    top = sorted(nodes, key=lambda n: (-n.weight, n.label.casefold()))[:GLOBAL_LIMIT]
    shown = {n.id for n in top}
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(sorted(shown))
    kept = [(a, b, r) for a, b, r in edges if a in shown and b in shown and a != b]
    g.add_edges_from((a, b) for a, b, _ in kept)
    if len(g) == 0:
        return Picture([], [])
    if len(g) == 1:
        positions = {next(iter(g)): (0.0, 0.0)}
    else:
        k = 1.6 / math.sqrt(len(g))
        positions = nx.spring_layout(g, k=k, seed=7, iterations=80)
    return Picture(top, kept, {k: (float(x), float(y)) for k, (x, y) in positions.items()})


def svg(picture: Picture, width: int, height: int, title: str, label_limit: int = 28) -> str:
    """The picture as an inline SVG: edges, then nodes as links with their labels."""
    if not picture.nodes:
        return ""
    pad = 16 + 3.2 * min(label_limit, max((len(n.label) for n in picture.nodes), default=0))
    xs = [p[0] for p in picture.positions.values()] or [0.0]
    ys = [p[1] for p in picture.positions.values()] or [0.0]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0

    def at(node_id: str) -> tuple[float, float]:
        x, y = picture.positions[node_id]
        if len(picture.positions) == 1:
            return width / 2, height / 2
        return (pad + (x - min(xs)) / span_x * (width - 2 * pad), 28 + (y - min(ys)) / span_y * (height - 44))

    out = [f'<svg class="graph" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><g class="viewport">']
    for a, b, relation in picture.edges:
        (x1, y1), (x2, y2) = at(a), at(b)
        out.append(f'<line class="edge" data-relation="{escape(relation)}" x1="{x1:.1f}" y1="{y1:.1f}" '
                   f'x2="{x2:.1f}" y2="{y2:.1f}" data-from="{escape(a)}" data-to="{escape(b)}"/>')
    for node in picture.nodes:
        if node.id not in picture.positions:
            continue
        x, y = at(node.id)
        centre = node.id == picture.centre
        r = 9 if centre else min(8, 3.5 + math.log2(1 + node.weight))
        label = node.label if len(node.label) <= label_limit else node.label[:label_limit - 1] + "…"
        cls = f"node {node.kind}" + (" centre" if centre else "")
        out.append(f'<a class="{cls}" href="{escape(node.href)}" data-id="{escape(node.id)}">'
                   f'<title>{escape(node.label)}</title>'
                   f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'
                   f'<text x="{x:.1f}" y="{y - r - 4:.1f}" text-anchor="middle">{escape(label)}</text></a>')
    out.append("</g></svg>")
    return "".join(out)
