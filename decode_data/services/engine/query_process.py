"""One learner's query process: confined like a job, it answers queries on one open warehouse.

Forked by the query host (query_host.py) for the first query of a learner. It confines itself
exactly like a dbt job process (job_process.enter_sandbox: clean environment, namespaces,
Landlock, rlimits) and opens the warehouse read-only with the same DuckDB lockdown, then keeps
that database open: each later query only takes a fresh cursor (a new DuckDB session), so the
engine adds a pipe round trip to DuckDB's own time instead of a fork, a sandbox and a file open.

While it lives it holds a shared lock on the learner's readers lock file: a dbt job (of this
engine, or of another process on this machine) takes it exclusively before it writes the file,
so it never meets a reader holding the DuckDB file open.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
from pathlib import Path

from decode_data.services.engine.errors import clean_message
from decode_data.services.engine.jobs import Job, JobRejected, JobResult, LearnerError
from decode_data.services.engine.project_files import JobLimits, lockdown_config
from decode_data.services.engine.shrink import shrink_result

# A query process retires itself once it has used this share of its CPU rlimit (the limit
# counts the process's whole life, not one query): the next query gets a fresh one.
CPU_SHARE_BEFORE_RETIRE = 0.5


def readers_lock_path(lock_dir: Path, learner_key: str) -> Path:
    return lock_dir / f"{learner_key}.readers.lock"


def _hold_readers_lock(lock_dir: Path, learner_key: str) -> int:
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(readers_lock_path(lock_dir, learner_key), os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)  # never waits: the engine holds the learner's lock meanwhile
    return fd


def _answer(job: Job, warehouse: Path, lockdown: dict, db) -> JobResult:
    from decode_data.services.engine.query_job import list_tables, run_query

    try:
        if job.command == "tables":
            return list_tables(job, warehouse, lockdown, db=db)
        if job.command == "query":
            return run_query(job, warehouse, lockdown, db=db)
        raise JobRejected(f"'{job.command}' is not a query")
    except JobRejected as exc:
        return JobResult(status="rejected", command=job.command, errors=[LearnerError(message=str(exc))])
    except MemoryError:
        return JobResult(
            status="failed",
            command=job.command,
            errors=[LearnerError(message="Your query ran out of memory: add a filter, a limit or an aggregate.")],
        )


def _cpu_used_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve_queries(request: dict, from_host: int, to_host: int, config: dict) -> None:
    """Confine this fork, then answer `request` and every later one the host sends, until the
    host closes the pipe (idle, a dbt job needs the file, shutdown) or the CPU budget is used."""
    root, project, warehouse = (Path(request["paths"][k]) for k in ("root", "project", "warehouse"))
    limits = JobLimits(memory_mb=int(request["memory_mb"]), timeout_s=float(request["timeout_s"]))
    key = Job.from_dict(request["job"]).learner_key
    _hold_readers_lock(Path(config["lock_dir"]), key)
    (root / "tmp").mkdir(exist_ok=True)  # HOME and DuckDB's temp directory, as for a job
    from decode_data.services.engine.job_process import enter_sandbox

    root, project, warehouse = enter_sandbox(key, root, project, warehouse, limits, config)
    lockdown = lockdown_config(root, project, limits)
    from decode_data.services.engine.query_job import connect

    out = os.fdopen(to_host, "wb", buffering=0)
    lines = os.fdopen(from_host, "rb")
    db = None
    cpu_budget = (int(limits.timeout_s) + 5) * CPU_SHARE_BEFORE_RETIRE
    while request:
        job = Job.from_dict(request["job"])
        try:
            if db is None and warehouse.exists():
                db = connect(warehouse, lockdown)
            result = _answer(job, warehouse, lockdown, db)
        except Exception as exc:  # noqa: BLE001 - e.g. the file cannot be opened: say why, carry on
            result = JobResult(
                status="failed", command=job.command, errors=[LearnerError(message=clean_message(str(exc)))]
            )
        result = shrink_result(result)
        out.write(json.dumps({"type": "result", "result": result.to_dict()}, default=str).encode() + b"\n")
        if _cpu_used_s() > cpu_budget:
            return
        line = lines.readline()
        request = json.loads(line) if line.strip() else None
