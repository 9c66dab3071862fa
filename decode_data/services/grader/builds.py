"""Builds the grader looks at: the learner's project and the reference solution, per seed set.

Each build happens in its own folder on a fresh warehouse, so grading never touches the
learner's own warehouse and every attempt starts from the same state. A learner build lives
under the learner's job root (the sandbox lets the job write only there); the reference
builds are shared by everyone taking the lesson and rebuilt when the lesson's files change.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from decode_data.services.engine import Job, JobResult, get_engine, keep_data_private
from decode_data.services.engine.dbt_job import SAVE_SEEDED, seeded_path
from decode_data.services.engine.jobs import NodeResult
from decode_data.services.engine.project_files import SERVER_OWNED
from decode_data.services.grader import reference_store
from decode_data.services.grader.compare import Table
from decode_data.services.lessons import Lesson
from decode_data.services.workspace import FULL_PARSE_DIRS, forget_partial_parse
from decode_data.settings import get_settings

GRADE_ROW_CAP = 20_000
MAIN_SEEDS = "seeds"  # the seed set a learner has in their own warehouse
COPIED_DIRS = ("models", "macros", "tests", "snapshots", "analyses")
_reference_locks: dict[tuple, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass
class Build:
    """One project built on one seed set, with the relations it produced (read in the same job)."""

    key: str  # lock key of the owner (learner or reference)
    seeds: str
    paths: dict
    result: JobResult
    relations: dict[str, dict] = field(default_factory=dict)  # lower-case name -> dumped relation
    answers: dict[str, Table | None] = field(default_factory=dict)  # expected_sql -> its rows
    seeded_file: Path | None = None  # a reference's warehouse right after `dbt seed`
    complete: bool = True  # relations hold every relation (else the others are read when asked for)
    tested: bool = True  # its tests ran (a grading that reads no test result spares them)
    asked: frozenset[str] = frozenset()  # what an incomplete build read back: absent ones do not exist
    reading: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def built(self) -> bool:
        """Every model, seed and snapshot built (tests may fail: bad seed sets are made for that)."""
        return bool(self.result.lineage) and not any(
            n.status in ("error", "runtime error", "skipped")
            for n in self.result.nodes
            if n.resource_type in ("model", "seed", "snapshot")
        )

    def node(self, name: str) -> dict | None:
        for uid, node in self.result.lineage.get("nodes", {}).items():
            if node["name"] == name and node["resource_type"] in ("model", "seed", "snapshot"):
                return {"unique_id": uid, **node}
        return None

    def node_result(self, unique_id: str) -> NodeResult | None:
        return next((n for n in self.result.nodes if n.unique_id == unique_id), None)

    def node_status(self, unique_id: str) -> str | None:
        found = self.node_result(unique_id)
        return found.status if found else None

    def relation(self, name: str) -> dict | None:
        """A built relation as dumped (columns, rows, types, or its read error); a build that
        read back only some relations reads the others, once, the first time one is asked for."""
        if name.lower() not in self.relations and name.lower() not in self.asked and not self.complete:
            self._read_the_rest()
        return self.relations.get(name.lower())

    def _read_the_rest(self) -> None:
        with self.reading:
            if self.complete:
                return
            job = Job(learner_key=self.key, lesson_id="grading", command="relations", row_cap=GRADE_ROW_CAP)
            found = get_engine().submit(job, self.paths)
            if found.ok:  # else asked again next time
                self.relations = {t["name"].lower(): t for t in found.tables if t["schema"] == "main"}
                self.complete = True

    def table(self, name: str) -> Table | None:
        entry = self.relation(name)
        if entry is None or entry.get("error"):
            return None
        return Table(columns=entry["columns"], rows=entry["rows"])

    def types(self, name: str) -> dict[str, str]:
        """Column name (lower-case) -> the database type of a built relation."""
        entry = self.relation(name) or {}
        return {k.lower(): v for k, v in (entry.get("types") or {}).items()}

    def read_error(self, name: str) -> str | None:
        """The database's error when the relation exists but fails when read (a broken view)."""
        return (self.relation(name) or {}).get("error")

    def expected(self, sql: str) -> Table | None:
        """What a step expects when its model changes again later: the author's SQL on this build
        (run once per reference build, then remembered)."""
        if sql not in self.answers:
            found = self.query(sql)
            self.answers[sql] = (
                Table(columns=found.preview.columns, rows=found.preview.rows) if found.ok and found.preview else None
            )
        return self.answers[sql]

    def query(self, sql: str) -> JobResult:
        job = Job(learner_key=self.key, lesson_id="grading", command="query", sql=sql, row_cap=GRADE_ROW_CAP)
        return get_engine().submit(job, self.paths, timeout_s=get_settings().query_timeout_s)


