"""What the grader reuses to answer fast, and why it never hands back a stale verdict.

- Checking again without a change reads the same builds; any changed file builds anew.
- A learner's build starts from the reference's seeded warehouse only when its seeds load
  exactly the same way; a learner who configures a seed gets their own `dbt seed`.
- A reference is built once per version by the processes sharing its folder: the others load
  what the first recorded, and a folder another process reads is never removed under it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from decode_data.services.engine import Engine
from decode_data.services.grader import grade_step, grade_steps
from decode_data.services.grader.grade import VERDICT_PROOF, Mode, find_step, grade_with_builds
from decode_data.services.workspace import ensure_workspace, save_file
from tests.lesson_lab import write_lesson

LESSON = {
    "lesson.yml": """
        id: reuse_lab
        title: Reuse lab
        editable: ["models/*.sql", "models/*.yml"]
        steps:
          - id: totals
            title: Totals per customer
            instructions: Sum the orders per customer.
            checks:
              - {kind: relation, model: customer_totals}
              - {kind: tests_catch, model: customer_totals}
          - id: plain
            title: Totals again
            instructions: The same totals, read by a step that grades no test.
            checks:
              - {kind: relation, model: customer_totals}
    """,
    "seeds/raw_orders.csv": "id,customer_id,amount\n1,1,10.10\n2,1,5.20\n3,2,7.00\n",
    "seeds_variant/raw_orders.csv": "id,customer_id,amount\n1,4,3.30\n2,5,9.90\n3,5,0.10\n",
    "seeds_bad/raw_orders.csv": "id,customer_id,amount\n1,1,10.10\n2,,5.20\n",
    "starter/models/customer_totals.sql": "select 'replace me' as todo\n",
    "starter/models/schema.yml": "version: 2\n",
    "solution/models/customer_totals.sql": (
        "select customer_id, sum(amount) as total\nfrom {{ ref('raw_orders') }}\ngroup by customer_id\n"
    ),
    "solution/models/schema.yml": """
        version: 2
        models:
          - name: customer_totals
            columns:
              - name: customer_id
                data_tests: [not_null]
    """,
}
RIGHT = LESSON["solution/models/customer_totals.sql"]
WRONG = "select customer_id, max(amount) as total\nfrom {{ ref('raw_orders') }}\ngroup by customer_id\n"
SCHEMA = textwrap.dedent(LESSON["solution/models/schema.yml"]).lstrip()


@pytest.fixture
def lab(tmp_path):
    return write_lesson(tmp_path / "lessons" / "reuse_lab", LESSON)


@pytest.fixture
def own_references(monkeypatch, tmp_path):
    """References of this test's own (the session shares them: another test may have built this lab's)."""
    from decode_data.services.grader import builds

    monkeypatch.setattr(builds, "reference_root", lambda: tmp_path / "reference")
    return tmp_path / "reference"


@pytest.fixture
def grade_builds(engine, monkeypatch, own_references):
    """Counts the grade builds the engine runs (learners' and references')."""
    ran: list[str] = []
    submit = Engine.submit

    def counting(self, job, *args, **kwargs):
        if job.command == "grade_build":
            ran.append(job.learner_key)
        return submit(self, job, *args, **kwargs)

    monkeypatch.setattr(Engine, "submit", counting)
    return ran


def save(db_session, learner, lab, files: dict[str, str]) -> None:
    ensure_workspace(db_session, learner, lab)
    for path, text in files.items():
        save_file(db_session, learner, lab, path, text)


def test_checking_again_reuses_the_builds_but_a_changed_file_is_built_anew(
    engine, db_session, learner, lab, grade_builds
):
    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT, "models/schema.yml": SCHEMA})
    assert grade_step(db_session, learner, lab, "totals").passed
    first = len(grade_builds)
    assert first == 6  # the learner's and the reference's, on three seed sets

    assert grade_step(db_session, learner, lab, "totals").passed
    assert len(grade_builds) == first  # nothing changed: nothing built

    save(db_session, learner, lab, {"models/customer_totals.sql": WRONG})
    feedback = grade_step(db_session, learner, lab, "totals")
    assert not feedback.passed, "a verdict on the old files was handed back"
    assert feedback.first_failure.kind == "relation"
    assert len(grade_builds) == first + 3  # the learner's three builds, anew; the references are kept

    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT})
    assert grade_step(db_session, learner, lab, "totals").passed  # back to right: built again, passes
    assert len(grade_builds) == first + 6


def test_a_changed_test_or_seed_set_is_never_read_from_an_older_build(engine, db_session, learner, lab, grade_builds):
    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT, "models/schema.yml": SCHEMA})
    assert grade_step(db_session, learner, lab, "totals").passed

    # The learner's test disappears: their tests no longer catch the bad rows.
    save(db_session, learner, lab, {"models/schema.yml": "version: 2\n"})
    failure = grade_step(db_session, learner, lab, "totals").first_failure
    assert failure is not None and failure.kind == "tests_catch"

    # The lesson's bad rows change under the same files: that seed set is built anew.
    save(db_session, learner, lab, {"models/schema.yml": SCHEMA})
    assert grade_step(db_session, learner, lab, "totals").passed
    before = len(grade_builds)
    (lab.dir / "seeds_bad" / "raw_orders.csv").write_text("id,customer_id,amount\n1,1,10.10\n")
    failure = grade_step(db_session, learner, lab, "totals").first_failure
    assert failure is not None and failure.kind == "tests_catch"  # no bad row left to catch
    assert len(grade_builds) == before + 2  # the learner's and the reference's bad-data builds


def test_seeds_come_from_the_reference_only_when_they_load_the_same_way(engine, db_session, learner, lab):
    paths = ensure_workspace(db_session, learner, lab)
    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT, "models/schema.yml": SCHEMA})
    steps = [find_step(lab, "totals")]
    grade_with_builds(learner.warehouse_key, lab, paths.root, paths.project, steps)  # the references now exist

    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT + "-- changed\n"})
    feedbacks, grading = grade_with_builds(learner.warehouse_key, lab, paths.root, paths.project, steps)
    assert feedbacks[0].passed
    for seeds, made in grading.builds.items():
        reference = grading.references[seeds]
        assert made.result.seeded == reference.result.seeded is not None, seeds  # no `dbt seed` of its own
        seed_runs = [n for n in made.result.nodes if n.resource_type == "seed"]
        assert [(n.name, n.status) for n in seed_runs] == [("raw_orders", "success")]
        assert made.types("raw_orders")["amount"] == "DOUBLE"  # as `dbt seed` infers it

    # Seed configs of their own (a column type): the learner's seeds load differently.
    typed = SCHEMA + "seeds:\n  - name: raw_orders\n    config:\n      column_types: {amount: varchar}\n"
    save(db_session, learner, lab, {"models/schema.yml": typed})
    feedbacks, grading = grade_with_builds(learner.warehouse_key, lab, paths.root, paths.project, steps)
    made = grading.builds["seeds"]
    assert made.result.seeded is None
    assert made.types("raw_orders")["amount"] == "VARCHAR"
    assert [n.status for n in made.result.nodes if n.resource_type == "seed"] == ["success"]


def test_a_build_reads_back_what_the_checks_read_and_the_rest_when_asked(engine, db_session, learner, lab):
    paths = ensure_workspace(db_session, learner, lab)
    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT, "models/schema.yml": SCHEMA})
    feedbacks, grading = grade_with_builds(learner.warehouse_key, lab, paths.root, paths.project, [lab.steps[0]])
    assert feedbacks[0].passed
    main, bad = grading.builds["seeds"], grading.builds["seeds_bad"]
    assert not main.complete and set(main.relations) == {"customer_totals"}  # the relation check's model
    assert not bad.complete and bad.relations == {}  # tests_catch reads no rows
    assert grading.references["seeds"].complete  # a reference reads everything

    # A check that asks for another relation still gets it, read once from the same build: the
    # build's job left its changes in DuckDB's log beside the file, and the read takes them there.
    warehouse = main.paths["warehouse"]
    assert warehouse.with_name(warehouse.name + ".wal").is_file()
    assert main.table("raw_orders").rows and main.complete
    assert bad.types("raw_orders")["amount"] == "DOUBLE" and bad.complete
    assert main.table("no_such_model") is None


def test_a_step_that_reads_no_test_result_is_built_without_tests(engine, db_session, learner, lab, grade_builds):
    paths = ensure_workspace(db_session, learner, lab)
    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT, "models/schema.yml": SCHEMA})

    def grade(step_id: str):
        steps = [find_step(lab, step_id)]
        feedbacks, grading = grade_with_builds(learner.warehouse_key, lab, paths.root, paths.project, steps)
        assert feedbacks[0].passed, feedbacks[0].summary
        return grading.builds["seeds"]

    def tests_of(made) -> list[str]:
        return [n.status for n in made.result.nodes if n.resource_type == "test"]

    plain = grade("plain")
    assert not plain.tested and tests_of(plain) == []  # the relation check reads no test result

    # The same files for a step that reads the tests: the untested build cannot answer it.
    tested = grade("totals")
    assert tested is not plain and tested.tested and tests_of(tested) == ["pass"]

    # A tested build answers a step that needs no tests: nothing is built again.
    before = len(grade_builds)
    assert grade("plain") is tested and len(grade_builds) == before


def test_a_changed_lesson_gets_a_reference_of_its_own_and_the_old_one_goes(engine, tmp_path, own_references):
    """A reference is built once per version of the lesson, in its own folder: a cached build
    never reads the files of a newer version, and the older version's folder is removed."""
    from decode_data.services.grader import builds

    lab = write_lesson(tmp_path / "lessons" / "reuse_lab", LESSON)
    first = builds.reference_build(lab, "seeds")
    assert first.built and builds.reference_build(lab, "seeds") is first
    (own_references / "reuse_lab" / "seeds" / "left-over.duckdb").write_bytes(b"")  # an older layout's file

    (lab.solution_dir / "models" / "customer_totals.sql").write_text(RIGHT.replace("sum(amount)", "sum(amount) * 2"))
    second = builds.reference_build(lab, "seeds")
    assert second is not first and second.built
    assert second.table("customer_totals").rows != first.table("customer_totals").rows
    versions = sorted(p.name for p in (own_references / "reuse_lab" / "seeds").iterdir())
    assert versions == [Path(second.paths["root"]).name]


