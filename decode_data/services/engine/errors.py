"""Point an error at the learner's own file and line.

DuckDB reports lines of the statement dbt sent (the compiled SQL wrapped in CREATE ... AS),
and Jinja reports lines of the template. A learner thinks in lines of the file they typed, so
a database error is mapped: the offending statement line is found in the compiled SQL, and the
compiled line is aligned back to the raw source with difflib.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from decode_data.services.engine.jobs import LearnerError

_LINE_RE = re.compile(r"^\s*LINE (\d+):\s?(.*)$", re.MULTILINE)
_JINJA_LINE_RE = re.compile(r"^\s*line (\d+)\s*$", re.MULTILINE)
_HEADER_RE = re.compile(r"^(?:Runtime|Compilation|Database|Parsing) Error in \w+ \S+ \(([^)]+)\)\s*$", re.MULTILINE)
# "Model 'model.lesson.x' (models/x.sql) depends on a node named 'y' which was not found"
_MISSING_NODE_RE = re.compile(r"\(([^()\s]+\.(?:sql|yml))\) depends on a node named '([^']+)'")
# "... (models/x.sql) depends on a source named 'raw.orders' which was not found"
_MISSING_SOURCE_RE = re.compile(r"\(([^()\s]+\.(?:sql|yml))\) depends on a source named '([^'.]+)\.([^']+)' which was")
# DuckDB: "Catalog Error: Table with name raw_customers does not exist!\nDid you mean "x"?"
_MISSING_TABLE_RE = re.compile(r'Catalog Error: Table with name (\w+) does not exist!?(?:\s*Did you mean "[^"]*"\?)?')
# DuckDB: 'Table with name "raw.raw_orders" does not exist because schema "raw" does not exist.'
_MISSING_SCHEMA_RE = re.compile(
    r'Table with name "?(\w+)\.(\w+)"? does not exist because schema "?(\w+)"? does not exist\.?'
)
# dbt: "Error reading lesson: staging/schema.yml - Runtime Error\n Syntax error near line 6 ..."
_YAML_RE = re.compile(r"Error reading \w+: (\S+\.ya?ml) - Runtime Error\s+Syntax error near line (\d+)")
_YAML_CAUSE_RE = re.compile(r"Raw Error:\s*-+\s*(.*)", re.DOTALL)
# Jinja: "'reff' is undefined. This can happen when calling a macro that does not exist. ..."
_UNDEFINED_RE = re.compile(r"'(\w+)' is undefined\. This can happen when calling a macro that does not exist\.[^\n]*")
_TEST_BLOCK_RE = re.compile(r"{%-?\s*test\s+(\w+)")
BUILTIN_TESTS = ("unique", "not_null", "accepted_values", "relationships")
JINJA_NAMES = ("ref", "source", "config", "var", "this", "is_incremental", "env_var", "doc", "log", "run_query")
MAX_MESSAGE_LINES = 8
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
_NOISE = ("compiled code at", "Compiled code at")


def clean_message(message: str) -> str:
    """Drop colour codes, the dbt header, and pointers to server paths."""
    text = _ANSI_RE.sub("", message or "").strip()
    lines = [ln for ln in text.splitlines() if not any(n in ln for n in _NOISE)]
    return "\n".join(lines).strip()


def _compiled_line(statement_line: str, compiled: str) -> int:
    """1-based line of the compiled SQL that contains the text DuckDB quoted, or 0."""
    needle = statement_line.strip()
    if not needle:
        return 0
    lines = compiled.splitlines()
    for i, line in enumerate(lines, 1):
        if needle in line.strip() or (line.strip() and line.strip() in needle):
            return i
    # DuckDB shortens long lines around the error position: match on the longest chunk.
    best, best_len = 0, 0
    for i, line in enumerate(lines, 1):
        match = difflib.SequenceMatcher(None, needle, line).find_longest_match()
        if match.size > best_len:
            best, best_len = i, match.size
    return best if best_len >= 8 else 0


def map_compiled_line(compiled_line: int, compiled: str, raw: str) -> int:
    """Map a 1-based line of compiled SQL to the raw source line that produced it."""
    if compiled_line <= 0:
        return 0
    c_lines, r_lines = compiled.splitlines(), raw.splitlines()
    matcher = difflib.SequenceMatcher(
        None, [line.strip() for line in r_lines], [line.strip() for line in c_lines], autojunk=False
    )
    target = compiled_line - 1
    for tag, r1, r2, c1, c2 in matcher.get_opcodes():
        if c1 <= target < c2:
            if tag == "equal":
                return r1 + (target - c1) + 1
            # Jinja expanded or replaced lines: point at the nearest raw line of that block.
            return min(r1 + (target - c1), max(r1, r2 - 1)) + 1
    return min(compiled_line, len(r_lines))


def _line_of(name: str, raw: str | None) -> int:
    for number, line in enumerate((raw or "").splitlines(), 1):
        if name in line:
            return number
    return 0


def _read_source(path: str | None) -> str | None:
    # Jobs run with the project as their working directory, so a project path is readable.
    try:
        return open(path, encoding="utf-8").read() if path else None
    except OSError:
        return None


def _explain_missing_schema(text: str) -> str:
    """Everything a learner's dbt seeds and builds is in the schema main (the profile's), and a
    source is looked up in the schema its YAML gives, or without one in the source's name."""
    match = _MISSING_SCHEMA_RE.search(text)
    if not match or match.group(3).lower() == "main":
        return text
    fix = (
        "Everything dbt seeds and builds here is in the schema main. A source is looked up in the "
        f"schema its .yml file gives (`schema:`), or without one in a schema named like the source "
        f"({match.group(3)}): give the source `schema: main`."
    )
    return f"{text[: match.end()]} {fix}{text[match.end() :]}"