def _not_copied(directory: str, names: list[str]) -> set[str]:
    """Server-owned files, Python, and every symlink: the copy runs with the server's rights."""
    skip = set(shutil.ignore_patterns(*SERVER_OWNED, "*.py")(directory, names))
    return skip | {n for n in names if os.path.islink(os.path.join(directory, n))}


def _mirror(src: Path, dst: Path) -> bool:
    """Make dst hold exactly src's files, rewriting only the files whose bytes differ.

    dbt's partial parsing trusts a file's modification time: a copy that keeps an older
    file's time (copy2) can make it reuse a stale YAML. Unchanged files keep theirs (so
    parsing stays partial); every changed file gets a fresh one. True when anything changed."""
    wanted: set[Path] = set()
    changed = False
    for directory, names, files in os.walk(src):
        here = Path(directory)
        skipped = _not_copied(directory, names + files)
        names[:] = [n for n in names if n not in skipped]
        for name in (f for f in files if f not in skipped):
            source, target = here / name, dst / (here / name).relative_to(src)
            wanted.add(target)
            data = source.read_bytes()
            if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            target.write_bytes(data)
            changed = True
    for directory, _names, files in os.walk(dst, topdown=False):
        for name in files:
            if Path(directory) / name not in wanted:
                (Path(directory) / name).unlink()
                changed = True
        if not os.listdir(directory) and Path(directory) != dst:
            os.rmdir(directory)
    return changed


def _sync_tree(src: Path, dst: Path) -> None:
    """Make dst/<dir> mirror src/<dir> for the project's source folders; keep dst/target."""
    for name in COPIED_DIRS:
        if (src / name).is_dir():
            changed = _mirror(src / name, dst / name)
        else:
            changed = (dst / name).exists()
            shutil.rmtree(dst / name, ignore_errors=True)
        if changed and f"{name}/".startswith(FULL_PARSE_DIRS):
            forget_partial_parse(dst)


def snapshot_project(project: Path, dest: Path) -> Path:
    """The learner's sources as they are now, for every build of one grade (the caller holds
    the learner's lock). Unchanged files keep their time, so the builds still parse partially."""
    dest.mkdir(parents=True, exist_ok=True)
    _sync_tree(project, dest)
    return dest


def next_state(seed_dir: Path) -> Path:
    """`seeds_next/` beside `seeds/`: the data of the day after, for snapshots and incrementals."""
    return seed_dir.with_name(seed_dir.name + "_next")


def _place_seeds(seed_dir: Path, project: Path) -> None:
    for name, source in (("seeds", seed_dir), ("seeds_next", next_state(seed_dir))):
        shutil.rmtree(project / name, ignore_errors=True)
        if source.is_dir():
            shutil.copytree(source, project / name)


def build(
    key: str,
    lesson_id: str,
    root: Path,
    source_project: Path,
    seed_dir: Path,
    seeds: str,
    overlay: dict[str, str] | None = None,
    seeded_from: Build | None = None,
    save_seeded: bool = False,
    reuse: bool = False,
    relations: list[str] | None = None,
    tests: bool = True,
) -> Build:
    """Copy a project's sources next to a seed set and build it on a fresh warehouse.

    `overlay` replaces some files of the copy (the lesson's broken version of a model, which
    the learner's tests must catch); paths come from the lesson, never from the learner.
    `seeded_from` (the reference on the same seed set) lends its seeded warehouse: the job
    starts from a copy instead of `dbt seed` when the project's seeds load exactly the same
    way (same seed configs, CSV bytes and project macros), and runs `dbt seed` otherwise.
    `save_seeded` (a reference build) keeps such a warehouse. `reuse` hands back this
    folder's last build when nothing it was built from has changed since (see _Kept).
    `relations` names the relations to read back with the build (None: all of them); any other
    is read when a check asks for it. `tests` False leaves the project's tests out."""
    inputs = build_inputs(source_project, seed_dir, overlay) if reuse else None
    if inputs is not None and (kept := _kept.get(root, inputs)) is not None and (kept.tested or not tests):
        return kept
    made = _build(
        key, lesson_id, root, source_project, seed_dir, seeds, overlay, seeded_from, save_seeded, relations, tests
    )
    if inputs is not None:
        _kept.put(root, inputs, made)
    return made


