"""Each community's one fire-safety ambassador (宣传大使): an active volunteer of that community."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from webapp.accounts.models import User
from webapp.audit.service import record
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.volunteers.errors import VolunteerError
from webapp.volunteers.models import Ambassador, Volunteer


def designate_ambassador(community: Region, volunteer: Volunteer, by: User, now: datetime | None = None) -> Ambassador:
    """Make ``volunteer`` the community's fire-safety ambassador (宣传大使), replacing any other.

    :raises VolunteerError: the volunteer is not active or not of this community.
    """
    if not community.is_leaf or volunteer.community_id != community.id or volunteer.status != "active":
        raise VolunteerError({"volunteer_id": "ambassador_not_eligible"})
    current = db.session.get(Ambassador, community.id)
    replaced = None
    if current is None:
        current = Ambassador(community_id=community.id)
        db.session.add(current)
    elif current.volunteer_id != volunteer.id:
        replaced = current.volunteer_id
    current.volunteer = volunteer
    current.designated_at, current.designated_by_id = now or utcnow(), by.id if by else None
    db.session.flush()
    record(by, "ambassador.designate", volunteer, details={"community": community.code, "replaced": replaced})
    return current


def ambassador_of(community: Region) -> Ambassador | None:
    return db.session.get(Ambassador, community.id)


def ambassador_ids(volunteer_ids: Iterable[int]) -> set[int]:
    """Which of ``volunteer_ids`` are a community's ambassador."""
    ids = list(volunteer_ids)
    if not ids:
        return set()
    return set(db.session.execute(select(Ambassador.volunteer_id).where(Ambassador.volunteer_id.in_(ids))).scalars())


def post_of(volunteer: Volunteer) -> Ambassador | None:
    """The ambassador post ``volunteer`` holds, if any."""
    stmt = select(Ambassador).where(Ambassador.volunteer_id == volunteer.id)
    return db.session.execute(stmt).scalar_one_or_none()


def end_ambassadorship(volunteer: Volunteer) -> bool:
    """Vacate the volunteer's ambassador post; whether they held one."""
    post = post_of(volunteer)
    if post is None:
        return False
    db.session.delete(post)
    return True
