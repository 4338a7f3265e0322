"""Respondent tokens are issued by the server and only its own are recognised.

A made-up token must never create a respondent, never count for a community's figures and
never buy a rate limit of its own; new respondents per address are limited.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import COMMUNITY, csrf_token, seeded_app
from tests.helpers import assert_error, new_draw
from webapp.clock import local_month, utcnow
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.service import get_region
from webapp.stats.indicators import region_indicators
from webapp.stats.periods import parse_period

DRAWS = "/api/v1/quizzes/awareness-survey/draws"


@pytest.fixture()
def limited(database_uri: str) -> Iterator[Flask]:
    with seeded_app(
        database_uri, RATELIMIT_ENABLED=True, QUIZ_RATE_LIMIT="30 per minute", NEW_RESPONDENT_RATE_LIMIT="5 per hour"
    ) as app:
        yield app


def respondents() -> int:
    return db.session.execute(select(func.count(Respondent.id))).scalar_one()


def usage_now() -> float | None:
    month = local_month(utcnow())
    return region_indicators(get_region(COMMUNITY), parse_period(month)).usage.value


def made_up() -> str:
    return secrets.token_urlsafe(32)


def test_made_up_tokens_create_nobody_and_buy_no_limit(limited: Flask) -> None:
    client = limited.test_client()
    usage = usage_now()
    statuses = Counter(
        client.post(DRAWS, json={"community": COMMUNITY}, headers={"X-Respondent-Token": made_up()}).status_code
        for _ in range(70)
    )
    assert statuses[201] == 0
    # the limit counts per address once the tokens are not ours: 30 refusals, then 429s
    assert statuses == {401: 30, 429: 40}
    assert respondents() == 0
    assert usage_now() == usage


def test_a_made_up_token_that_looks_signed_is_refused(app: Flask) -> None:
    client = app.test_client()
    genuine = new_draw(client)["respondent_token"]
    random_part, _signature = genuine.rsplit(".", 1)
    forged = f"{random_part}.{made_up()[:27]}"
    response = client.post(DRAWS, json={"community": COMMUNITY}, headers={"X-Respondent-Token": forged})
    assert_error(response, 401, "respondent_unknown")
    assert respondents() == 1


def test_an_unknown_token_is_401_on_every_draw_endpoint(app: Flask) -> None:
    client = app.test_client()
    draw = new_draw(client)
    headers = {"X-Respondent-Token": made_up()}
    body = {"answers": [{"position": 0, "choices": [0]}]}
    for response in (
        client.post(DRAWS, json={"community": COMMUNITY}, headers=headers),
        client.get(f"/api/v1/draws/{draw['id']}", headers=headers),
        client.post(f"/api/v1/draws/{draw['id']}/submission", json=body, headers=headers),
        client.get(f"/api/v1/draws/{draw['id']}/submission", headers=headers),
    ):
        error = assert_error(response, 401, "respondent_unknown")
        assert "重新开始" in error["message"]
    english = client.get(f"/api/v1/draws/{draw['id']}?lang=en", headers={**headers, "Accept-Language": "en"})
    assert "start" in assert_error(english, 401, "respondent_unknown")["message"]
    assert respondents() == 1


def test_issued_tokens_are_signed_and_keep_working(app: Flask) -> None:
    client = app.test_client()
    token = new_draw(client)["respondent_token"]
    assert "." in token and learn.is_ours(token)
    again = new_draw(client, token=token)
    assert again["respondent_token"] is None
    assert respondents() == 1
    stored = db.session.execute(select(Respondent.token_hash)).scalar_one()
    assert token not in stored and len(stored) == 64  # only a digest is kept


def test_tokens_issued_before_signing_still_work(app: Flask) -> None:
    """Respondents enrolled before tokens were signed keep their stored, unsigned tokens."""
    legacy = made_up()
    db.session.add(Respondent(token_hash=learn.hash_token(legacy), community_id=get_region(COMMUNITY).id))
    db.session.commit()
    assert learn.is_ours(legacy)
    draw = new_draw(app.test_client(), token=legacy)
    assert draw["respondent_token"] is None
    assert respondents() == 1


def test_new_respondents_per_address_are_limited(limited: Flask) -> None:
    client = limited.test_client()
    tokens = []
    statuses = []
    for _ in range(8):
        response = client.post(DRAWS, json={"community": COMMUNITY})
        statuses.append(response.status_code)
        if response.status_code == 201:
            tokens.append(response.get_json()["respondent_token"])
    assert statuses == [201] * 5 + [429] * 3
    error = assert_error(client.post(DRAWS, json={"community": COMMUNITY}), 429, "too_many_new_respondents")
    assert "网络" in error["message"]
    assert respondents() == 5
    # those already enrolled carry on behind the same address
    response = client.post(DRAWS, json={"community": COMMUNITY}, headers={"X-Respondent-Token": tokens[0]})
    assert response.status_code == 201


def test_a_class_on_one_address_is_limited_per_respondent(limited: Flask) -> None:
    """Made-up tokens spend the address's limit; genuine respondents behind it keep their own."""
    client = limited.test_client()
    token = new_draw(client)["respondent_token"]
    for _ in range(30):
        client.post(DRAWS, json={"community": COMMUNITY}, headers={"X-Respondent-Token": made_up()})
    assert (
        client.post(DRAWS, json={"community": COMMUNITY}, headers={"X-Respondent-Token": made_up()}).status_code == 429
    )
    assert new_draw(client, token=token)["respondent_token"] is None


def test_the_site_with_a_forged_cookie_creates_nobody(resident) -> None:
    usage = usage_now()
    resident.set_cookie("respondent", made_up())
    token = csrf_token(resident)
    response = resident.post("/quizzes/awareness-survey/start", data={"csrf_token": token})
    # the cookie is dropped and the browser asked to start again without it
    assert response.status_code == 307
    assert response.headers["Location"].endswith("/quizzes/awareness-survey/start")
    assert resident.get_cookie("respondent") is None
    assert respondents() == 0
    assert usage_now() == usage


def test_the_site_starts_afresh_after_a_forged_cookie(resident) -> None:
    forged = made_up()
    resident.set_cookie("respondent", forged)
    form = {"csrf_token": csrf_token(resident)}
    again = resident.post("/quizzes/awareness-survey/start", data=form)
    # a browser repeats a 307 with the same form (the test client would drop its body)
    response = resident.post(again.headers["Location"], data=form, follow_redirects=True)
    assert response.status_code == 200 and "/draws/" in response.request.path
    issued = resident.get_cookie("respondent").value
    assert issued != forged and learn.is_ours(issued)
    assert respondents() == 1
    assert learn.find_respondent(forged) is None


def test_a_forged_cookie_opens_no_draw_and_is_dropped(resident) -> None:
    started = resident.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(resident)})
    draw_page = started.headers["Location"]
    assert resident.get(draw_page).status_code == 200
    resident.set_cookie("respondent", made_up())
    response = resident.get(draw_page)
    assert response.status_code == 404
    assert resident.get_cookie("respondent") is None
