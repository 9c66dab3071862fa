"""What to do about the mistakes every dbt beginner makes, told in the error itself.

dbt and DuckDB say what went wrong in their own terms (a table that does not exist, a node
not found, a syntax error near a parenthesis the learner never wrote); these say what the
learner most likely did and how to fix it, at their own file and line. Called by
errors.learner_error in the job, which runs in its project folder: project files are read
relative to it.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

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
# dbt: "No materialization 'tabel' was found for adapter duckdb! (searched types 'default' and 'duckdb')"
_MATERIALIZATION_RE = re.compile(r"No materialization '(\w+)' was found for adapter \w+!?(?: \(searched[^)]*\))?")
# dbt: "The name argument to ref() must be a string, got <class '...Undefined'>"
_UNQUOTED_RE = re.compile(r"The name argument to (ref|source)\(\) must be a string, got <class '[^']*'>")
# dbt: "Found a cycle: model.lesson.customers --> model.lesson.stg_customers" (each reads the one before)
_CYCLE_RE = re.compile(r"Found a cycle: (\S+(?: --> \S+)*)")
BUILTIN_TESTS = ("unique", "not_null", "accepted_values", "relationships")
NODE_KINDS = ("model", "seed", "snapshot")  # what a ref() can read
MATERIALIZATIONS = ("view", "table", "incremental", "ephemeral")
# Words of dbt, Jinja and DuckDB that name a mistake without its fix, and the fix.
PHRASE_FIXES = {
    "unexpected '}'": "Jinja closes what {{ opens with two braces: }}.",
    "unexpected end of template": "A {{ or {% is never closed: Jinja needs }} after {{ and %} after {%.",
    'syntax error at or near "{"': "Jinja needs two braces on each side, {{ ref('...') }}: DuckDB read one { as SQL.",
    "Snapshots must be configured with a 'strategy' and 'unique_key'": (
        "In a snapshot's YAML they go under its `config:` (indented below it), with updated_at or check_cols."
    ),
    "must specify an updated_at configuration": (
        "Add `updated_at:` (the column that says when a row changed) under the snapshot's `config:`."
    ),
    "must specify a check_cols configuration": (
        "Add `check_cols:` (a list of columns, or all) under the snapshot's `config:`."
    ),
}
# A project file named in a message that has no file header (dbt's parse errors of YAML).
_PROJECT_FILE_RE = re.compile(r"\b((?:models|snapshots|seeds|macros|tests|analyses)/[\w./-]+\.(?:sql|ya?ml|csv))\b")
JINJA_NAMES = ("ref", "source", "config", "var", "this", "is_incremental", "env_var", "doc", "log", "run_query")


def _nearest(name: str, names) -> str | None:
    """The name among `names` closest to what the learner typed, if any is close."""
    close = difflib.get_close_matches(name, list(names), n=1)
    return close[0] if close else None


def line_of(name: str, raw: str | None) -> int:
    for number, line in enumerate((raw or "").splitlines(), 1):
        if name in line:
            return number
    return 0


def read_source(path: str | None) -> str | None:
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
        seed = _nearest(name, (k for k, v in known.items() if v == "seed"))
        fix = f"{spelled} is the table a source() of your project reads, and no such table is loaded." + (
            f" The seed is {seed}: give that source's table `identifier: {seed}` in its .yml file." if seed else ""
        )
    else:
        meant = _nearest(name, (k for k, v in known.items() if v in NODE_KINDS and k.lower() != this.lower()))
        fix = f"Did you mean {meant}? Read it with {{{{ ref('{meant}') }}}}." if meant else ""
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


def explain_statement_end(text: str, raw: str | None, line: int) -> tuple[str, int]:
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


def bad_yaml(text: str):
    """(path, line, message) for a YAML file dbt could not read, or None."""
    if not (match := _YAML_RE.search(text)):
        return None
    cause = _YAML_CAUSE_RE.search(text)
    told = [ln.strip() for ln in (cause.group(1) if cause else "").splitlines() if ln.strip()]
    reason = next((ln for ln in reversed(told) if not ln.startswith("in ")), "")  # not "in <string>"
    path, line = _project_file(match.group(1)), int(match.group(2))
    lines = (read_source(path) or "").splitlines()
    said = f"{path} is not valid YAML near line {line}" + (f": {reason}" if reason else "") + ". "
    return path, line, said + _yaml_fix(lines[line - 1] if 0 < line <= len(lines) else "")


def _yaml_fix(text: str) -> str:
    """What the usual mistakes on that line need: quotes around Jinja, spaces, the indentation."""
    if re.search(r":\s*\{[{%]", text):
        return 'A value that starts with {{ needs quotes, or YAML reads the braces as a mapping: "{{ ... }}".'
    if "\t" in text:
        return "YAML indents with spaces, never tabs."
    return "YAML nests by indentation: a key belongs to the item it is indented under."


def undefined_name(text: str, path: str | None, raw: str | None):
    """(path, line, message) for a name Jinja does not know (a test or function misspelt), or None.
    dbt's own advice to run `dbt deps` does not apply: a lesson installs no packages."""
    if not (match := _UNDEFINED_RE.search(text)):
        return None
    name = match.group(1)
    if name.startswith("test_"):  # a generic test's node holds dbt's call, not the learner's YAML
        test = name[len("test_") :]
        meant = _nearest(test, [*BUILTIN_TESTS, *_project_tests()])
        said = f"There is no generic test named {test}." + (f" Did you mean {meant}?" if meant else "")
        return path, line_of(test, read_source(path)), said
    raw = raw if raw is not None else read_source(path)
    meant = _nearest(name, JINJA_NAMES)
    said = f"'{name}' is not a function or variable dbt's Jinja knows." + (f" Did you mean {meant}?" if meant else "")
    return path, line_of(f"{name}(", raw) or line_of(name, raw), said


