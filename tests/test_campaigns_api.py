"""/api/v1/activities: the same rules, filters, totals and audit as the site, in JSON."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import ACTIVITY_DAY
from tests.helpers import assert_error, authorization, read_csv
from webapp.accounts.service import issue_token
from webapp.audit.models import AuditEntry
from webapp.campaigns.models import Activity, ServiceRecord
from webapp.extensions import db

BASE = ACTIVITY_DAY


@pytest.fixture()
def api(app: Flask, accounts: dict):
    """``api("staff")`` → (client, headers) carrying that account's bearer token."""
    tokens = {name: issue_token(user, timedelta(hours=1))[0] for name, user in accounts.items()}
    db.session.commit()
    client = app.test_client()

    def call(user: str, method: str, path: str, **kwargs):
        return client.open(path, method=method, headers=authorization(tokens[user]), **kwargs)

    return call


BODY = {
    "title": "消防疏散演练",
    "channel": "school",
    "kind": "drill",
    "held_on": BASE.isoformat(),
    "community": "DEMO010102",
    "place": "育才小学",
    "participants": 200,
    "materials": 50,
}


def test_staff_create_read_and_change_an_activity(api, accounts: dict) -> None:
    created = api("staff", "POST", "/api/v1/activities", json=BODY)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["title"] == "消防疏散演练" and body["community"] == "DEMO010102" and body["participants"] == 200
    assert body["entry_url"] == f"http://localhost/a/{body['code']}" and body["services"] == []
    fetched = api("staff", "GET", f"/api/v1/activities/{body['id']}").get_json()
    assert fetched == body
    patched = api("staff", "PATCH", f"/api/v1/activities/{body['id']}", json={"participants": 210, "place": None})
    assert patched.status_code == 200
    assert (patched.get_json()["participants"], patched.get_json()["place"], patched.get_json()["title"]) == (
        210,
        None,
        "消防疏散演练",
    )
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.details).order_by(AuditEntry.id)).all()
    assert [a for a, _d in actions] == ["activity.create", "activity.update"]
    assert set(actions[1][1]["changed"]) == {"participants", "place"}


def test_moving_an_activity_to_a_community_outside_the_scope_is_refused(api, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101")
    db.session.commit()
    fields = assert_error(
        api("staff", "PATCH", f"/api/v1/activities/{saved.id}", json={"community": "DEMO010201"}),
        422,
        "community_unknown",
    )["fields"]
    assert fields == {"community": ["请选择您负责的社区或村。"]}
    moved = api("staff", "PATCH", f"/api/v1/activities/{saved.id}", json={"community": "DEMO010105"})
    assert moved.get_json()["community"] == "DEMO010105"


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"held_on": "1990-01-01"}, 422, "activity_date_range", "held_on"),
        ({"held_on": "2026-02-30"}, 422, "unprocessable", "held_on"),
        ({"participants": -1}, 422, "count_range", "participants"),
        ({"participants": 10**30}, 422, "count_range", "participants"),
        ({"participants": "12"}, 422, "unprocessable", "participants"),
        ({"materials": 1.5}, 422, "unprocessable", "materials"),
        ({"title": ""}, 422, "activity_title", "title"),
        ({"title": None}, 422, "unprocessable", "title"),
        ({"channel": "radio"}, 422, "unprocessable", "channel"),
        ({"kind": None}, 422, "unprocessable", "kind"),
        ({"community": "DEMO0101"}, 422, "community_unknown", "community"),  # a street, not a community
        ({"community": "x" * 500}, 422, "unprocessable", "community"),
        ({"notes": "长" * 2001}, 422, "text_too_long", "notes"),
        ({"unknown": 1}, 422, "unprocessable", "unknown"),
    ],
)
def test_bad_input_is_422_with_the_field(api, change: dict, status: int, code: str, field: str) -> None:
    fields = assert_error(api("staff", "POST", "/api/v1/activities", json={**BODY, **change}), status, code)["fields"]
    assert field in fields
    assert db.session.execute(select(func.count(Activity.id))).scalar_one() == 0


