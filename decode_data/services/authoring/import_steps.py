"""The teaching half of `lessons import`: steps in dependency order, and the files a learner reads.

Given the imported project's models (with their parents, columns, descriptions and tests), this
module decides the steps (one per model for a small project, else runs of one folder, at most
MAX_STEPS) and writes what each step needs: Markdown instructions, two hints, an explanation,
the grader's checks, the starter's placeholder models and the starter YAML without the tests the
learner adds step by step. Plain functions on plain data: no dbt, no files.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import yaml

MAX_STEPS = 8
MINUTES_PER_STEP = 10
HINT_SQL_LINES = 15
TEST_KEYS = ("data_tests", "tests")
_JINJA = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_CTE = re.compile(r"(?:^|,|\bwith)\s*([A-Za-z_][A-Za-z0-9_]*)\s+as\s*\(", re.IGNORECASE | re.MULTILINE)


@dataclass
class TestInfo:
    """One of the project's data tests that a step checks."""

    unique_id: str
    model: str  # the model it is attached to (or, for a singular test, the last one it reads)
    models: list[str]  # every model it reads
    test_name: str | None = None  # generic tests: unique, not_null, relationships ...
    column: str | None = None
    kwargs: dict = field(default_factory=dict)
    path: str | None = None  # singular tests: their file, e.g. tests/assert_x.sql
    sql: str = ""  # singular tests: the reference query


@dataclass
class ModelInfo:
    name: str
    path: str  # lesson path, e.g. models/staging/stg_orders.sql
    parents: list[str]  # every direct parent: models, seeds, snapshots, sources
    parent_calls: list[str]  # how the SQL reads each: {{ ref('x') }} or {{ source('s', 't') }}
    model_parents: list[str]
    materialized: str
    description: str
    columns: list[tuple[str, str, str]]  # (name, data type, description), in the built order
    rows: int | None
    sql: str  # the reference solution
    yaml_path: str | None = None  # the YAML file that describes it
    unit_tests: int = 0

    @property
    def folder(self) -> str:
        parts = self.path.split("/")[1:-1]
        return "/".join(parts) or "models"


@dataclass
class Step:
    number: int
    id: str
    title: str
    models: list[str]
    tests: list[TestInfo] = field(default_factory=list)


# --- order and grouping -----------------------------------------------------------------------


def topological_order(models: dict[str, ModelInfo]) -> list[str]:
    """Parents first; among ready models, stay in the current folder, then shallowest, then by name."""
    depth: dict[str, int] = {}

    def level(name: str, seen: tuple = ()) -> int:
        if name not in depth:
            if name in seen:
                raise ValueError(f"the models form a cycle through {name}")
            parents = [p for p in models[name].model_parents if p in models]
            depth[name] = 1 + max((level(p, seen + (name,)) for p in parents), default=0)
        return depth[name]

    for name in models:
        level(name)
    done: list[str] = []
    while len(done) < len(models):
        ready = [n for n in models if n not in done and all(p in done for p in models[n].model_parents if p in models)]
        folder = models[done[-1]].folder if done else None
        ready.sort(key=lambda n: (models[n].folder != folder, depth[n], models[n].folder, n))
        done.append(ready[0])
    return done


def group_steps(models: dict[str, ModelInfo], order: list[str], max_steps: int = MAX_STEPS) -> list[list[str]]:
    """Consecutive runs of the topological order, so a step never reads a later step's model."""
    if len(order) <= max_steps:
        return [[name] for name in order]
    runs: list[list[str]] = []
    for name in order:
        if runs and models[runs[-1][-1]].folder == models[name].folder:
            runs[-1].append(name)
        else:
            runs.append([name])
    while len(runs) > max_steps:  # merge the smallest neighbouring pair
        i = min(range(len(runs) - 1), key=lambda k: len(runs[k]) + len(runs[k + 1]))
        runs[i : i + 2] = [runs[i] + runs[i + 1]]
    while len(runs) < max_steps:  # split the biggest run while it has more than three models
        i = max(range(len(runs)), key=lambda k: len(runs[k]))
        if len(runs[i]) <= 3:
            break
        half = len(runs[i]) // 2
        runs[i : i + 1] = [runs[i][:half], runs[i][half:]]
    return runs


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "step"


