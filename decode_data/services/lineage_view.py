"""The lesson page's lineage graph as plain data: boxes, colors and edge paths for an SVG.

The layout is computed here, in plain Python, so the Reflex component only draws what it is
given and the layout itself is testable without a browser. Input is `JobResult.lineage`
(see engine/dbt_job.py `_lineage`) plus the per-node statuses streamed during a run.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

SHOWN_KINDS = ("source", "seed", "snapshot", "model")  # roots first when names tie
TEST_KINDS = ("test", "unit_test")

NODE_W, NODE_H = 150, 36
GAP_X, GAP_Y, PAD = 64, 16, 12
LABEL_MAX = 19  # characters that fit a box at 12px

RED = {"error", "fail", "runtime error", "test failed"}
BLUE = {"running", "started", "testing"}
AMBER = {"skipped", "warn", "test warning", "partial success"}
GREEN = {"success", "pass", "no-op", "tests passed"}

# Light tints with a strong outline, all readable with dark text on a white page.
TONES = {
    "green": ("#dcfce7", "#16a34a"),
    "red": ("#fee2e2", "#dc2626"),
    "blue": ("#dbeafe", "#2563eb"),
    "amber": ("#fef3c7", "#d97706"),
}
NEUTRAL_FILL = {"model": "#f5f3ff", "seed": "#f8fafc", "snapshot": "#fdf2f8", "source": "#ecfeff"}
NEUTRAL_STROKE = "#94a3b8"
KIND_ACCENT = {"model": "#7c3aed", "seed": "#64748b", "snapshot": "#db2777", "source": "#0e7490"}
TEXT_COLOR = "#0f172a"
SELECTED_STROKE = "#4338ca"
EDGE_STROKE, EDGE_HIGHLIGHT = "#cbd5e1", "#4338ca"


def tone_of(status: str) -> str:
    """The color family of a status: green, red, blue, amber or neutral."""
    for tone, members in (("red", RED), ("blue", BLUE), ("amber", AMBER), ("green", GREEN)):
        if status in members:
            return tone
    return "neutral"


def _tests_by_target(nodes: dict, shown: set[str]) -> dict[str, list[str]]:
    """Which shown node each test checks: its `attached` node, else every shown dependency."""
    targets: dict[str, list[str]] = defaultdict(list)
    for uid in sorted(nodes):
        node = nodes[uid]
        if node.get("resource_type") not in TEST_KINDS:
            continue
        attached = node.get("attached")
        checked = [attached] if attached in shown else [p for p in node.get("depends_on") or [] if p in shown]
        for target in dict.fromkeys(checked):
            targets[target].append(uid)
    return targets


def effective_status(own: str, test_statuses: list[str]) -> str:
    """A node's own status with its tests folded in, so a failing test marks the model it tests."""
    if own in RED:
        return own
    if any(s in RED for s in test_statuses):
        return "test failed"
    if own in BLUE:
        return own
    if any(s in BLUE for s in test_statuses):
        return "testing"
    if own in AMBER:
        return own
    if any(s in AMBER - {"skipped"} for s in test_statuses):
        return "test warning"
    if not own and test_statuses and all(s in GREEN for s in test_statuses):
        return "tests passed"
    return own


