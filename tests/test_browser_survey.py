"""The survey one question per screen in real Chromium, on the two common phone sizes: with the
script (no page reload, a live countdown), without it (each answer posts), with the network
dropped mid-survey, and with the tab closed and the survey started again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from quizzes import service as quizzes
from quizzes.models import Attempt, Draw
from tests.browser_support import assert_usable_on_a_phone, h1, phone, screenshot
from tests.conftest import COMMUNITY
from webapp.extensions import db

pytestmark = pytest.mark.browser

SIZES = [
    pytest.param({"width": 360, "height": 740}, id="360x740"),
    pytest.param({"width": 390, "height": 844}, id="390x844"),
]


def begin(page: Page) -> str:
    """From the community's QR code to the survey's first screen; the draw's id."""
    page.goto(f"/c/{COMMUNITY}")
    page.get_by_role("button", name="开始测评").click()
    expect(page).to_have_url(re.compile(r"/draws/[^/]+/q/1$"))
    expect(h1(page)).to_have_text("第 1 题 / 共 10 题")
    return re.search(r"/draws/([^/]+)/", page.url).group(1)


def choose_first(page: Page) -> None:
    question = page.locator("fieldset.question")
    expect(question).to_have_count(1)
    question.locator(".choice label").first.click()


def kept(draw_id: str) -> dict[int, list[int]]:
    db.session.expire_all()
    return quizzes.saved_choices(db.session.get(Draw, draw_id))


def attempt_of(draw_id: str) -> Attempt | None:
    db.session.expire_all()
    return db.session.execute(select(Attempt).where(Attempt.draw_id == draw_id)).scalar_one_or_none()


@pytest.mark.parametrize("viewport", SIZES)
def test_one_question_per_screen_without_a_reload(chromium: Browser | None, live_server: str, viewport) -> None:
    with phone(chromium, live_server, viewport=viewport) as page:
        draw_id = begin(page)
        expect(page.locator(".countdown")).to_have_text(re.compile(r"^剩余时间 1[45]:\d\d$"))
        expect(page.locator(".deadline")).to_contain_text(re.compile(r"请在 .+ 前交卷"))
        assert_usable_on_a_phone(page)
        screenshot(page, f"survey-step-{viewport['width']}")
        page.evaluate("window.sameDocument = true")  # gone if the next screen reloads the page
        choose_first(page)
        page.get_by_role("button", name="下一题").click()
        expect(h1(page)).to_have_text("第 2 题 / 共 10 题")
        expect(page).to_have_url(re.compile(rf"/draws/{draw_id}/q/2$"))
        assert page.evaluate("window.sameDocument === true")
        assert 0 in kept(draw_id)
        # a skip is one tap, and the strip says in words which are answered
        page.get_by_role("button", name="跳过这题").click()
        expect(h1(page)).to_have_text("第 3 题 / 共 10 题")
        strip = page.locator(".step-strip a")
        expect(strip.nth(0)).to_contain_text("已答")
        expect(strip.nth(1)).to_contain_text("未答")
        for number in range(3, 11):
            expect(h1(page)).to_have_text(f"第 {number} 题 / 共 10 题")
            choose_first(page)
            page.locator(".step-actions button.primary").click()
        expect(h1(page)).to_have_text("检查答题情况")
        expect(page.get_by_text("还没答的题：第 2 题。")).to_be_visible()
        # back to the skipped one from the review, answer it, hand in
        page.get_by_role("link", name="去答第 2 题").click()
        expect(h1(page)).to_have_text("第 2 题 / 共 10 题")
        choose_first(page)
        page.get_by_role("button", name="下一题").click()
        expect(h1(page)).to_have_text("第 3 题 / 共 10 题")
        assert page.evaluate("window.sameDocument === true")
        page.get_by_role("link", name=re.compile(r"^10")).click()
        page.get_by_role("button", name="检查答题情况").click()
        expect(page.get_by_text("每道题都答了。", exact=False)).to_be_visible()
        assert_usable_on_a_phone(page)
        page.get_by_role("button", name="提交答卷").click()
        expect(page).to_have_url(re.compile(rf"/draws/{draw_id}/result$"))
        attempt = attempt_of(draw_id)
        assert attempt is not None and attempt.valid and attempt.n_answered == 10
        # the result fits in a few screens: the percentage, passed or not in words, the rest folded
        expect(page.locator(".percent")).to_have_text(f"{round(attempt.score * 100)}%")
        expect(page.locator(".score-line")).to_have_text(f"共10题，答对{attempt.n_correct}题")
        expect(page.locator(".result-head .verdict")).to_contain_text("合格")
        assert page.evaluate("document.documentElement.scrollHeight") < 6 * viewport["height"]
        assert_usable_on_a_phone(page)
        screenshot(page, f"survey-result-{viewport['width']}")


@pytest.mark.parametrize("viewport", SIZES)
def test_without_javascript_each_answer_posts(chromium: Browser | None, live_server: str, viewport) -> None:
    with phone(chromium, live_server, viewport=viewport, java_script_enabled=False) as page:
        draw_id = begin(page)
        expect(page.locator(".deadline")).to_contain_text(re.compile(r"请在 .+ 前交卷"))
        expect(page.locator(".countdown")).to_have_text("")
        for number in range(1, 11):
            expect(h1(page)).to_have_text(f"第 {number} 题 / 共 10 题")
            choose_first(page)
            page.locator(".step-actions button.primary").click()
        expect(h1(page)).to_have_text("检查答题情况")
        assert_usable_on_a_phone(page)
        page.get_by_role("button", name="提交答卷").click()
        expect(page).to_have_url(re.compile(rf"/draws/{draw_id}/result$"))
        assert attempt_of(draw_id).valid


def test_a_dropped_network_loses_no_answer(chromium: Browser | None, live_server: str) -> None:
    with phone(chromium, live_server, viewport={"width": 360, "height": 740}) as page:
        draw_id = begin(page)
        choose_first(page)
        page.get_by_role("button", name="下一题").click()
        expect(h1(page)).to_have_text("第 2 题 / 共 10 题")
        page.context.set_offline(True)
        choose_first(page)
        page.get_by_role("button", name="下一题").click()
        status = page.locator(".step-status")
        expect(status).to_contain_text("没有网络，这道题的答案还没保存")
        expect(h1(page)).to_have_text("第 2 题 / 共 10 题")  # still here, the choice still ticked
        expect(page.locator("fieldset.question .choice input").first).to_be_checked()
        screenshot(page, "survey-offline")
        assert list(kept(draw_id)) == [0]
        # the connection comes back: the answer goes by itself and the next question follows
        page.context.set_offline(False)
        expect(h1(page)).to_have_text("第 3 题 / 共 10 题")
        assert list(kept(draw_id)) == [0, 1]


def test_a_closed_tab_resumes_where_it_stopped(chromium: Browser | None, live_server: str) -> None:
    with phone(chromium, live_server) as page:
        draw_id = begin(page)
        for number in range(1, 4):
            expect(h1(page)).to_have_text(f"第 {number} 题 / 共 10 题")  # this screen, not the one before
            choose_first(page)
            page.get_by_role("button", name="下一题").click()
        expect(h1(page)).to_have_text("第 4 题 / 共 10 题")
        context = page.context
        page.close()
        again = context.new_page()
        again.goto("/")
        again.get_by_role("link", name="继续答题").click()
        expect(again).to_have_url(re.compile(rf"/draws/{draw_id}/q/4$"))
        expect(again.locator(".step-progress")).to_have_attribute("value", "3")