@pytest.mark.parametrize(
    "raw",
    ["", "null", "[]", "[1, 2]", '"text"', "{", '{"title": {"$gt": ""}}', '{"participants": 1e400}', "\u0000"],
)
def test_malformed_bodies_never_500(api, raw: str) -> None:
    for method, path in (("POST", "/api/v1/activities"), ("PATCH", "/api/v1/activities/1")):
        response = api("admin", method, path, data=raw, content_type="application/json")
        assert response.status_code in (400, 404, 422), response.get_data(as_text=True)
        assert "error" in response.get_json()


@pytest.mark.parametrize(
    "query",
    [
        "since=tomorrow",
        "channel=radio",
        "kind=%00",
        "q=" + "x" * 101,
        "community=" + "x" * 40,
        "community=NOPE",
        "community=DEMO02",
    ],
)
def test_bad_filters_are_422(api, query: str) -> None:
    for path in ("/api/v1/activities", "/api/v1/activities/export"):
        response = api("staff", "GET", f"{path}?{query}")
        assert response.status_code == 422 and response.get_json()["error"]["fields"]
    assert db.session.execute(select(func.count(AuditEntry.id))).scalar_one() == 0  # nothing was exported


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "page=x", "page=99999999999"])
def test_bad_pages_are_422(api, query: str) -> None:
    assert api("staff", "GET", f"/api/v1/activities?{query}").status_code == 422


def test_list_filters_paginates_and_totals_every_page(api, accounts: dict, make_activity) -> None:
    admin = accounts["admin"]
    for day in range(7):
        make_activity(
            admin, "DEMO010101", title=f"讲座{day}", held_on=BASE + timedelta(days=day), participants=10, materials=1
        )
    make_activity(admin, "DEMO010102", title="演练", channel="school", kind="drill", participants=100)
    make_activity(admin, "DEMO010201", title="别的街道", participants=1000)
    db.session.commit()
    body = api("staff", "GET", "/api/v1/activities?per_page=5").get_json()
    assert (body["total"], body["participants"], body["materials"], len(body["items"])) == (8, 170, 7, 5)
    assert [item["title"] for item in body["items"]] == ["讲座6", "讲座5", "讲座4", "讲座3", "讲座2"]
    page2 = api("staff", "GET", "/api/v1/activities?per_page=5&page=2").get_json()
    assert len(page2["items"]) == 3 and page2["participants"] == 170
    school = api("staff", "GET", "/api/v1/activities?channel=school").get_json()
    assert [i["title"] for i in school["items"]] == ["演练"] and school["participants"] == 100
    since, until = (BASE + timedelta(days=2)).isoformat(), (BASE + timedelta(days=3)).isoformat()
    ranged = api("staff", "GET", f"/api/v1/activities?since={since}&until={until}").get_json()
    assert {i["title"] for i in ranged["items"]} == {"讲座2", "讲座3"}
    assert api("staff", "GET", "/api/v1/activities?q=讲座1").get_json()["total"] == 1
    assert api("staff", "GET", "/api/v1/activities?community=DEMO010102").get_json()["total"] == 1
    assert api("organizer", "GET", "/api/v1/activities").get_json()["total"] == 9


