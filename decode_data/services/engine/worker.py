"""A warm worker: imports dbt once, then forks one confined process per job.

Importing dbt and registering the adapter costs ~2 s; a fork of a warm process costs a few
milliseconds. Each job runs in its own fork, so a job that hangs, floods, runs out of memory
or crashes is killed alone while the warm worker carries on, and no state (DuckDB handles,
Jinja caches, adapter connections) leaks from one learner's job into the next.

Protocol (JSON lines): the first stdin line is the worker config; every further stdin line is a
job request. Each job answers with its events on stdout, then one {"type": "exit"} line written
by this process once the job process is gone.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import sys
import tempfile
import time
from pathlib import Path

from decode_data.services.engine import dbt_tuning
from decode_data.services.engine.ownership import drop_oversized_output

# The kinds of file the lessons use: a job pays, in its own fork, for whatever the warm-up left
# cold (sources alone generate serializers and JSON schemas on first use: ~7 % of a grade
# build's CPU when the warm-up had none; snapshots a quarter). Not unit tests or YAML snapshots:
# parsing them starts dbt's Rust extractor whatever DBT_STATIC_PARSER says, and a job forked
# after that hangs in it.
WARM_PROJECT = {
    "seeds/warm_seed.csv": "id,name\n1,a\n2,b\n",
    "models/warm_model.sql": "select * from {{ ref('warm_seed') }}\n",
    "models/warm_table.sql": (
        "{{ config(materialized='table') }}\nselect {{ warm_double('count(*)') }} as n, 1 as id\n"
        "from {{ ref('warm_model') }}\n"
    ),
    "models/warm_from_source.sql": "select * from {{ source('warm_source', 'warm_seed') }}\n",
    "models/warm_incremental.sql": (
        "{{ config(materialized='incremental', unique_key='id') }}\nselect id, name from {{ ref('warm_model') }}\n"
        "{% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}\n"
    ),
    "models/warm_docs.md": "{% docs warm_doc %}A model with the usual generic tests.{% enddocs %}\n",
    "models/schema.yml": """
version: 2
sources:
  - name: warm_source
    schema: main
    tables:
      - name: warm_seed
        columns:
          - name: id
            data_tests: [not_null]
models:
  - name: warm_model
    description: "{{ doc('warm_doc') }}"
    columns:
      - name: id
        description: key
        data_tests: [unique, not_null, warm_not_negative]
      - name: name
        data_tests:
          - accepted_values:
              arguments: {values: [a, b]}
          - relationships:
              arguments: {to: ref('warm_model'), field: name}
  - name: warm_table
    config: {materialized: table}
