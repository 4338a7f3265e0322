"""Quiz attempts made through an activity's QR code count for that activity and its channel."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from quizzes.library import Library
from quizzes.models import Attempt, Draw
from tests.conftest import csrf_token
from webapp.campaigns.models import Activity
from webapp.extensions import db
from webapp.regions.service import get_region


def make_activity(code: str, community: str) -> Activity:
    activity = Activity(
        code=code,
        title="消防宣传进学校",
        channel="school",
        kind="talk",
        held_on=date(2026, 11, 9),
        community=get_region(community),
    )
    db.session.add(activity)
    db.session.commit()
    return activity


@pytest.fixture()
def school_talk(app) -> Activity:
    return make_activity("talk2026ab", "DEMO010102")


def test_scanning_an_activity_code_attributes_the_survey(
    client: FlaskClient, school_talk: Activity, library: Library
) -> None:
    response = client.get(f"/a/{school_talk.code}")
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "银杏社区" in home  # the activity's community is now the resident's
    start = client.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(client)})
    draw_id = start.headers["Location"].rsplit("/", 1)[-1]
    draw = db.session.get(Draw, draw_id)
    assert draw.activity_id == school_talk.id
    form = {"csrf_token": csrf_token(client), "confirm_incomplete": "1", "q0": "0"}
    client.post(f"/draws/{draw_id}", data=form)
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert attempt.activity_id == school_talk.id
    assert db.session.get(Activity, attempt.activity_id).channel == "school"


def test_unknown_activity_code_is_404(client: FlaskClient) -> None:
    assert client.get("/a/nope").status_code == 404
    assert client.get("/a/" + "x" * 40).status_code == 404


def test_switching_community_drops_the_activity(client: FlaskClient, school_talk: Activity) -> None:
    client.get(f"/a/{school_talk.code}")
    client.get("/c/DEMO010101")  # the resident then picks another community
    start = client.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(client)})
    draw = db.session.get(Draw, start.headers["Location"].rsplit("/", 1)[-1])
    assert draw.activity_id is None and draw.community.code == "DEMO010101"


def test_api_draws_take_the_activity_code(client: FlaskClient, school_talk: Activity) -> None:
    made = client.post(
        "/api/v1/quizzes/awareness-survey/draws", json={"community": "DEMO010102", "activity": school_talk.code}
    ).get_json()
    assert db.session.get(Draw, made["id"]).activity_id == school_talk.id
    elsewhere = client.post(
        "/api/v1/quizzes/awareness-survey/draws", json={"community": "DEMO010101", "activity": school_talk.code}
    ).get_json()
    assert db.session.get(Draw, elsewhere["id"]).activity_id is None
