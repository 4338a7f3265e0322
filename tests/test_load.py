"""Zero loss under load: 100 concurrent submitters for 20 s against gunicorn over wsgi:app.

Every acknowledged submission must be in the database exactly once with the score the
client was told, and the rollups kept live must equal a rebuild from the raw rows.
The listening socket is bound here and handed to gunicorn, so requests simply queue
until a worker is up: no polling, no sleeps.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import COMMUNITY, make_app
from tests.test_rollups import snapshot
from webapp.config import database_url
from webapp.extensions import db
from webapp.regions.service import seed_demo_regions
from webapp.stats import rollups

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 100
SECONDS = 20
DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=DATABASES)
def load_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'load.db'}"
        return
    base = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    scratch = f"{base.database}_load"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    yield base.set(database=scratch).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def gunicorn(load_database: str, tmp_path: Path) -> Iterator[tuple[str, object]]:
    app = make_app(load_database)
    context = app.app_context()
    context.push()
    db.create_all()
    seed_demo_regions()
    db.session.commit()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    env = {**os.environ, "DATABASE_URL": load_database, "SECRET_KEY": "load", "RATELIMIT_ENABLED": "0"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"fd://{listener.fileno()}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
    )
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", app
    finally:
        server.terminate()
        server.wait(timeout=30)
        listener.close()
        db.session.remove()
        db.engine.dispose()
        context.pop()


def submitter(base: str, deadline: float, acknowledged: list, errors: list, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    token = None
    try:
        while time.monotonic() < deadline:
            headers = {"X-Respondent-Token": token} if token else {}
            draw = session.post(
                f"{base}/api/v1/quizzes/awareness-survey/draws",
                json={"community": COMMUNITY},
                headers=headers,
                timeout=60,
            )
            if draw.status_code != 201:
                errors.append(("draw", draw.status_code))
                continue
            body = draw.json()
            token = token or body["respondent_token"]
            answers = [
                {"position": q["position"], "choices": [rng.randrange(len(q["options"]))]} for q in body["questions"]
            ]
            result = session.post(
                f"{base}/api/v1/draws/{body['id']}/submission",
                json={"answers": answers},
                headers={"X-Respondent-Token": token},
                timeout=60,
            )
            if result.status_code == 201:
                acknowledged.append((body["id"], result.json()["n_correct"]))
            else:
                errors.append(("submit", result.status_code))
    finally:
        session.close()


def test_no_acknowledged_submission_is_lost(gunicorn) -> None:
    base, app = gunicorn
    acknowledged: list[tuple[str, int]] = []
    errors: list = []
    deadline = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=submitter, args=(base, deadline, acknowledged, errors, i)) for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(acknowledged) > CLIENTS  # every client got through more than once
    stored = dict(db.session.execute(text("SELECT draw_id, n_correct FROM attempts")).all())
    assert len(stored) == len(acknowledged)
    assert stored == dict(acknowledged)
    answers = db.session.execute(text("SELECT count(*) FROM answers")).scalar_one()
    assert answers == 10 * len(acknowledged)
    live = snapshot()
    rollups.rebuild()
    db.session.commit()
    assert snapshot() == live
