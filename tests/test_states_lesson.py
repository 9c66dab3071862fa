"""The lesson-page states without a server: their plain helpers, and a few handlers end to end.

Everything is real: a migrated SQLite app database, accounts and sessions made by
services/auth, workspaces on disk, the real lesson catalog (or the fake demo lesson served as
the catalog), and the real engine for the runner's dbt jobs. Reflex states are instantiated the
way tests/test_pages_secondary.py does it and their handlers called through `.fn`.
"""

from __future__ import annotations

import collections
import dataclasses
import time
from datetime import timedelta

import pytest
from reflex.istate.data import HeaderData, ReflexURL, RouterData, SessionData
from reflex.state import State
from sqlmodel import select

from decode_data import routes
from decode_data import settings as settings_module
from decode_data.db import session_scope
from decode_data.models import ModelEdit, UserSession, utcnow
from decode_data.services import progress, workspace
from decode_data.services.auth import AuthError, browser_sign_in, end_session, register, start_session
from decode_data.services.auth.cookies import SESSION_COOKIE
from decode_data.services.auth.tokens import hash_token
from decode_data.services.dbt_command import DbtRequest, parse_command_line
from decode_data.services.engine import JobResult, LearnerError, NodeResult
from decode_data.services.lessons import get_lesson
from decode_data.services.save_policy import SaveRejected
from decode_data.states import access, dashboard, editor, oauth, runner, view_models
from decode_data.states.lesson import lesson_id_from_path
from decode_data.states.view_models import FileItem
from tests.coroutines import run_coroutine

PASSWORD = "correct horse battery"


# ---------------------------------------------------------------- helpers


def _state(cls, path: str = "/", user_agent: str = "", client_ip: str = "", token: str = ""):
    """A state as an event of a page at `path` sees it; `token`: the browser's session cookie."""
    state = State(_reflex_internal_init=True).get_substate(cls.get_full_name().split(".")[1:])
    state.router = RouterData(
        url=ReflexURL(f"http://127.0.0.1:3000{path}"),
        headers=HeaderData(user_agent=user_agent, cookie=f"theme=dark; {SESSION_COOKIE}={token}" if token else ""),
        session=SessionData(client_ip=client_ip),
    )
    return state


def _edits(user_id: int, lesson_id: str) -> dict[str, str]:
    """The saved edits as the database has them now (a fresh session: nothing cached)."""
    with session_scope() as session:
        rows = session.exec(select(ModelEdit).where(ModelEdit.user_id == user_id, ModelEdit.lesson_id == lesson_id))
        return {row.path: row.content for row in rows}


@pytest.fixture
def token(db_session, learner) -> str:
    return start_session(db_session, learner, "pytest")


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "http://evil.example/",
        "https://evil.example",
        "/\\evil.example",
        "/lessons\\..\\x",
        "evil.example/lessons",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example/x",
        "/ /evil.example",
        "/\x00/evil.example",
        "\t//evil.example",
        "",
        None,
    ],
)
def test_safe_next_refuses_other_sites(target):
    assert access.safe_next(target) == routes.AFTER_SIGN_IN == "/dashboard"


@pytest.mark.parametrize("target", ["/lessons/hello_dbt?step=staging", "/", "/settings", "/lessons/x/query"])
def test_safe_next_keeps_same_site_paths(target):
    assert access.safe_next(target) == target


def test_learner_session_yields_the_signed_in_user(db_session):
    ada = register(db_session, "ada_l", "ada@example.org", PASSWORD)
    grace = register(db_session, "grace_h", "grace@example.org", PASSWORD)
    ada_token, grace_token = start_session(db_session, ada), start_session(db_session, grace)
    with access.learner_session(ada_token) as (session, user):
        assert (user.id, user.username) == (ada.id, "ada_l")
        assert session.get(type(user), grace.id).username == "grace_h"  # a working session
    with access.learner_session(grace_token) as (_, user):
        assert user.id == grace.id


@pytest.mark.parametrize("bad", ["", "not-a-session-token", None])
def test_learner_session_refuses_missing_or_unknown_tokens(db_session, learner, bad):
    start_session(db_session, learner)
    with pytest.raises(access.NotSignedIn), access.learner_session(bad):
        pytest.fail("the body must not run")


def test_learner_session_refuses_expired_and_ended_sessions(db_session, learner, settings_env):
    expired = start_session(db_session, learner, now=utcnow() - timedelta(days=settings_env.session_days, seconds=1))
    ended = start_session(db_session, learner)
    live = start_session(db_session, learner)
    end_session(db_session, ended)
    for token in (expired, ended):
        with pytest.raises(access.NotSignedIn), access.learner_session(token):
            pass
    with access.learner_session(live) as (_, user):
        assert user.username == "ada"
    assert issubclass(access.NotSignedIn, PermissionError)


# ---------------------------------------------------------------- lesson, runner: plain rules


@pytest.mark.parametrize(
    ("path", "lesson_id"),
    [
        ("/lessons/hello_dbt", "hello_dbt"),
        ("/lessons/hello_dbt/", "hello_dbt"),
        ("/lessons/cafe_chain/query", "cafe_chain"),
        ("lessons/x", "x"),
        ("//lessons//x//", "x"),
        ("/lessons", ""),
        ("/lessons/", ""),
        ("/", ""),
        ("", ""),
        ("/dashboard/hello_dbt", ""),
        ("/api/lessons/hello_dbt", ""),
    ],
)
def test_lesson_id_from_path(path, lesson_id):
    assert lesson_id_from_path(path) == lesson_id


@pytest.mark.parametrize(
    ("path", "node"),
    [
        ("models/stg_orders.sql", "stg_orders"),
        ("models/marts/finance/fct_sales.sql", "fct_sales"),
        ("snapshots/products_snapshot.sql", "products_snapshot"),
        ("seeds/raw_orders.sql", "raw_orders"),
        ("models/schema.yml", ""),
        ("models/docs.md", ""),
        ("seeds/raw_orders.csv", ""),
        ("macros/cents.sql", ""),
        ("tests/assert_positive.sql", ""),
        ("analyses/a.sql", ""),
        ("stg_orders.sql", ""),
        ("", ""),
    ],
)
def test_node_name_of(path, node):
    assert view_models.node_name_of(path) == node


