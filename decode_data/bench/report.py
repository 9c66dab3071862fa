"""Figures for `python -m decode_data bench`: percentiles, targets and the printed table.

Kept apart from decode_data/bench/engine_bench.py (which drives the real engine) so the arithmetic and
the wording of the report can be read, and changed, without the orchestration around them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# The product's speed and size targets (DESIGN.md "Run path"). The bench shows them next to the
# figures; it never fails because of them.
TARGETS = {
    "run_p50_s": 0.30,
    "cli_ratio_min": 10.0,
    "query_p50_s": 0.025,
    "check_p50_s": 1.5,
    "check_p95_s": 3.0,
    "learners_p95_s": 3.0,
    "worker_rss_mb": 250.0,
    # What a learner waits for in the browser (decode_data/bench/browser.py).
    "page_load_p50_s": 0.5,
    "run_to_rows_p50_s": 0.35,
}


def percentile(values: list[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict:
    """n, p50, p95, min and max of a list of durations in seconds, rounded for display."""

    def r(x):
        return None if x is None else round(x, 4)

    return {
        "n": len(values),
        "p50_s": r(percentile(values, 50)),
        "p95_s": r(percentile(values, 95)),
        "min_s": r(min(values)) if values else None,
        "max_s": r(max(values)) if values else None,
    }


# --- CPU used by other processes while the bench ran ------------------------------------------


def system_busy_s() -> float:
    """CPU seconds spent by the whole machine (all cores, not idle or iowait) since boot."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process and every descendant already waited for (workers, jobs, CLI)."""
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def tree_cpu_s(pids) -> float:
    """own_cpu_s plus the live processes ``pids`` (the engine's workers) and their reaped jobs."""
    total = own_cpu_s()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue  # gone: once waited for, it is counted in RUSAGE_CHILDREN
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # u/s time, + children
    return total


class CpuMeter:
    """How much of the machine other processes used while each stage of the bench ran."""

    def __init__(self, pids=lambda: ()):
        self.pids = pids
        self.cpus = os.cpu_count() or 1
        self.stages: dict[str, dict] = {}

    def sample(self) -> tuple[float, float, float]:
        import time

        return time.perf_counter(), system_busy_s(), tree_cpu_s(self.pids())

    def record(self, name: str, before: tuple, after: tuple) -> dict:
        wall = after[0] - before[0]
        others = max(0.0, (after[1] - before[1]) - (after[2] - before[2]))
        self.stages[name] = {
            "wall_s": round(wall, 2),
            "other_cpu_s": round(others, 2),
            "other_pct": round(100 * others / (wall * self.cpus), 1) if wall > 0 else 0.0,
        }
        return self.stages[name]


# --- targets ---------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    target: str
    value: float | None
    ok: bool | None  # None: the figure is missing (its stage failed)

    def to_dict(self) -> dict:
        return {"name": self.name, "target": self.target, "value": self.value, "pass": self.ok}


def _at_most(value, limit) -> bool | None:
    return None if value is None else value <= limit


def checks(figures: dict) -> list[Check]:
    run = figures.get("run") or {}
    cli = figures.get("cli") or {}
    query = figures.get("query") or {}
    crowd = figures.get("learners") or {}
    check = figures.get("check") or {}
    rss = figures.get("rss") or {}
    ratio = cli.get("ratio")
    failed = crowd.get("failed")
    return [
        Check(
            "warm run p50",
            f"<= {TARGETS['run_p50_s']:.2f} s",
            run.get("p50_s"),
            _at_most(run.get("p50_s"), TARGETS["run_p50_s"]),
        ),
        Check(
            "dbt CLI p50 / warm run p50",
            f">= {TARGETS['cli_ratio_min']:g}x",
            ratio,
            None if ratio is None else ratio >= TARGETS["cli_ratio_min"],
        ),
        Check(
            "query p50",
            f"<= {TARGETS['query_p50_s'] * 1000:g} ms",
            query.get("p50_s"),
            _at_most(query.get("p50_s"), TARGETS["query_p50_s"]),
        ),
        Check(
            "check p50",
            f"<= {TARGETS['check_p50_s']:g} s",
            check.get("p50_s"),
            _at_most(check.get("p50_s"), TARGETS["check_p50_s"]),
        ),
        Check(
            "check p95",
            f"<= {TARGETS['check_p95_s']:g} s",
            check.get("p95_s"),
            _at_most(check.get("p95_s"), TARGETS["check_p95_s"]),
        ),
        Check("learners: failed jobs", "= 0", failed, None if failed is None else failed == 0),
        Check(
            "learners: run p95",
            f"<= {TARGETS['learners_p95_s']:g} s",
            crowd.get("p95_s"),
            _at_most(crowd.get("p95_s"), TARGETS["learners_p95_s"]),
        ),
        Check(
            "worker RSS (max of workers)",
            f"<= {TARGETS['worker_rss_mb']:g} MB",
            rss.get("worker_rss_max_mb"),
            _at_most(rss.get("worker_rss_max_mb"), TARGETS["worker_rss_mb"]),
        ),
    ]


