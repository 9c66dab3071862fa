"""The engine's promises, checked with real workers, real dbt and real DuckDB files.

- one learner's jobs run one after another, different learners' jobs run side by side;
- a worker is recycled after K jobs and replaced when it dies;
- a job killed in the middle never corrupts the workspace;
- errors point at the learner's file and line.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from decode_data.services.engine import Engine, Job, PoolConfig
from decode_data.services.lessons import load_lesson
from decode_data.settings import REPO_ROOT

SLOW_MODEL = "select count(*) as n from range(60000000) t(i) where i % 7 = 3\n"


def make_project(root: Path, models: dict[str, str]) -> dict:
    project = root / "project"
    (project / "models").mkdir(parents=True, exist_ok=True)
    (project / "seeds").mkdir(exist_ok=True)
    (project / "seeds" / "raw_numbers.csv").write_text("n\n1\n2\n3\n")
    for name, sql in models.items():
        (project / "models" / name).write_text(sql)
    return {"root": root, "project": project, "warehouse": root / "warehouse.duckdb"}


def timed_run(engine: Engine, job: Job, paths: dict, spans: list) -> None:
    started = time.monotonic()
    result = engine.submit(job, paths)
    spans.append((started, time.monotonic(), result))


# One worker (so one query slot too), a short timeout: what the engine tests build on.
SMALL = {"workers": 1, "job_timeout_s": 20, "job_memory_mb": 768, "worker_max_jobs": 50, "max_log_bytes": 20_000}


@pytest.fixture
def small_engine(tmp_path):
    """Engines of a test's own, for what changes an engine's setup (its host, recycling)."""
    engines = []

    def build(**overrides) -> Engine:
        engine = Engine(PoolConfig(**{**SMALL, "data_dir": tmp_path / "engine-data", **overrides}))
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.close()


@pytest.fixture(scope="module")
def one_worker_engine(tmp_path_factory):
    """A SMALL engine shared by the tests that need no engine of their own: a warm-up costs
    seconds of CPU. Tests that kill its worker or its query host leave it to replace them,
    which is what those tests prove."""
    engine = Engine(PoolConfig(**SMALL, data_dir=tmp_path_factory.mktemp("engine-data")))
    yield engine
    engine.close()


def _job_pid(engine: Engine) -> int:
    worker = engine.idle.get(timeout=120)
    engine.idle.put(worker)
    return worker.pid


def test_one_learner_in_order_and_others_in_parallel(engine, tmp_path):
    ada = make_project(tmp_path / "ada", {"slow.sql": SLOW_MODEL})
    bob = make_project(tmp_path / "bob", {"slow.sql": SLOW_MODEL})
    for paths, key in ((ada, "u_ada"), (bob, "u_bob")):
        assert engine.submit(Job(key, "l", "run"), paths).ok  # warm both workspaces

    same, other = [], []
    threads = [threading.Thread(target=timed_run, args=(engine, Job("u_ada", "l", "run"), ada, same)) for _ in range(2)]
    threads.append(threading.Thread(target=timed_run, args=(engine, Job("u_bob", "l", "run"), bob, other)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(r.ok for _, _, r in same + other)
    (a1, a1_end, _), (a2, a2_end, _) = sorted(same, key=lambda s: s[1])
    # Submissions of one learner queue behind each other: the later one ends a full run later.
    assert a2_end - a1_end >= 0.8 * min(r.elapsed_s for _, _, r in same)
    # Another learner's job overlaps in time with ada's jobs (two workers).
    b_start, b_end, _ = other[0]
    assert b_start < a1_end and b_end > a1


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_worker_is_recycled_after_k_jobs(small_engine, tmp_path):
    engine = small_engine(worker_max_jobs=2)
    paths = make_project(tmp_path / "ws", {"one.sql": "select 1 as x\n"})
    first = _job_pid(engine)
    for _ in range(2):
        assert engine.submit(Job("u_k", "l", "run"), paths).ok
    assert _job_pid(engine) != first
    assert engine.submit(Job("u_k", "l", "run"), paths).ok


def test_every_worker_is_forked_from_one_warm_host(small_engine, tmp_path):
    """Two workers and the one that replaces a recycled worker all come from the same warm
    host: no worker but the host imports and warms up dbt."""
    engine = small_engine(workers=2, worker_max_jobs=1)
    paths = make_project(tmp_path / "ws", {"one.sql": "select 1 as x\n"})
    _wait_until(lambda: len(engine.workers) == 2, "both workers started")
    host = engine.host.proc.pid
    assert {_parent(w.pid) for w in engine.workers} == {host}
    first = {w.pid for w in engine.workers}
    assert engine.submit(Job("u_f", "l", "run"), paths).ok
    _wait_until(lambda: len(engine.workers) == 2 and {w.pid for w in engine.workers} != first, "a new worker")
    assert {_parent(w.pid) for w in engine.workers} == {host}
    assert engine.submit(Job("u_f", "l", "run"), paths).ok


def test_a_killed_host_is_started_again_and_its_workers_carry_on(small_engine, tmp_path):
    engine = small_engine(workers=1, worker_max_jobs=1)
    paths = make_project(tmp_path / "ws", {"one.sql": "select 1 as x\n"})
    worker = _job_pid(engine)
    old_host = engine.host.proc.pid
    os.killpg(old_host, signal.SIGKILL)
    # The worker forked before the host died still runs jobs; recycled after it, it is
    # replaced by a worker of a new host.
    assert engine.submit(Job("u_h", "l", "run"), paths).ok
    _wait_until(lambda: any(w.pid != worker for w in list(engine.workers)), "a new worker")
    new_host = engine.host.proc.pid
    assert new_host != old_host
    assert [_parent(w.pid) for w in list(engine.workers)] == [new_host]
    assert engine.submit(Job("u_h", "l", "run"), paths).ok


def test_without_a_host_a_worker_starts_on_its_own(small_engine, tmp_path, monkeypatch):
    from decode_data.services.engine.worker_host_client import HostUnavailable, WorkerHost

    def unavailable(self):
        raise HostUnavailable("no host in this test")

    monkeypatch.setattr(WorkerHost, "spawn", unavailable)
    engine = small_engine()
    paths = make_project(tmp_path / "ws", {"one.sql": "select 1 as x\n"})
    assert _parent(_job_pid(engine)) == os.getpid()
    assert engine.submit(Job("u_o", "l", "run"), paths).ok


def test_an_engine_that_skips_the_warm_up_gives_a_grade_build_the_same_memory(small_engine, tmp_path):
    """`workspace run` starts its engine cold (PoolConfig.warm_up): its one job loads what the
    warm-up would have, under the job's own memory limit. The heaviest job there is, a grade
    build of a whole lesson (parse, seed, run, test, every relation read back), still gets its
    full memory: cold, hello_dbt's ran out of it before the limit counted that load in."""
    from decode_data.services.grader.builds import reference_project

    lesson_dir = REPO_ROOT / "dbt_template" / "hello_dbt"
    engine = small_engine(warm_up=False, job_memory_mb=1024)
    root = tmp_path / "ws"
    paths = {"root": root, "project": root / "project", "warehouse": root / "warehouse.duckdb"}
    reference_project(load_lesson(lesson_dir), paths["project"])
    shutil.copytree(lesson_dir / "seeds", paths["project"] / "seeds")
    done = engine.submit(Job("u_c", "hello_dbt", "grade_build"), paths)
    assert done.status == "success", done.errors
    assert {"stg_customers", "customers"} <= {t["name"] for t in done.tables if not t.get("error")}


