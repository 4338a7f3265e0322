"""Sessions end server-side (logout, password change, deactivation, sign out everywhere) and weak
passwords are refused wherever a password is set."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import BadSignature
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from tests.helpers import authorization
from webapp.audit.models import AuditEntry
from webapp.extensions import db

NEW_PASSWORD = "amber lantern quietly"


def replay(app: Flask, cookie: str) -> FlaskClient:
    """A second browser holding a copy of someone's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def stolen_cookie(browser: FlaskClient) -> str:
    cookie = browser.get_cookie("session")
    assert cookie is not None
    return cookie.value


def assert_signed_out(browser: FlaskClient) -> None:
    response = browser.get("/staff")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copied_cookie_is_dead_after_logout(app: Flask, as_user) -> None:
    staff = as_user("staff")
    copy = stolen_cookie(staff)
    assert replay(app, copy).get("/staff").status_code == 200
    staff.post("/logout", data={"csrf_token": csrf_token(staff, "/staff")})
    assert_signed_out(replay(app, copy))


def test_a_copied_cookie_is_dead_in_another_browser(app: Flask, as_user) -> None:
    copy = stolen_cookie(as_user("staff"))
    thief = replay(app, copy)
    thief.environ_base["HTTP_USER_AGENT"] = "Another browser/1.0"
    assert_signed_out(thief)


def test_an_admin_changing_a_password_ends_that_users_sessions(app: Flask, as_user, accounts: dict) -> None:
    copy = stolen_cookie(as_user("staff"))
    admin = as_user("admin")
    page = f"/admin/users/{accounts['staff'].id}"
    data = {
        "csrf_token": csrf_token(admin, page),
        "username": "staff",
        "display_name": "staff",
        "role": "staff",
        "scope": "DEMO0101",
        "password": NEW_PASSWORD,
        "active": "y",
    }
    assert admin.post(page, data=data).status_code == 302
    assert_signed_out(replay(app, copy))
    assert admin.get("/staff").status_code == 200  # the admin's own session is untouched


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(app: Flask, as_user, accounts: dict) -> None:
    copy = stolen_cookie(as_user("staff"))
    admin = as_user("admin")
    page = f"/admin/users/{accounts['staff'].id}"
    data = {"csrf_token": csrf_token(admin, page), "username": "staff", "role": "staff", "scope": "DEMO0101"}
    assert admin.post(page, data=data).status_code == 302  # "active" unticked
    assert admin.post(page, data={**data, "active": "y"}).status_code == 302
    assert_signed_out(replay(app, copy))


def test_sign_out_everywhere_ends_sessions_and_tokens_and_is_audited(
    app: Flask, client: FlaskClient, as_user, accounts: dict
) -> None:
    copy = stolen_cookie(as_user("staff"))
    token = client.post("/api/v1/auth/tokens", json={"username": "staff", "password": PASSWORD}).get_json()["token"]
    admin = as_user("admin")
    page = f"/admin/users/{accounts['staff'].id}"
    assert "sign-out" in admin.get(page).get_data(as_text=True)
    assert admin.post(f"{page}/sign-out").status_code == 400  # no CSRF token, nothing happens
    assert replay(app, copy).get("/staff").status_code == 200
    response = admin.post(f"{page}/sign-out", data={"csrf_token": csrf_token(admin, page)})
    assert response.status_code == 303
    assert_signed_out(replay(app, copy))
    assert client.get("/api/v1/volunteers", headers=authorization(token)).status_code == 401
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.sign_out_everywhere")).scalar_one()
    assert entry.object_id == str(accounts["staff"].id)
    assert as_user("staff").get("/staff").status_code == 200  # signing in again works


def test_only_admins_sign_others_out(as_user, accounts: dict) -> None:
    organizer = as_user("organizer")
    page = f"/admin/users/{accounts['staff'].id}/sign-out"
    assert organizer.post(page, data={"csrf_token": csrf_token(organizer, "/staff")}).status_code == 403


