"""The dashboard opens on a period with enough responses, offers the periods that have data, and
marks figures and trend points that rest on too few."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import time_machine
from flask.testing import FlaskClient

from webapp.stats.coverage import ENOUGH

#: the 2nd of December, local morning: December so far holds almost nothing
TODAY = datetime(2026, 12, 2, 2, 0)


def selected_period(page: str) -> str:
    match = re.search(r'<option value="([^"]+)" selected>', page)
    assert match, "no period selected"
    return match.group(1)


def test_a_near_empty_month_is_not_the_default(as_user, hand_in_survey) -> None:
    for i in range(ENOUGH):
        hand_in_survey("DEMO010101", 6, datetime(2026, 11, 5) + timedelta(hours=i))
    for i in range(2):
        hand_in_survey("DEMO010101", 9, datetime(2026, 12, 1, 3) + timedelta(minutes=i))
    with time_machine.travel(TODAY, tick=False):
        organizer: FlaskClient = as_user("organizer")
        page = organizer.get("/staff/stats?region=DEMO01").get_data(as_text=True)
        assert selected_period(page) == "2026-11"
        assert "最近一个有至少 30 份答卷的统计期" in page
        options = set(re.findall(r'<option value="([^"]+)"', page))
        assert {"2026-12", "2026-11", "2026Q4", "2026", "2026-2030"} <= options and "2026-10" not in options
        december = organizer.get("/staff/stats?region=DEMO01&period=2026-12").get_data(as_text=True)
        assert "样本不足" in december  # two respondents are shown, and marked
        assert "n=2" in december and "n=30" in december  # every trend point says what it rests on
        assert 'fill="#ffffff" stroke="#b3261e"' in december  # December's point is drawn hollow


def test_with_little_data_the_year_to_date_is_shown(as_user, hand_in_survey) -> None:
    for month in (3, 6, 9):
        for i in range(12):
            hand_in_survey("DEMO010101", 7, datetime(2026, month, 10) + timedelta(hours=i))
    with time_machine.travel(TODAY, tick=False):
        page = as_user("organizer").get("/staff/stats?region=DEMO01").get_data(as_text=True)
    assert selected_period(page) == "2026"