def explain_missing_table(text: str, known: dict[str, str], this: str = "") -> str:
    """DuckDB's "table does not exist" without its guess among system tables, followed by the
    fix: load the seed, build the model first, read itself only when incremental, or the
    project's nearest name for a typo, or the identifier a source's table needs. `known` maps
    the project's node names to their kind (model, seed, snapshot) and the tables its sources
    read to "source"; `this` is the name of the node that failed."""
    match = _MISSING_TABLE_RE.search(text)
    if not match:
        return _explain_missing_schema(text)
    name = match.group(1)
    kinds = {k.lower(): (k, v) for k, v in known.items()}
    spelled, kind = kinds.get(name.lower(), (name, ""))
    if this and spelled.lower() == this.lower():
        fix = (
            f"{spelled} reads its own table ({{{{ this }}}}), which does not exist before its first run: "
            "read it only inside {% if is_incremental() %}."
        )
    elif kind == "seed":
        fix = f"{spelled} is a seed that is not loaded into your warehouse yet: run `dbt seed` first."
    elif kind in ("model", "snapshot"):
        command = "dbt snapshot" if kind == "snapshot" else f"dbt run -s {spelled}"
        fix = f"{spelled} is not built in your warehouse yet: run `{command}` first (or `dbt run` for everything)."
    elif kind == "source":
        seeds = [k for k, v in known.items() if v == "seed"]
        close = difflib.get_close_matches(name, seeds, n=1)
        fix = f"{spelled} is the table a source() of your project reads, and no such table is loaded." + (
            f" The seed is {close[0]}: give that source's table `identifier: {close[0]}` in its .yml file."
            if close
            else ""
        )
    else:
        names = [k for k, v in known.items() if v in ("model", "seed", "snapshot") and k.lower() != this.lower()]
        close = difflib.get_close_matches(name, names, n=1)
        fix = f"Did you mean {close[0]}? Read it with {{{{ ref('{close[0]}') }}}}." if close else ""
    said = f"Table with name {name} does not exist." + (f" {fix}" if fix else "")
    return text[: match.start()] + said + text[match.end() :]


