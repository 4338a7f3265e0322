"""Operations: health probes, JSON logs with request ids and no personal data, metrics."""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from bench.run import gunicorn
from tests.conftest import (
    COMMUNITY,
    PASSWORD,
    csrf_token,
    make_app,
    read_only_demo_database,
)
from tests.helpers import authorization, new_draw, right_answers
from webapp.config import CONNECT_TIMEOUT_SECONDS, database_url
from webapp.extensions import db
from webapp.ops.logs import describe

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-for-tests"
BEARER = authorization(TOKEN)
#: what a volunteer types into the public sign-up, and a phone number searched for
NAME, PHONE, SEARCHED = "陈静怡", "13712345678", "13800138000"


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when it is not there)."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


def scrape(client: FlaskClient) -> str:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def log_lines(captured: str) -> list[dict]:
    """Every line written to stderr, each of which must be one JSON object."""
    lines = [line for line in captured.splitlines() if line]
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]


# --- probes ----------------------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite'}")
    with app.app_context():
        response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "alive"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_says_not_ready_until_the_migrations_ran(fresh_database: str) -> None:
    app = make_app(fresh_database)
    client = app.test_client()
    with app.app_context():
        before = client.get("/readyz")
        assert before.status_code == 503 and before.headers["Cache-Control"] == "no-store"
        assert before.get_json()["failed"] == ["migrations"]
        assert before.get_json()["checks"]["database"] == "ok"
        upgrade(directory=str(ROOT / "migrations"))
        after = client.get("/readyz")
        assert after.status_code == 200, after.get_json()
        assert after.get_json() == {
            "status": "ready",
            "checks": {"database": "ok", "migrations": "ok", "content": "ok"},
        }
        db.engine.dispose()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: a connection to it is refused at once, and nobody takes it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def free_port() -> int:
    with refusing_port() as port:
        return port


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite'}"
    else:
        with refusing_port() as port:
            yield f"postgresql://postgres@127.0.0.1:{port}/nothing"


def test_readyz_says_not_ready_when_the_database_cannot_be_reached(unreachable_database: str) -> None:
    app = make_app(database_url(unreachable_database))
    started = time.monotonic()
    with app.app_context():
        response = app.test_client().get("/readyz")
    assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS
    assert response.status_code == 503 and response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["failed"] == ["database"]
    assert response.get_json()["checks"]["database"] == "unreachable"


# --- logs and request ids -------------------------------------------------------------------


def test_logs_are_json_lines_with_request_ids_and_nothing_personal(
    app: Flask, as_user, capsys: pytest.CaptureFixture
) -> None:
    staff = as_user("staff")  # signs in with the password
    search = staff.get(f"/staff/volunteers?q={SEARCHED}")
    partial = staff.get("/staff/volunteers?q=8000")
    resident = app.test_client()
    resident.get(f"/c/{COMMUNITY}")
    signup = resident.post(
        "/volunteer",
        data={
            "csrf_token": csrf_token(resident, "/volunteer"),
            "community": COMMUNITY,
            "name": NAME,
            "phone": PHONE,
            "consent": "y",
        },
    )
    assert (search.status_code, partial.status_code, signup.status_code) == (200, 200, 303)
    entries = log_lines(capsys.readouterr().err)
    for entry in entries:
        assert entry["request_id"] and entry["time"].endswith("+00:00")
        # ids and times are made of digits too: the fragment "8000" could turn up in them by chance
        text = json.dumps({k: v for k, v in entry.items() if k not in ("request_id", "time")}, ensure_ascii=False)
        for secret in (NAME, PHONE, SEARCHED, "q=", "8000", PASSWORD):
            assert secret not in text, entry
    # one request line per request, carrying the id the client was given
    by_id = {entry["request_id"]: entry for entry in entries if entry["logger"] == "webapp.access"}
    for response, path in ((search, "/staff/volunteers"), (signup, "/volunteer")):
        line = by_id[response.headers["X-Request-ID"]]
        assert line["path"] == path and line["status"] == response.status_code and line["duration_ms"] >= 0
        assert line["method"] in ("GET", "POST") and line["endpoint"]


