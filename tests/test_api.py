"""The JSON API end to end: real tokens, the real SQLite app DB, real workspaces and a real check."""

from __future__ import annotations

import warnings
from datetime import datetime

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette suggests httpx2, which is not a dependency here
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from decode_data.api import api_app
from decode_data.services.auth.api_tokens import create_token, revoke_token
from decode_data.services.learners import get_or_create_learner

MODEL = "/api/v1/lessons/hello_dbt/files/models/stg_customers.sql"


@pytest.fixture
def client(db_session):
    with TestClient(api_app) as test_client:
        yield test_client


def token_for(db_session, username: str) -> str:
    raw, _row = create_token(db_session, get_or_create_learner(db_session, username), "tests")
    return raw


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_live_token_is_required(client, db_session):
    ada = get_or_create_learner(db_session, "ada")
    raw, row = create_token(db_session, ada, "laptop")
    assert client.get("/api/v1/lessons", headers=auth(raw)).status_code == 200

    revoke_token(db_session, ada, row.id)
    for headers in ({}, {"Authorization": "Basic YWRhOnB3"}, auth("dd_00000000_" + "x" * 43), auth(raw)):
        response = client.get("/api/v1/lessons", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] and response.headers["www-authenticate"].startswith("Bearer")


def test_lessons_list_carries_the_callers_progress(client, db_session):
    response = client.get("/api/v1/lessons", headers=auth(token_for(db_session, "ada")))
    lessons = {lesson["id"]: lesson for lesson in response.json()["lessons"]}
    hello = lessons["hello_dbt"]
    assert hello["steps"][0] == {"id": "first_model", "title": "Seeds and your first model"}
    assert hello["progress"] == {
        "percent": 0,
        "completed": False,
        "completed_steps": [],
        "next_step": "first_model",
        "current_step": None,
        "started_at": None,
    }


def test_unknown_lessons_steps_and_routes_are_json_404(client, db_session):
    headers = auth(token_for(db_session, "ada"))
    for method, url in (
        ("GET", "/api/v1/lessons/no_such_lesson/progress"),
        ("GET", "/api/v1/lessons/no_such_lesson/files"),
        ("PUT", "/api/v1/lessons/no_such_lesson/files/models/a.sql"),
        ("POST", "/api/v1/lessons/hello_dbt/steps/no_such_step/check"),
        ("GET", "/api/v1/lessons/hello_dbt/files/models/missing.sql"),
        ("GET", "/api/v1/no_such_route"),
    ):
        response = client.request(method, url, headers=headers, json={"content": "select 1"})
        assert response.status_code == 404, url
        assert set(response.json()) == {"error"}
    assert (
        "no_such_step"
        in client.post("/api/v1/lessons/hello_dbt/steps/no_such_step/check", headers=headers).json()["error"]
    )
    assert client.delete(MODEL, headers=headers).json() == {"error": "Method Not Allowed"}


