"""Training certificates: issued by a passed exam or by offline training staff logged, valid for the
course's months, renewable shortly before they expire, and checked by anyone holding the code.

A renewal starts where the old certificate ends (or today, if it had lapsed), so renewing early
loses no time; the old certificate stays in the history.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from quizzes.courses import Course
from webapp.accounts.models import User
from webapp.accounts.permissions import region_in_scope, units_within_scope
from webapp.audit.service import record
from webapp.campaigns.models import Activity
from webapp.certificates.service import new_code, normalise_code
from webapp.extensions import db
from webapp.training.errors import TrainingError
from webapp.training.models import ExamAttempt, RosterMember, TrainingCertificate, Unit

#: tries at a fresh code before giving up; with 31**10 codes a clash is already a rarity
_CODE_TRIES = 5
#: the most people one offline training may certify at once
MAX_ATTENDANCE = 500


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later; the 31st becomes the month's last day where it has none."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def current_certificate(member: RosterMember, course_slug: str) -> TrainingCertificate | None:
    """The member's certificate of the course that runs longest (valid, lapsed, or None)."""
    return db.session.execute(
        select(TrainingCertificate)
        .where(TrainingCertificate.member_id == member.id, TrainingCertificate.course_slug == course_slug)
        .order_by(TrainingCertificate.expires_on.desc(), TrainingCertificate.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def renewable(certificate: TrainingCertificate, course: Course, today: date) -> bool:
    """Whether the exam may be taken again: the certificate lapsed, or expires within the window."""
    return today >= certificate.expires_on - timedelta(days=course.renew_within_days)


def issue_certificate(
    member: RosterMember,
    course: Course,
    issued_on: date,
    *,
    attempt: ExamAttempt | None = None,
    activity: Activity | None = None,
    by: User | None = None,
) -> TrainingCertificate:
    """A certificate of ``course`` for ``member``, renewing the one they hold if it is still valid."""
    previous = current_certificate(member, course.slug)
    starts = issued_on
    if previous is not None and previous.valid_on(issued_on):
        starts = previous.expires_on
    for _try in range(_CODE_TRIES):
        certificate = TrainingCertificate(
            code=new_code(),
            member=member,
            course_slug=course.slug,
            unit_id=member.unit_id,
            role=member.role,
            hours=course.hours,
            issued_on=issued_on,
            expires_on=add_months(starts, course.validity_months),
            offline=activity is not None,
            attempt_id=attempt.id if attempt is not None else None,
            activity_id=activity.id if activity is not None else None,
            renews_id=previous.id if previous is not None else None,
            issued_by_id=by.id if by is not None else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:  # the code is taken (rarely): draw another
            continue
        return certificate
    raise RuntimeError("no free certificate code found")


def certificate_of_attempt(attempt: ExamAttempt) -> TrainingCertificate | None:
    return db.session.execute(
        select(TrainingCertificate).where(TrainingCertificate.attempt_id == attempt.id)
    ).scalar_one_or_none()


def find_training_certificate(code: str | None) -> TrainingCertificate | None:
    """The certificate with ``code`` as typed or linked; None for an unknown or malformed code."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.execute(
        select(TrainingCertificate).where(TrainingCertificate.code == normalised)
    ).scalar_one_or_none()


def valid_certificates(members: Iterable[RosterMember], day: date) -> dict[int, list[TrainingCertificate]]:
    """Each member's certificates valid on ``day`` (by member id), read in one query."""
    ids = [member.id for member in members]
    found: dict[int, list[TrainingCertificate]] = {member_id: [] for member_id in ids}
    if ids:
        stmt = (
            select(TrainingCertificate)
            .where(
                TrainingCertificate.member_id.in_(ids),
                TrainingCertificate.issued_on <= day,
                TrainingCertificate.expires_on > day,
            )
            .order_by(TrainingCertificate.issued_on.desc(), TrainingCertificate.id.desc())
        )
        for certificate in db.session.execute(stmt).scalars():
            found[certificate.member_id].append(certificate)
    return found


def certificates_of(member: RosterMember) -> list[TrainingCertificate]:
    """Every certificate of ``member``, newest first."""
    return list(
        db.session.execute(
            select(TrainingCertificate)
            .where(TrainingCertificate.member_id == member.id)
            .order_by(TrainingCertificate.issued_on.desc(), TrainingCertificate.id.desc())
        ).scalars()
    )


# --- offline training -------------------------------------------------------------------------


def log_offline_training(
    user: User, activity: Activity, course: Course, members: Iterable[RosterMember]
) -> list[TrainingCertificate]:
    """Certify the people on a 培训 activity's attendance list, marked offline, from its date.

    :raises TrainingError: the activity is not a training in the user's scope, the course does not
        count offline, or a person's role is not one the course trains.
    """
    attendees = list(members)
    if activity.kind != "training" or not region_in_scope(user, activity.community):
        raise TrainingError({"activity": "offline_activity_invalid"})
    if not course.offline:
        raise TrainingError({"course": "offline_not_allowed"})
    if not attendees or len(attendees) > MAX_ATTENDANCE:
        raise TrainingError({"members": "offline_attendance_invalid"})
    if any(member.role not in course.roles or member.erased for member in attendees):
        raise TrainingError({"members": "offline_role_mismatch"})
    issued = [issue_certificate(m, course, activity.held_on, activity=activity, by=user) for m in attendees]
    record(user, "training.offline", activity, details={"course": course.slug}, row_count=len(issued))
    return issued


# --- reminders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiring:
    certificate: TrainingCertificate
    member: RosterMember
    unit: Unit


def expiring_query(user: User, today: date, within_days: int, unit: Unit | None = None) -> Select:
    """Certificates valid today that expire within ``within_days`` and have no renewal yet, of
    people still on a roster of the user's units, soonest first."""
    later = aliased(TrainingCertificate)
    renewed = (
        select(later.id)
        .where(
            later.member_id == TrainingCertificate.member_id,
            later.course_slug == TrainingCertificate.course_slug,
            later.expires_on > TrainingCertificate.expires_on,
        )
        .exists()
    )
    stmt = (
        select(TrainingCertificate, RosterMember, Unit)
        .join(RosterMember, TrainingCertificate.member_id == RosterMember.id)
        .join(Unit, RosterMember.unit_id == Unit.id)
        .where(
            and_(TrainingCertificate.issued_on <= today, TrainingCertificate.expires_on > today),
            TrainingCertificate.expires_on <= today + timedelta(days=within_days),
            RosterMember.erased_at.is_(None),
            or_(RosterMember.left_on.is_(None), RosterMember.left_on > today),
            ~renewed,
        )
    )
    if unit is not None:
        stmt = stmt.where(Unit.id == unit.id)
    stmt = units_within_scope(stmt, user, Unit.id, Unit.region_id)
    return stmt.order_by(TrainingCertificate.expires_on, RosterMember.name, TrainingCertificate.id)


def expiring(user: User, today: date, within_days: int, unit: Unit | None = None) -> list[Expiring]:
    rows = db.session.execute(expiring_query(user, today, within_days, unit)).all()
    return [Expiring(certificate, member, found_unit) for certificate, member, found_unit in rows]
