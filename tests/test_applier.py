"""The rollup applier as deployed: processes of its own (``flask stats follow``) beside the app's,
taking turns over one database, each event counted exactly once even when one is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.run import gunicorn as gunicorn_serving
from quizzes import service as quizzes
from quizzes.library import Library
from tests.conftest import COMMUNITY, EMPTY_DATABASE_KINDS, empty_database, make_app
from tests.factories import TIMING
from tests.helpers import assert_all_stored_once, assert_rollups_equal_a_rebuild, serve, stored_rollups
from tests.test_load import run_load
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.regions.service import get_region, seed_demo_regions
from webapp.stats import applier

ROOT = Path(__file__).resolve().parent.parent
#: how long a follower may take to reach the statement it is to be killed in
REACH_SECONDS = 60


def _env(database_uri: str) -> dict:
    return {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "k" * 32, "FLASK_APP": "wsgi"}


def flask(database_uri: str, *args: str, stdout: int = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=_env(database_uri), stdout=stdout, text=True
    )


@contextmanager
def followers(database_uri: str, how_many: int) -> Iterator[list[subprocess.Popen]]:
    """``flask stats follow`` processes, each running (it has said so) before the block starts,
    stopped as systemd stops them (SIGTERM) afterwards."""
    running = [
        flask(database_uri, "stats", "follow", "--interval", "0.05", stdout=subprocess.PIPE) for _ in range(how_many)
    ]
    try:
        for process in running:
            # on two busy cores a follower may still be starting when a short load ends; a
            # SIGTERM then finds no handler yet, and the test would measure nothing
            assert process.stdout is not None and process.stdout.readline().startswith("following")
        yield running
    finally:
        for process in running:
            process.terminate()
        for process in running:
            assert process.wait(timeout=60) == 0  # a stopped follower finishes or drops its batch cleanly
            if process.stdout is not None:
                process.stdout.close()


def apply_once(database_uri: str) -> str:
    """``flask stats apply``: everything waiting is counted when it exits."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "stats", "apply"],
        cwd=ROOT,
        env=_env(database_uri),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def test_two_app_instances_and_two_appliers_count_each_hand_in_once(fresh_database: str) -> None:
    """Two gunicorn instances take hand-ins while two appliers fold them in: every acknowledged
    hand-in is stored once and the figures equal a rebuild from the raw rows, exactly."""
    with serve(fresh_database) as (first, _master):
        env = {**_env(fresh_database), "RATELIMIT_ENABLED": "0"}
        with gunicorn_serving("wsgi:app", env, 2) as (second, _other), followers(fresh_database, 2):
            acknowledged, errors = run_load([first, second], clients=40, seconds=8)
        assert errors == []
        assert len(acknowledged) > 100
        apply_once(fresh_database)  # what the followers had not reached when they were stopped
        counted = db.session.execute(text("SELECT count(*) FROM rollup_batches WHERE events > 0")).scalar_one()
        assert counted > 1  # the followers took it batch by batch while the load ran
        assert applier.anything_pending(db.session.connection()) is False
        assert_all_stored_once(acknowledged)


POSTGRESQL = [kind for kind in EMPTY_DATABASE_KINDS if kind == "postgresql"]


@pytest.mark.parametrize("kind", POSTGRESQL)
def test_an_applier_killed_mid_batch_leaves_nothing_and_the_next_counts_it_all(
    kind: str, tmp_path: Path, library: Library
) -> None:
    """Killed (SIGKILL) while its batch is halfway through the rollup tables, a follower leaves
    no trace: neither rollup rows nor marks on the events. Once one runs again, the figures
    equal a rebuild."""
    with empty_database(kind, tmp_path, "applier_killed") as uri:
        app = make_app(uri)
        with app.app_context():
            db.create_all()
            seed_demo_regions()
            hand_in_surveys(library, 30)
            db.session.commit()
            before, waiting = stored_rollups(), _waiting()
            assert waiting > 0
            engine = create_engine(uri)
            try:
                with engine.connect() as blocker:
                    # the batch's fourth statement (options) waits here; the first three ran
                    blocker.execute(text("LOCK TABLE option_rollups IN EXCLUSIVE MODE"))
                    follower = flask(uri, "stats", "follow", "--interval", "0.05")
                    try:
                        _wait_until_blocked(engine, "INSERT INTO option_rollups")
                    finally:
                        os.kill(follower.pid, signal.SIGKILL)
                        follower.wait(timeout=30)
                    blocker.rollback()
            finally:
                engine.dispose()
            db.session.rollback()
            assert (stored_rollups(), _waiting()) == (before, waiting)
            assert "events counted" in apply_once(uri)
            assert _waiting() == 0
            assert_rollups_equal_a_rebuild()
            db.session.remove()
            db.engine.dispose()


def hand_in_surveys(library: Library, how_many: int) -> None:
    """``how_many`` residents of the test community each hand in a survey, at a reading pace."""
    community = get_region(COMMUNITY)
    served = utcnow() - timedelta(minutes=10)
    for _ in range(how_many):
        respondent, _token = learn.enroll_respondent(community)
        draw = quizzes.start_draw(library, library.survey, respondent, community, TIMING, now=served)
        choices = {i: [0] for i in range(len(draw.items))}
        quizzes.submit_draw(library, draw, choices, now=served + timedelta(minutes=5))


def _waiting() -> int:
    return int(
        db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM draws WHERE rollup_batch IS NULL)"
                " + (SELECT count(*) FROM attempts WHERE rollup_batch IS NULL)"
                " + (SELECT count(*) FROM lesson_completions WHERE rollup_batch IS NULL)"
            )
        ).scalar_one()
    )


def _wait_until_blocked(engine, statement: str) -> None:
    """Until the applier's server process waits for a lock in ``statement``, found by the name
    the follower gives its connections (so a database administrator can tell them apart too):
    polled, as pg_stat_activity offers no notification (and each look is a transaction of its
    own, as the view keeps what it showed for the rest of a transaction)."""
    deadline = time.monotonic() + REACH_SECONDS
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND position(:statement IN query) > 0 AND application_name = :applier"
    )
    while time.monotonic() < deadline:
        with engine.connect() as watcher:
            if watcher.execute(query, {"statement": statement, "applier": applier.APPLICATION_NAME}).scalar_one():
                return
        time.sleep(0.05)
    pytest.fail(f"no applier reached {statement!r} within {REACH_SECONDS} s")
