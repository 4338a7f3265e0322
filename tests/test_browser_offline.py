"""Offline reading in real Chromium: opened lessons stay readable, quizzes say they need a connection."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from quizzes.library import Library
from tests.browser_support import h1, phone, screenshot
from tests.conftest import COMMUNITY

pytestmark = pytest.mark.browser

WAIT_FOR_WORKER = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return registration.active !== null;
}"""


def test_opened_lessons_read_offline_and_quizzes_say_why_not(
    chromium: Browser | None, live_server: str, library: Library
) -> None:
    lesson = library.catalog.lesson("gas-leak", "zh_Hans")
    with phone(chromium, live_server) as page:
        page.goto(f"/c/{COMMUNITY}")
        page.goto("/lessons/gas-leak")
        assert page.evaluate(WAIT_FOR_WORKER)
        page.reload()  # now through the service worker, which keeps a copy
        expect(h1(page)).to_have_text(lesson.title)

        page.context.set_offline(True)
        page.goto("/lessons/gas-leak")
        expect(h1(page)).to_have_text(lesson.title)
        expect(page.locator("article.lesson h2").first).to_be_visible()
        screenshot(page, "offline-lesson")

        page.goto("/quizzes")
        expect(h1(page)).to_have_text("当前没有网络")
        expect(page.locator("main")).to_contain_text("不能离线答题")

        page.goto("/lessons/oil-pan-fire")  # never opened: not in the cache
        expect(h1(page)).to_have_text("当前没有网络")
        page.context.set_offline(False)
        page.goto("/lessons/oil-pan-fire")
        expect(h1(page)).to_have_text(library.catalog.lesson("oil-pan-fire", "zh_Hans").title)