def _ref_fix(name: str, known: dict[str, str]) -> str:
    """The ref() the learner probably meant: the name without a file extension, or the nearest."""
    names = [k for k, v in known.items() if v in NODE_KINDS] or _project_names()
    stem = name.rsplit(".", 1)[0]
    if stem != name and stem in names:
        return f" ref() takes the model's name, not its file: ref('{stem}')."
    meant = _nearest(name, names)
    return f" Did you mean ref('{meant}')?" if meant else ""


def missing_input(text: str, path: str | None, raw: str | None, known: dict[str, str]):
    """(path, line, message) for a ref() or source() that names nothing in the project, or None."""
    if missing := _MISSING_NODE_RE.search(text):
        path = path or missing.group(1)
        raw = raw if raw is not None else read_source(path)
        name = missing.group(2)
        line = line_of(f"'{name}'", raw) or line_of(name, raw)
        said = f"{path} uses ref('{name}'), but there is no model or seed with that name."
        return path, line, said + _ref_fix(name, known)
    if missing := _MISSING_SOURCE_RE.search(text):
        path = path or missing.group(1)
        raw = raw if raw is not None else read_source(path)
        source, table = missing.group(2), missing.group(3)
        line = line_of(f"'{table}'", raw) or line_of(table, raw)
        return (
            path,
            line,
            (
                f"{path} uses source('{source}', '{table}'), but no .yml file of the project declares it: "
                f"a source is listed under `sources:` (- name: {source}) with its tables (- name: {table})."
            ),
        )
    return None


def explain_phrases(text: str) -> str:
    """A message that names a known mistake, with what the learner has to type."""
    fix = next((fix for said, fix in PHRASE_FIXES.items() if said in text), "")
    return f"{text}\n{fix}" if fix else text


def file_named_in(text: str) -> str | None:
    """The project file a message names in its text, for one that comes without a file (the job
    runs in the project: a path of dbt's own macros is no file there)."""
    for found in _PROJECT_FILE_RE.finditer(text):
        if Path(found.group(1)).is_file():
            return found.group(1)
    return None


def refused_call(text: str, path: str | None, raw: str | None):
    """(path, line, message) for a call dbt refuses, or None: a materialization that does not
    exist, a ref() name without quotes, models that read each other in a circle."""
    if found := _MATERIALIZATION_RE.search(text):
        raw = raw if raw is not None else read_source(path)
        name, meant = found.group(1), _nearest(found.group(1), MATERIALIZATIONS)
        said = f"dbt has no materialization named {name}: a model builds as a view, a table, incremental or ephemeral."
        return (
            path,
            line_of(f"'{name}'", raw) or line_of(name, raw),
            said + (f" Did you mean '{meant}'?" if meant else ""),
        )
    if found := _UNQUOTED_RE.search(text):
        raw = raw if raw is not None else read_source(path)
        call = found.group(1)
        bare = re.search(rf"{call}\(\s*(\w+)\s*[,)]", raw or "")
        name = bare.group(1) if bare else "name"
        said = (
            f"{call}() takes names in quotes, {call}('{name}'): without them Jinja looks for a variable "
            f"called {name}, and there is none."
        )
        return path, line_of(f"{call}(", raw), said
    if found := _CYCLE_RE.search(text):
        return _circle([uid.rsplit(".", 1)[-1] for uid in found.group(1).split(" --> ")])
    return None


def _circle(names: list[str]):
    """Each name reads the one before it, and the first reads the last."""
    reads = [(names[i], names[i - 1]) for i in range(len(names))]
    reads = reads[1:] + reads[:1]
    said = ", ".join(f"{model} reads {parent}" for model, parent in reads)
    model, parent = reads[0]
    path = _model_file(model)
    return (
        path,
        line_of(f"'{parent}'", read_source(path)) if path else 0,
        f"Your models read each other in a circle: {said}. dbt builds a model after the models it reads, "
        "so a circle has no first model: one of these ref()s has to go.",
    )


def _model_file(name: str) -> str | None:
    for folder in ("models", "snapshots"):
        for path in sorted(Path(folder).rglob(f"{name}.sql")):
            return path.as_posix()
    return None
