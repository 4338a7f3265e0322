"""Monitoring waves (抽样调查): a sample of a region's residents interviewed with the survey.

A wave allocates its sample over communities, assigns interviewers, and keeps each interview
with its paradata (who, how, when) and quality flags. An interview holds the questions it
served and the answers given, drawn and scored by the same engine as the online survey, and
never enters the online figures: it has no respondent token and no draw of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region
from webapp.volunteers.models import Volunteer

#: how an interview reached its respondent
MODES = ("phone", "street", "door", "online")
ALLOCATIONS = ("proportional", "equal_per_street", "chosen")
WEIGHTING_METHODS = ("rake", "poststratify")
AREA_TYPES = ("urban", "rural")
OPEN, CLOSED = "open", "closed"


class Wave(Model):
    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: the reporting period the wave measures: 2026, 2026Q4, 2026-11 or 2026-2030
    period: Mapped[str] = mapped_column(String(16))
    target_size: Mapped[int]
    allocation: Mapped[str] = mapped_column(String(20))
    modes: Mapped[list] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(16), default="rake")
    status: Mapped[str] = mapped_column(String(8), default=OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship()
    communities: Mapped[list[WaveCommunity]] = relationship(
        back_populates="wave", cascade="all, delete-orphan", order_by="WaveCommunity.community_id"
    )

    __table_args__ = (Index("ix_waves_region_id", "region_id"),)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


class WaveCommunity(Model):
    """A community in the wave's sample and the interviews allocated to it."""

    __tablename__ = "wave_communities"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    target: Mapped[int]

    wave: Mapped[Wave] = relationship(back_populates="communities")
    community: Mapped[Region] = relationship()


class Interviewer(Model):
    """Someone assigned to interview for a wave: an account (staff, or an organizer who goes out
    too), or a registered volunteer, who has no account and signs in with a personal link."""

    __tablename__ = "wave_interviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    #: a digest of a volunteer's link key: the key itself is shown once and never stored
    key_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    volunteer: Mapped[Volunteer | None] = relationship()

    __table_args__ = (
        UniqueConstraint("wave_id", "user_id", name="uq_wave_interviewers_wave_user"),
        UniqueConstraint("wave_id", "volunteer_id", name="uq_wave_interviewers_wave_volunteer"),
    )

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.display_name
        return self.volunteer.shown_name if self.volunteer is not None else ""

    @property
    def may_sign_in_by_link(self) -> bool:
        """A volunteer's link works while it is the latest and the volunteer is active (an erased
        or deactivated volunteer's link stops at once)."""
        volunteer = self.volunteer
        return (
            self.revoked_at is None
            and volunteer is not None
            and volunteer.status == "active"
            and volunteer.erased_at is None
        )

    @property
    def key(self) -> str:
        """What tallies and audit entries call the interviewer: a username, or volunteer:<id>."""
        return self.user.username if self.user is not None else f"volunteer:{self.volunteer_id}"


class Invitation(Model):
    """A single-use code for one sampled person to answer online: that mode is a sample too."""

    __tablename__ = "wave_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: a digest of the code: the codes themselves are printed once and never stored
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
    community: Mapped[Region] = relationship()

    __table_args__ = (Index("ix_wave_invitations_wave_id", "wave_id"),)


class Interview(Model):
    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: who ran it; None when the respondent answered online by invitation
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("wave_interviewers.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("wave_invitations.id"))
    mode: Mapped[str] = mapped_column(String(8))
    age_band: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    area_type: Mapped[str] = mapped_column(String(8))
    #: the questions served and their option order, as a draw keeps them: [{"q": id, "o": [keys]}]
    items: Mapped[list] = mapped_column(JSON)
    #: per served question, the option keys chosen; None until the interview is handed in
    answers: Mapped[list | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    n_questions: Mapped[int | None]
    n_answered: Mapped[int | None]
    score: Mapped[float | None]
    passed: Mapped[bool | None]
    #: the score per dimension and topic ({"dimension:escape": 1.0, "topic:e-bikes": 0.5})
    parts: Mapped[dict | None] = mapped_column(JSON)
    #: quality flags that keep the interview out of the estimate: too_fast, straight_lining, …
    flags: Mapped[list] = mapped_column(JSON, default=list)
    #: a reviewer's decision on a flagged interview: "accepted" (counts after all) or "rejected"
    review: Mapped[str | None] = mapped_column(String(8))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    wave: Mapped[Wave] = relationship()
    community: Mapped[Region] = relationship()
    interviewer: Mapped[Interviewer | None] = relationship()

    __table_args__ = (
        Index("ix_interviews_wave_id", "wave_id"),
        Index("ix_interviews_interviewer_id", "interviewer_id"),
    )

    @property
    def completed(self) -> bool:
        return self.ended_at is not None

    @property
    def counts(self) -> bool:
        """In the estimate: completed, and either unflagged or accepted on review."""
        return self.completed and self.review != "rejected" and (not self.flags or self.review == "accepted")


class WaveEstimate(Model):
    """The wave's weighted estimates, kept until its accepted interviews change."""

    __tablename__ = "wave_estimates"

    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True)
    #: what the estimate was computed from: accepted interviews and the latest change among them
    basis: Mapped[str] = mapped_column(String(80))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)
