"""Printable pages printed by real Chromium to PDF, read back with a PDF text extractor: the report
carries its headline figures, ranking table and method note; a poster is one page."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from playwright.sync_api import Browser, Page

from tests.browser_support import phone, sign_in
from tests.conftest import COMMUNITY, PASSWORD
from webapp.accounts.service import create_user
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.stats.targets import seed_demo_targets

pytestmark = pytest.mark.browser
DESK = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False}


def printed(page: Page, path: str) -> tuple[str, int]:
    page.goto(path)
    reader = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    # the extractor may break a line of Chinese into runs with spaces between: compare without them
    text = "".join(p.extract_text() for p in reader.pages)
    return "".join(text.split()), len(reader.pages)


def test_the_report_and_a_poster_print_what_they_should(
    chromium: Browser | None, live_server: str, hand_in_survey
) -> None:
    seed_demo_targets(get_region("DEMO"))
    create_user("binjiang", "滨江区", PASSWORD, "organizer", get_region("DEMO01"))
    when = utcnow() - timedelta(minutes=30)
    for community, correct in (("DEMO010101", 9), ("DEMO010101", 8), ("DEMO010203", 6)):
        hand_in_survey(community, correct, when)
    db.session.commit()
    with phone(chromium, live_server, **DESK) as page:
        sign_in(page, "binjiang")
        text, _pages = printed(page, f"/staff/stats/report?region=DEMO01&period={when:%Y-%m}")
        assert "消防安全宣传教育工作报告" in text
        assert "76.7%" in text  # the headline awareness rate
        assert "分区域情况" in text and "桂园街道" in text  # the table by area
        assert "指标说明" in text  # the method note
        text, pages = printed(page, f"/staff/posters/community/{COMMUNITY}")
        assert pages == 1
        assert get_region(COMMUNITY).name_zh in text
