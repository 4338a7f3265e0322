"""Rebuilding the rollups from the raw rows, through the applier's own batches.

The applier (``webapp.stats.applier``) is the one definition of what an event adds; a rebuild
sets every event waiting again and lets the applier count them all, in one transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, exists, func, select, text, update

from quizzes.models import Answer, Attempt, Draw
from webapp.clock import local_month
from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.regions.models import RegionAncestor
from webapp.stats.applier import APPLIER_LOCK, apply_batch
from webapp.stats.models import (
    OptionRollup,
    QuestionRollup,
    ReachRollup,
    RollupBatch,
    SurveyRollup,
    TopicRollup,
)

ROLLUPS = (SurveyRollup, TopicRollup, QuestionRollup, OptionRollup, ReachRollup)
#: the rollups made from single answers, which a retention purge removes
ANSWER_ROLLUPS = (TopicRollup, QuestionRollup, OptionRollup)
#: events per batch in a rebuild: fewer, larger statements than the live applier's
REBUILD_BATCH_EVENTS = 20_000


def answers_purged_through() -> str | None:
    """The last month whose answers a retention purge removed (attempts stay, answers go)."""
    last = db.session.execute(
        select(func.max(Attempt.submitted_at)).where(~exists().where(Answer.attempt_id == Attempt.id))
    ).scalar_one()
    return local_month(last) if last else None


def rebuild() -> int:
    """Recompute every rollup from the raw rows, in the session's transaction; returns the
    number of events counted.

    The answer rollups of months whose answers were purged are kept as they are: the
    attempts left there still give every other rollup, but not what each answer was.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":  # no applier may count an event meanwhile
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLIER_LOCK})
    purged_through = answers_purged_through()
    for model in ROLLUPS:
        statement = delete(model)
        if purged_through and model in ANSWER_ROLLUPS:
            statement = statement.where(model.month > purged_through)
        connection.execute(statement)
    connection.execute(delete(RollupBatch))
    connection.execute(delete(RegionAncestor))  # written anew, in case a region moved
    connection.execute(update(Draw).values(rollup_batch=None, active_firsts=0))
    connection.execute(update(LessonCompletion).values(rollup_batch=None, active_firsts=0, reached_firsts=0))
    connection.execute(update(Attempt).values(rollup_batch=None, reached_firsts=0, survey_firsts=0))
    connection.execute(
        update(Respondent).values(last_active_month=None, last_reached_month=None, last_survey_month=None)
    )
    events = 0
    while counted := apply_batch(connection, REBUILD_BATCH_EVENTS, answers_after=purged_through or ""):
        events += counted
    return events