def test_save_then_read_and_rejected_saves_say_why(client, db_session):
    headers = auth(token_for(db_session, "ada"))
    text = "select * from {{ ref('raw_customers') }}\n"
    saved = client.put(MODEL, headers=headers, json={"content": text})
    assert saved.status_code == 200 and saved.json() == {"path": "models/stg_customers.sql", "saved": True}
    assert client.get(MODEL, headers=headers).json() == {"path": "models/stg_customers.sql", "content": text}

    listed = client.get("/api/v1/lessons/hello_dbt/files", headers=headers).json()["files"]
    assert {"path": "models/stg_customers.sql", "editable": True} in listed
    assert {"path": "seeds/raw_customers.csv", "editable": False} in listed

    rejected = {
        "dbt_project.yml": "managed by Decode Data",
        "models/evil.py": "Python files cannot be saved",
        "macros/my_macro.sql": "does not let you change macros/my_macro.sql",
        "seeds/raw_customers.csv": "Only .sql, .yml, .yaml and .md files can be saved",
    }
    for path, reason in rejected.items():
        response = client.put(f"/api/v1/lessons/hello_dbt/files/{path}", headers=headers, json={"content": "select 1"})
        assert response.status_code == 400 and reason in response.json()["error"], path
    for body in ({"content": 42}, ["select 1"]):
        response = client.put(MODEL, headers=headers, json=body)
        assert response.status_code == 400 and "JSON" in response.json()["error"]
    assert client.put(MODEL, headers=headers, content=b"{not json").status_code == 400
    for deep in (b'{"content": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b'{"a":' * 40 + b"1" + b"}" * 40):
        response = client.put(MODEL, headers={**headers, "content-type": "application/json"}, content=deep)
        assert response.status_code == 400 and "nested too deeply" in response.json()["error"]
    assert client.get(MODEL, headers=headers).json()["content"] == text


def test_a_token_sees_only_its_owners_workspace(client, db_session):
    ada, bob = auth(token_for(db_session, "ada")), auth(token_for(db_session, "bob"))
    bob_text = "-- bob's private answer\nselect 2 as n\n"
    client.put(MODEL, headers=ada, json={"content": "-- ada\nselect 1 as n\n"})
    client.put(MODEL, headers=bob, json={"content": bob_text})
    client.put("/api/v1/lessons/hello_dbt/files/models/bob_only.sql", headers=bob, json={"content": bob_text})

    assert client.get(MODEL, headers=ada).json()["content"] == "-- ada\nselect 1 as n\n"
    assert client.get(MODEL, headers=bob).json()["content"] == bob_text
    ada_files = client.get("/api/v1/lessons/hello_dbt/files", headers=ada)
    assert "bob_only.sql" not in ada_files.text
    assert client.get("/api/v1/lessons/hello_dbt/files/models/bob_only.sql", headers=ada).status_code == 404


def test_check_on_the_starter_fails_with_the_staged_message(engine, client, db_session):
    headers = auth(token_for(db_session, "ada"))
    response = client.post("/api/v1/lessons/hello_dbt/steps/first_model/check", headers=headers)

    assert response.status_code == 200, response.text
    feedback = response.json()
    assert feedback["lesson_id"] == "hello_dbt" and feedback["step_id"] == "first_model"
    assert feedback["passed"] is False
    # An untouched starter file gets one line that says so, not findings that do not apply to it.
    failures = [check for check in feedback["checks"] if not check["passed"]]
    assert [f["kind"] for f in failures] == ["starter"]  # and no data check about the placeholder
    assert failures[0]["message"] == (
        "models/stg_customers.sql still holds the starter placeholder: write stg_customers as this step asks."
    )
    assert feedback["summary"].endswith(failures[0]["message"])
    assert "typed table name" not in str(feedback)

    # Once the learner writes something, the checks speak again: a typed table name is named.
    typed = {"content": "select * from raw_customers\n"}
    assert client.put(MODEL, headers=headers, json=typed).status_code == 200
    feedback = client.post("/api/v1/lessons/hello_dbt/steps/first_model/check", headers=headers).json()
    failure = next(check for check in feedback["checks"] if not check["passed"])
    assert failure["kind"] == "uses_ref" and failure["stage"] == "graph"
    assert "ref('raw_customers')" in failure["message"]

    view = client.get("/api/v1/lessons/hello_dbt/progress", headers=headers).json()
    assert view["attempts"] == {"first_model": 2} and view["completed"] is False
    assert view["current_step"] == "first_model" and view["username"] == "ada"
    assert isinstance(datetime.fromisoformat(view["updated_at"]), datetime)


def test_a_starter_model_the_lesson_wrote_is_not_called_a_placeholder(engine, client, db_session):
    """trust_your_data hands the learner working models to test: left as they are, a failing
    step says what the step's checks find (no tests yet), not "still holds the starter placeholder"."""
    headers = auth(token_for(db_session, "ada"))
    feedback = client.post("/api/v1/lessons/trust_your_data/steps/builtin_tests/check", headers=headers).json()
    failures = [check for check in feedback["checks"] if not check["passed"]]
    assert failures and "starter" not in {f["kind"] for f in failures}, failures
    assert "placeholder" not in str(feedback)
    assert any("test" in f["message"] for f in failures), failures


def test_an_unexpected_failure_is_a_json_500_without_internals(client, db_session, monkeypatch):
    from decode_data.services import workspace

    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail /srv/secret/path")

    monkeypatch.setattr(workspace, "list_files", broken)
    response = client.get("/api/v1/lessons/hello_dbt/files", headers=auth(token_for(db_session, "ada")))
    assert response.status_code == 500
    assert set(response.json()) == {"error"} and "secret" not in response.text
