"""Refused account changes leave nothing behind; what is done to accounts reaches the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token
from webapp.accounts.models import User
from webapp.accounts.service import AccountError
from webapp.audit.models import AuditEntry
from webapp.errors import DomainError
from webapp.extensions import db

NEW_PASSWORD = "amber lantern quietly 2026"


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_account_refusals_are_domain_errors_beside_their_field() -> None:
    taken, weak = AccountError("username", "username_taken"), AccountError("password", "password_common")
    assert isinstance(taken, DomainError) and (taken.status, taken.fields) == (409, {"username": "username_taken"})
    assert (weak.status, weak.code, weak.field) == (422, "password_common", "password")


def new_account_form(admin: FlaskClient, **changes: str) -> dict:
    data = {"csrf_token": csrf_token(admin, "/admin/users"), "username": "wang", "display_name": "王老师"}
    return data | {"role": "staff", "scope": "DEMO010101", "password": NEW_PASSWORD} | changes


@pytest.mark.parametrize(
    ("changes", "says"),
    [({"password": "password123"}, "太常见"), ({"username": "STAFF"}, "用户名已被使用"), ({"scope": ""}, "负责的区域")],
)
def test_a_refused_account_is_shown_on_its_form_and_nothing_is_saved(as_user, changes: dict, says: str) -> None:
    admin = as_user("admin")
    before = db.session.execute(select(func.count(User.id))).scalar_one()
    response = admin.post("/admin/users", data=new_account_form(admin, **changes))
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(User.id))).scalar_one() == before
    assert audit("user.create") == []


def test_opening_and_changing_an_account_are_audited_with_what_was_saved(as_user, accounts: dict) -> None:
    admin = as_user("admin")
    assert admin.post("/admin/users", data=new_account_form(admin)).status_code == 302
    wang = db.session.execute(select(User).where(User.username == "wang")).scalar_one()
    (opened,) = audit("user.create")
    assert (opened.user_id, opened.object_id) == (accounts["admin"].id, str(wang.id))
    assert opened.details == {"role": "staff", "scope": "DEMO010101"}
    page = f"/admin/users/{wang.id}"
    data = {"csrf_token": csrf_token(admin, page), "username": "wang", "role": "organizer", "scope": "DEMO01"}
    assert admin.post(page, data={**data, "active": "y"}).status_code == 302
    (changed,) = audit("user.update")
    assert changed.details == {"role": "organizer", "scope": "DEMO01", "active": True, "password_changed": False}
    assert audit("user.sign_out_everywhere") == []  # a new password or deactivation signs out, unannounced


def test_signing_in_and_changing_ones_password_are_audited(client: FlaskClient, as_user, accounts: dict) -> None:
    client.post("/api/v1/auth/tokens", json={"username": "staff", "password": PASSWORD})
    assert audit("user.login") == []  # a token is not a sign-in on the site
    staff = as_user("staff")
    assert [entry.user_id for entry in audit("user.login")] == [accounts["staff"].id]
    data = {"csrf_token": csrf_token(staff, "/staff/password"), "current_password": PASSWORD}
    data |= {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert staff.post("/staff/password", data=data).status_code == 303
    (changed,) = audit("user.password_change")
    assert (changed.user_id, changed.object_id) == (accounts["staff"].id, str(accounts["staff"].id))


def test_a_refused_password_change_keeps_the_sessions(as_user, accounts: dict) -> None:
    staff = as_user("staff")
    epoch = accounts["staff"].session_epoch
    data = {"csrf_token": csrf_token(staff, "/staff/password"), "current_password": "wrong password"}
    data |= {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert "当前密码不正确" in staff.post("/staff/password", data=data).get_data(as_text=True)
    db.session.refresh(accounts["staff"])
    assert accounts["staff"].session_epoch == epoch and audit("user.password_change") == []


def test_signing_out_stays_done(app: Flask, as_user, accounts: dict) -> None:
    staff = as_user("staff")
    epoch = accounts["staff"].session_epoch
    assert staff.post("/logout", data={"csrf_token": csrf_token(staff, "/staff")}).status_code == 302
    db.session.refresh(accounts["staff"])
    assert accounts["staff"].session_epoch == epoch + 1


def test_the_command_line_tells_a_refusal_and_saves_nothing(app: Flask, accounts: dict) -> None:
    runner = app.test_cli_runner()
    taken = runner.invoke(args=["users", "create-admin", "Staff", "--password", NEW_PASSWORD])
    assert taken.exit_code == 1 and "用户名已被使用" in taken.output
    made = runner.invoke(args=["users", "create-admin", "root", "--password", NEW_PASSWORD])
    assert made.exit_code == 0, made.output
    (opened,) = audit("user.create")
    assert opened.user_id is None and opened.details == {"role": "admin", "via": "cli"}


def test_a_regions_file_that_is_not_utf8_is_refused(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_bytes("code,parent_code,level,name_zh,name_en,population\nT,,city,测试市,Test,\n".encode("gb18030"))
    result = app.test_cli_runner().invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 1
    assert "regions.csv:1: the file is not UTF-8 text" in result.output and "nothing was imported" in result.output
