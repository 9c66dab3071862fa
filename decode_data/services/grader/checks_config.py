"""Checks on what dbt built from the learner's configs, not on how the YAML is spelled.

A test's `where` or `severity`, a snapshot's strategy, a docs block: dbt accepts many
spellings (column or model level, `tests:` or `data_tests:`, `arguments:` or not, config in
SQL or YAML). These checks read the built node or the test's behaviour on data, so every
spelling that builds the same thing passes, and a config that is present but never used fails.
"""

from __future__ import annotations

from decode_data.services.grader.builds import Build
from decode_data.services.grader.checks import _compile_failure, _outcome, _tests_on
from decode_data.services.grader.checks_tests import own_test_hint
from decode_data.services.grader.feedback import CheckOutcome


def _same(have, want) -> bool:
    if isinstance(want, list) or isinstance(have, list):
        as_set = lambda v: {str(x).lower() for x in (v if isinstance(v, list) else [v])}  # noqa: E731
        return as_set(have) == as_set(want)
    if isinstance(want, bool) or isinstance(have, bool):
        return bool(have) == bool(want)
    return str(have).strip().lower() == str(want).strip().lower()


def check_config(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    """The model or snapshot is configured as asked (strategy, unique_key, check_cols, ...)."""
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    node = learner.node(name) or {}
    have = node.get("config", {})
    for key, want in check["config"].items():
        if not _same(have.get(key), want):
            shown = have.get(key)
            return _outcome(
                check,
                False,
                learner,
                stage="graph",
                path=node.get("path"),
                message=check.get("message") or f"{name} has {key} = {shown!r}; this step asks for {key} = {want!r}.",
            )
    return _outcome(check, True, learner)


def _test_label(test: dict, model: str) -> str:
    column = f".{test['column']}" if test.get("column") else ""
    return f"`{test['test_name']}` test on {model}{column}"


def _behaviour(build: Build, uid: str) -> tuple[str | None, int | None]:
    found = build.node_result(uid)
    return (found.status, found.failures) if found else (None, None)


def check_tests_match(check: dict, learner: Build, reference: Build) -> CheckOutcome:
    """Each generic test the step's reference attaches to the model behaves the same in the
    learner's project on this seed set: same test, column, outcome (pass/warn/fail) and number
    of failing rows. A `where` that never filters or a severity left at error shows here."""
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    wanted = [
        (uid, t)
        for uid, t in _tests_on(reference, name)
        if t.get("test_name")
        and (not check.get("column") or (t.get("column") or "").lower() == check["column"].lower())
        and (not check.get("tests") or t["test_name"] in check["tests"])
    ]
    mine = _tests_on(learner, name)
    for uid_ref, ref_test in wanted:
        status, failures = _behaviour(reference, uid_ref)
        same = [
            u
            for u, t in mine
            if t.get("test_name") == ref_test["test_name"]
            and (t.get("column") or "").lower() == (ref_test.get("column") or "").lower()
        ]
        label = _test_label(ref_test, name)
        if not same:
            return _outcome(
                check, False, learner, stage="tests", message=check.get("message") or f"Add a {label} in your YAML."
            )
        outcomes = [_behaviour(learner, u) for u in same]
        if (status, failures) in outcomes:
            continue
        got_status, got_failures = outcomes[0]
        broken = learner.node_result(same[0])
        if got_status == "error" and broken and (broken.error or broken.message):
            error = broken.error
            return _outcome(
                check,
                False,
                learner,
                stage="tests",
                message=f"Your {label} does not run: {error.message if error else broken.message}",
                path=error.path if error else broken.path,
                line=error.line if error else 0,
            )
        differs = config_differences(ref_test, dict(mine)[same[0]])
        return _outcome(
            check,
            False,
            learner,
            stage="tests",
            message=_mismatch(
                label, (status, failures), (got_status, got_failures), differs, learner.seeds, ref_test["test_name"]
            ),
        )
    return _outcome(check, True, learner)


ROW_CONFIGS = ("where", "limit")  # which rows, and how many, a test counts
OUTCOME_CONFIGS = ("severity", "warn_if", "error_if")  # what that count makes of the test


def _normal(value):
    """Spacing, quotes and the case of SQL words do not matter; the case of a quoted value or a
    listed value does (accepted values 'Email' and 'email' are not the same test)."""
    if isinstance(value, list):  # listed values, as typed
        return sorted(" ".join(str(v).split()) for v in value)
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in sorted(value.items())}
    if value is None:
        return None
    text = " ".join(str(value).replace('"', "'").split())
    parts = text.split("'")  # even parts are outside quotes
    return "'".join(part.lower() if i % 2 == 0 else part for i, part in enumerate(parts))


