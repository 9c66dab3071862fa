"""scripts/start and the browser tests leave the tracked reflex.lock/package.json as committed."""

from __future__ import annotations

import json

from decode_data.harness.frontend_lock import BUILT, TRACKED, align_built_package_json

PACKAGE = {"name": "reflex", "dependencies": {"react": "19.3.1"}}


def _write(root, tracked: str, built: str) -> None:
    for rel, text in ((TRACKED, tracked), (BUILT, built)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_same_content_in_another_layout_gets_the_tracked_bytes(tmp_path):
    _write(tmp_path, json.dumps(PACKAGE), json.dumps(PACKAGE, indent=2) + "\n")
    assert align_built_package_json(tmp_path)
    assert (tmp_path / BUILT).read_bytes() == (tmp_path / TRACKED).read_bytes()
    assert not align_built_package_json(tmp_path)  # nothing left to do


def test_a_real_dependency_change_is_left_alone(tmp_path):
    changed = {**PACKAGE, "dependencies": {"react": "19.3.1", "recharts": "3.10.1"}}
    _write(tmp_path, json.dumps(PACKAGE), json.dumps(changed, indent=2))
    assert not align_built_package_json(tmp_path)
    assert json.loads((tmp_path / BUILT).read_text()) == changed


def test_missing_or_broken_files_are_left_alone(tmp_path):
    assert not align_built_package_json(tmp_path)
    _write(tmp_path, json.dumps(PACKAGE), "{not json")
    assert not align_built_package_json(tmp_path)
    assert (tmp_path / BUILT).read_text() == "{not json"