def test_a_proof_stops_at_the_first_failure_and_spares_what_only_later_checks_need(
    engine, db_session, learner, lab, grade_builds, tmp_path
):
    """A lesson proof reads the verdict and the first failure: the same as a learner's grading
    gives, without the bad-data builds that only the step's later check (tests_catch) needs."""
    paths = ensure_workspace(db_session, learner, lab)
    save(db_session, learner, lab, {"models/customer_totals.sql": WRONG, "models/schema.yml": SCHEMA})
    steps = [find_step(lab, "totals")]
    full, graded = grade_with_builds(learner.warehouse_key, lab, paths.root, paths.project, steps, Mode(eager=False))
    assert [c.kind for c in full[0].checks] == ["relation", "tests_catch"] and "seeds_bad" in graded.builds
    before = len(grade_builds)

    proof, proved = grade_with_builds(
        learner.warehouse_key, lab, tmp_path / "proof", paths.project, steps, VERDICT_PROOF
    )
    assert not proof[0].passed and proof[0].checks == full[0].checks[:1]
    assert proof[0].summary == full[0].summary and full[0].first_failure.kind == "relation"
    assert set(proved.builds) == {"seeds"} and len(grade_builds) == before + 1  # its own main build only

    # A step whose checks all pass is graded whole either way.
    save(db_session, learner, lab, {"models/customer_totals.sql": RIGHT})
    right, _ = grade_with_builds(learner.warehouse_key, lab, tmp_path / "proof", paths.project, steps, VERDICT_PROOF)
    assert right[0].passed and [c.kind for c in right[0].checks] == ["relation", "tests_catch"]