SEMICOLON_FIX = (
    "A dbt model is one select statement, without a semicolon: dbt puts your select inside its "
    "own statement (create table ... as (your select)). Remove the ;."
)


CUT_SHORT_FIX = (
    "Your select stops in the middle of a clause: DuckDB reached the parenthesis that closes dbt's "
    "statement around it. Look at the end of the file: a dangling and, comma or comparison?"
)


def _last_code_line(raw: str | None, holding: str = "") -> int:
    """The last line with code (before a `--` comment) that holds `holding`, or 0."""
    found = 0
    for number, line in enumerate((raw or "").splitlines(), 1):
        code = line.split("--", 1)[0]
        if code.strip() and holding in code:
            found = number
    return found


def _explain_statement_end(text: str, raw: str | None, line: int) -> tuple[str, int]:
    """Errors at the edges of the statement dbt wraps around a model (create table ... as (the
    select)), which DuckDB reports in dbt's statement, not in the learner's SQL."""
    if 'at or near ";"' in text and (semicolon := _last_code_line(raw, ";")):
        return f"{text}\n{SEMICOLON_FIX}", semicolon  # the habit of every SQL console
    if 'at or near ")"' in text and not line and (last := _last_code_line(raw)):
        return f"{text}\n{CUT_SHORT_FIX}", last  # the learner's SQL has no such parenthesis
    return text, line


def _project_names() -> list[str]:
    """Names a ref() can take, from the project's files (a job runs in its project folder):
    when parsing failed there is no manifest to ask."""
    found = [
        p.stem
        for folder, ext in (("models", "sql"), ("seeds", "csv"), ("snapshots", "sql"))
        for p in Path(folder).rglob(f"*.{ext}")
    ]
    return sorted(set(found))


def _project_file(relative: str) -> str:
    """The project path of a file dbt names relative to its own folder (models/, seeds/ ...)."""
    for folder in ("models", "seeds", "snapshots", "tests", "macros", "analyses"):
        if (Path(folder) / relative).is_file():
            return f"{folder}/{relative}"
    return relative


def _project_tests() -> list[str]:
    """The generic tests the project defines itself ({% test name(...) %} blocks)."""
    found = []
    for folder in ("tests", "macros"):
        for sql in Path(folder).rglob("*.sql"):
            found += _TEST_BLOCK_RE.findall(sql.read_text(encoding="utf-8", errors="replace"))
    return found


def _bad_yaml(text: str):
    """(path, line, message) for a YAML file dbt could not read, or None."""
    if not (match := _YAML_RE.search(text)):
        return None
    cause = _YAML_CAUSE_RE.search(text)
    told = [ln.strip() for ln in (cause.group(1) if cause else "").splitlines() if ln.strip()]
    reason = next((ln for ln in reversed(told) if not ln.startswith("in ")), "")  # not "in <string>"
    path, line = _project_file(match.group(1)), int(match.group(2))
    lines = (_read_source(path) or "").splitlines()
    said = f"{path} is not valid YAML near line {line}" + (f": {reason}" if reason else "") + ". "
    return path, line, said + _yaml_fix(lines[line - 1] if 0 < line <= len(lines) else "")


def _yaml_fix(text: str) -> str:
    """What the usual mistakes on that line need: quotes around Jinja, spaces, the indentation."""
    if re.search(r":\s*\{[{%]", text):
        return 'A value that starts with {{ needs quotes, or YAML reads the braces as a mapping: "{{ ... }}".'
    if "\t" in text:
        return "YAML indents with spaces, never tabs."
    return "YAML nests by indentation: a key belongs to the item it is indented under."


