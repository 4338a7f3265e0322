"""E-certificates: what a resident who passed the awareness survey may claim, verified by code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizzes.models import Attempt
from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region

#: what a verification code is written in: no 0/O, 1/I/L, so it can be read off paper and typed
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
#: the most characters of a name the certificate shows
MAX_NAME = 20


class Certificate(Model):
    """A certificate of one passed survey attempt; at most one per attempt."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random and unguessable (about 50 bits): whoever holds it may see the verification page
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    quiz_slug: Mapped[str] = mapped_column(String(100))
    #: the name the resident chose to show; None when they gave none, removed it, or it was purged
    name: Mapped[str | None] = mapped_column(String(MAX_NAME))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[Attempt] = relationship()
    community: Mapped[Region] = relationship()

    __table_args__ = (Index("ix_certificates_respondent_id", "respondent_id"),)

    @property
    def display_code(self) -> str:
        """The code as printed, in two groups of five: ``ABCDE-FGHJK``."""
        half = CODE_LENGTH // 2
        return f"{self.code[:half]}-{self.code[half:]}"
