"""Graph pictures for the site: layouts computed here with numpy, drawn as SVG.

The SVG is in the page, its nodes are plain links, so a graph works without JavaScript; the
site's script only adds pan, zoom and hover to the global graph.

- The local graph of a concept is its neighbourhood: the concept in the middle, what it links
  to and what links to it on a ring around it (networkx's shell layout, computed as networkx
  computes it: instant, and a reader sees at once what is near).
- The global graph is the most linked concepts of the vault in a force-directed layout
  (Fruchterman and Reingold's: linked concepts pull together, all push apart), computed once per
  change of the graph: the page is rebuilt only when its nodes or edges change, and laid out
  again only when which nodes are shown or which of them are linked changes (`global_layout`'s
  cache).

Neither imports networkx (kg.graph uses it for the exports): its import took 0.2-0.5 s of an
edit, and laying out 400 concepts here takes 0.2-0.3 s.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np


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
    positions = _rings(shells) if len(shown) > 1 else {centre.id: (0.0, 0.0)}
    if len(shells) == 3:  # turn the outer ring half a step, so labels do not stack
        step = math.pi / max(1, len(shells[2]))
        positions.update({k: _turn(positions[k], step) for k in shells[2]})
    kept = [(a, b, r) for a, b, r in edges if a in shown and b in shown and a != b]
    return Picture([centre, *ring], kept, {k: (float(x), float(y)) for k, (x, y) in positions.items()}, centre.id)


def _rings(shells: list[list[str]]) -> dict[str, tuple[float, float]]:
    """Concentric rings, the first at the centre when it holds one node: networkx's shell layout,
    computed as it computes it (so in float32), without importing networkx, which took 0.2 s of
    an edit whose pages draw only local graphs."""
    bump = 1 / len(shells)
    radius = 0.0 if len(shells[0]) == 1 else bump
    start = turn = np.pi / len(shells)
    out: dict[str, tuple[float, float]] = {}
    for nodes in shells:
        theta = np.linspace(0, 2 * np.pi, len(nodes), endpoint=False, dtype=np.float32) + start
        ring = radius * np.column_stack([np.cos(theta), np.sin(theta)]) + np.zeros(2)
        out.update((node, (float(x), float(y))) for node, (x, y) in zip(nodes, ring.tolist()))
        radius += bump
        start += turn
    return out


def _turn(point, angle: float) -> tuple[float, float]:
    x, y = point
    return (x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle))


def global_layout(nodes: list[Node], edges: list[tuple[str, str, str]], cache: Path | None = None) -> Picture:
    """The most linked concepts in a spring layout (fixed seed: the same vault, the same picture).
    The layout depends only on which nodes are shown and which pairs of them are linked, not on
    their labels or weights: `cache` (a file) keeps the last one under a digest of those, so an
    edit that changes neither lays nothing out (0.8 s of a 10k vault's edit with networkx)."""
    top = sorted(nodes, key=lambda n: (-n.weight, n.label.casefold()))[:GLOBAL_LIMIT]
    ids = {n.id for n in top}
    shown = sorted(ids)
    kept = [(a, b, r) for a, b, r in edges if a in ids and b in ids and a != b]
    if not shown:
        return Picture([], [])
    if len(shown) == 1:
        return Picture(top, kept, {shown[0]: (0.0, 0.0)})
    pairs = sorted({(min(a, b), max(a, b)) for a, b, _ in kept})
    key = hashlib.blake2b(json.dumps([LAYOUT_VERSION, shown, pairs]).encode(), digest_size=16).hexdigest()
    positions = _laid_out(cache, key)
    if positions is None:
        at = {node: n for n, node in enumerate(shown)}
        found = _spring(len(shown), [(at[a], at[b]) for a, b in pairs], 1.6 / math.sqrt(len(shown)))
        positions = {node: (float(x), float(y)) for node, (x, y) in zip(shown, found.tolist())}
        _keep_layout(cache, key, positions)
    return Picture(top, kept, positions)


def _spring(n: int, pairs: list[tuple[int, int]], k: float, iterations: int = 80, seed: int = 7) -> np.ndarray:
    """Fruchterman and Reingold's force-directed layout of n nodes with these links: every two
    nodes push apart with k²/d, linked ones pull together with d²/k, each step moves a node at
    most as far as the temperature, which cools from a tenth of the picture's width to nothing.
    Starts from seeded random places (the same vault, the same picture); returns positions
    centred on 0 and scaled into [-1, 1]."""
    x, y = np.random.default_rng(seed).random((2, n))
    linked = np.zeros((n, n))
    for a, b in pairs:
        linked[a, b] = linked[b, a] = 1.0
    linked /= k
    temperature = 0.1 * max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
        squared = np.maximum(dx * dx + dy * dy, 1e-4)
        force = k * k / squared - linked * np.sqrt(squared)  # along (dx, dy), per unit of it
        mx, my = (dx * force).sum(axis=1), (dy * force).sum(axis=1)
        length = np.hypot(mx, my)
        step = temperature / np.where(length < 0.01, 0.1, length)
        x += mx * step
        y += my * step
        temperature -= cooling
    pos = np.stack([x - x.mean(), y - y.mean()], axis=1)
    largest = float(np.abs(pos).max())
    return pos / largest if largest > 0 else pos


LAYOUT_VERSION = 2
"""Of `global_layout`'s cache: a layout kept by a kg that laid out otherwise is made again."""


def _laid_out(cache: Path | None, key: str) -> dict[str, tuple[float, float]] | None:
    """The positions `cache` keeps under `key`, or None (no cache, another key, unreadable)."""
    if cache is None:
        return None
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data["key"] == key:
            return {k: (float(x), float(y)) for k, (x, y) in data["positions"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _keep_layout(cache: Path | None, key: str, positions: dict[str, tuple[float, float]]) -> None:
    """Write the layout whole or not at all; a cache that cannot be written is not an error."""
    if cache is None:
        return
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": key, "positions": positions}), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        tmp.unlink(missing_ok=True)


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