def config_differences(want: dict, have: dict) -> list[tuple[str, str]]:
    """(name, "config" or "argument") of what the learner's built test has otherwise than the
    step's (`where` config, `values` argument); never the reference's values, only the names."""
    found = []
    for kind, field in (("config", "config"), ("argument", "test_kwargs")):
        ours, theirs = want.get(field) or {}, have.get(field) or {}
        keys = ROW_CONFIGS + OUTCOME_CONFIGS if kind == "config" else sorted(set(ours) | set(theirs))
        found += [(key, kind) for key in keys if _normal(ours.get(key)) != _normal(theirs.get(key))]
    return found


def _listed(differs: list[tuple[str, str]]) -> str:
    names = [f"`{key}` {kind}" for key, kind in differs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _mismatch(label: str, want: tuple, got: tuple, differs: list[tuple[str, str]], seeds: str, test_name: str) -> str:
    """Which behaviour differs (the rows found, or pass/warn/fail), and the config behind it. A
    test the learner defined in a {% test %} block is the first suspect when its config and
    arguments are the step's: the model it reads is the lesson's."""
    (status, failures), (got_status, got_failures) = want, got
    data = "the lesson's data" if seeds == "seeds" else "the grader's data with known bad rows"
    if got_failures != failures and failures is not None and got_failures is not None:
        rows = [(key, kind) for key, kind in differs if kind == "argument" or key in ROW_CONFIGS]
        if rows:
            cause = f"Check its {_listed(rows)}: it differs from the step's test."
        elif own_test_hint(test_name):
            cause = (
                "Its `where` and its arguments are the step's, so what differs is what it checks: "
                f"the condition in your {{% test {test_name}(...) %}} block (which rows does it "
                "return?), or the model it tests."
            )
        else:
            cause = "Its `where` and its arguments are the step's, so it reads other rows: check the model it tests."
        return f"On {data} your {label} finds {got_failures} failing rows; the step expects {failures}. {cause}"
    if got_status != status:
        words = {"warn": "warns", "fail": "fails (severity error)", "pass": "passes", "error": "errors"}
        expected = {"warn": "warn", "fail": "fail (severity error)", "pass": "pass"}.get(status, status)
        outcome = [(key, kind) for key, kind in differs if key in OUTCOME_CONFIGS] or [("severity", "config")]
        return (
            f"On {data} your {label} {words.get(got_status, got_status)}; the step expects it to "
            f"{expected}: check its {_listed(outcome)}." + ("" if differs else own_test_hint(test_name))
        )
    return f"Your {label} does not behave as the step asks on {data}." + ("" if differs else own_test_hint(test_name))


def check_docs_block(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    """The model's (or a column's) description is the named docs block, rendered by doc()."""
    name, block = check["model"], check["doc"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    docs = learner.result.lineage.get("docs", {})
    node = learner.node(name) or {}
    where = f"{name}.{check['column']}" if check.get("column") else name
    if block not in docs:
        return _outcome(
            check,
            False,
            learner,
            stage="graph",
            message=check.get("message")
            or f"There is no docs block named {block}: write {{% docs {block} %}} ... "
            "{% enddocs %} in a .md file under models/.",
        )
    if check.get("column"):
        columns = {k.lower(): v for k, v in node.get("columns", {}).items()}
        text = columns.get(check["column"].lower(), "")
    else:
        text = node.get("description", "")
    if text.strip() != docs[block].strip():
        return _outcome(
            check,
            False,
            learner,
            stage="graph",
            path=node.get("path"),
            message=check.get("message")
            or f"Describe {where} with the docs block: description: '{{{{ doc(\"{block}\") }}}}'.",
        )
    return _outcome(check, True, learner)


CONFIG_CHECKS = {"config": check_config, "tests_match": check_tests_match, "docs_block": check_docs_block}