def _node(name, status, seconds=0.0, error=None, kind="model"):
    return NodeResult(
        unique_id=f"{kind}.demo.{name}",
        name=name,
        resource_type=kind,
        status=status,
        execution_time=seconds,
        error=error,
    )


def test_summary_of_each_outcome():
    ok = JobResult(
        status="success",
        command="run",
        elapsed_s=1.234,
        nodes=[_node("b", "success"), _node("a", "success"), _node("t", "pass", kind="test")],
    )
    assert runner._summary(ok) == "dbt run finished in 1.2s: 1 pass, 2 success"
    assert runner._summary(JobResult(status="success", command="seed")) == "dbt seed finished: nothing to do"

    failed = JobResult(
        status="failed",
        command="build",
        elapsed_s=0.5,
        nodes=[_node("a", "success"), _node("b", "error"), _node("c", "skipped")],
    )
    assert runner._summary(failed) == "dbt build failed in 0.5s: 1 error, 1 skipped, 1 success"

    assert (
        runner._summary(JobResult(status="timeout", command="run", elapsed_s=30.04))
        == "dbt run took too long and was stopped in 30.0s."
    )
    assert runner._summary(JobResult(status="timeout", command="test")) == "dbt test took too long and was stopped."

    rejected = JobResult(status="rejected", command="run", errors=[LearnerError(message="Another job is running.")])
    assert runner._summary(rejected) == "Another job is running."
    assert runner._summary(JobResult(status="rejected", command="run")) == "This command cannot run."

    broken = JobResult(status="error", command="run", errors=[LearnerError(message="The worker crashed.")])
    assert runner._summary(broken) == "The worker crashed."
    assert runner._summary(JobResult(status="error", command="run")) == "The run could not start; please try again."
    half = JobResult(status="error", command="run", elapsed_s=2.0, nodes=[_node("a", "success")])
    assert runner._summary(half) == "dbt run failed in 2.0s: 1 success"


# ---------------------------------------------------------------- editor: saving without losing work


def test_save_if_unchanged_saves_when_disk_is_what_the_tab_loaded(db_session, learner, lesson):
    workspace.ensure_workspace(db_session, learner, lesson)
    path = "models/staging/stg_orders.sql"
    base = workspace.read_file(learner, lesson, path)
    assert base == "select 1 as placeholder\n"
    new = "select * from {{ ref('raw_orders') }}\n"
    assert editor._save_if_unchanged(db_session, learner, lesson, path, new, base) == "saved"
    assert workspace.read_file(learner, lesson, path) == new
    assert _edits(learner.id, lesson.id) == {path: new}


def test_save_if_unchanged_refuses_to_overwrite_another_tabs_save(db_session, learner, lesson):
    workspace.ensure_workspace(db_session, learner, lesson)
    path = "models/staging/stg_orders.sql"
    base = workspace.read_file(learner, lesson, path)  # both tabs opened this
    theirs = "select id from {{ ref('raw_orders') }}\n"
    workspace.save_file(db_session, learner, lesson, path, theirs)  # the other tab saved first
    mine = "select amount from {{ ref('raw_orders') }}\n"
    assert editor._save_if_unchanged(db_session, learner, lesson, path, mine, base) == "conflict"
    assert workspace.read_file(learner, lesson, path) == theirs
    assert _edits(learner.id, lesson.id) == {path: theirs}
    # Both tabs typed the same thing: nothing is lost, so it is no conflict.
    assert editor._save_if_unchanged(db_session, learner, lesson, path, theirs, base) == "saved"
    # Once this tab has read the other's save, its own save goes through.
    assert editor._save_if_unchanged(db_session, learner, lesson, path, mine, theirs) == "saved"
    assert workspace.read_file(learner, lesson, path) == mine


def test_save_if_unchanged_writes_nothing_when_nothing_changed(db_session, learner, lesson):
    paths = workspace.ensure_workspace(db_session, learner, lesson)
    path = "models/staging/stg_orders.sql"
    text = workspace.read_file(learner, lesson, path)
    file = paths.project / path
    before = file.stat().st_mtime_ns
    time.sleep(0.02)
    assert editor._save_if_unchanged(db_session, learner, lesson, path, text, text) == "saved"
    assert file.stat().st_mtime_ns == before
    assert _edits(learner.id, lesson.id) == {}  # no ModelEdit row either


def test_save_if_unchanged_still_enforces_the_save_policy(db_session, learner, lesson):
    workspace.ensure_workspace(db_session, learner, lesson)
    base = workspace.read_file(learner, lesson, "macros/cents.sql")
    with pytest.raises(SaveRejected):
        editor._save_if_unchanged(db_session, learner, lesson, "macros/cents.sql", "-- mine\n", base)
    assert workspace.read_file(learner, lesson, "macros/cents.sql") == base


def _files(*paths_and_editable) -> list[FileItem]:
    return [
        FileItem(path=p, name=p.rsplit("/", 1)[-1], folder=p.rpartition("/")[0], editable=e)
        for p, e in paths_and_editable
    ]


def test_default_path_follows_the_step(monkeypatch, lesson):
    from decode_data.states import lesson as lesson_state
    from decode_data.states.editor import EditorState

    named = dataclasses.replace(
        lesson.steps[0], checks=({"kind": "exists", "model": "raw_orders"}, {"kind": "relation", "model": "stg_orders"})
    )
    shown = dataclasses.replace(lesson, steps=(named, lesson.steps[1]))
    monkeypatch.setattr(lesson_state, "get_lesson", lambda lesson_id: shown)
    state = _state(EditorState)
    state.lesson_id = "demo_lesson"
    state.files = _files(
        ("macros/cents.sql", False),
        ("models/marts/orders_by_customer.sql", True),
        ("models/schema.yml", True),
        ("models/staging/stg_orders.sql", True),
        ("seeds/raw_orders.csv", False),
    )

    state.step_id = "staging"  # its checks name raw_orders (a seed: no editable file) then stg_orders
    assert state._default_path() == "models/staging/stg_orders.sql"
    state.step_id = "mart"  # no checks, no file named: the first editable file
    assert state._default_path() == "models/marts/orders_by_customer.sql"
    state.step_id = "unknown"  # no such step: the first editable file
    assert state._default_path() == "models/marts/orders_by_customer.sql"
    state.files = _files(("macros/cents.sql", False), ("seeds/raw_orders.csv", False))
    assert state._default_path() == "macros/cents.sql"  # nothing editable: the first file
    state.files = []
    assert state._default_path() == ""


