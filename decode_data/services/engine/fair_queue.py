"""Who gets the next free worker: short jobs first, then the learner served longest ago.

A plain FIFO of waiting jobs serves them in arrival order: a `dbt show` or the page's lineage
compile (short, and the learner is watching the page) waits behind every build that came
before it, and whoever submits most often holds most places in the line. Here short jobs go
first, and among jobs of one kind the learner whose last job got a worker longest ago goes
first (round-robin across learners; a learner's own jobs are serial anyway: the engine holds
the learner's lock while one waits). With `reserve` > 0 that many workers stay for short jobs:
a long job takes a worker only while more than `reserve` are idle.
(Queries and table listings do not come here at all: they have their own lane, query_lane.py.)
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections import deque
from dataclasses import dataclass, field

SHORT_COMMANDS = ("show", "compile", "query", "tables", "relations")


@dataclass(eq=False)
class _Ticket:
    learner_key: str
    short: bool
    arrival: int = field(default=0)


class FairQueue:
    """The idle workers and the jobs waiting for one (the drop-in for a queue.Queue of workers)."""

    def __init__(self, reserve: int = 0):
        self.reserve = reserve
        self.cond = threading.Condition()
        self.idle: deque = deque()
        self.waiting: list[_Ticket] = []
        self.served: dict[str, int] = {}  # learner -> when their last job got a worker
        self.clock = itertools.count()

    def put(self, worker) -> None:
        with self.cond:
            self.idle.append(worker)
            self.cond.notify_all()

    def qsize(self) -> int:
        return len(self.idle)

    def waiting_jobs(self) -> int:
        with self.cond:
            return len(self.waiting)

    def _next(self) -> _Ticket | None:
        eligible = [t for t in self.waiting if t.short or len(self.idle) > self.reserve]
        if not eligible:
            return None
        return min(eligible, key=lambda t: (not t.short, self.served.get(t.learner_key, -1), t.arrival))

    def get(self, learner_key: str = "", short: bool = False, timeout: float | None = None):
        """A worker for this job, when it is this job's turn; queue.Empty after `timeout`."""
        with self.cond:
            ticket = _Ticket(learner_key, short, next(self.clock))
            self.waiting.append(ticket)
            try:
                if not self.cond.wait_for(lambda: self.idle and self._next() is ticket, timeout):
                    raise queue.Empty
                self.served[learner_key] = next(self.clock)
                return self.idle.popleft()
            finally:
                self.waiting.remove(ticket)
                self.cond.notify_all()
