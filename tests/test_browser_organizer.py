"""An organizer in real Chromium: sign in, open the district dashboard, drill down, download XLSX."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from tests.browser_support import phone, screenshot, sign_in
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.stats.targets import seed_demo_targets

pytestmark = pytest.mark.browser
#: table cells whose text runs over more than one line
WRAPPED_CELLS = """[...document.querySelectorAll('th, td')].filter(cell => {
  const range = document.createRange(); range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(r => Math.round(r.bottom))).size > 1;
}).map(cell => cell.textContent.trim())"""
DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def test_organizer_reads_the_district_and_downloads_xlsx(
    chromium: Browser | None, live_server: str, hand_in_survey, make_account
) -> None:
    seed_demo_targets(get_region("DEMO"))
    make_account("district", "organizer", "DEMO01", display_name="区消安委")
    when = utcnow() - timedelta(minutes=30)
    for community, correct in (("DEMO010101", 9), ("DEMO010101", 8), ("DEMO010203", 6)):
        hand_in_survey(community, correct, when)
    db.session.commit()

    with phone(chromium, live_server, **DESK) as page:
        sign_in(page, "district")
        expect(page.get_by_role("heading", level=1)).to_have_text("工作台")

        page.get_by_role("link", name="数据与目标").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("滨江区")
        awareness = page.locator(".figure").first
        expect(awareness).to_contain_text("知晓率")
        expect(awareness).to_contain_text("76.7%")  # (0.9 + 0.8 + 0.6) / 3, pooled
        expect(awareness).to_contain_text("目标 80%")
        expect(page.locator("svg.chart > title")).to_have_text("各月知晓率")
        screenshot(page, "organizer-district")

        page.get_by_role("link", name="桂园街道", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("桂园街道")
        page.get_by_role("link", name="翠竹社区", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("翠竹社区")
        expect(page.locator(".figure").first).to_contain_text("85.0%")
        expect(page.locator(".crumbs")).to_contain_text("滨江区")

        page.goto("/staff/stats?region=DEMO01")
        with page.expect_download() as download_info:
            page.get_by_role("link", name="导出 XLSX", exact=True).click()
        download = download_info.value
        assert download.suggested_filename.startswith("indicators-DEMO01-") and download.suggested_filename.endswith(
            ".xlsx"
        )
        rows = list(load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.values)
        assert rows[0][0] == "编码" and len(rows) == 6
        guiyuan = next(row for row in rows if row[0] == "DEMO0101")
        assert guiyuan[3] == 2 and guiyuan[4] == pytest.approx(0.85)


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_the_desk_uses_a_wide_screen_without_wrapping_columns(
    chromium: Browser | None, live_server: str, hand_in_survey, make_account, width: int, height: int
) -> None:
    make_account("district", "organizer", "DEMO01")
    for community in ("DEMO010101", "DEMO010203", "DEMO010301"):
        hand_in_survey(community, 7, utcnow() - timedelta(minutes=30))
    desk = {"viewport": {"width": width, "height": height}, "is_mobile": False, "has_touch": False}
    with phone(chromium, live_server, **desk) as page:
        sign_in(page, "district")
        page.goto("/staff/stats?region=DEMO01")
        assert page.evaluate("document.documentElement.scrollWidth") == width  # nothing overflows
        main = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
        assert main > 0.9 * width  # the desk uses the screen, not a 790-pixel column
        tops = page.evaluate("[...document.querySelectorAll('.figures .figure')].map(e => e.offsetTop)")
        assert len(set(tops)) == 1  # the headline figures in one row
        ranking, trend = (page.locator(f".desk-{part}").bounding_box() for part in ("ranking", "trend"))
        assert ranking and trend and trend["x"] > ranking["x"] + ranking["width"] - 1  # side by side
        narrow = page.evaluate(
            "[...document.querySelectorAll('.desk-ranking th, .desk-ranking td')]"
            ".filter(e => e.getBoundingClientRect().width < 3 * parseFloat(getComputedStyle(e).fontSize)).length"
        )
        assert narrow == 0  # no column squeezed to a character or two
        screenshot(page, f"desk-{width}")


@pytest.mark.parametrize("width, height", [(1920, 1080), (1366, 768)])
def test_the_big_screen_fills_the_screen_without_scrolling_sideways(
    chromium: Browser | None, live_server: str, hand_in_survey, make_account, width: int, height: int
) -> None:
    make_account("district", "organizer", "DEMO01")
    hand_in_survey("DEMO010101", 8, utcnow() - timedelta(minutes=30))
    desk = {"viewport": {"width": width, "height": height}, "is_mobile": False, "has_touch": False}
    with phone(chromium, live_server, **desk) as page:
        sign_in(page, "district")
        page.goto("/staff/stats/screen?region=DEMO01&refresh=300")
        size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size[0] == width  # nothing overflows sideways
        if width == 1920:
            assert size[1] == 1080  # the screen it is made for: nothing to scroll in a meeting room
        wrapped = page.evaluate(WRAPPED_CELLS)
        assert wrapped == []  # every name, figure and heading on one line, read from across the room
        expect(page.locator("nav.main-nav")).to_be_hidden()
        expect(page.locator(".screen-card").first).to_contain_text("知晓率")
        screenshot(page, f"big-screen-{width}")


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 768)])
def test_the_map_fits_the_screen_and_each_area_opens_its_dashboard(
    chromium: Browser | None, live_server: str, hand_in_survey, make_account, width: int, height: int
) -> None:
    from webapp.regions.outlines import demo_outlines, import_outlines

    import_outlines(demo_outlines(get_region("DEMO")))
    seed_demo_targets(get_region("DEMO"))
    make_account("district", "organizer", "DEMO01")
    hand_in_survey("DEMO010101", 8, utcnow() - timedelta(minutes=30))
    db.session.commit()
    screen = {"viewport": {"width": width, "height": height}, "is_mobile": width < 600, "has_touch": width < 600}
    with phone(chromium, live_server, **screen) as page:
        sign_in(page, "district")
        page.goto("/staff/stats?region=DEMO01")
        areas = page.locator("svg.choropleth path.area")
        expect(areas).to_have_count(5)
        assert page.evaluate("document.documentElement.scrollWidth") == width  # the map shrinks to fit
        box = page.locator("svg.choropleth").bounding_box()
        assert box and box["width"] <= width and box["height"] > 100
        screenshot(page, f"map-{width}")
        page.locator("svg.choropleth a", has_text="桂园街道").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("桂园街道")