def test_default_path_on_the_real_first_lesson(hello_lesson):
    from decode_data.states.editor import EditorState

    state = _state(EditorState)
    state.lesson_id = "hello_dbt"
    state.files = _files(
        *[
            (f"models/{name}", True)
            for name in (
                "customer_orders.sql",
                "customers.sql",
                "revenue_by_country.sql",
                "schema.yml",
                "stg_customers.sql",
                "stg_orders.sql",
            )
        ],
        ("seeds/raw_customers.csv", False),
        ("seeds/raw_orders.csv", False),
    )
    expected = {
        "first_model": "models/stg_customers.sql",
        "staging": "models/stg_orders.sql",
        "model_on_model": "models/customer_orders.sql",
        "table_vs_view": "models/customers.sql",
        "lineage": "models/revenue_by_country.sql",
        "tests": "models/schema.yml",
    }
    assert [s.id for s in hello_lesson.steps] == list(expected)
    for step_id, path in expected.items():
        state.step_id = step_id
        assert state._default_path() == path, step_id


def test_default_path_opens_the_snapshot_a_step_is_about(settings_env):
    from decode_data.states.editor import EditorState

    state = _state(EditorState)
    state.lesson_id = "history_with_snapshots"
    state.step_id = "first_snapshot"  # its checks name products_snapshot, declared in a .yml file
    state.files = _files(
        ("models/category_revenue.sql", True),
        ("models/dim_products.sql", True),
        ("snapshots/customers_snapshot.yml", True),
        ("snapshots/products_snapshot.yml", True),
    )
    assert state._default_path() == "snapshots/products_snapshot.yml"


# ---------------------------------------------------------------- solutions


def test_step_solution_on_the_real_first_lesson(hello_lesson):
    from decode_data.services.solutions import step_solution

    step = hello_lesson.steps[0]
    assert step.editable == () and hello_lesson.editable == ("models/*.sql", "models/*.yml")
    shown = step_solution(hello_lesson, step)
    expected = [
        "models/customer_orders.sql",
        "models/customers.sql",
        "models/revenue_by_country.sql",
        "models/schema.yml",
        "models/stg_customers.sql",
        "models/stg_orders.sql",
    ]
    assert [f["path"] for f in shown] == expected
    for f in shown:
        solution = (hello_lesson.solution_dir / f["path"]).read_text(encoding="utf-8")
        assert f["content"] == solution
        assert solution != (hello_lesson.starter_dir / f["path"]).read_text(encoding="utf-8")
    stg = next(f for f in shown if f["path"] == "models/stg_customers.sql")
    assert "ref('raw_customers')" in stg["content"]

    narrowed = dataclasses.replace(step, editable=("models/stg_*.sql",))
    assert [f["path"] for f in step_solution(hello_lesson, narrowed)] == [
        "models/stg_customers.sql",
        "models/stg_orders.sql",
    ]


def test_step_solution_leaves_out_unchanged_and_out_of_step_files(lesson):
    from decode_data.services.solutions import step_solution

    # The author's solution also carries a file equal to the starter and one outside every glob.
    (lesson.solution_dir / "models").mkdir(parents=True, exist_ok=True)
    (lesson.solution_dir / "models/schema.yml").write_text("version: 2\nmodels: []\n", encoding="utf-8")
    (lesson.solution_dir / "macros").mkdir()
    (lesson.solution_dir / "macros/cents.sql").write_text("{% macro cents(x) %}{{ x }}{% endmacro %}\n")
    (lesson.solution_dir / "tests").mkdir()
    (lesson.solution_dir / "tests/assert_positive.sql").write_text("select 1 where false\n")
    staging, mart = lesson.steps
    assert step_solution(lesson, staging) == [
        {"path": "models/staging/stg_orders.sql", "content": "select * from {{ ref('raw_orders') }}\n"}
    ]
    assert [f["path"] for f in step_solution(lesson, mart)] == ["models/marts/orders_by_customer.sql"]
    # A new file (not in starter/) is shown too.
    (lesson.solution_dir / "models/staging/stg_customers.sql").write_text("select 2\n")
    assert [f["path"] for f in step_solution(lesson, staging)] == [
        "models/staging/stg_customers.sql",
        "models/staging/stg_orders.sql",
    ]


# ---------------------------------------------------------------- dashboard


def test_dashboard_cards_in_catalog_order_and_where_to_continue(db_session, learner, token):
    from decode_data.services.lessons import list_lessons

    catalog = list_lessons()
    hello, cafe = get_lesson("hello_dbt"), get_lesson("cafe_chain")
    cards, continue_id = dashboard._cards(token)
    assert [c.id for c in cards] == [lesson.id for lesson in catalog]
    assert len(cards) >= 2 and continue_id == ""  # nothing touched yet
    fresh = next(c for c in cards if c.id == "hello_dbt")
    assert (fresh.started, fresh.completed, fresh.percent, fresh.steps_done, fresh.steps) == (False, False, 0, 0, 6)
    assert fresh.next_step_title == "Seeds and your first model" and fresh.title == hello.title

    progress.record_attempt(db_session, learner, hello, "first_model", passed=True)
    time.sleep(0.01)
    progress.record_attempt(db_session, learner, cafe, cafe.steps[0].id, passed=False)
    cards, continue_id = dashboard._cards(token)
    assert continue_id == "cafe_chain"  # touched last
    by_id = {c.id: c for c in cards}
    assert (by_id["hello_dbt"].started, by_id["hello_dbt"].steps_done, by_id["hello_dbt"].percent) == (True, 1, 16)
    assert by_id["hello_dbt"].next_step_title == "Staging models: rename and clean"
    assert by_id["cafe_chain"].next_step_title == cafe.steps[0].title and by_id["cafe_chain"].steps_done == 0

    time.sleep(0.01)
    progress.record_attempt(db_session, learner, hello, "staging", passed=False)
    assert dashboard._cards(token)[1] == "hello_dbt"

    # Finishing hello_dbt makes it the latest touched, but there is nothing left to continue there.
    for step in hello.steps:
        time.sleep(0.002)
        progress.record_attempt(db_session, learner, hello, step.id, passed=True)
    cards, continue_id = dashboard._cards(token)
    done = next(c for c in cards if c.id == "hello_dbt")
    assert (done.completed, done.percent, done.steps_done, done.next_step_title) == (True, 100, 6, "")
    assert continue_id == "cafe_chain"


