"""Older readers in real Chromium on small phones: larger text, reading aloud, forms that
show where the mistake is. With JavaScript and without it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from quizzes.library import Library
from tests.browser_support import assert_usable_on_a_phone, h1, phone, screenshot
from tests.conftest import COMMUNITY

pytestmark = pytest.mark.browser

PHONES = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]
PHONE_IDS = ["360x740", "390x844"]
LESSON = "oil-pan-fire"

#: speechSynthesis.speak as the page calls it, recorded, then passed on to the browser's own
RECORD_SPEECH = """
window.spoken = [];
if ('speechSynthesis' in window) {
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    window.spoken.push({text: utterance.text, lang: utterance.lang, rate: utterance.rate});
    return speak(utterance);
  };
}
"""


def text_metrics(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.body);
            const root = document.documentElement;
            return {
                large: root.classList.contains('text-large'),
                font: parseFloat(style.fontSize),
                line: parseFloat(style.lineHeight) / parseFloat(style.fontSize),
                sideways: root.scrollWidth - root.clientWidth,
            };
        }"""
    )


def assert_large_text(page: Page) -> None:
    metrics = text_metrics(page)
    assert metrics["large"], page.url
    assert metrics["font"] >= 20, metrics
    assert metrics["line"] >= 1.8 - 1e-6, metrics
    assert metrics["sideways"] <= 0, f"content wider than the screen on {page.url}: {metrics}"
    expect(page.get_by_role("link", name="标准字")).to_be_visible()
    expect(page.get_by_role("link", name="大字", exact=True)).to_be_hidden()


def assert_standard_text(page: Page) -> None:
    metrics = text_metrics(page)
    assert not metrics["large"] and 16 <= metrics["font"] < 20, metrics
    expect(page.get_by_role("link", name="大字", exact=True)).to_be_visible()


@pytest.mark.parametrize("viewport", PHONES, ids=PHONE_IDS)
def test_larger_text_is_one_tap_away_and_remembered(
    chromium: Browser | None, live_server: str, library: Library, viewport: dict
) -> None:
    with phone(chromium, live_server, viewport=viewport) as page:
        page.goto("/")
        assert_standard_text(page)
        page.get_by_role("link", name="大字", exact=True).click()
        # switched at once, without loading the page again
        expect(page.locator("html")).to_have_class("text-large")
        expect(page).to_have_url(f"{live_server}/")
        assert_large_text(page)
        expect(page.get_by_role("link", name="标准字")).to_be_focused()
        assert_usable_on_a_phone(page)
        screenshot(page, f"elder-home-large-{viewport['width']}")

        # the next page, a lesson, comes from the server in larger text
        page.locator("nav.main-nav").get_by_role("link", name="学习").click()
        lesson = library.catalog.lesson(LESSON, "zh_Hans")
        page.locator("a.item").filter(has_text=lesson.title).click()
        expect(h1(page)).to_have_text(lesson.title)
        assert_large_text(page)
        assert_usable_on_a_phone(page)
        page.reload()
        assert_large_text(page)
        screenshot(page, f"elder-lesson-large-{viewport['width']}")

        # and back to the standard size, remembered too
        page.get_by_role("link", name="标准字").click()
        assert_standard_text(page)
        page.reload()
        assert_standard_text(page)


@pytest.mark.parametrize("viewport", PHONES, ids=PHONE_IDS)
def test_larger_text_works_without_javascript(
    chromium: Browser | None, live_server: str, library: Library, viewport: dict
) -> None:
    with phone(chromium, live_server, viewport=viewport, java_script_enabled=False) as page:
        page.goto(f"/lessons/{LESSON}")
        assert_standard_text(page)
        # the link asks the server, which remembers it and comes back to the lesson: the same
        # address as before, so only the finished navigation says the new page is there
        follow(page, page.get_by_role("link", name="大字", exact=True), f"{live_server}/lessons/{LESSON}")
        assert_large_text(page)
        # the read-aloud button needs the browser's speech, so it stays hidden
        expect(page.locator("button.speak")).to_be_hidden()
        follow(page, page.locator("nav.main-nav").get_by_role("link", name="首页"), f"{live_server}/")
        assert_large_text(page)
        assert_usable_on_a_phone(page)
        follow(page, page.get_by_role("link", name="标准字"), f"{live_server}/")
        assert_standard_text(page)


def follow(page: Page, link: Locator, url: str) -> None:
    """Click a link without script and wait until the page it leads to has loaded."""
    with page.expect_navigation(url=url):
        link.click()


