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


ZOOM_STEP = 25  # percent of the graph's natural size per click
ZOOM_MAX = 300


def _zoom_bar(zoom: rx.Var, on_zoom: Callable) -> rx.Component:
    """Fit (the default: the whole graph in the pane), or a size the learner scrolls around in."""
    return rx.hstack(
        rx.icon_button(
            rx.icon("zoom_out", size=14),
            size="1",
            variant="soft",
            aria_label="Zoom out",
            on_click=on_zoom(rx.cond(zoom == 0, 100 - ZOOM_STEP, zoom - ZOOM_STEP)),
            id="lineage-zoom-out",
        ),
        rx.button("Fit", size="1", variant=rx.cond(zoom == 0, "solid", "soft"), on_click=on_zoom(0), id="lineage-fit"),
        rx.icon_button(
            rx.icon("zoom_in", size=14),
            size="1",
            variant="soft",
            aria_label="Zoom in",
            on_click=on_zoom(rx.cond(zoom == 0, 100 + ZOOM_STEP, zoom + ZOOM_STEP)),
            id="lineage-zoom-in",
        ),
        rx.text(rx.cond(zoom == 0, "fit", zoom.to_string() + "%"), size="1", color_scheme="gray"),
        spacing="1",
        align="center",
    )


def lineage_graph(graph: rx.Var, on_node_click: Callable, zoom: rx.Var, on_zoom: Callable) -> rx.Component:
    """Draw a laid-out graph (a state var holding `layout_lineage(...)`): fitted to the pane by
    default, or zoomed (`zoom` percent of its natural size) and panned by scrolling.

    Nothing is drawn while the graph is empty (`{}` before the first run, or no nodes).

    `on_node_click` is an event handler taking the node's dbt unique_id (e.g.
    "model.demo.stg_orders"); `lineage_view.node_path(graph, node_id)` gives the file to open.
    `on_zoom` takes the new zoom (0: fit).
    """
    nodes = graph["nodes"].to(list[dict[str, Any]])
    edges = graph["edges"].to(list[dict[str, Any]])
    width, height = graph["width"].to(int), graph["height"].to(int)
    drawing = rx.vstack(
        _zoom_bar(zoom, on_zoom),
        rx.box(
            svg(
                rx.foreach(edges, _edge),
                rx.foreach(nodes, lambda node: _node(node, on_node_click)),
                # Fit: as wide as the pane (never wider than life size); zoomed: its own size.
                width=rx.cond(zoom == 0, "100%", (width * zoom / 100).to_string() + "px"),
                max_width=rx.cond(zoom == 0, width.to_string() + "px", "none"),
                height="auto",
                view_box=f"0 0 {width} {height}",
                preserve_aspect_ratio="xMinYMin meet",
                xmlns="http://www.w3.org/2000/svg",
                role="group",
                aria_label="Lineage graph of this lesson's dbt project",
                display="block",
                id="lineage-svg",
            ),
            overflow="auto",
            max_height="60vh",
            width="100%",
            max_width="100%",
        ),
        spacing="1",
        width="100%",
    )
    return rx.cond(width > 0, drawing)
