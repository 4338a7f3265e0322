"""Zero loss under load: 100 concurrent submitters for 20 s against gunicorn over wsgi:app.

Every acknowledged submission must be in the database exactly once with the score the
client was told, and the rollups kept live must equal a rebuild from the raw rows.
The listening socket is bound here and handed to gunicorn, so requests simply queue
until a worker is up: no polling, no sleeps.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import COMMUNITY
from tests.helpers import assert_all_stored_once, serve, workers_of

CLIENTS = 100
#: what a phone sees when the worker serving it dies: the connection drops, or the answer is cut short
BROKEN = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
SECONDS = 20


@pytest.fixture()
def gunicorn(fresh_database: str) -> Iterator[tuple[str, int]]:
    with serve(fresh_database) as served:
        yield served


def _submit(session: requests.Session, base: str, draw_id: str, answers: list, token: str, errors: list):
    """Hand in, retrying with the same idempotency key when the connection breaks."""
    for _try in range(5):
        try:
            return session.post(
                f"{base}/api/v1/draws/{draw_id}/submission",
                json={"answers": answers},
                headers={"X-Respondent-Token": token, "Idempotency-Key": f"load-{draw_id}"},
                timeout=60,
            )
        except BROKEN:  # the worker died under this request: a phone would retry
            errors.append(("submit", "connection"))
    raise AssertionError(f"could not hand in {draw_id} in five tries")


def submitter(base: str, deadline: float, acknowledged: list, errors: list, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    token = None
    try:
        while time.monotonic() < deadline:
            headers = {"X-Respondent-Token": token} if token else {}
            try:
                draw = session.post(
                    f"{base}/api/v1/quizzes/awareness-survey/draws",
                    json={"community": COMMUNITY},
                    headers=headers,
                    timeout=60,
                )
            except BROKEN:
                errors.append(("draw", "connection"))
                continue
            if draw.status_code != 201:
                errors.append(("draw", draw.status_code))
                continue
            body = draw.json()
            token = token or body["respondent_token"]
            answers = [
                {"position": q["position"], "choices": [rng.randrange(len(q["options"]))]} for q in body["questions"]
            ]
            result = _submit(session, base, body["id"], answers, token, errors)
            if result.status_code in (200, 201):
                acknowledged.append((body["id"], result.json()["n_correct"]))
            else:
                errors.append(("submit", result.status_code))
    finally:
        session.close()


def run_load(base: str | list[str], clients: int, seconds: float, during=None) -> tuple[list, list]:
    """``clients`` submitters for ``seconds``, spread over the instances at ``base``."""
    bases = [base] if isinstance(base, str) else base
    acknowledged: list[tuple[str, int]] = []
    errors: list = []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=submitter, args=(bases[i % len(bases)], deadline, acknowledged, errors, i))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    if during:
        during()
    for thread in threads:
        thread.join()
    return acknowledged, errors


def test_no_acknowledged_submission_is_lost(gunicorn) -> None:
    base, _master = gunicorn
    acknowledged, errors = run_load(base, CLIENTS, SECONDS)
    assert errors == []
    assert len(acknowledged) > CLIENTS  # every client got through more than once
    assert assert_all_stored_once(acknowledged) == dict(acknowledged)


def test_a_worker_killed_mid_load_loses_no_acknowledged_attempt(gunicorn) -> None:
    base, master = gunicorn

    def kill_a_worker() -> None:
        # once requests are flowing, SIGKILL one worker; the master starts another
        assert requests.get(f"{base}/api/v1/quizzes", timeout=60).status_code == 200
        os.kill(workers_of(master)[0], signal.SIGKILL)

    acknowledged, errors = run_load(base, CLIENTS // 2, SECONDS / 2, during=kill_a_worker)
    assert len(acknowledged) > CLIENTS // 2
    assert all(status == "connection" for _kind, status in errors)
    stored = assert_all_stored_once(acknowledged)
    assert len(stored) >= len(acknowledged)  # a killed request may have been stored unacknowledged
