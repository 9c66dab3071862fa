"""The life of one job process: prepare the workspace, confine itself, run, report.

Runs in a fresh fork of a warm worker. Everything that needs the server's rights (writing the
server-owned project files, handing the job's files to its uid) happens before `confine`;
everything learner-controlled after it, where the workspace is at sandbox.JOB_ROOT.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
import time
from pathlib import Path

from decode_data.services.engine import lockdown, sandbox
from decode_data.services.engine.jobs import Job, JobRejected, JobResult, LearnerError
from decode_data.services.engine.ownership import hand_over
from decode_data.services.engine.project_files import JobLimits, lockdown_config, write_project_files
from decode_data.services.engine.run_preview import add_preview
from decode_data.services.engine.shrink import shrink_result

PACKAGE_DIR = Path(__file__).resolve().parents[2]
# Read-only system paths a job needs: the Python runtime, the venv, shared libraries,
# and the few /proc and /sys files DuckDB reads to size itself. Nothing else is visible.
SYSTEM_READ_ONLY = (
    "/usr/lib",
    "/usr/lib64",
    "/lib",
    "/lib64",
    "/usr/share/zoneinfo",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/dev/null",
    "/dev/urandom",
    "/sys/fs/cgroup",
    "/proc/meminfo",
    "/proc/cpuinfo",
    "/proc/stat",
    "/sys/devices/system/cpu",
)


def _python_paths() -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(PACKAGE_DIR)}
    paths.update(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))
    paths.update(site.getsitepackages())
    return sorted(paths)


class _Flood:
    """Caps what a job can stream back, so an output flood cannot swamp the server."""

    def __init__(self, send, max_bytes: int):
        self.send, self.left, self.truncated = send, max_bytes, False

    def __call__(self, event: dict) -> None:
        if event.get("type") == "log":
            size = len(event.get("line", ""))
            if size > self.left:
                if not self.truncated:
                    self.truncated = True
                    self.send({"type": "log", "line": "[log truncated: this job printed too much]"})
                return
            self.left -= size
        self.send(event)


def _quiet_stdio() -> None:
    # Jinja's print() and dbt's console output must not reach the worker's protocol pipe.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def _confinement(root: Path, uid: int | None, limits: JobLimits, config: dict) -> sandbox.Confinement:
    return sandbox.Confinement(
        root=str(root),
        read_only=tuple(_python_paths()) + SYSTEM_READ_ONLY + (f"/proc/{os.getpid()}",),
        memory_bytes=int(config["base_vm_bytes"]) + limits.memory_mb * 1024 * 1024,
        cpu_seconds=int(limits.timeout_s) + 5,
        max_file_bytes=int(config.get("max_file_mb", 512)) * 1024 * 1024,
        uid=uid,
    )


def _as_seen(root: Path, path: Path) -> Path:
    """Where the confined job sees a path of its workspace (sandbox.JOB_ROOT stands for root)."""
    return Path(sandbox.JOB_ROOT) / path.relative_to(root)


def enter_sandbox(
    key: str, root: Path, project: Path, warehouse: Path, limits: JobLimits, config: dict
) -> tuple[Path, Path, Path]:
    """The fork's last steps under the server's rights: the learner's own uid gets what a job
    writes, a clean environment, quiet stdio, then every OS layer. Shared by dbt jobs and query
    processes (query_host), which are confined alike. Returns root, project and warehouse as the
    confined process sees them (under sandbox.JOB_ROOT: no server path reaches learner code)."""
    uid = sandbox.job_uid(key)
    if uid is not None:
        hand_over(root, project, warehouse, uid)
    confinement = _confinement(root, uid, limits, config)
    seen = Path(sandbox.JOB_ROOT), _as_seen(root, project), _as_seen(root, warehouse)
    os.environ.clear()
    os.environ.update(
        {
            "HOME": str(seen[0] / "tmp"),
            "TMPDIR": str(seen[0] / "tmp"),
            "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    _quiet_stdio()
    sandbox.confine(confinement)
    sandbox.die_with_parent(config["worker_pid"])
    os.chdir(seen[1])
    return seen


def _built_relations(job: Job, warehouse: Path, lockdown: dict, local: bool) -> list[dict]:
    """The grader reads every relation in the same job: no second job, no second fork, and no
    second database either: a session on the one dbt built the local warehouse with (it has
    the same lockdown; opening DuckDB again cost ~15 ms of CPU and a file read per build).

    The database is left open: the job process ends next, and DuckDB's log beside the file
    (warehouse.duckdb.wal) already holds every committed change, which whoever opens the
    warehouse next reads from there, read-only too. Closing would first copy the log into the
    file, ~7 % of a grade build's CPU, for a warehouse that is seldom opened again."""
    from decode_data.services.engine.dbt_job import open_duckdb
    from decode_data.services.engine.query_job import dump_relations

    if job.relations == []:
        return []
    return dump_relations(job, warehouse, lockdown, db=open_duckdb() if local else None)


def run_job_process(request: dict, config: dict, send) -> None:
    started = time.monotonic()
    job = Job.from_dict(request["job"])
    root, project, warehouse = (Path(request["paths"][k]) for k in ("root", "project", "warehouse"))
    limits = JobLimits(memory_mb=int(request["memory_mb"]), timeout_s=float(request["timeout_s"]))
    emit = _Flood(send, int(request["max_log_bytes"]))
    if not project.is_dir():
        send(
            {
                "type": "result",
                "result": JobResult(
                    status="error",
                    command=job.command,
                    errors=[LearnerError(message="This workspace does not exist yet.")],
                ).to_dict(),
            }
        )
        return
    motherduck_db = request.get("motherduck_db")
    lockdown.MOTHERDUCK_TOKEN = config.get("motherduck_token") if motherduck_db else None
    write_project_files(
        root=root,
        project=project,
        warehouse=warehouse,
        limits=limits,
        motherduck_db=motherduck_db,
        seen_at=Path(sandbox.JOB_ROOT),
    )
    root, project, warehouse = enter_sandbox(job.learner_key, root, project, warehouse, limits, config)
    try:
        if job.command == "query":
            from decode_data.services.engine.query_job import run_query

            result = run_query(job, warehouse, lockdown_config(root, project, limits))
        elif job.command == "tables":
            from decode_data.services.engine.query_job import list_tables

            result = list_tables(job, warehouse, lockdown_config(root, project, limits))
        elif job.command == "relations":
            from decode_data.services.engine.query_job import dump_relations

            tables = dump_relations(job, warehouse, lockdown_config(root, project, limits))
            result = JobResult(status="success", command=job.command, tables=tables)
        else:
            from decode_data.services.engine.dbt_job import run_dbt

            result = run_dbt(job, project, emit, warehouse=None if motherduck_db else warehouse)
            if job.command == "grade_build":
                config = lockdown_config(root, project, limits)
                result.tables = _built_relations(job, warehouse, config, local=not motherduck_db)
            elif not motherduck_db:
                left = limits.timeout_s - (time.monotonic() - started)
                add_preview(job, result, warehouse, lockdown_config(root, project, limits), left)
    except JobRejected as exc:
        result = JobResult(status="rejected", command=job.command, errors=[LearnerError(message=str(exc))])
    except MemoryError:
        result = JobResult(
            status="failed",
            command=job.command,
            errors=[LearnerError(message=f"Your job ran out of memory (limit {limits.memory_mb} MB).")],
        )
    result.logs_truncated = emit.truncated
    send({"type": "result", "result": shrink_result(result).to_dict()})
