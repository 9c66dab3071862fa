"""The energy_smart lesson, proven with real dbt builds (jobs of the session's warm engine).

Structure: the lesson loads, follows the authoring rules of dbt_template/README.md, and its
generator rewrites every seed set byte-for-byte.
Behaviour: starter/ + solution/ is laid into a learner-shaped project (tests/engine_builds.py),
on `seeds/` and on `seeds_variant/`: `dbt seed`, `run` and `test` (unit tests included) succeed, a second
`dbt run` really runs the incremental model incrementally, and the numbers equal totals computed
here in Python straight from the CSV files. Then the next export (`seeds_next/`, what the grader
swaps in before its second pass) is loaded and run: the incremental run recomputes the last hour
and keeps the hours the export no longer holds. On each bad seed set the solution's data tests
fail, each bad row caught by exactly the tests meant for it. The bare starter builds green.

The builds run side by side on the engine's two workers (each build a chain of engine jobs). The code the instructions and last hints show is
saved by a learner and graded by the real grader: it must pass the steps it covers on both seed
sets. That the solution passes every step and the bare starter fails each is what `lessons
check` proves (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path, PurePosixPath

import pytest
import yaml

from decode_data.services.authoring.wrong_answers import wrong_answers
from decode_data.services.grader import grade_steps
from decode_data.services.learners import get_or_create_learner
from decode_data.services.lessons import load_lesson
from decode_data.services.workspace import save_file
from decode_data.settings import REPO_ROOT
from tests.engine_builds import Build, new_build

LESSON_DIR = REPO_ROOT / "dbt_template" / "energy_smart"
SEED_SETS = ("seeds", "seeds_variant")
# Each bad seed set and the solution's tests that must fail on it (and only those).
BAD_SETS = {
    "seeds_bad": {  # a reading delivered twice, a reading and a meter without an id, a meter twice
        "unique_stg_readings_reading_id",
        "not_null_stg_readings_reading_id",
        "not_null_stg_readings_meter_id",
        "unique_stg_meters_meter_id",
        "not_null_stg_meters_meter_id",
    },
    "seeds_unknown_meter": {  # two readings of a meter missing from meters.csv
        "relationships_stg_readings_meter_id__meter_id__ref_stg_meters_",
        "not_null_int_meter_intervals_consumption_kwh",
    },
    "seeds_bad_negative": {  # a sign flipped in transit
        "not_negative_stg_readings_register_kwh",
        "not_negative_int_meter_intervals_consumption_kwh",
    },
}
SEED_FILES = {"meters.csv", "readings.csv", "tariffs.csv"}
SOLUTION_MODELS = {
    "stg_meters",
    "stg_tariffs",
    "stg_readings",
    "int_meter_intervals",
    "fct_hourly_consumption",
    "fct_daily_household_cost",
}
HOURLY_SQL = "lesson/models/marts/fct_hourly_consumption.sql"  # under target/run/ and target/compiled/


# ---------------------------------------------------------------- dbt projects


def _solution_build(engine, root: Path, seeds: str) -> Build:
    """seed, run, test, then a second run: the incremental model now runs incrementally."""
    build = new_build(engine, root, LESSON_DIR, ["starter", "solution"], seeds)
    for command in ("seed", "run", "test"):
        build.dbt(command)
    first_run = build.project / "target" / "run" / HOURLY_SQL
    build.extra["first_run_sql"] = first_run.read_text() if first_run.is_file() else ""
    build.extra["hourly_after_first_run"] = sorted(build.query("select * from fct_hourly_consumption"))
    build.dbt("run", "run2")
    return build


def _next_build(engine, first: Build, root: Path, seeds: str) -> Build:
    """A copy of a built project and its warehouse; the next export arrives (the grader's second
    seed state): its files replace the seeds, then `dbt seed` and `dbt run` again."""
    shutil.copytree(first.root, root)
    build = Build(engine, root)
    for csv_file in (LESSON_DIR / f"{seeds}_next").glob("*.csv"):
        shutil.copyfile(csv_file, build.project / "seeds" / csv_file.name)
    build.dbt("seed", "seed_next")
    build.dbt("run", "run_next")
    build.extra["next_run_compiled"] = (build.project / "target" / "compiled" / HOURLY_SQL).read_text()
    return build


def _bad_build(engine, root: Path, seeds: str) -> Build:
    """Seeds and models, then every test: with `dbt build`, a failing test would skip the
    models downstream of it, and their tests with them."""
    build = new_build(engine, root, LESSON_DIR, ["starter", "solution"], seeds)
    for command in ("seed", "run", "test"):
        build.dbt(command)
    return build


def _starter_build(engine, root: Path) -> Build:
    build = new_build(engine, root, LESSON_DIR, ["starter"], "seeds")
    build.dbt("build")
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
            "models/intermediate/_intermediate.yml", _fenced(hints["unit_tests"]), _fenced(step_4)
        ),
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
def builds(engine, tmp_path_factory):
    """Every build of this file, started at once, two at a time (the engine's two workers); each
    test waits for its own. A next-export build waits for the build it copies, which started
    before it: no deadlock."""
    root = tmp_path_factory.mktemp("energy_smart")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            "seeds": pool.submit(_solution_build, engine, root / "seeds", "seeds"),
            "seeds_variant": pool.submit(_solution_build, engine, root / "seeds_variant", "seeds_variant"),
        }
        for seeds in SEED_SETS:
            first = futures[seeds]
            futures[f"{seeds}_next"] = pool.submit(
                lambda first=first, seeds=seeds: _next_build(engine, first.result(), root / f"{seeds}_next", seeds)
            )
        futures.update({bad: pool.submit(_bad_build, engine, root / bad, bad) for bad in BAD_SETS})
        futures["starter"] = pool.submit(_starter_build, engine, root / "starter")
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


@dataclass
class Expected:
    """What the models must hold, computed from the CSV files without any SQL."""

    readings: int
    intervals: list[tuple]  # (meter_id, start, end, minutes, wh, is_reset)
    hourly: dict  # (meter_id, hour_start) -> (wh, intervals)
    daily: dict  # (household_id, date) -> (wh, cost rounded to the cent)
    meter_wh: dict  # meter_id -> total Wh


def _expected(seeds_dir: Path, readings_dir: Path | None = None) -> Expected:
    """What the models hold on a seed set (readings.csv from readings_dir, if given)."""
    meters = {m["meter_id"]: m for m in _read(seeds_dir / "meters.csv")}
    readings = _read((readings_dir or seeds_dir) / "readings.csv")
    series = defaultdict(list)
    for r in readings:
        series[r["meter_id"]].append(
            (datetime.fromisoformat(r["reading_at"]), _wh(r["register_value"], meters[r["meter_id"]]["unit"]))
        )
    intervals = []
    for meter, points in series.items():
        points.sort()
        for (start, before), (end, after) in zip(points, points[1:], strict=False):
            reset = after < before
            intervals.append(
                (meter, start, end, int((end - start).total_seconds() // 60), after if reset else after - before, reset)
            )
    hourly = defaultdict(lambda: [0, 0])
    for meter, start, _end, _minutes, wh, _reset in intervals:
        entry = hourly[(meter, start.replace(minute=0))]
        entry[0] += wh
        entry[1] += 1
    meter_wh = Counter()
    for meter, *_rest, wh, _reset in intervals:
        meter_wh[meter] += wh
    hourly = {k: tuple(v) for k, v in hourly.items()}
    return Expected(
        readings=len(readings),
        intervals=intervals,
        hourly=hourly,
        daily=_daily(seeds_dir, hourly),
        meter_wh=dict(meter_wh),
    )


def _daily(seeds_dir: Path, hourly: dict) -> dict:
    """(household_id, date) -> (Wh, cost rounded to the cent): every hour priced by its band."""
    meters = {m["meter_id"]: m for m in _read(seeds_dir / "meters.csv")}
    bands = [
        (t["tariff_code"], int(t["start_hour"]), int(t["end_hour"]), Decimal(t["cents_per_kwh"]) / 100)
        for t in _read(seeds_dir / "tariffs.csv")
    ]
    daily = defaultdict(lambda: [0, Decimal(0)])
    for (meter, hour), (wh, _n) in hourly.items():
        tariff = meters[meter]["tariff"].strip().lower()
        price = next(p for t, lo, hi, p in bands if t == tariff and lo <= hour.hour < hi)
        entry = daily[(meters[meter]["household_id"], hour.date())]
        entry[0] += wh
        entry[1] += Decimal(wh) / 1000 * price
    return {k: (wh, cost.quantize(Decimal("0.01"), ROUND_HALF_UP)) for k, (wh, cost) in daily.items()}


def _expected_after_next(seeds: str) -> Expected:
    """After the first export and an incremental run on the next one: the hours before the
    last hour of the first run stay as they were (the next export no longer holds all their
    readings); that hour and the later ones are computed from the next export."""
    first = _expected(LESSON_DIR / seeds)
    after = _expected(LESSON_DIR / seeds, LESSON_DIR / f"{seeds}_next")
    last_hour = max(hour for _meter, hour in first.hourly)
    hourly = {k: v for k, v in first.hourly.items() if k[1] < last_hour}
    hourly |= {k: v for k, v in after.hourly.items() if k[1] >= last_hour}
    return Expected(
        readings=after.readings,
        intervals=after.intervals,
        hourly=hourly,
        daily=_daily(LESSON_DIR / seeds, hourly),
        meter_wh={},
    )


def _kwh(wh: int) -> Decimal:
    return Decimal(wh) / 1000


def _assert_hourly_and_daily(build: Build, exp: Expected) -> None:
    """Both marts hold exactly the Python totals: every hour of every meter, every household-day."""
    hourly = build.query("select meter_id, hour_start, consumption_kwh, intervals from fct_hourly_consumption")
    assert len(hourly) == len(exp.hourly)
    assert {(m, h): (kwh, n) for m, h, kwh, n in hourly} == {key: (_kwh(wh), n) for key, (wh, n) in exp.hourly.items()}
    daily = build.query("select household_id, consumption_date, consumption_kwh, cost from fct_daily_household_cost")
    assert len(daily) == len(exp.daily)
    assert {(h, d): (kwh, Decimal(str(cost))) for h, d, kwh, cost in daily} == {
        key: (_kwh(wh), cost) for key, (wh, cost) in exp.daily.items()
    }


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
    assert {
        "relation",
        "depends_on",
        "materialized",
        "uses_macro",
        "unit_tests",
        "config",
        "dbt_tests",
        "tests_pass",
        "tests_match",
    } <= kinds
    checks = {step.id: step.checks for step in lesson.steps}
    assert {"kind": "materialized", "model": "fct_hourly_consumption", "materialized": "incremental"}.items() <= next(
        c for c in checks["incremental"] if c["kind"] == "materialized"
    ).items()
    assert any(
        c["kind"] == "config" and c["config"] == {"unique_key": ["meter_id", "hour_start"]}
        for c in checks["incremental"]
    )
    # The incremental model is compared built once (a seed set without a next state) and after
    # the grader's second pass on seeds_next/ (a relation check on the main and variant sets).
    hourly = [c for c in checks["incremental"] if c["kind"] == "relation"]
    assert [c.get("seeds") for c in hourly] == ["seeds_unknown_meter", None]
    assert not (LESSON_DIR / "seeds_unknown_meter_next").exists()
    assert any(
        c["kind"] == "unit_tests" and c["model"] == "int_meter_intervals" and c["min"] >= 2
        for c in checks["unit_tests"]
    )
    relation_models = {c["model"] for cs in checks.values() for c in cs if c["kind"] == "relation"}
    assert relation_models == SOLUTION_MODELS  # every model is compared with the reference
    # Every bad seed set is used by the data-tests step, on the models whose tests must catch it.
    matched = {(c["model"], c["seeds"]) for c in checks["data_tests"] if c["kind"] == "tests_match"}
    assert {seeds for _model, seeds in matched} == set(BAD_SETS)


def test_every_step_ships_wrong_answers(lesson):
    """lessons check proves each one fails with its phrase (tests/test_lessons_check.py)."""
    found = Counter(a.step_id for a in wrong_answers(lesson))
    assert {step.id: found[step.id] >= 5 for step in lesson.steps} == {step.id: True for step in lesson.steps}


def test_folder_layout_and_rules(lesson):
    assert {p.name for p in LESSON_DIR.iterdir()} == {
        ".sqlfluff",  # where sqlfluff finds the lesson's own macros when it lints solution/
        "lesson.yml",
        "steps",
        "starter",
        "solution",
        "tools",
        "wrong_answers",
        "seeds",
        "seeds_next",
        "seeds_variant",
        "seeds_variant_next",
        *BAD_SETS,
    }
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


# Per seed set: days in the first export, readings per meter the next export moved on by, and the
# intervals longer than 15 minutes (gaps). The variant's span, its next export 3.5 hours on and
# its meter read late at 22:52 and not at 23:00 fail a lookback typed from the main set.
SHAPES = {"seeds": (3, 2, [30, 75, 165]), "seeds_variant": (4, 14, [22, 23, 30, 75, 165])}


def test_seed_sets_have_the_same_shape_and_the_promised_quirks():
    full = ("seeds", "seeds_variant", *BAD_SETS)
    sets = {s: {n: _read(LESSON_DIR / s / n) for n in SEED_FILES} for s in full}
    for seeds, files in sets.items():
        for name, rows in files.items():
            assert list(rows[0]) == list(sets["seeds"][name][0]), (seeds, name)
        assert len(files["tariffs.csv"]) == 7
        days = SHAPES.get(seeds, SHAPES["seeds"])[0]
        assert days * 960 - 20 < len(files["readings.csv"]) < days * 960 + 5
    for seeds in SEED_SETS:
        files = sets[seeds]
        assert len(files["meters.csv"]) == 10
        units = {m["unit"].lower() for m in files["meters.csv"]}
        assert units == {"wh", "kwh"}
        tariffs = [m["tariff"] for m in files["meters.csv"]]
        assert len({t.strip().lower() for t in tariffs}) == 3 and len({t.strip() for t in tariffs}) > 3
        assert sum(t != t.strip() for t in tariffs) == 2, "two tariff codes with a stray space"
        exp = _expected(LESSON_DIR / seeds)
        assert sum(1 for i in exp.intervals if i[5]) == 1, "exactly one meter reset"
        days, shift, gaps = SHAPES[seeds]
        long = sorted(i[3] for i in exp.intervals if i[3] != 15)
        assert long == gaps, "gaps of 1, 4 and 10 readings (and in the variant a late reading, across the last hour)"
        assert all(i[4] >= 0 for i in exp.intervals)
        assert sum(1 for i in exp.intervals if i[4] == 0) > 100, "the idle EV charger uses exactly 0"
        # The next export: a rolling window moved on by `shift` readings per meter.
        first, after = files["readings.csv"], _read(LESSON_DIR / f"{seeds}_next" / "readings.csv")
        assert [p.name for p in (LESSON_DIR / f"{seeds}_next").iterdir()] == ["readings.csv"]
        assert list(after[0]) == list(first[0])
        first_keys = {(r["meter_id"], r["reading_at"]): r for r in first}
        after_keys = {(r["meter_id"], r["reading_at"]): r for r in after}
        dropped, added = first_keys.keys() - after_keys.keys(), after_keys.keys() - first_keys.keys()
        assert len(dropped) == len(added) == 10 * shift
        assert all(first_keys[k] == after_keys[k] for k in first_keys.keys() & after_keys.keys())
        start, end = min(r["reading_at"] for r in first), max(r["reading_at"] for r in first)
        assert len({at for _m, at in dropped}) == shift and min(at for _m, at in dropped) == start
        assert min(at for _m, at in added) > end and min(at for _m, at in added).endswith("00:00:00")
        after_exp = _expected(LESSON_DIR / seeds, LESSON_DIR / f"{seeds}_next")
        assert sorted(i[3] for i in after_exp.intervals if i[3] != 15) == gaps
    # The variant differs in every value a learner could type in.
    main, variant = sets["seeds"], sets["seeds_variant"]
    for name, column in [
        ("meters.csv", "meter_id"),
        ("meters.csv", "household_id"),
        ("meters.csv", "tariff"),
        ("tariffs.csv", "tariff_code"),
        ("tariffs.csv", "cents_per_kwh"),
        ("readings.csv", "meter_id"),
    ]:
        norm = (lambda v: v.strip().lower()) if column == "tariff" else (lambda v: v)
        assert not {norm(r[column]) for r in main[name]} & {norm(r[column]) for r in variant[name]}, column
    assert not {r["reading_at"][:10] for r in main["readings.csv"]} & {
        r["reading_at"][:10] for r in variant["readings.csv"]
    }
    assert {(t["start_hour"], t["end_hour"]) for t in main["tariffs.csv"]} != {
        (t["start_hour"], t["end_hour"]) for t in variant["tariffs.csv"]
    }
    # The bad sets: the main seeds plus the promised rows, nothing else.
    good = main["readings.csv"]
    bad = sets["seeds_bad"]
    assert len(bad["readings.csv"]) == len(good) + 2 and bad["tariffs.csv"] == main["tariffs.csv"]
    keys = Counter((r["meter_id"], r["reading_at"]) for r in bad["readings.csv"])
    assert sum(1 for n in keys.values() if n > 1) == 1
    assert sum(1 for r in bad["readings.csv"] if not r["meter_id"]) == 1
    assert bad["meters.csv"][:10] == main["meters.csv"] and len(bad["meters.csv"]) == 13
    assert Counter(m["meter_id"] for m in bad["meters.csv"][10:]) == {"M11": 2, "": 1}
    negative = sets["seeds_bad_negative"]["readings.csv"]
    assert [(a, b) for a, b in zip(good, negative, strict=False) if a != b] == [
        (a, {**a, "register_value": "-" + a["register_value"]}) for a, b in zip(good, negative, strict=False) if a != b
    ]
    assert sum(a != b for a, b in zip(good, negative, strict=False)) == 1 and len(negative) == len(good)
    unknown = sets["seeds_unknown_meter"]["readings.csv"]
    extra = [r for r in unknown if r["meter_id"] not in {m["meter_id"] for m in main["meters.csv"]}]
    assert len(unknown) == len(good) + 2 and [r["meter_id"] for r in extra] == ["M99", "M99"]


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
    assert (
        sum(
            len(yaml.safe_load(files[rel]).get("unit_tests", []))
            for rel in ("models/intermediate/_intermediate.yml", "models/marts/_marts.yml")
        )
        == 3
    )
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
        assert build.ok(label), build.describe(label)
    run = build.statuses("run")
    assert sorted(uid.split(".")[-1] for uid in run) == sorted(SOLUTION_MODELS)
    assert set(run.values()) == {"success"}
    tests = build.statuses("test")
    unit = {uid: s for uid, s in tests.items() if uid.startswith("unit_test.")}
    data = {uid: s for uid, s in tests.items() if uid.startswith("test.")}
    assert len(unit) == 4 and set(unit.values()) == {"pass"}, unit
    assert len(data) >= 9 and set(data.values()) == {"pass"}, data
    on_intervals = [
        u
        for u in build.graph.values()
        if u["resource_type"] == "unit_test" and u["attached"] == "model.lesson.int_meter_intervals"
    ]
    assert len(on_intervals) >= 2


def test_solution_dag_and_materializations(builds):
    nodes = _get(builds, "seeds").graph
    models = {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}
    parents = {name: sorted(nodes[p]["name"] for p in m["depends_on"]) for name, m in models.items()}
    assert parents == {
        "stg_meters": ["meters"],
        "stg_tariffs": ["tariffs"],
        "stg_readings": ["readings", "stg_meters"],
        "int_meter_intervals": ["stg_readings"],
        "fct_hourly_consumption": ["int_meter_intervals"],
        "fct_daily_household_cost": ["fct_hourly_consumption", "stg_meters", "stg_tariffs"],
    }
    assert "macro.lesson.to_kwh" in models["stg_readings"]["macros"]
    materialized = {name: m["materialized"] for name, m in models.items()}
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
    sample = build.query(
        "select meter_id, reading_at, register_kwh from stg_readings where reading_at = '2024-03-04 00:00:00'"
    )
    raw = [r for r in _read(LESSON_DIR / seeds / "readings.csv") if r["reading_at"] == "2024-03-04 00:00:00"]
    expected = {r["meter_id"]: _kwh(_wh(r["register_value"], units[r["meter_id"]])) for r in raw}
    assert {m: kwh for m, _at, kwh in sample} == expected

    intervals = build.query(
        "select meter_id, interval_start, interval_end, interval_minutes, "
        "consumption_kwh, is_reset from int_meter_intervals"
    )
    assert sorted(intervals) == sorted(
        (m, start, end, minutes, _kwh(wh), reset) for m, start, end, minutes, wh, reset in exp.intervals
    )

    per_meter = build.query("select meter_id, sum(consumption_kwh) from fct_hourly_consumption group by 1")
    assert dict(per_meter) == {m: _kwh(wh) for m, wh in exp.meter_wh.items()}
    _assert_hourly_and_daily(build, exp)
    assert len(exp.daily) == 8 * SHAPES[seeds][0]  # 8 households, one row a day
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
    count, distinct = build.query(
        "select count(*), count(distinct (meter_id, hour_start)) from fct_hourly_consumption"
    )[0]
    assert count == distinct == len(_expected(LESSON_DIR / seeds).hourly)


@pytest.mark.parametrize("seeds", SEED_SETS)
def test_incremental_run_on_the_next_export_completes_the_last_hour_and_keeps_history(builds, seeds):
    """The grader's second pass, replayed: the next export replaces the readings, and the
    incremental run recomputes the hour the first run ended with (its 23:45 interval only
    exists once the next 00:00 reading arrives) and keeps the hours whose first readings the
    export no longer holds."""
    build = _get(builds, f"{seeds}_next")
    assert build.ok("seed_next") and build.ok("run_next"), build.describe("run_next")
    assert build.statuses("run_next")["model.lesson.fct_hourly_consumption"] == "success"
    assert "where interval_start >= (select max(built.hour_start) from" in build.extra["next_run_compiled"]
    first = _expected(LESSON_DIR / seeds)
    last_hour = max(hour for _meter, hour in first.hourly)
    gap = {2} if seeds == "seeds_variant" else set()  # the meter read at 22:52, not at 23:00
    assert {n for (_m, hour), (_wh, n) in first.hourly.items() if hour == last_hour} == {3} | gap
    exp = _expected_after_next(seeds)
    assert {n for (_m, hour), (_wh, n) in exp.hourly.items() if hour == last_hour} == {4} | {n + 1 for n in gap}
    first_hour = min(hour for _meter, hour in first.hourly)
    assert {n for (_m, hour), (_wh, n) in exp.hourly.items() if hour == first_hour} == {4}, (
        "the first hour keeps the intervals of readings the next export no longer holds"
    )
    _assert_hourly_and_daily(build, exp)


@pytest.mark.parametrize("bad", sorted(BAD_SETS))
def test_bad_seeds_make_exactly_their_data_tests_fail(builds, bad):
    build = _get(builds, bad)
    assert build.ok("seed") and build.ok("run"), "the solution must still build on the bad rows"
    assert not build.ok("test")
    failed = {uid.split(".")[2] for uid, s in build.statuses("test").items() if s == "fail"}
    assert failed == BAD_SETS[bad]
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
    cheapest = build.query(
        "select *, round(cost / consumption_kwh, 3) as eur_per_kwh "
        "from fct_daily_household_cost order by eur_per_kwh limit 2"
    )
    assert [r[0] for r in cheapest] == ["H02", "H02"]
    first_day = build.query(
        "select consumption_kwh from fct_daily_household_cost where household_id = 'H02' order by consumption_date"
    )
    assert [round(float(r[0]) / float(first_day[0][0])) for r in first_day] == [1, 2, 2]


# ---------------------------------------------------------------- the starter

# Solution passes and bare starter fails every step: `lessons check` proves it (tests/test_lessons_check.py).


def test_starter_builds_green(builds):
    starter = _get(builds, "starter")
    assert starter.ok("build"), starter.describe("build")
    statuses = starter.statuses("build")
    assert sum(uid.startswith("model.") for uid in statuses) == len(SOLUTION_MODELS)
    assert set(statuses.values()) == {"success"}
    assert not any(uid.startswith(("test.", "unit_test.")) for uid in statuses), "the starter has no tests yet"