def test_killed_worker_is_replaced_and_workspace_survives(one_worker_engine, tmp_path):
    engine = one_worker_engine
    big_table = "{{ config(materialized='table') }}\nselect i, i * 2 as j from range(300000000) t(i)\n"
    paths = make_project(tmp_path / "ws", {"slow.sql": big_table, "fast.sql": "select 1 as x\n"})
    assert engine.submit(Job("u_kill", "l", "run", select="fast"), paths).ok
    pid = _job_pid(engine)
    threading.Timer(2.0, lambda: os.killpg(pid, signal.SIGKILL)).start()
    result = engine.submit(Job("u_kill", "l", "run", select="slow"), paths)
    assert result.status == "error"
    assert "could not finish" in result.errors[0].message
    # The pool replaced the worker; the warehouse file still opens and holds earlier work.
    again = engine.submit(Job("u_kill", "l", "query", sql="select x from fast"), paths)
    assert again.ok and again.preview.rows == [[1]]
    assert _job_pid(engine) != pid


def test_timeout_kills_only_the_job(one_worker_engine, tmp_path):
    engine = one_worker_engine
    paths = make_project(
        tmp_path / "ws",
        {
            "loop.sql": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
            "select 1 as x\n",
            "fine.sql": "select 2 as y\n",
        },
    )
    pid = _job_pid(engine)
    result = engine.submit(Job("u_t", "l", "run", select="loop"), paths, timeout_s=3)
    assert result.status == "timeout"
    assert "stopped after 3 s" in result.errors[0].message
    assert _job_pid(engine) == pid  # the warm worker carries on
    (Path(paths["project"]) / "models" / "loop.sql").unlink()
    # The next job parses the project anew: on a loaded machine that alone can take 3 s.
    assert engine.submit(Job("u_t", "l", "run", select="fine"), paths, timeout_s=30).ok


