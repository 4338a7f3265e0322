"""Rollups kept live equal rollups rebuilt from raw rows, on random histories."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes import service as quizzes
from quizzes.library import Library
from tests.conftest import _empty_tables
from tests.factories import TIMING
from tests.helpers import assert_rollups_equal_a_rebuild, snapshot
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.service import get_region, seed_demo_regions

START = datetime(2025, 11, 20, 3, 0)

event = st.tuples(
    st.integers(0, 3),  # respondent
    st.sampled_from(["DEMO010101", "DEMO010102", "DEMO020101"]),  # community
    st.sampled_from(["survey", "survey", "incomplete", "practice", "lesson", "draw_only"]),
    st.integers(0, 40),  # days after the previous event
    st.integers(0, 2**16),  # answer seed
)


def play(library: Library, history: list) -> None:
    people: dict[int, Respondent] = {}
    now = START
    for who, code, kind, days, seed in history:
        now += timedelta(days=days, minutes=7)
        community = get_region(code)
        if who in people:
            people[who].community = community
            db.session.flush()
        else:
            people[who], _token = learn.enroll_respondent(community)
        respondent = people[who]
        if kind == "lesson":
            learn.complete_lesson(respondent, random.Random(seed).choice(list(library.catalog.lessons)), now=now)
            continue
        quiz = library.survey if kind in ("survey", "incomplete") else library.quizzes["practice-escape"]
        draw = quizzes.start_draw(library, quiz, respondent, community, TIMING, now=now)
        if kind == "draw_only":
            continue
        rng = random.Random(seed)
        choices = {i: [rng.randrange(len(item["o"]))] for i, item in enumerate(draw.items)}
        if kind == "incomplete":
            choices.pop(0)
        quizzes.submit_draw(library, draw, choices, now=now + timedelta(minutes=5))
    db.session.commit()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(event, min_size=1, max_size=25))
def test_rebuild_equals_incremental(app, library: Library, history: list) -> None:
    try:
        play(library, history)
        assert_rollups_equal_a_rebuild()
    finally:
        db.session.rollback()
        _empty_tables()
        seed_demo_regions()
        db.session.commit()


def test_rebuild_command_restores_lost_rollups(app, library: Library) -> None:
    from webapp.stats.models import SurveyRollup

    play(library, [(0, "DEMO010101", "survey", 1, 7), (1, "DEMO010102", "lesson", 2, 9)])
    live = snapshot()
    db.session.execute(SurveyRollup.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0 and "rollups rebuilt from" in result.output
    assert snapshot() == live