def test_service_hours_by_api(api, accounts: dict, make_activity, make_volunteer) -> None:
    staff = accounts["staff"]
    saved = make_activity(staff, "DEMO010101")
    li = make_volunteer(name="李红", phone="13800138001", community="DEMO010103")
    old = make_volunteer(name="孙静", phone="13800138003", community="DEMO010102", source="self")
    far = make_volunteer(name="周涛", phone="13800138004", community="DEMO010201")
    db.session.commit()
    path = f"/api/v1/activities/{saved.id}/services"
    done = api("staff", "PUT", path, json={"services": [{"volunteer_id": li.id, "hours": 2.5}]})
    assert done.status_code == 200
    assert done.get_json()["services"] == [
        {"volunteer_id": li.id, "name": "李红", "phone": "138****8001", "hours": 2.5}
    ]
    assert done.get_json()["service_hours"] == 2.5
    refusals = [
        ([{"volunteer_id": old.id, "hours": 1}], "volunteer_not_active", old.id),
        ([{"volunteer_id": far.id, "hours": 1}], "volunteer_unknown", far.id),  # outside the scope: like missing
        ([{"volunteer_id": 999999, "hours": 1}], "volunteer_unknown", 999999),
        ([{"volunteer_id": li.id, "hours": 30}], "hours_range", li.id),
        ([{"volunteer_id": li.id, "hours": 1}, {"volunteer_id": li.id, "hours": 2}], "volunteer_repeated", li.id),
    ]
    for services, code, volunteer_id in refusals:
        fields = assert_error(api("staff", "PUT", path, json={"services": services}), 422, code)["fields"]
        assert list(fields["services"]) == [str(volunteer_id)]
    for junk in ({"services": [{"volunteer_id": 2**40, "hours": 1}]}, {"services": [{"volunteer_id": li.id}]}, {}):
        assert_error(api("staff", "PUT", path, json=junk), 422, "unprocessable")
    # the admin may record a volunteer of another street only at an activity of that street
    fields = assert_error(
        api("admin", "PUT", path, json={"services": [{"volunteer_id": far.id, "hours": 1}]}),
        422,
        "volunteer_other_street",
    )["fields"]
    assert fields == {"services": {str(far.id): ["这名志愿者与活动所在社区不属于同一街道（乡镇）。"]}}
    assert db.session.execute(select(ServiceRecord.hours)).scalars().all() == [2.5]  # refusals changed nothing
    cleared = api("staff", "PUT", path, json={"services": []})
    assert cleared.get_json()["services"] == [] and db.session.execute(select(ServiceRecord)).first() is None


def test_api_exports_are_audited(api, accounts: dict, make_activity) -> None:
    make_activity(accounts["admin"], "DEMO010101", title="讲座", participants=30)
    make_activity(accounts["admin"], "DEMO010102", title="演练", channel="school", kind="drill", participants=200)
    make_activity(accounts["admin"], "DEMO020101", title="别的区", participants=5)
    db.session.commit()
    response = api("organizer", "GET", "/api/v1/activities/export?channel=school")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_csv(response.get_data())
    assert len(rows) == 2 and rows[1][4] == "演练" and rows[1][9] == "200"
    xlsx = api("organizer", "GET", "/api/v1/activities/export?format=xlsx&community=DEMO0101")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).worksheets[0]
    assert sorted(row[4] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["演练", "讲座"]
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "activity.export").order_by(AuditEntry.id)
    ).scalars()
    assert [(e.user_id, e.row_count, e.details) for e in entries] == [
        (accounts["organizer"].id, 1, {"channel": "school"}),
        (accounts["organizer"].id, 2, {"community": "DEMO0101"}),
    ]
    assert api("organizer", "GET", "/api/v1/activities/export?format=pdf").status_code == 422


def test_tokens_are_required_and_organizers_only_read(api, client: FlaskClient, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101")
    db.session.commit()
    assert_error(client.get("/api/v1/activities"), 401, "unauthorized")
    assert_error(client.get("/api/v1/activities", headers=authorization("nonsense")), 401, "unauthorized")
    assert api("organizer", "GET", f"/api/v1/activities/{saved.id}").status_code == 200
    assert_error(api("organizer", "POST", "/api/v1/activities", json=BODY), 403, "forbidden")
    assert_error(api("organizer", "PATCH", f"/api/v1/activities/{saved.id}", json={"title": "x"}), 403, "forbidden")
    assert_error(api("other_staff", "GET", f"/api/v1/activities/{saved.id}"), 404, "not_found")


def test_the_openapi_document_describes_the_activity_endpoints(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        "/api/v1/activities": {"get", "post"},
        "/api/v1/activities/{activity_id}": {"get", "patch"},
        "/api/v1/activities/{activity_id}/services": {"put"},
        "/api/v1/activities/export": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]
    params = {p["name"] for p in paths["/api/v1/activities"]["get"]["parameters"]}
    assert {"community", "channel", "kind", "since", "until", "q", "page", "per_page"} <= params
