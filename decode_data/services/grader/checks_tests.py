"""Checks on the learner's tests: that the step's tests exist as strict as the step's, pass on
the lesson's data, fail on data with known bad rows (or on broken versions of a model), and
"""

from __future__ import annotations

from decode_data.services.grader.builds import MAIN_SEEDS, Build
from decode_data.services.grader.checks import _compile_failure, _outcome, _tests_on
from decode_data.services.grader.feedback import CheckOutcome
from decode_data.services.grader.test_strictness import loosened

PASSING_TEST = ("pass", "success", "warn")  # a warn-severity test does not fail the build
COLUMN_TESTS = ("unique", "not_null", "accepted_values", "relationships")  # each tests one column


def _test_statuses(learner: Build, uids: list[str]) -> dict[str, str | None]:
    return {uid: learner.node_status(uid) for uid in uids}


def check_dbt_tests(check: dict, learner: Build, reference: Build) -> CheckOutcome:
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    column = check.get("column")
    for wanted in check["tests"]:
        named = _tests_named(learner, name, wanted, column)
        found = [uid for uid, _ in named]
        where = f"{name}.{column}" if column else name
        if not found:
            add = f"Add a `{wanted}` test on {where} in your YAML."
            broken = _broken_test(learner, name)
            if broken is None:
                return _outcome(check, False, learner, stage="tests", message=check.get("message") or add)
            # A misspelt test, column or argument: dbt's error says which; the check's own advice
            # follows as its hint.
            uid, error = broken
            message = f"A test on {name} cannot run: {_unplaced(learner, uid) or error.message}"
            message += "" if check.get("message") else f" {add}"
            return _outcome(check, False, learner, stage="tests", message=message, path=error.path, line=error.line)
        statuses = _test_statuses(learner, found)
        errored = [uid for uid, status in statuses.items() if status == "error"]  # its own error first
        slip = loosened([n for _, n in named], [n for _, n in _tests_named(reference, name, wanted, column)])
        if slip and not errored:
            message = f"Your `{wanted}` test on {where} {slip}"
            return _outcome(check, False, learner, stage="tests", message=message, path=named[0][1].get("path"))
        bad = errored or [uid for uid, status in statuses.items() if status not in PASSING_TEST]
        if bad:
            outcome = _failing_test(check, learner, bad[0], f"Your `{wanted}` test on {where}")
            outcome.message += "" if errored else own_test_hint(wanted)
            return outcome
    return _outcome(check, True, learner)


def own_test_hint(test_name: str) -> str:
    """A test the learner defined ({% test %} block) may be what returns the wrong rows."""
    if test_name in COLUMN_TESTS:
        return ""
    return f" It may also be the condition in your {{% test {test_name}(...) %}} block: which rows does it return?"


def _broken_test(build: Build, name: str):
    """(unique_id, error) of the first test on the model that could not even run, if one could not."""
    for uid, _ in sorted(_tests_on(build, name)):
        result = build.node_result(uid)
        if result and result.error and result.status == "error":
            return uid, result.error
    return None


def _unplaced(build: Build, uid: str) -> str:
    """A column test listed under the model itself tests no column (dbt compiles it with none)."""
    node = build.result.lineage.get("nodes", {}).get(uid, {})
    test = node.get("test_name")
    if test not in COLUMN_TESTS or node.get("column"):
        return ""
    return (
        f"its `{test}` test is listed under the model, so it names no column. A `{test}` test goes "
        "under the column it tests: columns: - name: <column> data_tests: [...]."
    )


def _tests_named(build: Build, name: str, test_name: str, column: str | None) -> list[tuple[str, dict]]:
    """The model's own tests of that kind: a relationships test of another model that points
    here reads this model too, but it is that model's test."""
    own = (build.node(name) or {}).get("unique_id")
    return [
        (uid, n)
        for uid, n in _tests_on(build, name)
        if n.get("test_name") == test_name
        and n.get("attached", own) == own
        and (column is None or (n.get("column") or "").lower() == column.lower())
    ]


def _failing_test(check: dict, learner: Build, uid: str, label: str) -> CheckOutcome:
    """Why a test does not pass: the rows it finds, or its own error (a typo in its `where`, a
    column that does not exist), pointed at its file and line."""
    result = learner.node_result(uid)
    error = result.error if result else None
    data = "the lesson's data" if learner.seeds == MAIN_SEEDS else "the grader's other data set"
    unit = learner.result.lineage.get("nodes", {}).get(uid, {}).get("resource_type") == "unit_test"
    if unit and result and result.status == "fail":  # it runs on its own rows, never the warehouse's
        message = f"{label} does not pass: for the rows it gives, your model returns other rows than its `expect`."
    elif result and result.status == "fail":
        plural = "s" if result.failures != 1 else ""
        found = f"finds {result.failures} failing row{plural}" if result.failures else "fails"
        message = f"{label} does not pass: it {found} on {data}."
    elif error or (result and result.message):
        text = error.message if error else result.message
        message = f"{label} does not pass: the test itself fails to run: {text}"
    else:
        message = f"{label} does not pass."
    return _outcome(
        check,
        False,
        learner,
        stage="tests",
        message=message,
        path=(error.path if error else None) or (result.path if result else None),
        line=error.line if error else 0,
    )


