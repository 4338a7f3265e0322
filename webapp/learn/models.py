"""Respondents — the person unit of every statistic — and the lessons they finish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region


class Respondent(Model):
    """Someone answering anonymously, known only by a random token they hold."""

    __tablename__ = "respondents"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token, so a copy of the database cannot impersonate anyone; None once a
    #: retention purge unlinked the respondent from their device (they stay a statistic)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the last month (local time) of each kind of event, to tell a first in a period from a repeat
    last_active_month: Mapped[str | None] = mapped_column(String(7))
    last_reached_month: Mapped[str | None] = mapped_column(String(7))
    last_survey_month: Mapped[str | None] = mapped_column(String(7))

    community: Mapped[Region] = relationship()

    __table_args__ = (Index("ix_respondents_community_id", "community_id"),)


class CountedEvent:
    """An event the statistics count (a draw, a hand-in, a lesson read): written once by the
    request, folded into the rollups later by the applier (webapp.stats.applier)."""

    #: the local month (``2026-12``) the event is booked in, fixed when it happens
    month: Mapped[str] = mapped_column(String(7))
    #: the rollup batch that counted the event; None while it waits for the applier, 0 when it was
    #: counted before batches existed (migrated, or generated in bulk)
    rollup_batch: Mapped[int | None]


def FirstsColumn() -> Mapped[int]:  # noqa: N802 - reads as a column type
    """The scopes (bits of webapp.stats.periods.SCOPES) in which the event was the respondent's
    first of its kind, as the applier found when it counted the event."""
    return mapped_column(SmallInteger, default=0, server_default="0")


def batch_indexes(table: str, *moment: str) -> tuple[Index, Index]:
    """The events still waiting for the applier, in the order it takes them; and those each batch
    counted (from batch 1: the many rows of batch 0 would make it useless to the planner)."""
    waiting, batched = text("rollup_batch IS NULL"), text("rollup_batch > 0")
    return (
        Index(f"ix_{table}_pending", *moment, "id", sqlite_where=waiting, postgresql_where=waiting),
        Index(f"ix_{table}_rollup_batch", "rollup_batch", sqlite_where=batched, postgresql_where=batched),
    )


class LessonCompletion(CountedEvent, Model):
    """A respondent finished reading a lesson (counts for education reach)."""

    __tablename__ = "lesson_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    active_firsts: Mapped[int] = FirstsColumn()
    reached_firsts: Mapped[int] = FirstsColumn()

    __table_args__ = (
        UniqueConstraint("respondent_id", "lesson_slug", name="uq_lesson_completion"),
        Index("ix_lesson_completions_community_id", "community_id"),
        *batch_indexes("lesson_completions", "completed_at"),
    )
