"""Fire-safety volunteers, their teams, training, and each community's ambassador (宣传大使)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region
from webapp.volunteers.errors import InvalidTransition
from webapp.volunteers.phones import mask_phone

STATUSES = ("pending", "active", "inactive", "rejected")
#: the status of a volunteer whose personal data was erased; not listed, not counted, not a move of TRANSITIONS
ERASED = "erased"
#: why personal data is erased: the person asked, or withdrew their consent (PIPL art. 15, 47)
ERASURE_REASONS = ("request", "consent_withdrawn")
#: the version of the consent text shown with the consent checkbox (``forms.SignupForm.consent``,
#: ``forms.VolunteerForm.consent``, the import's consent column); change it whenever that text changes
CONSENT_VERSION = "2026-12"
#: action -> (from status, to status); any other move is refused
TRANSITIONS = {
    "approve": ("pending", "active"),
    "reject": ("pending", "rejected"),
    "deactivate": ("active", "inactive"),
    "reactivate": ("inactive", "active"),
}
SKILLS = ("first_aid", "electrician", "driver", "bilingual", "sign_language", "publicity", "drill_guide", "other")
LANGUAGES = ("putonghua", "local_dialect", "english", "minority_language", "sign_language")
AVAILABILITY = ("weekdays", "evenings", "weekends", "any_time")
GENDERS = ("female", "male")
SOURCES = ("staff", "self", "import", "api")
ADULT_AGE = 18


class Team(Model):
    """A volunteer service team (志愿服务队) of a community or a street."""

    __tablename__ = "volunteer_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()

    __table_args__ = (Index("ix_volunteer_teams_region_id", "region_id"),)


class Volunteer(Model):
    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: empty once erased (pages that list service records still sort and show it)
    name: Mapped[str] = mapped_column(String(50))
    #: mainland mobile number, normalized to 11 digits; one registration per phone; None once erased
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    gender: Mapped[str | None] = mapped_column(String(8))
    birth_year: Mapped[int | None]
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_teams.id"))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    availability: Mapped[str | None] = mapped_column(String(20))
    #: when the volunteer agreed to the processing of their personal information (PIPL)
    consent_at: Mapped[datetime]
    #: which consent text they agreed to (CONSENT_VERSION then); None for registrations before versions
    consent_version: Mapped[str | None] = mapped_column(String(20))
    #: for volunteers under 18: who consented for them, and when
    guardian_name: Mapped[str | None] = mapped_column(String(50))
    guardian_consent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    source: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when the personal data was erased (on request or consent withdrawn); the row stays for the counts
    erased_at: Mapped[datetime | None]

    community: Mapped[Region] = relationship()
    team: Mapped[Team | None] = relationship()
    trainings: Mapped[list[Training]] = relationship(back_populates="volunteer", order_by="Training.held_on")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        Index("ix_volunteers_community_status", "community_id", "status"),
        Index("ix_volunteers_team_id", "team_id"),
    )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else "—"

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    @property
    def shown_name(self) -> str:
        """The name, or what stands for it once erased: service records still list the person."""
        return str(_l("Erased volunteer")) if self.erased else self.name

    def change_status(self, action: str, by: User | None, now: datetime | None = None) -> None:
        """Move along ``TRANSITIONS``.

        :raises InvalidTransition: e.g. approving someone twice or reactivating a rejection.
        """
        before, after = TRANSITIONS[action]
        if self.status != before:
            raise InvalidTransition(action, self.status)
        self.status = after
        if action in ("approve", "reject"):
            self.decided_at, self.decided_by = now or utcnow(), by


class Training(Model):
    __tablename__ = "volunteer_trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    course: Mapped[str] = mapped_column(String(100))
    hours: Mapped[float]
    held_on: Mapped[date]
    certified: Mapped[bool] = mapped_column(default=False)

    volunteer: Mapped[Volunteer] = relationship(back_populates="trainings")

    __table_args__ = (Index("ix_volunteer_trainings_volunteer_id", "volunteer_id"),)


class Ambassador(Model):
    """The one fire-safety ambassador (宣传大使) of a community; designating another replaces them."""

    __tablename__ = "ambassadors"

    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    designated_at: Mapped[datetime] = mapped_column(default=utcnow)
    designated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    volunteer: Mapped[Volunteer] = relationship()
    community: Mapped[Region] = relationship()
