"""The reference solution of an imported project, built by the grader's own sandboxed builds.

One scratch folder per seed set and one engine key per import: the main seeds must build with
every test, and each candidate seed variant is built the same way (import_variant).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from decode_data.services.authoring.import_configs import ServerProject
from decode_data.services.authoring.import_source import ImportFailed, write_files
from decode_data.services.grader.builds import Build, build


@dataclass(frozen=True)
class Reference:
    """Where the reference project lives and is built, for one import."""

    lesson_id: str
    scratch: Path
    project: Path

    @property
    def key(self) -> str:
        return f"import_{self.lesson_id}".replace("-", "_")

    def build(self, seed_dir: Path, seeds: str) -> Build:
        return build(self.key, self.lesson_id, self.scratch / f"build_{seed_dir.name}", self.project, seed_dir, seeds)


def write_reference(lesson_id: str, scratch: Path, project: ServerProject) -> tuple[Reference, Path]:
    """The reference project (the engine adds the server-owned files) and its seeds folder."""
    folder = write_files(scratch / "reference", {**project.project_files, **project.solution_sql})
    seeds = write_files(scratch / "seeds", {p[len("seeds/") :]: c for p, c in project.seed_files.items()})
    return Reference(lesson_id, scratch, folder), seeds


def build_main(reference: Reference, seeds_dir: Path) -> Build:
    """The reference on the project's own seeds; it must build and pass its tests."""
    main = reference.build(seeds_dir, "seeds")
    if not main.result.ok:
        raise ImportFailed("the project does not build (with its tests) the way the server runs it:\n" + errors(main))
    return main


def errors(made: Build) -> str:
    """The first few build errors, one line each, for an author."""
    found = made.result.errors[:5]
    if not found:
        return "  (no error message: the build did not succeed)"
    return "\n".join(
        f"  {e.path + ': ' if e.path else ''}{e.message.splitlines()[0] if e.message else ''}" for e in found
    )