def browser_checks(browser: dict) -> list[Check]:
    load = browser.get("load") or {}
    run = browser.get("run_to_rows") or {}
    return [
        Check(
            "lesson page load p50",
            f"<= {TARGETS['page_load_p50_s']:g} s",
            load.get("p50_s"),
            _at_most(load.get("p50_s"), TARGETS["page_load_p50_s"]),
        ),
        Check(
            "Run to rows visible p50",
            f"<= {TARGETS['run_to_rows_p50_s']:g} s",
            run.get("p50_s"),
            _at_most(run.get("p50_s"), TARGETS["run_to_rows_p50_s"]),
        ),
    ]


# --- the table ---------------------------------------------------------------------------------


def _s(x) -> str:
    return "n/a" if x is None else f"{x:.3f} s"


def _ms(x) -> str:
    return "n/a" if x is None else f"{x * 1000:.1f} ms"


def _mark(ok: bool | None) -> str:
    return {True: "pass", False: "MISS", None: "n/a"}[ok]


def _columns(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    """figure / p50 / p95 / target / mark, aligned, under a header."""
    header = ("figure", "p50 / value", "p95", "target", "")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths[:4])) + "  {}"
    return [fmt.format(*header).rstrip(), "-" * (sum(widths[:4]) + 2 * 4 + 4)] + [fmt.format(*r).rstrip() for r in rows]


def render_table(figures: dict) -> str:
    """The human-readable report: one line per figure, targets and marks on the right."""
    m = figures.get("machine", {})
    cfg = figures.get("config", {})
    lines = [
        f"Decode Data bench: lesson {cfg.get('lesson')} ({cfg.get('models')} models), "
        f"{m.get('cpus')} CPUs, {cfg.get('workers')} engine workers, "
        f"dbt {m.get('dbt')}, dbt-duckdb {m.get('dbt_duckdb')}, duckdb {m.get('duckdb')}",
        "One run on this machine; every time is wall-clock as the caller sees it.",
        "",
    ]
    marks = {c.name: c for c in checks(figures)}
    rows: list[tuple[str, str, str, str, str]] = []

    def row(label, p50="", p95="", check: str | None = None, extra: str = ""):
        c = marks.get(check) if check else None
        rows.append((label, p50, p95, c.target if c else extra, _mark(c.ok) if c else ""))

    row("engine pool start (all workers ready)", _s(figures.get("pool_start_s")))
    row("  a new worker, forked from the warm host (recycle, replace)", _ms(figures.get("new_worker_s")))
    run = figures.get("run") or {}
    row(f"dbt run, warm, engine (n={run.get('n', 0)})", _s(run.get("p50_s")), _s(run.get("p95_s")), "warm run p50")
    inside = run.get("in_job") or {}
    row("  of which dbt inside the job (parse+run)", _s(inside.get("p50_s")), _s(inside.get("p95_s")))
    phases = run.get("phases_p50_s") or {}
    row("  submit -> first model starts (fork, sandbox, parse)", _s(phases.get("before_first_node")))
    row("  first model starts -> last model done", _s(phases.get("nodes")))
    row("  last model done -> result back", _s(phases.get("after_last_node")))
    row("  sum of the models' own execution times", _s(inside.get("nodes_p50_s")))
    cli = figures.get("cli") or {}
    row(f"dbt run, plain dbt CLI subprocess, warm (n={cli.get('n', 0)})", _s(cli.get("p50_s")), _s(cli.get("p95_s")))
    ratio = cli.get("ratio")
    row("  CLI p50 / engine p50", "n/a" if ratio is None else f"{ratio:.1f}x", "", "dbt CLI p50 / warm run p50")
    show = figures.get("show") or {}
    row(
        f"dbt show --select {show.get('select', '?')} (n={show.get('n', 0)})",
        _s(show.get("p50_s")),
        _s(show.get("p95_s")),
    )
    test = figures.get("test") or {}
    row(
        f"dbt test, {test.get('tests', '?')} tests (n={test.get('n', 0)})", _s(test.get("p50_s")), _s(test.get("p95_s"))
    )
    query = figures.get("query") or {}
    row(f"warehouse query (n={query.get('n', 0)})", _ms(query.get("p50_s")), _ms(query.get("p95_s")), "query p50")
    row("  of which the query inside the job", _ms((query.get("in_job") or {}).get("p50_s")))
    direct = query.get("direct") or {}
    row("  same query, direct DuckDB here (no engine)", _ms(direct.get("p50_s")), _ms(direct.get("p95_s")))
    engine_only = query.get("engine_only") or {}
    row(
        f"  same query straight to the engine (no app database, n={engine_only.get('n', 0)})",
        _ms(engine_only.get("p50_s")),
        _ms(engine_only.get("p95_s")),
    )
    after = query.get("after_run") or {}
    row(
        f"  first query after a dbt run (new query process, n={after.get('n', 0)})",
        _ms(after.get("p50_s")),
        _ms(after.get("p95_s")),
    )
    check = figures.get("check") or {}
    row(
        f"Check my work, step {check.get('step', '?')}, after an edit (n={check.get('n', 0)})",
        _s(check.get("p50_s")),
        _s(check.get("p95_s")),
        "check p50",
    )
    again = check.get("unchanged") or {}
    row(
        f"  checking again, nothing changed (n={again.get('n', 0)})",
        _s(again.get("p50_s")),
        _s(again.get("p95_s")),
    )
    crowd = figures.get("learners") or {}
    row(
        f"{crowd.get('learners', '?')} learners at once x {crowd.get('rounds', '?')} rounds: dbt run",
        _s(crowd.get("p50_s")),
        _s(crowd.get("p95_s")),
        "learners: run p95",
    )
    tput = crowd.get("throughput_runs_per_s")
    walls = ", ".join(f"{w:.1f}" for w in crowd.get("round_wall_s") or [])
    row(f"  throughput (each round took {walls} s)", "n/a" if tput is None else f"{tput:.2f} runs/s")
    row("  failed jobs", "n/a" if crowd.get("failed") is None else str(crowd["failed"]), "", "learners: failed jobs")
    rss = figures.get("rss") or {}
    workers = rss.get("worker_rss_mb") or []
    row(
        "warm worker RSS (max; each: " + ", ".join(f"{x:.0f}" for x in workers) + " MB)",
        "n/a" if rss.get("worker_rss_max_mb") is None else f"{rss['worker_rss_max_mb']:.0f} MB",
        "",
        "worker RSS (max of workers)",
    )
    row(
        "job process max RSS (incl. pages shared with its worker)",
        "n/a" if rss.get("job_max_rss_mb") is None else f"{rss['job_max_rss_mb']:.0f} MB",
    )
    row(
        "worker host RSS (forks the workers; pages shared with them)",
        "n/a" if rss.get("worker_host_rss_mb") is None else f"{rss['worker_host_rss_mb']:.0f} MB",
    )
    row(
        "query host RSS (forks the learners' query processes)",
        "n/a" if rss.get("query_host_rss_mb") is None else f"{rss['query_host_rss_mb']:.0f} MB",
    )

    lines += _columns(rows)
    lines.append("")
    lines.append(f"dbt CLI: {cli.get('profile', 'n/a')}; timed after one untimed run ({_s(cli.get('warm_up_s'))})")
    load = m.get("load_before"), m.get("load_after")
    lines.append(
        f"load average (1 min) before/after: {load[0]} / {load[1]}; "
        f"other processes used {m.get('other_cpu_s', 'n/a')} CPU-s during the "
        f"{m.get('bench_wall_s', 'n/a')} s bench ({m.get('other_cpu_pct_of_machine', 'n/a')}% "
        "of the machine)"
    )
    stages = figures.get("stages") or {}
    if stages:
        lines.append(
            "CPU used by other processes during each stage (% of the machine): "
            + ", ".join(f"{name} {st['other_pct']:.0f}%" for name, st in stages.items())
        )
    if m.get("interference"):
        lines.append(
            "NOTE: other processes were busy on this machine during the bench; the times of "
            "the stages they disturbed are skewed upwards."
        )
    for error in figures.get("errors", []):
        lines.append(f"ERROR: {error}")
    return "\n".join(lines)


