"""The OpenAPI document describes every answer the API really gives, as a client generator needs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_limiter.util import get_qualified_name
from schemathesis.specs.openapi.definitions import OPENAPI_30

from tests.conftest import COMMUNITY, seeded_app
from tests.helpers import assert_error, authorization, token_for
from webapp.exports import XLSX_TYPE
from webapp.extensions import db, limiter
from webapp.training import roster, units

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture()
def spec(client: FlaskClient) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(spec: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def header(spec: dict, response: dict, name: str) -> dict:
    ref = response.get("headers", {}).get(name)
    assert ref is not None, f"{name} not documented"
    return spec["components"]["headers"][ref["$ref"].rsplit("/", 1)[1]]


def limited_operations(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every operation Flask-Limiter limits, from the app's own routes."""
    found = set()
    with app.app_context():
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            if rule.rule.startswith("/api/v1/") and limiter.limit_manager.decorated_limits(get_qualified_name(view)):
                path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
                found |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_document_is_valid_openapi_3_0(spec: dict) -> None:
    jsonschema_rs.Draft4Validator(OPENAPI_30).validate(spec)
    assert spec["servers"] == [{"url": "/"}]


def test_servers_name_the_public_base_url(database_uri: str) -> None:
    with seeded_app(database_uri, PUBLIC_BASE_URL="https://xf.example.gov.cn/") as app:
        document = app.test_client().get("/api/v1/openapi.json", base_url="https://xf.example.gov.cn").get_json()
    assert document["servers"] == [{"url": "https://xf.example.gov.cn"}]


def test_every_operation_has_a_unique_readable_operation_id(spec: dict) -> None:
    ids = [operation.get("operationId") for _path, _method, operation in operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), ids
    assert all(i[0].islower() and i.isalnum() for i in ids), ids
    assert {"createDraw", "getDraw", "submitAnswers", "getSubmission", "listVolunteers", "exportVolunteers"} <= set(ids)


def test_every_operation_lists_503_with_retry_after(spec: dict) -> None:
    for path, method, operation in operations(spec):
        unavailable = operation["responses"].get("503")
        assert unavailable, (method, path)
        assert header(spec, unavailable, "Retry-After")["required"] is True


def test_input_errors_and_tokens_are_documented_where_they_can_happen(spec: dict) -> None:
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in responses, (method, path)
        if operation.get("requestBody"):
            assert "413" in responses, (method, path)
        if operation.get("security"):
            assert "401" in responses, (method, path)


def test_rate_limited_operations_list_429_and_the_rate_limit_headers(app: Flask, spec: dict) -> None:
    limited = limited_operations(app)
    assert ("/api/v1/quizzes/{slug}/draws", "post") in limited and ("/api/v1/auth/tokens", "post") in limited
    for path, method in limited:
        responses = spec["paths"][path][method]["responses"]
        assert header(spec, responses["429"], "Retry-After")["required"] is True, (method, path)
        for response in responses.values():
            if "$ref" not in response:
                for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
                    header(spec, response, name)
    for path, method, operation in operations(spec):
        if (path, method) not in limited:
            assert "429" not in operation["responses"], (method, path)


def test_the_rate_limit_headers_are_the_ones_really_sent(database_uri: str) -> None:
    with seeded_app(database_uri, RATELIMIT_ENABLED=True, QUIZ_RATE_LIMIT="1 per minute") as app:
        client = app.test_client()
        document = client.get("/api/v1/openapi.json").get_json()
        url = "/api/v1/quizzes/practice-escape/draws"
        first = client.post(url, json={"community": COMMUNITY})
        refused = client.post(url, json={"community": COMMUNITY})
    assert (first.status_code, refused.status_code) == (201, 429)
    documented = document["paths"]["/api/v1/quizzes/{slug}/draws"]["post"]["responses"]
    for response, status in ((first, "201"), (refused, "429")):
        for name in documented[status]["headers"]:
            assert name in response.headers, (status, name)
    assert int(refused.headers["Retry-After"]) > 0
    assert_error(refused, 429, "too_many_requests")


def test_the_respondent_token_is_required_where_it_is(spec: dict) -> None:
    def token_parameter(path: str, method: str) -> dict:
        parameters = spec["paths"][path][method]["parameters"]
        return next(p for p in parameters if p["in"] == "header" and p["name"] == "X-Respondent-Token")

    for path, method in (
        ("/api/v1/draws/{draw_id}", "get"),
        ("/api/v1/draws/{draw_id}/submission", "post"),
        ("/api/v1/draws/{draw_id}/submission", "get"),
    ):
        assert token_parameter(path, method)["required"] is True, (method, path)
        assert "401" in spec["paths"][path][method]["responses"]
    assert token_parameter("/api/v1/quizzes/{slug}/draws", "post")["required"] is False


def test_exports_declare_their_media_types_and_content_disposition(
    client: FlaskClient, accounts: dict, spec, app, make_volunteer
) -> None:
    volunteer_id = make_volunteer(phone="13912345678").id
    unit = units.create_unit(accounts["staff"], {"name": "翠竹大厦", "kind": "commercial_complex", "region": COMMUNITY})
    trainee = {"name": "刘洋", "phone": "13912345678", "role": "employee"}
    member_id = roster.add_member(accounts["staff"], unit, trainee).id
    db.session.commit()
    person = {"json": "application/json", "xlsx": XLSX_TYPE}
    formats = {
        "/api/v1/volunteers/export": {"csv": "text/csv", "xlsx": XLSX_TYPE},
        "/api/v1/activities/export": {"csv": "text/csv", "xlsx": XLSX_TYPE},
        "/api/v1/volunteers/{volunteer_id}/export": person,
        "/api/v1/training/roster/{member_id}/export": person,
    }
    exports = [(p, m, o) for p, m, o in operations(spec) if p.endswith("/export")]
    assert {p for p, _m, _o in exports} == set(formats)
    for path, _method, operation in exports:
        ok = operation["responses"]["200"]
        assert set(ok["content"]) == set(formats[path].values()), path
        assert header(spec, ok, "Content-Disposition")["required"] is True
    headers = authorization(token_for(client, "staff"))
    for path, _method, _operation in exports:
        for fmt, media_type in formats[path].items():
            url = path.replace("{volunteer_id}", str(volunteer_id)).replace("{member_id}", str(member_id))
            response = client.get(f"{url}?format={fmt}", headers=headers)
            assert response.status_code == 200 and response.mimetype == media_type, (url, fmt)
            assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_body_too_large_is_the_documented_413(client: FlaskClient, spec: dict) -> None:
    response = client.post(
        "/api/v1/quizzes/awareness-survey/draws",
        data='{"community": "' + "x" * (1024 * 1024) + '"}',
        content_type="application/json",
    )
    assert_error(response, 413, "payload_too_large")
    assert "413" in spec["paths"]["/api/v1/quizzes/{slug}/draws"]["post"]["responses"]