def _undefined_name(text: str, path: str | None, raw: str | None):
    """(path, line, message) for a name Jinja does not know (a test or function misspelt), or None.
    dbt's own advice to run `dbt deps` does not apply: a lesson installs no packages."""
    if not (match := _UNDEFINED_RE.search(text)):
        return None
    name = match.group(1)
    if name.startswith("test_"):  # a generic test's node holds dbt's call, not the learner's YAML
        test = name[len("test_") :]
        close = difflib.get_close_matches(test, [*BUILTIN_TESTS, *_project_tests()], n=1)
        said = f"There is no generic test named {test}." + (f" Did you mean {close[0]}?" if close else "")
        return path, _line_of(test, _read_source(path)), said
    raw = raw if raw is not None else _read_source(path)
    close = difflib.get_close_matches(name, JINJA_NAMES, n=1)
    said = f"'{name}' is not a function or variable dbt's Jinja knows." + (
        f" Did you mean {close[0]}?" if close else ""
    )
    return path, _line_of(f"{name}(", raw) or _line_of(name, raw), said


def _ref_fix(name: str, known: dict[str, str]) -> str:
    """The ref() the learner probably meant: the name without a file extension, or the nearest."""
    names = [k for k, v in known.items() if v in ("model", "seed", "snapshot")] or _project_names()
    stem = name.rsplit(".", 1)[0]
    if stem != name and stem in names:
        return f" ref() takes the model's name, not its file: ref('{stem}')."
    close = difflib.get_close_matches(name, names, n=1)
    return f" Did you mean ref('{close[0]}')?" if close else ""


def _missing_input(text: str, path: str | None, raw: str | None, known: dict[str, str]):
    """(path, line, message) for a ref() or source() that names nothing in the project, or None."""
    if missing := _MISSING_NODE_RE.search(text):
        path = path or missing.group(1)
        raw = raw if raw is not None else _read_source(path)
        name = missing.group(2)
        line = _line_of(f"'{name}'", raw) or _line_of(name, raw)
        said = f"{path} uses ref('{name}'), but there is no model or seed with that name."
        return path, line, said + _ref_fix(name, known)
    if missing := _MISSING_SOURCE_RE.search(text):
        path = path or missing.group(1)
        raw = raw if raw is not None else _read_source(path)
        source, table = missing.group(2), missing.group(3)
        line = _line_of(f"'{table}'", raw) or _line_of(table, raw)
        return (
            path,
            line,
            (
                f"{path} uses source('{source}', '{table}'), but no .yml file of the project declares it: "
                f"a source is listed under `sources:` (- name: {source}) with its tables (- name: {table})."
            ),
        )
    return None


def learner_error(
    message: str,
    *,
    path: str | None,
    raw: str | None = None,
    compiled: str | None = None,
    node: str | None = None,
    known: dict[str, str] | None = None,
) -> LearnerError:
    """Build a LearnerError with the best line we can find for this message; `known` (node name
    -> kind) lets a missing-table error name its fix."""
    text = clean_message(message)
    header = _HEADER_RE.search(text)
    if header and not path:
        path = header.group(1)
    line = 0
    jinja = _JINJA_LINE_RE.search(text)
    duck = _LINE_RE.search(text)
    missing = _missing_input(text, path, raw, known or {}) or _bad_yaml(text) or _undefined_name(text, path, raw)
    if missing:
        path, line, text = missing
        header = None
    elif jinja:
        line = int(jinja.group(1))
    elif duck and compiled and raw is not None:
        line = map_compiled_line(_compiled_line(duck.group(2), compiled), compiled, raw)
    if header:
        text = text[header.end() :].strip()
    this = node.rsplit(".", 1)[-1] if node else ""
    text = explain_missing_table(_LINE_RE.sub("", text).strip(), known or {}, this)
    text, line = _explain_statement_end(text, raw if raw is not None else _read_source(path), line)
    lines = [line for line in text.splitlines() if line.strip() and set(line.strip()) != {"^"}]
    if len(lines) > MAX_MESSAGE_LINES:  # e.g. DuckDB's long lists of candidate functions
        lines = lines[:MAX_MESSAGE_LINES] + ["..."]
    text = "\n".join(lines)
    return LearnerError(message=text or "dbt reported an error", path=path, line=line, node=node)
