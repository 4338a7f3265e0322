"""Several machines: two apps over one database, and two gunicorn instances on one PostgreSQL and Redis.

Every machine must show the same dashboard, accept the sessions and form tokens the others
signed, and count rate limits once across all of them.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask

from bench.run import gunicorn
from tests.conftest import COMMUNITY, CSRF_RE, PASSWORD, empty_database, make_app, seeded_app
from tests.factories import NOV
from tests.helpers import age_dashboards, authorization, token_for
from webapp.extensions import db
from webapp.learn.models import Respondent
from webapp.regions.service import seed_demo_regions

STATS = "/api/v1/stats/regions/DEMO?period=2026-11"


@pytest.fixture(scope="session")
def surveys_scoring(hand_in_survey) -> Callable[..., list[Respondent]]:
    """``surveys_scoring(9, 7)``: two awareness surveys handed in in the demo community, of 9
    and of 7 right answers."""
    return lambda *scores: [hand_in_survey(COMMUNITY, correct, NOV) for correct in scores]


def _shown(machine: Flask, token: str) -> tuple[int, str]:
    """The city's awareness sample size and when its figures were read, as one machine shows them."""
    body = machine.test_client().get(STATS, headers=authorization(token)).get_json()
    return body["indicators"]["awareness"]["n"], body["computed_at"]


def test_two_machines_over_one_database_show_the_same_dashboard(
    database_uri: str, make_account, surveys_scoring
) -> None:
    with seeded_app(database_uri, DASHBOARD_MAX_AGE_SECONDS=60) as first:
        second = make_app(database_uri, DASHBOARD_MAX_AGE_SECONDS=60)
        make_account("admin", "admin")
        surveys_scoring(9, 7)
        token = token_for(first.test_client(), "admin")
        on_first = _shown(first, token)
        assert on_first[0] == 2
        surveys_scoring(5)
        # read by the first a moment ago: the second shows those figures, not its own newer read
        assert _shown(second, token) == on_first
        age_dashboards(timedelta(seconds=61))
        on_second = _shown(second, token)
        assert on_second[0] == 3 and on_second[1] > on_first[1]
        assert _shown(first, token) == on_second
        with second.app_context():
            db.engine.dispose()


def _login(base: str, session: requests.Session, token: str, username: str, password: str) -> requests.Response:
    return session.post(
        f"{base}/login",
        data={"csrf_token": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=60,
    )


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL: runs with TEST_DATABASE_URL")
def test_two_gunicorn_instances_act_as_one_site(tmp_path: Path, make_account, surveys_scoring) -> None:
    with empty_database("postgresql", tmp_path, "scale_out") as uri, ExitStack() as stack:
        app = make_app(uri)
        stack.enter_context(app.app_context())
        db.create_all()
        seed_demo_regions()
        make_account("admin", "admin")
        surveys_scoring(9, 7)
        env = {
            **os.environ,
            "DATABASE_URL": uri,
            "SECRET_KEY": secrets.token_hex(32),
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "RATELIMIT_KEY_PREFIX": f"test-scale-out-{uuid.uuid4().hex}",
            "LOGIN_RATE_LIMIT": "3 per 5 minutes",
            "TRUSTED_PROXIES": "1",
        }
        a, _ = stack.enter_context(gunicorn("wsgi:app", env, 1))
        b, _ = stack.enter_context(gunicorn("wsgi:app", env, 1))
        browser = requests.Session()

        # a form served by A is accepted by B, and the session B signs in is accepted by A
        form_token = CSRF_RE.search(browser.get(f"{a}/login", timeout=60).text).group(1)
        assert _login(b, browser, form_token, "admin", PASSWORD).status_code == 302
        assert browser.get(f"{a}/staff", allow_redirects=False, timeout=60).status_code == 200
        assert browser.get(f"{b}/staff", allow_redirects=False, timeout=60).status_code == 200

        # the dashboard: one read, shown alike by both
        api = authorization(
            requests.post(
                f"{b}/api/v1/auth/tokens", json={"username": "admin", "password": PASSWORD}, timeout=60
            ).json()["token"]
        )
        on_a = requests.get(f"{a}{STATS}", headers=api, timeout=60).json()
        surveys_scoring(5)
        on_b = requests.get(f"{b}{STATS}", headers=api, timeout=60).json()
        assert on_a["indicators"]["awareness"]["n"] == 2
        assert (on_b["indicators"], on_b["computed_at"]) == (on_a["indicators"], on_a["computed_at"])

        # three sign-ins allowed per address, counted once across both instances
        attacker = {"X-Forwarded-For": "198.51.100.23"}
        stranger = requests.Session()
        stranger.headers.update(attacker)
        form_token = CSRF_RE.search(stranger.get(f"{a}/login", timeout=60).text).group(1)
        tries = [_login(base, stranger, form_token, "nobody", "wrong password").status_code for base in (a, b, a)]
        assert 429 not in tries
        assert _login(b, stranger, form_token, "nobody", "wrong password").status_code == 429
        assert _login(a, stranger, form_token, "nobody", "wrong password").status_code == 429
        db.session.remove()
        db.engine.dispose()
