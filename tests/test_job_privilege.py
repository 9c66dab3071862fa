"""Least privilege for learner code: who a job is, and what it can learn about the server.

- A job runs as an unprivileged user of its own (outside: one uid per learner key; inside its
  user namespace: user 1000 without capabilities), so file permissions back up Landlock. The
  identity is checked from the job process itself, with Landlock left out, so what is refused
  here is refused by permissions alone.
- Learner Jinja and SQL see the workspace at /tmp/workspace: no server path, no learner key
  in `target`, `flags`, `invocation_args_dict`, `env_var`, the graph, or DuckDB's settings.

Real engine, real dbt, real DuckDB files; the server runs as root here, as in a container.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest

from decode_data.services import runs
from decode_data.services.engine import identity, sandbox
from decode_data.services.workspace import ensure_workspace, save_file
from tests.attack_helpers import LESSON_ID, result_text, write_attack_lesson

pytestmark = [
    pytest.mark.attack,
    pytest.mark.skipif(os.geteuid() != 0, reason="handing jobs their own uid needs a server running as root"),
]


def _in_job_identity(root: Path, uid: int, probe) -> dict:
    """Fork, take a job's identity for `root` (namespaces, uid, view, no capabilities, but NO
    Landlock), run `probe()` there and return what it reported."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        try:
            report = {"ok": True, **probe_after_identity(root, uid, probe)}
        except BaseException as exc:  # noqa: BLE001 - report it, never raise into pytest
            report = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        os.write(write, json.dumps(report).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    report = json.loads(data)
    assert report.pop("ok"), report
    return report


def probe_after_identity(root: Path, uid: int, probe) -> dict:
    identity.enter_identity(str(root), (), uid)
    return probe()


def _attempt(action) -> str:
    try:
        action()
        return "allowed"
    except PermissionError:
        return "permission denied"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def _append(path: str):
    return lambda: open(path, "a").close()


def _read(path: str):
    return lambda: open(path).read(1)


def test_a_job_is_an_unprivileged_user_and_permissions_alone_refuse_server_files():
    # Outside /tmp (which a job never sees): another learner's workspace under a data folder
    # like the server's, and a file the server owns next to the job's own workspace.
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="dd-privilege-") as base:
        data = Path(base) / "data"
        mine = data / "workspaces" / "u_mine" / "lesson"
        other = data / "workspaces" / "u_other" / "lesson"
        for root in (mine, other):
            (root / "project").mkdir(parents=True)
            (root / "secret.txt").write_text("another learner's")
        (mine / "server_owned.yml").write_text("the server's")
        os.chmod(data, 0o700)  # what the engine makes of DECODE_DATA_DIR
        uid, other_uid = sandbox.job_uid("u_mine"), sandbox.job_uid("u_other")
        from decode_data.services.engine.ownership import hand_over

        hand_over(mine, mine / "project", mine / "warehouse.duckdb", uid)
        hand_over(other, other / "project", other / "warehouse.duckdb", other_uid)

        def probe() -> dict:
            lines = Path("/proc/self/status").read_text().splitlines()
            status = dict(line.split(":", 1) for line in lines if line.startswith("Cap"))
            job_file = os.path.join(sandbox.JOB_ROOT, "warehouse.duckdb")
            return {
                "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()],
                "caps": {k: int(v, 16) for k, v in status.items()},
                "cwd_view": sorted(os.listdir(sandbox.JOB_ROOT)),
                "tmp_view": sorted(os.listdir("/tmp")),
                "own_write": _attempt(lambda: open(job_file, "w").write("x")),
                "own_target": _attempt(lambda: open(f"{sandbox.JOB_ROOT}/project/target/x", "w").close()),
                "server_file_in_workspace": _attempt(_append(f"{sandbox.JOB_ROOT}/server_owned.yml")),
                "replace_project_folder": _attempt(
                    lambda: os.rename(f"{sandbox.JOB_ROOT}/project", f"{sandbox.JOB_ROOT}/gone")
                ),
                "other_learner": _attempt(_read(str(other / "secret.txt"))),
                "other_learner_dir": _attempt(lambda: os.listdir(other)),
                "repo_file": _attempt(_append(str(Path(__file__).resolve()))),
                "shadow": _attempt(_read("/etc/shadow")),
                "root_home": _attempt(lambda: os.listdir("/root/.ssh")),
                "new_file_in_etc": _attempt(lambda: open("/etc/dd-privilege-test", "w").close()),
            }

        seen = _in_job_identity(mine, uid, probe)
        assert seen["ids"] == [sandbox.INSIDE_ID, sandbox.INSIDE_ID, sandbox.INSIDE_ID, []]
        assert seen["caps"] == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}
        assert seen["tmp_view"] == ["workspace"]
        assert {"project", "server_owned.yml", "secret.txt"} <= set(seen["cwd_view"])
        assert seen["own_write"] == "allowed" and seen["own_target"] == "allowed"
        refused = [
            "server_file_in_workspace",
            "replace_project_folder",
            "other_learner",
            "other_learner_dir",
            "shadow",
            "new_file_in_etc",
        ]
        assert {name: seen[name] for name in refused} == dict.fromkeys(refused, "permission denied")
        # A checkout under /tmp (a CI clone) is out of sight: the job's /tmp is its own.
        assert seen["repo_file"] in (
            "permission denied",
            f"FileNotFoundError: [Errno 2] No such file or directory: '{Path(__file__).resolve()}'",
        )
        assert seen["root_home"] in ("permission denied", "FileNotFoundError: [Errno 2] No such file or directory")
        assert not os.path.exists("/etc/dd-privilege-test")
        assert os.stat(mine / "warehouse.duckdb").st_uid == uid  # the job's file is the job's
        assert (mine / "server_owned.yml").read_text() == "the server's"


