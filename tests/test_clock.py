"""Local time: at 02:00 Shanghai on 1 December (18:00 UTC on 30 November) it is December everywhere."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from quizzes.models import Draw
from tests.conftest import COMMUNITY
from tests.helpers import authorization, token_for
from webapp import clock
from webapp.extensions import db
from webapp.stats.applier import catch_up
from webapp.stats.models import ReachRollup

#: 02:00 on 1 December 2026 in Shanghai, while the UTC date is still 30 November
LATE_UTC = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture()
def late_at_night():
    with time_machine.travel(LATE_UTC, tick=False):
        yield


def test_the_clock_module_says_the_local_date_month_and_midnight(app: Flask, late_at_night) -> None:
    assert clock.utcnow() == datetime(2026, 11, 30, 18, 0)
    assert clock.local_today() == date(2026, 12, 1)
    assert clock.local_month() == "2026-12"
    assert clock.local_midnight_utc(date(2026, 12, 1)) == datetime(2026, 11, 30, 16, 0)


def test_dashboard_api_new_activity_and_rollups_all_say_december(app: Flask, as_user, late_at_night) -> None:
    organizer = as_user("organizer")
    page = organizer.get("/staff/stats?region=DEMO01").get_data(as_text=True)
    # no period holds responses yet, so the desk opens on this (local) month
    assert re.search(r'<option value="2026-12" selected>', page)

    client = app.test_client()
    stats = client.get("/api/v1/stats/regions/DEMO01", headers=authorization(token_for(client, "organizer")))
    assert stats.status_code == 200
    assert stats.get_json()["period"] == "2026-12"

    form = as_user("staff").get("/staff/activities/new").get_data(as_text=True)
    assert re.search(r'name="held_on"[^>]*value="2026-12-01"', form), "a new activity defaults to the local date"

    started = client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": COMMUNITY})
    assert started.status_code == 201
    assert db.session.execute(select(Draw.month)).scalars().all() == ["2026-12"]
    catch_up()
    months = db.session.execute(select(ReachRollup.month).distinct()).scalars().all()
    assert months == ["2026-12"]
