"""DECODE_DATA_MAX_WAREHOUSE_BYTES: how big a learner's local DuckDB warehouse may grow.

Checked around each of the learner's jobs, like a disk quota: a job that takes the warehouse
past the limit finishes and says so; from then on builds are refused with the sizes and the
way out, while reading (compile, show, the query page) still works. `dbt build --full-refresh`
is the way out: it starts from an empty warehouse, rebuilt from the learner's files, which
are never touched. Within one job the file-size rlimit (sandbox) is the hard cap.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from decode_data.services.engine import Job, JobResult, LearnerError
from decode_data.services.learner_lock import learner_lock
from decode_data.settings import get_settings

BUILDING = ("seed", "run", "test", "build", "snapshot")  # commands that write to the warehouse
WAY_OUT = (
    "drop what you do not need (make big models views, or filter them), then run "
    "`dbt build --full-refresh` to rebuild your warehouse from empty. Your saved files are kept."
)


def warehouse_bytes(warehouse: Path) -> int:
    """The warehouse file and its write-ahead log, as they take space on disk."""
    total = 0
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            total += os.lstat(path).st_size
    return total


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f}".removesuffix(".0") + " MB"


def _starts_from_empty(job: Job) -> bool:
    return job.command == "build" and "--full-refresh" in job.args


def before_job(job: Job, warehouse: Path) -> JobResult | None:
    """A refusal when the warehouse is over its limit and the job would build more; else None.
    `dbt build --full-refresh` empties the warehouse (under the learner's lock) and goes on."""
    limit = get_settings().max_warehouse_bytes
    size = warehouse_bytes(warehouse)
    if job.command not in BUILDING or size <= limit:
        return None
    if _starts_from_empty(job):
        with learner_lock(job.learner_key):
            for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
                path.unlink(missing_ok=True)
        return None
    message = f"Your warehouse is {megabytes(size)}, the limit is {megabytes(limit)}: {WAY_OUT}"
    return JobResult(status="rejected", command=job.command, errors=[LearnerError(message=message)])


def after_job(result: JobResult, warehouse: Path) -> JobResult:
    """Say so when this job took the warehouse past its limit (what it built is kept)."""
    limit = get_settings().max_warehouse_bytes
    size = warehouse_bytes(warehouse)
    if result.command in BUILDING and size > limit:
        message = (
            f"Your warehouse is now {megabytes(size)}, over the limit of {megabytes(limit)}: "
            f"further builds will be refused. {WAY_OUT[0].upper()}{WAY_OUT[1:]}"
        )
        result.errors.append(LearnerError(message=message))
    return result
