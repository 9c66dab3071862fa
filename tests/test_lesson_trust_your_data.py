"""The trust_your_data lesson, proven with real dbt builds.

Structure: the lesson loads, follows the authoring rules of dbt_template/README.md, and its seed
generator rewrites every seed set byte for byte (tests/test_lessons_catalog.py).
Behaviour: starter + solution is laid into a learner-shaped project and built with `dbt seed`,
`snapshot`, `run`, `test` (the grader's sequence; each one a job of the session's warm engine,
tests/engine_builds.py) on every seed set. The numbers are asserted against a computation in
Python straight from the CSV files. Each step that grades tests has its own bad seed set,
seeds_bad_<step>/: on it exactly that step's tests fail (and no test of an earlier step), so
"your tests catch the bad rows" cannot pass on a test the learner wrote before. That the
solution passes every step (on seeds and seeds_variant), the bare starter fails each and every
wrong answer in wrong_answers/ fails with its phrase is what `lessons check` proves with the
real grader (tests/test_lessons_check.py).
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path, PurePosixPath

import pytest

from decode_data.services.lessons import load_lesson
from decode_data.settings import REPO_ROOT
from tests.engine_builds import Build, new_build

LESSON_ID = "trust_your_data"
LESSON_DIR = REPO_ROOT / "dbt_template" / LESSON_ID
GRADE_SEQUENCE = ("seed", "snapshot", "run", "test")
BAD_SETS = (
    "seeds_bad_builtin",
    "seeds_bad_relationships",
    "seeds_bad_real_bug",
    "seeds_bad_where",
    "seeds_bad_channel",
    "seeds_bad_singular",
    "seeds_bad_generic",
)
SEED_SETS = ("seeds", "seeds_variant", *BAD_SETS)
SERVER_OWNED = {"dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml"}
FAILED = ("fail", "error", "runtime error")


# ---------------------------------------------------------------- building projects

# The lesson has no snapshots: `dbt snapshot` (a no-op) runs where the test asserts the whole
# sequence is green. On the bad sets, where only which tests fail matters, the seeds and models
# are built, then every test runs (a failing test must not skip anything downstream).
SEED_AND_RUN_THEN_TEST = ("seed", "run", "test")
BUILDS = {  # name -> (layers, seed set, commands)
    "solution": (["starter", "solution"], "seeds", GRADE_SEQUENCE),
    "solution_variant": (["starter", "solution"], "seeds_variant", GRADE_SEQUENCE),
    "starter": (["starter"], "seeds", GRADE_SEQUENCE),
    **{bad: (["starter", "solution"], bad, SEED_AND_RUN_THEN_TEST) for bad in BAD_SETS},
}


@pytest.fixture(scope="module")
def builds(engine, tmp_path_factory) -> dict[str, Build]:
    """Every build, each a chain of engine jobs, two at a time (the engine's two workers)."""

    def one(name):
        layers, seeds, commands = BUILDS[name]
        build = new_build(engine, tmp_path_factory.mktemp(name), LESSON_DIR, layers, seeds)
        for command in commands:
            build.dbt(command)
        return name, build

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, BUILDS))


# ---------------------------------------------------------------- the seeds, in Python


