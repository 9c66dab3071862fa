"""dbt job execution: a pool of warm workers, each job confined in its own process."""

from __future__ import annotations

import atexit
import threading

from decode_data.services.engine.jobs import Job, JobRejected, JobResult, LearnerError, NodeResult, Preview
from decode_data.services.engine.pool import Engine, PoolConfig

__all__ = [
    "Engine",
    "Job",
    "JobRejected",
    "JobResult",
    "LearnerError",
    "NodeResult",
    "PoolConfig",
    "Preview",
    "get_engine",
    "shutdown_engine",
]

_engine: Engine | None = None
_engine_lock = threading.Lock()


def pool_config_from_settings(settings=None, workers: int | None = None, warm_up: bool = True) -> PoolConfig:
    from decode_data.settings import get_settings

    s = settings or get_settings()
    return PoolConfig(
        workers=workers or s.workers,
        job_timeout_s=s.job_timeout_s,
        job_memory_mb=s.job_memory_mb,
        worker_max_jobs=s.worker_max_jobs,
        max_log_bytes=s.max_log_bytes,
        data_dir=s.data_dir,
        motherduck_token=s.motherduck_token,
        warm_up=warm_up,
    )


def keep_data_private(data_dir) -> None:
    """DECODE_DATA_DIR holds the app database and every learner's files: a server running as
    root closes it to other users, so a job's uid cannot even pass through it by path."""
    import os

    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(data_dir, 0o700)


def get_engine(workers: int | None = None, warm_up: bool = True) -> Engine:
    """The process-wide engine, started on first use (the first call's arguments count).
    `warm_up=False` for a process that runs a job or two and exits (PoolConfig.warm_up)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from decode_data.services.engine.sandbox import check_available

            check_available()
            config = pool_config_from_settings(workers=workers, warm_up=warm_up)
            keep_data_private(config.data_dir)
            _engine = Engine(config)
            atexit.register(shutdown_engine)
        return _engine


def shutdown_engine() -> None:
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.close()
            _engine = None