def test_handing_files_over_never_follows_a_planted_symlink():
    """The server hands the job's files to its uid as root: a link a job left in its own folders
    (to a server folder, say) is handed over itself, and what it points to stays root's."""
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="dd-privilege-") as base:
        root, server = Path(base) / "ws", Path(base) / "server"
        project = root / "project"
        (project / "target" / "compiled").mkdir(parents=True)
        server.mkdir()
        (server / "app.db").write_text("the server's")
        os.symlink(server, project / "target" / "compiled" / "link")
        os.symlink(server, root / "tmp")
        os.symlink(server / "app.db", root / "warehouse.duckdb")
        from decode_data.services.engine.ownership import hand_over

        uid = sandbox.job_uid("u_mine")
        hand_over(root, project, root / "warehouse.duckdb", uid)
        assert os.lstat(project / "target" / "compiled" / "link").st_uid == uid
        assert (root / "tmp").is_dir() and not (root / "tmp").is_symlink()  # a real folder again
        for path in (server, server / "app.db"):
            st = os.stat(path)
            assert (st.st_uid, st.st_gid) == (0, 0), path
        assert stat.S_IMODE(os.stat(server).st_mode) == 0o755


def test_the_start_up_check_refuses_clearly_when_the_uid_mapping_fails(monkeypatch):
    sandbox.check_available()  # this machine: namespaces and the mapping work
    monkeypatch.setattr(identity, "job_uid", lambda _key: 2**32 - 1)  # (uid_t)-1: no such user
    with pytest.raises(sandbox.SandboxUnavailable) as refused:
        sandbox.check_available()
    message = str(refused.value)
    assert "could not take its own unprivileged identity" in message and "user namespaces" in message
    assert "refuses to run learner dbt code" in message


# --- real dbt jobs -----------------------------------------------------------------------------


@pytest.fixture
def attack_lesson(tmp_path):
    from decode_data.services.lessons import load_lesson

    return load_lesson(write_attack_lesson(tmp_path / "lessons"))


@pytest.fixture
def learner_ws(engine, db_session, attack_lesson):
    from decode_data.services.learners import get_or_create_learner

    user = get_or_create_learner(db_session, "mallory")
    return user, ensure_workspace(db_session, user, attack_lesson)


def test_a_real_job_writes_as_its_uid_and_leaves_server_files_alone(db_session, attack_lesson, learner_ws):
    user, ws = learner_ws
    save_file(db_session, user, attack_lesson, "models/t.sql", "{{ config(materialized='table') }}\nselect 1 as id\n")
    result = runs.run_dbt(db_session, user, attack_lesson, "run")
    assert result.ok, result_text(result)[:2000]
    uid = sandbox.job_uid(user.warehouse_key)
    assert os.stat(ws.warehouse).st_uid == uid
    assert os.stat(ws.project / "target").st_uid == uid
    for server_file in ("profiles.yml", "dbt_project.yml", "models/t.sql"):
        assert os.stat(ws.project / server_file).st_uid == 0, server_file
    root = os.stat(ws.root)
    assert (root.st_uid, root.st_gid, stat.S_IMODE(root.st_mode)) == (0, uid, 0o1770)


LEAK_PROBE = """
/* target: {{ target }}
   flags: {{ flags.PROJECT_DIR }} {{ flags.PROFILES_DIR }} {{ flags.TARGET_PATH }} {{ flags.LOG_PATH }}
   invocation_args_dict: {{ invocation_args_dict }}
   env: {{ env_var('HOME', '') }} {{ env_var('TMPDIR', '') }} {{ env_var('PWD', '') }}
   graph: {{ graph.nodes.values() | map(attribute='root_path') | list }}
   model: {{ model.root_path }} {{ model.original_file_path }}
   this: {{ this }} {{ this.database }} {{ this.schema }} */
select
    '{{ target.path }}' as target_path,
    current_setting('temp_directory') as temp_directory,
    current_setting('home_directory') as home_directory,
    current_setting('extension_directory') as extension_directory,
    current_setting('secret_directory') as secret_directory,
    (select string_agg(coalesce(value, ''), ' | ') from duckdb_settings()) as all_settings,
    (select string_agg(coalesce(path, ''), ' | ') from duckdb_databases()) as database_paths
"""


def test_learner_jinja_and_sql_see_no_server_path_and_no_learner_key(
    db_session, attack_lesson, learner_ws, settings_env
):
    user, ws = learner_ws
    save_file(db_session, user, attack_lesson, "models/leak_probe.sql", LEAK_PROBE)
    shown = runs.run_dbt(db_session, user, attack_lesson, "show", select="leak_probe")
    assert shown.ok, result_text(shown)[:2000]
    compiled = runs.run_dbt(db_session, user, attack_lesson, "compile", select="leak_probe")
    assert compiled.ok, result_text(compiled)[:2000]
    row = dict(zip(shown.preview.columns, shown.preview.rows[0], strict=True))
    assert row["target_path"] == f"{sandbox.JOB_ROOT}/warehouse.duckdb"  # the probe rendered
    assert row["temp_directory"].startswith(sandbox.JOB_ROOT)
    for result in (shown, compiled):
        text = result_text(result)
        for secret in (str(settings_env.data_dir), str(ws.root), user.warehouse_key, LESSON_ID + "/project"):
            assert secret not in text, f"{secret!r} reached learner code:\n{text[text.find(secret) - 300 :][:600]}"
        assert "/tmp/workspace/project" in text