def make_steps(models: dict[str, ModelInfo], tests: list[TestInfo]) -> list[Step]:
    groups = group_steps(models, topological_order(models))
    steps, used = [], set()
    for number, group in enumerate(groups, start=1):
        if len(group) == 1:
            base, title = _slug(group[0]), f"Build {group[0]}"
        else:
            folder = models[group[0]].folder
            label = folder.rsplit("/", 1)[-1] if folder != "models" else "top-level"
            base, title = _slug(label), f"Build the {label} models"
        step_id = base if base not in used else f"{base}_{number}"
        used.add(step_id)
        steps.append(Step(number=number, id=step_id, title=title, models=group))
    step_of = {name: step for step in steps for name in step.models}
    for test in tests:
        # A test runs once everything it reads exists: in the step of its last model.
        home = max((step_of[m] for m in test.models if m in step_of), key=lambda s: s.number, default=None)
        if home is not None:
            if test.path:  # a singular test belongs to the last model it reads
                test.model = next(m for m in reversed(home.models) if m in test.models)
            home.tests.append(test)
    return steps


# --- starter files ----------------------------------------------------------------------------


def _comment(text: str, width: int = 92) -> list[str]:
    """`--` comment lines; Jinja delimiters are defused (dbt renders comments too)."""
    clean = _JINJA.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1], " ".join(text.split()))
    return ["-- " + line for line in textwrap.wrap(clean, width)] if clean else []


def placeholder_sql(model: ModelInfo, step: Step, total: int) -> str:
    reads = ", ".join(model.parents) or "no other model"
    lines = [f"-- STEP {step.number} of {total}: {model.name}"]
    lines += _comment(_first_paragraph(model.description))
    lines += _comment(
        f"TODO: replace the placeholder below with a SELECT that reads {reads} through "
        f"ref() (see the step's instructions)."
        + (f" Build it as a {model.materialized}." if model.materialized != "view" else "")
    )
    lines.append(f"select 'replace me in step {step.number}' as todo")
    return "\n".join(lines) + "\n"


def placeholder_test(test: TestInfo, step: Step) -> str:
    return "\n".join(
        [
            f"-- STEP {step.number}: a singular test on {test.model}.",
            "-- TODO: write a query that returns the rows breaking the rule (the test passes",
            "-- when it returns none). See the step's instructions.",
            "select 1 as todo where false",
            "",
        ]
    )


def strip_tests(text: str) -> str | None:
    """A model YAML file without the tests the learner adds (and without contracts, which a
    placeholder cannot meet); None when the file has nothing to strip."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        return None
    changed = data.pop("unit_tests", None) is not None
    for model in data.get("models") or []:
        if not isinstance(model, dict):
            continue
        for key in TEST_KEYS + ("constraints",):
            changed = model.pop(key, None) is not None or changed
        config = model.get("config")
        if isinstance(config, dict) and config.pop("contract", None) is not None:
            changed = True
        for column in model.get("columns") or []:
            if isinstance(column, dict):
                for key in TEST_KEYS + ("constraints",):
                    changed = column.pop(key, None) is not None or changed
    if not changed:
        return None
    header = (
        "# The models' descriptions. Tests are added step by step, as each step's instructions\n"
        "# say; the reference solution has them all.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# --- what a step says -------------------------------------------------------------------------


def _first_paragraph(text: str) -> str:
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        if block.strip():
            return " ".join(block.split())
    return ""


def _cell(text: str, limit: int = 140) -> str:
    first = _first_paragraph(text).replace("|", "\\|")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _config_line(model: ModelInfo) -> str:
    return f"{{{{ config(materialized='{model.materialized}') }}}}"


def describe_test(test: TestInfo) -> str:
    if test.path:
        return f"the singular test `{test.path}`"
    name = f"`{test.test_name}`"
    if test.test_name == "accepted_values" and test.kwargs.get("values"):
        return f"{name} ({', '.join(str(v) for v in test.kwargs['values'])})"
    if test.test_name == "relationships" and test.kwargs.get("to"):
        target = re.sub(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""", r"\1", str(test.kwargs["to"]))
        return f"{name} (to `{target}.{test.kwargs.get('field', '')}`)"
    return name


def _tests_by_target(tests: list[TestInfo]) -> dict[tuple[str, str | None], list[TestInfo]]:
    grouped: dict[tuple[str, str | None], list[TestInfo]] = {}
    for test in tests:
        if not test.path:
            grouped.setdefault((test.model, test.column), []).append(test)
    return grouped


def _grain(model: ModelInfo, tests: list[TestInfo]) -> str | None:
    return next((t.column for t in tests if t.model == model.name and t.test_name == "unique" and t.column), None)