def test_sql_error_points_at_learner_line(engine, tmp_path):
    paths = make_project(
        tmp_path / "ws",
        {
            "stg_numbers.sql": "select n from {{ ref('raw_numbers') }}\n",
            "broken.sql": "-- totals per number\n"
            "select\n"
            "    n,\n"
            "    n_missing * 2 as doubled\n"
            "from {{ ref('stg_numbers') }}\n",
        },
    )
    assert engine.submit(Job("u_err", "l", "seed"), paths).ok
    result = engine.submit(Job("u_err", "l", "run"), paths)
    assert result.status == "failed"
    error = next(e for e in result.errors if e.path)
    assert error.path == "models/broken.sql"
    assert error.line == 4
    assert "n_missing" in error.message
    assert {n.name: n.status for n in result.nodes}["stg_numbers"] == "success"


def test_jinja_error_points_at_learner_line(engine, tmp_path):
    paths = make_project(tmp_path / "ws", {"bad_jinja.sql": "select\n  1 as a,\n  {{ ref('x' }} as b\n"})
    result = engine.submit(Job("u_jinja", "l", "compile"), paths)
    assert result.status == "failed"
    error = result.errors[0]
    assert error.path == "models/bad_jinja.sql"
    assert error.line == 3


def test_unknown_command_and_bad_selector_are_rejected(engine, tmp_path):
    from decode_data.services.engine import JobRejected

    paths = make_project(tmp_path / "ws", {"one.sql": "select 1 as x\n"})
    with pytest.raises(JobRejected):
        engine.submit(Job("u_rej", "l", "drop"), paths)
    result = engine.submit(Job("u_rej", "l", "run", select="one; rm -rf /"), paths)
    assert result.status == "rejected"
    result = engine.submit(Job("u_rej", "l", "run", args=["--profiles-dir", "/etc"]), paths)
    assert result.status == "rejected" and "not allowed" in result.errors[0].message


def test_unknown_ref_points_at_the_line(engine, tmp_path):
    paths = make_project(tmp_path / "ws", {"uses_missing.sql": "select *\nfrom {{ ref('no_such_model') }}\n"})
    result = engine.submit(Job("u_ref", "l", "run"), paths)
    assert result.status == "failed"
    error = result.errors[0]
    assert (error.path, error.line) == ("models/uses_missing.sql", 2)
    assert "no model or seed" in error.message and "Did you mean" not in error.message  # nothing is near


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("select *\nfrom {{ ref('raw_number') }}\n", "Did you mean ref('raw_numbers')?"),
        (
            "select *\nfrom {{ ref('raw_numbers.csv') }}\n",
            "ref() takes the model's name, not its file: ref('raw_numbers').",
        ),
        (
            "select *\nfrom {{ source('raw', 'orders') }}\n",
            "models/uses.sql uses source('raw', 'orders'), but no .yml file of the project declares it",
        ),
    ],
    ids=["typo", "file_name", "undeclared_source"],
)
def test_a_ref_or_source_that_names_nothing_says_what_was_meant(engine, tmp_path, sql, said):
    """The project does not parse, so there is no manifest: the names come from its files."""
    paths = make_project(tmp_path / "ws", {"uses.sql": sql})
    (error,) = engine.submit(Job("u_names", "l", "run"), paths).errors
    assert (error.path, error.line) == ("models/uses.sql", 2)
    assert said in error.message, error.message


