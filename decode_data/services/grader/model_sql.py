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
from decode_data.services.grader.sql_text import (
    MAX_CHARS,
    Clauses,
    calls_ref_or_source,
    macros,
    uses_name,
    without_case_blocks,
    without_comments,
)

# `<`, `<=`, `>`, `>=`, `between`; not `<>`, `=>` or `->`.
_RANGE_RE = re.compile(r"<=|>=|(?<![<>=!-])[<>](?![<>=])|\bbetween\b", re.IGNORECASE)
_QUOTED_RE = re.compile(r"'(?:[^']|'')*'")
_CLAUSE_RE = re.compile(r"\b(select|from|where|having|qualify|on|group|order|window|limit)\b", re.IGNORECASE)
FILTERS = ("where", "having", "qualify", "on")
_WINDOW_RE = re.compile(r"\bover\s*\([^()]*\)", re.IGNORECASE)


def model_sql(build: Build, name: str) -> str:
    """A model's SQL as dbt compiled it in this build (macros expanded), else as written."""
    path = (build.node(name) or {}).get("path")
    if not path:
        return ""
    project = Path(build.paths["project"])
    for candidate in (project / "target" / "compiled" / PROFILE_NAME / path, project / path):
        if candidate.is_file():
            return _head(candidate)
    return ""


def _head(file: Path) -> str:
    """The file's text up to sql_text.MAX_CHARS (Jinja can make a compiled file of gigabytes)."""
    with file.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(MAX_CHARS + 1)


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
        text = model_sql(build, upstream)
        if len(text) > MAX_CHARS:
            return True  # too big to read: no advice is vetoed
        code = _QUOTED_RE.sub("''", without_comments(text))
        code = _WINDOW_RE.sub(" over () ", code)  # its order by orders; it does not end the clause
        code = without_case_blocks(code)
        clauses = Clauses(code, _CLAUSE_RE)
        # A comparison in a where, having, qualify or join condition filters rows; one in the
        # select list (`a < b as is_reset`) computes a column.
        if any(clauses.at(found.start()) in FILTERS for found in _RANGE_RE.finditer(code)):
            return True
    return False


def reads_a_table(text: str) -> bool:
    """Whether SQL, comments aside, reads anything: a ref(), a source() or a from clause."""
    code = without_comments(text)
    return calls_ref_or_source(code) or re.search(r"\bfrom\b", code, re.IGNORECASE) is not None


def written(build: Build, path: str | None) -> str:
    """A file of the graded project as the learner wrote it, without its comments."""
    if not path:
        return ""
    file = Path(build.paths["project"]) / path
    return without_comments(_head(file) if file.is_file() else "")


def calls_ref(build: Build, path: str | None) -> bool:
    """Whether the file, comments aside, calls ref() or source() (a file that cannot be read is
    given the benefit of the doubt: the graph already shows the call)."""
    source = written(build, path)
    return not source.strip() or calls_ref_or_source(source)


def unused_arguments(build: Build, macro: str) -> tuple[str | None, list[str]]:
    """(file, arguments its body never uses) of the project's macro: pasted SQL in a macro
    works for one call only."""
    project = Path(build.paths["project"])
    for file in sorted(project.glob("macros/**/*.sql")):
        # The body's Jinja only: `m.unit` in plain SQL is a column, not the argument.
        for name, arguments, jinja in macros(without_comments(_head(file))):
            if name == macro:
                return file.relative_to(project).as_posix(), [a for a in arguments if not uses_name(jinja, a)]
    return None, []