def test_verdicts_only_grading_gives_the_same_verdicts_from_fewer_builds(
    engine, db_session, learner, lab, grade_builds
):
    """What `lessons check` grades a starter with: whether each step passes, and what the
    learner reads first, the same as a full grading; only the builds the first failures read."""
    save(db_session, learner, lab, {"models/customer_totals.sql": WRONG, "models/schema.yml": SCHEMA})
    quick = grade_steps(db_session, learner, lab, mode=VERDICT_PROOF)
    assert len(grade_builds) == 2  # the learner's and the reference's on seeds/: both steps fail there
    full = grade_steps(db_session, learner, lab)
    assert [f.passed for f in quick] == [f.passed for f in full] == [False, False]
    assert [f.summary for f in quick] == [f.summary for f in full]
    assert len(grade_builds) == 2 + 4  # the full grading also builds seeds_variant/ and seeds_bad/


LOAD_IN_ANOTHER_PROCESS = """
import json, sys
from pathlib import Path
from decode_data.services import engine
from decode_data.services.grader.builds import reference_build
from decode_data.services.lessons import load_lesson

made = reference_build(load_lesson(Path(sys.argv[1])), "seeds")
print(json.dumps({
    "engine_started": engine._engine is not None,
    "root": str(made.paths["root"]),
    "rows": made.table("customer_totals").rows,
    "nodes": [[n.unique_id, n.status] for n in made.result.nodes],
    "seeded_file": str(made.seeded_file),
}))
"""


