"""/api/v1 for monitoring: margins, waves, interviewers, interviews, progress and estimates, with
the site's permissions."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from quizzes.library import Library
from tests.helpers import assert_error, audit_entries
from webapp.extensions import db
from webapp.monitoring.models import Interview

BANDS = ("15-29", "30-44", "45-59", "60+")


def cells(population: int) -> list[dict]:
    return [{"age_band": b, "sex": s, "population": population} for b in BANDS for s in ("female", "male")]


@pytest.fixture()
def wave_id(client: FlaskClient, bearer, region) -> int:
    organizer = bearer("organizer")
    share = (region("DEMO01").population or 0) // 8
    assert (
        client.put("/api/v1/regions/DEMO01/margins", json={"cells": cells(share)}, headers=organizer).status_code == 200
    )
    body = {
        "region": "DEMO01",
        "title": "2026 monitoring",
        "period": "2026",
        "target_size": 80,
        "allocation": "equal_per_street",
        "modes": ["door", "phone", "online"],
    }
    response = client.post("/api/v1/waves", json=body, headers=organizer)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_margins_are_whole_tables_in_scope(client: FlaskClient, bearer) -> None:
    organizer = bearer("organizer")
    half = [c for c in cells(100) if c["sex"] == "female"]
    refused = assert_error(client.put("/api/v1/regions/DEMO01/margins", json={"cells": half}, headers=organizer), 422)
    assert any("lacks male" in " ".join(texts) for texts in refused["fields"].values())
    outside = client.put("/api/v1/regions/DEMO02/margins", json={"cells": cells(100)}, headers=organizer)
    assert_error(outside, 404)
    assert_error(client.get("/api/v1/regions/DEMO01/margins", headers=bearer("staff")), 403)


def test_a_wave_is_set_up_allocated_and_kept_in_scope(client: FlaskClient, bearer, wave_id: int) -> None:
    wave = client.get(f"/api/v1/waves/{wave_id}", headers=bearer("organizer")).get_json()
    streets = {c["community"][:8] for c in wave["communities"]}
    per_street = {
        street: sum(c["target"] for c in wave["communities"] if c["community"][:8] == street) for street in streets
    }
    assert sum(per_street.values()) == 80 and max(per_street.values()) - min(per_street.values()) <= 1
    assert_error(client.get(f"/api/v1/waves/{wave_id}", headers=bearer("other_organizer")), 404)
    assert_error(client.get("/api/v1/waves", headers=bearer("staff")), 403)
    missing = client.post(
        "/api/v1/waves",
        json={
            "region": "DEMO0102",
            "title": "t",
            "period": "2026",
            "target_size": 40,
            "allocation": "proportional",
            "modes": ["door"],
        },
        headers=bearer("organizer"),
    )
    assert assert_error(missing, 422)["code"] == "margins_missing"


def test_an_interviewer_hands_in_through_the_api(
    client: FlaskClient, bearer, accounts, wave_id: int, library: Library
) -> None:
    organizer, staff = bearer("organizer"), bearer("staff")
    start = {"community": "DEMO010101", "mode": "door", "age_band": "60+", "sex": "female", "area_type": "urban"}
    assert_error(client.post(f"/api/v1/interviewing/{wave_id}/interviews", json=start, headers=staff), 404)
    assigned = client.post(
        f"/api/v1/waves/{wave_id}/interviewers", json={"user_id": accounts["staff"].id}, headers=organizer
    )
    assert assigned.status_code == 201
    assert [w["id"] for w in client.get("/api/v1/interviewing", headers=staff).get_json()] == [wave_id]
    started = client.post(f"/api/v1/interviewing/{wave_id}/interviews", json=start, headers=staff)
    assert started.status_code == 201
    body = started.get_json()
    assert len(body["questions"]) == 10
    assert "correct" not in started.get_data(as_text=True)
    interview = db.session.get(Interview, body["id"])
    answers = [
        {
            "position": i,
            "choices": [p for p, key in enumerate(item["o"]) if library.bank.questions[item["q"]].option(key).correct],
        }
        for i, item in enumerate(interview.items)
    ]
    handed = client.post(f"/api/v1/interviews/{body['id']}/answers", json={"answers": answers}, headers=staff)
    assert handed.status_code == 200
    result = handed.get_json()
    assert result["score"] == 1.0 and "too_fast" in result["flags"] and result["counts"] is False
    again = client.post(f"/api/v1/interviews/{body['id']}/answers", json={"answers": answers}, headers=staff)
    assert assert_error(again, 409)["code"] == "interview_handed_in"
    assert_error(client.get(f"/api/v1/interviews/{body['id']}", headers=bearer("other_staff")), 404)

    progress = client.get(f"/api/v1/waves/{wave_id}/progress", headers=organizer).get_json()
    assert progress["total"] == {"target": 80, "completed": 1, "counted": 0} and progress["flagged"] == 1
    estimate = client.get(f"/api/v1/waves/{wave_id}/estimate", headers=organizer).get_json()
    assert estimate["error"] == "no_interviews" and estimate["n"] == 0
    reviewed = client.post(
        f"/api/v1/waves/{wave_id}/interviews/{body['id']}/review", json={"decision": "accepted"}, headers=organizer
    )
    assert reviewed.get_json()["counts"] is True
    estimate = client.get(f"/api/v1/waves/{wave_id}/estimate", headers=organizer).get_json()
    # one interview cannot speak for a district's other age groups: a clear refusal, not a number
    assert estimate["n"] == 1 and estimate["error"] == "survey_group_not_interviewed"
    assert {e.action for e in audit_entries("interview.hand_in")} == {"interview.hand_in"}
    assert audit_entries("interview.review") and audit_entries("wave.assign")


def test_invitation_codes_are_issued_once_and_audited(client: FlaskClient, bearer, wave_id: int) -> None:
    organizer = bearer("organizer")
    wave = client.get(f"/api/v1/waves/{wave_id}", headers=organizer).get_json()
    community = wave["communities"][0]["community"]
    issued = client.post(
        f"/api/v1/waves/{wave_id}/invitations", json={"community": community, "count": 3}, headers=organizer
    )
    assert issued.status_code == 201 and len(set(issued.get_json()["codes"])) == 3
    too_many = client.post(
        f"/api/v1/waves/{wave_id}/invitations", json={"community": community, "count": 501}, headers=organizer
    )
    assert assert_error(too_many, 422)["code"] == "invitation_count"
    (entry,) = audit_entries("wave.invite")
    assert entry.row_count == 3 and "codes" not in entry.details


def test_a_volunteer_is_assigned_through_the_api_with_a_link(
    client: FlaskClient, bearer, wave_id: int, make_volunteer
) -> None:
    volunteer = make_volunteer(community="DEMO010102", phone="13900139002", status="active")
    assigned = client.post(
        f"/api/v1/waves/{wave_id}/volunteers", json={"volunteer_id": volunteer.id}, headers=bearer("organizer")
    )
    assert assigned.status_code == 201
    link = assigned.get_json()["link"]
    opened = client.get(urlsplit(link).path)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/interview/waves/{wave_id}/new")
    names = [
        i["username"]
        for i in client.get(f"/api/v1/waves/{wave_id}/interviewers", headers=bearer("organizer")).get_json()
    ]
    assert names == [f"volunteer:{volunteer.id}"]
    pending = make_volunteer(community="DEMO010102", phone="13900139003", status="pending")
    refused = client.post(
        f"/api/v1/waves/{wave_id}/volunteers", json={"volunteer_id": pending.id}, headers=bearer("organizer")
    )
    assert assert_error(refused, 422)["code"] == "interviewer_out_of_scope"
