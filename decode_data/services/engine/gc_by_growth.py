"""A dbt job collects cyclic garbage when its memory has grown, not every few hundred objects.

A job makes and drops hundreds of thousands of objects (a manifest, several Jinja contexts per
node). Python's collector runs by allocation counts and walks the survivors again and again:
~8 % of a grade build, to free memory a job that lives for seconds mostly never needs back.
A job turns that collector off; a watcher thread collects once its peak memory has grown by
GROWTH_MB since the last collection, so the garbage it can hold stays far below its memory
limit. Started after the sandbox closes, so the thread runs as confined as the job.
"""

from __future__ import annotations

import gc
import resource
import threading
import time

GROWTH_MB = 64
EVERY_S = 0.05


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def collect_by_growth(growth_mb: float = GROWTH_MB, every_s: float = EVERY_S) -> threading.Thread:
    """Switch the counting collector off for this process; collect per `growth_mb` grown."""
    gc.disable()

    def watch() -> None:
        collected_at = _peak_mb()
        while True:
            time.sleep(every_s)
            if _peak_mb() >= collected_at + growth_mb:
                gc.collect()
                collected_at = _peak_mb()

    watcher = threading.Thread(target=watch, name="gc-by-growth", daemon=True)
    watcher.start()
    return watcher