def test_dashboard_cards_need_a_live_session(db_session, learner, token):
    with pytest.raises(access.NotSignedIn):
        dashboard._cards("forged")
    end_session(db_session, token)
    with pytest.raises(access.NotSignedIn):
        dashboard._cards(token)


def test_dashboard_state_load(db_session, learner, token):
    state = _state(dashboard.DashboardState, "/dashboard", token=token)
    progress.record_attempt(db_session, learner, get_lesson("hello_dbt"), "first_model", passed=False)
    run_coroutine(dashboard.DashboardState.load.fn(state))
    assert state.loaded and state.continue_id == "hello_dbt"
    assert state.continue_card is not None and state.continue_card.id == "hello_dbt"
    assert state.continue_card.next_step_title == "Seeds and your first model"


# ---------------------------------------------------------------- sign-in / register forms, OAuth buttons


def test_register_then_sign_in(db_session):
    token, username = browser_sign_in.sign_up("grace_h", " Grace@Example.org ", PASSWORD, PASSWORD, "", "pytest-agent")
    assert username == "grace_h"
    with access.learner_session(token) as (session, user):
        assert (user.username, user.email) == ("grace_h", "grace@example.org")
        row = session.exec(select(UserSession).where(UserSession.token_hash == hash_token(token))).one()
        assert row.user_agent == "pytest-agent" and row.user_id == user.id

    second, username = browser_sign_in.sign_in("GRACE@example.org", PASSWORD, "127.0.0.1", "other-agent")
    assert username == "grace_h" and second != token
    with access.learner_session(second) as (_, user):
        assert user.username == "grace_h"
    third, _ = browser_sign_in.sign_in("grace_h", PASSWORD, "", "")  # by username, no client address
    assert third not in (token, second)


def test_register_and_sign_in_errors_name_the_field(db_session):
    browser_sign_in.sign_up("grace_h", "grace@example.org", PASSWORD, PASSWORD, "", "")
    cases = [
        (lambda: browser_sign_in.sign_up("grace_h", "other@example.org", PASSWORD, PASSWORD, "", ""), "username"),
        (lambda: browser_sign_in.sign_up("GRACE_H", "other@example.org", PASSWORD, PASSWORD, "", ""), "username"),
        (lambda: browser_sign_in.sign_up("hopper", "Grace@example.org", PASSWORD, PASSWORD, "", ""), "email"),
        (lambda: browser_sign_in.sign_up("hopper", "not-an-email", PASSWORD, PASSWORD, "", ""), "email"),
        (lambda: browser_sign_in.sign_up("x", "x@example.org", PASSWORD, PASSWORD, "", ""), "username"),
        (lambda: browser_sign_in.sign_up("hopper", "h@example.org", "short", "short", "", ""), "password"),
        (lambda: browser_sign_in.sign_in("grace_h", "wrong password!", "", ""), "password"),
        (lambda: browser_sign_in.sign_in("nobody", PASSWORD, "", ""), "password"),
        (lambda: browser_sign_in.sign_in("", PASSWORD, "", ""), "login"),
        (lambda: browser_sign_in.sign_up("hopper", "h@example.org", PASSWORD, PASSWORD + "!", "", ""), "confirm"),
    ]
    for call, field in cases:
        with pytest.raises(AuthError) as caught:
            call()
        assert caught.value.field == field, (caught.value.message, field)
        assert caught.value.message
    with session_scope() as session:
        assert len(session.exec(select(UserSession)).all()) == 1  # only the first registration's


def test_form_states_show_the_endpoints_answer_and_hold_no_secret(db_session, token):
    """The forms post to the HTTP endpoints from the page; the state only shows their answer."""
    from decode_data.states.account_forms import AccountFormState

    state = _state(AccountFormState, "/signin")
    AccountFormState.begin.fn(state)
    assert (state.busy, state.error, state.field) == (True, "", "")
    AccountFormState.show_result.fn(state, {"error": "Wrong username/email or password.", "field": "password"})
    assert (state.busy, state.error, state.field) == (False, "Wrong username/email or password.", "password")
    AccountFormState.begin.fn(state)
    AccountFormState.show_result.fn(state, {"error": "", "field": "", "done": True})  # the next page is loading
    assert state.busy and state.error == ""
    AccountFormState.show_result.fn(state, {})  # an answer without a reason still says something
    assert state.error and not state.busy
    AccountFormState.begin.fn(state)
    AccountFormState.clear.fn(state)  # the next visit of the page starts afresh
    assert (state.busy, state.error, state.field) == (False, "", "")

    # The token is read from the connection's Cookie header; no state var holds it.
    assert state.session_token == ""
    assert _state(AccountFormState, "/signin", token=token).session_token == token
    assert "session_token" not in AccountFormState.get_fields() and "session_token" not in state.get_delta().get(
        AccountFormState.get_full_name(), {}
    )
    assert token not in repr(state.dict())


def test_provider_buttons(settings_env, monkeypatch):
    names = (
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
    )
    for name in names:
        monkeypatch.delenv(name, raising=False)
    settings_module.reset_settings()
    assert oauth.provider_buttons() == []
    monkeypatch.setenv("GITHUB_CLIENT_ID", "id-123")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "secret-456")
    settings_module.reset_settings()
    buttons = oauth.provider_buttons()
    assert buttons == [{"name": "github", "label": "GitHub"}]
    assert "secret-456" not in repr(buttons) and "id-123" not in repr(buttons)


