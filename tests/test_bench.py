"""`python -m decode_data bench`: a small real run reports every figure, and touches no real data.

Speed targets live in the bench's own report, not here: this machine is shared while tests
run, so only the shape and sanity of the figures is asserted, never a duration.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from decode_data.bench.report import percentile, render_browser, render_table
from decode_data.settings import REPO_ROOT

ARGV = ["--json", "--repeat", "2", "--learners", "3", "--cli-repeat", "1"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    """One small bench in its own process, with DECODE_DATA_DIR pointing at a dir it must not touch."""
    untouched = tmp_path_factory.mktemp("real-data")
    env = {**os.environ, "DECODE_DATA_DIR": str(untouched)}
    env.pop("DECODE_DATA_WORKERS", None)
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; from decode_data.bench import main; sys.exit(main({ARGV!r}))"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, untouched


@pytest.fixture(scope="module")
def figures(bench_run):
    done, _ = bench_run
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    return json.loads(done.stdout)


def _timing(block: dict, n: int) -> None:
    assert block["n"] == n
    assert 0 < block["min_s"] <= block["p50_s"] <= block["p95_s"] <= block["max_s"]


def test_every_figure_is_there_and_sane(figures):
    assert figures["errors"] == [] and figures["failed_jobs"] == 0
    config = figures["config"]
    assert config["models"] == 5 and config["repeat"] == 2 and config["learners"] == 3
    assert config["workers"] >= 1
    assert figures["pool_start_s"] > 0
    assert 0 < figures["new_worker_s"] < figures["pool_start_s"]  # forked warm, not warmed up again
    for stage in ("run", "show", "test", "query"):
        _timing(figures[stage], 2)
    assert 0 < figures["run"]["in_job"]["p50_s"] <= figures["run"]["max_s"]
    assert all(v > 0 for v in figures["run"]["phases_p50_s"].values())
    assert figures["test"]["tests"] >= 1
    assert 0 < figures["query"]["in_job"]["p50_s"] <= figures["query"]["max_s"]
    _timing(figures["query"]["direct"], 2)
    _timing(figures["query"]["after_run"], 3)  # each after an untimed dbt run
    _timing(figures["query"]["engine_only"], 2)

    cli = figures["cli"]
    _timing(cli, config["cli_repeat"])
    assert cli["ratio"] > 0 and cli["warm_up_s"] > 0 and "profile" in cli

    crowd = figures["learners"]
    assert crowd["learners"] == 3 and crowd["runs"] == 3 * crowd["rounds"]
    assert crowd["failed"] == 0
    _timing(crowd, crowd["runs"])
    assert crowd["throughput_runs_per_s"] > 0 and len(crowd["round_wall_s"]) == crowd["rounds"]

    rss = figures["rss"]
    assert len(rss["worker_rss_mb"]) == config["workers"]
    assert all(mb > 0 for mb in rss["worker_rss_mb"])
    assert rss["worker_rss_max_mb"] == max(rss["worker_rss_mb"])
    assert rss["job_max_rss_mb"] > 0
    assert rss["query_host_rss_mb"] > 0 and rss["worker_host_rss_mb"] > 0

    check = figures["check"]
    _timing(check, max(1, config["repeat"] // 2))
    _timing(check["unchanged"], max(1, config["repeat"] // 2))
    assert check["step"] == "tests" and check["edited"] == "models/customers.sql"

    marks = {t["name"]: t for t in figures["targets"]}
    assert len(marks) == 8
    assert all(t["pass"] in (True, False) and t["value"] is not None for t in marks.values())
    assert marks["learners: failed jobs"]["pass"] is True
    assert figures["machine"]["cpus"] >= 1 and figures["machine"]["bench_wall_s"] > 0
    assert set(figures["stages"]) == {
        "pool start",
        "warm-up",
        "run",
        "show",
        "test",
        "query",
        "check",
        "cli",
        "learners",
    }
    assert all(st["wall_s"] > 0 and st["other_pct"] >= 0 for st in figures["stages"].values())


def test_real_data_dir_untouched_and_temp_dir_removed(bench_run, figures):
    done, untouched = bench_run
    assert list(untouched.iterdir()) == []
    match = re.search(r"data dir (\S+);", done.stderr)
    assert match, done.stderr
    assert not Path(match.group(1)).exists()


def test_table_shows_figures_next_to_targets(figures):
    table = render_table(figures)
    for text in (
        "dbt run, warm, engine",
        "dbt CLI",
        "warehouse query",
        "first query after a dbt run",
        "straight to the engine",
        "query host RSS",
        "learners at once",
        "worker RSS",
        "Check my work",
        "<= 1.5 s",
        "<= 0.30 s",
        ">= 10x",
        "<= 25 ms",
        "<= 3 s",
        "<= 250 MB",
    ):
        assert text in table, text
    assert re.search(r"\b(pass|MISS)\b", table)


def test_percentile_interpolates_between_ranks():
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(1, 21))), 95) == pytest.approx(19.05)


@pytest.mark.app
def test_browser_figures_against_the_live_app(live_app):
    """`bench --browser-only` once, small, on the shared app: every figure is there and positive."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "decode_data",
            "bench",
            "--browser-only",
            "--browser-repeat",
            "2",
            "--browser-url",
            live_app.url,
            "--json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    figures = json.loads(done.stdout)
    browser = figures["browser"]
    if browser.get("skipped"):
        pytest.skip(browser["skipped"])
    assert browser["errors"] == []
    for name in ("load", "run_to_rows"):
        block = browser[name]
        assert block["cold_s"] > 0
        _timing(block, 1)
    assert browser["run_to_rows"]["rows"] == 20
    assert 0 < browser["run_to_rows"]["run_done"]["p50_s"] <= browser["run_to_rows"]["p50_s"]
    assert {t["name"] for t in figures["targets"]} == {"lesson page load p50", "Run to rows visible p50"}
    table = render_browser(browser)
    for label in (
        "lesson page load, warm cache (n=1)",
        "Run click -> 20 rows visible (n=1)",
        "lesson page load, cold",
        "Run click -> rows visible, cold",
    ):
        line = next(line for line in table.splitlines() if line.startswith(label))
        assert float(re.search(r"(\d+\.\d+) s", line).group(1)) > 0, line
    assert "<= 0.5 s" in table and "<= 0.35 s" in table


def test_browser_figures_say_why_they_are_skipped():
    assert render_browser({"skipped": "no chromium on PATH"}) == "browser figures skipped: no chromium on PATH"