def _model_section(model: ModelInfo, step: Step, children: list[str]) -> list[str]:
    lines = [f"## `{model.name}`", "", f"File: `{model.path}`", ""]
    lines += [_first_paragraph(model.description) or "(The source project does not describe this model.)", ""]
    if model.parents:
        lines += [
            "**Reads:** "
            + ", ".join(f"`{c}`" for c in model.parent_calls)
            + " — always through `ref()` (or `source()`), never a typed table name.",
            "",
        ]
    else:
        lines += ["**Reads:** no other model or seed.", ""]
    if model.materialized == "view":
        lines += ["**Materialization:** a view, the default: no config needed.", ""]
    else:
        article = "an" if model.materialized[:1] in "aeiou" else "a"
        lines += [
            f"**Materialization:** {article} **{model.materialized}**: start the file with "
            f"`{_config_line(model)}` (or set `materialized` in its YAML).",
            "",
        ]
    grain = _grain(model, step.tests)
    if model.columns:
        rows = f"{model.rows} rows on the lesson's data" if model.rows is not None else "its rows"
        lines += [
            f"**Columns** ({'one row per `' + grain + '`, ' if grain else ''}{rows}):",
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        lines += [f"| `{name}` | {kind.lower()} | {_cell(text)} |" for name, kind, text in model.columns]
        lines.append("")
    if children:
        lines += ["Later steps build " + ", ".join(f"`{c}`" for c in children) + " on top of it.", ""]
    return lines


def _has_tests(step: Step, models: dict[str, ModelInfo]) -> bool:
    return bool(step.tests) or any(models[m].unit_tests for m in step.models)


def _tests_section(step: Step, models: dict[str, ModelInfo]) -> list[str]:
    if not _has_tests(step, models):
        return []
    lines = [
        "## Tests",
        "",
        "Declare the project's tests for what you built: they are part of this step's "
        "checks, and `dbt test` runs them.",
        "",
    ]
    grouped = _tests_by_target(step.tests)
    for (model, column), tests in grouped.items():
        where = models[model].yaml_path if model in models and models[model].yaml_path else "a YAML file in models/"
        target = f"`{model}.{column}`" if column else f"`{model}` (a model-level test)"
        lines.append(f"- {target} in `{where}`: " + ", ".join(describe_test(t) for t in tests))
    for test in step.tests:
        if test.path:
            lines.append(
                f"- {describe_test(test)} on `{test.model}`: a query that returns the rows "
                "breaking the rule (hint 2 shows it)"
            )
    units = [m for m in step.models if models[m].unit_tests]
    for name in units:
        lines.append(f"- the unit tests of `{name}` (a `unit_tests:` entry in its YAML)")
    return lines + [""]


def instructions(
    step: Step,
    total: int,
    models: dict[str, ModelInfo],
    project: str,
    seeds: list[tuple[str, int, list[str]]],
    children: dict[str, list[str]],
) -> str:
    lines = [f"# Step {step.number} of {total}: {step.title}", ""]
    if step.number == 1:
        lines += [
            f"This lesson rebuilds the **{project}** dbt project model by model, in the order dbt "
            "itself builds them: a model only reads seeds and models of earlier steps. Every model "
            "file already exists as a placeholder; replace each one when its step comes.",
            "",
            "The raw data is in `seeds/`. Load it once with `dbt seed`:",
            "",
            "| seed | rows | columns |",
            "|---|---|---|",
        ]
        lines += [f"| `{name}` | {count} | {', '.join(f'`{c}`' for c in columns)} |" for name, count, columns in seeds]
        lines.append("")
    for name in step.models:
        lines += _model_section(models[name], step, children.get(name, []))
    lines += _tests_section(step, models)
    lines += [
        f"Run `dbt run` (or `dbt build`) and look at the result with `dbt show --select {step.models[0]}`.",
        "",
        _done_when(step, models),
    ]
    return "\n".join(lines) + "\n"


def _done_when(step: Step, models: dict[str, ModelInfo]) -> str:
    def state(names: list[str]) -> str:
        stored = all(models[m].materialized != "ephemeral" for m in names)
        one = len(names) == 1
        if stored:
            return (
                f"{'has' if one else 'have'} the columns and rows of the reference solution, on the "
                "lesson's data and on a hidden variant of it"
            )
        return f"{'is' if one else 'are'} ephemeral (a later step checks {'its' if one else 'their'} rows)"

    def names(group: list[str]) -> str:
        return " and ".join(f"`{m}`" for m in group)

    if len(step.models) == 1:
        text = f"{names(step.models)} reads the inputs above and {state(step.models)}"
    else:
        stored = [m for m in step.models if models[m].materialized != "ephemeral"]
        ephemeral = [m for m in step.models if m not in stored]
        parts = [f"{names(step.models)} read the inputs above"]
        parts += [f"{names(group)} {state(group)}" for group in (stored, ephemeral) if group]
        text = "; ".join(parts)
    return "**Done when:** " + text + ("; and the tests above pass." if _has_tests(step, models) else ".")


def _sql_start(sql: str) -> str:
    """The reference SQL without Jinja comments and blank lines, cut after HINT_SQL_LINES lines."""
    text = re.sub(r"\{#.*?#\}", "", sql, flags=re.DOTALL)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    shown = lines[:HINT_SQL_LINES]
    if len(lines) > HINT_SQL_LINES:
        shown.append("...")
    return "\n".join(shown)


def hints(step: Step, models: dict[str, ModelInfo]) -> list[str]:
    first, second = [], []
    for name in step.models:
        model = models[name]
        reads = " and ".join(f"`{c}`" for c in model.parent_calls) or "no other model"
        grain = _grain(model, step.tests)
        columns = ", ".join(c[0] for c in model.columns)
        first.append(
            f"`{name}` reads {reads}."
            + (f" One row per `{grain}`." if grain else "")
            + (f" Its columns: {columns}." if columns else "")
        )
        ctes = [c for c in _CTE.findall(model.sql) if c.lower() not in ("select", "with")]
        shape = f" It is built from the CTEs {', '.join(ctes)}." if ctes else ""
        second.append(f"The reference `{model.path}` starts like this.{shape}\n```sql\n{_sql_start(model.sql)}\n```")
    for test in step.tests:
        if test.path:
            second.append(f"The reference `{test.path}`:\n```sql\n{_sql_start(test.sql)}\n```")
    if any(t for t in step.tests if not t.path):
        first.append("Tests go under the model (or its column) in the YAML, in a `data_tests:` list.")
    return ["\n".join(first), "\n\n".join(second)]


def explanation(step: Step, models: dict[str, ModelInfo], children: dict[str, list[str]]) -> str:
    parts = []
    for name in step.models:
        model = models[name]
        text = _first_paragraph(model.description) or f"{name} is one model of the project's DAG."
        text = text if text.endswith((".", "!", "?", ":")) else text + "."
        feeds = children.get(name, [])
        graph = (f" It reads {', '.join(model.parents)}" if model.parents else " It reads nothing upstream") + (
            f" and feeds {', '.join(feeds)}." if feeds else "."
        )
        parts.append(f"{name}: {text}{graph}")
    return " ".join(parts)


def checks(step: Step, models: dict[str, ModelInfo]) -> list[dict]:
    """Graph first (cheap, precise), then the data against the reference, then config and tests."""
    out: list[dict] = []
    for name in step.models:
        model = models[name]
        if model.parents:
            out.append(
                {
                    "kind": "depends_on",
                    "model": name,
                    "parents": list(model.parents),
                    "message": f"{name} should read " + ", ".join(model.parent_calls) + ".",
                }
            )
        if model.materialized != "ephemeral":
            out.append(
                {
                    "kind": "relation",
                    "model": name,
                    "message": f"{name} should have the columns and rows of the reference solution "
                    "(see the table in the instructions).",
                }
            )
        if model.materialized != "view":
            out.append({"kind": "materialized", "model": name, "materialized": model.materialized})
    for (model, column), tests in _tests_by_target(step.tests).items():
        names = list(dict.fromkeys(t.test_name for t in tests))
        check = {"kind": "dbt_tests", "model": model}
        if column:
            check["column"] = column
        check["tests"] = names
        out.append(check)
    for model in dict.fromkeys(t.model for t in step.tests if t.path):
        out.append(
            {
                "kind": "tests_pass",
                "model": model,
                "message": f"Every test on {model}, the singular tests too, should pass.",
            }
        )
    for name in step.models:
        if models[name].unit_tests:
            out.append({"kind": "unit_tests", "model": name, "min": models[name].unit_tests})
    return out


# --- lesson.yml -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so hints with code stay readable in lesson.yml."""


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def lesson_yaml(data: dict, header: str) -> str:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body
