"""The dbt command a learner types: in the lesson page's command bar or after `workspace run --`.

Only what the platform lets a learner do is accepted, checked here before any worker starts,
so a typo costs nothing and gets a one-line reason. The engine checks again (dbt_job.dbt_args):
this module is a convenience, not the security boundary.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from decode_data.services.engine.jobs import DBT_COMMANDS

# Verified against dbt-core 1.11's click options for each command. A command the engine adds
# later is accepted with --select/--exclude only until it is listed here.
FLAGS = {
    "--full-refresh": ("seed", "run", "build", "compile", "show"),
    "--fail-fast": ("seed", "run", "test", "build", "compile", "show", "snapshot"),
    "--empty": ("run", "build", "compile", "snapshot"),
}
SELECT_OPTIONS = ("--select", "-s")
EXAMPLES = ("run --select stg_orders", "build", "show --select customers --limit 5", 'show --inline "select 1"')


class DbtUsageError(ValueError):
    """The dbt command line is not one this platform runs; the message says what would work."""


@dataclass
class DbtRequest:
    command: str
    select: str | None = None
    sql: str | None = None
    limit: int | None = None
    extra: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The command as the learner would type it, for titles, summaries and the status line."""
        words = ["dbt", self.command]
        if self.select:
            words += ["--select", self.select]
        if self.sql:
            words += ["--inline", repr(self.sql)]
        if self.limit:
            words += ["--limit", str(self.limit)]
        return " ".join(words + self.extra)


def _split(token: str) -> tuple[str, str | None]:
    """`--select=x` -> ("--select", "x"); a plain option -> (option, None)."""
    if token.startswith("--") and "=" in token:
        name, value = token.split("=", 1)
        return name, value
    return token, None


def _values(tokens: list[str], i: int, inline: str | None, option: str, many: bool) -> tuple[list[str], int]:
    """The value(s) after an option; returns them and the index of the next token."""
    if inline is not None:
        values = [inline]
    else:
        values = []
        j = i + 1
        while j < len(tokens) and not tokens[j].startswith("-") and (many or not values):
            values.append(tokens[j])
            j += 1
        i = j - 1
    if not values or not all(v.strip() for v in values):
        raise DbtUsageError(f"{option} needs a value")
    return values, i + 1


def parse_dbt_args(tokens: list[str], max_limit: int) -> DbtRequest:
    """Turn `run --select stg_orders --full-refresh` into a DbtRequest or raise DbtUsageError."""
    if not tokens:
        raise DbtUsageError("give a dbt command after --, for example: -- " + EXAMPLES[0])
    command = tokens[0]
    if command not in DBT_COMMANDS:
        raise DbtUsageError(f"'{command}' is not a dbt command you can run here; use one of {', '.join(DBT_COMMANDS)}")
    request = DbtRequest(command=command)
    selects: list[str] = []
    i = 1
    while i < len(tokens):
        option, inline = _split(tokens[i])
        if option in SELECT_OPTIONS:
            values, i = _values(tokens, i, inline, option, many=True)
            selects += values
        elif option == "--exclude":
            values, i = _values(tokens, i, inline, option, many=True)
            request.extra += ["--exclude", " ".join(values)]
        elif option == "--inline":
            if command != "show":
                raise DbtUsageError('--inline works with show only: -- show --inline "select 1"')
            values, i = _values(tokens, i, inline, option, many=False)
            request.sql = values[0]
        elif option == "--limit":
            if command != "show":
                raise DbtUsageError("--limit works with show only: -- show --select my_model --limit 5")
            values, i = _values(tokens, i, inline, option, many=False)
            request.limit = _limit(values[0], max_limit)
        elif option in FLAGS:
            if inline is not None:
                raise DbtUsageError(f"{option} takes no value")
            if command not in FLAGS[option]:
                raise DbtUsageError(f"dbt {command} has no {option} option")
            if option not in request.extra:
                request.extra.append(option)
            i += 1
        elif option.startswith("-"):
            allowed = ", ".join(["--select/-s", "--exclude", "--inline", "--limit", *FLAGS])
            raise DbtUsageError(f"dbt option '{option}' is not allowed here (allowed: {allowed})")
        else:
            raise DbtUsageError(f"unexpected argument '{option}'; to pick models use --select {option}")
    request.select = " ".join(selects) or None
    if command == "show" and not (request.select or request.sql):
        raise DbtUsageError('show needs a model or SQL: -- show --select my_model, or -- show --inline "select 1"')
    if request.select and request.sql:
        raise DbtUsageError("use either --select or --inline with show, not both")
    return request


