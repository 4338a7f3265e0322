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
    #: the rollup batch that counted the event; None while it waits for the applier
    rollup_batch: Mapped[int | None] = mapped_column(index=True)


def FirstsColumn() -> Mapped[int]:  # noqa: N802 - reads as a column type
    """The scopes (bits of webapp.stats.periods.SCOPES) in which the event was the respondent's
    first of its kind, as the applier found when it counted the event."""
    return mapped_column(SmallInteger, default=0, server_default="0")


def pending_index(table: str, *columns: str) -> Index:
    """The events still waiting for the applier, in the order it takes them."""
    waiting = text("rollup_batch IS NULL")
    return Index(f"ix_{table}_pending", *columns, sqlite_where=waiting, postgresql_where=waiting)


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
        pending_index("lesson_completions", "completed_at", "id"),
    )