def _build(
    key: str,
    lesson_id: str,
    root: Path,
    source_project: Path,
    seed_dir: Path,
    seeds: str,
    overlay: dict[str, str] | None,
    seeded_from: Build | None,
    save_seeded: bool,
    relations: list[str] | None,
    tests: bool,
) -> Build:
    paths = build_paths(root)
    project, warehouse = paths["project"], paths["warehouse"]
    project.mkdir(parents=True, exist_ok=True)
    _sync_tree(source_project, project)
    for rel, text in (overlay or {}).items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _place_seeds(seed_dir, project)
    for stale in (warehouse, root / "warehouse.duckdb.wal", seeded_path(warehouse)):
        stale.unlink(missing_ok=True)
    lent = _lend_seeded(seeded_from, warehouse)
    job = Job(
        learner_key=key,
        lesson_id=lesson_id,
        command="grade_build",
        row_cap=GRADE_ROW_CAP,
        seeded=SAVE_SEEDED if save_seeded else lent,
        relations=relations,
        tests=tests,
    )
    result = get_engine().submit(job, paths)
    read = {t["name"].lower(): t for t in result.tables if t["schema"] == "main"}
    result.tables = []  # held once, in relations
    ran = result.status in ("success", "failed")  # the job read its relations back
    made = Build(
        key=key,
        seeds=seeds,
        paths=paths,
        result=result,
        relations=read,
        complete=relations is None,
        tested=tests,
        asked=frozenset(n.lower() for n in relations or ()) if ran else frozenset(),
    )
    if save_seeded:
        made.seeded_file = _keep_seeded(root, warehouse, result.seeded)
    elif lent and result.seeded == lent:
        _add_seed_results(result, seeded_from.result)
    seeded_path(warehouse).unlink(missing_ok=True)
    return made


def build_paths(root: Path) -> dict:
    """A build folder's layout, as its job and the grader see it."""
    return {"root": root, "project": root / "project", "warehouse": root / "warehouse.duckdb"}


