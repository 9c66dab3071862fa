"""The energy_smart lesson, proven with real dbt builds (the dbt CLI, in subprocesses).

Structure: the lesson loads, follows the authoring rules of dbt_template/README.md, and its
generator rewrites every seed set byte-for-byte.
Behaviour: starter/ + solution/ is laid into a project shaped like the server's, on `seeds/`
and on `seeds_variant/`: `dbt seed`, `run` and `test` (unit tests included) succeed, a second
`dbt run` really runs the incremental model incrementally, and the numbers equal totals computed
here in Python straight from the CSV files. On `seeds_bad/` the solution's data tests fail, each
bad row caught by its own test. The bare starter builds green.

The builds run concurrently (one thread per project, each a chain of dbt subprocesses) so the
file stays well under a minute on two cores. The code the instructions and last hints show is
saved by a learner and graded by the real grader: it must pass the steps it covers on both seed
sets. That the solution passes every step and the bare starter fails each is what `lessons
check` proves (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path, PurePosixPath

import duckdb
import pytest
import yaml

from decode_data.services.engine.project_files import dbt_project
from decode_data.services.grader import grade_steps
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lessons import load_lesson
from decode_data.services.workspace import save_file
from decode_data.settings import REPO_ROOT

LESSON_DIR = REPO_ROOT / "dbt_template" / "energy_smart"
DBT = Path(sys.executable).parent / "dbt"
SEED_SETS = ("seeds", "seeds_variant")
SEED_FILES = {"meters.csv", "readings.csv", "tariffs.csv"}
SOLUTION_MODELS = {"stg_meters", "stg_tariffs", "stg_readings", "int_meter_intervals",
                   "fct_hourly_consumption", "fct_daily_household_cost"}
# Each bad row of seeds_bad/ and the solution's tests that must catch it.
BAD_ROW_TESTS = {
    "unique_stg_readings_reading_id",  # the same reading delivered twice
    "not_null_stg_readings_meter_id", "not_null_stg_readings_reading_id",  # no meter id
    "not_negative_stg_readings_register_kwh",  # a flipped sign ...
    "not_negative_int_meter_intervals_consumption_kwh",  # ... is a negative consumption downstream
}
APPENDED_HOURS = 6  # readings added after the first build, to run the incremental model for real
HOURLY_SQL = "lesson/models/marts/fct_hourly_consumption.sql"  # under target/run/ and target/compiled/


# ---------------------------------------------------------------- dbt projects


@dataclass
class Build:
    project: Path
    warehouse: Path
    steps: dict = field(default_factory=dict)  # label -> {"rc", "out", "results", "manifest"}
    extra: dict = field(default_factory=dict)

    def ok(self, label: str) -> bool:
        return self.steps[label]["rc"] == 0

    def statuses(self, label: str) -> dict[str, str]:
        return {r["unique_id"]: r["status"] for r in self.steps[label]["results"]}

    @property
    def manifest(self) -> dict:
        return self.steps["manifest"]

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def _make_project(root: Path, layers: list[Path], seeds_dir: Path) -> Build:
    """A project like the server writes: its dbt_project.yml, a plain DuckDB profile."""
    project = root / "project"
    project.mkdir(parents=True)
    for layer in layers:
        shutil.copytree(layer, project, dirs_exist_ok=True)
    shutil.copytree(seeds_dir, project / "seeds")
    (project / "dbt_project.yml").write_text(yaml.safe_dump(dbt_project(), sort_keys=False))
    warehouse = root / "warehouse.duckdb"
    profile = {"lesson": {"target": "dev", "outputs": {"dev": {
        "type": "duckdb", "path": str(warehouse), "schema": "main", "threads": 1}}}}
    (project / "profiles.yml").write_text(yaml.safe_dump(profile))
    return Build(project=project, warehouse=warehouse)


def _dbt(build: Build, label: str, *args: str) -> None:
    """Run one dbt command in a subprocess; keep its exit code, output and run results."""
    target = build.project / "target"
    (target / "run_results.json").unlink(missing_ok=True)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    done = subprocess.run([str(DBT), *args, "--project-dir", str(build.project),
                           "--profiles-dir", str(build.project)],
                          cwd=build.project, env=env, capture_output=True, text=True, timeout=120)
    results = target / "run_results.json"
    build.steps[label] = {"rc": done.returncode, "out": done.stdout + done.stderr,
                          "results": json.loads(results.read_text())["results"] if results.is_file() else []}
    manifest = target / "manifest.json"
    if manifest.is_file():
        build.steps["manifest"] = json.loads(manifest.read_text())


def _solution_build(root: Path, seeds: str) -> Build:
    """seed, run, test, then a second run: the incremental model now runs incrementally."""
    build = _make_project(root, [LESSON_DIR / "starter", LESSON_DIR / "solution"], LESSON_DIR / seeds)
    for label in ("seed", "run", "test"):
        _dbt(build, label, label)
    first_run = build.project / "target" / "run" / HOURLY_SQL
    build.extra["first_run_sql"] = first_run.read_text() if first_run.is_file() else ""
    build.extra["hourly_after_first_run"] = sorted(build.query("select * from fct_hourly_consumption"))
    _dbt(build, "run2", "run")
    return build


def _appended_build(first: Build, root: Path) -> Build:
    """A copy of a built project; new readings arrive: reload the seed and run again."""
    shutil.copytree(first.project.parent, root)
    build = Build(project=root / "project", warehouse=root / "warehouse.duckdb")
    profiles = build.project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace(str(first.warehouse), str(build.warehouse)))
    _append_readings(build.project / "seeds" / "readings.csv", build.project / "seeds" / "meters.csv")
    _dbt(build, "seed_run3", "build", "--resource-type", "seed", "--resource-type", "model")
    build.extra["third_run_compiled"] = (build.project / "target" / "compiled" / HOURLY_SQL).read_text()
    return build


def _bad_build(root: Path) -> Build:
    build = _make_project(root, [LESSON_DIR / "starter", LESSON_DIR / "solution"], LESSON_DIR / "seeds_bad")
    # Seeds and models in one command, then every test: with `dbt build`, a failing test would
    # skip the models downstream of it, and their tests with them.
    _dbt(build, "seed_run", "build", "--resource-type", "seed", "--resource-type", "model")
    _dbt(build, "test", "test")
    return build


def _starter_build(root: Path) -> Build:
    build = _make_project(root, [LESSON_DIR / "starter"], LESSON_DIR / "seeds")
    _dbt(build, "build", "build")
    return build


def _shown_code_files() -> dict[str, str]:
    """The code that the last hints and the instructions show, as a learner would save it."""
    hints = {step.id: step.hints[-1] for step in load_lesson(LESSON_DIR).steps}
    solution = LESSON_DIR / "solution"
    step_4 = (LESSON_DIR / "steps/04_unit_tests.md").read_text()
    step_5 = (LESSON_DIR / "steps/05_incremental.md").read_text()
    return {
        # Step 1's last hint shows stg_tariffs; stg_meters and stg_readings are spelt out in prose.
        "models/staging/stg_tariffs.sql": hints["staging"].strip("`") + "\n",
        "models/staging/stg_meters.sql": (solution / "models/staging/stg_meters.sql").read_text(),
        "models/staging/stg_readings.sql": (solution / "models/staging/stg_readings.sql").read_text(),
        "macros/to_kwh.sql": _fenced(hints["macro"]),
        "models/intermediate/int_meter_intervals.sql": _fenced(hints["intervals"]),
        "models/marts/fct_hourly_consumption.sql": _fenced(hints["incremental"]),
        "models/marts/fct_daily_household_cost.sql": _fenced(hints["daily_cost"]),
        # Unit tests: the hint's, the reset example of the instructions, and step 5's optional one.
        "models/intermediate/_intermediate.yml": _with_unit_tests(
            "models/intermediate/_intermediate.yml", _fenced(hints["unit_tests"]), _fenced(step_4)),
        "models/marts/_marts.yml": _with_unit_tests("models/marts/_marts.yml", _fenced(step_5, "yaml")),
    }


def _with_unit_tests(rel: str, *snippets: str) -> str:
    """The starter's YAML file `rel` with the unit tests of the snippets added."""
    data = yaml.safe_load((LESSON_DIR / "starter" / rel).read_text())
    data["unit_tests"] = [test for snippet in snippets for test in yaml.safe_load(snippet)["unit_tests"]]
    return yaml.safe_dump(data, sort_keys=False)


