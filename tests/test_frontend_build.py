"""A restart serves the last frontend build only when nothing the build reads has changed
(decode_data/frontend_build.py). The restarts of the real app are in tests/test_e2e_faults.py."""

from __future__ import annotations

import json

from decode_data.frontend_build import STAMP, built_from, inputs_digest, reuse_unchanged_builds


def _web(tmp_path):
    web = tmp_path / ".web"
    for rel, text in {
        "app/routes/index.jsx": "export default function Index() {}\n",
        "env.json": '{"EVENT": "ws://localhost:3000/_event"}',
        "package.json": '{"dependencies": {"react": "19.3.1"}}',
        "reflex.json": json.dumps({"version": "0.10.1", "last_reflex_run_datetime": "2026-12-05 13:00:00"}),
        "node_modules/react/index.js": "module.exports = {}\n",
        "build/client/index.html": "<html></html>",
    }.items():
        (web / rel).parent.mkdir(parents=True, exist_ok=True)
        (web / rel).write_text(text, encoding="utf-8")
    return web


def test_the_digest_follows_every_source_and_setting_the_build_reads(tmp_path):
    web = _web(tmp_path)
    first = inputs_digest(web, {})
    assert inputs_digest(web, {"PATH": "/usr/bin"}) == first  # settings the build does not read
    assert inputs_digest(web, {"VITE_API": "x"}) != first
    for rel, text in (
        ("app/routes/index.jsx", "export default function Index() { return 1 }\n"),
        ("env.json", '{"EVENT": "ws://localhost:3001/_event"}'),  # another port
        ("package.json", '{"dependencies": {"react": "19.3.2"}}'),
        ("app/routes/new.jsx", "export default function New() {}\n"),
    ):
        before = (web / rel).read_text() if (web / rel).exists() else None
        (web / rel).write_text(text, encoding="utf-8")
        assert inputs_digest(web, {}) != first, rel
        (web / rel).unlink() if before is None else (web / rel).write_text(before, encoding="utf-8")
    assert inputs_digest(web, {}) == first


def test_outputs_installed_packages_and_the_time_of_the_last_run_are_not_inputs(tmp_path):
    web = _web(tmp_path)
    first = inputs_digest(web, {})
    (web / "build/client/index.html").write_text("<html>new</html>")
    (web / "node_modules/react/index.js").write_text("// reinstalled\n")
    (web / "reflex.json").write_text(json.dumps({"version": "0.10.1", "last_reflex_run_datetime": "2026-12-06"}))
    assert inputs_digest(web, {}) == first
    (web / "reflex.json").write_text(json.dumps({"version": "0.10.2"}))  # the pages read the version
    assert inputs_digest(web, {}) != first


def test_only_a_finished_build_has_a_stamp(tmp_path):
    web = _web(tmp_path)
    assert built_from(web) is None
    (web / "build" / STAMP).write_text("abc\n")
    assert built_from(web) == "abc"


def test_reflex_builds_once_then_only_after_a_change_or_when_an_input_cannot_be_read(tmp_path, monkeypatch):
    """The wrapper around Reflex's build step, with a stand-in for the Vite build it runs."""
    import reflex.reflex  # noqa: F401 - the command line that builds, where the wrapper goes in
    from reflex.utils import build as reflex_build
    from reflex.utils import prerequisites

    web, builds = _web(tmp_path), []
    monkeypatch.setattr(reflex_build, "build", lambda: builds.append("vite"))
    monkeypatch.setattr(prerequisites, "get_web_dir", lambda: web)
    reuse_unchanged_builds()
    for _ in range(3):
        reflex_build.build()
    assert len(builds) == 1 and built_from(web) == inputs_digest(web)
    (web / "app/routes/index.jsx").write_text("export default function Index() { return 2 }\n")
    reflex_build.build()
    assert len(builds) == 2
    (web / "reflex.json").write_text("{not json")  # a note it cannot read: build as Reflex would
    reflex_build.build()
    reflex_build.build()
    assert len(builds) == 4
