"""A resident's visit in real Chromium on a phone-sized screen.

The app runs on a free localhost port; Chromium is Debian's (/usr/bin/chromium), since
Playwright's own browser download is not available here. Screenshots of the main pages
are saved to tests/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from content.check import Library
from quizzes.models import Attempt
from tests.conftest import COMMUNITY, seeded_app
from webapp.extensions import db

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING_CHROMIUM = (
    f"Chromium was not found at {CHROMIUM}. The browser tests need Debian's Chromium and a Chinese font: "
    "sudo apt-get install chromium fonts-wqy-microhei"
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
SCREENSHOTS = Path(__file__).parent / "screenshots"
TIMEOUT_MS = 5_000

#: what a finger has to hit: buttons, answer rows, navigation and every stand-alone link
TAP_TARGETS = "button, .choice, header.top a, nav.main-nav a, nav.lang a, a.tap, a.item, a.tile, a.button"
MIN_TAP_PX = 44

#: WCAG 2 AA: 4.5:1 for body text, 3:1 for large text (24px, or 18.67px bold); the
#: background is the first opaque one found walking up from the text's element
CONTRAST_JS = """() => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
    if (!text || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const [l1, l2] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.67) ? 3 : 4.5;
    if (ratio < needed) problems.push(`${el.tagName}.${el.className} "${text.slice(0, 20)}" ${ratio.toFixed(2)}`);
  }
  return problems;
}"""
MIN_FONT_PX = 16


@pytest.fixture()
def live_server(database_uri: str) -> Iterator[str]:
    """The real app on a free port, over the demo regions; emptied afterwards like the `app` fixture."""
    with seeded_app(database_uri) as app:
        # make_server binds and listens here, so the port accepts connections before serve_forever runs
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser | None]:
    """One browser for the module; None when Chromium is missing, so each test fails (never skips)."""
    if not CHROMIUM.exists():
        yield None
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def phone(chromium: Browser | None, base_url: str, **options) -> Iterator[Page]:
    """A fresh phone (cookies and all) opened on the site."""
    if chromium is None:
        pytest.fail(MISSING_CHROMIUM, pytrace=False)
    context = chromium.new_context(base_url=base_url, **{**PHONE, **options})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def assert_language_switch(page: Page, to: str = "English") -> None:
    switch = page.locator("nav.lang a")
    expect(switch).to_have_count(1)
    expect(switch).to_have_text(to)
    expect(switch).to_be_visible()


def assert_usable_on_a_phone(page: Page) -> None:
    """Readable type, targets a finger can hit, and a label for every input."""
    font_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_px >= MIN_FONT_PX, f"body text is {font_px}px on {page.url}"

    targets = page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
            .filter(e => e.checkVisibility())
            .map(e => ({
                element: e.outerHTML.split('>')[0] + '> ' + e.innerText.trim().slice(0, 30),
                height: e.getBoundingClientRect().height,
            }))""",
        TAP_TARGETS,
    )
    assert targets, f"no tap targets found on {page.url}"
    too_small = [t for t in targets if t["height"] < MIN_TAP_PX]
    assert not too_small, f"tap targets under {MIN_TAP_PX}px on {page.url}: {too_small}"

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !e.id || !document.querySelector(`label[for="${CSS.escape(e.id)}"]`))
            .map(e => e.outerHTML)"""
    )
    assert not unlabelled, f"inputs without a label on {page.url}: {unlabelled}"

    low_contrast = page.evaluate(CONTRAST_JS)
    assert not low_contrast, f"text below WCAG AA contrast on {page.url}: {low_contrast[:5]}"


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
        score = page.locator(".score")
        expect(score).to_have_text(re.compile(r"^10 题中答对 \d+ 题$"))
        n_correct = int(re.search(r"答对 (\d+) 题", score.inner_text()).group(1))
        expect(page.get_by_text("谢谢参与！您的答卷已计入翠竹社区。")).to_be_visible()
        feedback = page.locator("ol.feedback > li")
        expect(feedback).to_have_count(10)
        expect(feedback.locator(".verdict").filter(has_text="答对了")).to_have_count(n_correct)
        for i in range(10):
            item = feedback.nth(i)
            expect(item.locator(".why")).to_contain_text("解析：")
            expect(item.locator(".tag.ok").first).to_have_text("正确答案")
            expect(item.locator(".chosen")).to_have_count(1)
            expect(item.get_by_role("link", name=re.compile(r"^去学习："))).to_have_attribute(
                "href", re.compile(r"^/lessons/[a-z0-9-]+$")
            )
        assert_language_switch(page)
        assert_usable_on_a_phone(page)
        screenshot(page, "result")
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
        expect(page).to_have_url(re.compile(r"/draws/[^/]+$"))
        answer_every_question_with_its_first_option(page)
        page.get_by_role("button", name="提交答卷").click()
        expect(page).to_have_url(re.compile(r"/draws/[^/]+/result$"))
        expect(page.locator(".score")).to_have_text(re.compile(r"^10 题中答对 \d+ 题$"))
        expect(page.locator("ol.feedback > li")).to_have_count(10)
        expect(page.get_by_text("谢谢参与！您的答卷已计入翠竹社区。")).to_be_visible()