def _fenced(text: str, lang: str | None = None) -> str:
    """The first fenced code block of a hint or a Markdown file (of language `lang`, if given)."""
    pattern = r"```" + (re.escape(lang) if lang else r"[a-z]*") + r"\n(.*?)```"
    match = re.search(pattern, text, re.S)
    assert match, f"no ``` block in {text[:80]!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Every build of this file, started at once on a thread pool; each test waits for its own."""
    root = tmp_path_factory.mktemp("energy_smart")
    with ThreadPoolExecutor(max_workers=6) as pool:  # more threads than builds: no deadlock
        futures = {
            "seeds": pool.submit(_solution_build, root / "seeds", "seeds"),
            "seeds_variant": pool.submit(_solution_build, root / "seeds_variant", "seeds_variant"),
            "bad": pool.submit(_bad_build, root / "bad"),
            "starter": pool.submit(_starter_build, root / "starter"),
        }
        seeds = futures["seeds"]
        futures["appended"] = pool.submit(lambda: _appended_build(seeds.result(), root / "appended"))
        yield futures


def _get(builds, name: str) -> Build:
    return builds[name].result()


# ---------------------------------------------------------------- seeds, in Python


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _wh(value: str, unit: str) -> int:
    """A register value in whole Wh: exact, unlike floats."""
    return int(value) if unit.strip().lower() == "wh" else int(Decimal(value) * 1000)