def _limit(raw: str, max_limit: int) -> int:
    try:
        limit = int(raw)
    except ValueError:
        raise DbtUsageError(f"--limit must be a whole number, got '{raw}'") from None
    if not 1 <= limit <= max_limit:
        raise DbtUsageError(f"--limit must be between 1 and {max_limit} (the row cap, DECODE_DATA_QUERY_ROW_CAP)")
    return limit


def parse_command_line(line: str, max_limit: int) -> DbtRequest:
    """`dbt run -s stg_orders+` as typed in the command bar (the leading `dbt` is optional)."""
    try:
        tokens = shlex.split(line)
    except ValueError as exc:  # an unclosed quote
        raise DbtUsageError(f"{exc}: close the quote") from None
    if tokens[:1] == ["dbt"]:
        tokens = tokens[1:]
    if not tokens:
        raise DbtUsageError("type a dbt command, for example: dbt " + EXAMPLES[0])
    return parse_dbt_args(tokens, max_limit)


_GRAPH_SELECTOR = re.compile(r"^(?P<up>\+?)(?P<name>[A-Za-z0-9_]+)(?P<down>\+?)$")


def selected_nodes(select: str | None, lineage: dict) -> set[str] | None:
    """The node ids a selection picks from the lineage, for `name`, `+name` and `name+` words;
    None when it uses anything else (tags, paths, methods): then nobody guesses for dbt."""
    nodes = lineage.get("nodes") or {}
    if not select:
        return set(nodes)
    by_name = {n.get("name"): uid for uid, n in nodes.items()}
    chosen: set[str] = set()
    for word in select.split():
        match = _GRAPH_SELECTOR.match(word)
        if not match or match["name"] not in by_name:
            return None
        uid = by_name[match["name"]]
        chosen.add(uid)
        if match["up"]:
            chosen |= ancestors(uid, nodes)
        if match["down"]:
            chosen |= {other for other in nodes if uid in ancestors(other, nodes)}
    return chosen


def ancestors(uid: str, nodes: dict) -> set[str]:
    """Every node `uid` reads from, directly or through others."""
    found: set[str] = set()
    todo = list((nodes.get(uid) or {}).get("depends_on") or [])
    while todo:
        parent = todo.pop()
        if parent in nodes and parent not in found:
            found.add(parent)
            todo += nodes[parent].get("depends_on") or []
    return found


def suggestions(lineage: dict) -> list[str]:
    """What the command bar offers as the learner types: each command, with each model
    selected alone, with its parents (`+`) and with its children (`+` after), and the flags."""
    names = sorted(
        n.get("name") for n in (lineage.get("nodes") or {}).values() if n.get("resource_type") in SELECTABLE_TYPES
    )
    lines = [f"dbt {command}" for command in DBT_COMMANDS if command != "show"]
    lines += [
        f"dbt {flag_command} {flag}"
        for flag, commands in FLAGS.items()
        for flag_command in commands
        if flag_command != "show"
    ]
    for name in names:
        lines += [
            f"dbt {command} -s {pattern}"
            for command in SELECTING_COMMANDS
            for pattern in (name, f"{name}+", f"+{name}")
        ]
        lines.append(f"dbt show -s {name}")
    return list(dict.fromkeys(lines))


SELECTABLE_TYPES = ("model", "seed", "snapshot")
SELECTING_COMMANDS = ("run", "build", "test", "compile")