def render_browser(browser: dict) -> str:
    """The browser figures (decode_data/bench/browser.py) as the same kind of table."""
    if browser.get("skipped"):
        return f"browser figures skipped: {browser['skipped']}"
    load = browser.get("load") or {}
    run = browser.get("run_to_rows") or {}
    marks = {c.name: c for c in browser_checks(browser)}
    rows: list[tuple[str, str, str, str, str]] = []

    def row(label, block: dict, check: str | None = None):
        c = marks.get(check) if check else None
        rows.append(
            (label, _s(block.get("p50_s")), _s(block.get("p95_s")), c.target if c else "", _mark(c.ok) if c else "")
        )

    row(f"lesson page load, warm cache (n={load.get('n', 0)})", load, "lesson page load p50")
    row("  of which the page's load event (HTML + scripts)", load.get("load_event") or {})
    row(f"Run click -> {run.get('rows', '?')} rows visible (n={run.get('n', 0)})", run, "Run to rows visible p50")
    row("  of which click -> 'dbt run finished' shown", run.get("run_done") or {})
    rows.append(("lesson page load, cold (first, empty cache)", _s(load.get("cold_s")), "", "", ""))
    rows.append(("Run click -> rows visible, cold (first)", _s(run.get("cold_s")), "", "", ""))
    where = browser.get("url") or "(not started)"
    lines = [
        f"Browser: Chromium {browser.get('chromium', '?')} (Playwright), 1366x860, production build at "
        f"{where}" + (f" (started in {browser['app_start_s']:.0f} s)" if browser.get("app_start_s") else ""),
        "Times from the browser's clock: navigation start -> editor with the learner's SQL and the "
        "steps list; click on Run -> the model's rows in the results table.",
        "",
    ]
    lines += _columns(rows)
    for error in browser.get("page_errors") or []:
        lines.append(f"NOTE: the page reported a script error: {error}")
    for error in browser.get("errors") or []:
        lines.append(f"ERROR: browser: {error}")
    return "\n".join(lines)
