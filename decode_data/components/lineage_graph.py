"""The lineage graph of a lesson page: an SVG drawn from `services.lineage_view.layout_lineage`.

All geometry and colors come precomputed in the graph dict, so this file only maps its keys to
SVG attributes. Each node is an SVG link (`<a href="#">`): focusable with Tab and activated by
Enter like any link, with the browser's navigation prevented.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

svg = rx.el.svg
FONT = "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', sans-serif"


def _edge(edge: rx.Var) -> rx.Component:
    return svg.path(
        d=edge["d"],
        custom_attrs={
            "fill": "none",
            "stroke": edge["stroke"],
            "strokeWidth": edge["stroke_width"],
            "strokeLinecap": "round",
        },
    )


def _node(node: rx.Var, on_node_click: Callable) -> rx.Component:
    """One clickable box: tooltip, status-colored body, a kind-colored strip, the name."""
    return svg.a(
        svg.title(node["title"]),
        svg.rect(
            x=node["x"],
            y=node["y"],
            width=node["w"],
            height=node["h"],
            rx=8,
            custom_attrs={
                "fill": node["fill"],
                "stroke": node["stroke"],
                "strokeWidth": node["stroke_width"],
                "strokeDasharray": node["dash"],
            },
        ),
        svg.rect(
            x=node["accent_x"],
            y=node["accent_y"],
            width=4,
            height=node["accent_h"],
            rx=2,
            custom_attrs={"fill": node["accent"], "pointerEvents": "none"},
        ),
        svg.text(
            node["label"],
            x=node["label_x"],
            y=node["label_y"],
            custom_attrs={"fill": node["text_color"], "fontSize": 12, "fontFamily": FONT, "pointerEvents": "none"},
        ),
        key=node["id"],
        href="#",
        role="button",
        aria_label=node["title"],
        custom_attrs={"aria-pressed": node["selected"]},
        on_click=on_node_click(node["id"]).prevent_default,
        cursor="pointer",
    )


def lineage_graph(graph: rx.Var, on_node_click: Callable) -> rx.Component:
    """Draw a laid-out graph (a state var holding `layout_lineage(...)`), scrolling sideways.

    Nothing is drawn while the graph is empty (`{}` before the first run, or no nodes).

    `on_node_click` is an event handler taking the node's dbt unique_id (e.g.
    "model.demo.stg_orders"); `lineage_view.node_path(graph, node_id)` gives the file to open.
    """
    nodes = graph["nodes"].to(list[dict[str, Any]])
    edges = graph["edges"].to(list[dict[str, Any]])
    width, height = graph["width"].to(int), graph["height"].to(int)
    drawing = rx.box(
        svg(
            rx.foreach(edges, _edge),
            rx.foreach(nodes, lambda node: _node(node, on_node_click)),
            width=width,
            height=height,
            view_box=f"0 0 {width} {height}",
            xmlns="http://www.w3.org/2000/svg",
            role="group",
            aria_label="Lineage graph of this lesson's dbt project",
            display="block",
        ),
        overflow_x="auto",
        overflow_y="hidden",
        width="100%",
        max_width="100%",
    )
    return rx.cond(width > 0, drawing)
