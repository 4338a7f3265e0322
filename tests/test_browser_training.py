"""A key-population trainee's whole journey in real Chromium on a 390×844 phone: the unit's staff
put them on the roster and print an invitation; they sign in with its code, read the course,
sit the exam and get a certificate whose QR check anyone can open."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from quizzes.library import Library
from tests.browser_support import assert_usable_on_a_phone, h1, phone, screenshot, sign_in
from tests.conftest import COMMUNITY, PASSWORD
from webapp.accounts.service import create_user
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.training import units
from webapp.training.models import ExamDraw

pytestmark = pytest.mark.browser

COURSE = "micro-station"
PHONE_SCREEN = {"width": 390, "height": 844}


def put_on_the_roster_and_invite(page: Page) -> str:
    """Staff add a micro fire station leader to the unit's roster and issue an invitation: its code."""
    sign_in(page, "cuizhu-staff")
    page.goto("/staff/units")
    page.get_by_role("link", name="翠竹养老院").click()
    expect(h1(page)).to_have_text("翠竹养老院")
    page.get_by_role("link", name="添加人员").click()
    page.get_by_label("姓名", exact=True).fill("周建国")
    page.get_by_label("手机号", exact=True).fill("139 0013 9001")
    page.get_by_label("岗位").select_option(label="微型消防站站长")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".notice")).to_contain_text("周建国")
    expect(page.locator("table.stack")).to_contain_text("139****9001")
    assert_usable_on_a_phone(page)
    page.get_by_role("link", name="周建国").click()
    page.get_by_role("button", name="发放邀请码").click()
    expect(h1(page)).to_have_text("消防安全培训邀请")
    assert_usable_on_a_phone(page)
    screenshot(page, "training-invitation-390")
    code = page.locator(".score").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code), code
    return code


def read_the_course(page: Page, library: Library) -> None:
    page.get_by_role("link", name="开始", exact=True).click()
    expect(h1(page)).to_have_text(library.courses[COURSE].title["zh_Hans"])
    assert_usable_on_a_phone(page)
    page.get_by_role("link", name="下一课").click()
    for number, _lesson in enumerate(library.courses[COURSE].lessons, start=1):
        expect(page.locator(".lesson-meta")).to_contain_text(f"第 {number} 课")
        if number == 1:
            assert_usable_on_a_phone(page)
        page.get_by_role("button", name="读完了，下一课").click()
    expect(h1(page)).to_have_text(library.courses[COURSE].title["zh_Hans"])


def sit_the_exam(page: Page, library: Library) -> None:
    page.get_by_role("button", name="开始考试").click()
    expect(page).to_have_url(re.compile(r"/training/exams/[^/]+$"))
    assert_usable_on_a_phone(page)
    draw = db.session.get(ExamDraw, page.url.rsplit("/", 1)[-1])
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(len(draw.items))
    html = page.content()
    for i, item in enumerate(draw.items):
        question = library.bank.questions[item["q"]]
        assert question.explanation["zh_Hans"] not in html  # no reason and no key before handing in
        for position, key in enumerate(item["o"]):
            if key in question.correct_keys:
                questions.nth(i).locator(".choice label").nth(position).click()
    page.get_by_role("button", name="提交答卷").click()
    expect(page).to_have_url(re.compile(r"/result$"))
    expect(page.locator(".score")).to_have_text("100%")


def test_a_trainee_from_invitation_to_certificate_on_a_phone(
    chromium: Browser | None, live_server: str, library: Library
) -> None:
    staff = create_user("cuizhu-staff", "桂园街道李娜", PASSWORD, "staff", get_region("DEMO0101"))
    units.create_unit(staff, {"name": "翠竹养老院", "kind": "elderly_care", "key_unit": True, "region": COMMUNITY})
    db.session.commit()
    with phone(chromium, live_server, viewport=PHONE_SCREEN) as page:
        code = put_on_the_roster_and_invite(page)

    with phone(chromium, live_server, viewport=PHONE_SCREEN) as page:
        page.goto("/training")
        expect(h1(page)).to_have_text("消防安全培训")
        assert_usable_on_a_phone(page)
        page.get_by_label("邀请码").fill(code.lower().replace("-", " "))
        page.get_by_role("button", name="开始培训").click()
        expect(h1(page)).to_have_text("我的培训")
        expect(page.locator("main")).to_contain_text("微型消防站站长培训")
        assert_usable_on_a_phone(page)
        read_the_course(page, library)
        sit_the_exam(page, library)
        screenshot(page, "training-result-390")

        page.get_by_role("link", name="查看我的证书").click()
        expect(h1(page)).to_have_text("消防安全培训合格证书")
        picture = page.locator("main img")
        picture.evaluate("img => img.decode()")
        assert picture.evaluate("img => img.naturalWidth") == 1240
        assert_usable_on_a_phone(page)
        screenshot(page, "training-certificate-390")
        certificate_code = page.url.rsplit("/", 1)[-1]

        # progress is kept: a reload still finds the trainee signed in, the course certified
        page.goto("/training/courses")
        expect(page.locator("main")).to_contain_text("证书有效期至")

    # anyone holding the code checks it, and sees only what the certificate shows
    with phone(chromium, live_server, viewport=PHONE_SCREEN) as page:
        page.goto(f"/verify/{certificate_code}")
        expect(page.locator("main")).to_contain_text("这是一张真实有效的证书")
        expect(page.locator("main")).to_contain_text("周建国")
        expect(page.locator("main")).not_to_contain_text("9001")
        assert_usable_on_a_phone(page)
