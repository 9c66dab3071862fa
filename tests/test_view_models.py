"""The plain data the lesson pages render (decode_data/states/view_models.py): no Reflex, no server."""

from __future__ import annotations

from decimal import Decimal

from decode_data.services.progress import ProgressView
from decode_data.states import view_models as vm


def _view(lesson, completed=()) -> ProgressView:
    return ProgressView(user_id=1, username="ada", lesson_id=lesson.id, completed_steps=tuple(completed))


# ---------------------------------------------------------------- steps and files


def test_step_items_number_the_steps_and_mark_done_and_current(lesson):
    items = vm.step_items(lesson, _view(lesson, completed=["staging"]), current="mart")
    assert [(i.id, i.number, i.title, i.done, i.current) for i in items] == [
        ("staging", 1, "Stage the orders", True, False),
        ("mart", 2, "Build a mart", False, True),
    ]


def test_step_items_ignore_completed_steps_the_lesson_no_longer_has(lesson):
    items = vm.step_items(lesson, _view(lesson, completed=["gone"]), current="staging")
    assert [(i.done, i.current) for i in items] == [(False, True), (False, False)]
    # A current id that is not a step marks none as current.
    assert not any(i.current for i in vm.step_items(lesson, _view(lesson), current="nope"))


def test_step_items_on_the_real_first_lesson(hello_lesson):
    items = vm.step_items(
        hello_lesson, _view(hello_lesson, completed=["first_model", "staging"]), current="model_on_model"
    )
    assert [i.number for i in items] == [1, 2, 3, 4, 5, 6]
    assert [i.id for i in items if i.done] == ["first_model", "staging"]
    assert [i.id for i in items if i.current] == ["model_on_model"]


def test_file_items_split_folder_and_name():
    items = vm.file_items(
        [
            {"path": "models/staging/stg_orders.sql", "editable": True},
            {"path": "dbt_project.yml", "editable": False},
            {"path": "macros/cents.sql", "editable": 0},
        ]
    )
    assert [(i.path, i.folder, i.name, i.editable) for i in items] == [
        ("models/staging/stg_orders.sql", "models/staging", "stg_orders.sql", True),
        ("dbt_project.yml", "", "dbt_project.yml", False),
        ("macros/cents.sql", "macros", "cents.sql", False),
    ]
    assert all(type(i.editable) is bool for i in items)
    assert vm.file_items([]) == []


# ---------------------------------------------------------------- grid cells and pages


def test_cell_keeps_null_visible_and_floats_short():
    assert vm.cell(None) == "NULL"
    assert vm.cell("") == ""  # an empty string is not NULL
    assert vm.cell("NULL text") == "NULL text"
    assert vm.cell(0.1 + 0.2) == "0.3"
    assert vm.cell(1 / 3) == "0.333333"
    assert vm.cell(2.0) == "2" and vm.cell(-1.5) == "-1.5" and vm.cell(0.0) == "0"
    assert vm.cell(1e16) == "1e+16"  # beyond 1e15: Python's own repr
    assert vm.cell(12345678901234567890) == "12345678901234567890"  # ints are never shortened
    assert vm.cell(Decimal("12.50")) == "12.50"  # DECIMAL money keeps its cents
    assert vm.cell(True) == "True" and vm.cell(0) == "0"


def test_grid_rows_turn_every_value_into_text():
    assert vm.grid_rows([[1, None, 2.5, "x"], [Decimal("3.10"), 0.25, None, ""]]) == [
        ["1", "NULL", "2.5", "x"],
        ["3.10", "0.25", "NULL", ""],
    ]
    assert vm.grid_rows([]) == []


def test_page_count_is_at_least_one_and_rounds_up():
    assert vm.PAGE_SIZE == 25
    assert vm.page_count(0) == 1
    assert vm.page_count(1) == 1
    assert vm.page_count(25) == 1
    assert vm.page_count(26) == 2
    assert vm.page_count(900) == 36
    assert vm.page_count(10, size=3) == 4


# ---------------------------------------------------------------- grader feedback


FEEDBACK = {
    "passed": False,
    "summary": "2 of 5 checks passed",
    "checks": [
        {
            "passed": True,
            "message": "raw_orders exists",
            "stage": "structure",
            "diff": {"columns": ["id"], "missing": [[1]], "extra": []},
        },  # passed: its diff is ignored
        {"passed": False, "message": "", "stage": "compile", "path": "models/staging/stg_orders.sql"},
        {
            "passed": False,
            "message": "Wrong totals",
            "stage": "data",
            "hint": "Group by customer.",
            "path": "models/marts/orders_by_customer.sql",
            "line": 3,
            "diff": {
                "columns": ["customer_id", "total"],
                "missing": [[1, 15.0], [None, 0.5]],
                "extra": [[1, 10]],
                "missing_total": 7,
                "extra_total": 1,
            },
        },
        {"passed": False, "message": "Later diff", "diff": {"columns": ["x"], "missing": [[9]]}},
        {"passed": True, "message": None, "stage": None, "hint": None, "line": 4},
    ],
}


