"""Fixtures: a fresh app per test over a database emptied between tests.

The schema is built once per run (SQLite file, or PostgreSQL when TEST_DATABASE_URL
is set) and every table is emptied after each test, which keeps PostgreSQL runs fast.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quizzes.library import Library, load_library
from webapp import create_app
from webapp.config import database_url
from webapp.extensions import db
from webapp.regions.service import kept_regions, seed_demo_regions
from webapp.stats.dashboard import forget_revived

pytest_plugins = ["tests.browser_support", "tests.factories"]

#: a demo community that every test can use (street DEMO0101, district DEMO01)
COMMUNITY = "DEMO010101"
#: a community of another street (DEMO0102) and of another district (DEMO02)
OTHER_STREET_COMMUNITY = "DEMO010201"
OTHER_DISTRICT_COMMUNITY = "DEMO020101"


def _database_uri(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return database_url(url) if url else f"sqlite:///{tmp_dir / 'test.db'}"


#: the databases a test that builds its own database runs on
EMPTY_DATABASE_KINDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@contextmanager
def empty_database(kind: str, tmp_dir: Path, name: str) -> Iterator[str]:
    """A new, empty database of ``kind`` for one test: a SQLite file, or a scratch PostgreSQL
    database beside TEST_DATABASE_URL's, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / f'{name}.db'}"
        return
    base = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    scratch = f"{base.database}_{name}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    try:
        yield base.set(database=scratch).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=EMPTY_DATABASE_KINDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of each kind, named after the test module."""
    with empty_database(request.param, tmp_path, request.module.__name__.rsplit(".", 1)[-1]) as uri:
        yield uri


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    uri = _database_uri(tmp_path_factory.mktemp("db"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield uri
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(scope="session")
def library() -> Library:
    return _LIBRARY


class RequestScopedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    Tests hold an app context to query the database; without this, requests would
    share its ``g`` (and the CSRF token cached there) across different clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


#: the content, loaded once for every app the tests build (a test of broken content loads its own)
_LIBRARY = load_library()


def make_app(database_uri: str, **config) -> Flask:
    settings = {
        "CONTENT_LIBRARY": _LIBRARY,
        # scrypt at a 32nd of the production cost: tests sign in thousands of times
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "RATELIMIT_ENABLED": False,
        # one app per test: counts kept in its own memory start afresh with it
        "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "test",
        # tests change data between page views; the one test of keeping dashboards sets it
        "DASHBOARD_MAX_AGE_SECONDS": 0,
    }
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = RequestScopedClient
    return app


def _empty_tables() -> None:
    kept_regions.clear()  # the next test's regions may reuse these ids and codes
    forget_revived()
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def read_only_demo_database(path: Path) -> str:
    """A SQLite file at ``path`` with the schema and the demo regions, and the URL that opens it
    read-only: reads work, every write fails as on a disk remounted read-only."""
    writable = make_app(f"sqlite:///{path}")
    with writable.app_context():
        db.create_all()
        seed_demo_regions()
        db.session.commit()
        db.engine.dispose()
    return f"sqlite:///file:{path}?mode=ro&uri=true"


@contextmanager
def seeded_app(database_uri: str, **config) -> Iterator[Flask]:
    """An app over the demo regions, inside its app context; every table emptied afterwards."""
    app = make_app(database_uri, **config)
    with app.app_context():
        seed_demo_regions()
        db.session.commit()
        try:
            yield app
        finally:
            db.session.rollback()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture()
def app(database_uri: str) -> Iterator[Flask]:
    with seeded_app(database_uri) as app:
        yield app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def resident(client: FlaskClient) -> FlaskClient:
    """A browser that scanned the demo community's QR code."""
    response = client.get(f"/c/{COMMUNITY}")
    assert response.status_code == 302
    return client


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str = "/quizzes") -> str:
    match = CSRF_RE.search(client.get(page).get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


PASSWORD = "correct horse battery"

#: who signs in during tests: a street's staff, a district's organizer, an admin, and a
#: staff member of another street (to prove scopes hold)
ACCOUNTS = {
    "staff": ("staff", "DEMO0101"),
    "other_staff": ("staff", "DEMO0102"),
    "organizer": ("organizer", "DEMO01"),
    "other_organizer": ("organizer", "DEMO02"),
    "admin": ("admin", None),
}


@pytest.fixture()
def accounts(app: Flask, make_account) -> dict:
    """The accounts of ``ACCOUNTS``, by name."""
    return {name: make_account(name, role, scope) for name, (role, scope) in ACCOUNTS.items()}


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


@pytest.fixture()
def as_user(app: Flask, accounts: dict):
    """``as_user("staff")`` → a client signed in as that account."""

    def signed_in(username: str) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client

    return signed_in
