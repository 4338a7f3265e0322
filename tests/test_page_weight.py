"""Every page a resident opens stays light on a slow phone: the page, its stylesheet, scripts and
pictures together transfer under 60 KB compressed, and nothing is inline for the CSP to refuse."""

from __future__ import annotations

import gzip
import re

import pytest
from flask.testing import FlaskClient

from quizzes.library import Library
from tests.conftest import csrf_token
from tests.helpers import right_form, start_quiz

LIMIT = 60 * 1024
#: what the browser fetches to show a page: stylesheets, scripts, pictures and icons in the page
ASSET = re.compile(rb'<(?:link rel="stylesheet"|script|img)[^>]*?(?:href|src)="(/[^"]+)"')


def transferred(client: FlaskClient, path: str) -> int:
    """Bytes of ``path`` and what it loads, each as gzip would send it."""
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.get_data()
    assert b"<script>" not in html and b" style=" not in html, f"inline script or style on {path}"
    total = len(gzip.compress(html))
    for url in set(ASSET.findall(html)):
        with client.get(url.decode()) as asset:
            assert asset.status_code == 200, url
            body = asset.get_data()
            total += len(body) if asset.mimetype.startswith("image/png") else len(gzip.compress(body))
    return total


def handed_in_survey(client: FlaskClient, library: Library) -> str:
    draw_id = start_quiz(client)
    client.post(f"/draws/{draw_id}", data={"csrf_token": csrf_token(client), **right_form(library, draw_id)})
    return draw_id


@pytest.mark.parametrize("path", ["/", "/lessons", "/lessons/high-rise-escape", "/quizzes", "/me"])
def test_reading_pages_are_light(resident: FlaskClient, path: str) -> None:
    assert transferred(resident, path) < LIMIT


def test_the_survey_screens_are_light(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    for path in (f"/draws/{draw_id}/q/1", f"/draws/{draw_id}/review", f"/draws/{draw_id}"):
        assert transferred(resident, path) < LIMIT, path


def test_the_result_and_the_record_are_light(resident: FlaskClient, library: Library) -> None:
    draw_id = handed_in_survey(resident, library)
    for path in (f"/draws/{draw_id}/result", "/me"):
        assert transferred(resident, path) < LIMIT, path


def test_the_certificate_its_check_and_the_poster_are_light(resident: FlaskClient, library: Library) -> None:
    draw_id = handed_in_survey(resident, library)
    resident.post(f"/draws/{draw_id}/certificate", data={"csrf_token": csrf_token(resident), "name": "王秀英"})
    code = re.search(r"/verify/([A-Z0-9-]+)", resident.get(f"/draws/{draw_id}/certificate").get_data(as_text=True))
    assert code, "the certificate page links to its public check"
    for path in (f"/draws/{draw_id}/certificate", f"/verify/{code.group(1)}", f"/draws/{draw_id}/poster"):
        assert transferred(resident, path) < LIMIT, (path, transferred(resident, path))
