"""/api/v1 volunteers, teams and ambassadors: masking, audit, duplicates, errors, OpenAPI."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import COMMUNITY, OTHER_DISTRICT_COMMUNITY
from tests.helpers import assert_error, audit_entries, read_csv
from webapp.extensions import db
from webapp.volunteers.models import Ambassador, Team, Volunteer

NEW = {"name": "王芳", "phone": "+86 138 1234 5678", "community": COMMUNITY, "consent": True, "skills": ["first_aid"]}


def test_staff_register_by_api_and_the_volunteer_is_active(client: FlaskClient, bearer) -> None:
    response = client.post("/api/v1/volunteers", json=NEW, headers=bearer("staff"))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "active" and body["masked_phone"] == "138****5678" and body["phone"] is None
    assert body["community"] == COMMUNITY and body["skills"] == ["first_aid"]
    assert db.session.get(Volunteer, body["id"]).source == "api"


def test_a_duplicate_phone_is_409_with_the_existing_id(client: FlaskClient, bearer, make_volunteer) -> None:
    existing = make_volunteer(phone="13812345678")
    error = assert_error(client.post("/api/v1/volunteers", json=NEW, headers=bearer("staff")), 409, "phone_taken")
    assert error["fields"]["existing_id"] == existing.id and error["fields"]["phone"]
    assert db.session.execute(select(func.count(Volunteer.id))).scalar_one() == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"phone": "12345"}, {"phone"}),
        ({"consent": False}, {"consent"}),
        ({"birth_year": date.today().year - 3}, {"birth_year"}),
        ({"birth_year": date.today().year - 12, "guardian_name": "x"}, {"guardian_consent"}),
        ({"skills": ["juggling"]}, {"skills"}),
        ({"team_id": 12345}, {"team_id"}),
        ({"gender": "robot"}, {"gender"}),
        ({"name": ""}, {"name"}),
        ({"name": "x" * 51}, {"name"}),
    ],
)
def test_invalid_input_is_422_per_field(client: FlaskClient, bearer, change: dict, fields: set) -> None:
    error = assert_error(client.post("/api/v1/volunteers", json={**NEW, **change}, headers=bearer("staff")), 422)
    assert fields <= set(error["fields"]), error
    assert db.session.execute(select(func.count(Volunteer.id))).scalar_one() == 0


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"name": None, "phone": None, "community": None},
        {**NEW, "community": "NOPE"},
        {**NEW, "community": "x" * 500},
        {**NEW, "birth_year": 10**30},
        {**NEW, "team_id": 10**30},
        {**NEW, "skills": "first_aid"},
        {**NEW, "skills": [{"a": 1}]},
        {**NEW, "phone": 13812345678},
        {**NEW, "consent": "perhaps"},
    ],
)
def test_garbage_never_produces_a_500(client: FlaskClient, bearer, body) -> None:
    response = client.post("/api/v1/volunteers", json=body, headers=bearer("staff"))
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.get_json()["error"]["code"]


def test_lists_mask_phones_and_filter(client: FlaskClient, bearer, make_volunteer) -> None:
    make_volunteer(phone="13812345678", skills=["driver"])
    make_volunteer(phone="13900001111", name="李强", source="self")
    make_volunteer(phone="13900002222", community=OTHER_DISTRICT_COMMUNITY, name="外区")
    headers = bearer("staff")
    response = client.get("/api/v1/volunteers", headers=headers)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "13812345678" not in text and "13900001111" not in text and "138****5678" in text
    body = response.get_json()
    assert body["total"] == 2 and {v["name"] for v in body["items"]} == {"王芳", "李强"}
    assert all("phone" not in item for item in body["items"])
    assert [v["name"] for v in client.get("/api/v1/volunteers?status=pending", headers=headers).json["items"]] == [
        "李强"
    ]
    assert [v["name"] for v in client.get("/api/v1/volunteers?q=1111", headers=headers).json["items"]] == ["李强"]
    assert client.get("/api/v1/volunteers?skill=driver&trained=false", headers=headers).json["total"] == 1
    assert client.get("/api/v1/volunteers?region=DEMO02", headers=headers).json["total"] == 0
    page = client.get("/api/v1/volunteers?per_page=1&page=2", headers=headers).json
    assert page["total"] == 2 and len(page["items"]) == 1 and page["page"] == 2


@pytest.mark.parametrize(
    "query", ["status=gone", "skill=juggling", "trained=maybe", "page=0", "per_page=1000", "team=abc", "region=NOPE"]
)
def test_bad_filters_are_422(client: FlaskClient, bearer, query: str) -> None:
    assert_error(client.get(f"/api/v1/volunteers?{query}", headers=bearer("staff")), 422)


def test_detail_shows_the_whole_phone_to_staff_and_audits_it(
    client: FlaskClient, bearer, accounts, make_volunteer
) -> None:
    volunteer = make_volunteer(phone="13812345678")
    body = client.get(f"/api/v1/volunteers/{volunteer.id}", headers=bearer("staff")).get_json()
    assert body["phone"] == "13812345678" and body["masked_phone"] == "138****5678"
    [entry] = audit_entries("volunteer.view_phone")
    assert entry.user_id == accounts["staff"].id and entry.object_id == str(volunteer.id)
    body = client.get(f"/api/v1/volunteers/{volunteer.id}", headers=bearer("organizer")).get_json()
    assert body["phone"] is None and "13812345678" not in str(body)
    assert len(audit_entries("volunteer.view_phone")) == 1


def test_patch_changes_only_what_is_sent(client: FlaskClient, bearer, make_volunteer) -> None:
    volunteer = make_volunteer(phone="13812345678", skills=["driver"])
    other = make_volunteer(phone="13900000001", name="李强")
    headers = bearer("staff")
    response = client.patch(f"/api/v1/volunteers/{volunteer.id}", json={"notes": "会开车"}, headers=headers)
    assert response.status_code == 200
    volunteer = db.session.get(Volunteer, volunteer.id)
    assert volunteer.notes == "会开车" and volunteer.skills == ["driver"] and volunteer.phone == "13812345678"
    error = assert_error(
        client.patch(f"/api/v1/volunteers/{volunteer.id}", json={"phone": "13900000001"}, headers=headers), 409
    )
    assert error["fields"]["existing_id"] == other.id
    moved = {"community": OTHER_DISTRICT_COMMUNITY}
    response = client.patch(f"/api/v1/volunteers/{volunteer.id}", json=moved, headers=headers)
    assert_error(response, 422, "community_unknown")


def test_status_moves_and_invalid_ones(client: FlaskClient, bearer, make_volunteer) -> None:
    volunteer = make_volunteer(source="self")
    headers = bearer("staff")
    url = f"/api/v1/volunteers/{volunteer.id}/status"
    assert client.post(url, json={"action": "approve"}, headers=headers).get_json()["status"] == "active"
    assert_error(client.post(url, json={"action": "approve"}, headers=headers), 409, "invalid_transition")
    assert_error(client.post(url, json={"action": "promote"}, headers=headers), 422)
    assert db.session.get(Volunteer, volunteer.id).status == "active"


def test_trainings(client: FlaskClient, bearer, make_volunteer) -> None:
    volunteer = make_volunteer()
    headers = bearer("staff")
    url = f"/api/v1/volunteers/{volunteer.id}/trainings"
    training = {"course": "灭火器使用", "hours": 2, "held_on": "2026-03-01", "certified": True}
    response = client.post(url, json=training, headers=headers)
    assert response.status_code == 201 and response.get_json()["course"] == "灭火器使用"
    assert_error(client.post(url, json={**training, "held_on": "2999-01-01"}, headers=headers), 422, "date_in_future")
    assert_error(client.post(url, json={**training, "hours": 0}, headers=headers), 422, "hours_invalid")
    assert_error(client.post(url, json={**training, "held_on": "yesterday"}, headers=headers), 422)
    detail = client.get(f"/api/v1/volunteers/{volunteer.id}", headers=headers).get_json()
    assert detail["trainings"] == 1 and detail["training_records"][0]["hours"] == 2.0


def test_exports_are_audited_with_row_count(client: FlaskClient, bearer, accounts, make_volunteer) -> None:
    make_volunteer(phone="13812345678")
    make_volunteer(phone="13900000001", source="self")
    response = client.get("/api/v1/volunteers/export?format=csv&status=active", headers=bearer("staff"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_csv(response.data)
    assert len(rows) == 2 and "13812345678" in rows[1]
    [entry] = audit_entries("volunteer.export")
    assert entry.user_id == accounts["staff"].id and entry.row_count == 1
    assert entry.details == {"filter": {"status": "active"}, "format": "csv", "whole_phone": True}
    response = client.get("/api/v1/volunteers/export?format=xlsx", headers=bearer("organizer"))
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert audit_entries("volunteer.export")[-1].row_count == 2
    assert_error(client.get("/api/v1/volunteers/export?format=pdf", headers=bearer("staff")), 422)
    assert len(audit_entries("volunteer.export")) == 2


def test_teams(client: FlaskClient, bearer) -> None:
    headers = bearer("staff")
    response = client.post("/api/v1/teams", json={"name": "翠竹队", "region": COMMUNITY}, headers=headers)
    assert response.status_code == 201 and response.get_json()["region"] == COMMUNITY
    assert_error(
        client.post("/api/v1/teams", json={"name": "翠竹队", "region": COMMUNITY}, headers=headers), 409, "team_exists"
    )
    assert_error(client.post("/api/v1/teams", json={"name": "区队", "region": "DEMO01"}, headers=headers), 422)
    body = client.get("/api/v1/teams", headers=headers).get_json()
    assert body["total"] == 1 and body["items"][0]["name"] == "翠竹队"
    assert client.get("/api/v1/teams", headers=bearer("other_staff")).get_json()["total"] == 0
    assert db.session.execute(select(func.count(Team.id))).scalar_one() == 1


def test_designating_an_ambassador_replaces_the_first(client: FlaskClient, bearer, make_volunteer) -> None:
    first = make_volunteer(phone="13900000001")
    second = make_volunteer(phone="13900000002", name="李强")
    pending = make_volunteer(phone="13900000003", source="self")
    headers = bearer("staff")
    url = f"/api/v1/ambassadors/{COMMUNITY}"
    assert_error(client.get(url, headers=headers), 404)
    assert client.put(url, json={"volunteer_id": first.id}, headers=headers).get_json()["volunteer_id"] == first.id
    body = client.put(url, json={"volunteer_id": second.id}, headers=headers).get_json()
    assert body["volunteer_id"] == second.id and body["volunteer_name"] == "李强"
    assert client.get(url, headers=headers).get_json()["volunteer_id"] == second.id
    assert_error(client.put(url, json={"volunteer_id": pending.id}, headers=headers), 422, "ambassador_not_eligible")
    assert [a.volunteer_id for a in db.session.execute(select(Ambassador)).scalars()] == [second.id]
    assert_error(client.put("/api/v1/ambassadors/DEMO0101", json={"volunteer_id": first.id}, headers=headers), 404)


def test_openapi_lists_the_endpoints_with_bearer_security(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in (
        ("/api/v1/volunteers", "get"),
        ("/api/v1/volunteers", "post"),
        ("/api/v1/volunteers/{volunteer_id}", "get"),
        ("/api/v1/volunteers/{volunteer_id}", "patch"),
        ("/api/v1/volunteers/{volunteer_id}/status", "post"),
        ("/api/v1/volunteers/{volunteer_id}/trainings", "post"),
        ("/api/v1/volunteers/export", "get"),
        ("/api/v1/teams", "get"),
        ("/api/v1/teams", "post"),
        ("/api/v1/ambassadors/{community_code}", "put"),
    ):
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"bearerAuth": []}], (path, method)
        assert "401" in operation["responses"], (path, method)
