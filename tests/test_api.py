"""/api/v1: every endpoint with good and bad input, the error shape, the OpenAPI document."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from quizzes.library import Library
from quizzes.models import Attempt, Draw
from tests.conftest import COMMUNITY, PASSWORD
from tests.helpers import assert_error, authorization, new_draw, right_answers
from webapp.extensions import db


def test_openapi_document_lists_the_endpoints(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/lessons",
        "/api/v1/lessons/{slug}",
        "/api/v1/quizzes",
        "/api/v1/quizzes/{slug}/draws",
        "/api/v1/draws/{draw_id}/submission",
    ):
        assert path in spec["paths"], path
    assert "ErrorBody" in str(spec["components"]["schemas"])


def test_regions_search_filter_and_paginate(client: FlaskClient) -> None:
    body = client.get("/api/v1/regions?level=community&per_page=5&page=2").get_json()
    assert body["page"] == 2 and body["per_page"] == 5 and len(body["items"]) == 5
    assert body["total"] >= 40
    assert all(r["level"] == "community" for r in body["items"])
    found = client.get("/api/v1/regions?q=翠竹").get_json()["items"]
    assert [r["code"] for r in found] == [COMMUNITY]
    assert found[0]["parent_code"] == "DEMO0101" and found[0]["is_demo"] is True


def test_region_detail_and_missing(client: FlaskClient) -> None:
    assert client.get(f"/api/v1/regions/{COMMUNITY}").get_json()["name_zh"] == "翠竹社区"
    assert_error(client.get("/api/v1/regions/NOPE"), 404, "not_found")


@pytest.mark.parametrize("query", ["level=planet", "page=0", "per_page=1000", "page=abc", "q=" + "x" * 60])
def test_bad_region_queries_are_422_with_fields(client: FlaskClient, query: str) -> None:
    error = assert_error(client.get(f"/api/v1/regions?{query}"), 422, "unprocessable")
    assert error["fields"]


def test_lessons_filter_by_lang_topic_audience(client: FlaskClient, library: Library) -> None:
    body = client.get("/api/v1/lessons?lang=en&topic=escape&per_page=100").get_json()
    assert body["total"] == len(library.catalog.find_lessons("en", topic="escape"))
    assert all(item["lang"] == "en" and item["topic"] == "escape" for item in body["items"])
    elderly = client.get("/api/v1/lessons?audience=elderly&per_page=100").get_json()["items"]
    assert elderly and all("elderly" in item["audiences"] for item in elderly)
    assert client.get("/api/v1/lessons?per_page=5").get_json()["total"] == len(library.catalog.lessons)


@pytest.mark.parametrize("query", ["lang=fr", "topic=cooking", "audience=aliens"])
def test_bad_lesson_filters_are_422(client: FlaskClient, query: str) -> None:
    assert_error(client.get(f"/api/v1/lessons?{query}"), 422, "unprocessable")


def test_lesson_detail(client: FlaskClient, library: Library) -> None:
    body = client.get("/api/v1/lessons/gas-leak?lang=en").get_json()
    assert body["html"] == library.catalog.lesson("gas-leak", "en").html
    assert body["check_quiz"] == "check-gas-leak"
    assert_error(client.get("/api/v1/lessons/nope"), 404, "not_found")


def test_quiz_list(client: FlaskClient, library: Library) -> None:
    items = client.get("/api/v1/quizzes").get_json()["items"]
    kinds = {item["kind"] for item in items}
    assert kinds == {"survey", "practice", "check"}
    assert len(items) == len(library.quizzes)


def test_draw_serves_questions_without_answers(client: FlaskClient) -> None:
    body = new_draw(client)
    assert body["respondent_token"] and len(body["questions"]) == 10
    text = str(body)
    assert "correct" not in text and "explanation" not in text
    assert body["deadline_at"] and body["community"] == COMMUNITY


def test_draw_needs_a_real_community(client: FlaskClient) -> None:
    assert_error(client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": "NOPE"}), 404, "not_found")
    assert_error(
        client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": "DEMO01"}), 422, "not_a_community"
    )
    assert_error(client.post("/api/v1/quizzes/awareness-survey/draws", json={}), 422, "unprocessable")
    assert_error(client.post("/api/v1/quizzes/nope/draws", json={"community": COMMUNITY}), 404, "quiz_not_found")


@pytest.mark.parametrize("body", ["not json", "[1,2]", '{"community": 5}', '{"community": null}'])
def test_malformed_bodies_never_500(client: FlaskClient, body: str) -> None:
    response = client.post("/api/v1/quizzes/awareness-survey/draws", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.is_json and "error" in response.get_json()


def test_submission_scores_and_returns_feedback(client: FlaskClient, library: Library) -> None:
    draw = new_draw(client)
    token = draw["respondent_token"]
    response = client.post(
        f"/api/v1/draws/{draw['id']}/submission",
        json={"answers": right_answers(library, draw["id"])},
        headers={"X-Respondent-Token": token},
    )
    assert response.status_code == 201
    result = response.get_json()
    assert result["n_correct"] == 10 and result["valid"] and result["passed"] and result["score"] == 1.0
    assert all(item["explanation"] and item["lesson_slug"] for item in result["items"])
    again = client.get(f"/api/v1/draws/{draw['id']}/submission", headers={"X-Respondent-Token": token})
    assert again.get_json() == result


def test_retry_with_same_answers_returns_stored_result(client: FlaskClient, library: Library) -> None:
    draw = new_draw(client)
    headers = {"X-Respondent-Token": draw["respondent_token"]}
    answers = {"answers": right_answers(library, draw["id"])}
    first = client.post(f"/api/v1/draws/{draw['id']}/submission", json=answers, headers=headers)
    second = client.post(f"/api/v1/draws/{draw['id']}/submission", json=answers, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json() == second.get_json()
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 1
    answers["answers"][0]["choices"] = [(answers["answers"][0]["choices"][0] + 1) % 2]
    assert_error(
        client.post(f"/api/v1/draws/{draw['id']}/submission", json=answers, headers=headers), 409, "already_submitted"
    )


def test_incomplete_survey_is_stored_invalid(client: FlaskClient, library: Library) -> None:
    draw = new_draw(client)
    answers = right_answers(library, draw["id"])[:7]
    result = client.post(
        f"/api/v1/draws/{draw['id']}/submission",
        json={"answers": answers},
        headers={"X-Respondent-Token": draw["respondent_token"]},
    ).get_json()
    assert result["n_answered"] == 7 and not result["valid"] and not result["passed"]


def test_token_is_required_and_foreign_draws_look_missing(client: FlaskClient) -> None:
    draw = new_draw(client)
    url = f"/api/v1/draws/{draw['id']}/submission"
    assert_error(client.post(url, json={"answers": []}), 401, "unauthorized")
    other = new_draw(client)["respondent_token"]
    assert_error(client.post(url, json={"answers": []}, headers={"X-Respondent-Token": other}), 404, "draw_not_found")
    assert_error(
        client.post("/api/v1/draws/nope/submission", json={"answers": []}, headers={"X-Respondent-Token": other}),
        404,
        "draw_not_found",
    )


def test_the_same_token_keeps_the_same_respondent(client: FlaskClient) -> None:
    first = new_draw(client)
    second = new_draw(client, token=first["respondent_token"])
    assert second["respondent_token"] is None
    a, b = db.session.get(Draw, first["id"]), db.session.get(Draw, second["id"])
    assert a.respondent_id == b.respondent_id


@pytest.mark.parametrize(
    "answers",
    [
        [{"position": 99, "choices": [0]}],
        [{"position": 0, "choices": [9]}],
        [{"position": 0, "choices": [0]}, {"position": 0, "choices": [1]}],
    ],
    ids=["no such question", "no such option", "question twice"],
)
def test_answers_that_do_not_fit_the_draw_are_422(client: FlaskClient, answers: list) -> None:
    draw = new_draw(client)
    response = client.post(
        f"/api/v1/draws/{draw['id']}/submission",
        json={"answers": answers},
        headers={"X-Respondent-Token": draw["respondent_token"]},
    )
    assert response.status_code == 422 and response.get_json()["error"]["code"] in {"invalid_answers", "unprocessable"}
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0


def test_api_errors_are_json_and_site_errors_are_html(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    page = client.get("/nothing-here")
    assert page.status_code == 404 and "text/html" in page.content_type
    assert_error(client.delete("/api/v1/quizzes"), 405, "method_not_allowed")


def test_error_messages_follow_the_language(client: FlaskClient) -> None:
    zh = client.get("/api/v1/regions/NOPE").get_json()["error"]["message"]
    en = client.get("/api/v1/regions/NOPE?lang=en").get_json()["error"]["message"]
    assert zh != en and "find" in en


def test_a_draw_can_be_fetched_again_to_resume(client: FlaskClient) -> None:
    draw = new_draw(client, "practice-escape")
    headers = {"X-Respondent-Token": draw["respondent_token"]}
    again = client.get(f"/api/v1/draws/{draw['id']}?lang=en", headers=headers).get_json()
    assert [q["position"] for q in again["questions"]] == [q["position"] for q in draw["questions"]]
    assert again["submitted"] is False and again["respondent_token"] is None
    assert again["questions"][0]["stem"] != draw["questions"][0]["stem"]  # now in English
    assert_error(client.get(f"/api/v1/draws/{draw['id']}"), 401, "unauthorized")
    assert_error(client.get(f"/api/v1/draws/{draw['id']}/submission", headers=headers), 404, "not_found")


def test_idempotency_key_makes_a_retry_count_once(client: FlaskClient, library: Library) -> None:
    draw = new_draw(client)
    headers = {"X-Respondent-Token": draw["respondent_token"], "Idempotency-Key": "phone-retry-0001"}
    answers = right_answers(library, draw["id"])
    first = client.post(f"/api/v1/draws/{draw['id']}/submission", json={"answers": answers}, headers=headers)
    # the retry lost an answer on the way: the key still identifies it as the same submission
    retry = client.post(f"/api/v1/draws/{draw['id']}/submission", json={"answers": answers[:3]}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json() == first.get_json() and retry.get_json()["n_correct"] == 10
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 1
    other_key = {**headers, "Idempotency-Key": "another-submission"}
    refused = client.post(f"/api/v1/draws/{draw['id']}/submission", json={"answers": answers[:3]}, headers=other_key)
    assert_error(refused, 409, "already_submitted")
    short = {**headers, "Idempotency-Key": "x"}
    assert client.post(f"/api/v1/draws/{draw['id']}/submission", json={"answers": []}, headers=short).status_code == 422


# --- timestamps: RFC 3339 with an offset ------------------------------------------------

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def _timestamps(body: object) -> dict[str, datetime]:
    """Every date-time string in a JSON answer, by its path, parsed."""
    found: dict[str, datetime] = {}

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif isinstance(value, str) and _TIMESTAMP.match(value):
            found[path] = datetime.fromisoformat(value)

    walk(body, "")
    return found


def _same_instant(sent: datetime, stored: datetime) -> bool:
    """``sent`` (aware, from the API) is the naive-UTC ``stored`` time."""
    return sent.tzinfo is not None and sent.astimezone(UTC).replace(tzinfo=None) == stored


def test_every_timestamp_has_an_offset_and_the_right_instant(client: FlaskClient, accounts: dict) -> None:
    from webapp.accounts.models import ApiToken
    from webapp.audit.models import AuditEntry
    from webapp.campaigns.models import Activity
    from webapp.volunteers.models import Volunteer

    def bearer(username: str) -> dict:
        response = client.post("/api/v1/auth/tokens", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201
        stamps = _timestamps(response.get_json())
        token = db.session.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
        assert _same_instant(stamps[".expires_at"], token.expires_at)
        return authorization(response.get_json()["token"])

    staff, organizer = bearer("staff"), bearer("organizer")
    answers: dict[str, dict] = {}
    draw = new_draw(client, "practice-escape")
    answers["draw"] = draw
    token = {"X-Respondent-Token": draw["respondent_token"]}
    stored_draw = db.session.get(Draw, draw["id"])
    assert _same_instant(datetime.fromisoformat(draw["served_at"]), stored_draw.served_at)
    assert _same_instant(datetime.fromisoformat(draw["expires_at"]), stored_draw.expires_at)
    answers["draw again"] = client.get(f"/api/v1/draws/{draw['id']}", headers=token).get_json()
    client.post(f"/api/v1/draws/{draw['id']}/submission", json={"answers": []}, headers=token)

    volunteer = client.post(
        "/api/v1/volunteers",
        json={"name": "王芳", "phone": "13812345678", "community": COMMUNITY, "consent": True},
        headers=staff,
    ).get_json()
    answers["volunteer"] = client.get(f"/api/v1/volunteers/{volunteer['id']}", headers=staff).get_json()
    answers["volunteers"] = client.get("/api/v1/volunteers", headers=staff).get_json()
    stored = db.session.get(Volunteer, volunteer["id"])
    assert _same_instant(datetime.fromisoformat(answers["volunteer"]["created_at"]), stored.created_at)
    assert _same_instant(datetime.fromisoformat(answers["volunteer"]["consent_at"]), stored.consent_at)

    activity = client.post(
        "/api/v1/activities",
        json={"title": "演练", "channel": "school", "kind": "drill", "held_on": "2026-11-20", "community": COMMUNITY},
        headers=staff,
    ).get_json()
    answers["activity"] = activity
    assert _same_instant(
        datetime.fromisoformat(activity["updated_at"]), db.session.get(Activity, activity["id"]).updated_at
    )
    assert activity["held_on"] == "2026-11-20"  # a date stays a date

    answers["audit"] = client.get("/api/v1/audit", headers=organizer).get_json()
    newest = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert _same_instant(datetime.fromisoformat(answers["audit"]["items"][0]["at"]), newest.at)
    before = datetime.now(UTC)
    answers["stats"] = client.get("/api/v1/stats/regions/DEMO01", headers=organizer).get_json()
    computed = datetime.fromisoformat(answers["stats"]["computed_at"])
    assert computed.tzinfo is not None and abs(computed - before) < timedelta(minutes=1)

    for name, body in answers.items():
        stamps = _timestamps(body)
        assert stamps, name
        assert all(stamp.tzinfo is not None for stamp in stamps.values()), (name, stamps)


def test_times_sent_with_an_offset_are_stored_as_naive_utc() -> None:
    from api.timestamps import DateTime

    field = DateTime()
    assert field.deserialize("2026-12-01T08:30:00+08:00") == datetime(2026, 12, 1, 0, 30)
    assert field.deserialize("2026-12-01T00:30:00Z") == datetime(2026, 12, 1, 0, 30)
    assert field.deserialize("2026-12-01T00:30:00") == datetime(2026, 12, 1, 0, 30)
    assert field.serialize("at", {"at": datetime(2026, 12, 1, 0, 30)}) == "2026-12-01T00:30:00+00:00"


# --- languages ------------------------------------------------------------------------


def test_field_messages_follow_the_language(client: FlaskClient) -> None:
    zh = assert_error(
        client.get("/api/v1/regions?page=abc", headers={"Accept-Language": "zh-CN"}), 422, "unprocessable"
    )
    assert zh["fields"] == {"page": ["不是有效的整数。"]}
    en = assert_error(
        client.get("/api/v1/regions?page=abc", headers={"Accept-Language": "en-US"}), 422, "unprocessable"
    )
    assert en["fields"] == {"page": ["Not a valid integer."]}
    zh = assert_error(client.post("/api/v1/quizzes/awareness-survey/draws", json={"x": 1}), 422, "unprocessable")
    assert zh["fields"] == {"community": ["此项为必填项。"], "x": ["未知字段。"]}
    ranged = assert_error(client.get("/api/v1/regions?per_page=1000&lang=zh"), 422, "unprocessable")
    assert ranged["fields"] == {"per_page": ["须大于或等于 1，且小于或等于 100。"]}
    en = assert_error(client.get("/api/v1/regions?q=" + "x" * 60 + "&lang=en"), 422, "unprocessable")
    assert en["fields"] == {"q": ["Longer than maximum length 50."]}


def test_the_projects_own_field_messages_are_translated_too(client: FlaskClient) -> None:
    zh = assert_error(client.get("/api/v1/lessons?topic=nope"), 422, "unprocessable")["fields"]["topic"][0]
    en = assert_error(client.get("/api/v1/lessons?topic=nope&lang=en"), 422, "unprocessable")["fields"]["topic"][0]
    assert zh.startswith("未知的主题") and en.startswith("Unknown topic") and "escape" in zh and "escape" in en


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh_Hans", "zh_Hans"),
        ("en", "en"),
        ("en-US", "en"),
    ],
)
def test_lang_accepts_the_usual_spellings(client: FlaskClient, lang: str, expected: str) -> None:
    body = client.get(f"/api/v1/lessons?per_page=1&lang={lang}")
    assert body.status_code == 200, body.get_data(as_text=True)
    assert body.get_json()["items"][0]["lang"] == expected
    slug = body.get_json()["items"][0]["slug"]
    assert client.get(f"/api/v1/lessons/{slug}?lang={lang}").get_json()["lang"] == expected


def test_lessons_follow_accept_language_without_lang(client: FlaskClient) -> None:
    english = client.get("/api/v1/lessons?per_page=1", headers={"Accept-Language": "en-US,en;q=0.9"}).get_json()
    assert english["items"][0]["lang"] == "en"
    slug = english["items"][0]["slug"]
    assert client.get(f"/api/v1/lessons/{slug}", headers={"Accept-Language": "en"}).get_json()["lang"] == "en"
    chinese = client.get(f"/api/v1/lessons/{slug}", headers={"Accept-Language": "zh-CN"}).get_json()
    assert chinese["lang"] == "zh_Hans"
    assert_error(client.get("/api/v1/lessons?lang=fr"), 422, "unprocessable")


def test_the_site_reads_lang_in_the_usual_spellings_too(client: FlaskClient) -> None:
    english = client.get("/lessons?lang=en-US", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "lang=en;" in english.headers.get("Set-Cookie", "")
    chinese = client.get("/lessons?lang=zh-CN", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in chinese.get_data(as_text=True)


def test_an_undocumented_query_parameter_is_refused_not_ignored(client: FlaskClient, bearer) -> None:
    # a misspelt filter (commmunity=) must not silently list everything in scope
    refused = assert_error(client.get("/api/v1/activities?commmunity=DEMO010101", headers=bearer("staff")), 422)
    assert refused["fields"] == {"commmunity": ["未知字段。"]}
    assert client.get("/api/v1/activities?lang=en", headers=bearer("staff")).status_code == 200
