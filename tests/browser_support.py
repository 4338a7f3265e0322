"""Real Chromium for the browser tests: the live server, the browser, phone and desk pages.

Registered as a pytest plugin by conftest.py. Chromium is Debian's (/usr/bin/chromium), since
Playwright's own browser download is not available here. Screenshots are saved to
tests/screenshots/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import seeded_app

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


def sign_in(page: Page, username: str) -> None:
    """Sign in on the site's form as a person would, and land on the workspace."""
    from tests.conftest import PASSWORD

    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(h1(page)).to_have_text("工作台")


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def assert_language_switch(page: Page, to: str = "English") -> None:
    switch = page.locator("nav.lang a")
    expect(switch).to_have_count(1)
    expect(switch).to_have_text(to)
    expect(switch).to_be_visible()


def assert_usable_on_a_phone(page: Page) -> None:
    """Readable type, targets a finger can hit, a label for every input, nothing off the side."""
    font_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_px >= MIN_FONT_PX, f"body text is {font_px}px on {page.url}"

    sideways = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => `${e.tagName}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`)"""
    )
    assert not sideways, f"content wider than the screen on {page.url}: {sideways}"

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
