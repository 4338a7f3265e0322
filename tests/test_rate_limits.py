"""Rate limits count once per machine by default, and once across machines with Redis.

gunicorn serves wsgi:app with two workers; concurrent quiz starts from one respondent are
spread over both, and exactly the limit passes.
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import Flask

from bench.run import gunicorn
from tests.conftest import COMMUNITY
from webapp.config import INSTANCE_DIR, from_environment
from webapp.ratelimit import SQLiteStorage

LIMIT = 5
STARTS = 14
DRAWS = "/api/v1/quizzes/awareness-survey/draws"


def test_the_default_storage_is_one_file_per_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment()["RATELIMIT_STORAGE_URI"] == f"sqlite:///{INSTANCE_DIR / 'ratelimits.db'}"


def test_sqlite_counts_windows(tmp_path: Path) -> None:
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'limits.db'}")
    assert [storage.incr("start", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("start") == 3 and storage.get("other") == 0
    # a window that has run out starts again
    assert [storage.incr("spent", 0) for _ in range(2)] == [1, 1] and storage.get("spent") == 0
    # another process's connection (another worker) sees the same counts
    assert SQLiteStorage(f"sqlite:////{tmp_path / 'limits.db'}").incr("start", 60) == 4
    storage.clear("start")
    assert storage.get("start") == 0 and storage.check()


STORAGES = {
    "sqlite": lambda tmp_path: f"sqlite:///{tmp_path / 'ratelimits.db'}",
    "redis": lambda _tmp_path: "redis://127.0.0.1:6379",
}


@pytest.mark.parametrize("storage", list(STORAGES))
def test_two_workers_let_exactly_the_limit_through(storage: str, app: Flask, database_uri: str, tmp_path: Path):
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "SECRET_KEY": secrets.token_hex(32),
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_STORAGE_URI": STORAGES[storage](tmp_path),
        # the Redis is shared: these keys are this test's alone
        "RATELIMIT_KEY_PREFIX": f"test-{secrets.token_hex(8)}",
        "QUIZ_RATE_LIMIT": f"{LIMIT} per minute",
    }
    with gunicorn("wsgi:app", env, workers=2) as (base, _master):
        first = requests.post(f"{base}{DRAWS}", json={"community": COMMUNITY}, timeout=60)
        assert first.status_code == 201, first.text
        headers = {"X-Respondent-Token": first.json()["respondent_token"]}

        def start(_: int) -> int:
            return requests.post(
                f"{base}{DRAWS}", json={"community": COMMUNITY}, headers=headers, timeout=60
            ).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = sorted(pool.map(start, range(STARTS)))
    assert statuses == [201] * LIMIT + [429] * (STARTS - LIMIT)
