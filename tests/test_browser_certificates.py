"""A resident who passed the survey claims the e-certificate, checks it and opens the share poster,
in real Chromium on small and ordinary phone screens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from quizzes.library import Library
from quizzes.models import Draw
from tests.browser_support import assert_usable_on_a_phone, h1, phone, screenshot
from tests.conftest import COMMUNITY
from tests.helpers import right_choices
from webapp.extensions import db

pytestmark = pytest.mark.browser

SCREENS = [(360, 740), (390, 844)]


def pass_the_survey(page: Page, library: Library) -> str:
    """Take the survey on the phone, answering every question right: the draw id."""
    page.goto(f"/c/{COMMUNITY}")
    page.get_by_role("button", name="开始测评").click()
    page.get_by_role("link", name="在一页上看全部题目").click()  # every question on one page
    expect(page).to_have_url(re.compile(r"/draws/[^/]+$"))
    draw_id = page.url.rsplit("/", 1)[-1]
    questions = page.locator("fieldset.question")
    for i, right in enumerate(right_choices(library, db.session.get(Draw, draw_id))):
        for position in right:
            questions.nth(i).locator(".choice label").nth(position).click()
    page.get_by_role("button", name="提交答卷").click()
    expect(page).to_have_url(re.compile(r"/draws/[^/]+/result$"))
    return draw_id


def assert_picture_loaded(page: Page) -> None:
    picture = page.locator("main img")
    expect(picture).to_be_visible()
    picture.evaluate("img => img.decode()")
    assert picture.evaluate("img => img.naturalWidth") > 0
    box = picture.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def assert_no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize(("width", "height"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_claim_check_and_share_on_a_phone(
    chromium: Browser | None, live_server: str, library: Library, width: int, height: int
) -> None:
    with phone(chromium, live_server, viewport={"width": width, "height": height}) as page:
        draw_id = pass_the_survey(page, library)

        # the certificate is claimed with a name, and shown as a picture with its downloads
        page.goto(f"/draws/{draw_id}/certificate")
        expect(h1(page)).to_have_text("我的电子证书")
        assert_usable_on_a_phone(page)
        page.get_by_label("证书上的姓名（选填）").fill("张小明")
        page.get_by_role("button", name="领取电子证书").click()
        expect(page).to_have_url(re.compile(rf"/draws/{draw_id}/certificate$"))
        assert_picture_loaded(page)
        expect(page.get_by_role("link", name="下载图片（PNG）")).to_be_visible()
        expect(page.get_by_role("link", name="下载打印版（PDF）")).to_be_visible()
        expect(page.get_by_label("证书上的姓名（选填）")).to_have_value("张小明")
        assert_no_sideways_scroll(page)
        assert_usable_on_a_phone(page)
        screenshot(page, f"certificate-{width}")

        # the public check, as whoever scans the certificate's QR code sees it
        page.get_by_role("link", name="打开本证书的公开查验页面").click()
        expect(h1(page)).to_have_text("证书查验")
        expect(page.get_by_text("这是一张真实有效的证书。")).to_be_visible()
        facts = page.locator("dl.facts")
        for shown in ("张小明", "桂园街道翠竹社区", library.survey.title["zh_Hans"]):
            expect(facts).to_contain_text(shown)
        expect(facts).to_contain_text(re.compile(r"[2-9A-Z]{5}-[2-9A-Z]{5}"))
        assert_no_sideways_scroll(page)
        assert_usable_on_a_phone(page)
        screenshot(page, f"certificate-check-{width}")

        # the share poster
        page.goto(f"/draws/{draw_id}/poster")
        expect(h1(page)).to_have_text("我的分享海报")
        expect(page.get_by_text("长按图片保存，分享给邻居")).to_be_visible()
        assert_picture_loaded(page)
        assert_no_sideways_scroll(page)
        assert_usable_on_a_phone(page)
        screenshot(page, f"poster-{width}")


def test_an_unknown_code_is_a_readable_page_on_a_phone(chromium: Browser | None, live_server: str) -> None:
    with phone(chromium, live_server, viewport={"width": 360, "height": 740}) as page:
        response = page.goto("/verify/ZZZZZ22222")
        assert response is not None and response.status == 404
        expect(h1(page)).to_have_text("未找到证书")
        page.get_by_label("证书编号").fill("abcde-23456")
        page.get_by_role("button", name="查验").click()
        expect(page).to_have_url(re.compile(r"/verify/ABCDE23456$"))
        expect(h1(page)).to_have_text("未找到证书")
        assert_no_sideways_scroll(page)
        assert_usable_on_a_phone(page)
