"""Security and caching headers on pages, the API and static files."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.helpers import assert_error


def test_pages_carry_a_strict_content_security_policy(resident: FlaskClient) -> None:
    for path in ("/", "/lessons/gas-leak", "/quizzes", "/nothing-here"):
        headers = resident.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_api_and_staff_pages_are_not_cached(client: FlaskClient) -> None:
    assert client.get("/api/v1/quizzes").headers["Cache-Control"] == "no-store"
    assert client.get("/staff").headers["Cache-Control"] == "no-store"


def test_lessons_may_be_cached_briefly(client: FlaskClient) -> None:
    assert client.get("/lessons/gas-leak").headers["Cache-Control"] == "private, max-age=300"


def test_static_files_are_fingerprinted_compressed_and_cached_long(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/site\.css\?v=[0-9a-f]{10})"', page).group(1)
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.headers.get("Content-Encoding") == "gzip"
        assert response.headers["Content-Type"].startswith("text/css")


def _static_url(client: FlaskClient) -> str:
    return re.search(r'href="(/static/site\.css\?v=[0-9a-f]{10})"', client.get("/").get_data(as_text=True)).group(1)


def test_static_files_carry_the_security_headers_too(client: FlaskClient) -> None:
    with client.get(_static_url(client)) as response:
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_secure_cookies_bring_strict_transport_security(database_uri: str) -> None:
    from tests.conftest import make_app

    secure = make_app(database_uri, SESSION_COOKIE_SECURE=True)
    with secure.app_context():
        client = secure.test_client()
        for path in ("/", "/api/v1/quizzes", "/nothing-here", _static_url(client)):
            with client.get(path) as response:
                assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", path


def test_a_refused_method_says_which_are_allowed(client: FlaskClient) -> None:
    response = client.delete("/api/v1/quizzes")
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    response = client.post("/api/v1/volunteers/1")
    assert response.status_code == 405 and "PATCH" in response.headers["Allow"]
    response = client.post("/lessons/gas-leak")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.mimetype == "text/html"