def build_inputs(source_project: Path, seed_dir: Path, overlay: dict[str, str] | None) -> str:
    """A hash of everything a build is made from: the project's files as the build folder gets
    them (the same walk and filter as _mirror), the overlay, and both seed states. The
    server-owned files come from code, which does not change while the process lives."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    for name in COPIED_DIRS:
        for directory, names, files in os.walk(source_project / name):
            skipped = _not_copied(directory, names + files)
            names[:] = sorted(n for n in names if n not in skipped)
            for file in sorted(f for f in files if f not in skipped):
                path = Path(directory) / file
                add(f"project/{path.relative_to(source_project).as_posix()}", path.read_bytes())
    for rel, text in sorted((overlay or {}).items()):
        add(f"overlay/{rel}", text.encode())
    for label, base in (("seeds", seed_dir), ("seeds_next", next_state(seed_dir))):
        for path in sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []:
            add(f"{label}/{path.relative_to(base).as_posix()}", path.read_bytes())
    return digest.hexdigest()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns


class _Kept:
    """The last learner builds, one per build folder, with the hash of what each was built from.

    Checking again without a change (or checking another step on the same files) reads the
    same builds instead of redoing them. A build is handed back only when its inputs hash the
    same and its warehouse file is untouched since (size and time), so a changed file, seed
    set or broken version always builds anew. Only builds that ran to their end are kept: a
    timeout or a platform error is tried again. In memory, per process; the oldest go first
    (a lesson's relations are small, and 32 builds cover 8 learners checking at once)."""

    LIMIT = 32

    def __init__(self):
        self.builds: OrderedDict[Path, tuple[str, tuple[int, int] | None, Build]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, root: Path, inputs: str) -> Build | None:
        with self.lock:
            entry = self.builds.get(root)
            if entry is None or entry[0] != inputs or entry[1] != _stat(entry[2].paths["warehouse"]):
                return None
            self.builds.move_to_end(root)
            return entry[2]

    def put(self, root: Path, inputs: str, made: Build) -> None:
        with self.lock:
            self.builds.pop(root, None)
            if made.result.status in ("success", "failed"):
                self.builds[root] = (inputs, _stat(made.paths["warehouse"]), made)
            while len(self.builds) > self.LIMIT:
                self.builds.popitem(last=False)


_kept = _Kept()


def _lend_seeded(reference: Build | None, warehouse: Path) -> str | None:
    """Put a copy of the reference's seeded warehouse beside a build's; its fingerprint."""
    if reference is None or reference.seeded_file is None or not reference.result.seeded:
        return None
    try:
        shutil.copyfile(reference.seeded_file, seeded_path(warehouse))
    except OSError:  # the lesson changed meanwhile and its reference kept a new one
        return None
    return reference.result.seeded


def _keep_seeded(root: Path, warehouse: Path, fingerprint: str | None) -> Path | None:
    """A reference's seeded warehouse, under a name of its own that is never rewritten (a
    learner's build may be copying an older one)."""
    fresh = seeded_path(warehouse)
    if not fingerprint or not fresh.is_file():
        return None
    kept = root / f"seeded-{fingerprint}.duckdb"
    os.replace(fresh, kept)
    for old in root.glob("seeded-*.duckdb"):
        if old != kept:
            old.unlink(missing_ok=True)
    return kept


def _add_seed_results(result: JobResult, reference: JobResult) -> None:
    """A build that started from the reference's seeded warehouse did not run `dbt seed`:
    its seeds' results are the reference's (the same seeds, loaded the same way)."""
    ran = {n.unique_id for n in result.nodes}
    seeds = [copy.deepcopy(n) for n in reference.nodes if n.resource_type == "seed" and n.unique_id not in ran]
    result.nodes = seeds + result.nodes


def lesson_hash(lesson: Lesson, seed_dir: Path) -> str:
    digest = hashlib.sha256()
    for base in (lesson.starter_dir, lesson.solution_dir, seed_dir, next_state(seed_dir)):
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(lesson.dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reference_project(lesson: Lesson, dest: Path) -> Path:
    """starter/ with solution/ laid over it: the reference solution's project."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(lesson.starter_dir, dest)
    if lesson.solution_dir.is_dir():
        shutil.copytree(lesson.solution_dir, dest, dirs_exist_ok=True)
    return dest


_reference_cache: dict[tuple[str, str, str, str], Build] = {}
_reference_holds: dict[tuple[str, str, str, str], reference_store.Hold] = {}


def reference_root() -> Path:
    """Where the reference builds live: every process of one machine that shares it builds each
    version once (reference_store.py)."""
    return get_settings().reference_dir


def _reference_key(lesson: Lesson, seeds: str) -> tuple[str, str, str, str]:
    version = reference_store.version_name(lesson_hash(lesson, lesson.dir / seeds))
    return (str(reference_root()), lesson.id, seeds, version)


def _forget_other_versions(key: tuple[str, str, str, str]) -> None:
    """A lesson that changed leaves its older reference builds behind: drop them, and their
    folders unless another process still reads one (a learner build still copying from one
    falls back to `dbt seed`)."""
    root, lesson_id, seeds, current = key
    for old in [k for k in _reference_cache if k[:3] == key[:3] and k[3] != current]:
        del _reference_cache[old]
        if (hold := _reference_holds.pop(old, None)) is not None:
            hold.release()
    for found in (Path(root) / lesson_id / seeds).glob("*"):
        if found.name != current:
            reference_store.remove_unless_held(found)


def reference_build(lesson: Lesson, seeds: str) -> Build:
    """The reference solution built on a seed set, shared and cached until the lesson changes:
    built by the first process that needs it, loaded from its folder by the others."""
    cache_key = _reference_key(lesson, seeds)
    with _locks_guard:
        lock = _reference_locks.setdefault((lesson.id, seeds), threading.Lock())
    with lock:
        cached = _reference_cache.get(cache_key)
        if cached is not None and cached.built:
            return cached
        _forget_other_versions(cache_key)
        # One folder per version of the lesson: a cached build never reads a newer one's files.
        root = Path(cache_key[0]) / lesson.id / seeds / cache_key[3]
        if cache_key not in _reference_holds:
            keep_data_private(Path(cache_key[0]))  # lesson solutions: not for the machine's other users
            _reference_holds[cache_key] = reference_store.Hold(root)
        key = f"reference_{lesson.id}_{seeds}"
        with reference_store.building(root):
            made = _kept_reference(key, root, seeds)
            if made is None:
                source = reference_project(lesson, root / "source")
                made = build(key, lesson.id, root, source, lesson.dir / seeds, seeds, save_seeded=True)
                if made.built:
                    reference_store.save(root, made.result, made.relations, made.seeded_file)
        _reference_cache[cache_key] = made
        return made


def _kept_reference(key: str, root: Path, seeds: str) -> Build | None:
    """The version another process (or this one, before a restart) built, as it recorded it."""
    found = reference_store.load(root)
    if found is None:
        return None
    result, relations, seeded_file = found
    return Build(
        key=key, seeds=seeds, paths=build_paths(root), result=result, relations=relations, seeded_file=seeded_file
    )


def built_reference(lesson: Lesson, seeds: str) -> Build | None:
    """The reference on a seed set if it is already built for the lesson as it is now, without
    waiting for it (a learner's build can start from its seeded warehouse)."""
    cached = _reference_cache.get(_reference_key(lesson, seeds))
    return cached if cached is not None and cached.built else None