# ---------------------------------------------------------------- lesson and editor handlers end to end


def test_load_lesson_shows_the_learners_place(db_session, learner, token, hello_lesson):
    from decode_data.states.lesson import LessonState

    state = _state(LessonState, "/lessons/hello_dbt", token=token)
    run_coroutine(LessonState.load_lesson.fn(state))
    assert (state.lesson_id, state.not_found, state.title) == ("hello_dbt", False, hello_lesson.title)
    assert (state.step_id, state.step_title, state.percent) == ("first_model", "Seeds and your first model", 0)
    assert state.instructions.startswith("# Seeds and your first model") and state.instructions_titled
    assert state.has_hints and state.next_step_id == "staging"
    assert [(s.id, s.done, s.current) for s in state.steps][:2] == [
        ("first_model", False, True),
        ("staging", False, False),
    ]
    assert workspace.read_file(learner, hello_lesson, "models/stg_customers.sql").startswith("-- STEP 1")

    progress.record_attempt(db_session, learner, hello_lesson, "first_model", passed=True)
    progress.record_attempt(db_session, learner, hello_lesson, "model_on_model", passed=True)
    run_coroutine(LessonState.load_lesson.fn(state))
    # Passing model_on_model moved the learner on to table_vs_view; staging is still open.
    assert (state.step_id, state.percent, state.next_step_id) == ("table_vs_view", 33, "lineage")
    assert [s.id for s in state.steps if s.done] == ["first_model", "model_on_model"]

    missing = _state(LessonState, "/lessons/no_such_lesson", token=token)
    run_coroutine(LessonState.load_lesson.fn(missing))
    assert missing.not_found and missing.lesson_id == "no_such_lesson" and missing.title == ""

    stranger = _state(LessonState, "/lessons/hello_dbt")
    with pytest.raises(access.NotSignedIn):
        run_coroutine(LessonState.load_lesson.fn(stranger))


def test_editor_opens_autosaves_and_resolves_a_conflict(db_session, learner, token, hello_lesson):
    from decode_data.states.editor import EditorState

    state = _state(EditorState, "/lessons/hello_dbt", token=token)
    run_coroutine(EditorState.load_lesson.fn(state))
    run_coroutine(state._reload_files())
    path = "models/stg_customers.sql"
    starter = (hello_lesson.starter_dir / path).read_text(encoding="utf-8")
    assert state.path == path and state.loaded_text == starter and state.editable
    assert state.doc_key == f"{path}#1" and state.save_status == ""
    assert {f.path for f in state.files} >= {path, "models/schema.yml", "seeds/raw_customers.csv"}
    assert next(f for f in state.files if f.path == "seeds/raw_customers.csv").editable is False

    mine = "select * from {{ ref('raw_customers') }}\n"
    assert EditorState.edit.fn(state, mine) == EditorState.autosave  # starts the autosave task
    assert state.save_status == "unsaved"
    run_coroutine(state._save())
    assert state.save_status == "saved"
    assert workspace.read_file(learner, hello_lesson, path) == mine
    assert _edits(learner.id, "hello_dbt") == {path: mine}

    theirs = "select customer_id from {{ ref('raw_customers') }}\n"
    workspace.save_file(db_session, learner, hello_lesson, path, theirs)  # another tab
    EditorState.edit.fn(state, mine + "-- more\n")
    run_coroutine(state._save())
    assert state.save_status == "conflict" and "another tab" in state.save_error
    assert workspace.read_file(learner, hello_lesson, path) == theirs
    run_coroutine(state._save())  # autosave again: still never overwrites silently
    assert workspace.read_file(learner, hello_lesson, path) == theirs

    run_coroutine(EditorState.load_theirs.fn(state))
    assert state.loaded_text == theirs and state.doc_key == f"{path}#2" and state.save_status == ""

    # A file the lesson does not let the learner change opens read-only and ignores typing.
    run_coroutine(EditorState.open_file.fn(state, "seeds/raw_customers.csv"))
    assert state.path == "seeds/raw_customers.csv" and not state.editable
    assert EditorState.edit.fn(state, "x") is None and state.save_status == ""
    run_coroutine(EditorState.open_file.fn(state, "../../etc/passwd"))
    assert state.save_status == "error" and "cannot be opened" in state.save_error


def test_a_reload_right_after_typing_saves_the_edit(db_session, learner, token, hello_lesson):
    """The page's on_load reopens the file: the edit the tab sent, not saved yet (autosave waits
    for a pause in typing), is saved first instead of being replaced by the file on disk."""
    from decode_data.pages.lesson import ON_LOAD  # noqa: F401 - the page's states, registered
    from decode_data.states.editor import EditorState
    from decode_data.states.lesson import LessonState

    page = _state(LessonState, "/lessons/hello_dbt", token=token)
    state = page.get_substate([EditorState.get_name()])
    run_coroutine(LessonState.open_page.fn(page))
    path = state.path
    typed = "select * from {{ ref('raw_customers') }} -- typed just before the reload\n"
    EditorState.edit.fn(state, typed)
    assert state.save_status == "unsaved"
    run_coroutine(LessonState.open_page.fn(page))  # the reload
    assert state.path == path and state.loaded_text == typed
    assert workspace.read_file(learner, hello_lesson, path) == typed


def test_keep_mine_overwrites_the_other_tabs_save(db_session, learner, token, hello_lesson):
    from decode_data.states.editor import EditorState

    state = _state(EditorState, "/lessons/hello_dbt", token=token)
    run_coroutine(EditorState.load_lesson.fn(state))
    run_coroutine(state._reload_files())
    path = state.path
    workspace.save_file(db_session, learner, hello_lesson, path, "select 'theirs' as t\n")  # another tab
    EditorState.edit.fn(state, "select 'mine' as m\n")
    run_coroutine(state._save())
    assert state.save_status == "conflict"
    run_coroutine(EditorState.keep_mine.fn(state))
    assert workspace.read_file(learner, hello_lesson, path) == "select 'mine' as m\n"
    assert state.save_status == "saved" and state.save_error == ""


