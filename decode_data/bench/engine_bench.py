"""`python -m decode_data bench [--json] [--browser]`: how fast is the Run path on this machine?

One run, real everything: a throwaway data dir (so real data is never touched), the real
migrations, learners and workspaces, the hello_dbt reference solution saved through the save
policy, and dbt jobs through the real engine (warm workers, sandboxed job processes). Then:
warm `dbt run` / `show` / `test`, a warehouse query, the same `dbt run` through the plain dbt
CLI for comparison, many learners submitting at the same moment, and the workers' memory.
With --browser, also what a learner waits for in Chromium (decode_data/bench/browser.py).

The bench reports figures next to the targets; it exits 1 only when something errored (a job
failed, the engine did not start), never because a target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from decode_data.bench.report import CpuMeter, own_cpu_s, render_table, summary, system_busy_s

LESSON_ID = "hello_dbt"
# A model without tests: `dbt show --select <model>` also runs the tests attached to the model,
# and the engine currently keeps the last result's table as the preview (a test's, with no rows).
SHOW_MODEL = "revenue_by_country"
QUERY_SQL = "select * from customers"
CHECK_EDITED = "models/customers.sql"  # changed before each timed check, as a learner would
# Environment the bench must not inherit: it would point the bench at real data or services.
ISOLATED_VARS = ("DATABASE_URL", "SECRET_KEY", "MOTHERDUCK_TOKEN", "DECODE_DATA_ENV")
POOL_START_TIMEOUT_S = 180.0
CLI_TIMEOUT_S = 300.0
# Other processes using more than 10% of the machine, over the bench or during one stage, skew it.
# (Measured from /proc/stat minus our own processes' CPU; the load average lags too much to tell.)
BUSY_OTHER_SHARE = 0.10


class BenchError(RuntimeError):
    """Something the bench needs did not work; the message says what."""


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


@contextmanager
def isolated_data_dir():
    """A temporary DECODE_DATA_DIR with SQLite inside it; the environment is restored after."""
    from decode_data.settings import reset_settings

    saved = {name: os.environ.get(name) for name in ISOLATED_VARS + ("DECODE_DATA_DIR",)}
    tmp = Path(tempfile.mkdtemp(prefix="decode-data-bench-"))
    try:
        for name in ISOLATED_VARS:
            os.environ.pop(name, None)
        os.environ["DECODE_DATA_DIR"] = str(tmp)
        os.environ["DECODE_DATA_ENV"] = "development"
        reset_settings()
        yield tmp
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        shutil.rmtree(tmp, ignore_errors=True)


class _NodeClock:
    """Timestamps the engine's streamed node events, to split a run's wall time into phases."""

    def __init__(self):
        self.started = time.perf_counter()
        self.first_start: float | None = None
        self.last_finish: float | None = None

    def __call__(self, event: dict) -> None:
        if event.get("type") == "node":
            now = time.perf_counter()
            if event.get("status") == "running":
                self.first_start = self.first_start or now
            else:
                self.last_finish = now

    def phases(self, ended: float) -> dict:
        """before the first node starts (fork, sandbox, parse, connect) / nodes / after the last."""
        if self.first_start is None or self.last_finish is None:
            return {}
        return {
            "before_first_node": self.first_start - self.started,
            "nodes": self.last_finish - self.first_start,
            "after_last_node": ended - self.last_finish,
        }


class Bench:
    """The stages of one bench run; each stores its figures in self.figures."""

    def __init__(self, repeat: int, learners: int, rounds: int, cli_repeat: int):
        self.repeat, self.learners, self.rounds, self.cli_repeat = repeat, learners, rounds, cli_repeat
        self.check_repeat = max(1, repeat // 2)  # a check builds every seed set anew: half as many as runs
        self.figures: dict = {"errors": []}
        self.failed_jobs = 0

    # --- helpers ---------------------------------------------------------------------------

    def _fail(self, what: str, result) -> None:
        self.failed_jobs += 1
        first = result.errors[0].message.splitlines()[0] if result.errors else "no error message"
        self.figures["errors"].append(f"{what}: {result.status}: {first}")

    def _expect_ok(self, what: str, result) -> bool:
        if not result.ok:
            self._fail(what, result)
            return False
        return True

    def _db_session(self):
        from sqlmodel import Session

        from decode_data.db import get_engine

        return Session(get_engine(), expire_on_commit=False)

    # --- setup -----------------------------------------------------------------------------

    def setup(self) -> None:
        from decode_data.db import upgrade_database
        from decode_data.services.lessons import get_lesson

        upgrade_database()
        self.lesson = get_lesson(LESSON_ID)
        self.solution = sorted(
            p.relative_to(self.lesson.solution_dir).as_posix()
            for p in self.lesson.solution_dir.rglob("*")
            if p.is_file()
        )
        self.models = sum(1 for rel in self.solution if rel.endswith(".sql"))
        self.session = self._db_session()
        self.user = self.new_learner(self.session, "bench-solo")

    def new_learner(self, session, username: str):
        """A learner whose workspace holds the reference solution, saved like a learner would."""
        from decode_data.services.learners import get_or_create_learner
        from decode_data.services.workspace import ensure_workspace, save_file

        user = get_or_create_learner(session, username)
        ensure_workspace(session, user, self.lesson)
        for rel in self.solution:
            save_file(session, user, self.lesson, rel, (self.lesson.solution_dir / rel).read_text(encoding="utf-8"))
        return user

    def start_engine(self) -> None:
        from decode_data.services import engine as engine_module

        if engine_module._engine is not None:
            raise BenchError(
                "an engine is already running in this process; run the bench in its own "
                "process (`python -m decode_data bench`)"
            )
        started = time.perf_counter()
        self.engine = engine_module.get_engine()
        wanted = self.engine.config.workers
        while len(self.engine.workers) < wanted:
            if time.perf_counter() - started > POOL_START_TIMEOUT_S:
                raise BenchError(
                    f"only {len(self.engine.workers)} of {wanted} engine workers started "
                    f"within {POOL_START_TIMEOUT_S:g} s"
                )
            time.sleep(0.02)
        self.figures["pool_start_s"] = round(time.perf_counter() - started, 3)
        self.figures["config"]["workers"] = wanted
        self.figures["new_worker_s"] = self._new_worker_s()

    def _new_worker_s(self) -> float:
        """What recycling or replacing a worker costs: one more worker from the warm host,
        ready for a job (then stopped; the pool is left as it was)."""
        from decode_data.services.engine.pool import WorkerProcess

        started = time.perf_counter()
        worker = WorkerProcess(self.engine.config, self.engine.host)
        ready = time.perf_counter() - started
        worker.stop()
        return round(ready, 4)

    def worker_pids(self) -> list[int]:
        engine = getattr(self, "engine", None)
        return [w.proc.pid for w in list(engine.workers)] if engine else []

    def engine_pids(self) -> list[int]:
        """The workers and the host that forked them (it reaps them: their CPU adds up there)."""
        engine = getattr(self, "engine", None)
        host = engine.host.proc if engine and engine.host.proc else None
        return self.worker_pids() + ([host.pid] if host else [])

    def dbt(self, command: str, user=None, session=None, **kwargs):
        from decode_data.services import runs

        started = time.perf_counter()
        result = runs.run_dbt(session or self.session, user or self.user, self.lesson, command, **kwargs)
        return time.perf_counter() - started, result

    # --- stages ----------------------------------------------------------------------------

    def warm_up(self) -> None:
        for command in ("seed", "run"):
            _, result = self.dbt(command)
            if not self._expect_ok(f"warm-up dbt {command}", result):
                raise BenchError(f"the warm-up `dbt {command}` of the solution failed")

    def bench_run(self) -> None:
        walls, inside, nodes_sql = [], [], []
        phases = {"before_first_node": [], "nodes": [], "after_last_node": []}
        for i in range(self.repeat):
            clock = _NodeClock()
            wall, result = self.dbt("run", on_event=clock)
            models = [n for n in result.nodes if n.resource_type == "model"]
            if not self._expect_ok(f"dbt run #{i + 1}", result):
                continue
            if len(models) != self.models or any(n.status != "success" for n in models):
                self.failed_jobs += 1
                self.figures["errors"].append(f"dbt run #{i + 1}: built {len(models)} of {self.models} models")
                continue
            walls.append(wall)
            inside.append(result.elapsed_s)
            nodes_sql.append(sum(n.execution_time for n in models))
            for name, seconds in clock.phases(clock.started + wall).items():
                phases[name].append(seconds)
        self.figures["run"] = {
            **summary(walls),
            "in_job": {**summary(inside), "nodes_p50_s": summary(nodes_sql)["p50_s"]},
            "phases_p50_s": {name: summary(values)["p50_s"] for name, values in phases.items()},
        }

    def bench_show(self) -> None:
        walls = []
        for i in range(self.repeat):
            wall, result = self.dbt("show", select=SHOW_MODEL)
            if self._expect_ok(f"dbt show #{i + 1}", result):
                if result.preview is None or not result.preview.rows:
                    self.failed_jobs += 1
                    self.figures["errors"].append(f"dbt show #{i + 1}: no rows")
                    continue
                walls.append(wall)
        self.figures["show"] = {**summary(walls), "select": SHOW_MODEL}

    def bench_test(self) -> None:
        walls, tests = [], 0
        for i in range(self.repeat):
            wall, result = self.dbt("test")
            if self._expect_ok(f"dbt test #{i + 1}", result):
                tests = sum(1 for n in result.nodes if n.resource_type == "test")
                walls.append(wall)
        if not tests and walls:
            self.figures["errors"].append("dbt test ran no tests: the solution should have schema tests")
            self.failed_jobs += 1
        self.figures["test"] = {**summary(walls), "tests": tests}

    def bench_query(self) -> None:
        from decode_data.services import warehouse

        walls, inside = [], []
        for i in range(self.repeat):
            started = time.perf_counter()
            result = warehouse.query(self.session, self.user, self.lesson, QUERY_SQL)
            wall = time.perf_counter() - started
            if self._expect_ok(f"query #{i + 1}", result):
                if result.preview is None or not result.preview.rows:
                    self.failed_jobs += 1
                    self.figures["errors"].append(f"query #{i + 1}: no rows")
                    continue
                walls.append(wall)
                inside.append(result.elapsed_s)
        self.figures["query"] = {
            **summary(walls),
            "sql": QUERY_SQL,
            "in_job": summary(inside),
            "direct": summary(self._direct_queries()),
            "engine_only": summary(self._engine_queries()),
            "after_run": summary(self._queries_after_runs()),
        }

    def _engine_queries(self) -> list[float]:
        """The same query handed straight to the engine (no app database bookkeeping): what the
        engine adds on top of DuckDB's own time is this minus the query inside the job."""
        from decode_data.services.engine import Job
        from decode_data.services.workspace import workspace_paths

        paths = workspace_paths(self.user.warehouse_key, self.lesson.id)
        job_paths = {"root": paths.root, "project": paths.project, "warehouse": paths.warehouse}
        job = Job(learner_key=self.user.warehouse_key, lesson_id=self.lesson.id, command="query", sql=QUERY_SQL)
        walls = []
        for i in range(self.repeat):
            started = time.perf_counter()
            result = self.engine.submit(job, job_paths)
            wall = time.perf_counter() - started
            if self._expect_ok(f"engine query #{i + 1}", result):
                walls.append(wall)
        return walls

    def _queries_after_runs(self) -> list[float]:
        """A query right after a dbt run: the run shut the learner's query process, so this one
        starts a new one (fork, sandbox, DuckDB open), as the first query after each Run does."""
        from decode_data.services import warehouse

        walls = []
        for i in range(max(3, self.repeat // 4)):
            _, ran = self.dbt("run")
            if not self._expect_ok(f"dbt run before query #{i + 1}", ran):
                continue
            started = time.perf_counter()
            result = warehouse.query(self.session, self.user, self.lesson, QUERY_SQL)
            wall = time.perf_counter() - started
            if self._expect_ok(f"query after a run #{i + 1}", result):
                walls.append(wall)
        return walls

    def bench_check(self) -> None:
        """Check my work on the lesson's last step, the way the page calls it (every seed set).

        A learner edits, then checks: each timed check follows a saved change to a model (a
        comment, so the answer stays right), and the grader builds everything anew. Checking
        again without a change reuses the builds; that figure is reported apart."""
        from decode_data.services.checking import check_step
        from decode_data.services.workspace import save_file

        step = self.lesson.steps[-1].id
        check_step(self.session, self.user, self.lesson, step)  # untimed: builds the shared reference
        original = (self.lesson.solution_dir / CHECK_EDITED).read_text(encoding="utf-8")

        def timed(i: int, label: str) -> float | None:
            started = time.perf_counter()
            feedback = check_step(self.session, self.user, self.lesson, step)
            wall = time.perf_counter() - started
            if not feedback.passed:
                self.failed_jobs += 1
                self.figures["errors"].append(f"{label} #{i + 1}: the solution fails: {feedback.summary}")
                return None
            return wall

        edited, unchanged = [], []
        for i in range(self.check_repeat):
            save_file(self.session, self.user, self.lesson, CHECK_EDITED, f"{original}\n-- edit {i + 1}\n")
            edited.append(timed(i, "check"))
        for i in range(self.check_repeat):
            unchanged.append(timed(i, "check again"))
        self.figures["check"] = {
            **summary([w for w in edited if w is not None]),
            "step": step,
            "edited": CHECK_EDITED,
            "unchanged": summary([w for w in unchanged if w is not None]),
        }

    def _direct_queries(self) -> list[float]:
        """The same query straight through DuckDB in this process: the floor under the engine's."""
        import duckdb

        from decode_data.services.workspace import workspace_paths

        warehouse = str(workspace_paths(self.user.warehouse_key, self.lesson.id).warehouse)
        walls = []
        for _ in range(self.repeat):
            started = time.perf_counter()
            conn = duckdb.connect(warehouse, read_only=True)
            try:
                conn.execute(QUERY_SQL).fetchall()
            finally:
                conn.close()
            walls.append(time.perf_counter() - started)
        return walls

    def bench_cli(self, scratch: Path) -> None:
        """The same `dbt run` through the plain dbt CLI, on a copy of the solo learner's workspace."""
        from decode_data.services.engine.project_files import JobLimits, write_project_files
        from decode_data.services.workspace import workspace_paths
        from decode_data.settings import REPO_ROOT, get_settings

        source = workspace_paths(self.user.warehouse_key, self.lesson.id)
        root = scratch / "cli-copy"
        project = root / "project"
        shutil.copytree(source.project, project, ignore=shutil.ignore_patterns("logs"))
        for suffix in ("", ".wal"):
            if Path(f"{source.warehouse}{suffix}").exists():
                shutil.copy2(f"{source.warehouse}{suffix}", f"{root / 'warehouse.duckdb'}{suffix}")
        # The server's own profile (lockdown plugin included), regenerated so that every path in
        # it points into the copy: the CLI runs exactly what a job runs, minus engine and sandbox.
        settings = get_settings()
        write_project_files(
            root=root,
            project=project,
            warehouse=root / "warehouse.duckdb",
            limits=JobLimits(memory_mb=settings.job_memory_mb, timeout_s=settings.job_timeout_s),
        )
        dbt_bin = Path(sys.executable).with_name("dbt")
        if not dbt_bin.exists():
            dbt_bin = Path(shutil.which("dbt") or "dbt")
        env = {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        command = [str(dbt_bin), "run", "--project-dir", str(project), "--profiles-dir", str(project)]
        self.figures["cli"] = {
            "profile": "the server's profiles.yml (lockdown plugin) regenerated for a "
            f"copy of the workspace, PYTHONPATH={REPO_ROOT}",
            "command": " ".join(command[:2]) + " --project-dir <copy> --profiles-dir <copy>",
        }
        walls = []
        # One untimed run first: the copy's partial-parse state is rebuilt for its new paths, as
        # it would be warm on a learner's laptop; the engine's runs are timed warm too.
        for i in range(-1, self.cli_repeat):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
                label = "warm-up" if i < 0 else f"#{i + 1}"
                self.figures["errors"].append(f"dbt CLI run {label} exited {done.returncode}: " + " | ".join(tail))
                self.failed_jobs += 1
                continue
            if i < 0:
                self.figures["cli"]["warm_up_s"] = round(wall, 3)
            else:
                walls.append(wall)
        self.figures["cli"].update(summary(walls))
        run_p50, cli_p50 = (self.figures.get("run") or {}).get("p50_s"), self.figures["cli"]["p50_s"]
        self.figures["cli"]["ratio"] = round(cli_p50 / run_p50, 2) if run_p50 and cli_p50 else None

    def bench_learners(self) -> None:
        """N learners, each with a seeded workspace, all submit `dbt run` at the same moment."""
        count = self.learners
        users = [self.new_learner(self.session, f"bench-learner-{i:03d}") for i in range(count)]

        def job(user, command: str, barrier: threading.Barrier | None = None):
            with self._db_session() as session:  # a session per thread: they are not thread-safe
                if barrier is not None:
                    barrier.wait()
                return self.dbt(command, user=user, session=session)

        failed_before = self.failed_jobs
        with ThreadPoolExecutor(max_workers=count) as pool:
            for user, (_, result) in zip(users, pool.map(lambda u: job(u, "seed"), users), strict=False):
                self._expect_ok(f"seed of {user.username}", result)
            if self.failed_jobs > failed_before:
                raise BenchError("seeding the learners' workspaces failed")
            latencies, round_walls = [], []
            for number in range(1, self.rounds + 1):
                barrier = threading.Barrier(count + 1)
                futures = [pool.submit(job, user, "run", barrier) for user in users]
                barrier.wait()
                started = time.perf_counter()
                for user, future in zip(users, futures, strict=False):
                    wall, result = future.result()
                    latencies.append(wall)
                    self._expect_ok(f"round {number}: dbt run of {user.username}", result)
                round_walls.append(round(time.perf_counter() - started, 3))
        runs = count * self.rounds
        self.figures["learners"] = {
            "learners": count,
            "rounds": self.rounds,
            "runs": runs,
            "failed": self.failed_jobs - failed_before,
            **summary(latencies),
            "round_wall_s": round_walls,
            "throughput_runs_per_s": round(runs / sum(round_walls), 2) if sum(round_walls) else None,
        }

    def measure_rss(self) -> None:
        def vm_rss_kb(pid: int) -> int:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
            return 0

        workers = [round(vm_rss_kb(pid) / 1024, 1) for pid in self.worker_pids()]
        jobs = [kb for kb in self.engine.last_rss_kb if kb]
        host = self.engine.queries.proc
        worker_host = self.engine.host.proc
        self.figures["rss"] = {
            "query_host_rss_mb": round(vm_rss_kb(host.pid) / 1024, 1) if host and host.poll() is None else None,
            "worker_host_rss_mb": round(vm_rss_kb(worker_host.pid) / 1024, 1)
            if worker_host and worker_host.poll() is None
            else None,
            "worker_rss_mb": workers,
            "worker_rss_max_mb": max(workers) if workers else None,
            "job_max_rss_mb": round(max(jobs) / 1024, 1) if jobs else None,
            "jobs": len(self.engine.last_rss_kb),
        }


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for key, dist in (("dbt", "dbt-core"), ("dbt_duckdb", "dbt-duckdb"), ("duckdb", "duckdb")):
        try:
            out[key] = version(dist)
        except PackageNotFoundError:
            out[key] = None
    return out


def run_bench(repeat: int = 20, learners: int = 20, rounds: int = 3, cli_repeat: int = 3) -> tuple[dict, int]:
    """Run every stage once; returns (figures, exit code)."""
    from decode_data.bench.report import checks

    bench = Bench(repeat=repeat, learners=learners, rounds=rounds, cli_repeat=cli_repeat)
    figures = bench.figures
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "load_before": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        **_versions(),
    }
    figures["config"] = {
        "lesson": LESSON_ID,
        "repeat": repeat,
        "learners": learners,
        "rounds": rounds,
        "cli_repeat": cli_repeat,
    }
    busy0, own0, wall0 = system_busy_s(), own_cpu_s(), time.perf_counter()
    fatal = False
    with isolated_data_dir() as tmp:
        try:
            _progress(f"data dir {tmp}; migrating, creating a learner with the {LESSON_ID} solution")
            bench.setup()
            figures["config"]["models"] = bench.models
            meter = CpuMeter(bench.engine_pids)
            stages = [
                ("pool start", "starting the engine", bench.start_engine),
                ("warm-up", "warm-up seed + run", bench.warm_up),
                ("run", f"{repeat} x dbt run", bench.bench_run),
                ("show", f"{repeat} x dbt show", bench.bench_show),
                ("test", f"{repeat} x dbt test", bench.bench_test),
                ("query", f"{repeat} x warehouse query", bench.bench_query),
                ("check", "Check my work on the last step", bench.bench_check),
                ("cli", f"{cli_repeat} x plain dbt CLI run", lambda: bench.bench_cli(tmp)),
                ("learners", f"{learners} learners at once, {rounds} rounds", bench.bench_learners),
            ]
            figures["stages"] = meter.stages
            for name, what, stage in stages:
                _progress(what)
                before = meter.sample()
                try:
                    stage()
                finally:
                    meter.record(name, before, meter.sample())
            bench.measure_rss()
        except BenchError as exc:
            figures["errors"].append(str(exc))
            fatal = True
        except Exception as exc:  # noqa: BLE001 - report and clean up; the exit code says it failed
            figures["errors"].append(f"{type(exc).__name__}: {exc}")
            fatal = True
        finally:
            from decode_data.db import dispose_engines
            from decode_data.services.engine import shutdown_engine

            if hasattr(bench, "session"):
                bench.session.close()
            shutdown_engine()
            dispose_engines()
    wall = time.perf_counter() - wall0
    other = max(0.0, (system_busy_s() - busy0) - (own_cpu_s() - own0))
    cpus = os.cpu_count() or 1
    figures["machine"].update(
        {
            "load_after": round(os.getloadavg()[0], 2),
            "bench_wall_s": round(wall, 1),
            "other_cpu_s": round(other, 1),
            "other_cpu_pct_of_machine": round(100 * other / (wall * cpus), 1),
            "interference": other > BUSY_OTHER_SHARE * wall * cpus
            or any(st["other_pct"] > 100 * BUSY_OTHER_SHARE for st in (figures.get("stages") or {}).values()),
        }
    )
    figures["failed_jobs"] = bench.failed_jobs
    figures["targets"] = [c.to_dict() for c in checks(figures)]
    return figures, 1 if fatal or bench.failed_jobs else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m decode_data bench",
        description="Measure the Run path on this machine (one run, throwaway data).",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=20,
        help="timed repeats of each warm dbt run/show/test and query (default 20)",
    )
    parser.add_argument(
        "--learners",
        type=_positive,
        default=20,
        help="simulated learners submitting dbt run at the same moment (default 20)",
    )
    parser.add_argument(
        "--rounds", type=_positive, default=3, help="rounds of the simultaneous learners' runs (default 3)"
    )
    parser.add_argument(
        "--cli-repeat", type=_positive, default=3, help="timed runs of the plain dbt CLI for comparison (default 3)"
    )
    browser = parser.add_argument_group(
        "browser figures",
        "Lesson page load and Run click -> rows visible, in Chromium against the "
        "production build (decode_data/bench/browser.py). Off by default: starting the app builds the "
        "frontend (a minute or more) and needs playwright (requirements-test.txt) and chromium.",
    )
    browser.add_argument("--browser", action="store_true", help="add the browser figures to the bench")
    browser.add_argument("--browser-only", action="store_true", help="only the browser figures")
    browser.add_argument(
        "--browser-repeat",
        type=_positive,
        default=10,
        help="lesson page loads and Runs, the first reported apart as cold (default 10)",
    )
    browser.add_argument(
        "--browser-url", metavar="URL", help="measure the app already running at URL instead of starting one"
    )
    parser.add_argument(
        "--states", action="store_true", help="only what one editor keystroke costs the state manager (no engine)"
    )
    args = parser.parse_args(argv)
    if args.states:
        from decode_data.bench.state_size import measure_edit, render

        figures = measure_edit()
        print(json.dumps(figures, indent=2) if args.json else render(figures), flush=True)
        return 0
    figures, code = (
        ({"errors": []}, 0)
        if args.browser_only
        else run_bench(repeat=args.repeat, learners=args.learners, rounds=args.rounds, cli_repeat=args.cli_repeat)
    )
    if args.browser or args.browser_only:
        from decode_data.bench.browser import run_browser_bench
        from decode_data.bench.report import browser_checks, render_browser

        figures["browser"] = run_browser_bench(args.browser_repeat, args.browser_url, _progress)
        if not figures["browser"].get("skipped"):
            figures["targets"] = figures.get("targets", []) + [c.to_dict() for c in browser_checks(figures["browser"])]
        code = code or (1 if figures["browser"]["errors"] else 0)
    if args.json:
        print(json.dumps(figures, indent=2), flush=True)
    else:
        parts = [] if args.browser_only else [render_table(figures)]
        parts += [render_browser(figures["browser"])] if "browser" in figures else []
        print("\n\n".join(parts), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
