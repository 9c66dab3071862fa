"""Checks on what the learner wrote, where what it builds cannot tell.

A pivot written out by hand builds the same table as one a Jinja loop writes, and a macro that
ignores its arguments works for the one call it was pasted from. A step that teaches the loop or
the macro reads the source: comments do not count, and a macro must use what it is given.
"""

from __future__ import annotations

import re

from decode_data.services.grader.builds import Build
from decode_data.services.grader.checks import _compile_failure, _outcome
from decode_data.services.grader.feedback import CheckOutcome
from decode_data.services.grader.model_sql import unused_arguments, written


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


def _macro_uses_its_arguments(check: dict, learner: Build, macro: str) -> CheckOutcome:
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


def check_uses_macro(check: dict, learner: Build, _reference: Build) -> CheckOutcome:
    name, macro = check["model"], check["macro"]
    failure = _compile_failure(check, learner, name)
    if failure:
        return failure
    used = {m.rsplit(".", 1)[-1] for m in (learner.node(name) or {}).get("macros", [])}
    if macro in used:
        return _macro_uses_its_arguments(check, learner, macro)
    return _outcome(
        check,
        False,
        learner,
        stage="graph",
        path=(learner.node(name) or {}).get("path"),
        message=check.get("message") or f"{name} should call the macro {{{{ {macro}(...) }}}}.",
    )


SOURCE_CHECKS = {"uses_macro": check_uses_macro, "uses_jinja": check_uses_jinja}
