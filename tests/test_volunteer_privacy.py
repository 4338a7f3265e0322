"""Volunteers' personal data: phone searches, enumeration, erasure, a person's export, consent versions."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from urllib.parse import quote, quote_plus

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import COMMUNITY, OTHER_DISTRICT_COMMUNITY, csrf_token
from tests.factories import SIGNUP_FORM, SIGNUP_PAGE
from tests.helpers import assert_error, audit_entries, count_volunteers, form_data, read_csv
from webapp.campaigns.models import Activity, ServiceRecord
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.stats.indicators import volunteer_figures
from webapp.stats.periods import parse_period
from webapp.volunteers import service
from webapp.volunteers.models import CONSENT_VERSION, Ambassador, Training, Volunteer

PHONE = "13812345678"
#: the same whole number as people type it, and longer runs of digits than the last four
WHOLE_NUMBERS = [PHONE, "138 1234 5678", "+86 138-1234-5678", "１３８１２３４５６７８", "812345678", "12345"]


def without_tokens(page: str, typed: str = "") -> str:
    """The page without its CSRF tokens and without what was typed (echoed in the form, in links,
    and inside the larger-text link's way back to this page)."""
    page = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", page)
    if not typed:
        return page
    return page.replace(quote(quote_plus(typed), safe=""), "").replace(quote_plus(typed), "").replace(typed, "")


# --- searching by phone --------------------------------------------------------------


@pytest.mark.parametrize("q", WHOLE_NUMBERS)
def test_an_organizer_searching_a_whole_number_learns_nothing(as_user, q: str, make_volunteer) -> None:
    make_volunteer(phone=PHONE, name="王芳")
    organizer = as_user("organizer")
    wrong = q.replace("5678", "0000").replace("５６７８", "００００")
    match, other = (
        organizer.get("/staff/volunteers", query_string={"q": q}),
        organizer.get("/staff/volunteers", query_string={"q": wrong}),
    )
    assert match.status_code == other.status_code == 422
    page = match.get_data(as_text=True)
    assert "只能按姓名或手机号后 4 位搜索" in page and "王芳" not in page and "0 位志愿者" in page
    assert without_tokens(page, q) == without_tokens(other.get_data(as_text=True), wrong)
    export = organizer.get("/staff/volunteers/export", query_string={"q": q, "format": "csv"})
    assert export.status_code == 422 and "王芳" not in export.get_data(as_text=True)


def test_an_organizer_searching_a_whole_number_by_api_learns_nothing(
    client: FlaskClient, bearer, make_volunteer
) -> None:
    make_volunteer(phone=PHONE, name="王芳")
    headers = bearer("organizer")
    match = assert_error(client.get(f"/api/v1/volunteers?q={PHONE}", headers=headers), 422, "search_phone_digits")
    other = assert_error(client.get("/api/v1/volunteers?q=13812340000", headers=headers), 422, "search_phone_digits")
    assert match.pop("request_id") != other.pop("request_id")  # each answer is its own request
    assert match == other and match["fields"]["q"]
    export = client.get(f"/api/v1/volunteers/export?q={PHONE}", headers=headers)
    assert_error(export, 422, "search_phone_digits")
    # the last four digits and names still work
    assert [v["name"] for v in client.get("/api/v1/volunteers?q=5678", headers=headers).json["items"]] == ["王芳"]
    assert client.get("/api/v1/volunteers?q=王", headers=headers).json["total"] == 1


def test_searches_by_phone_are_audited_without_the_number(
    as_user, client: FlaskClient, bearer, accounts, make_volunteer
) -> None:
    make_volunteer(phone=PHONE, name="王芳")
    staff = as_user("staff")
    assert "王芳" in staff.get("/staff/volunteers?q=138 1234 5678").get_data(as_text=True)
    assert "王芳" in staff.get("/staff/volunteers?q=5678").get_data(as_text=True)
    staff.get("/staff/volunteers?q=王")  # a name search is no phone search
    as_user("organizer").get(f"/staff/volunteers?q={PHONE}")
    client.get(f"/api/v1/volunteers?q={PHONE}", headers=bearer("staff"))
    whole, last_four, refused, api = audit_entries("volunteer.search_phone")
    assert (whole.user_id, whole.row_count) == (accounts["staff"].id, 1) and whole.at is not None
    assert whole.details["filter"]["q"] == "*******5678" and whole.details["filter"]["q_hash"]
    assert last_four.details["filter"]["q"] == "5678" and last_four.row_count == 1
    assert refused.user_id == accounts["organizer"].id and refused.details["refused"] and refused.row_count == 0
    assert api.details["filter"]["q_hash"] == whole.details["filter"]["q_hash"] == refused.details["filter"]["q_hash"]
    staff.get(f"/staff/volunteers/export?format=csv&q={PHONE}")
    [export] = audit_entries("volunteer.export")
    assert export.row_count == 1
    for entry in (whole, last_four, refused, api, export):
        assert PHONE not in json.dumps(entry.details, ensure_ascii=False)


# --- enumeration ---------------------------------------------------------------------------


def test_the_public_sign_up_answers_alike_for_new_and_registered_numbers(
    client: FlaskClient, app, make_volunteer
) -> None:
    existing = make_volunteer(phone="13712345678", name="隐私姓名", community="DEMO010102")
    again = client.post("/volunteer", data=form_data(client, SIGNUP_PAGE, SIGNUP_FORM, phone="13712345678"))
    other = app.test_client()
    fresh = other.post("/volunteer", data=form_data(other, SIGNUP_PAGE, SIGNUP_FORM, phone="13712340000"))
    assert again.status_code == fresh.status_code == 303
    assert again.headers["Location"] == fresh.headers["Location"]
    assert count_volunteers() == 2  # the new number only; the registered one is not stored twice
    assert db.session.get(Volunteer, existing.id).name == "隐私姓名"
    [entry] = audit_entries("volunteer.signup_again")
    assert entry.object_id == str(existing.id) and entry.region_path == existing.community.path
    # with another mistake, both see that mistake and nothing about the phone
    again = client.post("/volunteer", data=form_data(client, SIGNUP_PAGE, SIGNUP_FORM, phone="13712345678", consent=""))
    fresh = client.post("/volunteer", data=form_data(client, SIGNUP_PAGE, SIGNUP_FORM, phone="13712349999", consent=""))
    assert again.status_code == fresh.status_code == 200
    page = without_tokens(again.get_data(as_text=True), "13712345678")
    assert page == without_tokens(fresh.get_data(as_text=True), "13712349999")
    assert "已登记" not in page and count_volunteers() == 2


def test_a_duplicate_outside_the_scope_is_409_without_its_id(client: FlaskClient, bearer, make_volunteer) -> None:
    outside = make_volunteer(phone=PHONE, community=OTHER_DISTRICT_COMMUNITY)
    inside = make_volunteer(phone="13900000001")
    headers = bearer("staff")
    new = {"name": "王芳", "phone": PHONE, "community": COMMUNITY, "consent": True}
    response = client.post("/api/v1/volunteers", json=new, headers=headers)
    error = assert_error(response, 409, "phone_taken")
    assert set(error["fields"]) == {"phone"}  # nothing names or numbers the existing record
    response = client.patch(f"/api/v1/volunteers/{inside.id}", json={"phone": PHONE}, headers=headers)
    assert "existing_id" not in assert_error(response, 409, "phone_taken")["fields"]
    error = assert_error(client.post("/api/v1/volunteers", json=new, headers=bearer("admin")), 409)
    assert error["fields"]["existing_id"] == outside.id  # an admin's scope holds everyone


# --- erasure ----------------------------------------------------------------------------------


@pytest.fixture()
def served_volunteer(app, make_volunteer) -> Volunteer:
    """An ambassador with notes, a training and service hours at an activity."""
    volunteer = make_volunteer(phone=PHONE, name="王芳", notes="住3号楼", skills=["driver"], birth_year=1980)
    service.add_training(volunteer, "灭火器使用", 2, date(2026, 3, 1), True)
    activity = Activity(
        code="ACT1",
        title="消防进社区",
        channel="community",
        kind="talk",
        held_on=date(2026, 5, 1),
        community=get_region(COMMUNITY),
    )
    db.session.add_all([activity, ServiceRecord(activity=activity, volunteer=volunteer, hours=3.5)])
    service.designate_ambassador(volunteer.community, volunteer, None)
    db.session.commit()
    return volunteer


def totals() -> tuple[int, float, float]:
    hours = volunteer_figures(get_region("DEMO01"), parse_period("2026")).service_hours
    return (
        db.session.execute(select(func.count(Training.id))).scalar_one(),
        db.session.execute(select(func.sum(ServiceRecord.hours))).scalar_one(),
        hours,
    )


def assert_erased(volunteer_id: int, staff: FlaskClient) -> None:
    rows = db.session.execute(select(*Volunteer.__table__.c)).all()
    assert "王芳" not in str(rows) and PHONE not in str(rows) and "住3号楼" not in str(rows)
    volunteer = db.session.get(Volunteer, volunteer_id)
    assert volunteer.erased and volunteer.status == "erased" and volunteer.phone is None and not volunteer.skills
    assert volunteer.birth_year is None and volunteer.notes is None
    assert db.session.get(Ambassador, volunteer.community_id) is None
    assert "王芳" not in staff.get("/staff/volunteers").get_data(as_text=True)
    export = read_csv(staff.get("/staff/volunteers/export?format=csv").data)
    assert len(export) == 1 and PHONE not in str(export)
    assert staff.get(f"/staff/volunteers/{volunteer_id}").status_code == 404
    activity = db.session.execute(select(Activity).where(Activity.code == "ACT1")).scalar_one()
    served = staff.get(f"/staff/activities/{activity.id}").get_data(as_text=True)
    assert "已删除的志愿者" in served and "3.5" in served  # the service stays, without the person
    [entry] = audit_entries("volunteer.erase")
    assert entry.object_id == str(volunteer_id) and "王芳" not in str(entry.details) and PHONE not in str(entry.details)


def test_staff_erase_a_volunteer_on_the_site_and_the_counts_stay(as_user, make_volunteer, served_volunteer) -> None:
    volunteer = served_volunteer
    before = totals()
    staff = as_user("staff")
    page = f"/staff/volunteers/{volunteer.id}"
    token = csrf_token(staff, page)
    unconfirmed = staff.post(f"{page}/erase", data={"csrf_token": token, "reason": "request"})
    assert unconfirmed.status_code == 422 and "勾选" in unconfirmed.get_data(as_text=True)
    assert db.session.get(Volunteer, volunteer.id).name == "王芳"
    assert staff.post(f"{page}/erase", data={"reason": "request", "confirm": "y"}).status_code == 400  # no CSRF
    response = staff.post(f"{page}/erase", data={"csrf_token": token, "reason": "consent_withdrawn", "confirm": "y"})
    assert response.status_code == 303
    assert_erased(volunteer.id, staff)
    assert totals() == before
    assert audit_entries("volunteer.erase")[0].details["reason"] == "consent_withdrawn"
    # the number is free again: the person may register anew, and erased rows never collide
    assert make_volunteer(phone=PHONE).phone == PHONE


def test_erasure_by_api(client: FlaskClient, bearer, as_user, served_volunteer) -> None:
    volunteer = served_volunteer
    before = totals()
    url = f"/api/v1/volunteers/{volunteer.id}"
    assert_error(client.delete(url, headers=bearer("organizer")), 403)
    assert_error(client.delete(url, headers=bearer("other_staff")), 404)
    assert_error(client.delete(f"{url}?reason=bored", headers=bearer("staff")), 422)
    response = client.delete(url, headers=bearer("staff"))
    assert response.status_code == 204 and not response.data
    assert_erased(volunteer.id, as_user("staff"))
    assert totals() == before
    assert_error(client.get(url, headers=bearer("staff")), 404)
    assert_error(client.delete(url, headers=bearer("staff")), 404)
    listed = client.get("/api/v1/volunteers", headers=bearer("admin")).get_data(as_text=True)
    assert "王芳" not in listed and '"total":0' in listed.replace(" ", "")


# --- a person's export ----------------------------------------------------------------------


def test_a_person_export_holds_everything_and_is_audited(as_user, accounts, served_volunteer) -> None:
    volunteer = served_volunteer
    staff = as_user("staff")
    detail = staff.get(f"/staff/volunteers/{volunteer.id}").get_data(as_text=True)
    assert f"/staff/volunteers/{volunteer.id}/export?format=json" in detail
    response = staff.get(f"/staff/volunteers/{volunteer.id}/export?format=json")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.data)
    assert data["volunteer"]["name"] == "王芳" and data["volunteer"]["phone"] == PHONE
    assert data["volunteer"]["consent_version"] == CONSENT_VERSION and data["volunteer"]["notes"] == "住3号楼"
    assert [t["course"] for t in data["trainings"]] == ["灭火器使用"]
    served = {
        "activity": "ACT1",
        "title": "消防进社区",
        "held_on": "2026-05-01",
        "channel": "community",
        "kind": "talk",
    }
    assert data["service"] == [{**served, "hours": 3.5}]
    assert data["ambassador"]["community"] == COMMUNITY
    assert {"volunteer.create", "volunteer.training", "ambassador.designate", "volunteer.view_phone"} <= {
        e["action"] for e in data["audit"]
    }
    [entry] = audit_entries("volunteer.person_export")
    assert entry.user_id == accounts["staff"].id and entry.object_id == str(volunteer.id)
    assert entry.details == {"format": "json"}
    sheet = staff.get(f"/staff/volunteers/{volunteer.id}/export?format=xlsx")
    cells = {c for row in load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True) for c in row}
    assert {"王芳", PHONE, "灭火器使用", 3.5, CONSENT_VERSION} <= cells
    assert as_user("organizer").get(f"/staff/volunteers/{volunteer.id}/export").status_code == 403
    assert as_user("other_staff").get(f"/staff/volunteers/{volunteer.id}/export").status_code == 404
    assert staff.get(f"/staff/volunteers/{volunteer.id}/export?format=pdf").status_code == 400


