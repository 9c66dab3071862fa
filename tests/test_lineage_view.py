"""The lineage graph: layered layout, statuses with tests folded in, and its Reflex component."""

from __future__ import annotations

import json

from decode_data.services.lineage_view import (
    EDGE_HIGHLIGHT,
    NODE_H,
    NODE_W,
    SELECTED_STROKE,
    TONES,
    layout_lineage,
    node_path,
)


def _node(name: str, kind: str = "model", parents: tuple[str, ...] = (), **extra) -> dict:
    folder = {"seed": "seeds", "source": "models"}.get(kind, "models")
    ext = "csv" if kind == "seed" else "sql"
    return {
        "name": name,
        "resource_type": kind,
        "path": f"{folder}/{name}.{ext}",
        "materialized": None,
        "depends_on": list(parents),
        **extra,
    }


DIAMOND = {
    "nodes": {
        "seed.p.raw": _node("raw", "seed"),
        "model.p.stg_a": _node("stg_a", parents=("seed.p.raw",)),
        "model.p.stg_b": _node("stg_b", parents=("seed.p.raw",)),
        "model.p.fct": _node("fct", parents=("model.p.stg_a", "model.p.stg_b")),
    }
}


def _by_id(graph: dict) -> dict[str, dict]:
    return {n["id"]: n for n in graph["nodes"]}


def test_diamond_is_layered_left_to_right():
    graph = layout_lineage(DIAMOND)
    nodes = _by_id(graph)
    xs = {uid: n["x"] for uid, n in nodes.items()}
    assert xs["seed.p.raw"] < xs["model.p.stg_a"] == xs["model.p.stg_b"] < xs["model.p.fct"]
    assert nodes["model.p.stg_a"]["y"] < nodes["model.p.stg_b"]["y"]
    assert nodes["seed.p.raw"]["y"] == nodes["model.p.fct"]["y"]  # single nodes sit centered
    assert len(graph["edges"]) == 4
    assert all(e["d"].startswith("M ") and " C " in e["d"] for e in graph["edges"])
    assert graph["width"] >= 3 * NODE_W and graph["height"] >= 2 * NODE_H
    assert all(n["x"] + n["w"] <= graph["width"] and n["y"] + n["h"] <= graph["height"] for n in graph["nodes"])
    json.dumps(graph)  # plain data, ready for a Reflex state var


def test_layer_is_the_longest_path_from_a_root():
    shortcut = _node("shortcut", parents=("seed.p.raw", "model.p.fct"))
    lineage = {"nodes": {**DIAMOND["nodes"], "model.p.shortcut": shortcut}}
    nodes = _by_id(layout_lineage(lineage))
    assert nodes["model.p.shortcut"]["x"] > nodes["model.p.fct"]["x"]


def test_children_are_ordered_by_their_parents_position():
    lineage = {
        "nodes": {
            "seed.p.a_raw": _node("a_raw", "seed"),
            "seed.p.b_raw": _node("b_raw", "seed"),
            "model.p.z_from_a": _node("z_from_a", parents=("seed.p.a_raw",)),
            "model.p.m_from_b": _node("m_from_b", parents=("seed.p.b_raw",)),
        }
    }
    nodes = _by_id(layout_lineage(lineage))
    assert nodes["seed.p.a_raw"]["y"] < nodes["seed.p.b_raw"]["y"]
    assert nodes["model.p.z_from_a"]["y"] < nodes["model.p.m_from_b"]["y"]  # not alphabetical
    shuffled = {"nodes": dict(reversed(lineage["nodes"].items()))}
    assert layout_lineage(shuffled) == layout_lineage(lineage)  # deterministic


