"""How far the rollups are behind the events: sampled while a run writes, then waited out.

A request writes its rows with ``rollup_batch`` unset and the applier (``flask stats follow``)
marks them as it counts them, so an event waits while its ``rollup_batch`` IS NULL. The lag is
the age of the oldest waiting event: now (UTC) minus the earliest moment among them; moments are
stored as naive UTC.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, DateTime, Integer, column, create_engine, func, select, table, text

#: each kind of event: its table and the moment it happened
EVENTS = (
    table("draws", column("served_at", DateTime), column("rollup_batch", Integer)),
    table("attempts", column("submitted_at", DateTime), column("rollup_batch", Integer)),
    table("lesson_completions", column("completed_at", DateTime), column("rollup_batch", Integer)),
)
#: seconds between samples during a run
INTERVAL = 0.5


@dataclass(frozen=True)
class Sample:
    #: seconds since the oldest waiting event happened (0 when nothing waits)
    lag: float
    waiting: int


class Waiting:
    """The events waiting for the rollups, read on one connection of its own."""

    def __init__(self, url: str):
        self.engine = create_engine(url, pool_size=1)
        self.connection: Connection = self.engine.connect()
        self.lock = threading.Lock()

    def backend_pid(self) -> int | None:
        """Its PostgreSQL backend, which the database's CPU should not count."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.lock:
            pid = self.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            self.connection.rollback()
        return pid

    def sample(self) -> Sample:
        with self.lock:
            rows = [self._oldest(events) for events in EVENTS]
            # no transaction left open: it would hold an old snapshot (and, on SQLite, the WAL)
            self.connection.rollback()
        now = datetime.now(UTC).replace(tzinfo=None)
        moments = [oldest for oldest, _ in rows if oldest is not None]
        lag = (now - min(moments)).total_seconds() if moments else 0.0
        return Sample(max(lag, 0.0), sum(count for _, count in rows))

    def _oldest(self, events) -> tuple[datetime | None, int]:
        moment = next(c for c in events.c if c.name != "rollup_batch")
        query = select(func.min(moment), func.count()).where(events.c.rollup_batch.is_(None))
        oldest, count = self.connection.execute(query).one()
        return oldest, count

    def drain(self, bound: float) -> float | None:
        """Seconds until nothing waits, or None if something still waits after ``bound`` seconds."""
        started = time.monotonic()
        while self.sample().waiting:
            if time.monotonic() - started > bound:
                return None
            time.sleep(0.1)
        return round(time.monotonic() - started, 2)

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


class Sampler:
    """Samples ``waiting`` every INTERVAL seconds in a thread, while used as a context manager."""

    def __init__(self, waiting: Waiting):
        self.waiting = waiting
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        # the state the moment the run ended, not up to half a second before
        self.samples.append(self.waiting.sample())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.waiting.sample())
            self._stop.wait(INTERVAL)

    def summary(self) -> dict:
        worst = max(self.samples, key=lambda sample: sample.lag)
        return {
            "max_s": round(worst.lag, 2),
            "max_waiting": max(sample.waiting for sample in self.samples),
            "end_s": round(self.samples[-1].lag, 2),
            "end_waiting": self.samples[-1].waiting,
            "samples": len(self.samples),
        }
