"""Helpers for tests/test_sandbox_attacks.py: a hostile lesson, a victim learner, leak checks.

Every attack goes through the real engine (warm workers, confined job processes, real dbt,
real DuckDB files). These helpers only build the scene and look at what came back.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path

# One token per test session: every sentinel contains it, so a hit can only be a leak.
TOKEN = uuid.uuid4().hex[:12]

SECRET_KEY = f"sentinel-secret-key-{TOKEN}"
MOTHERDUCK_TOKEN = f"sentinel-motherduck-token-{TOKEN}"
DATABASE_URL = f"postgresql://decode:sentinel-db-password-{TOKEN}@db.invalid/decode"
SERVER_SECRETS = {"SECRET_KEY": SECRET_KEY, "MOTHERDUCK_TOKEN": MOTHERDUCK_TOKEN, "DATABASE_URL": DATABASE_URL}

# Content markers: strings that appear only if the file's content got out.
PASSWD_MARKS = ("root:x:0:0", "/usr/sbin/nologin", "/bin/bash")
APP_DB_MARK = "SQLite format 3"
ENVIRON_MARKS = ("PYTHONPATH=", "LANG=C.UTF-8", "DBT_SEND_ANONYMOUS")
CMDLINE_MARK = "engine.worker"
MAPS_MARK = "libpython3"
ROOT_LISTING_MARKS = ("/usr", "/var", "/boot", "/sbin")

LESSON_ID = "attack_lesson"
EDITABLE = ["models/**", "macros/**", "tests/**", "snapshots/**", "analyses/**"]

ATTACK_LESSON_FILES = {
    "lesson.yml": f"""
        id: {LESSON_ID}
        title: Attack lesson
        summary: A lesson that lets the learner edit every SQL folder, for sandbox tests.
        editable: {json.dumps(EDITABLE)}
        steps:
          - id: only
            title: Anything goes
            instructions: Write whatever you like.
    """,
    # No seed dependency: a bystander's "normal run" is one tiny view.
    "starter/models/ok.sql": "select 1 as id, 'fine' as status\n",
    "seeds/raw_people.csv": "id,name\n1,ann\n2,bob\n",
}


def write_attack_lesson(root: Path) -> Path:
    lesson_dir = root / LESSON_ID
    for rel, text in ATTACK_LESSON_FILES.items():
        path = lesson_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return lesson_dir


@dataclass
class Victim:
    """Another learner whose files an attacker goes after.

    One per test module, with a workspace laid out exactly as workspace.py does it
    (<data>/workspaces/<key>/<lesson>/{project,warehouse.duckdb}) and already parsed once, so
    its "normal run" after each attack is the warm, ~0.2 s path of a real learner.
    """

    key: str  # warehouse key
    username: str  # planted in every test's app database (a mark for app DB reads)
    root: Path
    project: Path
    warehouse: Path  # a real DuckDB file holding a table with the secret
    secret: str  # the content planted in every victim file
    listing_mark: str  # the name of a victim file no attack names: seen only if a folder is listed
    root_csv: Path  # <root>/victim_secret.csv, beside the victim's warehouse
    root_json: Path
    seed_csv: Path  # in the victim's own seeds folder (DuckDB-readable for the victim only)
    model_sql: Path  # one of the victim's models

    @property
    def job_paths(self) -> dict:
        return {"root": self.root, "project": self.project, "warehouse": self.warehouse}


def make_victim(data_dir: Path, lesson_dir: Path) -> Victim:
    import duckdb

    key = "u_" + secrets.token_hex(8)
    root = data_dir / "workspaces" / key / LESSON_ID
    project = root / "project"
    shutil.copytree(lesson_dir / "starter", project)
    shutil.copytree(lesson_dir / "seeds", project / "seeds")
    secret = f"sentinel-victim-secret-{TOKEN}"
    mark = f"listed-only-{TOKEN}"
    (root / f"{mark}.txt").write_text(secret)
    root_csv = root / "victim_secret.csv"
    root_csv.write_text(f"k,v\nsecret,{secret}\n")
    root_json = root / "victim_secret.json"
    root_json.write_text(json.dumps([{"secret": secret}]))
    seed_csv = project / "seeds" / "victim_seed.csv"
    seed_csv.write_text(f"k,v\nsecret,{secret}\n")
    model_sql = project / "models" / "victim_private.sql"
    model_sql.write_text(f"select '{secret}' as private_value\n")
    warehouse = root / "warehouse.duckdb"
    conn = duckdb.connect(str(warehouse))
    try:
        conn.execute("create table victim_secret as select ? as value", [secret])
    finally:
        conn.close()
    return Victim(
        key=key,
        username=f"victim{TOKEN}",
        root=root,
        project=project,
        warehouse=warehouse,
        secret=secret,
        listing_mark=mark,
        root_csv=root_csv,
        root_json=root_json,
        seed_csv=seed_csv,
        model_sql=model_sql,
    )


def plant(project: Path, rel: str, text: str) -> Path:
    """Write a file straight into a workspace: a learner who got past the save policy."""
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def hook_model(sql: str, *, kind: str = "pre_hook", body: str = "select 1 as id") -> str:
    """A model whose hook runs ``sql`` (a Jinja string literal, so quotes are escaped)."""
    return "{{ config(" + kind + "=" + json.dumps(sql) + ") }}\n" + body + "\n"


def execute_model(sql: str) -> str:
    """A model that runs ``sql`` through run_query while executing (not while parsing)."""
    return "{% if execute %}{% do run_query(" + json.dumps(sql) + ") %}{% endif %}\nselect 1 as id\n"


def result_text(result) -> str:
    """Everything a job sent back to the server, as one string."""
    return json.dumps(result.to_dict(), default=str)


def error_text(result) -> str:
    parts = [e.message for e in result.errors]
    for node in result.nodes:
        parts.append(node.message or "")
        if node.error:
            parts.append(node.error.message)
    return "\n".join(parts)


def warehouse_text(path: Path) -> str:
    """Every table value and every view definition in a DuckDB file, read in this process."""
    import duckdb

    if not Path(path).exists():
        return ""
    conn = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    try:
        views = conn.execute("select sql from duckdb_views() where not internal").fetchall()
        out = [str(row) for row in views]
        tables = conn.execute("select database_name, schema_name, table_name from duckdb_tables()")
        for db, schema, table in tables.fetchall():
            rows = conn.execute(f'select * from "{db}"."{schema}"."{table}"').fetchall()
            out.extend(str(r) for r in rows)
        return "\n".join(out)
    finally:
        conn.close()


def assert_no_leak(result, marks, *, warehouse: Path | None = None) -> None:
    """No mark appears in anything the job returned, nor in the attacker's warehouse."""
    text = result_text(result)
    stored = warehouse_text(warehouse) if warehouse else ""
    for mark in marks:
        assert mark not in text, f"LEAK: {mark!r} reached the job result:\n{_around(text, mark)}"
        assert mark not in stored, f"LEAK: {mark!r} was stored in the attacker's warehouse"


def assert_refused(result, phrases, *, node: str | None = None) -> None:
    """The job did not succeed and says, in words the learner can act on, what was refused."""
    assert result.status != "success", f"attack succeeded: {result_text(result)[:2000]}"
    if node is not None:
        matches = [n for n in result.nodes if n.name == node]
        assert matches, f"node {node} did not run at all: {error_text(result)[:2000]}"
        assert matches[0].status in ("error", "fail"), f"{node} was not refused: {matches[0]}"
        text = matches[0].error.message if matches[0].error else matches[0].message
    else:
        text = error_text(result)
    assert any(p.lower() in text.lower() for p in phrases), (
        f"the error does not say what was refused (expected one of {phrases}):\n{text[:2000]}"
    )


def assert_nothing_at(*paths: Path | str) -> None:
    for path in paths:
        assert not os.path.lexists(path), f"ESCAPE: {path} was written outside the workspace"


def _around(text: str, mark: str, width: int = 200) -> str:
    i = text.find(mark)
    return text[max(0, i - width) : i + len(mark) + width]
