"""Sign-in, sessions, account management and the admin command."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token, seeded_app, sign_in
from webapp.accounts.models import User
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.regions.service import get_region


def test_sign_in_and_out(client: FlaskClient, accounts: dict) -> None:
    response = sign_in(client, "staff")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/staff").get_data(as_text=True)
    assert "工作台" in page and "退出登录" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff")})
    assert client.get("/staff").status_code == 302


def test_a_page_fetched_while_signing_in_does_not_sign_the_person_out(client: FlaskClient, accounts: dict) -> None:
    # The service worker fetches /offline with the anonymous cookie while the login form is
    # posted; if that response set a cookie, it would land after the signed-in one and replace it.
    client.get("/login")
    anonymous = client.get_cookie("session")
    assert anonymous is not None
    assert sign_in(client, "staff").status_code == 302
    signed_in = client.get_cookie("session")
    client.set_cookie("session", anonymous.value)
    late = client.get("/offline")
    assert late.status_code == 200
    assert not [c for c in late.headers.getlist("Set-Cookie") if c.startswith("session=")]
    client.set_cookie("session", signed_in.value)
    assert "工作台" in client.get("/staff").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_clear_message(client: FlaskClient, accounts: dict) -> None:
    response = sign_in(client, "staff", "wrong password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert sign_in(client, "nobody").status_code == 200


def test_disabled_accounts_cannot_sign_in(client: FlaskClient, accounts: dict) -> None:
    accounts["staff"].active = False
    db.session.commit()
    assert sign_in(client, "staff").status_code == 200


def test_next_only_goes_to_local_pages(client: FlaskClient, accounts: dict) -> None:
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "username": "staff", "password": PASSWORD}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"].endswith("/staff")


def test_repeated_bad_logins_are_limited(database_uri: str) -> None:
    from webapp.accounts.service import create_user

    with seeded_app(database_uri, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute") as app:
        create_user("staff", "staff", PASSWORD, "admin", None)
        db.session.commit()
        client = app.test_client()
        statuses = [sign_in(client, "staff", "guess").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        page = sign_in(client, "staff").get_data(as_text=True)
        assert "请稍等一分钟" in page  # even the right password waits


def test_login_form_without_csrf_is_refused(client: FlaskClient, accounts: dict) -> None:
    response = client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff").status_code == 302


def test_admin_creates_a_scoped_staff_account(as_user) -> None:
    admin = as_user("admin")
    token = csrf_token(admin, "/admin/users")
    data = {
        "csrf_token": token,
        "username": "Wang",
        "display_name": "王老师",
        "role": "staff",
        "scope": "DEMO010101",
        "password": "long enough pw",
    }
    assert admin.post("/admin/users", data=data).status_code == 302
    user = db.session.execute(select(User).where(User.username == "wang")).scalar_one()
    assert user.scope.code == "DEMO010101" and user.password_hash != "long enough pw"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.create")).scalars().all()[-1]
    assert entry.object_id == str(user.id)


def test_account_form_errors_are_explained(as_user) -> None:
    admin = as_user("admin")
    token = csrf_token(admin, "/admin/users")
    short = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "li", "role": "staff", "scope": "DEMO0101", "password": "short"},
    )
    assert "密码太短" in short.get_data(as_text=True)
    unscoped = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "li", "role": "organizer", "scope": "", "password": "long enough pw"},
    )
    assert "需要指定负责的区域" in unscoped.get_data(as_text=True)
    taken = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "STAFF",
            "role": "staff",
            "scope": "DEMO0101",
            "password": "long enough pw",
        },
    )
    assert "用户名已被使用" in taken.get_data(as_text=True)


def test_only_admins_manage_accounts(as_user) -> None:
    assert as_user("organizer").get("/admin/users").status_code == 403
    assert as_user("staff").get("/admin/users").status_code == 403


def test_create_admin_command(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "root"], input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(User).where(User.username == "root")).scalar_one().role == "admin"
    short = runner.invoke(args=["users", "create-admin", "root2", "--password", "short"])
    assert short.exit_code != 0


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil",
        "/%5Cevil.example",
        "/%2F/evil.example",
        "https://evil.example",
        "HTTPS:evil.example",
        "/%0d%0aSet-Cookie:x",
        "javascript:alert(1)",
        "/%0a/evil.example",
        "%20//evil.example",
        "/%00/evil.example",
        "staff",
    ],
)
def test_next_never_leaves_the_site(client: FlaskClient, accounts: dict, target: str) -> None:
    data = {"csrf_token": csrf_token(client, "/login"), "username": "staff", "password": PASSWORD}
    response = client.post(f"/login?next={target}", data=data)
    if "%00" in target:  # a NUL anywhere in a query string is refused before sign-in is tried
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"].replace("\\", "/"))
    assert location.path == "/staff" and not location.netloc and not location.scheme


def test_next_keeps_a_page_of_the_site(client: FlaskClient, accounts: dict) -> None:
    login = client.get("/staff/volunteers?page=2")
    assert login.status_code == 302
    page = urlsplit(login.headers["Location"])
    response = client.post(
        f"{page.path}?{page.query}",
        data={"csrf_token": csrf_token(client, "/login"), "username": "staff", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/staff/volunteers?page=2"


def browser_at(app: Flask, address: str) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_bad_sign_ins_lock_the_account_tried_not_colleagues(database_uri: str) -> None:
    from webapp.accounts.service import create_user

    with seeded_app(database_uri, RATELIMIT_ENABLED=True) as app:
        for name in ("alice", "bob"):
            create_user(name, name, PASSWORD, "staff", get_region("DEMO0101"))
        db.session.commit()
        attacker = browser_at(app, "203.0.113.9")
        statuses = [sign_in(attacker, "alice", "guess").status_code for _ in range(11)]
        assert statuses == [200] * 10 + [429]
        assert sign_in(browser_at(app, "198.51.100.20"), "bob").status_code == 302
        assert sign_in(browser_at(app, "198.51.100.21"), "ALICE ").status_code == 429


def test_one_account_is_not_guessed_from_many_addresses(database_uri: str) -> None:
    from webapp.accounts.service import create_user

    with seeded_app(database_uri, RATELIMIT_ENABLED=True) as app:
        create_user("alice", "alice", PASSWORD, "staff", get_region("DEMO0101"))
        create_user("bob", "bob", PASSWORD, "staff", get_region("DEMO0101"))
        db.session.commit()
        statuses = [sign_in(browser_at(app, f"203.0.113.{n}"), "alice", "guess").status_code for n in range(11)]
        assert statuses == [200] * 10 + [429]
        assert sign_in(browser_at(app, "203.0.113.1"), "bob").status_code == 302
