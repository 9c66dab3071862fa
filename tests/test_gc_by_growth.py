"""A dbt job runs without Python's counting collector (gc_by_growth): its cyclic garbage must
still be collected once it grows, or a long job would run into its memory limit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from decode_data.settings import REPO_ROOT

MAKES_CYCLES = textwrap.dedent(
    """
    import gc, resource, sys
    from decode_data.services.engine.gc_by_growth import collect_by_growth

    if sys.argv[1] == "watched":
        collect_by_growth(growth_mb=32, every_s=0.01)
    else:
        gc.disable()
    for _ in range(60):  # ~600 MB of garbage in cycles, which reference counting never frees
        for _ in range(25):
            cycle = [bytearray(400_000)]
            cycle.append(cycle)
            del cycle
        __import__("time").sleep(0.02)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def _peak_mb(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", MAKES_CYCLES, mode], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_garbage_in_cycles_is_collected_as_memory_grows():
    assert _peak_mb("uncollected") > 500  # the control: nothing frees these cycles
    assert _peak_mb("watched") < 250
