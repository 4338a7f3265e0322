"""The audit log (page and API) and API bearer tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from tests.helpers import assert_error, authorization, token_for
from webapp.audit.service import record
from webapp.clock import utcnow
from webapp.extensions import db


def test_token_lifecycle(client: FlaskClient, accounts: dict) -> None:
    token = token_for(client, "admin")
    assert client.get("/api/v1/audit", headers=authorization(token)).status_code == 200
    assert client.delete("/api/v1/auth/tokens", headers=authorization(token)).status_code == 204
    assert_error(client.get("/api/v1/audit", headers=authorization(token)), 401, "unauthorized")


def test_wrong_credentials_and_expired_tokens_are_401(client: FlaskClient, accounts: dict) -> None:
    bad = client.post("/api/v1/auth/tokens", json={"username": "admin", "password": "nope"})
    assert bad.status_code == 401
    assert client.post("/api/v1/auth/tokens", json={"username": "admin"}).status_code == 422
    from webapp.accounts.service import issue_token

    token, _ = issue_token(accounts["admin"], timedelta(hours=1), now=utcnow() - timedelta(hours=2))
    db.session.commit()
    assert client.get("/api/v1/audit", headers=authorization(token)).status_code == 401
    assert client.get("/api/v1/audit", headers={"Authorization": "Basic abc"}).status_code == 401


def test_disabled_account_tokens_stop_working(client: FlaskClient, accounts: dict) -> None:
    token = token_for(client, "admin")
    accounts["admin"].active = False
    db.session.commit()
    assert client.get("/api/v1/audit", headers=authorization(token)).status_code == 401


def test_token_requests_are_rate_limited(database_uri: str) -> None:
    from tests.conftest import seeded_app

    with seeded_app(database_uri, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute") as app:
        client = app.test_client()
        statuses = [
            client.post("/api/v1/auth/tokens", json={"username": "x", "password": "y"}).status_code for _ in range(3)
        ]
        assert statuses == [401, 401, 429]


@pytest.fixture()
def entries(accounts: dict) -> None:
    record(accounts["staff"], "volunteer.export", details={"format": "csv"}, row_count=12)
    record(accounts["other_organizer"], "volunteer.export", details={"format": "xlsx"}, row_count=3)
    record(accounts["admin"], "user.create")
    db.session.commit()


def test_organizers_see_their_subtree_admins_see_all(client: FlaskClient, as_user, entries) -> None:
    organizer = as_user("organizer").get("/staff/audit?action=volunteer.export").get_data(as_text=True)
    assert ">staff<" in organizer and "other_organizer" not in organizer
    everything = as_user("admin").get("/staff/audit").get_data(as_text=True)
    assert "other_organizer" in everything and "创建账号" in everything


def test_audit_page_filters_by_user_action_and_date(as_user, accounts: dict, entries) -> None:
    admin = as_user("admin")
    page = admin.get(f"/staff/audit?user={accounts['staff'].id}").get_data(as_text=True)
    assert "csv" in page and "xlsx" not in page
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert "共 0 条" in admin.get(f"/staff/audit?since={tomorrow}&action=volunteer.export").get_data(as_text=True)
    assert admin.get("/staff/audit?since=not-a-date&page=abc").status_code == 200


def test_audit_api_filters_and_scopes(client: FlaskClient, accounts: dict, entries, bearer) -> None:
    body = client.get("/api/v1/audit?action=volunteer.export", headers=bearer("organizer")).get_json()
    assert [e["username"] for e in body["items"]] == ["staff"] and body["items"][0]["row_count"] == 12
    assert client.get("/api/v1/audit?since=yesterday", headers=bearer("admin")).status_code == 422


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        (None, "/staff", 302),
        ("staff", "/staff", 200),
        ("organizer", "/staff", 200),
        ("admin", "/staff", 200),
        (None, "/staff/audit", 302),
        ("staff", "/staff/audit", 403),
        ("organizer", "/staff/audit", 200),
        ("admin", "/staff/audit", 200),
        (None, "/admin/users", 302),
        ("staff", "/admin/users", 403),
        ("organizer", "/admin/users", 403),
        ("admin", "/admin/users", 200),
        ("admin", "/admin/users/999999", 404),
    ],
)
def test_site_permission_table(client: FlaskClient, as_user, who: str | None, path: str, expected: int) -> None:
    browser = as_user(who) if who else client
    assert browser.get(path).status_code == expected


@pytest.mark.parametrize(("who", "expected"), [(None, 401), ("staff", 403), ("organizer", 200), ("admin", 200)])
def test_audit_api_permission_table(
    client: FlaskClient, accounts: dict, who: str | None, expected: int, bearer
) -> None:
    headers = bearer(who) if who else {}
    assert client.get("/api/v1/audit", headers=headers).status_code == expected


def test_every_audited_action_has_a_label() -> None:
    """A new audit action without a label would show its code in the log."""
    import re
    from pathlib import Path

    from webapp.audit.labels import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in (root / "webapp").rglob("*.py"))
    source += "\n".join(p.read_text(encoding="utf-8") for p in (root / "api").rglob("*.py"))
    actions = set(re.findall(r'record\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', source))
    actions |= {f"volunteer.{a}" for a in ("approve", "reject", "deactivate", "reactivate")}
    assert actions and actions - set(ACTION_LABELS) == set()


def test_token_requests_count_per_account_together_with_the_site(database_uri: str, make_account) -> None:
    from tests.conftest import seeded_app, sign_in

    with seeded_app(database_uri, RATELIMIT_ENABLED=True) as app:
        for name in ("alice", "bob"):
            make_account(name, "admin")

        def ask(address: str, credentials: object) -> int:
            response = app.test_client().post(
                "/api/v1/auth/tokens", json=credentials, environ_base={"REMOTE_ADDR": address}
            )
            return response.status_code

        statuses = [ask(f"203.0.113.{n}", {"username": "alice", "password": "guess"}) for n in range(10)]
        assert statuses == [401] * 10
        assert ask("198.51.100.1", {"username": "Alice", "password": PASSWORD}) == 429
        site = app.test_client()
        site.environ_base["REMOTE_ADDR"] = "198.51.100.2"
        assert sign_in(site, "alice").status_code == 429
        assert ask("203.0.113.1", {"username": "bob", "password": PASSWORD}) == 201
        for odd in ([], "alice", {"username": ["alice"]}, {"username": "\ud800", "password": "x"}):
            assert ask("198.51.100.3", odd) in (401, 422)