def own_password_change(browser: FlaskClient, current: str, new: str, again: str | None = None):
    data = {"csrf_token": csrf_token(browser, "/staff/password"), "current_password": current}
    data |= {"new_password": new, "new_password_again": new if again is None else again}
    return browser.post("/staff/password", data=data)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(
    app: Flask, client: FlaskClient, as_user
) -> None:
    other_device = stolen_cookie(as_user("staff"))
    token = client.post("/api/v1/auth/tokens", json={"username": "staff", "password": PASSWORD}).get_json()["token"]
    staff = as_user("staff")
    assert "/staff/password" in staff.get("/staff").get_data(as_text=True)
    response = own_password_change(staff, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303
    assert staff.get("/staff").status_code == 200
    assert_signed_out(replay(app, other_device))
    assert client.get("/api/v1/volunteers", headers=authorization(token)).status_code == 401
    fresh = app.test_client()
    assert fresh.post("/api/v1/auth/tokens", json={"username": "staff", "password": PASSWORD}).status_code == 401
    assert fresh.post("/api/v1/auth/tokens", json={"username": "staff", "password": NEW_PASSWORD}).status_code == 201


@pytest.mark.parametrize(
    ("current", "new", "again", "says"),
    [
        ("wrong password", NEW_PASSWORD, None, "当前密码不正确"),
        (PASSWORD, NEW_PASSWORD, "amber lantern loudly", "两次输入的新密码不一致"),
        (PASSWORD, "password123", None, "太常见"),
        (PASSWORD, "staff on duty 2026", None, "用户名"),
    ],
)
def test_own_password_change_refusals_are_explained(
    app: Flask, as_user, current: str, new: str, again: str | None, says: str
) -> None:
    staff = as_user("staff")
    response = own_password_change(staff, current, new, again)
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    fresh = app.test_client()
    assert fresh.post("/api/v1/auth/tokens", json={"username": "staff", "password": PASSWORD}).status_code == 201


def test_signed_out_visitors_cannot_change_a_password(client: FlaskClient) -> None:
    assert client.get("/staff/password").status_code == 302


@pytest.mark.parametrize(
    ("username", "password", "says"),
    [
        ("li", "1234567890", "太常见"),
        ("li", "password123", "太常见"),
        ("li", "qwertyuiop", "太常见"),
        ("zhangwei", "zhangwei2026!", "用户名"),
        ("zhangwei", "My ZhangWei Pass", "用户名"),
        ("zhangweiming", "zhangweiming", "用户名"),
    ],
)
def test_admins_cannot_set_weak_passwords(as_user, accounts: dict, username: str, password: str, says: str) -> None:
    admin = as_user("admin")
    data = {"csrf_token": csrf_token(admin, "/admin/users"), "username": username, "role": "staff"}
    response = admin.post("/admin/users", data={**data, "scope": "DEMO0101", "password": password})
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    page = f"/admin/users/{accounts['staff'].id}"
    edit = {**data, "username": "staff", "scope": "DEMO0101", "password": "staff-2026!", "active": "y"}
    assert "用户名" in admin.post(page, data=edit).get_data(as_text=True)


def test_create_admin_refuses_weak_passwords(app: Flask) -> None:
    runner = app.test_cli_runner()
    common = runner.invoke(args=["users", "create-admin", "root", "--password", "1234567890"])
    assert common.exit_code != 0 and "太常见" in common.output
    named = runner.invoke(args=["users", "create-admin", "rootadmin", "--password", "Rootadmin-2026"])
    assert named.exit_code != 0 and "用户名" in named.output


def test_demo_account_passwords_are_accepted(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.count("password:") == 4  # admin, organizer, staff and a unit's manager


def test_a_new_secret_key_signs_sessions_at_once_and_the_old_one_reads_only_as_a_fallback(app: Flask) -> None:
    interface = app.session_interface
    signed_before = interface.get_signing_serializer(app).dumps({"_user_id": "1"})
    old_key, app.secret_key = app.secret_key, "a rotated key of more than thirty-two characters"
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(signed_before)
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert interface.get_signing_serializer(app).loads(signed_before) == {"_user_id": "1"}