def test_tests_are_hidden_and_a_failing_test_marks_its_model():
    lineage = {
        "nodes": {
            **DIAMOND["nodes"],
            "test.p.not_null_stg_a_id": _node(
                "not_null_stg_a_id", "test", ("model.p.stg_a",), attached="model.p.stg_a"
            ),
            "test.p.rel_fct": _node(
                "relationships_fct", "test", ("model.p.fct", "model.p.stg_b"), attached="model.p.fct"
            ),
            "unit_test.p.fct.checks_sum": _node("checks_sum", "unit_test", ("model.p.stg_a",), attached="model.p.fct"),
        }
    }
    statuses = {
        "seed.p.raw": "success",
        "model.p.stg_a": "success",
        "model.p.stg_b": "success",
        "model.p.fct": "success",
        "test.p.not_null_stg_a_id": "fail",
        "test.p.rel_fct": "pass",
        "unit_test.p.fct.checks_sum": "running",
    }
    graph = layout_lineage(lineage, statuses)
    nodes = _by_id(graph)
    assert set(nodes) == set(DIAMOND["nodes"])
    assert nodes["model.p.stg_a"]["status"] == "test failed"
    assert (nodes["model.p.stg_a"]["fill"], nodes["model.p.stg_a"]["stroke"]) == TONES["red"]
    assert nodes["model.p.stg_b"]["status"] == "success"  # the relationships test is fct's
    assert nodes["model.p.stg_b"]["fill"] == TONES["green"][0]
    assert nodes["model.p.fct"]["status"] == "testing"
    assert "test failed" in nodes["model.p.stg_a"]["title"]
    assert len(graph["edges"]) == 4


def test_status_colors_and_no_status_is_neutral():
    statuses = {"seed.p.raw": "success", "model.p.stg_a": "error", "model.p.stg_b": "skipped", "model.p.fct": "running"}
    nodes = _by_id(layout_lineage(DIAMOND, statuses))
    tones = {uid: n["tone"] for uid, n in nodes.items()}
    assert tones == {"seed.p.raw": "green", "model.p.stg_a": "red", "model.p.stg_b": "amber", "model.p.fct": "blue"}
    plain = _by_id(layout_lineage(DIAMOND))
    assert {n["tone"] for n in plain.values()} == {"neutral"}
    assert plain["seed.p.raw"]["fill"] != plain["model.p.fct"]["fill"]  # kinds differ subtly


def test_selected_node_and_its_edges_are_highlighted():
    graph = layout_lineage(DIAMOND, selected="model.p.stg_a")
    nodes = _by_id(graph)
    assert nodes["model.p.stg_a"]["selected"]
    assert nodes["model.p.stg_a"]["stroke"] == SELECTED_STROKE
    assert nodes["model.p.stg_a"]["stroke_width"] > nodes["model.p.fct"]["stroke_width"]
    assert not nodes["model.p.fct"]["selected"]
    lit = {(e["source"], e["target"]) for e in graph["edges"] if e["highlight"]}
    assert lit == {("seed.p.raw", "model.p.stg_a"), ("model.p.stg_a", "model.p.fct")}
    assert graph["edges"][-1]["highlight"] and graph["edges"][-1]["stroke"] == EDGE_HIGHLIGHT
    assert node_path(graph, "model.p.stg_a") == "models/stg_a.sql"
    assert node_path(graph, "model.p.gone") == ""


def test_empty_missing_parents_cycles_and_long_names():
    empty = {"width": 0, "height": 0, "nodes": [], "edges": []}
    assert layout_lineage({}) == empty
    assert layout_lineage({"nodes": {}}, {"x": "success"}, "x") == empty
    assert layout_lineage({"nodes": {"test.p.t": _node("t", "test")}}) == empty
    orphan = {"nodes": {"model.p.m": _node("m", parents=("model.p.deleted", "source.p.gone"))}}
    graph = layout_lineage(orphan)
    assert [n["id"] for n in graph["nodes"]] == ["model.p.m"] and graph["edges"] == []
    cycle = {
        "nodes": {
            "model.p.a": _node("a", parents=("model.p.b",)),
            "model.p.b": _node("b", parents=("model.p.a",)),
            "model.p.c": _node("c", parents=("model.p.c",)),
        }
    }
    assert {n["id"] for n in layout_lineage(cycle)["nodes"]} == set(cycle["nodes"])
    long_name = "a_really_long_model_name_for_the_box"
    label = _by_id(layout_lineage({"nodes": {"model.p.l": _node(long_name)}}))["model.p.l"]["label"]
    assert label.endswith("…") and len(label) < len(long_name)


