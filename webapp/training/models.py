"""Key-population training: units, their rosters, course progress, exams and certificates.

A unit (企业, 学校, 医院 …) belongs to a community or a street. Its roster lists the people the
plans want trained, each in one role; the training rate is the share of them holding a valid
certificate of a course for their role. Roster rows are never deleted: a person who leaves is
marked ``left_on`` and a person erased on request keeps an anonymous row, so past rates stay as
they were.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region
from webapp.volunteers.phones import mask_phone

#: what kind of place a unit is
UNIT_KINDS = (
    "enterprise",
    "school",
    "university",
    "hospital",
    "elderly_care",
    "commercial_complex",
    "property",
    "residents_committee",
    "government",
    "other",
)
#: where a roster row came from
ROSTER_SOURCES = ("staff", "manager", "import", "api")
#: how a unit may sit in the region tree
UNIT_LEVELS = ("street", "community", "village")


class Unit(Model):
    __tablename__ = "training_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))
    #: 消防安全重点单位: the plans hold these to a 100% training rate
    key_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()

    __table_args__ = (Index("ix_training_units_region_id", "region_id"),)


class RosterMember(Model):
    """One person a unit must have trained, in one role."""

    __tablename__ = "training_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_units.id"))
    #: empty once erased
    name: Mapped[str] = mapped_column(String(50))
    #: mainland mobile number, 11 digits; one row per phone and unit; None once erased
    phone: Mapped[str | None] = mapped_column(String(11))
    #: a role slug of content/taxonomy.yaml
    role: Mapped[str] = mapped_column(String(32))
    #: from when the person counts in the unit's denominator
    joined_on: Mapped[date]
    #: from when they no longer count (left the unit or the role)
    left_on: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    erased_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()
    added_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "phone", name="uq_training_roster_unit_phone"),
        Index("ix_training_roster_unit_role", "unit_id", "role"),
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else "—"

    @property
    def erased(self) -> bool:
        return self.erased_at is not None


class TrainingInvitation(Model):
    """A personal single-use code that signs one roster member in for their training."""

    __tablename__ = "training_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("training_roster.id"))
    #: a digest of the code: the code is printed or sent once and never stored
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    member: Mapped[RosterMember] = relationship()

    __table_args__ = (Index("ix_training_invitations_member_id", "member_id"),)


class TraineeToken(Model):
    """What a redeemed invitation leaves: the trainee's sign-in on one phone (or API client)."""

    __tablename__ = "trainee_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("training_roster.id"))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    member: Mapped[RosterMember] = relationship()

    __table_args__ = (Index("ix_trainee_tokens_member_id", "member_id"),)


class Enrollment(Model):
    """A roster member's progress through one course: the lessons read, the exams taken."""

    __tablename__ = "training_enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("training_roster.id"))
    course_slug: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: slugs of the course's lessons read to the end, in the order they were read
    lessons_done: Mapped[list] = mapped_column(JSON, default=list)

    member: Mapped[RosterMember] = relationship()

    __table_args__ = (UniqueConstraint("member_id", "course_slug", name="uq_training_enrollments_member_course"),)


class ExamDraw(Model):
    """The questions and option order served for one exam sitting; keys stay on the server."""

    __tablename__ = "training_exam_draws"

    #: random and unguessable: the only handle a client has
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("training_enrollments.id"))
    content_version: Mapped[str] = mapped_column(String(16))
    #: [{"q": question id, "o": [option keys in served order]}, …]
    items: Mapped[list] = mapped_column(JSON)
    served_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]

    enrollment: Mapped[Enrollment] = relationship()

    __table_args__ = (Index("ix_training_exam_draws_enrollment_id", "enrollment_id"),)


class ExamAttempt(Model):
    __tablename__ = "training_exam_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[str] = mapped_column(ForeignKey("training_exam_draws.id"), unique=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("training_enrollments.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_questions: Mapped[int]
    n_correct: Mapped[int]
    score: Mapped[float]
    passed: Mapped[bool]
    #: [{"q": question id, "chosen": [option keys], "correct": bool}, …]
    results: Mapped[list] = mapped_column(JSON)

    draw: Mapped[ExamDraw] = relationship()
    enrollment: Mapped[Enrollment] = relationship()

    __table_args__ = (Index("ix_training_exam_attempts_enrollment_id", "enrollment_id"),)


class TrainingCertificate(Model):
    """A course passed (online exam, or offline training logged by staff), valid until it expires."""

    __tablename__ = "training_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, printed and in the QR code: whoever holds it may see the verification page
    code: Mapped[str] = mapped_column(String(10), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("training_roster.id"))
    course_slug: Mapped[str] = mapped_column(String(60))
    #: the unit and role at issue, as printed: a later move does not rewrite a certificate
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_units.id"))
    role: Mapped[str] = mapped_column(String(32))
    hours: Mapped[float]
    issued_on: Mapped[date]
    #: the first day it no longer counts
    expires_on: Mapped[date]
    offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("training_exam_attempts.id"), unique=True)
    #: the 培训 activity whose attendance list the offline training was logged with
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    #: the certificate this one renews, if any
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("training_certificates.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    member: Mapped[RosterMember] = relationship()
    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        Index("ix_training_certificates_member_course", "member_id", "course_slug"),
        Index("ix_training_certificates_expires_on", "expires_on"),
    )

    @property
    def display_code(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}"

    @property
    def valid_until(self) -> date:
        """The last day it counts, as printed."""
        return self.expires_on - timedelta(days=1)

    def valid_on(self, day: date) -> bool:
        return self.issued_on <= day < self.expires_on
