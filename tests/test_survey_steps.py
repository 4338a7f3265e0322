"""The survey one question per screen: each answer kept on the server as it is given, a skip one
tap away, the review before handing in, and a sitting resumed where it stopped."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.models import Attempt, Draw, SavedAnswer
from tests.conftest import COMMUNITY, csrf_token
from tests.helpers import right_choices, start_quiz
from webapp.extensions import db


def answer(client: FlaskClient, draw_id: str, number: int, options: list[int], go: str = "next"):
    data = {"csrf_token": csrf_token(client), f"q{number - 1}": [str(o) for o in options], "go": go}
    return client.post(f"/draws/{draw_id}/q/{number}", data=data)


def saved(draw_id: str) -> dict[int, list[int]]:
    db.session.expire_all()
    return quizzes.saved_choices(db.session.get(Draw, draw_id))


def test_the_survey_opens_on_its_first_question_alone(resident: FlaskClient) -> None:
    started = resident.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(resident)})
    assert started.status_code == 303 and re.search(r"/draws/[^/]+/q/1$", started.headers["Location"])
    page = resident.get(started.headers["Location"]).get_data(as_text=True)
    assert "第 1 题 / 共 10 题" in page
    assert page.count('<fieldset class="card question') == 1
    assert "请在" in page and "前交卷" in page  # the deadline as text, for a phone without the script
    assert 'data-seconds-left="' in page
    assert "已答 0 题，共 10 题" in page


def test_each_answer_is_kept_and_the_next_question_follows(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    right = right_choices(library, db.session.get(Draw, draw_id))
    response = answer(resident, draw_id, 1, right[0])
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/draws/{draw_id}/q/2")
    assert saved(draw_id) == {0: right[0]}
    page = resident.get(f"/draws/{draw_id}/q/2").get_data(as_text=True)
    assert "第 2 题 / 共 10 题" in page and "已答 1 题，共 10 题" in page
    back = resident.get(f"/draws/{draw_id}/q/1").get_data(as_text=True)
    assert re.search(rf'value="{right[0][0]}"\s+checked', back), "the kept answer is ticked again"


def test_a_skip_moves_on_without_an_answer_and_back_returns(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    skipped = answer(resident, draw_id, 1, [], go="skip")
    assert skipped.headers["Location"].endswith("/q/2") and saved(draw_id) == {}
    back = answer(resident, draw_id, 2, [1], go="back")
    assert back.headers["Location"].endswith("/q/1") and saved(draw_id) == {1: [1]}
    kept = answer(resident, draw_id, 2, [0], go="save")
    assert kept.status_code == 204 and saved(draw_id) == {1: [0]}
    cleared = answer(resident, draw_id, 2, [], go="save")
    assert cleared.status_code == 204 and saved(draw_id) == {}


def test_past_the_last_question_the_review_lists_what_is_open(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    for number in range(1, 11):
        answer(resident, draw_id, number, [0], go="skip" if number in (4, 7) else "next")
    last = answer(resident, draw_id, 10, [0])
    assert last.headers["Location"].endswith(f"/draws/{draw_id}/review")
    review = resident.get(f"/draws/{draw_id}/review").get_data(as_text=True)
    assert "共10题，已答8题。" in review and "还没答的题：第 4, 7 题。" in review
    assert "有题没答的测评不计入社区的知晓率" in review


def test_handing_in_with_questions_open_asks_once(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    answer(resident, draw_id, 1, [0])
    form = {"csrf_token": csrf_token(resident), "idempotency_key": "k1"}
    asked = resident.post(f"/draws/{draw_id}/hand-in", data=form)
    assert asked.status_code == 200 and 'role="alert"' in asked.get_data(as_text=True)
    assert 'name="confirm_incomplete"' in asked.get_data(as_text=True)
    assert db.session.execute(select(Attempt).where(Attempt.draw_id == draw_id)).first() is None
    handed = resident.post(f"/draws/{draw_id}/hand-in", data={**form, "confirm_incomplete": "1"})
    assert handed.status_code == 303 and handed.headers["Location"].endswith("/result")
    attempt = db.session.execute(select(Attempt).where(Attempt.draw_id == draw_id)).scalar_one()
    assert (attempt.n_answered, attempt.valid) == (1, False)


def test_answers_given_screen_by_screen_are_scored_when_handed_in(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    right = right_choices(library, db.session.get(Draw, draw_id))
    for number, options in enumerate(right, start=1):
        answer(resident, draw_id, number, options)
    handed = resident.post(f"/draws/{draw_id}/hand-in", data={"csrf_token": csrf_token(resident)})
    assert handed.status_code == 303
    attempt = db.session.execute(select(Attempt).where(Attempt.draw_id == draw_id)).scalar_one()
    assert (attempt.n_correct, attempt.valid) == (10, True)
    # handed in: the screens lead to the result, and nothing changes the answers any more
    again = answer(resident, draw_id, 1, [0])
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/draws/{draw_id}/result")
    assert db.session.execute(select(SavedAnswer).where(SavedAnswer.draw_id == draw_id)).first() is None


def test_starting_again_resumes_the_sitting_at_its_first_open_question(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    answer(resident, draw_id, 1, [0])
    answer(resident, draw_id, 2, [0], go="skip")
    answer(resident, draw_id, 3, [1])
    # the tab was closed; the resident scans the poster again and presses start
    again = resident.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(resident)})
    assert again.headers["Location"].endswith(f"/draws/{draw_id}/q/2")
    assert saved(draw_id) == {0: [0], 2: [1]}


def test_the_long_page_stays_and_shows_the_kept_answers(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    answer(resident, draw_id, 3, [1])
    page = resident.get(f"/draws/{draw_id}").get_data(as_text=True)
    assert page.count('<fieldset class="card question') == 10
    assert re.search(r'id="q2-1" name="q2"\s+value="1" checked', page)


def test_a_forged_answer_or_question_is_refused(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    assert answer(resident, draw_id, 1, [9]).status_code == 422
    items = db.session.get(Draw, draw_id).items
    single = next(i for i, item in enumerate(items) if library.bank.questions[item["q"]].type != "multiple")
    assert answer(resident, draw_id, single + 1, [0, 1]).status_code == 422  # two on a one-answer question
    token = csrf_token(resident)
    assert resident.post(f"/draws/{draw_id}/q/1", data={"csrf_token": token, "q0": "x"}).status_code == 422
    assert resident.post(f"/draws/{draw_id}/q/11", data={"csrf_token": token, "q10": "0"}).status_code == 404
    assert resident.post(f"/draws/{draw_id}/q/0", data={"csrf_token": token}).status_code == 404
    assert resident.get(f"/draws/{draw_id}/q/11").status_code == 404
    assert resident.post(f"/draws/{draw_id}/q/1", data={"q0": "0"}).status_code == 400  # no CSRF token
    assert saved(draw_id) == {}


def test_someone_elses_sitting_is_not_found(resident: FlaskClient, app) -> None:
    draw_id = start_quiz(resident)
    stranger = app.test_client()
    stranger.get(f"/c/{COMMUNITY}")  # the same community, another phone
    assert stranger.get(f"/draws/{draw_id}/q/1").status_code == 404
    assert stranger.get(f"/draws/{draw_id}/review").status_code == 404
    form = {"csrf_token": csrf_token(stranger), "q0": "0"}
    assert stranger.post(f"/draws/{draw_id}/q/1", data=form).status_code == 404
    assert saved(draw_id) == {}


def test_the_api_keeps_answers_one_at_a_time(client: FlaskClient) -> None:
    from tests.helpers import assert_error, new_draw

    draw = new_draw(client)
    headers = {"X-Respondent-Token": draw["respondent_token"]}
    url = f"/api/v1/draws/{draw['id']}/answers"
    kept = client.put(f"{url}/2", json={"choices": [1]}, headers=headers)
    assert kept.status_code == 200 and kept.get_json() == {"position": 2, "choices": [1]}
    assert client.get(url, headers=headers).get_json() == {"items": [{"position": 2, "choices": [1]}]}
    assert client.put(f"{url}/2", json={"choices": []}, headers=headers).status_code == 200
    assert client.get(url, headers=headers).get_json() == {"items": []}
    assert_error(client.put(f"{url}/10", json={"choices": [0]}, headers=headers), 422)
    assert_error(client.put(f"{url}/0", json={"choices": [7]}, headers=headers), 422)
    assert_error(client.put(f"{url}/0", json={"choices": ["a"]}, headers=headers), 422)
    assert_error(client.put(f"{url}/0", json={"choices": [0]}), 401)
    other = new_draw(client)
    assert_error(client.get(url, headers={"X-Respondent-Token": other["respondent_token"]}), 404)
