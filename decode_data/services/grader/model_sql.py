"""A graded model's SQL, as dbt compiled it in the grader's build of the learner's project.

The diagnosis reads the data first; the SQL only vetoes advice about code the learner did not
write: no `>` against `>=` for a model that, with the models it reads, filters on no comparison.
"""

from __future__ import annotations

import re
from pathlib import Path

from decode_data.services.engine.project_files import PROFILE_NAME
from decode_data.services.grader.builds import Build

# `<`, `<=`, `>`, `>=`, `between`; not `<>`, `=>` or `->`.
_RANGE_RE = re.compile(r"<=|>=|(?<![<>=!-])[<>](?![<>=])|\bbetween\b", re.IGNORECASE)
_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_QUOTED_RE = re.compile(r"'(?:[^']|'')*'")
_CLAUSE_RE = re.compile(r"\b(select|from|where|having|qualify|on|group|order|window|limit)\b", re.IGNORECASE)
FILTERS = ("where", "having", "qualify", "on")
_WINDOW_RE = re.compile(r"\bover\s*\([^()]*\)", re.IGNORECASE)
# The innermost `case ... end`; stripped repeatedly for nested ones.
_CASE_RE = re.compile(r"\bcase\b(?:(?!\bcase\b).)*?\bend\b", re.IGNORECASE | re.DOTALL)


def model_sql(build: Build, name: str) -> str:
    """A model's SQL as dbt compiled it in this build (macros expanded), else as written."""
    path = (build.node(name) or {}).get("path")
    if not path:
        return ""
    project = Path(build.paths["project"])
    for candidate in (project / "target" / "compiled" / PROFILE_NAME / path, project / path):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8", errors="replace")
    return ""


def upstream_names(build: Build, name: str) -> list[str]:
    """The model and every model, seed or snapshot it reads, directly or not."""
    nodes = build.result.lineage.get("nodes", {})
    found, todo = [], [name]
    while todo:
        current = todo.pop()
        node = build.node(current)
        if current in found or node is None:
            continue
        found.append(current)
        todo += [nodes[uid]["name"] for uid in node.get("depends_on", []) if uid in nodes]
    return found


def compares_ranges(build: Build, name: str) -> bool:
    """Whether the model or anything upstream of it filters with <, >, <=, >= or between: in a
    where, having, qualify or join condition, outside case ... end (which computes a value)."""
    for upstream in upstream_names(build, name):
        code = _QUOTED_RE.sub("''", _COMMENT_RE.sub(" ", model_sql(build, upstream)))
        code = _WINDOW_RE.sub(" over () ", code)  # its order by orders; it does not end the clause
        while _CASE_RE.search(code):
            code = _CASE_RE.sub(" ", code)
        if any(_in_a_filter(code, found.start()) for found in _RANGE_RE.finditer(code)):
            return True
    return False


def _in_a_filter(code: str, at: int) -> bool:
    """Whether the clause around position `at` filters rows (where, having, qualify, a join's on),
    rather than computes a column (`a < b as is_reset` in the select list)."""
    clauses = [found.group(1).lower() for found in _CLAUSE_RE.finditer(code, 0, at)]
    return bool(clauses) and clauses[-1] in FILTERS