def test_a_project_that_does_not_parse_leaves_no_warehouse_behind_and_an_existing_one_intact(engine, tmp_path):
    """A failed parse on a fresh workspace leaves no empty warehouse (the query page then says
    to run dbt first), and on a built one the tables stay; the next run shows its rows."""
    paths = make_project(tmp_path / "ws", {"uses_missing.sql": "select *\nfrom {{ ref('no_such_model') }}\n"})
    assert engine.submit(Job("u_parse", "l", "run"), paths).status == "failed"
    assert not Path(paths["warehouse"]).exists()
    model = Path(paths["project"]) / "models" / "uses_missing.sql"
    model.write_text("select 1 as x\n")
    assert engine.submit(Job("u_parse", "l", "run"), paths).ok
    model.write_text("select *\nfrom {{ ref('no_such_model') }}\n")
    assert engine.submit(Job("u_parse", "l", "run"), paths).status == "failed"
    again = engine.submit(Job("u_parse", "l", "query", sql="select x from uses_missing"), paths)
    assert again.ok and again.preview.rows == [[1]]
    model.write_text("select 2 as x\n")
    ran = engine.submit(Job("u_parse", "l", "run", preview_rows=True), paths)
    assert ran.ok and ran.preview.rows == [[2]]


def test_a_missing_table_error_names_its_fix(engine, tmp_path):
    """Forgetting `dbt seed`, running a model before its parent, or typing a name wrong: each
    error says what to do, at the learner's line, without DuckDB's guess among system tables."""
    paths = make_project(
        tmp_path / "ws",
        {
            "stg_numbers.sql": "select n\nfrom {{ ref('raw_numbers') }}\n",
            "doubled.sql": "select n * 2 as n2\nfrom {{ ref('stg_numbers') }}\n",
            "typo.sql": "select n\nfrom stg_numbrs\n",
            "grows.sql": "{{ config(materialized='incremental') }}\nselect n from {{ ref('raw_numbers') }}\n"
            "where n > (select max(n) from {{ this }})\n",
        },
    )
    unseeded = engine.submit(Job("u_missing", "l", "run", select="stg_numbers"), paths)
    error = next(e for e in unseeded.errors if e.path == "models/stg_numbers.sql")
    assert (
        "raw_numbers does not exist. raw_numbers is a seed that is not loaded into your warehouse yet: run `dbt seed` first."
        in error.message
    )
    assert "pragma" not in error.message and "Did you mean" not in error.message  # DuckDB's guess is gone
    assert error.line == 2

    assert engine.submit(Job("u_missing", "l", "seed"), paths).ok
    unbuilt = engine.submit(Job("u_missing", "l", "run", select="doubled"), paths)
    error = next(e for e in unbuilt.errors if e.path == "models/doubled.sql")
    assert "stg_numbers is not built in your warehouse yet: run `dbt run -s stg_numbers` first" in error.message

    first = engine.submit(Job("u_missing", "l", "run", select="grows"), paths)
    error = next(e for e in first.errors if e.path == "models/grows.sql")
    assert "grows reads its own table ({{ this }}), which does not exist before its first run" in error.message

    assert engine.submit(Job("u_missing", "l", "run", select="stg_numbers"), paths).ok
    typo = engine.submit(Job("u_missing", "l", "run", select="typo"), paths)
    error = next(e for e in typo.errors if e.path == "models/typo.sql")
    assert (
        "Table with name stg_numbrs does not exist. Did you mean stg_numbers? Read it with {{ ref('stg_numbers') }}."
        in (error.message)
    )
    assert error.line == 2


def test_a_model_ending_with_a_semicolon_is_told_to_drop_it(engine, tmp_path):
    """The habit of every SQL console breaks the statement dbt wraps around a model: the error
    says so, at the line of the semicolon (not DuckDB's line in dbt's statement)."""
    paths = make_project(
        tmp_path / "ws", {"ends.sql": "select n\nfrom {{ ref('raw_numbers') }};  -- done\n\n-- the end\n"}
    )
    assert engine.submit(Job("u_semicolon", "l", "seed"), paths).ok
    ran = engine.submit(Job("u_semicolon", "l", "run"), paths)
    error = next(e for e in ran.errors if e.path == "models/ends.sql")
    assert "without a semicolon" in error.message and "Remove the ;" in error.message, error.message
    assert error.line == 2


def test_a_source_looked_up_outside_main_is_told_where_the_tables_are(engine, tmp_path):
    """A source without `schema:` is looked up in a schema named like the source, which does not
    exist: everything dbt seeds is in main."""
    paths = make_project(
        tmp_path / "ws",
        {
            "sources.yml": "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: raw_numbers\n",
            "stg.sql": "select n\nfrom {{ source('raw', 'raw_numbers') }}\n",
        },
    )
    assert engine.submit(Job("u_schema", "l", "seed"), paths).ok
    (error,) = engine.submit(Job("u_schema", "l", "run"), paths).errors
    assert 'schema "raw" does not exist' in error.message and "give the source `schema: main`" in error.message
    assert (error.path, error.line) == ("models/stg.sql", 2)


