"""SQLite's writers take turns on a file lock instead of polling SQLite's own.

SQLite lets one connection write at a time. A writer that finds its lock taken sleeps in
SQLite's busy handler, on a schedule that grows to 100 ms between tries: at the peak, with two
workers and the rollup applier writing, a hand-in that lost the race slept on long after the
lock was free again, and a sleeping worker serves no one. So each connection first takes an
exclusive ``flock`` on a file beside the database, trying again within a millisecond, and lets
go when its transaction ends: whoever holds the file lock finds SQLite's free.

The file lock only orders writers that SQLite would keep apart anyway: correctness never rests
on it. A writer that cannot have it within SQLite's own busy timeout goes ahead without it and
meets SQLite's lock as before, so no writer waits longer than it did. A thread that already
holds the file lock through another connection does not wait for itself, and the kernel lets
go of a dead process's lock.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

#: statements that make Python's sqlite3 open a transaction, or take the write lock themselves
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "WITH")
#: the pauses between tries for the file lock, in seconds, the last one repeated
_PAUSES = (0.0002, 0.0005, 0.001)

#: how many file locks each thread holds, by thread id (a connection may be closed elsewhere)
_held_by_thread: dict[int, int] = {}


def lock_path(database: str) -> str | None:
    """The lock file for ``database`` (a path as sqlite3.connect takes it); None for a database
    in memory, which no other connection shares."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-writers"


class QueuedWriters(sqlite3.Connection):
    """A sqlite3 connection that takes the writers' file lock before its first write of a
    transaction (``factory=QueuedWriters`` in sqlite3.connect)."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        #: as long as SQLite's busy handler would wait (sqlite3.connect's timeout)
        self._patience = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._path = lock_path(str(database))
        self._fd: int | None = None
        #: the thread holding the file lock through this connection, if any
        self._holder: int | None = None

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _QueuedCursor)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    @contextmanager
    def turn_for(self, statement: str) -> Iterator[None]:
        """Around one statement: the file lock taken first if it writes, and let go after it
        if it ran outside any transaction."""
        self._before(statement)
        try:
            yield
        finally:
            if self._holder is not None and not self.in_transaction:
                self._let_go()

    def _before(self, statement: str) -> None:
        if self._holder is not None or self._path is None or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        thread = threading.get_ident()
        if _held_by_thread.get(thread):
            return  # this thread holds it on another connection: waiting would be for itself
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # a read-only or full directory: SQLite gives the reason when written
                self._path = None
                return
        if self._wait_for_lock():
            self._holder = thread
            _held_by_thread[thread] = _held_by_thread.get(thread, 0) + 1

    def _wait_for_lock(self) -> bool:
        assert self._fd is not None
        deadline = time.monotonic() + self._patience
        for attempt in itertools.count():
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False  # go ahead and meet SQLite's own lock
                time.sleep(_PAUSES[min(attempt, len(_PAUSES) - 1)])
        raise AssertionError("unreachable")

    def _let_go(self) -> None:
        if self._holder is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            left = _held_by_thread.pop(self._holder, 1) - 1
            if left:
                _held_by_thread[self._holder] = left
            self._holder = None


class _QueuedCursor(sqlite3.Cursor):
    connection: QueuedWriters

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        with self.connection.turn_for(sql):
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, parameters: Any, /) -> Self:
        with self.connection.turn_for(sql):
            super().executemany(sql, parameters)
        return self
