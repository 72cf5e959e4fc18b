"""The run graph, laid out here and drawn as inline SVG (no JavaScript layout library).

sagestep's generic state machine runs its stages in one fixed order (each stage a Choice on
its run flag, then its work), so the graph a user reads is a chain of stages between Start
and End. A longest-path layering of a chain is its order; we place one node per layer,
top to bottom, which reads the same at laptop and phone widths (the SVG scales to its box).
Each node carries its status as a CSS class *and* as an icon and a word, so it reads without
colour; the page's script swaps both as the run moves on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 300
NODE_W = 240
NODE_H = 46
GAP = 22
TERMINAL_H = 26

STATUS_TEXT = {
    "PENDING": ("○", "pending"),
    "RUNNING": ("▶", "running"),
    "RETRYING": ("↻", "retrying"),
    "WAITING_FOR_APPROVAL": ("‖", "waiting for approval"),
    "WAITING_FOR_CAPACITY": ("⧗", "waiting for capacity"),
    "WAITING_FOR_ENDPOINT": ("⧗", "waiting for the endpoint"),
    "SUCCEEDED": ("✓", "succeeded"),
    "FAILED": ("✗", "failed"),
    "ABORTED": ("■", "stopped"),
    "SKIPPED": ("–", "skipped"),
}


@dataclass(frozen=True)
class Node:
    key: str  # stage key, or "start"/"end"
    label: str
    status: str
    x: int
    y: int
    h: int


def status_label(status: str) -> str:
    icon, word = STATUS_TEXT.get(status, ("?", status.lower()))
    return f"{icon} {word}"


def layout(stages: Sequence[tuple[str, str]]) -> tuple[list[Node], int]:
    """Nodes (stage, status) placed layer by layer; returns them and the drawing height."""
    nodes = [Node("start", "Start", "", (WIDTH - 120) // 2, 0, TERMINAL_H)]
    y = TERMINAL_H + GAP
    for stage, status in stages:
        nodes.append(Node(stage, stage.replace("_", " "), status, (WIDTH - NODE_W) // 2, y, NODE_H))
        y += NODE_H + GAP
    nodes.append(Node("end", "End", "", (WIDTH - 120) // 2, y, TERMINAL_H))
    return nodes, y + TERMINAL_H + 2


def svg(stages: Sequence[tuple[str, str]]) -> str:
    """The graph as an SVG element (stage names are escaped: configs name them)."""
    nodes, height = layout(stages)
    parts = [f'<svg class="graph" viewBox="0 0 {WIDTH} {height}" role="group" '
             f'aria-label="pipeline graph" preserveAspectRatio="xMidYMin meet">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z"/></marker></defs>']
    for upper, lower in zip(nodes, nodes[1:], strict=False):
        cx = WIDTH // 2
        parts.append(f'<line class="edge" x1="{cx}" y1="{upper.y + upper.h}" x2="{cx}" '
                     f'y2="{lower.y - 2}" marker-end="url(#arrow)"/>')
    for node in nodes:
        parts.append(_node(node))
    parts.append("</svg>")
    return "".join(parts)


def _node(node: Node) -> str:
    if node.key in ("start", "end"):
        w = 120
        return (f'<g class="terminal"><rect x="{node.x}" y="{node.y}" width="{w}" '
                f'height="{node.h}" rx="13"/><text x="{node.x + w // 2}" y="{node.y + 17}" '
                f'text-anchor="middle">{node.label}</text></g>')
    key = escape(node.key)
    label = escape(node.label)
    state = escape(status_label(node.status))
    return (f'<g class="node st-{escape(node.status)}" data-stage="{key}" tabindex="0" '
            f'role="button" aria-label="{label}: {state}">'
            f'<rect x="{node.x}" y="{node.y}" width="{NODE_W}" height="{node.h}" rx="6"/>'
            f'<text class="name" x="{node.x + 12}" y="{node.y + 19}">{label}</text>'
            f'<text class="state" x="{node.x + 12}" y="{node.y + 37}">{state}</text></g>')
