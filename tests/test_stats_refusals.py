"""Refused periods and targets: one answer on the site and in the API, and nothing half-saved."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import csrf_token
from webapp.audit.models import AuditEntry
from webapp.errors import DomainError, message
from webapp.extensions import db
from webapp.stats.models import Target
from webapp.stats.periods import PeriodError, current_period, parse_period, requested_period, shown_period
from webapp.stats.targets import TargetError, TargetImportError, parse_value


def error_body(response) -> dict:
    body = response.get_json()["error"]
    body.pop("request_id")
    return body


def said(app: Flask, code: str) -> str:
    """The message of ``code`` as a request without a language preference reads it (Chinese)."""
    with app.test_request_context("/"):
        return message(code)


def unprocessable(app: Flask, field: str, code: str) -> dict:
    return {"code": "unprocessable", "message": said(app, "unprocessable"), "fields": {field: [said(app, code)]}}


def test_refusals_are_domain_errors_answered_422() -> None:
    for error in (PeriodError("soon"), TargetError("bad_share"), TargetImportError([(2, "bad_share")])):
        assert isinstance(error, DomainError) and error.status == 422 and error.code == "unprocessable"
    assert PeriodError("soon").fields == {"period": "unknown_period"}
    assert TargetError("unknown_period").fields == {"period": "unknown_period"}
    assert TargetError("bad_count").fields == {"value": "bad_count"}


def test_the_period_asked_for_else_this_month(app) -> None:
    assert requested_period(None) == current_period() == shown_period("")[0]
    assert requested_period("2026Q4") == parse_period("2026Q4")
    assert shown_period("soon") == (current_period(), True)
    with pytest.raises(PeriodError):
        requested_period("2026-13")


@pytest.mark.parametrize(
    "path", ["/api/v1/stats/regions/DEMO01", "/api/v1/stats/regions/DEMO01/trend", "/api/v1/targets?region=DEMO01"]
)
def test_a_bad_period_in_the_api_is_422_beside_the_field(
    app: Flask, client: FlaskClient, accounts: dict, path: str, bearer
) -> None:
    joiner = "&" if "?" in path else "?"
    response = client.get(f"{path}{joiner}period=soon", headers=bearer("organizer"))
    assert response.status_code == 422
    assert error_body(response) == unprocessable(app, "period", "unknown_period")


@pytest.mark.parametrize(
    ("period", "value", "field", "code"),
    [("2026-13", 0.8, "period", "unknown_period"), ("2026", 1.5, "value", "bad_share")],
)
def test_a_refused_target_in_the_api_is_422_and_nothing_is_saved(
    app: Flask, client: FlaskClient, accounts: dict, period: str, value: float, field: str, code: str, bearer
) -> None:
    body = {"region": "DEMO0101", "indicator": "awareness", "period": period, "value": value}
    response = client.put("/api/v1/targets", json=body, headers=bearer("organizer"))
    assert response.status_code == 422 and error_body(response) == unprocessable(app, field, code)
    assert db.session.execute(select(Target)).first() is None
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "target.set")).first() is None


def test_the_site_and_the_api_audit_a_target_alike(client: FlaskClient, as_user, accounts: dict, bearer) -> None:
    organizer = as_user("organizer")
    form = {"csrf_token": csrf_token(organizer, "/staff/targets"), "indicator": "usage", "period": "2026"}
    assert organizer.post("/staff/targets?region=DEMO0101", data={**form, "value": "5%"}).status_code == 302
    body = {"region": "DEMO0102", "indicator": "usage", "period": "2026", "value": 0.05}
    assert client.put("/api/v1/targets", json=body, headers=bearer("organizer")).status_code == 200
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "target.set")).scalars().all()
    assert [entry.details for entry in entries] == [
        {"region": code, "indicator": "usage", "period": "2026", "value": pytest.approx(0.05)}
        for code in ("DEMO0101", "DEMO0102")
    ]
    assert {entry.user_id for entry in entries} == {accounts["organizer"].id}


@pytest.mark.parametrize(
    ("period", "value", "says"),
    [("2026-13", "85%", "请填写月份"), ("2026", "lots", "请输入数字"), ("2026", "150%", "比率类目标")],
)
def test_a_refused_target_on_the_site_is_shown_beside_its_field(as_user, period: str, value: str, says: str) -> None:
    organizer = as_user("organizer")
    form = {"csrf_token": csrf_token(organizer, "/staff/targets"), "indicator": "awareness", "period": period}
    response = organizer.post("/staff/targets", data={**form, "value": value})
    assert response.status_code == 200 and says in response.get_data(as_text=True)
    assert db.session.execute(select(Target)).first() is None


def post_targets_csv(organizer: FlaskClient, text: str | bytes | None):
    form: dict = {"csrf_token": csrf_token(organizer, "/staff/targets")}
    if text is not None:
        form["file"] = (io.BytesIO(text.encode() if isinstance(text, str) else text), "t.csv")
    return organizer.post("/staff/targets/import", data=form)


HEADER = "region_code,indicator,period,value\n"


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        # a region outside the organizer's district reads like a missing one, in words
        ("DEMO020101,awareness,2026,0.8\n", "您负责的范围内没有这个区域编码"),
        ("DEMO0101,awareness,2026,lots\n", "请输入数字"),
    ],
)
def test_a_bad_csv_row_is_explained(app: Flask, as_user, rows: str, says: str) -> None:
    response = post_targets_csv(as_user("organizer"), HEADER + rows)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "第 2 行" in page and says in page
    assert said(app, "bad_request") not in page


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (None, "请选择要上传的 CSV 文件"),
        (b"", "第一行"),
        (b"region_code,indicator\n", "第一行"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_an_unreadable_csv_is_refused_on_line_1(as_user, upload: bytes | None, says: str) -> None:
    response = post_targets_csv(as_user("organizer"), upload)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "第 1 行" in page and says in page
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "target.import")).first() is None


def test_a_csv_value_reads_as_on_the_form(as_user) -> None:
    # "80" is 80% on the form; a file saying the same meant the same
    assert parse_value("awareness", "80") == pytest.approx(0.8)
    response = post_targets_csv(as_user("organizer"), HEADER + "DEMO0101,awareness,2026,80\n")
    assert response.status_code == 302
    assert db.session.execute(select(Target.value)).scalar_one() == pytest.approx(0.8)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "target.import")).scalar_one()
    assert entry.row_count == 1 and entry.details == {"region": "DEMO01"}
