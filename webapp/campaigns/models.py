"""The 五进 campaign log: activities, and the volunteers who served in them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.extensions import Model
from webapp.regions.models import Region
from webapp.volunteers.models import Volunteer

#: 五进 plus the two channels of 七进 (机关, 网络)
CHANNELS = ("community", "enterprise", "school", "rural", "family", "organ", "online")
KINDS = ("talk", "drill", "open_day", "door_to_door", "exhibition", "training", "other")


class Activity(Model):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: random, printed in the activity's QR code (/a/<code>); quiz attempts made through it count for it
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date]
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    place: Mapped[str | None] = mapped_column(String(200))
    #: people reached offline (counted at the door or by sign-in sheet)
    participants: Mapped[int] = mapped_column(default=0)
    #: leaflets, booklets and other materials handed out
    materials: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    community: Mapped[Region] = relationship()
    created_by: Mapped[User | None] = relationship()
    services: Mapped[list[ServiceRecord]] = relationship(back_populates="activity", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_activities_community_held_on", "community_id", "held_on"),
        Index("ix_activities_channel", "channel"),
    )


class ServiceRecord(Model):
    """A volunteer's service hours at one activity."""

    __tablename__ = "service_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    hours: Mapped[float]

    activity: Mapped[Activity] = relationship(back_populates="services")
    volunteer: Mapped[Volunteer] = relationship()

    __table_args__ = (
        UniqueConstraint("activity_id", "volunteer_id", name="uq_service_activity_volunteer"),
        Index("ix_service_records_volunteer_id", "volunteer_id"),
    )