""",
    # A snapshot block, not YAML (see above): the same snapshot config and node to generate.
    "snapshots/warm_snapshot.sql": (
        "{% snapshot warm_snapshot %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\n"
        "select * from {{ ref('warm_seed') }}\n{% endsnapshot %}\n"
    ),
    "macros/warm_double.sql": "{% macro warm_double(x) %}({{ x }} * 2){% endmacro %}\n",
    "tests/generic/warm_not_negative.sql": (
        "{% test warm_not_negative(model, column_name) %}\n"
        "select * from {{ model }} where {{ column_name }} < 0\n{% endtest %}\n"
    ),
    "tests/warm_singular.sql": "select * from {{ ref('warm_table') }} where n < 0\n",
}


def _warm_up(scratch: Path) -> None:
    """Run a tiny project once so every import and cache a job needs is loaded before forking."""
    from decode_data.services.engine.dbt_job import run_dbt
    from decode_data.services.engine.jobs import Job
    from decode_data.services.engine.project_files import JobLimits, write_project_files
    from decode_data.services.engine.query_job import run_query

    project = scratch / "project"
    for rel, text in WARM_PROJECT.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    # dbt's static parser (Rust) keeps threads and locks that do not survive a fork: leave it
    # unstarted here so each job process starts its own.
    os.environ["DBT_STATIC_PARSER"] = "false"
    write_project_files(
        root=scratch,
        project=project,
        warehouse=scratch / "warehouse.duckdb",
        limits=JobLimits(memory_mb=512, timeout_s=60),
    )
    # After the first (full) parse, every command takes the partial-parse path, whose loaders
    # are generated lazily; `run` after `build` takes the incremental model's incremental branch.
    for command in ("build", "show", "compile", "run", "test", "seed", "snapshot"):
        done = run_dbt(
            Job("warmup", "warmup", command, select="warm_model" if command == "show" else None),
            project,
            lambda _e: None,
        )
        if not done.ok:  # the worker still serves jobs, but each pays for what stayed cold
            print(f"decode_data worker: warm-up `dbt {command}` failed: {done.errors}", file=sys.stderr)
    from decode_data.services.engine.dbt_job import close_duckdb

    close_duckdb()
    del os.environ["DBT_STATIC_PARSER"]
    # The job process's own code (sandbox, ownership, preview): imported once here, not in
    # every job's fork (~15 ms a job).
    import decode_data.services.engine.job_process  # noqa: F401

    run_query(
        Job("warmup", "warmup", "query", sql="select 1"),
        scratch / "warehouse.duckdb",
        {
            "readable_dirs": [],
            "temp_dir": str(scratch / "tmp"),
            "memory_mb": 128,
            "max_temp_mb": 16,
            "max_execution_ms": 1000,
        },
    )


# A warm worker's address space holds what the warm-up loaded (dbt's generated code, schemas,
# compiled templates, the malloc arenas of its threads): 1033 MB against 192 MB cold, measured on
# 2 cores. A job forked cold loads what it needs of that itself, under its own limit, so the
# difference counts in its base: a learner's job gets the same memory either way (without it,
# a cold grade build of hello_dbt ran out of memory).
COLD_BASE_ALLOWANCE_BYTES = 896 * 1024 * 1024


def _vm_bytes() -> int:
    """This process's address space: a job's memory limit is counted on top of it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class Worker:
    def __init__(self, config: dict):
        self.config = config
        self.cold_allowance = 0 if config.get("warm_up", True) else COLD_BASE_ALLOWANCE_BYTES
        self.out = os.fdopen(os.dup(1), "wb", buffering=0)

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message, default=str).encode() + b"\n")

    def serve(self) -> None:
        self.send({"type": "ready", "pid": os.getpid()})
        for line in sys.stdin:
            request = json.loads(line)
            if request.get("type") == "stop":
                return
            self.run(request)

    def run(self, request: dict) -> None:
        timeout = float(request["timeout_s"])
        self.config["base_vm_bytes"] = _vm_bytes() + self.cold_allowance
        self.config["worker_pid"] = os.getpid()
        pid = os.fork()
        if pid == 0:
            self._child(request)
        started = time.monotonic()
        fd = os.pidfd_open(pid)
        ended = _wait_for_job(fd, timeout)
        timed_out = ended is False
        if not ended:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        os.close(fd)
        if ended is None:  # the server is gone (killed): nobody will read a result, and the
            os._exit(0)  # job must not keep the learner's DuckDB file locked for a new server
        with contextlib.suppress(OSError, KeyError):
            paths = request["paths"]
            drop_oversized_output(Path(paths["root"]), Path(paths["project"]))
        self.out.write(b"\n")  # end any line a killed job left half-written
        self.send(
            {
                "type": "exit",
                "timed_out": timed_out,
                "elapsed_s": time.monotonic() - started,
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
                "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "max_rss_kb": usage.ru_maxrss,
            }
        )

    def _child(self, request: dict) -> None:
        code = 1
        try:
            from decode_data.services.engine.job_process import run_job_process

            run_job_process(request, self.config, self.send)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - the job must report, never raise into the worker
            with contextlib.suppress(BaseException):
                self.send({"type": "crash", "message": f"{type(exc).__name__}: {exc}"})
        finally:
            os._exit(code)


def _server_gone() -> bool:
    """stdin is readable with nothing in it: the server's end of the pipe closed (it died)."""
    import fcntl
    import struct
    import termios

    waiting = fcntl.ioctl(0, termios.FIONREAD, struct.pack("i", 0))
    return struct.unpack("i", waiting)[0] == 0


def _wait_for_job(job_fd: int, timeout: float) -> bool | None:
    """True when the job ended within `timeout`, False when it ran out of time, None when the
    server died meanwhile (a `kill -9` of the app during a run)."""
    deadline = time.monotonic() + timeout
    watched = [job_fd, 0]
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(watched, [], [], left)
        if job_fd in ready:
            return True
        if 0 in ready:
            if _server_gone():
                return None
            watched = [job_fd]  # a request waits in the pipe (a stop): read once this job is done
    return False


@contextlib.contextmanager
def _quiet_stdout():
    """dbt prints what the warm-up shows: not into the protocol pipe (stdout), which a server
    that needed no worker yet (a CLI query) may already have closed."""
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def prepare(config: dict) -> None:
    """Everything a worker does once: tune dbt, warm it up (unless told its process runs a job
    or two: then each job pays only for what it uses), and keep what it loaded out of the
    collector. The worker host (worker_host.py) does this once for all the workers it forks."""
    dbt_tuning.apply()
    if config.get("warm_up", True):
        with tempfile.TemporaryDirectory(prefix="warmup-", dir=config.get("scratch_dir")) as scratch, _quiet_stdout():
            _warm_up(Path(scratch))
        dbt_tuning.keep_for_the_next_worker()
    # Everything loaded so far lives as long as the worker: keep it out of the collector, so a
    # job's gc.collect() (close_duckdb, before the grader reads relations) walks only what the
    # job made, not all of dbt (it was a fifth of a grade build).
    gc.collect()
    gc.freeze()


def serve(config: dict) -> None:
    """Answer jobs on stdin until told to stop or the server's end of the pipe closes."""
    # Nothing a job prints may corrupt the protocol: stdout now goes nowhere, events use a dup.
    worker = Worker(config)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        worker.serve()
    except BrokenPipeError:  # the server is gone (it exited before needing a worker): no one to tell
        os._exit(0)


def main() -> None:
    first = sys.stdin.readline()
    if not first:  # the server exited before it needed this worker
        return
    config = json.loads(first)
    prepare(config)
    serve(config)


if __name__ == "__main__":
    main()