def test_lineage_graph_component_renders():
    import reflex as rx

    from decode_data.components.lineage_graph import lineage_graph

    class LineageProbeState(rx.State):
        graph: dict = {}
        picked: str = ""
        zoom: int = 0

        @rx.event
        def pick(self, node_id: str):
            self.picked = node_id

        @rx.event
        def set_zoom(self, zoom: int):
            self.zoom = zoom

    component = lineage_graph(
        LineageProbeState.graph, LineageProbeState.pick, LineageProbeState.zoom, LineageProbeState.set_zoom
    )
    assert component.render()["children"]
    jsx = str(component)  # the JavaScript Reflex would compile for the page
    assert all(f'jsx("{tag}"' in jsx for tag in ("svg", "a", "rect", "path", "text", "title"))
    assert ".pick" in jsx and "preventDefault" in jsx and '["nodes"]' in jsx
    assert ".set_zoom" in jsx and "lineage-fit" in jsx  # fit, zoom in and out


def test_layout_of_a_real_dbt_build(engine, db_session, learner, lesson):
    from decode_data.services import runs
    from decode_data.services.workspace import save_file

    for rel in ("models/staging/stg_orders.sql", "models/marts/orders_by_customer.sql"):
        save_file(db_session, learner, lesson, rel, (lesson.dir / "solution" / rel).read_text())
    save_file(
        db_session,
        learner,
        lesson,
        "models/schema.yml",
        "version: 2\nmodels:\n  - name: stg_orders\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
    )
    streamed: dict[str, str] = {}

    def on_event(event: dict) -> None:
        if event["type"] == "node":
            streamed[event["unique_id"]] = event["status"]

    result = runs.run_dbt(db_session, learner, lesson, "build", on_event=on_event)
    assert result.ok, result.errors
    statuses = {n.unique_id: n.status for n in result.nodes}
    assert any(uid.startswith("test.") for uid in statuses)
    graph = layout_lineage(result.lineage, statuses)
    nodes = {n["name"]: n for n in graph["nodes"]}
    assert {"raw_orders", "stg_orders", "orders_by_customer"} <= set(nodes)
    assert all(n["kind"] != "test" for n in graph["nodes"])
    assert all(nodes[name]["status"] == "success" for name in ("raw_orders", "stg_orders", "orders_by_customer"))
    ids = {name: nodes[name]["id"] for name in nodes}
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert {(ids["raw_orders"], ids["stg_orders"]), (ids["stg_orders"], ids["orders_by_customer"])} <= edges
    assert nodes["raw_orders"]["x"] < nodes["stg_orders"]["x"] < nodes["orders_by_customer"]["x"]
    assert layout_lineage(result.lineage, streamed) == graph  # the streamed statuses agree


def _crosses_box(path: str, box: dict) -> bool:
    """Whether a straight `L` run of the edge path goes through the box (between its sides)."""
    import re

    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", path.split(" M ")[0])]
    points = list(zip(numbers[0::2], numbers[1::2], strict=False))
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        across = ya == yb and min(xa, xb) < box["x"] + NODE_W and max(xa, xb) > box["x"]
        if across and box["y"] <= ya <= box["y"] + NODE_H:
            return True
    return False


def test_an_edge_that_skips_layers_goes_round_the_boxes_in_between():
    """hello_dbt's shape: customers reads stg_customers (layer 1) and customer_orders (layer 2):
    the edge from stg_customers to customers must not pass behind customer_orders."""
    lineage = {
        "nodes": {
            "seed.p.raw_customers": _node("raw_customers", "seed"),
            "seed.p.raw_orders": _node("raw_orders", "seed"),
            "model.p.stg_customers": _node("stg_customers", parents=("seed.p.raw_customers",)),
            "model.p.stg_orders": _node("stg_orders", parents=("seed.p.raw_orders",)),
            "model.p.customer_orders": _node("customer_orders", parents=("model.p.stg_orders",)),
            "model.p.customers": _node("customers", parents=("model.p.stg_customers", "model.p.customer_orders")),
        }
    }
    graph = layout_lineage(lineage)
    nodes = _by_id(graph)
    long = next(e for e in graph["edges"] if e["source"] == "model.p.stg_customers")
    assert " L " in long["d"].split(" M ")[0]  # routed through a lane, not one curve across
    for uid, box in nodes.items():
        if uid not in (long["source"], long["target"]):
            assert not _crosses_box(long["d"], box), uid
    short = next(e for e in graph["edges"] if e["source"] == "model.p.stg_orders")
    assert " L " not in short["d"].split(" M ")[0]  # neighbours keep their single curve