def test_request_ids_round_trip_and_made_up_ones_are_replaced(client: FlaskClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7.a_Z"}).headers["X-Request-ID"] == "lb-7.a_Z"
    given = set()
    for forged in ("a" * 65, "two words", "<script>", "", "id\u00e9"):
        replaced = client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert replaced != forged and len(replaced) == 32 and int(replaced, 16) >= 0
        given.add(replaced)
    assert len(given) == 5  # each request its own


def test_error_pages_and_api_errors_quote_the_request_id(client: FlaskClient) -> None:
    page = client.get("/no-such-page", headers={"X-Request-ID": "page-1"})
    assert page.status_code == 404 and "参考编号：page-1" in page.get_data(as_text=True)
    english = client.get("/no-such-page?lang=en")
    assert f"Reference: {english.headers['X-Request-ID']}" in english.get_data(as_text=True)
    api = client.get("/api/v1/volunteers/1")
    assert api.status_code == 401
    assert api.get_json()["error"]["request_id"] == api.headers["X-Request-ID"]
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ErrorBody"]
    assert "request_id" in schema["required"] and schema["properties"]["request_id"]["type"] == "string"


def test_a_database_error_is_logged_and_counted_without_what_was_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # reads work, the sign-up's INSERT (whose parameters are the name and phone) fails
    app = make_app(read_only_demo_database(tmp_path / "ro.db"), METRICS_TOKEN=TOKEN)
    with app.app_context():
        client = app.test_client()
        data = {"csrf_token": csrf_token(client, f"/volunteer?community={COMMUNITY}"), "community": COMMUNITY}
        response = client.post("/volunteer", data={**data, "name": NAME, "phone": PHONE, "consent": "y"})
        assert response.status_code == 503
        assert sample(scrape(client), "xiaofang_database_errors_total", error="OperationalError") == 1
        db.engine.dispose()
    entries = log_lines(capsys.readouterr().err)
    warning = next(entry for entry in entries if entry["level"] == "warning")
    assert warning["message"] == "database unavailable: OperationalError: attempt to write a readonly database"
    assert warning["request_id"] == response.headers["X-Request-ID"] and warning["path"] == "/volunteer"
    assert not [entry for entry in entries if NAME in json.dumps(entry, ensure_ascii=False) or PHONE in str(entry)]


def test_a_driver_message_is_cut_before_the_lines_that_quote_rows() -> None:
    driver = Exception(f'duplicate key value violates unique constraint "uq_phone"\nDETAIL: Key (phone)=({PHONE})')
    error = OperationalError("INSERT INTO volunteers (name, phone) VALUES (?, ?)", (NAME, PHONE), driver)
    assert describe(error) == 'OperationalError: duplicate key value violates unique constraint "uq_phone"'


# --- metrics --------------------------------------------------------------------------------


@pytest.fixture()
def metrics_client(app: Flask) -> Iterator[Callable[..., FlaskClient]]:
    """``metrics_client(**config)``: a client of a second app over the test database that serves
    /metrics to TOKEN; its connections are closed afterwards, not left to the garbage collector."""
    made: list[Flask] = []

    def client(**config: Any) -> FlaskClient:
        made.append(make_app(app.config["SQLALCHEMY_DATABASE_URI"], METRICS_TOKEN=TOKEN, **config))
        return made[-1].test_client()

    yield client
    for other in made:
        with other.app_context():
            db.engine.dispose()


def test_metrics_are_served_only_to_the_token_holder(app: Flask, metrics_client) -> None:
    closed = app.test_client()  # no METRICS_TOKEN: nobody may read them
    assert closed.get("/metrics").status_code == 404
    assert closed.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    client = metrics_client()
    for wrong in ({}, {"Authorization": "Bearer no"}, {"Authorization": TOKEN}, {"Authorization": f"Bearer {TOKEN}x"}):
        refused = client.get("/metrics", headers=wrong)
        assert refused.status_code == 404 and "xiaofang_" not in refused.get_data(as_text=True)
    for _ in range(3):
        client.get("/healthz")
    client.get("/no-such-page?q=13800138000")
    figures = scrape(client)
    assert sample(figures, "xiaofang_http_requests_total", endpoint="ops.healthz", status="200") == 3
    assert sample(figures, "xiaofang_http_request_duration_seconds_count", endpoint="ops.healthz") == 3
    assert sample(figures, "xiaofang_http_requests_total", endpoint="unmatched", status="404") == 1
    assert SEARCHED not in figures and "no-such-page" not in figures


def test_metrics_count_submissions_and_rate_limit_refusals(metrics_client, library) -> None:
    client = metrics_client(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1/minute")
    for answered in (10, 7, 10):
        draw = new_draw(client)
        headers = {"X-Respondent-Token": draw["respondent_token"]}
        answers = {"answers": right_answers(library, draw["id"])[:answered]}
        assert client.post(f"/api/v1/draws/{draw['id']}/submission", json=answers, headers=headers).status_code == 201
    # handing the same answers in again stores nothing new, so counts nothing
    assert client.post(f"/api/v1/draws/{draw['id']}/submission", json=answers, headers=headers).status_code == 200
    sign_in = {"username": "nobody", "password": "wrong password"}
    refused = [client.post("/api/v1/auth/tokens", json=sign_in).status_code for _ in range(3)]
    assert refused == [401, 429, 429]
    figures = scrape(client)
    assert sample(figures, "xiaofang_quiz_submissions_total", kind="survey", valid="true") == 2
    assert sample(figures, "xiaofang_quiz_submissions_total", kind="survey", valid="false") == 1
    assert sample(figures, "xiaofang_rate_limited_total", endpoint="api_auth.create_token") == 2


def test_gunicorn_workers_figures_add_up(tmp_path: Path) -> None:
    """Requests served by two workers, scraped through either: the figure is their sum."""
    figures_dir = tmp_path / "prometheus"
    metrics_port = free_port()  # for the master's own metrics listener
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SECRET_KEY": secrets.token_hex(32),
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(figures_dir),
        "METRICS_PORT": str(metrics_port),
    }
    requests_made = 20
    with gunicorn("wsgi:app", env, workers=2) as (base, _master):
        port = int(base.rsplit(":", 1)[1])
        # the first worker to accept this half-sent request is held by it, so the other serves the rest
        held = socket.create_connection(("127.0.0.1", port))
        held.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n")
        with requests.Session() as session:
            for _ in range(requests_made - 1):
                assert session.get(f"{base}/healthz").status_code == 200
        held.sendall(b"\r\n")
        assert held.recv(4096).startswith(b"HTTP/1.1 200 ")
        held.close()
        through_app = requests.get(f"{base}/metrics", headers=BEARER)
        through_port = requests.get(f"http://127.0.0.1:{metrics_port}/metrics")
    for figures in (through_app.text, through_port.text):
        assert sample(figures, "xiaofang_http_requests_total", endpoint="ops.healthz", status="200") == requests_made
    # each worker's own file: both served, and their figures sum to what /metrics said
    per_worker = [
        found.value
        for path in figures_dir.glob("counter_*.db")
        for family in MultiProcessCollector.merge([str(path)])
        for found in family.samples
        if found.name == "xiaofang_http_requests_total" and found.labels == {"endpoint": "ops.healthz", "status": "200"}
    ]
    assert len(per_worker) == 2 and min(per_worker) >= 1 and sum(per_worker) == requests_made
