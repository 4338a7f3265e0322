"""The resident's pages, with the bad inputs a real phone and network produce."""

from __future__ import annotations

import gzip
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from quizzes.library import Library
from quizzes.models import Answer, Attempt, Draw
from tests.conftest import COMMUNITY, CSRF_RE, csrf_token
from tests.helpers import right_form, start_quiz
from webapp.extensions import db
from webapp.learn.marks import quiet_marks


def submit(client: FlaskClient, draw_id: str, form: dict, **extra):
    data = {"csrf_token": csrf_token(client), **form, **extra}
    return client.post(f"/draws/{draw_id}", data=data)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/lessons",
        "/lessons?topic=escape",
        "/lessons?audience=elderly",
        "/lessons/oil-pan-fire",
        "/quizzes",
        "/?q=翠竹",
        "/?q=%25%25",
    ],
)
def test_pages_render(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "text/html" in response.content_type


def test_qr_link_remembers_the_community(client: FlaskClient) -> None:
    response = client.get(f"/c/{COMMUNITY}")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert f"community={COMMUNITY}" in cookie and "HttpOnly" in cookie
    home = client.get("/").get_data(as_text=True)
    assert "翠竹社区" in home and "开始测评" in home


def test_unknown_or_non_community_codes_open_the_community_chooser(client: FlaskClient) -> None:
    for code in ("NOPE123", "DEMO01", "x" * 500, "<b>x"):
        response = client.get(f"/c/{code}")
        assert response.status_code == 404 and "text/html" in response.content_type
        page = response.get_data(as_text=True)
        assert f"没有找到代码为“{escape(code[:32])}”的社区" in page
        assert 'role="search"' in page and 'name="q"' in page  # the chooser, to find the right one
        assert "<b>x" not in page
    assert client.get_cookie("community") is None


def test_search_results_name_the_street(client: FlaskClient) -> None:
    page = client.get("/?q=翠竹").get_data(as_text=True)
    assert re.search(r"翠竹社区\s*<span class=\"muted\">桂园街道 · DEMO010101</span>", page), page


def test_search_finds_communities_only(client: FlaskClient) -> None:
    page = client.get("/?q=DEMO0101").get_data(as_text=True)
    assert "/c/DEMO010101" in page
    assert '/c/DEMO0101"' not in page  # the street itself is not offered


def test_lesson_filters(client: FlaskClient, library: Library) -> None:
    page = client.get("/lessons?topic=kitchen-gas").get_data(as_text=True)
    for lesson in library.catalog.find_lessons("zh_Hans", topic="kitchen-gas"):
        assert lesson.title in page
    other = library.catalog.find_lessons("zh_Hans", topic="rural")[0]
    assert other.title not in page
    # an unknown filter value shows everything rather than failing
    assert client.get("/lessons?topic=<script>").status_code == 200


def test_lesson_page_has_body_and_check(app: Flask, resident: FlaskClient, library: Library) -> None:
    page = resident.get("/lessons/oil-pan-fire").get_data(as_text=True)
    lesson = library.catalog.lesson("oil-pan-fire", "zh_Hans")
    with app.test_request_context():
        body = quiet_marks(lesson.html)  # its ✅ and ❌ kept from screen readers, beside the words
    assert lesson.title in page and body in page
    assert '<span class="mark mark-dont" aria-hidden="true">❌</span> 不要：' in page
    assert "/quizzes/check-oil-pan-fire/start" in page


def test_kept_lesson_page_carries_each_reader_their_own_form_token(app, library: Library) -> None:
    readers = [app.test_client() for _ in range(2)]
    tokens = []
    for reader in readers:
        reader.get(f"/c/{COMMUNITY}")
        page = reader.get("/lessons/oil-pan-fire").get_data(as_text=True)
        assert "{{form-token}}" not in page
        tokens.append(CSRF_RE.search(page).group(1))
    assert tokens[0] != tokens[1]  # the second page came from the kept copy, with its own token
    for reader, token in zip(readers, tokens, strict=True):
        started = reader.post("/quizzes/check-oil-pan-fire/start", data={"csrf_token": token})
        assert started.status_code == 303
    newcomer = app.test_client().get("/lessons/oil-pan-fire").get_data(as_text=True)
    assert "csrf_token" not in newcomer and "请先选择您所在的社区" in newcomer


def test_missing_lesson_is_404(client: FlaskClient) -> None:
    assert client.get("/lessons/no-such-lesson").status_code == 404


def test_english_is_one_tap_away(client: FlaskClient, library: Library) -> None:
    page = client.get("/lessons/oil-pan-fire?lang=en")
    text = page.get_data(as_text=True)
    assert library.catalog.lesson("oil-pan-fire", "en").title in text
    assert 'lang="en"' in text and "中文" in text
    assert "lang=en" in page.headers["Set-Cookie"]
    # remembered on the next page
    assert "Lessons" in client.get("/lessons").get_data(as_text=True)


def test_starting_a_quiz_without_a_community_asks_for_one(client: FlaskClient) -> None:
    client.get(f"/c/{COMMUNITY}")
    token = csrf_token(client)
    client.delete_cookie("community")
    response = client.post("/quizzes/awareness-survey/start", data={"csrf_token": token})
    assert response.status_code == 400
    assert "请先选择您所在的社区" in response.get_data(as_text=True)


def test_form_without_csrf_token_is_refused(resident: FlaskClient) -> None:
    response = resident.post("/quizzes/awareness-survey/start", data={})
    assert response.status_code == 400
    assert db.session.execute(select(func.count(Draw.id))).scalar_one() == 0


def test_the_served_page_never_carries_answer_keys(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    page = resident.get(f"/draws/{draw_id}").get_data(as_text=True)
    draw = db.session.get(Draw, draw_id)
    assert len(re.findall(r"<fieldset", page)) == 10
    values = set(re.findall(r'name="q\d+"\s+value="([^"]+)"', page))
    assert values <= {str(i) for i in range(6)}
    assert "correct" not in page
    for item in draw.items:
        question = library.bank.questions[item["q"]]
        assert question.explanation["zh_Hans"] not in page


def test_full_survey_counts_for_the_community(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    response = submit(resident, draw_id, right_form(library, draw_id))
    assert response.status_code == 303
    result = resident.get(response.headers["Location"]).get_data(as_text=True)
    assert "共10题，答对10题" in result and '<span class="percent">100%</span>' in result
    assert "✔ 合格：达到了 60% 的合格线。" in result
    assert "翠竹社区" in result
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert attempt.valid and attempt.passed and attempt.n_correct == 10
    assert db.session.execute(select(func.count(Answer.id))).scalar_one() == 10


def test_result_explains_and_points_to_lessons(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    wrong = {key: [str((int(v[0]) + 1) % 2)] for key, v in right_form(library, draw_id).items()}
    submit(resident, draw_id, wrong)
    page = resident.get(f"/draws/{draw_id}/result").get_data(as_text=True)
    draw = db.session.get(Draw, draw_id)
    for item in draw.items:
        question = library.bank.questions[item["q"]]
        assert question.explanation["zh_Hans"] in page
        assert f"/lessons/{question.lesson}" in page
    assert "正确答案" in page
    assert "✘ 还没合格：合格线是 60%。" in page
    # the feedback is folded, and the lessons behind the missed questions come first, three of them
    assert page.count("<details") == 10 and "<details open" not in page
    missed = [library.bank.questions[item["q"]].lesson for item in draw.items]
    reading = re.search(r"<h2>接下来读这几课</h2>(.*?)</section>", page, re.S).group(1)
    assert len(re.findall(r'href="/lessons/', reading)) == 3
    assert all(slug in missed for slug in re.findall(r'href="/lessons/([a-z0-9-]+)"', reading))


def test_unanswered_questions_get_one_more_chance_then_count_as_invalid(
    resident: FlaskClient, library: Library
) -> None:
    draw_id = start_quiz(resident)
    answers = right_form(library, draw_id)
    del answers["q3"]
    again = submit(resident, draw_id, answers)
    assert again.status_code == 200
    assert "您还有第 4 题没有作答" in again.get_data(as_text=True)
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0
    response = submit(resident, draw_id, answers, confirm_incomplete="1")
    assert response.status_code == 303
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert not attempt.valid and attempt.n_answered == 9
    assert "不计入知晓率" in resident.get(f"/draws/{draw_id}/result").get_data(as_text=True)


def test_resubmitting_the_same_answers_is_safe(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    answers = right_form(library, draw_id)
    first = submit(resident, draw_id, answers)
    second = submit(resident, draw_id, answers)
    assert first.status_code == second.status_code == 303
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 1


def test_resubmitting_other_answers_is_refused_clearly(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident)
    answers = right_form(library, draw_id)
    submit(resident, draw_id, answers)
    answers["q0"] = [str((int(answers["q0"][0]) + 1) % 2)]
    response = submit(resident, draw_id, answers)
    assert response.status_code == 409
    assert "已经提交过" in response.get_data(as_text=True)


def test_someone_elses_draw_looks_missing(app: Flask, resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    stranger = app.test_client()
    stranger.get(f"/c/{COMMUNITY}")
    assert stranger.get(f"/draws/{draw_id}").status_code == 404
    assert submit(stranger, draw_id, {"q0": ["0"]}).status_code == 404


def test_garbage_answers_are_a_clear_error(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    for bad in ({"q0": ["abc"]}, {"q0": ["99"]}, {"q0": ["-1"]}):
        response = submit(resident, draw_id, bad, confirm_incomplete="1")
        assert response.status_code == 422
        assert "不属于" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0


def test_expired_draw_is_refused(resident: FlaskClient, library: Library) -> None:
    from datetime import timedelta

    draw_id = start_quiz(resident)
    draw = db.session.get(Draw, draw_id)
    draw.expires_at = draw.served_at - timedelta(seconds=1)
    db.session.commit()
    response = submit(resident, draw_id, right_form(library, draw_id))
    assert response.status_code == 409
    assert "已关闭" in response.get_data(as_text=True)


def test_late_survey_is_stored_but_invalid(resident: FlaskClient, library: Library) -> None:
    from datetime import timedelta

    draw_id = start_quiz(resident)
    draw = db.session.get(Draw, draw_id)
    draw.deadline_at = draw.served_at - timedelta(seconds=1)
    db.session.commit()
    submit(resident, draw_id, right_form(library, draw_id))
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert not attempt.valid and attempt.n_correct == 10


def test_lesson_check_records_the_lesson_as_finished(resident: FlaskClient, library: Library) -> None:
    from webapp.learn.models import LessonCompletion

    draw_id = start_quiz(resident, "check-gas-leak")
    draw = db.session.get(Draw, draw_id)
    assert 3 <= len(draw.items) <= 5
    assert {library.bank.questions[i["q"]].lesson for i in draw.items} == {"gas-leak"}
    start_quiz(resident, "check-gas-leak")
    completions = db.session.execute(select(LessonCompletion)).scalars().all()
    assert [c.lesson_slug for c in completions] == ["gas-leak"]


def test_unknown_quiz_is_404(resident: FlaskClient) -> None:
    response = resident.post("/quizzes/nope/start", data={"csrf_token": csrf_token(resident)})
    assert response.status_code == 404


def test_quiz_submissions_are_rate_limited(database_uri: str) -> None:
    from tests.conftest import seeded_app

    with seeded_app(database_uri, RATELIMIT_ENABLED=True, QUIZ_RATE_LIMIT="3 per minute") as app:
        client = app.test_client()
        client.get(f"/c/{COMMUNITY}")
        token = csrf_token(client)
        # the first start issues a respondent token; from then on the limit counts per respondent
        statuses = [
            client.post("/quizzes/awareness-survey/start", data={"csrf_token": token}).status_code for _ in range(5)
        ]
        assert statuses == [303, 303, 303, 303, 429]
        page = client.post("/quizzes/awareness-survey/start", data={"csrf_token": token}).get_data(as_text=True)
        assert "请稍等一分钟" in page


def test_lesson_page_is_light(resident: FlaskClient) -> None:
    """A lesson page with what the browser fetches to show it (stylesheet, script, favicon)
    transfers well under 60 KB compressed. The home-screen icons and the manifest are fetched
    only to install the site, the share picture only by link previews."""
    html = resident.get("/lessons/high-rise-escape").get_data()
    styles = re.findall(rb'<link rel="stylesheet" href="(/static/[^"]+)"', html)
    scripts = re.findall(rb'<script src="(/static/[^"]+)"', html)
    icons = re.findall(rb'<link rel="icon" href="(/static/[^"]+)"', html)
    assert (len(styles), len(scripts), len(icons)) == (1, 1, 1)  # one of each; nothing inline
    assert b"<script>" not in html and b"style=" not in html
    total = len(gzip.compress(html))
    for url in styles + scripts + icons:
        with resident.get(url.decode()) as response:
            assert response.status_code == 200, url
            total += len(gzip.compress(response.get_data()))
    assert total < 60 * 1024


def test_result_before_handing_in_goes_back_to_the_quiz(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident, "practice-rural")
    response = resident.get(f"/draws/{draw_id}/result")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/draws/{draw_id}")
    assert "专项练习" in resident.get(f"/draws/{draw_id}").get_data(as_text=True)


def test_a_handed_in_quiz_shows_its_result(resident: FlaskClient, library: Library) -> None:
    draw_id = start_quiz(resident, "practice-rural")
    submit(resident, draw_id, right_form(library, draw_id))
    response = resident.get(f"/draws/{draw_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