def test_a_source_table_without_its_identifier_is_told_the_seeds_name(engine, tmp_path):
    """source('raw', 'numbers') reads a table named numbers unless the YAML says `identifier:`:
    the fix is that line, with the seed's name, not a ref() to the nearest model."""
    paths = make_project(
        tmp_path / "ws",
        {
            "sources.yml": "version: 2\nsources:\n  - name: raw\n    schema: main\n    tables:\n"
            "      - name: numbers\n",
            "stg_numbers.sql": "select n\nfrom {{ source('raw', 'numbers') }}\n",
        },
    )
    assert engine.submit(Job("u_identifier", "l", "seed"), paths).ok
    (error,) = engine.submit(Job("u_identifier", "l", "run"), paths).errors
    assert "numbers is the table a source() of your project reads" in error.message, error.message
    assert "give that source's table `identifier: raw_numbers`" in error.message and "ref(" not in error.message
    assert (error.path, error.line) == ("models/stg_numbers.sql", 2)


M_SQL = "select n from {{ ref('raw_numbers') }}\n"


@pytest.mark.parametrize(
    ("files", "where", "said"),
    [
        (
            {
                "m.sql": M_SQL,
                "schema.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: n\n"
                "      data_tests: [unique]\n",
            },
            ("models/schema.yml", 6),
            "models/schema.yml is not valid YAML near line 6: did not find expected '-' indicator.",
        ),
        (
            {"m.sql": M_SQL, "schema.yml": "version: 2\nmodels:\n  - name: m\n    description: {{ doc('m') }}\n"},
            ("models/schema.yml", 4),
            'A value that starts with {{ needs quotes, or YAML reads the braces as a mapping: "{{ ... }}".',
        ),
        (
            {
                "m.sql": M_SQL,
                "schema.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: n\n"
                "        data_tests: [uniqe]\n",
            },
            ("models/schema.yml", 6),
            "There is no generic test named uniqe. Did you mean unique?",
        ),
        (
            {"m.sql": "select n\nfrom {{ reff('raw_numbers') }}\n"},
            ("models/m.sql", 2),
            "'reff' is not a function or variable dbt's Jinja knows. Did you mean ref?",
        ),
    ],
    ids=["yaml_indent", "yaml_jinja_unquoted", "test_typo", "jinja_typo"],
)
def test_a_misspelt_file_or_name_is_placed_and_named(engine, tmp_path, files, where, said):
    """dbt names a YAML file relative to its folder and with no line the editor can use, and
    blames a misspelt test or function on a missing package (`dbt deps`, which lessons do not
    have): the learner gets their file, their line and the name they meant."""
    paths = make_project(tmp_path / "ws", files)
    (error,) = engine.submit(Job("u_misspelt", "l", "build"), paths).errors
    assert said in error.message and "dbt deps" not in error.message, error.message
    assert (error.path, error.line) == where


@pytest.mark.parametrize(
    ("models", "where", "said"),
    [
        (
            {"m.sql": "-- numbers\n{{ config(materialized='tabel') }}\nselect 1 as n\n"},
            {("models/m.sql", 2)},
            ["dbt has no materialization named tabel", "Did you mean 'table'?"],
        ),
        (
            {"m.sql": "select n\nfrom {{ ref(raw_numbers) }}\n"},
            {("models/m.sql", 2)},
            ["ref() takes names in quotes, ref('raw_numbers')"],
        ),
        (
            {
                "a.sql": "select * from {{ ref('c') }}\n",
                "b.sql": "-- b\nselect * from {{ ref('a') }}\n",
                "c.sql": "-- c\n-- c\nselect * from {{ ref('b') }}\n",
            },
            {("models/a.sql", 1), ("models/b.sql", 2), ("models/c.sql", 3)},
            ["read each other in a circle", "a reads c", "b reads a", "c reads b", "one of these ref()s has to go"],
        ),
        (
            {"m.sql": "select n\nfrom {{ ref('raw_numbers') }\n"},
            {("models/m.sql", 2)},
            ["Jinja closes what {{ opens with two braces: }}."],
        ),
        (
            {"m.sql": "select n\nfrom {{ ref('raw_numbers')\n"},
            {("models/m.sql", 2), ("models/m.sql", 3)},
            ["A {{ or {% is never closed"],
        ),
        (
            {"m.sql": "select n\nfrom { ref('raw_numbers') }\n"},
            {("models/m.sql", 2)},
            ["Jinja needs two braces on each side"],
        ),
    ],
    ids=["materialization_typo", "unquoted_ref", "circle", "one_closing_brace", "never_closed", "single_braces"],
)
def test_a_call_dbt_refuses_or_a_brace_too_few_says_what_to_type(engine, tmp_path, models, where, said):
    """dbt's own words for these (a Python class name, a list of unique ids, a bare "unexpected
    '}'") leave a beginner without the fix, and the cycle and the unknown materialization without
    a line."""
    paths = make_project(tmp_path / "ws", models)
    (error,) = engine.submit(Job("u_refused", "l", "run"), paths).errors
    assert all(part in error.message for part in said), error.message
    assert (error.path, error.line) in where, (error.path, error.line, error.message)