# ---------------------------------------------------------------- runner: streamed events into rows


def test_apply_turns_streamed_events_into_rows_logs_and_a_count():
    from decode_data.states.runner import RunnerState

    state = _state(RunnerState)
    state._start("dbt run")
    events = collections.deque(
        [
            {"type": "log", "line": "Running with dbt=1.x"},
            {
                "type": "node",
                "unique_id": "operation.demo.on-run-start",
                "resource_type": "operation",
                "name": "hook",
                "status": "success",
            },
            {
                "type": "node",
                "unique_id": "model.demo.stg",
                "resource_type": "model",
                "name": "stg",
                "status": "running",
            },
            {
                "type": "node",
                "unique_id": "model.demo.mart",
                "resource_type": "model",
                "name": "mart",
                "status": "running",
            },
        ]
    )
    state._apply(events)
    assert not events  # drained
    assert [(n.name, n.status) for n in state.nodes] == [("stg", "running"), ("mart", "running")]
    assert state.done_count == 0 and state.logs == ["Running with dbt=1.x"] and state.progress_value == 0

    events.extend(
        [
            {
                "type": "node",
                "unique_id": "model.demo.stg",
                "resource_type": "model",
                "name": "stg",
                "status": "success",
            },
            {
                "type": "node",
                "unique_id": "model.demo.stg",
                "resource_type": "model",
                "name": "stg",
                "status": "success",
            },  # repeated: counted once
            {
                "type": "node",
                "unique_id": "seed.demo.raw",
                "resource_type": "seed",
                "name": "raw",
                "status": "success",
            },  # finished without a running event first
            {"type": "log", "line": "done"},
        ]
    )
    state._apply(events)
    assert [(n.kind, n.name, n.status) for n in state.nodes] == [
        ("model", "stg", "success"),
        ("model", "mart", "running"),
        ("seed", "raw", "success"),
    ]
    assert state.done_count == 2 and state.progress_value == 66
    assert state._statuses == {"model.demo.stg": "success", "model.demo.mart": "running", "seed.demo.raw": "success"}

    events.extend({"type": "log", "line": f"line {i}"} for i in range(runner.MAX_LOG_LINES + 50))
    state._apply(events)
    assert len(state.logs) == runner.MAX_LOG_LINES and state.logs[-1] == f"line {runner.MAX_LOG_LINES + 49}"


def test_finish_takes_the_final_nodes_errors_and_the_line_to_mark():
    from decode_data.states.runner import RunnerState

    state = _state(RunnerState)
    path = "models/marts/orders_by_customer.sql"
    state._start("dbt build")
    err = LearnerError(message="Binder Error: column amout not found", path=path, line=2)
    result = JobResult(
        status="failed",
        command="build",
        elapsed_s=3.21,
        logs=["a", "b"],
        nodes=[
            _node("stg_orders", "success", 0.123),
            _node("orders_by_customer", "error", 0.5, error=err),
            _node("tests_pass", "skipped", kind="test"),
        ],
        errors=[],
    )
    line = state._finish(result, open_path=path)
    assert (state.running, state.outcome) == (False, "failed")
    assert state.outcome_message == "dbt build failed in 3.2s: 1 error, 1 skipped, 1 success"
    assert [(n.name, n.status, n.seconds) for n in state.nodes] == [
        ("stg_orders", "success", "0.12s"),
        ("orders_by_customer", "error", "0.50s"),
        ("tests_pass", "skipped", "0.00s"),
    ]
    assert state.done_count == 3 and state.progress_value == 100 and state.logs == ["a", "b"]
    assert [(e.message, e.path, e.line) for e in state.errors] == [(err.message, path, 2)]
    assert line == 2  # the error is in the open file: the editor marks it

    state._start("dbt build")  # an error in another file than the open one marks no line there
    line = state._finish(dataclasses.replace(result, errors=[err]), open_path="models/staging/stg_orders.sql")
    assert len(state.errors) == 1 and line == 0  # same message as the node's: listed once

    # A job stopped at its time limit reports no nodes: what was running when it stopped is
    # shown stopped, not spinning for ever.
    state._start("dbt run")
    state._apply(
        collections.deque([{"type": "node", "unique_id": "model.l.slow", "name": "slow", "status": "running"}])
    )
    state._finish(JobResult(status="error", command="run", errors=[LearnerError(message="stopped after 60 s")]), "")
    assert [(n.name, n.status) for n in state.nodes] == [("slow", "stopped")]
    assert state._statuses["model.l.slow"] == "stopped"


def _bound(state, work, *args):
    return state._bind(work, *args)()


def test_runner_streams_a_real_dbt_job_into_the_state(engine, demo_catalog, db_session, learner, token):
    from decode_data.states.runner import RunnerState

    lesson = demo_catalog
    state = _state(RunnerState, "/lessons/demo_lesson", token=token)
    state.lesson_id = lesson.id
    workspace.ensure_workspace(db_session, learner, lesson)
    path = "models/staging/stg_orders.sql"

    events: collections.deque = collections.deque()
    state._start("dbt seed")
    seeded = _bound(state, runner._run, DbtRequest(command="seed"), events.append, "")
    state._apply(events)
    assert [(n.name, n.kind, n.status) for n in state.nodes] == [("raw_orders", "seed", "success")]
    assert state.done_count == 1 and state.logs
    state._finish(seeded, path)
    assert state.outcome == "success", seeded.errors
    assert state.outcome_message.startswith("dbt seed finished in ") and state.outcome_message.endswith(": 1 success")

    broken = "select *\nfrom {{ ref('raw_orders') }}\nwhere nope > 1\n"
    workspace.save_file(db_session, learner, lesson, path, broken)
    request = parse_command_line("dbt run -s stg_orders+", max_limit=100)
    state._start(request.describe())
    failed = _bound(state, runner._run, request, events.append, "stg_orders")
    state._apply(events)
    assert {n.name for n in state.nodes} <= {"stg_orders", "orders_by_customer"}
    line = state._finish(failed, path)
    assert state.outcome == "failed" and state.outcome_message.startswith("dbt run --select stg_orders+ failed")
    assert [(n.name, n.status) for n in state.nodes] == [("stg_orders", "error")]  # the mart never ran
    assert state.errors and "nope" in state.errors[0].message
    assert state.errors[0].path == "models/staging/stg_orders.sql"
    assert line == state.errors[0].line >= 1
    state._relayout(view_models.node_name_of(path))
    assert state.graph  # lineage from the job, laid out for the page
    assert progress.get_progress(db_session, learner, lesson).runs == 2


