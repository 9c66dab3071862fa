"""The check kinds a lesson can use (dbt_template/README.md documents them for authors).

Each check looks at the learner's build (and the reference build on the same seeds) and
returns one CheckOutcome. Failures name the first thing that is wrong, in the learner's words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from decode_data.services.engine.dbt_job import NEXT_SEEDS
from decode_data.services.grader.builds import MAIN_SEEDS, Build
from decode_data.services.grader.compare import Table, compare_tables
from decode_data.services.grader.describe import describe_pass
from decode_data.services.grader.diagnose import diagnose
from decode_data.services.grader.feedback import CheckOutcome
from decode_data.services.grader.model_sql import calls_ref, compares_ranges, model_sql
from decode_data.services.grader.read_errors import error_line
from decode_data.services.grader.types import approximate_where_exact, type_mismatch

Check = Callable[[dict, Build, Build], CheckOutcome]


def _outcome(check: dict, passed: bool, learner: Build, message: str = "", **extra) -> CheckOutcome:
    text = message or (describe_pass(check) if passed else check.get("message", ""))
    hint = check.get("message", "")
    if hint.strip() == text.strip() or extra.get("stage") == "compile":
        hint = ""  # said once; and the author's advice on a check is noise next to a compile error
    return CheckOutcome(
        kind=check["kind"],
        passed=passed,
        seeds=learner.seeds,
        model=check.get("model"),
        hint=hint,
        message=text,
        **extra,
    )


def _compile_failure(check: dict, learner: Build, name: str | None) -> CheckOutcome | None:
    """The project does not parse, or this model (or one it needs) failed to build."""
    if not learner.result.lineage:
        error = learner.result.errors[0] if learner.result.errors else None
        return _outcome(
            check,
            False,
            learner,
            stage="compile",
            message=error.message if error else "Your project does not compile.",
            path=error.path if error else None,
            line=error.line if error else 0,
        )
    if not name:
        return None
    node = learner.node(name)
    if node is None:
        return _outcome(
            check, False, learner, stage="relation", message=f"There is no model named {name} in your project."
        )
    status = learner.node_status(node["unique_id"])
    if status in ("error", "runtime error"):
        error = next((e for e in learner.result.errors if e.node == node["unique_id"]), None)
        return _outcome(
            check,
            False,
            learner,
            stage="compile",
            message=error.message if error else f"{name} failed to build.",
            path=(error.path if error else None) or node.get("path"),
            line=error.line if error else 0,
        )
    if status == "skipped":
        upstream = next((e for e in learner.result.errors if e.path), None)
        where = f" ({upstream.path}:{upstream.line})" if upstream and upstream.line else ""
        return _outcome(
            check,
            False,
            learner,
            stage="compile",
            path=upstream.path if upstream else None,
            line=upstream.line if upstream else 0,
            message=f"{name} was skipped because a model it depends on failed{where}.",
        )
    return None


def _parents(learner: Build, node: dict | None) -> set[str]:
    nodes = learner.result.lineage.get("nodes", {})
    return {nodes[uid]["name"] for uid in (node or {}).get("depends_on", []) if uid in nodes}


def _singular_test(learner: Build, name: str) -> dict | None:
    nodes = learner.result.lineage.get("nodes", {})
    return next((n for n in nodes.values() if n["resource_type"] == "test" and n["name"] == name), None)


def _tests_on(build: Build, name: str | None, kinds=("test",)) -> list[tuple[str, dict]]:
    target = build.node(name)["unique_id"] if name and build.node(name) else None
    return [
        (uid, n)
        for uid, n in build.result.lineage.get("nodes", {}).items()
        if n["resource_type"] in kinds
        and (target is None or n.get("attached") == target or target in n.get("depends_on", []))
    ]


def _unreadable(check: dict, learner: Build, name: str) -> CheckOutcome | None:
    """The model built, but reading it fails: show the database's error, not "missing"."""
    error = learner.read_error(name)
    if error is None:
        return None
    node = learner.node(name) or {}
    path = node.get("path")
    return _outcome(
        check,
        False,
        learner,
        stage="compile",
        path=path,
        line=error_line(learner, path, error),
        message=f"{name} builds, but reading it fails: {error} (a view runs its SQL each "
        "time it is read, so an error in a cast or a date parse shows up only then).",
    )