@pytest.mark.parametrize(
    "snapshot,said,path",
    [
        (
            "    unique_key: n\n    strategy: timestamp\n    updated_at: n\n",
            "In a snapshot's YAML they go under its `config:`",
            None,  # dbt's parse error names no file
        ),
        ("    config:\n      unique_key: n\n      strategy: timestamp\n", "Add `updated_at:`", None),
        (
            "    config:\n    unique_key: n\n    strategy: timestamp\n    updated_at: n\n",
            "Invalid snapshots config given in snapshots/numbers_snapshot.yml",
            "snapshots/numbers_snapshot.yml",  # named in the text only: the editor opens it
        ),
    ],
    ids=["config_keys_at_the_top", "no_updated_at", "config_left_empty"],
)
def test_a_snapshot_configured_wrong_says_where_the_config_goes(engine, tmp_path, snapshot, said, path):
    """dbt says what is missing, not where it goes, and names the file only in its text."""
    paths = make_project(tmp_path / "ws", {"m.sql": "select n from {{ ref('raw_numbers') }}\n"})
    (paths["project"] / "snapshots").mkdir()
    (paths["project"] / "snapshots" / "numbers_snapshot.yml").write_text(
        "snapshots:\n  - name: numbers_snapshot\n    relation: ref('raw_numbers')\n" + snapshot
    )
    (error,) = engine.submit(Job("u_snapshot", "l", "snapshot"), paths).errors
    assert said in error.message, error.message
    assert path is None or error.path == path, (error.path, error.message)


def test_an_error_in_the_learners_own_generic_test_points_at_its_block(engine, tmp_path):
    """A column typed into a {% test %} block fails in every model the test is used on; the fix
    is in the block, not in the YAML that uses it (which dbt names as the test's file)."""
    paths = make_project(
        tmp_path / "ws",
        {
            "m.sql": "select n from {{ ref('raw_numbers') }}\n",
            "schema.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: n\n"
            "        data_tests: [positive]\n",
        },
    )
    (paths["project"] / "tests" / "generic").mkdir(parents=True)
    (paths["project"] / "tests" / "generic" / "positive.sql").write_text(
        "{% test positive(model, column_name) %}\nselect *\nfrom {{ model }}\nwhere amount <= 0\n{% endtest %}\n"
    )
    result = engine.submit(Job("u_generic", "l", "build"), paths)
    (test,) = [n for n in result.nodes if n.resource_type == "test"]
    assert test.status == "error" and 'column "amount" not found' in test.error.message, test.error
    assert (test.error.path, test.error.line) == ("tests/generic/positive.sql", 4)


def test_a_select_cut_short_points_at_its_end(engine, tmp_path):
    """An unfinished where: DuckDB stumbles on the parenthesis dbt closes its statement with,
    a line the learner never wrote; the error points at the end of their select instead."""
    paths = make_project(
        tmp_path / "ws", {"cut.sql": "select n\nfrom {{ ref('raw_numbers') }}\nwhere n >\n\n-- todo\n"}
    )
    assert engine.submit(Job("u_cut", "l", "seed"), paths).ok
    (error,) = engine.submit(Job("u_cut", "l", "run"), paths).errors
    assert "stops in the middle of a clause" in error.message, error.message
    assert (error.path, error.line) == ("models/cut.sql", 3)


