"""Respondents — the person unit of every statistic — and the lessons they finish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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


class LessonCompletion(Model):
    """A respondent finished reading a lesson (counts for education reach)."""

    __tablename__ = "lesson_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    lesson_slug: Mapped[str] = mapped_column(String(80))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("respondent_id", "lesson_slug", name="uq_lesson_completion"),
        Index("ix_lesson_completions_community_id", "community_id"),
    )
