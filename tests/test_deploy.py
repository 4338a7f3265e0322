"""Deployment settings: the proxies believed, the public address, the secret key, the migration lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask import Flask, request
from sqlalchemy import create_engine, inspect, text

from tests.conftest import empty_database, make_app, seeded_app, sign_in
from tests.helpers import assert_error, png_modules, qr_matrix
from webapp import create_app
from webapp.config import ConfigurationError
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://xf.example.gov.cn"
#: where nginx connects from, as the app's socket sees it
PROXY_ADDRESS = "10.0.0.2"


def _seen_by(app: Flask, headers: dict) -> dict:
    """What the application takes the client's address, scheme and host to be."""
    app.add_url_rule(
        "/_seen", "seen", lambda: {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}
    )
    with app.app_context():
        return app.test_client().get("/_seen", headers=headers, environ_base={"REMOTE_ADDR": PROXY_ADDRESS}).get_json()


FORWARDED = {
    # a client's own forged entries, then the one address nginx appends
    "X-Forwarded-For": "6.6.6.6, 7.7.7.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": BASE.removeprefix("https://"),
}


def test_forwarded_headers_are_ignored_when_no_proxy_is_trusted(database_uri: str) -> None:
    seen = _seen_by(make_app(database_uri), FORWARDED)
    assert seen == {"addr": PROXY_ADDRESS, "scheme": "http", "host": "localhost"}


def test_one_trusted_proxy_gives_the_address_it_saw(database_uri: str) -> None:
    seen = _seen_by(make_app(database_uri, TRUSTED_PROXIES=1), FORWARDED)
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "xf.example.gov.cn"}
    # however long the forged chain, the client cannot choose the address it is counted under
    forged = {"X-Forwarded-For": "127.0.0.1, 10.0.0.2, 198.51.100.7"}
    assert _seen_by(make_app(database_uri, TRUSTED_PROXIES=1), forged)["addr"] == "198.51.100.7"


def test_trusted_proxies_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "nginx")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES must be a whole number"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# --- the public base URL and the hosts accepted ---------------------------------------------------


def test_unknown_hosts_are_refused_when_a_base_url_is_set(database_uri: str) -> None:
    with seeded_app(database_uri, PUBLIC_BASE_URL=BASE, ALLOWED_HOSTS=["10.0.0.11"]) as app:
        client = app.test_client()
        refused = client.get("/", base_url="http://evil.example")
        assert refused.status_code == 400 and "此地址" in refused.get_data(as_text=True)
        api = client.get("/api/v1/regions", base_url="http://evil.example")
        assert_error(api, 400, "unknown_host")
        assert client.get("/", base_url=BASE).status_code == 200
        # the load balancer's checks name the machine's address
        assert client.get("/", base_url="http://10.0.0.11:8000").status_code == 200


def test_any_host_is_served_without_a_base_url(client) -> None:
    assert client.get("/", base_url="http://xf.internal").status_code == 200


def test_qr_codes_and_posters_lead_to_the_base_url_whatever_the_host(database_uri: str, make_account) -> None:
    # staff reach this machine by another name (allowed), the codes they print still lead to the site
    with seeded_app(database_uri, PUBLIC_BASE_URL=BASE, ALLOWED_HOSTS=["localhost"]) as app:
        make_account("staff", "staff", "DEMO0101")
        staff = app.test_client()
        assert sign_in(staff, "staff").status_code == 302
        png = staff.get("/staff/qr/community/DEMO010101.png")
        expected = qr_matrix(f"{BASE}/c/DEMO010101")
        assert png_modules(png.get_data(), len(expected)) == expected
        poster = staff.get("/staff/posters/community/DEMO010101").get_data(as_text=True)
        assert f'<p class="poster-url">{BASE}/c/DEMO010101</p>' in poster
        assert "localhost" not in poster


@pytest.mark.parametrize("base", ["xf.example.gov.cn", "ftp://xf.example.gov.cn", "https://xf.example.gov.cn/?a=1"])
def test_a_base_url_that_is_not_an_address_stops_start_up(base: str) -> None:
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL must be an absolute"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": base})


# --- the secret key -----------------------------------------------------------------------------


def test_start_up_without_a_secret_key_fails_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_demo_keeps_one_key_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "instance" / "secret_key"
    keys = {
        subprocess.run(
            ["sh", "scripts/secret_key.sh", str(path)], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(keys) == 1 and len(key := keys.pop()) >= 32
    assert path.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("SECRET_KEY", key)
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).secret_key == key


# --- migrations from several machines at once -------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="the lock is PostgreSQL's: runs with TEST_DATABASE_URL"
)
def test_two_machines_upgrading_a_fresh_database_at_once_both_succeed(tmp_path: Path) -> None:
    with empty_database("postgresql", tmp_path, "upgrade_race") as uri:
        env = {**os.environ, "DATABASE_URL": uri, "FLASK_APP": "wsgi", "SECRET_KEY": "k" * 32}
        upgrades = [
            subprocess.Popen(
                [sys.executable, "-m", "flask", "db", "upgrade"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [upgrade.communicate(timeout=120)[0] for upgrade in upgrades]
        assert [upgrade.returncode for upgrade in upgrades] == [0, 0], outputs
        head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
        engine = create_engine(uri)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
        assert set(db.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()