def _read(seeds: str, name: str) -> list[dict]:
    with (LESSON_DIR / seeds / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ts(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None


def newest_tickets(seeds: str) -> dict[int, dict]:
    """The newest copy of each ticket, as staging must keep it."""
    newest: dict[int, dict] = {}
    for row in _read(seeds, "raw_tickets.csv"):
        tid = int(row["ticket_id"])
        if tid not in newest or _ts(row["updated_at"]) > _ts(newest[tid]["updated_at"]):
            newest[tid] = row
    return newest


def expected_scorecard(seeds: str) -> dict[int, tuple]:
    tickets = newest_tickets(seeds).values()
    card = {}
    for agent in _read(seeds, "raw_agents.csv"):
        mine = [t for t in tickets if t["agent_id"] == agent["agent_id"]]
        minutes = [
            (_ts(t["first_response_at"]) - _ts(t["opened_at"])).total_seconds() / 60
            for t in mine
            if t["first_response_at"]
        ]
        scores = [int(t["csat_score"]) for t in mine if t["csat_score"]]
        card[int(agent["agent_id"])] = (
            agent["agent_name"],
            agent["team"].lower(),
            len(mine),
            sum(1 for t in mine if t["status"].lower() in ("solved", "closed")),
            sum(minutes) / len(minutes) if minutes else None,
            sum(scores) / len(scores) if scores else None,
        )
    return card


# ---------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def lesson():
    return load_lesson(LESSON_DIR)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_lesson_specifics(lesson):
    """The rules every lesson follows are in tests/test_lessons_catalog.py; these are this lesson's."""
    assert lesson.id == LESSON_ID and lesson.level == "intermediate"
    assert 4 <= len(lesson.steps) <= 8 and lesson.quiz, "a quiz closes this lesson"
    for step in lesson.steps:
        for check in step.checks:
            assert check.get("message"), (step.id, check)
            assert "name" not in check, "README check kinds name the model with `model:`"


def test_files_follow_the_authoring_rules(lesson):
    assert {p.name for p in LESSON_DIR.iterdir()} == {
        "lesson.yml",
        "steps",
        "starter",
        "solution",
        "tools",
        "wrong_answers",
        *SEED_SETS,
    }
    starter, solution = _files(lesson.starter_dir), _files(lesson.solution_dir)
    assert set(solution) <= set(starter), "the starter has a placeholder for every solution file"
    for rel in starter + solution:
        assert PurePosixPath(rel).name not in SERVER_OWNED and not rel.endswith(".py"), rel
        assert lesson.is_editable(rel), rel
    for seeds in SEED_SETS:
        for rel in _files(LESSON_DIR / seeds):
            assert not lesson.is_editable(f"seeds/{rel}"), rel
    for rel in ("dbt_project.yml", "profiles.yml", "packages.yml"):
        assert not lesson.is_editable(rel)
    for rel in solution:
        text = (lesson.solution_dir / rel).read_text(encoding="utf-8")
        assert "main." not in text, f"{rel} must not hard-code a schema"
        if rel.startswith("models/") and rel.endswith(".sql") or rel == "tests/assert_solved_after_opened.sql":
            assert "{{ ref(" in text, f"{rel} must read its inputs with ref()"


def test_seed_sets_have_the_same_files_and_columns():
    names = _files(LESSON_DIR / "seeds")
    assert names == ["raw_agents.csv", "raw_tickets.csv"]
    for seeds in SEED_SETS[1:]:
        assert _files(LESSON_DIR / seeds) == names
        for name in names:
            header = (LESSON_DIR / seeds / name).read_text().splitlines()[0]
            assert header == (LESSON_DIR / "seeds" / name).read_text().splitlines()[0]
    assert (LESSON_DIR / "seeds_variant/raw_tickets.csv").read_bytes() != (
        LESSON_DIR / "seeds/raw_tickets.csv"
    ).read_bytes()
    tickets = _read("seeds", "raw_tickets.csv")
    assert len(_read("seeds", "raw_agents.csv")) == 8 and len(tickets) == 70
    assert len({t["ticket_id"] for t in tickets}) == 64, "six tickets are exported twice"
    older = [t for t in tickets if sum(u["ticket_id"] == t["ticket_id"] for u in tickets) == 2 and not t["solved_at"]]
    assert {t["status"].lower() for t in older} == {"open", "pending"}, "older copies differ in status"
    for name, column in (
        ("raw_tickets.csv", "ticket_id"),
        ("raw_tickets.csv", "agent_id"),
        ("raw_agents.csv", "agent_id"),
    ):
        main = {r[column] for r in _read("seeds", name)} - {""}
        variant = {r[column] for r in _read("seeds_variant", name)} - {""}
        assert not main & variant, f"a {column} typed in from seeds/ must not exist in seeds_variant/"


def test_each_bad_set_is_the_lesson_data_plus_a_few_rows():
    for bad in BAD_SETS:
        for name in ("raw_agents.csv", "raw_tickets.csv"):
            good, rows = _read("seeds", name), _read(bad, name)
            assert rows[: len(good)] == good and 0 <= len(rows) - len(good) <= 3, (bad, name)


# ---------------------------------------------------------------- real dbt builds


@pytest.mark.parametrize("name", ["solution", "solution_variant", "starter"])
def test_builds_green(builds, name):
    b = builds[name]
    for command in GRADE_SEQUENCE:
        assert b.ok(command), b.describe(command)
    tests = b.statuses("test")
    assert all(status == "pass" for status in tests.values()), tests
    if name != "starter":
        assert tests, "the solution's tests ran"


@pytest.mark.parametrize("name,seeds", [("solution", "seeds"), ("solution_variant", "seeds_variant")])
def test_solution_numbers_match_the_seeds(builds, name, seeds):
    b = builds[name]
    newest = newest_tickets(seeds)
    assert b.query("select count(*), count(distinct ticket_id) from stg_tickets")[0] == (len(newest), len(newest))
    statuses = dict(b.query("select ticket_id, status from stg_tickets"))
    assert statuses == {tid: row["status"].lower() for tid, row in newest.items()}
    rows = b.query(
        "select agent_id, agent_name, team, tickets_assigned, tickets_solved, "
        "avg_first_response_minutes, avg_csat_score from agent_scorecard order by agent_id"
    )
    expected = expected_scorecard(seeds)
    assert [r[0] for r in rows] == sorted(expected)
    for agent_id, *actual in rows:
        name_, team, assigned, solved, minutes, csat = expected[agent_id]
        assert actual[:4] == [name_, team, assigned, solved], agent_id
        for got, want, places in ((actual[4], minutes, 1), (actual[5], csat, 2)):
            assert (got is None) == (want is None), agent_id
            if want is not None:
                assert abs(got - want) <= 0.5 * 10**-places + 1e-9, (agent_id, got, want)
    assert expected[max(expected)][2] == 0, "the newest agent has no tickets"


ACCEPTED_STATUS = "accepted_values_stg_tickets_status__open__pending__solved__closed"
ACCEPTED_PRIORITY = "accepted_values_stg_tickets_priority__low__normal__high__urgent"
ACCEPTED_CHANNEL = "accepted_values_stg_tickets_channel__email__chat__phone"
RELATIONSHIPS = "relationships_stg_tickets_agent_id__agent_id__ref_stg_agents_"
# The tests of each step (step 6 adds the scorecard's agent_id tests).
STEP_TESTS = {
    "builtin_tests": {
        "unique_stg_agents_agent_id",
        "not_null_stg_agents_agent_id",
        ACCEPTED_STATUS,
        ACCEPTED_PRIORITY,
        RELATIONSHIPS,
    },
    "a_real_bug": {"unique_stg_tickets_ticket_id", "not_null_stg_tickets_ticket_id"},
    "where_and_severity": {"not_null_stg_tickets_solved_at", ACCEPTED_CHANNEL},
    "singular_test": {"assert_solved_after_opened"},
    "custom_generic_test": {
        "positive_stg_tickets_first_response_minutes",
        "positive_agent_scorecard_avg_first_response_minutes",
    },
    "documentation": {"unique_agent_scorecard_agent_id", "not_null_agent_scorecard_agent_id"},
}
# seed set -> (its step, the tests that fail there, the tests that warn there)
BAD_OUTCOMES = {
    "seeds_bad_builtin": (
        "builtin_tests",
        {
            "unique_stg_agents_agent_id",
            "not_null_stg_agents_agent_id",
            ACCEPTED_STATUS,
            ACCEPTED_PRIORITY,
            # the agent imported twice and the one without an id, again, downstream (step 6's tests)
            "unique_agent_scorecard_agent_id",
            "not_null_agent_scorecard_agent_id",
        },
        set(),
    ),
    "seeds_bad_relationships": ("builtin_tests", {RELATIONSHIPS}, set()),
    "seeds_bad_real_bug": ("a_real_bug", {"not_null_stg_tickets_ticket_id"}, set()),
    "seeds_bad_where": ("where_and_severity", {"not_null_stg_tickets_solved_at"}, set()),
    "seeds_bad_channel": ("where_and_severity", set(), {ACCEPTED_CHANNEL}),
    "seeds_bad_singular": ("singular_test", {"assert_solved_after_opened"}, set()),
    "seeds_bad_generic": (
        "custom_generic_test",
        {"positive_stg_tickets_first_response_minutes", "positive_agent_scorecard_avg_first_response_minutes"},
        set(),
    ),
}


def test_the_step_tests_are_the_solution_tests(builds):
    names = {n["name"] for n in builds["solution"].graph.values() if n["resource_type"] == "test"}
    assert names == set().union(*STEP_TESTS.values())


@pytest.mark.parametrize("seeds", BAD_SETS)
def test_only_the_step_tests_catch_its_bad_rows(builds, seeds):
    """On a step's bad set the solution's tests fail exactly as intended, and no test of an
    earlier step fails: the step's `tests_catch` sees only the tests the learner adds in it."""
    b = builds[seeds]
    assert b.ok("seed") and b.ok("run"), b.describe("run")
    by_name = b.names("test")
    step, failing, warning = BAD_OUTCOMES[seeds]
    assert {name for name, status in by_name.items() if status in FAILED} == failing
    assert {name for name, status in by_name.items() if status == "warn"} == warning
    steps = list(STEP_TESTS)
    earlier = set().union(*(STEP_TESTS[s] for s in steps[: steps.index(step)]))
    assert not failing & earlier, f"{seeds}: a test of an earlier step already fails there"
    assert failing & STEP_TESTS[step] or warning & STEP_TESTS[step], seeds
    if seeds == "seeds_bad_singular":
        stored = b.query("select ticket_id from main_dbt_test__audit.assert_solved_after_opened order by 1")
        assert stored == [(9401,), (9403,)], "the ticket closed the minute it was opened is not flagged"


# Solution passes and bare starter fails every step: `lessons check` proves it (tests/test_lessons_check.py).
