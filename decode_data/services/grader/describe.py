"""What a passed check proved, in a line the learner reads next to its tick.

Every check runs on the grader's own fresh build of the learner's project, never on the
learner's warehouse, so no line here claims anything about that warehouse (the learner's own
warehouse is described apart: build_record.warehouse_notes).
"""

from __future__ import annotations

_TEMPLATES = {
    "exists": "{model} builds from your project on fresh data",
    "relation": "{model} has the expected columns and rows",
    "depends_on": "{model} reads from {parents}",
    "uses_ref": "{model} uses ref()",
    "uses_macro": "{model} uses the {macro} macro",
    "materialized": "{model} is configured to build as a {materialized}",
    "dbt_tests": "{model} has the tests this step asks for",
    "tests_pass": "Your tests pass on fresh data",
    "tests_catch": "Your tests catch the broken data",
    "unit_tests": "Your unit tests pass",
    "documented": "{model} is documented",
    "sql": "The data check passes",
    "config": "{model} is configured as this step asks",
    "tests_match": "Your tests on {model} catch exactly the rows this step describes",
    "docs_block": "{model} is described with the {doc} docs block",
}


def describe_pass(check: dict) -> str:
    fields = {k: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in check.items()}
    fields.setdefault("model", "The model")
    try:
        return _TEMPLATES.get(check.get("kind", ""), "Passed").format(**fields)
    except (KeyError, IndexError, ValueError):
        return "Passed"