def test_check_items_say_where_the_grader_looked():
    items = vm.check_items(FEEDBACK)
    assert [(i.message, i.passed, i.stage, i.where, i.hint) for i in items] == [
        ("raw_orders exists", True, "structure", "", ""),
        ("Failed", False, "compile", "models/staging/stg_orders.sql", ""),  # a path without a line
        ("Wrong totals", False, "data", "models/marts/orders_by_customer.sql line 3", "Group by customer."),
        ("Later diff", False, "", "", ""),
        ("Passed", True, "", "", ""),  # a line without a path says nothing
    ]
    assert vm.check_items({}) == [] and vm.check_items({"checks": []}) == []


def test_check_items_say_each_finding_once():
    """A check evaluated on three seed sets that failed the same way is one line, not three."""
    same = {"passed": False, "message": "status is upper-case in 41 rows", "path": "models/stg.sql", "line": 2}
    passed = {"passed": True, "message": "stg builds from your project on fresh data"}
    items = vm.check_items({"checks": [passed, same, dict(same), passed, {**same, "message": "another finding"}]})
    assert [(i.message, i.passed) for i in items] == [
        ("stg builds from your project on fresh data", True),
        ("status is upper-case in 41 rows", False),
        ("another finding", False),
    ]


def test_first_diff_is_the_first_failing_check_with_rows():
    diff = vm.first_diff(FEEDBACK)
    assert diff.columns == ["customer_id", "total"]
    assert diff.missing == [["1", "15"], ["NULL", "0.5"]]
    assert diff.extra == [["1", "10"]]
    assert (diff.missing_total, diff.extra_total) == (7, 1)


def test_first_diff_defaults_and_empty_feedback():
    only_later = {
        "checks": [
            {"passed": False, "diff": {}},  # an empty diff is no diff
            {"passed": False, "diff": {"columns": [1, "b"], "extra": [[None, 2]]}},
        ]
    }
    diff = vm.first_diff(only_later)
    assert diff == vm.RowDiff(columns=["1", "b"], missing=[], extra=[["NULL", "2"]], missing_total=0, extra_total=0)
    assert vm.first_diff({"checks": [FEEDBACK["checks"][0]]}) == vm.RowDiff()
    assert vm.first_diff({}) == vm.RowDiff()


def test_error_location_points_at_the_first_failing_check_with_a_path():
    assert vm.error_location(FEEDBACK) == ("models/staging/stg_orders.sql", 0)  # no line: 0
    later = {
        "checks": [
            {"passed": True, "path": "models/a.sql", "line": 1},
            {"passed": False},
            {"passed": False, "path": "models/b.sql", "line": "7"},
        ]
    }
    assert vm.error_location(later) == ("models/b.sql", 7)
    assert vm.error_location({"checks": [{"passed": True, "path": "models/a.sql", "line": 2}]}) == ("", 0)
    assert vm.error_location({}) == ("", 0)


def test_quiz_items_show_grades_only_for_answered_questions():
    from decode_data.services.lessons import get_lesson
    from decode_data.states.quiz import quiz_items

    lesson = get_lesson("cafe_chain")
    right = lesson.quiz[0].answer
    items = quiz_items(lesson, {0: right, 1: (lesson.quiz[1].answer + 1) % len(lesson.quiz[1].choices)}, graded=True)
    assert [i.index for i in items] == list(range(len(lesson.quiz)))
    assert (items[0].chosen, items[0].graded, items[0].correct) == (str(right), True, True)
    assert (items[1].graded, items[1].correct) == (True, False)
    assert (items[2].chosen, items[2].graded) == ("", False)
    assert all(not i.graded for i in quiz_items(lesson, {0: right}, graded=False))


def test_code_in_a_message_is_marked_as_code():
    parts = vm.inline_code("Keep only `where dbt_valid_to is null` and run `dbt run -s x`.")
    assert [(p.text, p.code) for p in parts] == [
        ("Keep only ", False),
        ("where dbt_valid_to is null", True),
        (" and run ", False),
        ("dbt run -s x", True),
        (".", False),
    ]
    assert [(p.text, p.code) for p in vm.inline_code("an odd ` backtick")] == [("an odd ` backtick", False)]
    assert vm.check_items({"checks": [{"passed": False, "message": "Use `ref()`"}]})[0].parts[1].code
