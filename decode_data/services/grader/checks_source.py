"""Checks on what the learner wrote, where what it builds cannot tell.

A pivot written out by hand builds the same table as one a Jinja loop writes, and a macro that
ignores its arguments works for the one call it was pasted from. A step that teaches the loop or
the macro reads the source: comments do not count, and a macro must use what it is given.
"""

from __future__ import annotations

import re
from pathlib import Path

from decode_data.services.grader.builds import Build
from decode_data.services.grader.checks import _compile_failure, _outcome
from decode_data.services.grader.feedback import CheckOutcome

_COMMENTS_RE = re.compile(r"--[^\n]*|/\*.*?\*/|\{#.*?#\}", re.DOTALL)
_REF_CALL_RE = re.compile(r"\{\{[^}]*\b(?:ref|source)\s*\(")
_JINJA_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_MACRO_RE = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(([^)]*)\)\s*-?%\}(.*?)\{%-?\s*endmacro\s*-?%\}", re.DOTALL)


def written(build: Build, path: str | None) -> str:
    """A file of the graded project as the learner wrote it, without its comments."""
    if not path:
        return ""
    file = Path(build.paths["project"]) / path
    text = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""
    return _COMMENTS_RE.sub(" ", text)


def calls_ref(build: Build, path: str | None) -> bool:
    """Whether the file, comments aside, calls ref() or source() (a file that cannot be read is
    given the benefit of the doubt: the graph already shows the call)."""
    source = written(build, path)
    return not source.strip() or bool(_REF_CALL_RE.search(source))


def check_uses_jinja(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    """The model's file uses each Jinja tag the step teaches (`tags`: e.g. [for, set])."""
    name = check["model"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    path = (learner.node(name) or {}).get("path")
    source = written(learner, path)
    missing = [tag for tag in check["tags"] if not re.search(rf"\{{%-?\s*{tag}\b", source)]
    if not missing:
        return _outcome(check, True, learner)
    tags = " and ".join(f"{{% {tag} %}}" for tag in missing)
    return _outcome(
        check,
        False,
        learner,
        stage="source",
        path=path,
        message=check.get("message")
        or f"{name} builds the right table, but this step asks you to write it with {tags}.",
    )


def unused_arguments(build: Build, macro: str) -> tuple[str | None, list[str]]:
    """(file, arguments its body never uses) of the project's macro: pasted SQL in a macro
    works for one call only."""
    project = Path(build.paths["project"])
    for file in sorted(project.glob("macros/**/*.sql")):
        for name, arguments, body in _MACRO_RE.findall(_COMMENTS_RE.sub(" ", file.read_text(encoding="utf-8"))):
            if name != macro:
                continue
            names = [a.split("=", 1)[0].strip() for a in arguments.split(",") if a.strip()]
            jinja = " ".join(_JINJA_RE.findall(body))  # `m.unit` in plain SQL is a column, not the argument
            return file.relative_to(project).as_posix(), [a for a in names if not re.search(rf"\b{a}\b", jinja)]
    return None, []


def macro_uses_its_arguments(check: dict, learner: Build, macro: str) -> CheckOutcome:
    path, unused = unused_arguments(learner, macro)
    if not unused:
        return _outcome(check, True, learner)
    names = " and ".join(unused)
    return _outcome(
        check,
        False,
        learner,
        stage="source",
        path=path,
        message=(
            f"Your macro {macro} never uses {names}: a macro's arguments are the SQL each call "
            f"hands it, so write {{{{ {unused[0]} }}}} where it goes. As it is, it works only for the "
            "call it was written from."
        ),
    )
