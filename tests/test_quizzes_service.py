"""The quiz service as the site and the API use it: starting a quiz, and what a hand-in returns."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.models import Draw
from quizzes.service import Timing
from tests.conftest import COMMUNITY, csrf_token
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import LessonCompletion
from webapp.regions.service import get_region

TIMING = Timing(submit_grace=timedelta(minutes=1), expiry=timedelta(days=1))


def _draw(library: Library):
    community = get_region(COMMUNITY)
    respondent, _token = learn.enroll_respondent(community)
    return quizzes.start_draw(library, library.survey, respondent, community, TIMING)


def test_a_new_submission_returns_the_stored_attempt_with_its_answers_and_draw(app: Flask, library: Library) -> None:
    draw = _draw(library)
    choices = {i: [0] for i in range(len(draw.items))}
    submission = quizzes.submit_draw(library, draw, choices)
    attempt = submission.attempt
    assert submission.created
    assert [answer.position for answer in attempt.answers] == list(range(len(draw.items)))
    assert [answer.question_id for answer in attempt.answers] == [item["q"] for item in draw.items]
    assert attempt.draw is draw and draw.attempt is attempt
    # the feedback of the stored attempt is the feedback of the fresh submission
    fresh = quizzes.feedback_on(library, draw, submission.marked, "en")
    assert quizzes.feedback(library, attempt, "en") == fresh


def test_a_repeated_submission_returns_the_same_attempt(app: Flask, library: Library) -> None:
    draw = _draw(library)
    choices = {i: [1] for i in range(len(draw.items))}
    first = quizzes.submit_draw(library, draw, choices)
    again = quizzes.submit_draw(library, draw, choices)
    assert not again.created and again.attempt is first.attempt
    assert again.marked == first.marked


def test_the_api_and_the_site_start_a_lesson_check_alike(client: FlaskClient, resident: FlaskClient) -> None:
    """Both faces call learn.start_quiz: the respondent, the lesson read, the draw."""
    api = client.post("/api/v1/quizzes/check-gas-leak/draws", json={"community": COMMUNITY})
    assert api.status_code == 201
    site = resident.post("/quizzes/check-gas-leak/start", data={"csrf_token": csrf_token(resident)})
    assert site.status_code == 303
    draws = db.session.execute(select(Draw).order_by(Draw.served_at)).scalars().all()
    completions = db.session.execute(select(LessonCompletion)).scalars().all()
    assert [draw.quiz_slug for draw in draws] == ["check-gas-leak"] * 2
    assert sorted(c.respondent_id for c in completions) == sorted(draw.respondent_id for draw in draws)
    assert {c.lesson_slug for c in completions} == {"gas-leak"}
    assert len({draw.respondent_id for draw in draws}) == 2