def _in_another_process(code: str, *args: str, references: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "DECODE_DATA_REFERENCE_DIR": str(references)}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, text=True, **kwargs)


def test_a_reference_another_process_built_is_loaded_not_built_again(lab, own_references, grade_builds):
    from decode_data.services.grader import builds

    built = builds.reference_build(lab, "seeds")
    assert built.built and grade_builds == ["reference_reuse_lab_seeds"]
    if os.geteuid() == 0:  # the lessons' solutions: a server running as root closes them to other users
        assert own_references.stat().st_mode & 0o077 == 0

    loader = _in_another_process(LOAD_IN_ANOTHER_PROCESS, str(lab.dir), references=own_references)
    loaded = json.loads(loader.communicate(timeout=120)[0])
    assert loaded["engine_started"] is False  # no dbt job: the build was read from its folder
    assert loaded["root"] == str(built.paths["root"]) and loaded["seeded_file"] == str(built.seeded_file)
    assert loaded["rows"] == built.table("customer_totals").rows
    assert loaded["nodes"] == [[n.unique_id, n.status] for n in built.result.nodes]


def test_a_recorded_reference_is_read_only_when_whole(tmp_path):
    from decode_data.services.engine import JobResult
    from decode_data.services.grader import reference_store

    folder = tmp_path / "version"
    folder.mkdir()
    (folder / "warehouse.duckdb").write_bytes(b"a warehouse")
    (folder / "seeded-f.duckdb").write_bytes(b"its seeds")
    result = JobResult(status="success", command="grade_build", seeded="f")
    reference_store.save(folder, result, {"t": {"columns": ["a"], "rows": [[1]]}}, folder / "seeded-f.duckdb")
    assert reference_store.load(folder) == (
        result,
        {"t": {"columns": ["a"], "rows": [[1]]}},
        folder / "seeded-f.duckdb",
    )

    record = folder / "build.json"
    whole = record.read_text()
    elsewhere = {**json.loads(whole), "seeded_file": "../version/seeded-f.duckdb"}  # exists, but by a path
    for broken in (
        whole[: len(whole) // 2],
        json.dumps({**json.loads(whole), "format": 0}),
        "[]",
        json.dumps(elsewhere),
    ):
        record.write_text(broken)
        assert reference_store.load(folder) is None, broken
    record.write_text(whole)
    (folder / "seeded-f.duckdb").unlink()  # a build lends its seeds: without them it is not whole
    assert reference_store.load(folder) is None
    (folder / "seeded-f.duckdb").write_bytes(b"its seeds")
    record.rename(folder / "elsewhere.json")
    record.symlink_to(folder / "elsewhere.json")
    assert reference_store.load(folder) is None


HOLD_IN_ANOTHER_PROCESS = """
import sys
from pathlib import Path
from decode_data.services.grader import reference_store

hold = reference_store.Hold(Path(sys.argv[1]))
with reference_store.building(Path(sys.argv[1])):
    print("holding", flush=True)
    sys.stdin.read()
"""


def test_a_version_another_process_holds_stays_and_a_killed_builder_blocks_no_one(tmp_path):
    import fcntl

    from decode_data.services.grader import reference_store

    folder = tmp_path / "lesson" / "seeds" / "version"
    holder = _in_another_process(HOLD_IN_ANOTHER_PROCESS, str(folder), references=tmp_path, stdin=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not reference_store.remove_unless_held(folder) and folder.is_dir()
        lock = os.open(folder / "build.lock", os.O_RDWR)
        with pytest.raises(BlockingIOError):  # a second builder waits for the first
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a killed builder leaves no lock behind
    os.close(lock)
    assert reference_store.remove_unless_held(folder) and not folder.exists()
    (folder.parent / "left-over.duckdb").write_bytes(b"")  # a file of an older layout
    assert reference_store.remove_unless_held(folder.parent / "left-over.duckdb")


def test_a_version_built_by_other_code_or_another_dbt_is_another_folder(monkeypatch):
    from decode_data.services.grader import reference_store

    now = reference_store.version_name("lesson-hash")
    monkeypatch.setattr(reference_store, "install_key", lambda: "another dbt")
    reference_store.code_key.cache_clear()
    try:
        assert reference_store.version_name("lesson-hash") != now
    finally:
        monkeypatch.undo()
        reference_store.code_key.cache_clear()
    assert reference_store.version_name("lesson-hash") == now
