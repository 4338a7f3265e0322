"""A monitoring wave in real Chromium: an interviewer runs two interviews on a phone (390×844),
then the organizer reads the wave's progress and estimate on a desk screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from quizzes.library import load_library
from tests.browser_support import assert_usable_on_a_phone, h1, phone, screenshot, sign_in
from tests.conftest import PASSWORD
from webapp.accounts.service import create_user
from webapp.extensions import db
from webapp.monitoring.models import Interview
from webapp.monitoring.waves import WavePlan, assign_interviewer, create_wave
from webapp.regions.margins import import_margins
from webapp.regions.service import get_region

pytestmark = pytest.mark.browser

BANDS = ("15-29", "30-44", "45-59", "60+")


def answer_every_question(page: Page, interview: Interview) -> None:
    """Taps an answer per question as a respondent would: the right one here, from the bank."""
    library = load_library()
    for position, item in enumerate(interview.items):
        question = library.bank.questions[item["q"]]
        for option, key in enumerate(item["o"]):
            if question.option(key).correct:
                page.locator(f"label[for='q{position}-{option}']").click()


def test_an_interviewer_runs_two_interviews_and_the_organizer_reads_the_wave(
    chromium: Browser | None, live_server: str
) -> None:
    district = get_region("DEMO01")
    import_margins(
        [
            (i, {"region_code": "DEMO01", "age_band": b, "sex": s, "population": str(district.population // 8)})
            for i, (b, s) in enumerate((b, s) for b in BANDS for s in ("female", "male"))
        ]
    )
    organizer = create_user("binjiang", "滨江区消防委", PASSWORD, "organizer", district)
    staff = create_user("guiyuan", "桂园街道王芳", PASSWORD, "staff", get_region("DEMO0101"))
    wave = create_wave(organizer, district, WavePlan("滨江区抽样调查", "2026", 60, "proportional", ["door", "street"]))
    assign_interviewer(organizer, wave, staff.id)
    db.session.commit()
    community = next(e.community for e in wave.communities if e.community.code.startswith("DEMO0101"))

    with phone(chromium, live_server) as page:
        sign_in(page, "guiyuan")
        page.locator("a.tile").get_by_text("我的访问", exact=True).click()
        expect(h1(page)).to_have_text("我的访问")
        page.get_by_role("link", name="开始访问").click()
        for age, sex, mode in (("60+", "女", "入户访问"), ("30-44", "男", "街头拦访")):
            expect(h1(page)).to_have_text("开始访问")
            page.get_by_label("社区或村").select_option(community.code)
            page.get_by_label(mode).check()
            page.get_by_label(age, exact=True).check()
            page.get_by_label(sex, exact=True).check()
            page.get_by_label("城镇").check()
            assert_usable_on_a_phone(page)
            page.get_by_role("button", name="显示题目").click()
            expect(h1(page)).to_have_text("调查题目")
            assert "correct" not in page.content()  # no key before hand-in
            interview = db.session.query(Interview).order_by(Interview.id.desc()).first()
            assert interview is not None
            answer_every_question(page, interview)
            assert_usable_on_a_phone(page)
            screenshot(page, f"interview-{mode}")
            page.get_by_role("button", name="提交答案").click()
            expect(h1(page)).to_have_text("谢谢")
            expect(page.locator(".lead")).to_contain_text("答对10题")
            page.get_by_role("link", name="下一份访问").click()
        db.session.expire_all()
        assert db.session.query(Interview).filter(Interview.ended_at.is_not(None)).count() == 2

    with phone(chromium, live_server, viewport={"width": 1280, "height": 900}, is_mobile=False) as page:
        sign_in(page, "binjiang")
        page.locator("a.tile").get_by_text("抽样调查", exact=True).click()
        page.get_by_role("link", name="滨江区抽样调查").click()
        expect(h1(page)).to_have_text("滨江区抽样调查")
        expect(page.locator("#progress + p")).to_contain_text("已完成 2 份访问")
        cells = page.locator("table", has_text="按年龄段和性别的完成数与配额")
        expect(cells.locator("tr", has_text="60+")).to_contain_text("1 /")
        # handed in within seconds, both wait for review; the estimate says why there is none yet
        expect(page.locator("#flagged ~ ul .card")).to_have_count(2)
        expect(page.locator("#estimate + p.notice")).to_be_visible()
        page.locator("#flagged ~ ul .card").first.get_by_role("button", name="计入", exact=True).click()
        expect(page.locator("#flagged ~ ul .card").first).to_contain_text("复核后计入")
        screenshot(page, "wave-organizer")
