"""Volunteer refusals answered in one place: the API's bounds are the service's, the site's list
and export refuse an unknown area instead of widening, and audit entries outlive refusals."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import COMMUNITY, csrf_token
from tests.helpers import assert_error, audit_entries
from webapp.extensions import db
from webapp.volunteers.models import Training, Volunteer
from webapp.volunteers.service import MAX_TRAINING_HOURS
from webapp.volunteers.validation import MAX_COURSE, MAX_GUARDIAN_NAME, MAX_NAME, MAX_TEAM_NAME

PHONE = "13812345678"
#: the messages of hours_invalid, community_unknown and team_region_level, as the pages say them
HOURS_INVALID = "小时数须大于 0 且不超过 200。"
COMMUNITY_UNKNOWN = "请选择您负责的社区或村。"
TEAM_REGION_LEVEL = "队伍须隶属于街道、社区或村。"
TRAINING = {"course": "灭火器使用", "hours": 2, "held_on": "2026-03-01", "certified": True}


def _schema(spec: dict, name: str) -> dict:
    return spec["components"]["schemas"][name]["properties"]


# --- the API's bounds are the service's ------------------------------------------------


def test_training_hours_over_the_service_limit_are_refused_by_the_schema(
    client: FlaskClient, bearer, make_volunteer
) -> None:
    volunteer = make_volunteer()
    url, headers = f"/api/v1/volunteers/{volunteer.id}/trainings", bearer("staff")
    # the document said 1,000 while the service refuses more than 200; a client reading it was misled
    hours = _schema(client.get("/api/v1/openapi.json").get_json(), "Training")["hours"]
    assert hours["maximum"] == MAX_TRAINING_HOURS == 200
    error = assert_error(client.post(url, json={**TRAINING, "hours": 201}, headers=headers), 422, "unprocessable")
    assert error["fields"] == {"hours": [HOURS_INVALID]}
    assert db.session.query(Training).count() == 0
    assert client.post(url, json={**TRAINING, "hours": 200}, headers=headers).status_code == 201


def test_the_documented_lengths_are_the_services(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert _schema(spec, "VolunteerInput")["name"]["maxLength"] == MAX_NAME
    assert _schema(spec, "VolunteerInput")["guardian_name"]["maxLength"] == MAX_GUARDIAN_NAME
    assert _schema(spec, "Training")["course"]["maxLength"] == MAX_COURSE
    assert _schema(spec, "Team")["name"]["maxLength"] == MAX_TEAM_NAME


# --- an unknown area is refused, never widened -----------------------------------------


def test_an_export_with_an_unknown_area_is_refused_not_widened(as_user, make_volunteer) -> None:
    make_volunteer(name="王芳")
    staff = as_user("staff")
    # before, the unknown code was dropped and the export held every volunteer of the staff's area
    export = staff.get("/staff/volunteers/export", query_string={"format": "csv", "region": "NOPE"})
    assert export.status_code == 422 and "王芳" not in export.get_data(as_text=True)
    assert COMMUNITY_UNKNOWN in export.get_data(as_text=True)
    assert audit_entries("volunteer.export") == []
    listed = staff.get("/staff/volunteers", query_string={"region": "NOPE"})
    assert listed.status_code == 422 and "王芳" not in listed.get_data(as_text=True)
    # an area of the staff's own, and one outside it (which matches nobody), are taken
    assert "王芳" in staff.get("/staff/volunteers", query_string={"region": COMMUNITY}).get_data(as_text=True)
    assert staff.get("/staff/volunteers", query_string={"region": "DEMO02"}).status_code == 200


# --- audit entries outlive the refusal that rolls the request back -----------------------


def test_a_refused_export_search_is_audited_once_and_kept(as_user, make_volunteer) -> None:
    make_volunteer(phone=PHONE)
    export = as_user("organizer").get("/staff/volunteers/export", query_string={"format": "csv", "q": PHONE})
    assert export.status_code == 422
    # before, the refused export and the list page shown for it were each logged as a search
    [entry] = audit_entries("volunteer.search_phone")
    assert entry.details["refused"] and entry.row_count == 0


def test_a_refused_api_search_is_audited_and_kept(client: FlaskClient, bearer, make_volunteer) -> None:
    make_volunteer(phone=PHONE)
    headers = bearer("organizer")
    assert_error(client.get(f"/api/v1/volunteers?q={PHONE}", headers=headers), 422, "search_phone_digits")
    assert_error(client.get(f"/api/v1/volunteers/export?q={PHONE}", headers=headers), 422, "search_phone_digits")
    assert [e.details["refused"] for e in audit_entries("volunteer.search_phone")] == [True, True]


def test_a_refused_status_change_keeps_the_whole_phone_view_audited(as_user, make_volunteer) -> None:
    volunteer = make_volunteer(phone=PHONE)
    staff = as_user("staff")
    url = f"/staff/volunteers/{volunteer.id}"
    response = staff.post(f"{url}/status", data={"csrf_token": csrf_token(staff, url), "action": "approve"})
    assert response.status_code == 409 and PHONE in response.get_data(as_text=True)
    # one view for the detail page the token came from, one for the refusal's page
    assert len(audit_entries("volunteer.view_phone")) == 2
    assert db.session.get(Volunteer, volunteer.id).status == "active"


def test_a_refused_training_keeps_the_form_and_adds_nothing(as_user, make_volunteer) -> None:
    volunteer = make_volunteer()
    staff = as_user("staff")
    url = f"/staff/volunteers/{volunteer.id}"
    data = {"csrf_token": csrf_token(staff, url), "course": "灭火", "hours": "300", "held_on": "2026-03-01"}
    response = staff.post(f"{url}/trainings", data=data)
    assert response.status_code == 422 and HOURS_INVALID in response.get_data(as_text=True)
    assert 'value="灭火"' in response.get_data(as_text=True)
    assert db.session.query(Training).count() == 0 and audit_entries("volunteer.training") == []


def test_a_team_needs_an_area(as_user) -> None:
    staff = as_user("staff")
    data = {"csrf_token": csrf_token(staff, "/staff/teams"), "name": "无区队", "region": ""}
    response = staff.post("/staff/teams", data=data)
    assert response.status_code == 200 and TEAM_REGION_LEVEL in response.get_data(as_text=True)
    organizer = as_user("organizer")
    data["csrf_token"] = csrf_token(organizer, "/staff/teams")  # organizers see the teams
    assert organizer.post("/staff/teams", data=data).status_code == 403  # but set up none
