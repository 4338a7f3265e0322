"""SQLite's writers take turns through a file lock: held from the first write to the end of
the transaction, never waited for by its own thread, and never needed for a write to succeed."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import make_app
from webapp.extensions import db
from webapp.sqlite_writers import QueuedWriters, lock_path


def connect(path: Path, timeout: float = 5.0) -> QueuedWriters:
    connection = sqlite3.connect(path, factory=QueuedWriters, timeout=timeout, check_same_thread=False)
    assert isinstance(connection, QueuedWriters)
    return connection


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    path = tmp_path / "city.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE attempts (id INTEGER PRIMARY KEY, who TEXT)")
    return path


@contextmanager
def other_process_holding(path: Path) -> Iterator[None]:
    """The lock as another process (a second worker, the applier) would hold it."""
    fd = os.open(lock_path(str(path)) or "", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def lock_is_free(path: Path) -> bool:
    fd = os.open(lock_path(str(path)) or "", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_writer_holds_the_lock_from_its_first_write_to_the_end_of_its_transaction(database: Path, end: str) -> None:
    connection = connect(database)
    connection.cursor().execute("SELECT count(*) FROM attempts").fetchall()
    assert lock_is_free(database), "a read took the writers' lock"
    connection.cursor().execute("INSERT INTO attempts (who) VALUES ('a')")
    assert not lock_is_free(database)
    connection.cursor().execute("INSERT INTO attempts (who) VALUES ('b')")  # the same transaction
    getattr(connection, end)()
    assert lock_is_free(database)
    if end != "close":
        connection.close()


def test_a_writer_waiting_for_the_lock_goes_on_once_the_first_has_committed(database: Path) -> None:
    first, second = connect(database), connect(database)
    first.cursor().execute("INSERT INTO attempts (who) VALUES ('first')")
    started, done = threading.Event(), threading.Event()

    def write_second() -> None:
        started.set()
        second.cursor().execute("INSERT INTO attempts (who) VALUES ('second')")
        second.commit()
        done.set()

    writer = threading.Thread(target=write_second)
    writer.start()
    started.wait()
    assert not done.is_set()  # it cannot have written: the first still holds the lock
    first.commit()
    writer.join(timeout=10)
    assert done.is_set()
    rows = first.cursor().execute("SELECT who FROM attempts ORDER BY id").fetchall()
    assert rows == [("first",), ("second",)]
    first.close()
    second.close()


def test_a_thread_never_waits_for_the_lock_it_holds_on_another_connection(database: Path) -> None:
    first, second = connect(database), connect(database, timeout=0.2)
    first.cursor().execute("INSERT INTO attempts (who) VALUES ('first')")
    # SQLite itself refuses the second writer once its short busy timeout is over, as it did
    # before the file lock: the thread does not hang waiting for itself
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.cursor().execute("INSERT INTO attempts (who) VALUES ('second')")
    first.commit()
    second.cursor().execute("INSERT INTO attempts (who) VALUES ('second')")
    second.commit()
    assert first.cursor().execute("SELECT count(*) FROM attempts").fetchone() == (2,)
    first.close()
    second.close()


def test_a_connection_ended_by_another_thread_lets_go_of_the_lock(database: Path) -> None:
    # a pool may roll back or close a connection in a thread other than the one that wrote
    connection = connect(database)
    connection.cursor().execute("INSERT INTO attempts (who) VALUES ('a')")
    ended = threading.Thread(target=connection.rollback)
    ended.start()
    ended.join(timeout=10)
    assert lock_is_free(database)
    other = connect(database, timeout=0.2)  # this thread no longer counts as holding it
    other.cursor().execute("INSERT INTO attempts (who) VALUES ('b')")
    assert not lock_is_free(database)
    other.commit()
    other.close()
    connection.close()


def test_a_lock_held_too_long_elsewhere_does_not_stop_a_write(database: Path) -> None:
    # a process stuck holding the file lock (but not SQLite's) delays a writer by its busy
    # timeout at most: the file lock only orders writers, SQLite's lock keeps them apart
    with other_process_holding(database):
        connection = connect(database, timeout=0.1)
        connection.cursor().execute("INSERT INTO attempts (who) VALUES ('patient')")
        connection.commit()
        assert connection.cursor().execute("SELECT who FROM attempts").fetchall() == [("patient",)]
        connection.close()


def test_a_lock_file_that_cannot_be_opened_does_not_stop_a_write(database: Path) -> None:
    Path(lock_path(str(database)) or "").mkdir()  # in its place: it cannot be opened for writing
    connection = connect(database)
    connection.cursor().execute("INSERT INTO attempts (who) VALUES ('unlocked')")
    connection.commit()
    assert connection.cursor().execute("SELECT who FROM attempts").fetchall() == [("unlocked",)]
    connection.close()


def test_the_app_queues_its_sqlite_writers(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'app.db'}")
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        assert isinstance(db.session.connection().connection.dbapi_connection, QueuedWriters)
        db.session.rollback()
        db.engine.dispose()
