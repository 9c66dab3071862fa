"""Build folders mirror a project by content: dbt's partial parsing never reads a stale file."""

from __future__ import annotations

import os

from decode_data.services.grader.builds import _sync_tree


def test_a_build_folder_parses_fully_only_when_macros_or_tests_change(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    for rel, text in {"models/a.sql": "select 1", "macros/m.sql": "{% macro m() %}1{% endmacro %}"}.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    _sync_tree(src, dst)
    state = dst / "target" / "partial_parse.msgpack"
    state.parent.mkdir()
    state.write_bytes(b"x")
    before = os.stat(dst / "models/a.sql").st_mtime_ns
    os.utime(src / "models/a.sql", (1, 1))  # an old time, as a restored copy has
    _sync_tree(src, dst)
    assert state.exists() and os.stat(dst / "models/a.sql").st_mtime_ns == before  # unchanged: untouched
    (src / "models/a.sql").write_text("select 2")
    os.utime(src / "models/a.sql", (1, 1))
    _sync_tree(src, dst)
    assert state.exists() and (dst / "models/a.sql").read_text() == "select 2"
    assert os.stat(dst / "models/a.sql").st_mtime_ns > before - 1  # a fresh time, never the source's old one
    (src / "macros/m.sql").write_text("{% macro m() %}2{% endmacro %}")
    _sync_tree(src, dst)
    assert not state.exists()