def test_what_dbt_builds_without_a_word_is_a_warning_at_the_learners_line(engine, tmp_path):
    """A misspelt config key builds the default and a misspelt YAML name attaches its tests to
    nothing, and dbt says nothing of either (the YAML warning comes only on the parse that reads
    the file): the run succeeds and says both, at the learner's line, on every run."""
    paths = make_project(
        tmp_path / "ws",
        {
            "numbers.sql": "-- every number\n{{ config(materialised='table') }}\nselect n from {{ ref('raw_numbers') }}\n",
            "schema.yml": "version: 2\nmodels:\n  - name: numbers\n  - name: number\n    columns:\n"
            "      - name: n\n        data_tests: [unique]\n",
        },
    )
    assert engine.submit(Job("u_silent", "l", "seed"), paths).ok
    for _ in range(2):  # the second run parses partially: schema.yml is not read again
        result = engine.submit(Job("u_silent", "l", "run"), paths)
        assert result.ok, result.errors
        config, entry = sorted(result.warnings, key=lambda w: w.path)
        assert (config.path, config.line) == ("models/numbers.sql", 2)
        assert "no config named materialised" in config.message and "Did you mean materialized?" in config.message
        assert (entry.path, entry.line) == ("models/schema.yml", 4)
        assert "No model is named number" in entry.message and "Did you mean numbers?" in entry.message

    (paths["project"] / "models" / "numbers.sql").write_text(
        "{{ config(materialized='table', my_team='finance') }}\nselect n from {{ ref('raw_numbers') }}\n"
    )
    (paths["project"] / "models" / "retired.sql").write_text("{{ config(enabled=false) }}\nselect 1 as n\n")
    (paths["project"] / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: numbers\n  - name: retired\n"
    )
    result = engine.submit(Job("u_silent", "l", "run"), paths)
    assert result.ok and result.warnings == []  # a custom config of one's own, a disabled model's entry


def test_a_run_whose_rows_cannot_be_read_says_why(engine, tmp_path):
    """A view runs its query when read: the run succeeds, reading its rows fails. The grid stays
    empty, and the run's warnings say why instead of nothing."""
    paths = make_project(tmp_path / "ws", {"broken_view.sql": "select cast('not a number' as integer) as n\n"})
    result = engine.submit(Job("u_unread", "l", "run", preview_rows=True), paths)
    assert result.ok and result.preview is None, result.errors
    (warning,) = result.warnings
    assert warning.message.startswith("The rows of broken_view are not shown: Conversion Error"), warning.message


def test_show_previews_the_model_not_its_tests(engine, tmp_path):
    paths = make_project(
        tmp_path / "ws",
        {
            "numbers.sql": "select n from {{ ref('raw_numbers') }}\n",
            "schema.yml": "version: 2\nmodels:\n  - name: numbers\n    columns:\n"
            "      - name: n\n        data_tests: [unique, not_null]\n",
        },
    )
    assert engine.submit(Job("u_show", "l", "seed"), paths).ok
    assert engine.submit(Job("u_show", "l", "run"), paths).ok
    result = engine.submit(Job("u_show", "l", "show", select="numbers", row_cap=2), paths)
    assert result.ok, result.errors
    assert result.preview.columns == ["n"] and len(result.preview.rows) == 2


