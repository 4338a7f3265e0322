"""Quiz attempts made through an activity's QR code count for that activity and its channel."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from quizzes.library import Library
from quizzes.models import Attempt, Draw
from tests.conftest import csrf_token
from tests.helpers import start_quiz
from webapp.campaigns.models import Activity
from webapp.extensions import db


@pytest.fixture()
def school_talk(app, make_account, make_activity) -> Activity:
    staff = make_account("staff", "staff", "DEMO0101")
    return make_activity(staff, "DEMO010102", title="消防宣传进学校", channel="school", held_on=date(2026, 11, 9))


def test_scanning_an_activity_code_attributes_the_survey(
    client: FlaskClient, school_talk: Activity, library: Library
) -> None:
    response = client.get(f"/a/{school_talk.code}")
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "银杏社区" in home  # the activity's community is now the resident's
    draw_id = start_quiz(client)
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
    draw = db.session.get(Draw, start_quiz(client))
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
