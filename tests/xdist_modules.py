"""How pytest-xdist shares the suite among its processes (`scripts/test` runs `-n auto`).

Each test module runs whole on one process, so its module-scoped fixtures (a lesson's real
builds) are made once; every module that drives the live app runs on one process, since they
share one app and one frontend build. pytest-xdist's own `loadgroup` cannot say this with the
pytest in use (it renames test ids, which pytest 9 no longer reads), so the grouping is a
scheduler of ours, by module, fed the collection order tests/conftest.py gives: the longest
groups first, so that the last one to finish is a short one.
"""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

TESTS = Path(__file__).resolve().parent
APP = "app"
# Measured on 2 cores (fresh-clone CI): the two long groups first, then the modules of 30 s and
# more, so that the process that finishes last ends on short modules, not on a 90 s one.
LONGEST_FIRST = (
    APP,
    "tests/test_lessons_check.py",
    "tests/test_sandbox_attacks.py",
    "tests/test_engine.py",
    "tests/test_cli.py",
    "tests/test_lesson_import.py",
    "tests/test_grader.py",
    "tests/test_grader_reuse.py",
    "tests/test_lesson_energy_smart.py",
)
# Modules that start apps of their own, on the port the session's app lends them (conftest
# SessionApp): an app on the same port serves the same frontend build (.web, wired to its port)
# instead of building it again. They run last in the app group, once no test needs the
# session's app any more (one that did would start it again).
OWN_APPS = ("tests/test_e2e_faults.py",)


def app_modules() -> frozenset[str]:
    """Test modules (as test ids begin) with tests of the live app (marked `app`)."""
    return frozenset(f"tests/{p.name}" for p in TESTS.glob("test_*.py") if "pytest.mark.app" in p.read_text())


def group_of(nodeid: str, apps: frozenset[str]) -> str:
    module = nodeid.split("::", 1)[0]
    return APP if module in apps else module


def rank(nodeid: str, apps: frozenset[str]) -> tuple[int, bool]:
    group = group_of(nodeid, apps)
    first = LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)
    return first, nodeid.split("::", 1)[0] in OWN_APPS


class ModuleScheduling(LoadScopeScheduling):
    """LoadScopeScheduling with our groups, in collection order (never re-sorted by size)."""

    def __init__(self, config, log=None):
        super().__init__(config, log)
        config.option.loadscopereorder = False
        self.apps = app_modules()

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid, self.apps)
