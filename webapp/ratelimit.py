"""Rate-limit counts in a SQLite file, shared by every worker process on one machine.

The ``limits`` library keeps counts in each process's memory by default, so N gunicorn
workers let N times the limit through. Registering this storage for the ``sqlite://``
scheme makes ``RATELIMIT_STORAGE_URI=sqlite:///path/limits.db`` (the default, in the
instance folder) count once per machine; Redis (``redis://…``) counts once across machines.

Only what the fixed-window strategy calls is supported (``incr``, ``get``, ``get_expiry``),
which is the strategy this application uses.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.errors import ConfigurationError
from limits.storage import Storage

#: expired windows are swept about once per this many increments
SWEEP_EVERY = 1000


class SQLiteStorage(Storage):
    """Fixed-window counters as rows ``(key, count, expires_at)`` of one SQLite table.

    Each increment is one UPSERT, atomic under SQLite's write lock, so workers never lose a
    count; WAL lets them read while another writes, and a busy timeout makes them wait
    rather than fail when they collide.
    """

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        path = (uri or "").removeprefix("sqlite://")
        if not path.startswith("/") or not path.strip("/"):
            raise ConfigurationError(f"a SQLite rate-limit storage needs an absolute path: {uri!r}")
        # sqlite:///var/x.db and SQLAlchemy's sqlite:////var/x.db name the same file
        self.path = Path("/" + path.lstrip("/"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = float(options.get("timeout", 5.0))
        # one connection per process and thread: a connection must not cross a fork
        self._local = threading.local()
        self._increments = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS rate_limits "
                "(key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL)"
            )
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        # a window that has run out starts again from this increment
        (count,) = (
            self._connection()
            .execute(
                "INSERT INTO rate_limits (key, count, expires_at) VALUES (?1, ?2, ?3 + ?4) "
                "ON CONFLICT (key) DO UPDATE SET "
                "count = CASE WHEN expires_at <= ?3 THEN excluded.count ELSE count + excluded.count END, "
                "expires_at = CASE WHEN expires_at <= ?3 THEN excluded.expires_at ELSE expires_at END "
                "RETURNING count",
                (key, amount, now, expiry),
            )
            .fetchone()
        )
        self._increments += 1
        if self._increments % SWEEP_EVERY == 0:
            self._connection().execute("DELETE FROM rate_limits WHERE expires_at <= ?", (now,))
        return count

    def _row(self, key: str) -> tuple[int, float] | None:
        return (
            self._connection()
            .execute("SELECT count, expires_at FROM rate_limits WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM rate_limits").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM rate_limits WHERE key = ?", (key,))
