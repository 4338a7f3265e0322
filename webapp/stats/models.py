"""Rollups: per region and month, folded in from the raw events by the applier.

Every region has its rows, the city, its districts and streets as well as each community:
a street's row holds what its communities' rows add up to, so a dashboard reads as many
rows as it shows regions, whatever the number of communities below them.

Each row exists per ``scope`` (month, quarter, year, plan): the month row of scope
"quarter" holds that month's attempts that were a respondent's first in their quarter,
so summing a quarter's three month rows counts every respondent once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region


class SurveyRollup(Model):
    __tablename__ = "survey_rollups"
    # the lagging list adds up one month's rows of every community below a region
    __table_args__ = (Index("ix_survey_rollups_month", "month", "scope", "region_id", "respondents", "score_sum"),)

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: respondents whose first valid survey in the scope fell in this month
    respondents: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[float] = mapped_column(default=0.0)
    score_sq_sum: Mapped[float] = mapped_column(default=0.0)
    passed: Mapped[int] = mapped_column(default=0)
    #: later valid surveys by the same respondents in the scope ("after learning")
    retakes: Mapped[int] = mapped_column(default=0)
    retake_score_sum: Mapped[float] = mapped_column(default=0.0)
    retake_score_sq_sum: Mapped[float] = mapped_column(default=0.0)
    #: surveys handed in incomplete or late (kept only on the month scope)
    invalid: Mapped[int] = mapped_column(default=0)
    #: complete surveys handed in faster than they can be read (month scope only), kept out
    too_fast: Mapped[int] = mapped_column(default=0, server_default="0")


class TopicRollup(Model):
    """Answers per topic in the same first attempts as the awareness rate."""

    __tablename__ = "topic_rollups"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    answers: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)


class QuestionRollup(Model):
    """Item analysis per question, over each respondent's first valid survey of the month."""

    __tablename__ = "question_rollups"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    answers: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)
    #: sums of the whole attempt's score, for the discrimination index
    total_sum: Mapped[float] = mapped_column(default=0.0)
    total_sq_sum: Mapped[float] = mapped_column(default=0.0)
    total_sum_correct: Mapped[float] = mapped_column(default=0.0)


class OptionRollup(Model):
    """How often each option was chosen, to find the most common wrong answer."""

    __tablename__ = "option_rollups"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    option_key: Mapped[str] = mapped_column(String(8), primary_key=True)
    chosen: Mapped[int] = mapped_column(default=0)


class ReachRollup(Model):
    """Distinct respondents active (started a quiz or finished a lesson) and reached
    (finished a lesson or handed in a quiz), first in the scope."""

    __tablename__ = "reach_rollups"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    active: Mapped[int] = mapped_column(default=0)
    reached: Mapped[int] = mapped_column(default=0)


class RollupBatch(Model):
    """One run of the applier over the events not yet counted: each event row names the batch
    that counted it, so every event is counted once however many appliers run."""

    __tablename__ = "rollup_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None until the batch is committed: a batch rolled back leaves no row at all
    applied_at: Mapped[datetime | None] = mapped_column(index=True)
    events: Mapped[int] = mapped_column(default=0)


class Target(Model):
    """A plan's target for one indicator in one region and period; children inherit it."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: one of webapp.stats.indicators.TARGET_INDICATORS
    indicator: Mapped[str] = mapped_column(String(32))
    #: 2026-11, 2026Q4, 2026 or 2026-2030
    period: Mapped[str] = mapped_column(String(9))
    #: a share (0.8 = 80%) for rates; a number of people for volunteer_count
    value: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship()

    __table_args__ = (UniqueConstraint("region_id", "indicator", "period", name="uq_target"),)


class DashboardSnapshot(Model):
    """A dashboard's figures as last read, one copy for every worker and machine.

    The rollup applier reads again the copies someone looked at lately, every
    DASHBOARD_REFRESH_SECONDS; a copy older than DASHBOARD_MAX_AGE_SECONDS is read anew by
    whichever request comes next.
    """

    __tablename__ = "dashboard_snapshots"

    #: region id, period and content version: "12:2026-11:ab12cd34ef56ab78"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(index=True)
    #: when someone last looked at it (marked at most once a minute: the mark is a write)
    viewed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: webapp.stats.snapshots.plain(dashboard)
    payload: Mapped[Any] = mapped_column(JSON)
