"""A resident's visit in real Chromium on a phone-sized screen.

The app runs on a free localhost port; Chromium is Debian's (/usr/bin/chromium), since
Playwright's own browser download is not available here. Screenshots of the main pages
are saved to tests/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from quizzes.library import Library
from quizzes.models import Attempt
from tests.browser_support import assert_language_switch, assert_usable_on_a_phone, h1, phone, screenshot
from tests.conftest import COMMUNITY
from webapp.extensions import db

pytestmark = pytest.mark.browser


def answer_every_question_with_its_first_option(page: Page) -> None:
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(10)
    for i in range(10):
        question = questions.nth(i)
        question.locator(".choice label").first.click()
        expect(question.locator(".choice input").first).to_be_checked()


def test_resident_journey_from_qr_code_to_result(chromium: Browser | None, live_server: str, library: Library) -> None:
    with phone(chromium, live_server) as page:
        # the QR code on the community poster
        page.goto(f"/c/{COMMUNITY}")
        expect(page).to_have_url(f"{live_server}/")
        expect(h1(page)).to_have_text("每天几分钟，学会消防安全")
        expect(page.locator(".community")).to_contain_text("翠竹社区")
        expect(page.get_by_role("button", name="开始测评")).to_be_visible()
        assert_language_switch(page)
        assert_usable_on_a_phone(page)
        screenshot(page, "home")

        # the lessons, narrowed to one topic with the filter form
        page.locator("nav.main-nav").get_by_role("link", name="学习").click()
        expect(h1(page)).to_have_text("学习")
        assert_language_switch(page)
        kitchen = library.catalog.find_lessons("zh_Hans", topic="kitchen-gas")
        elsewhere = library.catalog.find_lessons("zh_Hans", topic="rural")[0]
        page.get_by_label("主题").select_option(label="厨房与燃气")
        page.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"/lessons\?topic=kitchen-gas"))
        items = page.locator("ul.list a.item")
        expect(items).to_have_count(len(kitchen))
        for lesson in kitchen:
            expect(items.filter(has_text=lesson.title)).to_be_visible()
        expect(page.get_by_text(elsewhere.title)).to_have_count(0)
        assert_language_switch(page)

        # one lesson, read in full
        lesson = library.catalog.lesson("oil-pan-fire", "zh_Hans")
        items.filter(has_text=lesson.title).click()
        expect(page).to_have_url(re.compile(r"/lessons/oil-pan-fire$"))
        expect(h1(page)).to_have_text(lesson.title)
        body = page.locator("article.lesson")
        for heading in re.findall(r"<h2>(.*?)</h2>", lesson.html):
            expect(body.get_by_role("heading", level=2, name=heading)).to_be_visible()
        expect(body.locator(".summary")).to_have_text(lesson.summary)
        expect(page.get_by_role("button", name="学完了，开始小测")).to_be_visible()
        assert_language_switch(page)
        assert_usable_on_a_phone(page)
        screenshot(page, "lesson")

        # back home, and the awareness survey
        page.locator("nav.main-nav").get_by_role("link", name="首页").click()
        page.get_by_role("button", name="开始测评").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+/q/1$"))
        # one question per screen; the long form, every question on one page, stays a tap away
        page.get_by_role("link", name="在一页上看全部题目").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+$"))
        expect(h1(page)).to_have_text(library.survey.title["zh_Hans"])
        assert_language_switch(page)
        assert_usable_on_a_phone(page)
        answer_every_question_with_its_first_option(page)
        screenshot(page, "quiz")
        page.get_by_role("button", name="提交答卷").click()

        # the result: a score, and for every question the right answer, why, and a lesson
        expect(page).to_have_url(re.compile(r"/draws/[^/]+/result$"))
        expect(h1(page)).to_have_text("答题结果")
        score = page.locator(".score-line")
        expect(score).to_have_text(re.compile(r"^共10题，答对\d+题$"))
        n_correct = int(re.search(r"答对(\d+)题", score.inner_text()).group(1))
        expect(page.locator(".percent")).to_have_text(f"{round(n_correct * 10)}%")
        expect(page.locator(".result-head .verdict")).to_have_text(re.compile(r"^(✔ 合格|✘ 还没合格)："))
        expect(page.get_by_text("谢谢参与！您的答卷已计入翠竹社区。")).to_be_visible()
        expect(page.locator("ul.topics > li")).to_have_count(10)  # the survey draws one question per topic
        feedback = page.locator("ol.feedback > li")
        expect(feedback).to_have_count(10)
        expect(feedback.locator(".verdict").filter(has_text="答对了")).to_have_count(n_correct)
        expect(feedback.locator(".why").first).to_be_hidden()  # folded until tapped
        assert_usable_on_a_phone(page)
        page_height = page.evaluate("document.documentElement.scrollHeight")
        assert page_height < 6 * 844, f"the result is {page_height}px long"
        screenshot(page, "result")
        for i in range(10):
            item = feedback.nth(i)
            item.locator("summary").click()
            expect(item.locator(".why")).to_contain_text("解析：")
            expect(item.locator(".tag.ok").first).to_have_text("正确答案")
            expect(item.locator(".chosen")).to_have_count(1)
            expect(item.get_by_role("link", name=re.compile(r"^去学习："))).to_have_attribute(
                "href", re.compile(r"^/lessons/[a-z0-9-]+$")
            )
        assert_language_switch(page)
        assert_usable_on_a_phone(page)
        screenshot(page, "result-open")
        attempt = db.session.execute(select(Attempt)).scalar_one()
        assert attempt.valid and attempt.n_answered == 10 and attempt.n_correct == n_correct

        # a feedback link leads to its lesson
        link = feedback.first.get_by_role("link", name=re.compile(r"^去学习："))
        title = link.inner_text().removeprefix("去学习：")
        link.click()
        expect(h1(page)).to_have_text(title)
        assert_language_switch(page)

        # and English is one tap away, and stays chosen
        slug = page.url.rsplit("/", 1)[-1].split("?")[0]
        page.locator("nav.lang a").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(h1(page)).to_have_text(library.catalog.lesson(slug, "en").title)
        expect(page.locator("nav.main-nav")).to_contain_text("Lessons")
        assert_language_switch(page, to="中文")
        page.locator("nav.main-nav").get_by_role("link", name="Lessons").click()
        expect(h1(page)).to_have_text("Lessons")


def test_survey_works_without_javascript(chromium: Browser | None, live_server: str) -> None:
    with phone(chromium, live_server, java_script_enabled=False) as page:
        page.goto(f"/c/{COMMUNITY}")
        expect(page.locator(".community")).to_contain_text("翠竹社区")
        page.get_by_role("button", name="开始测评").click()
        page.get_by_role("link", name="在一页上看全部题目").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+$"))
        answer_every_question_with_its_first_option(page)
        page.get_by_role("button", name="提交答卷").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+/result$"))
        expect(page.locator(".score-line")).to_have_text(re.compile(r"^共10题，答对\d+题$"))
        expect(page.locator("ol.feedback > li")).to_have_count(10)
        expect(page.get_by_text("谢谢参与！您的答卷已计入翠竹社区。")).to_be_visible()