def _layers(ids: list[str], parents: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from a root, by topological order; a cycle is broken, never looped on."""
    children: dict[str, list[str]] = defaultdict(list)
    waiting = {uid: len(parents[uid]) for uid in ids}
    for uid in ids:
        for parent in parents[uid]:
            children[parent].append(uid)
    layer: dict[str, int] = {}
    ready = [uid for uid in ids if waiting[uid] == 0]
    while len(layer) < len(ids):
        if not ready:  # only a cycle is left: place its first node as if it were a root
            ready = [next(uid for uid in ids if uid not in layer)]
        uid = ready.pop(0)
        if uid in layer:
            continue
        placed = [layer[p] for p in parents[uid] if p in layer]
        layer[uid] = max(placed) + 1 if placed else 0
        for child in children[uid]:
            waiting[child] -= 1
            if waiting[child] == 0 and child not in layer:
                ready.append(child)
    return layer


def _order(ids: list[str], nodes: dict, parents: dict[str, list[str]], layer: dict[str, int]) -> list[list[str]]:
    """Nodes per layer, each layer sorted by the mean height of its parents (fewer crossings)."""
    by_layer: dict[int, list[str]] = defaultdict(list)
    for uid in ids:
        by_layer[layer[uid]].append(uid)
    slot: dict[str, float] = {}
    ordered = []
    for depth in range(max(by_layer) + 1 if by_layer else 0):
        members = by_layer.get(depth, [])

        def key(uid: str) -> tuple:
            placed = [slot[p] for p in parents[uid] if p in slot]
            center = sum(placed) / len(placed) if placed else 0.0
            kind = SHOWN_KINDS.index(nodes[uid]["resource_type"])
            return (round(center, 6), kind, nodes[uid].get("name") or uid, uid)

        members = sorted(members, key=key)
        for index, uid in enumerate(members):
            slot[uid] = index - (len(members) - 1) / 2  # layers are drawn vertically centered
        ordered.append(members)
    return ordered


def _label(name: str) -> str:
    return name if len(name) <= LABEL_MAX else name[: LABEL_MAX - 1] + "…"


def _num(value: float) -> str:
    return f"{round(value, 1):g}"


def _edge_path(x1: float, y1: float, x2: float, y2: float) -> str:
    """A smooth left-to-right cubic bezier ending in a small open arrowhead."""
    bend = max(24.0, (x2 - x1) / 2)
    curve = (
        f"M {_num(x1)} {_num(y1)} C {_num(x1 + bend)} {_num(y1)}, {_num(x2 - bend)} {_num(y2)}, {_num(x2)} {_num(y2)}"
    )
    arrow = f"M {_num(x2 - 6)} {_num(y2 - 4)} L {_num(x2)} {_num(y2)} L {_num(x2 - 6)} {_num(y2 + 4)}"
    return f"{curve} {arrow}"


def _blocked(layers: list[list[float]]) -> list[tuple[float, float]]:
    """The heights a straight run across these layers (their boxes' tops) may not take: the
    spans their boxes block, overlapping ones merged, sorted."""
    spans = sorted((top - GAP_Y / 2, top + NODE_H + GAP_Y / 2) for tops in layers for top in tops)
    merged: list[tuple[float, float]] = []
    for low, high in spans:
        if merged and low < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _lane(merged: list[tuple[float, float]], want: float) -> float:
    """The free height nearest `want`: want itself when no box blocks it, else the nearer edge of
    the span that does. Sorted spans keep it logarithmic, so a learner's project of many models
    and edges lays out in milliseconds (checking every box for every edge took seconds)."""
    index = bisect.bisect_right([low for low, _ in merged], want) - 1
    if index < 0 or not merged[index][0] < want < merged[index][1]:
        return want
    low, high = merged[index]
    return min((low, high), key=lambda c: (abs(c - want), c))


def _long_edge_path(x1: float, y1: float, x2: float, y2: float, xa: float, xb: float, lane: float) -> str:
    """An edge that skips layers: into a free lane before the first skipped layer, straight
    along it past every box in between, then into its child: it never passes behind a box."""
    bend = GAP_X / 2
    path = (
        f"M {_num(x1)} {_num(y1)} C {_num(x1 + bend)} {_num(y1)}, {_num(xa - bend)} {_num(lane)}, "
        f"{_num(xa)} {_num(lane)} L {_num(xb)} {_num(lane)} "
        f"C {_num(xb + bend)} {_num(lane)}, {_num(x2 - bend)} {_num(y2)}, {_num(x2)} {_num(y2)}"
    )
    arrow = f"M {_num(x2 - 6)} {_num(y2 - 4)} L {_num(x2)} {_num(y2)} L {_num(x2 - 6)} {_num(y2 + 4)}"
    return f"{path} {arrow}"


def _node_view(uid: str, node: dict, x: float, y: float, status: str, selected: bool) -> dict:
    kind = node["resource_type"]
    tone = tone_of(status)
    fill, stroke = TONES.get(tone, (NEUTRAL_FILL[kind], NEUTRAL_STROKE))
    name = node.get("name") or uid
    title = f"{name} ({kind})" + (f" · {status}" if status else "")
    return {
        "id": uid,
        "name": name,
        "kind": kind,
        "path": node.get("path") or "",
        "x": x,
        "y": y,
        "w": NODE_W,
        "h": NODE_H,
        "status": status,
        "tone": tone,
        "selected": selected,
        "fill": fill,
        "stroke": SELECTED_STROKE if selected else stroke,
        "stroke_width": 3 if selected else 1.5,
        "dash": "4 3" if kind == "source" else "",
        "accent": KIND_ACCENT[kind],
        "accent_x": x + 5,
        "accent_y": y + 7,
        "accent_h": NODE_H - 14,
        "text_color": TEXT_COLOR,
        "label": _label(name),
        "label_x": x + 16,
        "label_y": y + NODE_H / 2 + 4,
        "title": title,
    }


def layout_lineage(lineage: dict, statuses: dict[str, str] | None = None, selected: str | None = None) -> dict:
    """Boxes and edges for the lineage SVG: models, seeds, snapshots and sources, left to right.

    `statuses` maps unique_id -> dbt status (tests included: they are folded into the node they
    test); `selected` is a unique_id whose box and edges are highlighted.
    """
    nodes = (lineage or {}).get("nodes") or {}
    statuses = statuses or {}
    ids = sorted(uid for uid, n in nodes.items() if n.get("resource_type") in SHOWN_KINDS)
    if not ids:
        return {"width": 0, "height": 0, "nodes": [], "edges": []}
    shown = set(ids)
    parents = {
        uid: [p for p in dict.fromkeys(nodes[uid].get("depends_on") or []) if p in shown and p != uid] for uid in ids
    }
    tests = _tests_by_target(nodes, shown)
    ordered = _order(ids, nodes, parents, _layers(ids, parents))
    tallest = max(len(members) for members in ordered)
    boxes: dict[str, tuple[float, float]] = {}
    views = []
    for depth, members in enumerate(ordered):
        top = PAD + (tallest - len(members)) * (NODE_H + GAP_Y) / 2
        for index, uid in enumerate(members):
            x, y = PAD + depth * (NODE_W + GAP_X), top + index * (NODE_H + GAP_Y)
            boxes[uid] = (x, y)
            status = effective_status(
                statuses.get(uid) or "", [statuses[t] for t in tests.get(uid, []) if statuses.get(t)]
            )
            views.append(_node_view(uid, nodes[uid], x, y, status, uid == selected))
    depth_of = {uid: depth for depth, members in enumerate(ordered) for uid in members}
    tops = [[boxes[uid][1] for uid in members] for members in ordered]
    edges = []
    blocked: dict[tuple[int, int], list] = {}  # one per run of skipped layers, shared by its edges
    for uid in ids:
        for parent in parents[uid]:
            (px, py), (cx, cy) = boxes[parent], boxes[uid]
            lit = selected in (parent, uid)
            start, end = depth_of[parent] + 1, depth_of[uid] - 1
            if end >= start:  # layers in between: go round their boxes
                if (start, end) not in blocked:
                    blocked[start, end] = _blocked(tops[start : end + 1])
                lane = _lane(blocked[start, end], (py + cy) / 2 + NODE_H / 2)
                xa, xb = PAD + start * (NODE_W + GAP_X), PAD + end * (NODE_W + GAP_X) + NODE_W
                d = _long_edge_path(px + NODE_W, py + NODE_H / 2, cx, cy + NODE_H / 2, xa, xb, lane)
            else:
                d = _edge_path(px + NODE_W, py + NODE_H / 2, cx, cy + NODE_H / 2)
            edges.append(
                {
                    "d": d,
                    "highlight": lit,
                    "source": parent,
                    "target": uid,
                    "stroke": EDGE_HIGHLIGHT if lit else EDGE_STROKE,
                    "stroke_width": 2.5 if lit else 1.5,
                }
            )
    edges.sort(key=lambda e: e["highlight"])  # highlighted edges drawn last, on top
    width = 2 * PAD + len(ordered) * NODE_W + (len(ordered) - 1) * GAP_X
    height = 2 * PAD + tallest * NODE_H + (tallest - 1) * GAP_Y
    return {"width": int(width), "height": int(height), "nodes": views, "edges": edges}


def node_path(graph: dict, node_id: str) -> str:
    """The file of a node in a laid-out graph ('' if unknown): what a click on it should open."""
    return next((n["path"] for n in graph.get("nodes", []) if n["id"] == node_id), "")
