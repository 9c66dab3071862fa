"""Jobs and results are plain, JSON-serialisable data.

They cross a process boundary today (server -> warm worker -> sandboxed job) and may cross a
task queue tomorrow, so they hold only strings, numbers, lists and dicts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

DBT_COMMANDS = ("seed", "run", "test", "build", "compile", "show", "snapshot")
QUERY_COMMANDS = ("query", "tables")
# grade_build: seed, snapshot, run, test on one parse (the grader's build), then its relations
# read back; relations: read back more relations of a build later.
GRADER_COMMANDS = ("grade_build", "relations")
COMMANDS = DBT_COMMANDS + QUERY_COMMANDS + GRADER_COMMANDS


class JobRejected(ValueError):
    """The request itself is invalid (unknown command, bad selector): nothing ran."""


@dataclass
class Job:
    learner_key: str
    lesson_id: str
    command: str
    select: str | None = None
    args: list[str] = field(default_factory=list)
    sql: str | None = None
    row_cap: int = 500
    # grade_build only: "save" keeps the warehouse right after `dbt seed` as seeded.duckdb (a
    # reference build); a seed fingerprint starts from the seeded.duckdb beside the warehouse
    # instead of `dbt seed`, when the project's seeds have that fingerprint.
    seeded: str | None = None
    # grade_build and relations: the relations of the schema main to read back (lower-case
    # names); None reads them all.
    relations: list[str] | None = None
    # grade_build: also run the project's tests (and unit tests); a grading that reads no test
    # result spares them.
    tests: bool = True
    # run, build, seed, snapshot and test: also read the rows the page shows after them, in this
    # same job (a failing test's rows, else the open model's when it was built, else the last
    # built node's), so a Run needs no second job. open_node: the model of the learner's open file.
    preview_rows: bool = False
    open_node: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class LearnerError:
    """An error pointed at the learner's own file and line (line 0 when unknown)."""

    message: str
    path: str | None = None
    line: int = 0
    node: str | None = None


@dataclass
class NodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str
    path: str | None = None
    execution_time: float = 0.0
    message: str = ""
    error: LearnerError | None = None
    failures: int | None = None  # rows a data test found (what `where`/severity change)


@dataclass
class Preview:
    """Rows of a query or `dbt show`: capped, with the total count when it is known."""

    columns: list[str]
    rows: list[list]
    total_rows: int
    truncated: bool


@dataclass
class JobResult:
    status: str  # success | failed (learner code) | timeout | error (platform) | rejected
    command: str
    elapsed_s: float = 0.0
    nodes: list[NodeResult] = field(default_factory=list)
    errors: list[LearnerError] = field(default_factory=list)
    warnings: list[LearnerError] = field(default_factory=list)  # what ran, but not as the learner meant
    logs: list[str] = field(default_factory=list)
    logs_truncated: bool = False
    preview: Preview | None = None
    preview_of: str = ""  # what the preview rows are of, when a run read them (Job.preview_rows)
    compiled: dict[str, str] = field(default_factory=dict)
    lineage: dict = field(default_factory=dict)
    tables: list[dict] = field(default_factory=list)
    seeded: str | None = None  # grade_build: the seed fingerprint it saved, or started from

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> JobResult:
        data = dict(data)
        data["nodes"] = [_node(n) for n in data.get("nodes", [])]
        data["errors"] = [LearnerError(**e) for e in data.get("errors", [])]
        data["warnings"] = [LearnerError(**e) for e in data.get("warnings", [])]
        if data.get("preview"):
            data["preview"] = Preview(**data["preview"])
        return cls(**data)


def _node(data: dict) -> NodeResult:
    data = dict(data)
    if data.get("error"):
        data["error"] = LearnerError(**data["error"])
    return NodeResult(**data)
