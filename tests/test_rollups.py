"""Rollups the applier kept up to date equal rollups rebuilt from raw rows, on random histories
with batches of random sizes taken at random moments, some of them interrupted halfway."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quizzes import service as quizzes
from quizzes.library import Library
from tests.conftest import _empty_tables
from tests.factories import TIMING
from tests.helpers import assert_rollups_equal_a_rebuild, snapshot, stored_rollups
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.service import get_region, seed_demo_regions
from webapp.stats import applier

START = datetime(2025, 11, 20, 3, 0)

event = st.tuples(
    st.integers(0, 3),  # respondent
    st.sampled_from(["DEMO010101", "DEMO010102", "DEMO020101"]),  # community
    st.sampled_from(["survey", "survey", "incomplete", "practice", "lesson", "draw_only"]),
    st.integers(0, 40),  # days after the previous event
    st.integers(0, 2**16),  # answer seed
    # after the event: no batch, a batch of at most this many events, or one that fails halfway
    st.sampled_from([None, None, 1, 2, 5, "interrupted"]),
)


class Interrupted(Exception):
    pass


def interrupted_batch(limit: int = 3) -> None:
    """A batch that fails after two of its statements folded the events in: nothing of it
    may remain, neither the rollup rows nor the marks on the events."""
    before = stored_rollups(), waiting()
    real = applier.fold

    def half(connection, batch, answers_after=""):
        for statement in applier.FOLDS[:2]:
            connection.execute(statement, {"batch": batch, "answers_after": answers_after})
        raise Interrupted()

    with pytest.raises(Interrupted), db.engine.begin() as connection, patch.object(applier, "fold", half):
        applier.apply_batch(connection, limit)
    assert applier.fold is real
    assert (stored_rollups(), waiting()) == before


def waiting() -> int:
    return sum(
        db.session.execute(select(func.count()).where(table.c.rollup_batch.is_(None))).scalar_one()
        for table in (applier.DRAWS, applier.LESSONS, applier.ATTEMPTS)
    )


def apply(limit: int) -> None:
    with db.engine.begin() as connection:
        applier.apply_batch(connection, limit)


def play(library: Library, history: list) -> None:
    people: dict[int, Respondent] = {}
    now = START
    for who, code, kind, days, seed, batch in history:
        now += timedelta(days=days, minutes=7)
        play_one(library, people, who, code, kind, now, seed)
        db.session.commit()
        if batch == "interrupted":
            interrupted_batch()
        elif batch is not None:
            apply(batch)


def play_one(library: Library, people: dict, who: int, code: str, kind: str, now: datetime, seed: int) -> None:
    """One event of a history: a lesson read, a draw served, or a quiz handed in."""
    community = get_region(code)
    if who in people:
        people[who].community = community
        db.session.flush()
    else:
        people[who], _token = learn.enroll_respondent(community)
    respondent = people[who]
    if kind == "lesson":
        learn.complete_lesson(respondent, random.Random(seed).choice(list(library.catalog.lessons)), now=now)
        return
    quiz = library.survey if kind in ("survey", "incomplete") else library.quizzes["practice-escape"]
    draw = quizzes.start_draw(library, quiz, respondent, community, TIMING, now=now)
    if kind == "draw_only":
        return
    rng = random.Random(seed)
    choices = {i: [rng.randrange(len(item["o"]))] for i, item in enumerate(draw.items)}
    if kind == "incomplete":
        choices.pop(0)
    quizzes.submit_draw(library, draw, choices, now=now + timedelta(minutes=5))


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

    play(library, [(0, "DEMO010101", "survey", 1, 7, None), (1, "DEMO010102", "lesson", 2, 9, None)])
    live = snapshot()
    db.session.execute(SurveyRollup.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0 and "rollups rebuilt from" in result.output
    assert snapshot() == live