def test_a_lesson_is_read_aloud_in_its_language(chromium: Browser | None, live_server: str, library: Library) -> None:
    with phone(chromium, live_server, viewport=PHONES[0]) as page:
        page.context.add_init_script(RECORD_SPEECH)
        page.goto(f"/lessons/{LESSON}")
        button = page.locator("button.speak")
        if not page.evaluate("'speechSynthesis' in window && 'SpeechSynthesisUtterance' in window"):
            expect(button).to_be_hidden()
            return
        expect(button).to_be_visible()
        expect(button).to_have_accessible_name("朗读")
        button.click()
        spoken = page.evaluate("window.spoken")
        assert spoken, "nothing was passed to speechSynthesis.speak"
        text = "".join(utterance["text"] for utterance in spoken)
        lesson = library.catalog.lesson(LESSON, "zh_Hans")
        assert lesson.title in text and lesson.summary in text
        assert "朗读" not in text  # the button itself is not read out
        assert {utterance["lang"] for utterance in spoken} == {"zh-CN"}
        assert all(abs(utterance["rate"] - 0.9) < 0.01 for utterance in spoken)

        # the same lesson in English is read with an English voice
        page.locator("nav.lang a").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("button", name="Read aloud").click()
        spoken = page.evaluate("window.spoken")
        assert library.catalog.lesson(LESSON, "en").title in "".join(u["text"] for u in spoken)
        assert {utterance["lang"] for utterance in spoken} == {"en-GB"}


def test_a_question_is_read_aloud_with_its_options(chromium: Browser | None, live_server: str) -> None:
    with phone(chromium, live_server, viewport=PHONES[0]) as page:
        page.context.add_init_script(RECORD_SPEECH)
        page.goto(f"/c/{COMMUNITY}")
        page.get_by_role("button", name="开始测评").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+/q/1$"))
        # the second screen, which arrives without a reload, has its button too
        page.locator("fieldset.question .choice label").first.click()
        page.get_by_role("button", name="下一题").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+/q/2$"))
        question = page.locator("fieldset.question").first
        if not page.evaluate("'speechSynthesis' in window"):
            expect(question.locator("button.speak")).to_be_hidden()
            return
        expect(page.locator("fieldset.question button.speak:visible")).to_have_count(1)
        question.get_by_role("button", name="朗读").click()
        text = "".join(utterance["text"] for utterance in page.evaluate("window.spoken"))
        stem = question.locator("legend").inner_text().split(".", 1)[1].strip().split("\n")[0]
        assert stem[:10] in text
        for option in question.locator(".choice label").all_inner_texts():
            assert option.strip() in text
        assert "朗读" not in text
        assert_usable_on_a_phone(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_sign_up_with_an_empty_field_shows_and_focuses_it(
    chromium: Browser | None, live_server: str, javascript: bool
) -> None:
    with phone(chromium, live_server, viewport=PHONES[0], java_script_enabled=javascript) as page:
        page.goto(f"/volunteer?community={COMMUNITY}")
        page.get_by_label("手机号", exact=True).fill("13812345678")
        page.get_by_role("button", name="报名当志愿者").click()
        expect(page.locator(".error").first).to_be_visible()
        name = page.get_by_label("姓名", exact=True)
        expect(name).to_be_focused()
        assert page.evaluate("document.activeElement.id") == "name"
        expect(name).to_have_attribute("aria-invalid", "true")
        error = page.locator(f"#{name.get_attribute('aria-describedby')}")
        expect(error).to_be_visible()
        expect(error).to_contain_text("姓名")
        border = name.evaluate(
            "e => [getComputedStyle(e).borderTopColor, parseFloat(getComputedStyle(e).borderTopWidth)]"
        )
        assert border[0] == "rgb(179, 38, 30)" and border[1] >= 3, border
        # a field without an error is not marked
        expect(page.get_by_label("手机号", exact=True)).not_to_have_attribute("aria-invalid", "true")
        assert_usable_on_a_phone(page)
        screenshot(page, f"elder-signup-error-{'js' if javascript else 'nojs'}")


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large"])
def test_the_search_button_fits_beside_the_box_at_360px(
    chromium: Browser | None, live_server: str, large: bool
) -> None:
    with phone(chromium, live_server, viewport=PHONES[0]) as page:
        if large:
            page.context.add_cookies([{"name": "text_size", "value": "large", "url": live_server}])
        page.goto("/")
        box = page.get_by_role("searchbox").bounding_box()
        button = page.locator("form[role=search]").get_by_role("button", name="搜索").bounding_box()
        assert box and button
        assert abs(box["y"] - button["y"]) < 8, (box, button)  # one row
        assert box["x"] + box["width"] <= button["x"]
        assert button["x"] + button["width"] <= 360 - 16
        assert button["height"] < 70, button  # its word on one line, not one character a line
        assert text_metrics(page)["sideways"] <= 0