def test_a_run_is_one_job_that_brings_the_rows_the_page_shows(
    engine, demo_catalog, db_session, learner, token, monkeypatch
):
    """A Run submits one engine job, and its result already holds the rows the Results tab shows:
    the open file's model when it was built, else the last built, a failing test's rows first."""
    from decode_data.states.runner import RunnerState

    monkeypatch.setenv("DECODE_DATA_QUERY_ROW_CAP", "2")
    settings_module.reset_settings()
    lesson = demo_catalog
    state = _state(RunnerState, "/lessons/demo_lesson", token=token)
    state.lesson_id = lesson.id
    workspace.ensure_workspace(db_session, learner, lesson)
    for rel in ("models/staging/stg_orders.sql", "models/marts/orders_by_customer.sql"):
        workspace.save_file(db_session, learner, lesson, rel, (lesson.solution_dir / rel).read_text())
    submitted = []
    real_submit = engine.submit
    monkeypatch.setattr(
        engine, "submit", lambda job, *a, **k: submitted.append(job.command) or real_submit(job, *a, **k)
    )

    def run(line: str, open_node: str):
        submitted.clear()
        state._start(line)
        result = _bound(state, runner._run, parse_command_line(line, max_limit=100), lambda _e: None, open_node)
        assert submitted == [line.split()[1]], f"{line} made the jobs {submitted}"
        return result

    seeded = run("dbt seed", "stg_orders")  # the open model was not built: the last built node
    assert (seeded.preview_of, seeded.preview.columns) == ("raw_orders", ["id", "customer_id", "amount"])
    assert seeded.preview.rows == [[1, 1, 10], [2, 1, 5]] and seeded.preview.total_rows == 3  # capped at 2
    built = run("dbt run", "stg_orders")
    assert built.preview_of == "stg_orders" and built.preview.total_rows == 3
    mart = run("dbt run", "")
    assert mart.preview_of == "orders_by_customer" and sorted(mart.preview.rows) == [[1, 15], [2, 7]]

    workspace.save_file(
        db_session,
        learner,
        lesson,
        "models/schema.yml",
        "version: 2\nmodels:\n  - name: orders_by_customer\n    columns:\n      - name: total\n"
        "        data_tests:\n          - accepted_values:\n              arguments: {values: [15]}\n",
    )
    tested = run("dbt test", "orders_by_customer")
    assert tested.status == "failed" and tested.preview_of.startswith("rows failing accepted_values")
    assert tested.preview.rows and all(7 in row for row in tested.preview.rows)

    state._start("dbt run")
    state._take_rows(built.preview, built.preview_of, state._runs)
    assert (state.preview_of, state.total_rows, state.rows_current) == ("stg_orders", 3, True)


def test_a_lesson_without_steps_yet_still_opens(demo_catalog, lesson_dir, token):
    from decode_data.services import lessons
    from decode_data.states.lesson import LessonState

    yml = lesson_dir / "lesson.yml"
    yml.write_text(yml.read_text(encoding="utf-8").split("steps:")[0], encoding="utf-8")
    lessons._catalog.cache_clear()  # the catalog is read once per process; the author just edited it
    try:
        state = _state(LessonState, "/lessons/demo_lesson", token=token)
        run_coroutine(LessonState.load_lesson.fn(state))
        assert (state.not_found, state.title, state.steps, state.step_id) == (False, "Demo lesson", [], "")
        assert state.instructions == "This lesson has no steps yet."
    finally:
        lessons._catalog.cache_clear()


# ---------------------------------------------------------------- the page's sibling states


def test_a_keystroke_loads_only_the_editor_and_its_parents():
    """Editor, runner, checker and quiz are siblings: an edit never loads runs, grids or feedback."""
    from reflex.istate.manager.redis import StateManagerRedis

    from decode_data.components.workbench import EDIT_EVENT
    from decode_data.states.check import CheckState
    from decode_data.states.editor import EditorState
    from decode_data.states.lesson import LessonState
    from decode_data.states.quiz import QuizState
    from decode_data.states.runner import RunnerState

    siblings = (EditorState, RunnerState, CheckState, QuizState)
    assert all(cls.get_parent_state() is LessonState for cls in siblings)
    owned = [name for cls in siblings for name in cls.get_fields() if cls.__fields__[name]._owner is cls]
    assert len(owned) == len(set(owned)), "one owner for each var"
    assert EDIT_EVENT.state_full_name == EditorState.get_full_name()
    rules = StateManagerRedis.__new__(StateManagerRedis)
    loaded = rules._get_required_state_classes(EditorState, subclasses=True)
    assert {cls.__name__ for cls in loaded} == {"State", "AuthState", "LessonState", "EditorState"}


