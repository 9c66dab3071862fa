"""Read-only queries on a learner's warehouse, run inside the confined job process.

The connection is read-only and gets the same lockdown as dbt's, so the query page cannot
do anything a dbt model could not.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from decode_data.services.engine.errors import clean_message
from decode_data.services.engine.jobs import Job, JobResult, LearnerError, Preview
from decode_data.services.engine.lockdown import CONNECT_CONFIG, apply_lockdown
from decode_data.services.engine.values import json_row

_TABLES_SQL = """
select c.table_schema, c.table_name, t.table_type, c.column_name, c.data_type
from information_schema.columns c
join information_schema.tables t using (table_catalog, table_schema, table_name)
where c.table_schema not in ('information_schema', 'pg_catalog')
order by c.table_schema, c.table_name, c.ordinal_position
"""


def _connect(warehouse: Path, lockdown: dict):
    conn = duckdb.connect(str(warehouse), read_only=True, config=dict(CONNECT_CONFIG))
    apply_lockdown(conn, lockdown)
    return conn


def connect(warehouse: Path, lockdown: dict):
    """A read-only, locked-down connection that a query process keeps open between queries."""
    return _connect(warehouse, lockdown)


@contextmanager
def _session(warehouse: Path, lockdown: dict, db):
    """A fresh DuckDB session per query: its own connection, or a new cursor on `db` (no file
    open; nothing a query leaves behind, such as a temp table, a variable or an open
    transaction, reaches the next one). A cursor does not inherit max_execution_time (a
    session setting, and the locked configuration refuses to set it again), so a timer
    interrupts it instead."""
    if db is None:
        conn = _connect(warehouse, lockdown)
        try:
            yield conn
        finally:
            conn.close()
        return
    conn = db.cursor()
    timer = threading.Timer(int(lockdown["max_execution_ms"]) / 1000, conn.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield conn
    finally:
        timer.cancel()
        conn.close()


def _no_warehouse(job: Job) -> JobResult:
    return JobResult(
        status="failed",
        command=job.command,
        errors=[LearnerError(message="Your warehouse is empty: run `dbt seed` or `dbt run` first.")],
    )


def run_query(job: Job, warehouse: Path, lockdown: dict, db=None) -> JobResult:
    started = time.monotonic()
    if not warehouse.exists():
        return _no_warehouse(job)
    if not (job.sql or "").strip():
        return JobResult(
            status="rejected", command=job.command, errors=[LearnerError(message="Write a SQL query first.")]
        )
    try:
        with _session(warehouse, lockdown, db) as conn:
            cursor = conn.execute(job.sql)
            columns = [d[0] for d in cursor.description or []]
            rows = [json_row(r) for r in cursor.fetchmany(job.row_cap)] if columns else []
            total = len(rows)
            if columns and total == job.row_cap:
                while batch := cursor.fetchmany(10_000):
                    total += len(batch)
        return JobResult(
            status="success",
            command=job.command,
            elapsed_s=time.monotonic() - started,
            preview=Preview(columns=columns, rows=rows, total_rows=total, truncated=total > len(rows)),
        )
    except duckdb.Error as exc:
        message = clean_message(str(exc))
        if "read-only" in message.lower():
            message = "The query page is read-only: change your warehouse through dbt models.\n" + message
        elif isinstance(exc, duckdb.InterruptException):
            limit = int(lockdown["max_execution_ms"]) / 1000
            message = f"The query ran past its {limit:g} s and was stopped: add a filter, a limit or an aggregate."
        return JobResult(
            status="failed",
            command=job.command,
            elapsed_s=time.monotonic() - started,
            errors=[LearnerError(message=message)],
        )


def list_tables(job: Job, warehouse: Path, lockdown: dict, conn=None, db=None) -> JobResult:
    if not warehouse.exists():
        return JobResult(status="success", command=job.command)
    if conn is None:
        with _session(warehouse, lockdown, db) as session:
            return list_tables(job, warehouse, lockdown, conn=session)
    tables: dict[tuple, dict] = {}
    for schema, name, kind, column, dtype in conn.execute(_TABLES_SQL).fetchall():
        entry = tables.setdefault(
            (schema, name),
            {"schema": schema, "name": name, "type": "view" if kind == "VIEW" else "table", "columns": []},
        )
        entry["columns"].append({"name": column, "type": dtype})
    return JobResult(status="success", command=job.command, tables=list(tables.values()))


def dump_relations(job: Job, warehouse: Path, lockdown: dict, db=None) -> list[dict]:
    """The relations of the schema `main` with their rows (capped), for the grader, in one pass:
    every one, or those `job.relations` names. `db`: a locked-down database already open on
    the warehouse (the one dbt just built it with), read through a session of its own.

    A view that fails when read (a cast or a date parse that errors at query time) keeps the
    database's error instead of its rows, so the grader can show it rather than "missing".
    """
    if not warehouse.exists():
        return []
    with _session(warehouse, lockdown, db) as conn:
        listed = list_tables(job, warehouse, lockdown, conn=conn).tables
        wanted = None if job.relations is None else {name.lower() for name in job.relations}
        listed = [t for t in listed if t["schema"] == "main" and (wanted is None or t["name"].lower() in wanted)]
        for entry in listed:
            try:
                quoted = entry["name"].replace('"', '""')
                cursor = conn.execute(f'select * from main."{quoted}"')
                entry["types"] = {c["name"]: c["type"] for c in entry["columns"]}
                entry["columns"] = [d[0] for d in cursor.description or []]
                entry["rows"] = [json_row(r) for r in cursor.fetchmany(job.row_cap)]
            except duckdb.Error as exc:
                entry["rows"], entry["error"] = [], clean_message(str(exc))
        return listed