def _append_readings(readings_csv: Path, meters_csv: Path) -> None:
    """Add APPENDED_HOURS of new 15-minute readings for every meter after its last one."""
    units = {m["meter_id"]: m["unit"] for m in _read(meters_csv)}
    rows = _read(readings_csv)
    last: dict[str, dict] = {}
    for row in rows:
        if row["reading_at"] > last.get(row["meter_id"], {}).get("reading_at", ""):
            last[row["meter_id"]] = row
    for n, (meter, row) in enumerate(sorted(last.items())):
        at = datetime.fromisoformat(row["reading_at"])
        wh = _wh(row["register_value"], units[meter])
        for i in range(1, APPENDED_HOURS * 4 + 1):
            wh += 20 + (7 * i + 13 * n) % 90
            value = str(wh) if units[meter].lower() == "wh" else f"{wh / 1000:.3f}"
            rows.append({"meter_id": meter, "reading_at": (at + i * timedelta(minutes=15)).isoformat(" "),
                         "register_value": value})
    with readings_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["meter_id", "reading_at", "register_value"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class Expected:
    """What the models must hold, computed from the CSV files without any SQL."""

    readings: int
    intervals: list[tuple]  # (meter_id, start, end, minutes, wh, is_reset)
    hourly: dict  # (meter_id, hour_start) -> (wh, intervals)
    daily: dict  # (household_id, date) -> (wh, cost rounded to the cent)
    meter_wh: dict  # meter_id -> total Wh


def _expected(seeds_dir: Path) -> Expected:
    meters = {m["meter_id"]: m for m in _read(seeds_dir / "meters.csv")}
    readings = _read(seeds_dir / "readings.csv")
    series = defaultdict(list)
    for r in readings:
        series[r["meter_id"]].append((datetime.fromisoformat(r["reading_at"]),
                                      _wh(r["register_value"], meters[r["meter_id"]]["unit"])))
    intervals = []
    for meter, points in series.items():
        points.sort()
        for (start, before), (end, after) in zip(points, points[1:]):
            reset = after < before
            intervals.append((meter, start, end, int((end - start).total_seconds() // 60),
                              after if reset else after - before, reset))
    hourly = defaultdict(lambda: [0, 0])
    for meter, start, _end, _minutes, wh, _reset in intervals:
        entry = hourly[(meter, start.replace(minute=0))]
        entry[0] += wh
        entry[1] += 1
    bands = [(t["tariff_code"], int(t["start_hour"]), int(t["end_hour"]), Decimal(t["cents_per_kwh"]) / 100)
             for t in _read(seeds_dir / "tariffs.csv")]
    daily = defaultdict(lambda: [0, Decimal(0)])
    for (meter, hour), (wh, _n) in hourly.items():
        tariff = meters[meter]["tariff"].strip().lower()
        price = next(p for t, lo, hi, p in bands if t == tariff and lo <= hour.hour < hi)
        entry = daily[(meters[meter]["household_id"], hour.date())]
        entry[0] += wh
        entry[1] += Decimal(wh) / 1000 * price
    meter_wh = Counter()
    for meter, *_rest, wh, _reset in intervals:
        meter_wh[meter] += wh
    return Expected(
        readings=len(readings), intervals=intervals,
        hourly={k: tuple(v) for k, v in hourly.items()},
        daily={k: (wh, cost.quantize(Decimal("0.01"), ROUND_HALF_UP)) for k, (wh, cost) in daily.items()},
        meter_wh=dict(meter_wh))


def _kwh(wh: int) -> Decimal:
    return Decimal(wh) / 1000


def _assert_hourly_and_daily(build: Build, exp: Expected) -> None:
    """Both marts hold exactly the Python totals: every hour of every meter, every household-day."""
    hourly = build.query("select meter_id, hour_start, consumption_kwh, intervals from fct_hourly_consumption")
    assert len(hourly) == len(exp.hourly)
    assert {(m, h): (kwh, n) for m, h, kwh, n in hourly} == \
        {key: (_kwh(wh), n) for key, (wh, n) in exp.hourly.items()}
    daily = build.query("select household_id, consumption_date, consumption_kwh, cost "
                        "from fct_daily_household_cost")
    assert len(daily) == len(exp.daily)
    assert {(h, d): (kwh, Decimal(str(cost))) for h, d, kwh, cost in daily} == \
        {key: (_kwh(wh), cost) for key, (wh, cost) in exp.daily.items()}


# ---------------------------------------------------------------- the lesson as files


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(LESSON_DIR)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_lesson_specifics(lesson):
    """The rules every lesson follows are in tests/test_lessons_catalog.py; these are this lesson's."""
    assert lesson.id == "energy_smart" and lesson.level == "advanced" and 30 <= lesson.minutes <= 180
    assert 5 <= len(lesson.steps) <= 8 and lesson.quiz, "a quiz closes this lesson"
    for step in lesson.steps:
        for check in step.checks:
            assert check.get("message"), (step.id, check)
            if "model" in check:
                assert check["model"] in SOLUTION_MODELS, (step.id, check)


def test_checks_cover_the_lesson(lesson):
    kinds = {check["kind"] for step in lesson.steps for check in step.checks}
    assert {"relation", "depends_on", "materialized", "unit_tests", "dbt_tests", "tests_pass",
            "tests_catch"} <= kinds
    checks = {step.id: step.checks for step in lesson.steps}
    assert {"kind": "materialized", "model": "fct_hourly_consumption", "materialized": "incremental"}.items() \
        <= next(c for c in checks["incremental"] if c["kind"] == "materialized").items()
    assert any(c["kind"] == "unit_tests" and c["model"] == "int_meter_intervals" and c["min"] >= 2
               for c in checks["unit_tests"])
    relation_models = {c["model"] for cs in checks.values() for c in cs if c["kind"] == "relation"}
    assert relation_models == SOLUTION_MODELS  # every model is compared with the reference


def test_folder_layout_and_rules(lesson):
    assert {p.name for p in LESSON_DIR.iterdir()} == {
        "lesson.yml", "steps", "seeds", "seeds_variant", "seeds_bad", "starter", "solution", "tools"}
    starter, solution = _files(lesson.starter_dir), _files(lesson.solution_dir)
    assert starter == solution, "the starter holds a placeholder for every solution file"
    models = {PurePosixPath(rel).stem for rel in solution if rel.startswith("models/") and rel.endswith(".sql")}
    assert models == SOLUTION_MODELS
    for rel in solution:
        text = (lesson.solution_dir / rel).read_text()
        if rel.startswith("models/") and rel.endswith(".sql"):
            assert "{{ ref(" in text and "main." not in text, rel
    for rel in starter + solution:
        text = ((lesson.starter_dir if rel in starter else lesson.solution_dir) / rel).read_text()
        for line in text.splitlines():
            assert not (line.lstrip().startswith("--") and "{{" in line), f"Jinja in a SQL comment: {rel}"


def test_seed_sets_have_the_same_shape_and_the_promised_quirks():
    sets = {s: {n: _read(LESSON_DIR / s / n) for n in SEED_FILES}
            for s in ("seeds", "seeds_variant", "seeds_bad")}
    for seeds, files in sets.items():
        for name, rows in files.items():
            assert list(rows[0]) == list(sets["seeds"][name][0]), (seeds, name)
        assert len(files["meters.csv"]) == 10 and len(files["tariffs.csv"]) == 7
        assert 2500 < len(files["readings.csv"]) < 3000
    assert sets["seeds_variant"]["readings.csv"] != sets["seeds"]["readings.csv"]
    assert sets["seeds_variant"]["tariffs.csv"] != sets["seeds"]["tariffs.csv"]
    for seeds in SEED_SETS:
        units = {m["unit"].lower() for m in sets[seeds]["meters.csv"]}
        assert units == {"wh", "kwh"}
        exp = _expected(LESSON_DIR / seeds)
        assert sum(1 for i in exp.intervals if i[5]) == 1, "exactly one meter reset"
        long = sorted(i[3] for i in exp.intervals if i[3] != 15)
        assert long == [30, 75, 165], "three gaps: 1, 4 and 10 readings missing"
        assert all(i[4] >= 0 for i in exp.intervals)
    good, bad = sets["seeds"]["readings.csv"], sets["seeds_bad"]["readings.csv"]
    assert len(bad) == len(good) + 2
    keys = Counter((r["meter_id"], r["reading_at"]) for r in bad)
    assert sum(1 for n in keys.values() if n > 1) == 1
    assert sum(1 for r in bad if not r["meter_id"]) == 1
    assert sum(1 for r in bad if r["register_value"].startswith("-")) == 1


def test_step_three_table_matches_the_seeds():
    """The worked example at the top of step 3 quotes the real first readings of M01."""
    text = (LESSON_DIR / "steps" / "03_window_functions.md").read_text()
    m01 = [r for r in _read(LESSON_DIR / "seeds" / "readings.csv") if r["meter_id"] == "M01"][:3]
    for row in m01:
        assert f"| M01 | {row['reading_at'][11:16]} | {row['register_value']} |" in text


# ---------------------------------------------------------------- the code the lesson shows, graded


def test_code_shown_in_hints_and_instructions_gives_the_reference_results(engine, db_session, lesson, builds):
    """A learner who saves the code the lesson shows passes, with the real grader and on both
    seed sets, every step before the data tests (whose YAML and generic test are not saved here).

    It asks for `builds` only to start the CLI builds first: they run while the grader works."""
    files = _shown_code_files()
    assert sum(len(yaml.safe_load(files[rel]).get("unit_tests", []))
               for rel in ("models/intermediate/_intermediate.yml", "models/marts/_marts.yml")) == 3
    learner = get_or_create_learner(db_session, "shown_code")
    for path, text in files.items():
        save_file(db_session, learner, lesson, path, text)
    *shown, tests = grade_steps(db_session, learner, lesson)
    for feedback in shown:
        assert feedback.passed, (feedback.step_id, feedback.summary)
    assert tests.step_id == "data_tests" and not tests.passed
    # Its unit tests (no data test yet) all pass: step 5's too, on fct_hourly_consumption.
    (tests_pass,) = [c for c in tests.checks if c.kind == "tests_pass"]
    assert tests_pass.passed and tests_pass.seeds == "seeds", tests_pass.message


# ---------------------------------------------------------------- the solution, built for real


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_solution_seeds_runs_and_tests_green_with_unit_tests(builds, seeds):
    build = _get(builds, seeds)
    for label in ("seed", "run", "test", "run2"):
        assert build.ok(label), f"dbt {label} failed on {seeds}:\n{build.steps[label]['out'][-3000:]}"
    run = build.statuses("run")
    assert sorted(uid.split(".")[-1] for uid in run) == sorted(SOLUTION_MODELS)
    assert set(run.values()) == {"success"}
    tests = build.statuses("test")
    unit = {uid: s for uid, s in tests.items() if uid.startswith("unit_test.")}
    data = {uid: s for uid, s in tests.items() if uid.startswith("test.")}
    assert len(unit) == 4 and set(unit.values()) == {"pass"}, unit
    assert len(data) >= 9 and set(data.values()) == {"pass"}, data
    on_intervals = [u for u in build.manifest["unit_tests"].values() if u["model"] == "int_meter_intervals"]
    assert len(on_intervals) >= 2


def test_solution_dag_and_materializations(builds):
    manifest = _get(builds, "seeds").manifest
    nodes = manifest["nodes"]
    models = {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}
    parents = {name: sorted(nodes[p]["name"] for p in m["depends_on"]["nodes"]) for name, m in models.items()}
    assert parents == {
        "stg_meters": ["meters"],
        "stg_tariffs": ["tariffs"],
        "stg_readings": ["readings", "stg_meters"],
        "int_meter_intervals": ["stg_readings"],
        "fct_hourly_consumption": ["int_meter_intervals"],
        "fct_daily_household_cost": ["fct_hourly_consumption", "stg_meters", "stg_tariffs"],
    }
    assert "macro.lesson.to_kwh" in models["stg_readings"]["depends_on"]["macros"]
    materialized = {name: m["config"]["materialized"] for name, m in models.items()}
    assert materialized.pop("fct_hourly_consumption") == "incremental"
    assert materialized.pop("fct_daily_household_cost") == "table"
    assert set(materialized.values()) == {"view"}
    assert models["fct_hourly_consumption"]["config"]["unique_key"] == ["meter_id", "hour_start"]


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_solution_numbers_match_python_totals(builds, seeds):
    build = _get(builds, seeds)
    exp = _expected(LESSON_DIR / seeds)
    assert build.query("select count(*) from stg_readings")[0][0] == exp.readings
    units = dict(build.query("select meter_id, unit from stg_meters"))
    sample = build.query("select meter_id, reading_at, register_kwh from stg_readings "
                         "where reading_at = '2024-03-04 00:00:00'")
    raw = [r for r in _read(LESSON_DIR / seeds / "readings.csv") if r["reading_at"] == "2024-03-04 00:00:00"]
    expected = {r["meter_id"]: _kwh(_wh(r["register_value"], units[r["meter_id"]])) for r in raw}
    assert {m: kwh for m, _at, kwh in sample} == expected

    intervals = build.query("select meter_id, interval_start, interval_end, interval_minutes, "
                            "consumption_kwh, is_reset from int_meter_intervals")
    assert sorted(intervals) == sorted((m, start, end, minutes, _kwh(wh), reset)
                                       for m, start, end, minutes, wh, reset in exp.intervals)

    per_meter = build.query("select meter_id, sum(consumption_kwh) from fct_hourly_consumption group by 1")
    assert dict(per_meter) == {m: _kwh(wh) for m, wh in exp.meter_wh.items()}
    _assert_hourly_and_daily(build, exp)
    assert len(exp.daily) == 8 * 3  # 8 households, 3 days
    per_household = defaultdict(Decimal)
    for (household, _day), (_wh_total, cost) in exp.daily.items():
        per_household[household] += cost
    cost = build.query("select household_id, sum(cost) from fct_daily_household_cost group by 1")
    assert dict(cost) == per_household


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_second_run_is_incremental_and_changes_nothing(builds, seeds):
    build = _get(builds, seeds)
    assert re.search(r"create\s+table", build.extra["first_run_sql"]), "the first run builds the whole table"
    second = (build.project / "target" / "run" / HOURLY_SQL).read_text().lower()
    assert "delete from" in second and "insert into" in second, second[:800]  # delete+insert on unique_key
    hourly = sorted(build.query("select * from fct_hourly_consumption"))
    assert hourly == build.extra["hourly_after_first_run"]
    count, distinct = build.query("select count(*), count(distinct (meter_id, hour_start)) "
                                  "from fct_hourly_consumption")[0]
    assert count == distinct == len(_expected(LESSON_DIR / seeds).hourly)


def test_incremental_run_adds_new_readings_and_completes_the_last_hour(builds):
    """New readings arrive after the first build: an incremental run must give the full answer.

    The interval 23:45 -> 00:00 of the last day only exists once the new 00:00 reading arrives;
    it belongs to the 23:00 hour already in the table, which the `>=` filter recomputes.
    """
    build = _get(builds, "appended")
    assert build.ok("seed_run3"), build.steps["seed_run3"]["out"][-3000:]
    assert build.statuses("seed_run3")["model.lesson.fct_hourly_consumption"] == "success"
    compiled = build.extra["third_run_compiled"]
    assert "where interval_start >= (select max(hour_start) from" in compiled
    exp = _expected(build.project / "seeds")
    assert exp.readings == _expected(LESSON_DIR / "seeds").readings + 10 * APPENDED_HOURS * 4
    last_hour = datetime(2024, 3, 6, 23)  # had 3 intervals after the first run, now 4
    assert [n for (_m, hour), (_wh_sum, n) in exp.hourly.items() if hour == last_hour] == [4] * 10
    _assert_hourly_and_daily(build, exp)


def test_bad_seeds_make_the_solution_data_tests_fail(builds):
    build = _get(builds, "bad")
    assert build.ok("seed_run"), "the solution must still build on the bad rows"
    assert not build.ok("test")
    failed = {uid.split(".")[2] for uid, s in build.statuses("test").items() if s == "fail"}
    assert failed == BAD_ROW_TESTS
    unit = {uid: s for uid, s in build.statuses("test").items() if uid.startswith("unit_test.")}
    assert set(unit.values()) == {"pass"}, "unit tests do not read the warehouse's data"


def test_queries_in_the_instructions(builds):
    build = _get(builds, "seeds")
    resets = build.query("""
        select * from (
            select meter_id, reading_at, register_kwh,
                   lag(register_kwh) over (partition by meter_id order by reading_at) as previous_kwh
            from stg_readings
        ) where register_kwh < previous_kwh""")
    assert len(resets) == 1
    cheapest = build.query("select *, round(cost / consumption_kwh, 3) as eur_per_kwh "
                           "from fct_daily_household_cost order by eur_per_kwh limit 2")
    assert [r[0] for r in cheapest] == ["H02", "H02"]
    first_day = build.query("select consumption_kwh from fct_daily_household_cost "
                            "where household_id = 'H02' order by consumption_date")
    assert [round(float(r[0]) / float(first_day[0][0])) for r in first_day] == [1, 2, 2]


# ---------------------------------------------------------------- the starter

# Solution passes and bare starter fails every step: `lessons check` proves it (tests/test_lessons_check.py).


def test_starter_builds_green(builds):
    starter = _get(builds, "starter")
    assert starter.ok("build"), starter.steps["build"]["out"][-3000:]
    statuses = starter.statuses("build")
    assert sum(uid.startswith("model.") for uid in statuses) == len(SOLUTION_MODELS)
    assert set(statuses.values()) == {"success"}
    assert not any(uid.startswith(("test.", "unit_test.")) for uid in statuses), "the starter has no tests yet"