def test_a_person_export_by_api(client: FlaskClient, bearer, served_volunteer) -> None:
    volunteer = served_volunteer
    url = f"/api/v1/volunteers/{volunteer.id}/export"
    response = client.get(f"{url}?format=xlsx", headers=bearer("admin"))
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    body = json.loads(client.get(url, headers=bearer("staff")).data)
    assert body["volunteer"]["phone"] == PHONE and body["service"][0]["hours"] == 3.5
    assert len(audit_entries("volunteer.person_export")) == 2
    assert_error(client.get(url, headers=bearer("organizer")), 403)
    assert_error(client.get(url, headers=bearer("other_staff")), 404)
    assert_error(client.get(f"{url}?format=pdf", headers=bearer("staff")), 422)


# --- consent text version ----------------------------------------------------------------------


def test_the_consent_text_version_is_shown_and_stored(resident: FlaskClient, as_user, bearer, accounts) -> None:
    assert CONSENT_VERSION in resident.get("/volunteer").get_data(as_text=True)
    resident.post("/volunteer", data=form_data(resident, SIGNUP_PAGE, SIGNUP_FORM))
    staff = as_user("staff")
    assert CONSENT_VERSION in staff.get("/staff/volunteers/new").get_data(as_text=True)
    response = resident.post(
        "/api/v1/volunteers",
        json={"name": "李强", "phone": "13900000001", "community": COMMUNITY, "consent": True},
        headers=bearer("staff"),
    )
    assert response.get_json()["consent_version"] == CONSENT_VERSION
    row = {"name": "张三", "phone": "13900000002", "community_code": COMMUNITY, "consent": True}
    service.import_volunteers([(2, row)], accounts["staff"])
    versions = db.session.execute(select(Volunteer.source, Volunteer.consent_version)).all()
    assert sorted(versions) == [("api", CONSENT_VERSION), ("import", CONSENT_VERSION), ("self", CONSENT_VERSION)]


def test_the_erase_form_sits_in_the_page_not_its_title(as_user, served_volunteer) -> None:
    volunteer = served_volunteer
    page = as_user("staff").get(f"/staff/volunteers/{volunteer.id}").get_data(as_text=True)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "王芳" in title and "<" not in title and "form" not in title
    assert page.count('id="erase"') == 1
