"""A graded model's SQL, as dbt compiled it in the grader's build, and the learner's files as written.

The diagnosis reads the data first; the SQL only vetoes advice about code the learner did not
write: no `>` against `>=` for a model that, with the models it reads, filters on no comparison.
The files as written tell what the build cannot: a ref() only in a comment, a macro that ignores
its arguments, a loop written out by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

from decode_data.services.engine.project_files import PROFILE_NAME
from decode_data.services.grader.builds import Build

# `<`, `<=`, `>`, `>=`, `between`; not `<>`, `=>` or `->`.
_RANGE_RE = re.compile(r"<=|>=|(?<![<>=!-])[<>](?![<>=])|\bbetween\b", re.IGNORECASE)
_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/|\{#.*?#\}", re.DOTALL)  # SQL's and Jinja's
_REF_CALL_RE = re.compile(r"\{\{[^}]*\b(?:ref|source)\s*\(")
_JINJA_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_MACRO_RE = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(([^)]*)\)\s*-?%\}(.*?)\{%-?\s*endmacro\s*-?%\}", re.DOTALL)
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


def without_comments(text: str) -> str:
    return _COMMENT_RE.sub(" ", text)


def reads_a_table(text: str) -> bool:
    """Whether SQL, comments aside, reads anything: a ref(), a source() or a from clause."""
    code = without_comments(text)
    return bool(_REF_CALL_RE.search(code) or re.search(r"\bfrom\b", code, re.IGNORECASE))


def written(build: Build, path: str | None) -> str:
    """A file of the graded project as the learner wrote it, without its comments."""
    if not path:
        return ""
    file = Path(build.paths["project"]) / path
    return without_comments(file.read_text(encoding="utf-8", errors="replace") if file.is_file() else "")


def calls_ref(build: Build, path: str | None) -> bool:
    """Whether the file, comments aside, calls ref() or source() (a file that cannot be read is
    given the benefit of the doubt: the graph already shows the call)."""
    source = written(build, path)
    return not source.strip() or bool(_REF_CALL_RE.search(source))


def unused_arguments(build: Build, macro: str) -> tuple[str | None, list[str]]:
    """(file, arguments its body never uses) of the project's macro: pasted SQL in a macro
    works for one call only."""
    project = Path(build.paths["project"])
    for file in sorted(project.glob("macros/**/*.sql")):
        for name, arguments, body in _MACRO_RE.findall(_COMMENT_RE.sub(" ", file.read_text(encoding="utf-8"))):
            if name != macro:
                continue
            names = [a.split("=", 1)[0].strip() for a in arguments.split(",") if a.strip()]
            jinja = " ".join(_JINJA_RE.findall(body))  # `m.unit` in plain SQL is a column, not the argument
            return file.relative_to(project).as_posix(), [a for a in names if not re.search(rf"\b{a}\b", jinja)]
    return None, []
