"""The query, progress and API token pages without a server: their plain helpers, their
component trees, and their states' logic on a real (migrated SQLite) app database."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import UTC, datetime, timedelta, timezone

import pytest
from reflex.istate.data import HeaderData, RouterData
from reflex.state import State
from reflex.utils.serializers import serialize

from decode_data.services import history
from decode_data.services.auth import create_token, revoke_token, start_session
from decode_data.services.auth.cookies import SESSION_COOKIE
from decode_data.services.engine import JobResult, LearnerError, Preview
from decode_data.services.progress import ProgressView
from decode_data.states import progress_models as pm
from decode_data.states import query_models as qm
from decode_data.states import token_models as tm
from decode_data.states import view_models
from decode_data.states.view_models import PAGE_SIZE
from tests.coroutines import run_coroutine

# ---------------------------------------------------------------- query_models: query page


def test_to_number_accepts_numbers_and_numeric_text_only():
    assert qm.to_number(3) == 3.0 and qm.to_number(2.5) == 2.5 and qm.to_number(" -1.5e3 ") == -1500.0
    assert qm.to_number("12345678901234567890.50") == pytest.approx(1.2345678901234567e19)
    for not_a_number in (
        None,
        True,
        False,
        "abc",
        "2026-01-01",
        "",
        "1,000",
        "nan",
        "inf",
        float("nan"),
        float("inf"),
        [1],
        {"a": 1},
    ):
        assert qm.to_number(not_a_number) is None, not_a_number


def test_numeric_columns_need_every_value_numeric():
    columns = ["name", "amount", "big", "mixed", "empty", "flag", "ratio"]
    rows = [
        ["a", 1, "123456789012345678901.5", 1, None, True, 0.5],
        ["b", None, "2", "x", None, False, "nan"],
        ["c", 3, "3", 2, None, True, 1.5],
    ]
    assert qm.numeric_columns(columns, rows) == ["amount", "big", "ratio"]
    assert qm.numeric_columns(["a"], []) == []


def test_chart_points_skip_non_numeric_y_and_are_capped():
    columns = ["day", "orders", "note"]
    rows = [["mon", 3, "x"], ["tue", None, "y"], ["wed", "n/a", "z"], ["thu", 4.5, "w"], [None, 1, "v"]]
    assert qm.chart_data(columns, rows, "day", "orders") == [
        {"x": "mon", "y": 3.0},
        {"x": "thu", "y": 4.5},
        {"x": "NULL", "y": 1.0},
    ]
    assert qm.chart_data(columns, rows, "day", "missing") == []
    many = [[i, i * 2] for i in range(2000)]
    points = qm.chart_data(["i", "double"], many, "i", "double", "line")
    assert len(points) == qm.MAX_POINTS == 500 and points[0] == {"x": "0", "y": 0.0}
    assert len(qm.chart_data(["i", "double"], many, "i", "double", limit=10)) == 10


def test_scatter_needs_a_numeric_x():
    columns = ["x", "y"]
    rows = [[1, 2], ["a", 3], [2.5, "4"], [None, 5], [3, None]]
    assert qm.chart_data(columns, rows, "x", "y", "scatter") == [{"x": 1.0, "y": 2.0}, {"x": 2.5, "y": 4.0}]
    assert qm.x_choices("scatter", ["name", "n"], ["n"]) == ["n"]
    assert qm.x_choices("bar", ["name", "n"], ["n"]) == ["name", "n"]


def test_default_axes_keep_the_learners_choice_while_it_fits():
    columns, numeric = ["customer", "orders", "revenue"], ["orders", "revenue"]
    assert qm.default_axes("bar", columns, numeric) == ("customer", "orders")
    assert qm.default_axes("bar", columns, numeric, "orders", "revenue") == ("orders", "revenue")
    assert qm.default_axes("scatter", columns, numeric, "customer", "revenue") == ("orders", "revenue")
    assert qm.default_axes("bar", ["year", "total"], ["year", "total"]) == ("year", "total")
    assert qm.default_axes("bar", ["name"], []) == ("name", "")
    assert qm.default_axes("bar", [], []) == ("", "")


def test_table_items_and_their_select():
    tables = [
        {
            "schema": "main",
            "name": "stg_orders",
            "type": "view",
            "columns": [{"name": "id", "type": "INTEGER"}, {"name": "amount", "type": "DOUBLE"}],
        },
        {"schema": "snapshots", "name": "Orders Snap", "type": "table", "columns": []},
        {"schema": "main", "name": "customers", "type": "table", "columns": []},
        {"schema": "main", "name": "", "type": "table", "columns": []},
    ]
    items = qm.table_items(tables)
    assert [i.key for i in items] == ["main.customers", "main.stg_orders", "snapshots.Orders Snap"]
    assert items[1].select_sql == "select * from stg_orders limit 100" and items[1].kind == "view"
    assert [(c.name, c.type) for c in items[1].columns] == [("id", "INTEGER"), ("amount", "DOUBLE")]
    assert items[2].select_sql == 'select * from snapshots."Orders Snap" limit 100'
    assert qm.select_sql("", 'we"ird') == 'select * from "we""ird" limit 100'


def test_rows_summary():
    assert qm.rows_summary(3, 3, False) == "showing 3 of 3 rows"
    assert qm.rows_summary(1, 1, False) == "showing 1 of 1 row"
    assert qm.rows_summary(500, 12000, True).startswith("showing 500 of 12000 rows (only the first")


# ---------------------------------------------------------------- progress_models and token_models


def test_lesson_progress_counts_current_steps_only(lesson):
    view = ProgressView(
        user_id=1,
        username="ada",
        lesson_id=lesson.id,
        completed_steps=("staging", "gone"),
        attempts={"staging": 2, "mart": 3, "gone": 9},
        hints_used={"mart": 2},
        solutions_revealed=("mart",),
        percent=50,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    card = pm.lesson_progress(lesson, view)
    assert (card.id, card.steps_done, card.steps_total, card.percent) == ("demo_lesson", 1, 2, 50)
    assert (card.attempts, card.hints_used, card.solutions_revealed) == (5, 2, 1)
    assert card.has_quiz is False and card.quiz_score == "" and card.started and not card.completed
    assert [(s.number, s.id, s.done, s.attempts, s.hints, s.solution_shown) for s in card.steps] == [
        (1, "staging", True, 2, 0, False),
        (2, "mart", False, 3, 2, True),
    ]


def test_quiz_score_reads_as_percent(lesson):
    from decode_data.services.lessons import QuizQuestion

    quizzed = dataclasses.replace(lesson, quiz=(QuizQuestion(question="ref?", choices=("a", "b"), answer=0),))
    base = ProgressView(user_id=1, username="ada", lesson_id=lesson.id)
    assert pm.lesson_progress(quizzed, base).quiz_score == "not taken"
    assert pm.lesson_progress(quizzed, base).has_quiz
    taken = ProgressView(user_id=1, username="ada", lesson_id=lesson.id, quiz_score=2 / 3)
    assert pm.lesson_progress(quizzed, taken).quiz_score == "67%"


def test_activity_points_and_total():
    days = [
        {"day": "2026-11-27", "runs": 1, "queries": 0, "checks": 2, "passed_checks": 1},
        {"day": "2026-11-28", "runs": 0, "queries": 4, "checks": 0, "passed_checks": 0},
    ]
    points = pm.activity_points(days)
    assert points == [
        {"day": "Nov 27", "date": "2026-11-27", "runs": 1, "queries": 0, "checks": 2},
        {"day": "Nov 28", "date": "2026-11-28", "runs": 0, "queries": 4, "checks": 0},
    ]
    assert pm.activity_total(points) == 7


def test_when_and_run_rows():
    moment = datetime(2026, 11, 28, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))
    assert view_models.when(moment) == "2026-11-27 23:02 UTC"
    assert view_models.when(datetime(2026, 1, 2, 3, 4)) == "2026-01-02 03:04 UTC"
    assert view_models.when(None) == "never" and view_models.when(None, "") == ""
    entry = history.RunEntry(
        id=7,
        lesson_id="demo_lesson",
        kind="run",
        command="build",
        status="success",
        elapsed_s=1.234,
        created_at=datetime(2026, 11, 28, 0, 10, tzinfo=UTC),
    )
    other = history.RunEntry(
        id=8,
        lesson_id="retired",
        kind="query",
        command="query",
        status="failed",
        elapsed_s=0,
        created_at=datetime(2026, 11, 28, 0, 11, tzinfo=UTC),
    )
    rows = pm.run_rows([entry, other], {"demo_lesson": "Demo lesson"})
    assert rows[0] == pm.RunRow(
        id=7,
        when="2026-11-28 00:10 UTC",
        lesson="Demo lesson",
        kind="run",
        command="build",
        status="success",
        seconds="1.23",
    )
    assert rows[1].lesson == "retired" and rows[1].seconds == "0.00"


def test_token_rows_never_carry_the_hash(db_session, learner):
    raw, row = create_token(db_session, learner, "CI")
    create_token(db_session, learner, "laptop")
    revoke_token(db_session, learner, row.id)
    from decode_data.services.auth import list_tokens

    rows = tm.token_rows(list_tokens(db_session, learner, include_revoked=True))
    assert [(r.name, r.active, r.last_used) for r in rows] == [("laptop", True, "never"), ("CI", False, "never")]
    assert rows[1].revoked.endswith(" UTC") and rows[0].revoked == "" and rows[1].prefix == row.prefix
    assert raw not in json.dumps([r.__dict__ for r in rows]) and row.token_hash not in json.dumps(
        [r.__dict__ for r in rows]
    )
    assert (
        tm.curl_example("https://dd.example/", "dd_x")
        == 'curl -H "Authorization: Bearer dd_x" https://dd.example/api/v1/lessons'
    )


# ---------------------------------------------------------------- component trees


def test_pages_build_and_render():
    from decode_data.pages.progress import ON_LOAD as PROGRESS_ON_LOAD
    from decode_data.pages.progress import progress_page
    from decode_data.pages.query import ON_LOAD as QUERY_ON_LOAD
    from decode_data.pages.query import query_page
    from decode_data.pages.settings import ON_LOAD as SETTINGS_ON_LOAD
    from decode_data.pages.settings import settings_page
    from decode_data.states.auth import AuthState
    from decode_data.states.progress_page import ProgressState
    from decode_data.states.query import QueryState
    from decode_data.states.tokens import TokensState

    expected_ids = {
        query_page: [
            "query-run",
            "query-results",
            "chart",
            "chart-type",
            "chart-x",
            "chart-y",
            "table-browser",
            "query-error",
            "back-to-lesson",
            "query-summary",
        ],
        progress_page: ["activity-chart", "recent-runs", '"progress-"'],
        settings_page: [
            "token-name",
            "token-create",
            "new-token",
            "new-token-copy",
            "token-list",
            "revoke-confirm",
            '"revoke-"',
        ],
    }
    for page, ids in expected_ids.items():
        component = page()
        assert isinstance(component.render(), dict)
        code = str(component)
        for element_id in ids:
            assert element_id in code, (page.__name__, element_id)
    assert "RechartsBarChart" in str(query_page()) and "RechartsScatterChart" in str(query_page())
    assert "RechartsLineChart" in str(query_page()) and "RechartsBarChart" in str(progress_page())
    assert [AuthState.require_login, QueryState.load] == QUERY_ON_LOAD
    assert [AuthState.require_login, ProgressState.load] == PROGRESS_ON_LOAD
    assert [AuthState.require_login, TokensState.load] == SETTINGS_ON_LOAD


# ---------------------------------------------------------------- states


def _state(cls, token: str = ""):
    """A state as a page's event sees it; `token`: the browser's session cookie (HttpOnly, in the Cookie header)."""
    state = State(_reflex_internal_init=True).get_substate(cls.get_full_name().split(".")[1:])
    if token:
        state.router = RouterData(headers=HeaderData(cookie=f"{SESSION_COOKIE}={token}"))
    return state


def _signed_in(db_session, learner) -> str:
    return start_session(db_session, learner, "pytest")


def _annotations_are_plain(cls) -> None:
    """Only str/int/float/bool/dict/list and our dataclasses: no DataFrame, ORM row or Job."""
    allowed_modules = {
        "builtins",
        "typing",
        "types",
        *(f"decode_data.states.{m}" for m in ("query_models", "progress_models", "token_models")),
    }

    def walk(tp) -> None:
        origin = typing.get_origin(tp)
        if origin is not None:
            assert origin in (list, dict, typing.Union) or getattr(origin, "__module__", "") in allowed_modules, tp
            for arg in typing.get_args(tp):
                walk(arg)
            return
        assert tp is type(None) or getattr(tp, "__module__", "") in allowed_modules, (cls.__name__, tp)

    hints = typing.get_type_hints(cls)
    own = [name for name in cls.__annotations__ if not name.startswith("__")]
    for name in own:
        walk(hints[name])


def _serializes(state) -> dict:
    data = json.loads(json.dumps(state.dict(), default=serialize))
    state._serialize()  # what the state manager stores (backend vars included)
    return data


def test_state_vars_are_plain_and_serializable():
    from decode_data.states.progress_page import ProgressState
    from decode_data.states.query import QueryOutcome, QueryState
    from decode_data.states.tokens import TokensState

    for cls in (QueryState, ProgressState, TokensState):
        _annotations_are_plain(cls)
    query = _state(QueryState)
    query.tables = qm.table_items(
        [{"schema": "main", "name": "t", "type": "table", "columns": [{"name": "a", "type": "INTEGER"}]}]
    )
    query._take(QueryOutcome(columns=["a", "b"], rows=[[1, "x"], [None, 2.5]], total_rows=2))
    data = _serializes(query)
    state_data = next(v for k, v in data.items() if k.endswith("query_state"))
    assert state_data["tables_rx_state_"][0]["columns"] == [{"name": "a", "type": "INTEGER"}]
    assert "_values" not in json.dumps(state_data)  # backend only


def test_query_state_takes_a_result_and_charts_it():
    from decode_data.states.query import QueryOutcome, QueryState

    state = _state(QueryState)
    rows = [[f"c{i}", i, None if i % 10 == 0 else i * 1.5] for i in range(60)]
    state._take(QueryOutcome(columns=["name", "n", "value"], rows=rows, total_rows=900, truncated=True, elapsed_s=0.25))
    assert state.has_result and state.error == "" and state.elapsed == "0.25s"
    assert state.rows[0] == ["c0", "0", "NULL"] and len(state.page_rows) == PAGE_SIZE
    assert state.pages == 3 and state.summary.startswith("showing 60 of 900 rows (only")
    assert state.numeric == ["n", "value"] and (state.x_column, state.y_column) == ("name", "n")
    assert len(state.chart_data) == 60
    QueryState.set_y_column.fn(state, "value")
    assert len(state.chart_data) == 54 and state.chart_data[0] == {"x": "c1", "y": 1.5}
    QueryState.set_y_column.fn(state, "name")  # not numeric: ignored
    assert state.y_column == "value"
    QueryState.set_chart_type.fn(state, "pie")  # not offered: ignored
    assert state.chart_type == "bar"
    QueryState.set_chart_type.fn(state, "scatter")
    assert state.x_column == "n" and state.chart_data[0] == {"x": 1.0, "y": 1.5}
    assert state.x_options == ["n", "value"]
    QueryState.set_x_column.fn(state, "name")  # a scatter needs a numeric X
    assert state.x_column == "n"
    for _ in range(5):
        QueryState.next_page.fn(state)
    assert state.page == 2 and len(state.page_rows) == 10
    QueryState.previous_page.fn(state)
    assert state.page == 1

    state._take(QueryOutcome(error="Catalog Error: Table with name nope does not exist!"))
    assert state.error.startswith("Catalog Error") and state.has_result and state.page == 1  # rows kept
    state._take(QueryOutcome(columns=["s"], rows=[["only text"]], total_rows=1))
    assert state.error == "" and state.numeric == [] and state.chart_data == [] and state.page == 0


def test_query_outcome_uses_the_service_message():
    from decode_data.states.query import COULD_NOT_RUN, outcome_of

    failed = JobResult(status="failed", command="query", errors=[LearnerError(message="Parser Error: at end")])
    assert outcome_of(failed).error == "Parser Error: at end"
    assert "too long" in outcome_of(JobResult(status="timeout", command="query")).error
    assert outcome_of(JobResult(status="error", command="query")).error == COULD_NOT_RUN
    ok = JobResult(
        status="success",
        command="query",
        elapsed_s=0.1,
        preview=Preview(columns=["a"], rows=[[1], [2]], total_rows=5, truncated=True),
    )
    outcome = outcome_of(ok)
    assert (outcome.error, outcome.columns, outcome.rows, outcome.total_rows, outcome.truncated) == (
        "",
        ["a"],
        [[1], [2]],
        5,
        True,
    )


def test_query_editor_remounts_with_a_tables_select():
    from decode_data.states.query import QueryState

    state = _state(QueryState)
    state.tables = qm.table_items([{"schema": "main", "name": "orders", "type": "table", "columns": []}])
    QueryState.set_sql.fn(state, "select 1")
    key = state.editor_key
    QueryState.use_table.fn(state, "drop table orders")  # not a table's select: ignored
    assert state.editor_key == key and state._sql == "select 1"
    QueryState.use_table.fn(state, "select * from orders limit 100")
    assert state.editor_key == key + 1 and state.editor_text == state._sql == "select * from orders limit 100"


def test_query_runs_as_the_signed_in_learner(db_session, learner, lesson, monkeypatch):
    from decode_data.states import access
    from decode_data.states import query as query_state

    seen = {}

    def fake_query(session, user, the_lesson, sql):
        seen.update(user=user.username, lesson=the_lesson.id, sql=sql)
        return JobResult(
            status="success", command="query", preview=Preview(columns=["n"], rows=[[1]], total_rows=1, truncated=False)
        )

    monkeypatch.setattr(query_state, "query", fake_query)
    monkeypatch.setattr(query_state, "get_lesson", lambda lesson_id: lesson)
    token = _signed_in(db_session, learner)
    outcome = query_state.as_learner(token, lesson.id, query_state._run_query, "select 1 as n")
    assert seen == {"user": "ada", "lesson": "demo_lesson", "sql": "select 1 as n"} and outcome.rows == [[1]]
    with pytest.raises(access.NotSignedIn):
        query_state.as_learner("not-a-session", lesson.id, query_state._run_query, "select 1")


def test_progress_state_loads_lessons_activity_and_runs(db_session, learner):
    from decode_data.states.auth import AuthState
    from decode_data.states.progress_page import ProgressState

    history.record(db_session, learner, "hello_dbt", "run", "seed", "success", 2.0)
    history.record(db_session, learner, "hello_dbt", "query", "query", "failed", 0.1)
    state = _state(ProgressState, _signed_in(db_session, learner))
    assert run_coroutine(ProgressState.load.fn(state)) is None
    assert state.loaded and state.error == ""
    ids = [lesson.id for lesson in state.lessons]
    assert "hello_dbt" in ids and len(state.activity) == 14
    assert state.activity[-1]["runs"] == 1 and state.activity[-1]["queries"] == 1 and state.activity_count == 2
    assert [(r.command, r.status) for r in state.recent] == [("query", "failed"), ("seed", "success")]
    assert state.recent[0].lesson != "hello_dbt"  # the lesson's title
    _serializes(state)

    anonymous = _state(ProgressState)
    assert run_coroutine(ProgressState.load.fn(anonymous)) == AuthState.require_login


async def _drain(generator) -> list:
    return [update async for update in generator]


def test_tokens_state_create_show_once_and_revoke(db_session, learner):
    from decode_data.states.auth import AuthState
    from decode_data.states.tokens import TokensState

    state = _state(TokensState, _signed_in(db_session, learner))
    run_coroutine(TokensState.load.fn(state))
    assert state.loaded and state.tokens == [] and state.public_url.startswith("http")
    assert state.curl.endswith('"Authorization: Bearer <token>" ' + state.public_url + "/api/v1/lessons")

    run_coroutine(_drain(TokensState.create.fn(state, {"name": "   "})))
    assert state.error.startswith("Name the token") and state.new_token == "" and not state.busy

    TokensState.set_name.fn(state, "CI pipeline")
    run_coroutine(_drain(TokensState.create.fn(state, {"name": "CI pipeline"})))
    assert state.error == "" and state.name == "" and state.new_token.startswith("dd_")
    assert state.new_token_name == "CI pipeline" and state.new_token in state.curl
    assert [(t.name, t.active) for t in state.tokens] == [("CI pipeline", True)] and state.active_count == 1
    TokensState.mark_copied.fn(state)
    assert state.copied
    run_coroutine(TokensState.load.fn(state))  # a reload never shows the secret again
    assert state.new_token == "" and not state.copied and len(state.tokens) == 1

    token_id = state.tokens[0].id
    TokensState.ask_revoke.fn(state, 99999)  # not one of the learner's tokens: no dialog
    assert state.confirm_id == 0
    TokensState.ask_revoke.fn(state, token_id)
    assert state.confirm_id == token_id and state.confirm_name == "CI pipeline"
    TokensState.dialog_open_change.fn(state, False)  # Escape
    assert state.confirm_id == 0
    TokensState.ask_revoke.fn(state, token_id)
    run_coroutine(TokensState.confirm_revoke.fn(state))
    assert state.confirm_id == 0 and state.tokens[0].active is False and state.active_count == 0
    assert state.tokens[0].revoked.endswith("UTC")
    _serializes(state)

    stranger = _state(TokensState)
    assert run_coroutine(TokensState.load.fn(stranger)) == AuthState.require_login


def test_tokens_state_cannot_revoke_someone_elses_token(db_session, learner):
    from decode_data.services.learners import get_or_create_learner
    from decode_data.states.tokens import TokensState

    other = get_or_create_learner(db_session, "grace")
    _, theirs = create_token(db_session, other, "theirs")
    state = _state(TokensState, _signed_in(db_session, learner))
    state.confirm_id = theirs.id  # as if the browser had sent another learner's id
    run_coroutine(TokensState.confirm_revoke.fn(state))
    assert state.list_error == "There is no such token."
    db_session.refresh(theirs)
    assert theirs.revoked_at is None