def test_choosing_a_step_and_resetting_reach_every_sibling(db_session, learner, token, hello_lesson):
    from decode_data.states.check import CheckState
    from decode_data.states.editor import EditorState
    from decode_data.states.lesson import LessonState
    from decode_data.states.runner import RunnerState

    page = _state(LessonState, "/lessons/hello_dbt", token=token)
    editor, runner_, checker = (page.get_substate([cls.get_name()]) for cls in (EditorState, RunnerState, CheckState))
    run_coroutine(LessonState.load_lesson.fn(page))
    run_coroutine(editor._reload_files())
    assert editor.path == "models/stg_customers.sql"

    mine = "select 1 as typed_before_switching\n"
    EditorState.edit.fn(editor, mine)
    checker.summary, checker.checked_step = "Not yet", "first_model"
    run_coroutine(LessonState.choose_step.fn(page, "staging"))
    assert page.step_id == "staging" and editor.path == "models/stg_orders.sql"  # the step's file is open
    assert workspace.read_file(learner, hello_lesson, "models/stg_customers.sql") == mine  # saved first
    assert (checker.summary, checker.checked_step, checker.hints) == ("", "", [])  # the old step's feedback went
    assert progress.get_progress(db_session, learner, hello_lesson).current_step == "staging"

    runner_.running = True
    assert run_coroutine(LessonState.reset_lesson.fn(page)) is None  # never under a running job
    assert runner_.outcome_message == "Wait for dbt to finish, then reset."
    assert workspace.read_file(learner, hello_lesson, "models/stg_customers.sql") == mine
    runner_.running, runner_.logs, runner_.columns = False, ["old log"], ["old_column"]
    assert run_coroutine(LessonState.reset_lesson.fn(page)) == RunnerState.inspect
    starter = (hello_lesson.starter_dir / "models/stg_customers.sql").read_text(encoding="utf-8")
    assert workspace.read_file(learner, hello_lesson, "models/stg_customers.sql") == starter
    assert (runner_.logs, runner_.columns, runner_.outcome) == ([], [], "")
    assert editor.path == "models/stg_orders.sql" and editor.save_status == ""


def test_a_finished_lesson_opens_on_its_last_step_with_the_next_lesson(db_session, learner, token, hello_lesson):
    from decode_data.services.lessons import list_lessons
    from decode_data.states.lesson import LessonState

    state = _state(LessonState, "/lessons/hello_dbt", token=token)
    run_coroutine(LessonState.load_lesson.fn(state))
    assert not state.complete and state.learned == []

    for step in hello_lesson.steps:
        progress.record_attempt(db_session, learner, hello_lesson, step.id, passed=True)
    run_coroutine(LessonState.load_lesson.fn(state))
    assert state.complete and state.step_id == hello_lesson.steps[-1].id  # not back at step 1
    assert state.learned == [s.title for s in hello_lesson.steps]
    catalog = [lesson.id for lesson in list_lessons()]
    assert catalog[0] == "hello_dbt"  # beginner first, so the next lesson is the catalog's second
    assert (state.next_lesson_id, state.next_lesson_title) == (catalog[1], list_lessons()[1].title)


def test_the_lesson_page_opens_in_one_event(db_session, learner, token, hello_lesson):
    """on_load is the sign-in check and one handler: lesson, files, help and quiz in one delta,
    the lineage's compile started after it as a background task."""
    from decode_data.pages.lesson import ON_LOAD
    from decode_data.states.check import CheckState
    from decode_data.states.editor import EditorState
    from decode_data.states.lesson import LessonState
    from decode_data.states.quiz import QuizItem, QuizState
    from decode_data.states.runner import RunnerState

    assert [handler.fn.__name__ for handler in ON_LOAD] == ["require_login", "open_page"]
    page = _state(LessonState, "/lessons/hello_dbt", token=token)
    editor, checker, quiz = (page.get_substate([cls.get_name()]) for cls in (EditorState, CheckState, QuizState))
    checker.summary = "left over from another lesson"
    quiz.questions = [QuizItem(index=0, question="left over?", choices=["yes"])]
    assert run_coroutine(LessonState.open_page.fn(page)) == RunnerState.inspect_after_paint
    assert page.step_id == "first_model" and editor.path == "models/stg_customers.sql"
    assert editor.loaded_text.startswith("-- STEP 1") and any(f.path == "models/schema.yml" for f in editor.files)
    assert checker.summary == "" and checker.hints == []
    assert quiz.questions == [] and hello_lesson.quiz == ()  # this lesson has no quiz: none shown

    missing = _state(LessonState, "/lessons/no_such_lesson", token=token)
    assert run_coroutine(LessonState.open_page.fn(missing)) is None and missing.not_found


def test_lineage_and_table_listings_run_one_at_a_time(monkeypatch, db_session, learner, token, hello_lesson):
    """Repeated (or forged) inspect / load_tables events while one is in flight queue no jobs."""
    import asyncio
    import threading

    from decode_data.states import query as query_state
    from decode_data.states.query import QueryState
    from decode_data.states.runner import RunnerState

    calls = collections.Counter()
    release = threading.Event()

    def slow(kind):
        def work(session, user, lesson):
            calls[kind] += 1
            release.wait(5)
            return JobResult(status="success", command="compile") if kind == "inspect" else []

        return work

    monkeypatch.setattr(runner, "inspect_project", slow("inspect"))
    monkeypatch.setattr(query_state, "list_tables", slow("tables"))
    lineage = _state(RunnerState, "/lessons/hello_dbt", token=token)
    tables = _state(QueryState, "/lessons/hello_dbt/query", token=token)
    for state in (lineage, tables):
        state.lesson_id = "hello_dbt"

    async def pile_up():
        jobs = [RunnerState.inspect.fn(lineage) for _ in range(3)]
        jobs += [QueryState.load_tables.fn(tables) for _ in range(3)]
        running = [asyncio.ensure_future(job) for job in jobs]
        await asyncio.sleep(0.3)
        release.set()
        await asyncio.gather(*running)

    run_coroutine(pile_up())
    assert calls == {"inspect": 1, "tables": 1}
    assert not lineage._inspecting and not tables._listing  # free for the next one


def test_rows_read_for_an_earlier_command_never_replace_the_latest():
    """A seed's preview that arrives after the next command started (a show) is dropped."""
    from decode_data.services.engine import Preview
    from decode_data.states.runner import RunnerState

    state = _state(RunnerState)
    state._start("dbt seed")
    seeded = state._runs
    state._start('dbt show --inline "select 1 as one"')
    shown = state._runs
    state._take_rows(Preview(columns=["one"], rows=[[1]], total_rows=1, truncated=False), "dbt show", shown)
    state._take_rows(
        Preview(columns=["id"], rows=[[7], [8]], total_rows=2, truncated=False), "raw_orders", seeded
    )  # late
    assert (state.columns, state.rows, state.preview_of) == (["one"], [["1"]], "dbt show")