def check_tests_pass(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    failure = _compile_failure(check, learner, check.get("model"))
    if failure:
        return failure
    tests = _tests_on(learner, check.get("model"), kinds=("test", "unit_test"))
    if not tests:
        return _outcome(
            check, False, learner, stage="tests", message=check.get("message") or "There are no tests to run yet."
        )
    failing = _failing_tests(learner, tests)
    if failing:
        return _first_failing(check, learner, failing, "These tests do not pass")
    return _outcome(check, True, learner)


def _failing_tests(learner: Build, tests: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    return sorted(
        ((uid, n) for uid, n in tests if learner.node_status(uid) not in PASSING_TEST), key=lambda t: t[1]["name"]
    )


def _first_failing(check: dict, learner: Build, failing: list[tuple[str, dict]], lead: str) -> CheckOutcome:
    """Name the failing tests, then say why the first one fails: its rows, or its own error
    (a typo in its SQL, a column that does not exist) at its file and line."""
    names = ", ".join(n["name"] for _, n in failing[:5])
    uid, node = failing[0]
    outcome = _failing_test(check, learner, uid, f"`{node['name']}`")
    outcome.message = f"{lead}: {names}. {outcome.message}"
    return outcome


def check_tests_catch(check: dict, bad: Build, reference: Build) -> CheckOutcome:
    """Evaluated on a build of the bad seed set: the learner's tests must fail there."""
    if not bad.result.lineage:
        return _compile_failure(check, bad, None)
    kinds = tuple(check.get("kinds") or ("test", "unit_test"))  # unit tests catch broken versions of a model
    caught = [
        n for uid, n in _tests_on(bad, check.get("model"), kinds=kinds) if bad.node_status(uid) in ("fail", "error")
    ]
    if caught:
        return _outcome(check, True, bad)
    warned = sorted(
        n["name"] for uid, n in _tests_on(bad, check.get("model"), kinds=kinds) if bad.node_status(uid) == "warn"
    )
    if warned:  # it saw the bad rows: the severity is what is wrong, not the query
        return _outcome(
            check,
            False,
            bad,
            stage="tests",
            message=(
                f"On data with known bad rows, `{warned[0]}` finds them but only warns (severity: warn): dbt "
                "reports them and carries on. Leave its severity at the default, error."
            ),
        )
    tested = bool(_tests_on(bad, check.get("model"), kinds=kinds))
    dropped = tested and _dropped_rows(bad, reference, check.get("model"))
    if dropped:  # the model hid the bad rows from the tests: the fix is in the model, not the YAML
        return _outcome(check, False, bad, stage="tests", message=dropped)
    return _outcome(
        check,
        False,
        bad,
        stage="tests",
        message=check.get("message") or "Your tests pass on a data set with known bad rows: add tests that catch them.",
    )


def _dropped_rows(bad: Build, reference: Build, name: str | None) -> str:
    """On the bad data, the learner's model holds fewer rows than the step's: a join or a filter
    removed the bad rows before any test could see them."""
    if not name or bad is reference:
        return ""
    mine, theirs = bad.table(name), reference.table(name)
    if mine is None or theirs is None or len(mine.rows) >= len(theirs.rows):
        return ""
    return (
        f"On data with known bad rows, your {name} has {len(mine.rows)} rows where the step's has "
        f"{len(theirs.rows)}: your model drops rows (an inner join, a where) before a test can see "
        "them. Keep every row in the model; the tests are there to fail on the bad ones."
    )


def check_unit_tests(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    tests = _tests_on(learner, name, kinds=("unit_test",))
    if len(tests) < int(check.get("min", 1)):
        return _outcome(
            check,
            False,
            learner,
            stage="tests",
            message=check.get("message") or f"Write a unit test for {name} (a `unit_tests:` entry in your YAML).",
        )
    failing = _failing_tests(learner, tests)
    if failing:
        return _first_failing(check, learner, failing, "These unit tests do not pass")
    return _outcome(check, True, learner)


TEST_CHECKS = {
    "dbt_tests": check_dbt_tests,
    "tests_pass": check_tests_pass,
    "tests_catch": check_tests_catch,
    "unit_tests": check_unit_tests,
}
