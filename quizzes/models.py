"""Draws (what was served), attempts (what was submitted) and one row per answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.learn.models import CountedEvent, FirstsColumn, Respondent, batch_indexes
from webapp.regions.models import Region


class Draw(CountedEvent, Model):
    """The exact questions and option order served to one respondent for one sitting."""

    __tablename__ = "draws"

    #: random and unguessable: it is the only handle a client has
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    quiz_slug: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: the campaign activity whose QR code the respondent came through, if any
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", name="fk_draws_activity_id"))
    content_version: Mapped[str] = mapped_column(String(16))
    #: [{"q": question id, "o": [option keys in served order]}, …]
    items: Mapped[list] = mapped_column(JSON)
    served_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: answers after this still get stored, but the attempt is not valid (None: no limit)
    deadline_at: Mapped[datetime | None]
    #: after this the draw is closed and a submission is refused
    expires_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    active_firsts: Mapped[int] = FirstsColumn()

    respondent: Mapped[Respondent] = relationship()
    community: Mapped[Region] = relationship()
    attempt: Mapped[Attempt | None] = relationship(back_populates="draw", uselist=False)

    __table_args__ = (Index("ix_draws_respondent_id", "respondent_id"), *batch_indexes("draws", "served_at"))


class Attempt(CountedEvent, Model):
    """A scored submission of a draw."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id"), unique=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", name="fk_attempts_activity_id"))
    quiz_slug: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    served_at: Mapped[datetime]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_questions: Mapped[int]
    n_answered: Mapped[int]
    n_correct: Mapped[int]
    #: the share answered right, or the survey's composite index when it weighs its dimensions
    score: Mapped[float]
    #: every question answered before the deadline; only valid surveys count for awareness
    valid: Mapped[bool]
    #: handed in faster than the questions can be read: stored, but kept out of the figures
    too_fast: Mapped[bool] = mapped_column(default=False, server_default=false())
    passed: Mapped[bool]
    #: a digest of the chosen options, so a retried identical submission is recognised
    answers_digest: Mapped[str] = mapped_column(String(64))
    #: chosen by the client; a retry carrying it gets this attempt back, whatever it sends
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    reached_firsts: Mapped[int] = FirstsColumn()
    survey_firsts: Mapped[int] = FirstsColumn()

    draw: Mapped[Draw] = relationship(back_populates="attempt")
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", order_by="Answer.position")

    __table_args__ = (
        Index("ix_attempts_community_kind_submitted", "community_id", "kind", "submitted_at"),
        Index("ix_attempts_respondent_id", "respondent_id"),
        *batch_indexes("attempts", "submitted_at"),
    )

    @property
    def counts(self) -> bool:
        """Whether the attempt may count for the figures: valid and at a plausible pace."""
        return self.valid and not self.too_fast


class SavedAnswer(Model):
    """An answer given on one screen of a draw not yet handed in: kept on the server as it is
    given, so a dropped network or a closed tab loses nothing. Handing in scores these."""

    __tablename__ = "saved_answers"

    draw_id: Mapped[str] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    #: chosen option positions joined by ","
    chosen: Mapped[str] = mapped_column(String(40))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(Model):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    position: Mapped[int]
    question_id: Mapped[str] = mapped_column(String(80))
    topic: Mapped[str] = mapped_column(String(40))
    #: chosen option keys joined by ",", empty when unanswered
    chosen: Mapped[str] = mapped_column(String(40))
    correct: Mapped[bool]

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    __table_args__ = (Index("ix_answers_attempt_id", "attempt_id"),)
