"""A test the learner wrote with a config that lets bad rows through where the step's does not.

A `where`, `severity: warn` or an `error_if` threshold is how dbt narrows a test on purpose; on a
test the step asks for without one, it hides exactly the rows the test exists to catch. Whether
the bad rows of the grader's data happen to fall outside the filter decides nothing: a learner
who filters the test is told, whatever the data. So is a test that compares with another model
than the step's (a relationships test `to: ref('meters')`, the seed, where the step's reads
`stg_meters`): the two agree only as long as the staging model keeps every row of its seed.
"""

from __future__ import annotations

DEFAULTS = {"where": None, "severity": "error", "error_if": "!= 0"}


def loosened(learner_tests: list[dict], reference_tests: list[dict]) -> str | None:
    """What lets bad rows through in the learner's test, when none of their tests of this kind
    is as strict as the step's; None when one is (or the step names no such test)."""
    if not reference_tests:
        return None
    wanted = _settings(reference_tests[0])
    slips = [_slip(_settings(test), wanted) for test in learner_tests]
    if not slips or any(slip is None for slip in slips):
        return None
    return slips[0]


def _settings(test: dict) -> dict:
    config = test.get("config") or {}
    found = {key: config.get(key, default) for key, default in DEFAULTS.items()}
    found["severity"] = str(found["severity"] or "error").lower()
    found["error_if"] = " ".join(str(found["error_if"] or "!= 0").split())
    found["reads"] = sorted({_name(uid) for uid in test.get("depends_on") or []})
    return found


def _name(unique_id: str) -> str:
    """model.lesson.stg_meters -> stg_meters; source.lesson.raw.orders -> source('raw', 'orders')."""
    parts = unique_id.split(".", 2)
    if len(parts) < 3:
        return unique_id
    kind, _project, rest = parts
    if kind == "source":
        source, _, table = rest.partition(".")
        return f"source('{source}', '{table}')"
    return rest


def _slip(have: dict, want: dict) -> str | None:
    # Only where the step's test has none: a narrowed test the step asks for is tests_match's.
    if have["where"] and not want["where"]:
        return (
            f'has `where: "{have["where"]}"`: it checks only the rows that condition keeps, and this '
            "step's test checks every row. Remove the where."
        )
    if have["severity"] == "warn" and want["severity"] != "warn":
        return (
            "only warns (severity: warn): dbt reports the bad rows and carries on. Leave the severity "
            "at its default, error."
        )
    if have["error_if"] != want["error_if"] and want["error_if"] == DEFAULTS["error_if"]:
        return (
            f'has `error_if: "{have["error_if"]}"`: it lets that many bad rows through. Remove it, so '
            "one bad row fails the test."
        )
    if have["reads"] and want["reads"] and have["reads"] != want["reads"]:
        theirs = [name for name in have["reads"] if name not in want["reads"]]
        ours = [name for name in want["reads"] if name not in have["reads"]]
        if theirs and ours:
            return (
                f"compares with {_listed(theirs)}, where this step's test compares with {_listed(ours)}: "
                f"point it at {_listed(ours)} (for a relationships test, `to: {_ref(ours[0])}`)."
            )
    return None


def _listed(names: list[str]) -> str:
    return ", ".join(f"`{name}`" if name.startswith("source(") else name for name in names)


def _ref(name: str) -> str:
    return name if name.startswith("source(") else f"ref('{name}')"