def _wait_until(condition, what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def test_short_jobs_and_queries_do_not_wait_behind_long_builds(one_worker_engine, tmp_path):
    """One worker, busy with ada's long build; bob's build waits for it. Then cy's `dbt show`
    (short) arrives: it gets the worker before bob's build, which came first. And dee's query
    never needs the worker: it answers while ada's build still runs."""
    import duckdb

    engine = one_worker_engine
    long_build = "{{ config(materialized='table') }}\nselect count(*) as n from range(400000000) t(i) where i % 7 = 3\n"
    ada = make_project(tmp_path / "ada", {"slow.sql": long_build})
    bob = make_project(tmp_path / "bob", {"slow.sql": SLOW_MODEL})
    cy = make_project(tmp_path / "cy", {"one.sql": "select 1 as x\n"})
    dee = make_project(tmp_path / "dee", {"one.sql": "select 1 as x\n"})
    with duckdb.connect(str(dee["warehouse"])) as conn:
        conn.execute("create table answers as select 42 as x")
    _wait_until(lambda: engine.idle.qsize() == 1, "the worker started")

    spans: dict[str, list] = {name: [] for name in ("ada", "bob", "cy", "dee")}

    def submit(name: str, job: Job, paths: dict) -> threading.Thread:
        thread = threading.Thread(target=timed_run, args=(engine, job, paths, spans[name]))
        thread.start()
        return thread

    first_node = threading.Event()
    ada_thread = threading.Thread(
        target=lambda: spans["ada"].append(
            engine.submit(
                Job("u_ada", "l", "run"),
                ada,
                on_event=lambda e: e.get("status") == "running" and first_node.set(),
            )
        )
    )
    ada_thread.start()
    assert first_node.wait(120), "ada's build never started"
    threads = [submit("bob", Job("u_bob", "l", "run"), bob)]
    _wait_until(lambda: engine.idle.waiting_jobs() == 1, "bob's build waits for the worker")
    threads.append(submit("cy", Job("u_cy", "l", "show", sql="select 1 as one"), cy))
    _wait_until(lambda: engine.idle.waiting_jobs() == 2, "cy's show waits too")
    dee_result = engine.submit(Job("u_dee", "l", "query", sql="select x from answers"), dee)
    assert dee_result.ok and dee_result.preview.rows == [[42]], dee_result.errors
    assert ada_thread.is_alive() and not spans["ada"], "the query waited for ada's build"
    for thread in [ada_thread, *threads]:
        thread.join(120)

    assert spans["ada"][0].ok, spans["ada"][0].errors
    (_, bob_end, bob_result), (_, cy_end, cy_result) = spans["bob"][0], spans["cy"][0]
    assert bob_result.ok and cy_result.ok and cy_result.preview.rows == [[1]]
    assert cy_end < bob_end, "the short show waited behind bob's build, which arrived first"


def test_a_query_process_is_shut_before_the_learners_next_job(one_worker_engine, tmp_path):
    """The learner's query process keeps the warehouse open between queries; a dbt run of the
    same learner shuts it first (dbt writes the file), and the next query sees the new table."""
    engine = one_worker_engine
    paths = make_project(tmp_path / "ws", {"first.sql": "select 1 as x\n"})
    assert engine.submit(Job("u_q", "l", "run"), paths).ok
    assert engine.submit(Job("u_q", "l", "query", sql="select x from first"), paths).preview.rows == [[1]]
    assert engine.queries.is_open("u_q")
    (Path(paths["project"]) / "models" / "second.sql").write_text("select 2 as y\n")
    assert engine.submit(Job("u_q", "l", "run"), paths).ok  # would fail on DuckDB's lock if still open
    assert not engine.queries.is_open("u_q")
    again = engine.submit(Job("u_q", "l", "query", sql="select y from second"), paths)
    assert again.ok and again.preview.rows == [[2]], again.errors
    tables = engine.submit(Job("u_q", "l", "tables"), paths)
    assert {t["name"] for t in tables.tables} >= {"first", "second"}


def test_a_dead_query_host_is_replaced(one_worker_engine, tmp_path):
    """The query host dies (killed with its query processes): the next query starts a new one."""
    import duckdb

    engine = one_worker_engine
    paths = make_project(tmp_path / "ws", {"one.sql": "select 1 as x\n"})
    with duckdb.connect(str(paths["warehouse"])) as conn:
        conn.execute("create table answers as select 42 as x")
    query = Job("u_host", "l", "query", sql="select x from answers")
    assert engine.submit(query, paths).preview.rows == [[42]]
    host = engine.queries.proc
    os.killpg(host.pid, signal.SIGKILL)
    host.wait()
    again = engine.submit(query, paths)
    assert again.ok and again.preview.rows == [[42]], again.errors
    assert engine.queries.proc.pid != host.pid


def test_queries_running_at_once_are_capped(one_worker_engine, tmp_path):
    """With one query slot, a second learner's query waits until the first learner's long query
    ends: many learners' heavy queries never all run (and take their memory) together."""
    import duckdb

    engine = one_worker_engine
    spans: dict[str, list] = {"ann": [], "ben": []}
    jobs = {}
    for name in spans:
        paths = make_project(tmp_path / name, {"one.sql": "select 1 as x\n"})
        with duckdb.connect(str(paths["warehouse"])) as conn:
            conn.execute("create table answers as select 42 as x")
        jobs[name] = paths
    long_query = "select count(*) from range(3000000000) t(i) where i % 7 = 3"
    ann = threading.Thread(
        target=timed_run, args=(engine, Job("u_ann", "l", "query", sql=long_query), jobs["ann"], spans["ann"])
    )
    ann.start()
    _wait_until(lambda: engine.queries.is_open("u_ann") or not engine.queries.slots._value, "ann's query runs")
    timed_run(engine, Job("u_ben", "l", "query", sql="select x from answers"), jobs["ben"], spans["ben"])
    ann.join(60)
    (_, ann_end, _), (_, ben_end, ben_result) = spans["ann"][0], spans["ben"][0]
    assert ben_result.ok and ben_result.preview.rows == [[42]]
    assert ben_end >= ann_end, "ben's query ran beside ann's although there is one slot"
