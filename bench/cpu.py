"""CPU time spent by the processes under test, read from /proc, so that a figure per request does
not depend on what else the shared machine runs at the same time.

Each meter has ``read()`` (a reading of cumulative CPU, in milliseconds) and ``between(start,
end)`` (milliseconds of CPU from one reading to the other). Times are utime + stime (fields 14
and 15 of /proc/PID/stat) and, for a parent, cutime + cstime (16 and 17: the children it has
reaped), in clock ticks. A tick is 10 ms: over a run of thousands of requests that is nothing,
but a single request lasts a few ticks, so ``read(exact=True)`` takes a living process's time
from /proc/PID/task/*/schedstat instead (nanoseconds on the CPU, every thread).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text

from webapp.stats.applier import APPLICATION_NAME

#: milliseconds per clock tick of /proc/PID/stat (10 ms with the usual 100 Hz)
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat from the third on (state), or None once the process is gone.

    The second field (the command in parentheses) may itself hold spaces and parentheses: the
    rest starts after the last ")".
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2 :].split()


def own_ms(pid: int, exact: bool = False) -> float:
    """utime + stime of a process (all its threads), or with ``exact`` its threads' schedstat;
    0 once it is gone."""
    if exact:
        return _scheduled_ms(pid)
    fields = _fields(pid)
    return (int(fields[11]) + int(fields[12])) * TICK_MS if fields else 0.0


def _scheduled_ms(pid: int) -> float:
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(task.read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that just ended
            continue
    return total / 1e6


def reaped_ms(pid: int) -> float:
    """cutime + cstime: the CPU of the children ``pid`` has waited for after they exited."""
    fields = _fields(pid)
    return (int(fields[13]) + int(fields[14])) * TICK_MS if fields else 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def parent(pid: int) -> int | None:
    fields = _fields(pid)
    return int(fields[1]) if fields else None


def command(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return None


class Workers:
    """The CPU of a gunicorn master's workers, however many of them were replaced.

    The reading is the master's reaped children (cutime + cstime) plus the living workers' own
    time. A worker that exits is reaped by the master, which adds its whole time to cutime: the
    sum only grows, and its growth between two readings is exactly what the workers spent, the
    replaced and the new ones included. Summing only the workers alive at both ends would lose
    a replaced worker's time. The master's own time (its heartbeat loop) serves no request and
    is left out.
    """

    def __init__(self, master: int):
        self.master = master

    def read(self, exact: bool = False) -> float:
        return reaped_ms(self.master) + sum(own_ms(worker, exact) for worker in children(self.master))

    def between(self, start: float, end: float) -> float:
        return end - start


class Process:
    """One process's own CPU (the rollup applier: it starts no children)."""

    def __init__(self, pid: int):
        self.pid = pid

    def read(self, exact: bool = False) -> float:
        return own_ms(self.pid, exact)

    def between(self, start: float, end: float) -> float:
        return end - start


#: the server processes that work for the benchmark's database: its own backends and the shared
#: ones that belong to no database (checkpointer, WAL writer, background writer …)
_SERVER_PROCESSES = text(
    "SELECT pid, application_name FROM pg_stat_activity"
    " WHERE (datname = current_database() OR datname IS NULL) AND pid <> ALL(:mine)"
)


class Postgres:
    """The CPU of the PostgreSQL server processes (``/proc/PID/comm`` is "postgres") that serve
    the benchmark's database, on this machine.

    Other databases on the same server (a test suite, another benchmark) are left out: their
    backends are not counted, which the postmaster's children times could not do (they pool every
    database's exited backends). The price: a backend of this database that exits between two
    readings takes its time with it; the app's, the applier's and the benchmark's connections
    are pooled and live through the run, and ``lost`` counts any that did not. A backend that
    starts between two readings counts in full, as all its time falls between them. The
    benchmark's own connections (``exclude``) are left out.
    """

    def __init__(self, url: str, exclude: tuple[int, ...] = (), applier: str = APPLICATION_NAME):
        self.engine = create_engine(url, pool_size=1)
        self.exclude = exclude
        self.applier = applier
        #: the backends serving the rollup applier, which names itself ``applier``
        self.applier_pids: set[int] = set()
        self.lost = 0

    def read(self, exact: bool = False) -> dict[int, float]:
        with self.engine.connect() as connection:
            mine = [connection.execute(text("SELECT pg_backend_pid()")).scalar_one(), *self.exclude]
            named = {pid: name for pid, name in connection.execute(_SERVER_PROCESSES, {"mine": mine})}
        self.applier_pids |= {pid for pid, name in named.items() if name == self.applier}
        pids = set(named) | {parent(pid) or 0 for pid in named}  # the postmaster, which forks the backends
        return {pid: own_ms(pid, exact) for pid in pids if command(pid) == "postgres"}

    def between(self, start: dict[int, float], end: dict[int, float]) -> float:
        self.lost += len(start.keys() - end.keys())
        return sum(spent - start.get(pid, 0.0) for pid, spent in end.items())

    def applier_between(self, start: dict[int, float], end: dict[int, float]) -> float:
        """The part of :meth:`between` spent by the applier's backends."""
        return sum(spent - start.get(pid, 0.0) for pid, spent in end.items() if pid in self.applier_pids)

    def close(self) -> None:
        self.engine.dispose()


def local_postgres(url: str) -> bool:
    """Whether the server of ``url`` runs on this machine, where its processes can be read."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            return command(pid) == "postgres"
    finally:
        engine.dispose()