def _missing(check: dict, learner: Build, name: str) -> CheckOutcome:
    node = learner.node(name) or {}
    built_as = node.get("relation")
    if built_as and built_as.lower() != f"main.{name}".lower():
        # A `schema:` or `alias:` config: dbt built it, under another name than the lesson reads.
        return _outcome(
            check,
            False,
            learner,
            stage="relation",
            path=node.get("path"),
            message=f"dbt built {name} as {built_as}, and the lesson reads it as main.{name}: remove the "
            "`schema:` or `alias:` from its config, so it is built where everything else of the lesson is.",
        )
    return _outcome(
        check,
        False,
        learner,
        stage="relation",
        message=f"{name} is not in the warehouse the grader built from your project: is it "
        "disabled, or materialized as ephemeral?",
    )


def check_exists(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    """For steps whose model is not final yet: it compiles, runs and can be read."""
    name = check["model"]
    failure = _compile_failure(check, learner, name) or _unreadable(check, learner, name)
    if failure:
        return failure
    if learner.table(name) is not None:
        return _outcome(check, True, learner)
    return _missing(check, learner, name)


def check_relation(check: dict, learner: Build, reference: Build) -> CheckOutcome:
    name = check["model"]
    failure = _compile_failure(check, learner, name) or _unreadable(check, learner, name)
    if failure:
        return failure
    actual = learner.table(name)
    if actual is None:
        return _missing(check, learner, name)
    expected = reference.expected(check["expected_sql"]) if check.get("expected_sql") else reference.table(name)
    if expected is None:
        raise RuntimeError(f"the reference solution has no relation {name}: fix the lesson")
    if check.get("columns"):
        expected = _only(expected, check["columns"])
        actual = _only(actual, check["columns"], keep_missing=True)
    decimals = int(check.get("decimals", 6))
    mismatch = compare_tables(expected, actual, ordered=bool(check.get("ordered")), decimals=decimals)
    if mismatch is None:
        wrong_type = _wrong_type(learner, reference, name, [c.lower() for c in expected.columns])
        if wrong_type and not check.get("expected_sql"):
            return _outcome(
                check,
                False,
                learner,
                stage="types",
                message=f"{name}: {wrong_type}",
                path=(learner.node(name) or {}).get("path"),
            )
        return _outcome(check, True, learner)
    return _relation_failure(check, learner, reference, name, mismatch, expected, actual, decimals)


def _wrong_type(learner: Build, reference: Build, name: str, columns: list[str]) -> str | None:
    """Right values, wrong type: another family, or a double where the reference casts to decimal."""
    want, have = reference.types(name), learner.types(name)
    found = type_mismatch(want, have, columns)
    if found:
        return found
    return approximate_where_exact(want, have, columns, lambda: model_sql(reference, name))


def _relation_failure(check, learner, reference, name, mismatch, expected, actual, decimals) -> CheckOutcome:
    visible = learner.seeds == MAIN_SEEDS  # never show rows of a data set the learner cannot query
    found = None
    if mismatch.stage in ("row_count", "values"):
        found = diagnose(
            expected,
            actual,
            key=check.get("key") or _unique_key(reference, name),
            decimals=decimals,
            show_values=visible,
            types=(reference.types(name), learner.types(name)),
            ranges=lambda: compares_ranges(learner, name),
            snapshot=(learner.node(name) or {}).get("resource_type") == "snapshot",
        )
    head = mismatch.message if mismatch.stage != "values" else "The row count is right, but rows differ."
    message = f"{name}: {head}" + (f" {found.text}" if found else "")
    if visible and (Path(learner.paths["project"]) / NEXT_SEEDS).is_dir():
        message += (
            " (The grader found this after a second delivery of data, seeds_next/, loaded on top of "
            "the lesson's and built again: your warehouse does not hold it, so these rows and counts "
            "may not show in your own queries.)"
        )
    diff = mismatch.diff.__dict__ if mismatch.diff and visible else None
    return _outcome(
        check,
        False,
        learner,
        stage=mismatch.stage,
        message=message,
        missing_columns=mismatch.missing_columns,
        extra_columns=mismatch.extra_columns,
        expected_rows=mismatch.expected_rows,
        actual_rows=mismatch.actual_rows,
        diff=diff,
        diagnosis=found.text if found else "",
        examples=found.examples if found else None,
        shapes=found.shapes if found else [],
    )


def _unique_key(reference: Build, name: str) -> list[str] | None:
    """The column the reference model's own `unique` test names: the model's key."""
    for _uid, test in _tests_on(reference, name):
        if test.get("test_name") == "unique" and test.get("column"):
            return [test["column"]]
    return None


def _only(table: Table, columns: list[str], keep_missing: bool = False) -> Table:
    wanted = [c.lower() for c in columns]
    index = {c.lower(): i for i, c in enumerate(table.columns)}
    keep = [c for c in wanted if c in index] if keep_missing else wanted
    return Table(
        columns=[table.columns[index[c]] for c in keep], rows=[[row[index[c]] for c in keep] for row in table.rows]
    )


def check_depends_on(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    """`model` (or a singular test, `test`) reads each of `parents` through ref() or source()."""
    test = bool(check.get("test"))
    name = check["test"] if test else check["model"]
    failure = _compile_failure(check, learner, None if test else name)
    if failure:
        return failure
    node = _singular_test(learner, name) if test else learner.node(name)
    if node is None:  # a missing model is _compile_failure's
        return _outcome(
            check, False, learner, stage="tests", message=f"There is no test named {name}: write tests/{name}.sql."
        )
    missing = [p for p in check["parents"] if p not in _parents(learner, node)]
    if not missing:
        return _outcome(check, True, learner)
    why = " With a typed table name dbt does not know what the test reads, and may run it first." if test else ""
    return _outcome(
        check,
        False,
        learner,
        stage="graph",
        path=node.get("path"),
        message=check.get("message")
        or f"{name} should read {', '.join(missing)} through "
        "{{ ref('...') }} (a model or seed) or {{ source('...', '...') }} (a source)."
        + why,
    )


def check_uses_ref(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    node = learner.node(name)
    path = (node or {}).get("path")
    # dbt renders Jinja in SQL comments too: a ref() there adds the edge but reads nothing.
    if _parents(learner, node) and calls_ref(learner, path):
        return _outcome(check, True, learner)
    return _outcome(
        check,
        False,
        learner,
        stage="graph",
        path=path,
        message=check.get("message")
        or f"{name} reads a table by its name. Use "
        "{{ ref('...') }} or {{ source('...', '...') }} so dbt knows the dependency.",
    )


def check_materialized(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    have = (learner.node(name) or {}).get("materialized")
    want = check["materialized"]
    if have == want:
        return _outcome(check, True, learner)
    return _outcome(
        check,
        False,
        learner,
        stage="graph",
        path=(learner.node(name) or {}).get("path"),
        message=check.get("message")
        or f"{name} is materialized as a {have}; this step "
        f"asks for a {want}: add {{{{ config(materialized='{want}') }}}}.",
    )


def check_documented(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    node = learner.node(name) or {}
    if not node.get("description", "").strip():
        return _outcome(
            check,
            False,
            learner,
            stage="graph",
            message=check.get("message") or f"Describe {name} in its YAML (`description:`).",
        )
    columns = {k.lower(): v for k, v in node.get("columns", {}).items()}
    undocumented = [c for c in check.get("columns", []) if not columns.get(c.lower(), "").strip()]
    if undocumented:
        return _outcome(
            check,
            False,
            learner,
            stage="graph",
            message=f"Describe these columns of {name}: {', '.join(undocumented)}.",
        )
    return _outcome(check, True, learner)


def check_sql(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    failure = _compile_failure(check, learner, None)
    if failure:
        return failure
    result = learner.query(check["sql"])
    value = result.preview.rows[0][0] if result.ok and result.preview and result.preview.rows else None
    try:
        passed = value is not None and float(value) >= float(check.get("expect_min", 1))
    except (TypeError, ValueError):
        passed = False
    return _outcome(
        check,
        passed,
        learner,
        stage=None if passed else "sql",
        message="" if passed else check.get("message") or "This step's check query fails.",
    )


CHECKS: dict[str, Check] = {
    "exists": check_exists,
    "relation": check_relation,
    "depends_on": check_depends_on,
    "uses_ref": check_uses_ref,
    "materialized": check_materialized,
    "documented": check_documented,
    "sql": check_sql,
}


def _register_config_checks() -> None:
    """The kinds that live in modules of their own (they import this module's helpers)."""
    from decode_data.services.grader.checks_config import CONFIG_CHECKS
    from decode_data.services.grader.checks_source import SOURCE_CHECKS
    from decode_data.services.grader.checks_tests import TEST_CHECKS

    CHECKS.update(CONFIG_CHECKS)
    CHECKS.update(TEST_CHECKS)
    CHECKS.update(SOURCE_CHECKS)


_register_config_checks()
