"""Real dbt runs on real DuckDB files through the engine and the runs/warehouse services."""

from __future__ import annotations

from decode_data.services import runs, warehouse


def test_seed_run_query_roundtrip(engine, db_session, learner, lesson):
    events = []
    seeded = runs.run_dbt(db_session, learner, lesson, "seed", on_event=events.append)
    assert seeded.ok, seeded.errors
    result = runs.run_dbt(db_session, learner, lesson, "run", on_event=events.append)
    assert result.ok, result.errors
    assert {n.name for n in result.nodes} == {"stg_orders", "orders_by_customer"}
    assert any(e["type"] == "node" and e["status"] == "running" for e in events)
    assert any(e["type"] == "log" for e in events)
    rows = warehouse.query(db_session, learner, lesson, "select count(*) as n from stg_orders")
    assert rows.ok and rows.preview.rows == [[1]]
    tables = {t["name"] for t in warehouse.list_tables(db_session, learner, lesson)}
    assert {"raw_orders", "stg_orders", "orders_by_customer"} <= tables


def test_runs_and_queries_count_in_progress(engine, db_session, learner, lesson):
    from decode_data.services.progress import get_progress

    runs.run_dbt(db_session, learner, lesson, "seed")
    warehouse.query(db_session, learner, lesson, "select 1")
    view = get_progress(db_session, learner, lesson)
    assert (view.runs, view.queries) == (1, 1)
