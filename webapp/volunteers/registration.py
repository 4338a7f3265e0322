"""A volunteer's life: registered (by staff, by themself, by file or API), edited, reviewed, trained, erased.

Each function changes objects, flushes at most and writes the audit entry; the request (or
CLI command) commits. Refusals are ``VolunteerError`` with one message code per field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from webapp.accounts.models import User
from webapp.audit.service import record
from webapp.clock import local_today, utcnow
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.volunteers.ambassadors import end_ambassadorship
from webapp.volunteers.errors import VolunteerError
from webapp.volunteers.models import CONSENT_VERSION, ERASED, ERASURE_REASONS, SOURCES, TRANSITIONS, Training, Volunteer
from webapp.volunteers.queries import find_by_phone
from webapp.volunteers.validation import clean_training, clean_volunteer


def new_volunteer(values: dict[str, Any], community: Region, source: str, by: User | None, now: datetime) -> Volunteer:
    """A volunteer from checked ``values``, consenting now: pending when self-registered, else active."""
    volunteer = Volunteer(
        **values,
        community=community,
        consent_at=now,
        consent_version=CONSENT_VERSION,
        source=source,
        created_at=now,
    )
    volunteer.created_by = by
    if source == "self":
        volunteer.status = "pending"
    else:
        volunteer.status = "active"
        volunteer.decided_at, volunteer.decided_by = now, by
    return volunteer


def insert_volunteer(volunteer: Volunteer) -> None:
    """Add and flush; a phone registered meanwhile by someone else is a duplicate, not a crash.

    :raises VolunteerError: phone_taken.
    """
    try:
        with db.session.begin_nested():
            db.session.add(volunteer)
    except IntegrityError:
        raise _taken(volunteer.phone) from None


def _taken(phone: str | None) -> VolunteerError:
    return VolunteerError({"phone": "phone_taken"}, find_by_phone(phone) if phone else None)


def register_volunteer(
    data: Mapping[str, Any],
    community: Region | None,
    source: str,
    by: User | None,
    now: datetime | None = None,
) -> Volunteer:
    """Register a volunteer of ``community``.

    ``data`` holds name, phone, gender, birth_year, team_id, skills, languages,
    availability, consent, guardian_name, guardian_consent and notes. Staff
    registrations (source staff, import, api) are active at once; a resident's own
    registration (source "self") waits for staff in scope to approve or reject it.
    Consent is required and its time recorded; under 18 a guardian's too.

    :raises VolunteerError: invalid fields; for a phone already registered,
        ``existing`` is that volunteer.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    now = now or utcnow()
    values = clean_volunteer(data, community, now)
    # a valid community is checked by clean_volunteer
    volunteer = new_volunteer(values, community, source, by, now)  # type: ignore[arg-type]
    insert_volunteer(volunteer)
    record(by, "volunteer.create", volunteer, details={"source": source, "status": volunteer.status})
    return volunteer


def sign_up(data: Mapping[str, Any], community: Region | None, now: datetime | None = None) -> Volunteer | None:
    """A resident registers themself as a volunteer, pending until staff in scope review it.

    The answer must not tell whether a phone number is registered already (anyone can type
    anyone's number): a registered phone is not registered twice, no field is refused for it,
    and None is returned where a new registration returns the volunteer, so the caller says
    the same to both. The attempt is written to the audit log on the existing record, in its
    community's part of the log, so staff and organizers of that area can follow it up.

    :raises VolunteerError: invalid fields other than a phone already registered.
    """
    try:
        return register_volunteer(data, community, "self", None, now)
    except VolunteerError as exc:
        if exc.problems.get("phone") != "phone_taken" or exc.existing is None:
            raise
        others = {name: code for name, code in exc.problems.items() if name != "phone"}
        if others:
            raise VolunteerError(others) from None
        existing = exc.existing
    details = {"community": community.code if community else None}
    entry = record(None, "volunteer.signup_again", existing, details=details)
    entry.region_path = existing.community.path
    return None


def update_volunteer(
    volunteer: Volunteer, data: Mapping[str, Any], community: Region | None, by: User, now: datetime | None = None
) -> list[str]:
    """Replace the volunteer's details with ``data`` (the keys of ``register_volunteer``).

    Consent was recorded at registration and is not asked again. Moving to another
    community ends an ambassadorship of the old one. Returns the names of the changed fields.

    :raises VolunteerError: as ``register_volunteer``.
    """
    values = clean_volunteer(data, community, now or utcnow(), volunteer=volunteer, require_consent=False)
    changed = [name for name, value in values.items() if getattr(volunteer, name) != value]
    if community is not volunteer.community:
        changed.append("community")
        end_ambassadorship(volunteer)
    for name, value in values.items():
        setattr(volunteer, name, value)
    volunteer.community = community  # type: ignore[assignment]  # checked by clean_volunteer
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise _taken(values["phone"]) from None
    if changed:
        # names only: the audit log says what changed, not the personal data itself
        record(by, "volunteer.update", volunteer, details={"fields": changed})
    return changed


def change_status(volunteer: Volunteer, action: str, by: User, now: datetime | None = None) -> None:
    """Approve, reject, deactivate or reactivate; deactivating ends an ambassadorship.

    :raises VolunteerError: an unknown action; ``InvalidTransition`` (a VolunteerError, 409) for
        a move the current status does not allow.
    """
    if action not in TRANSITIONS:
        raise VolunteerError({"action": "choice_unknown"})
    before = volunteer.status
    volunteer.change_status(action, by, now)
    details: dict[str, Any] = {"from": before, "to": volunteer.status}
    if volunteer.status != "active" and end_ambassadorship(volunteer):
        details["ambassadorship_ended"] = True
    record(by, f"volunteer.{action}", volunteer, details=details)


def add_training(
    volunteer: Volunteer,
    course: str,
    hours: float,
    held_on: date,
    certified: bool,
    by: User | None = None,
    today: date | None = None,
) -> Training:
    """Record a training the volunteer took part in.

    :raises VolunteerError: no course name, hours outside 0–200, or a date in the future.
    """
    course = clean_training(course, hours, held_on, today or local_today())
    training = Training(volunteer=volunteer, course=course, hours=float(hours), held_on=held_on, certified=certified)
    db.session.add(training)
    db.session.flush()
    record(by, "volunteer.training", volunteer, details={"course": course, "hours": float(hours)})
    return training


def erase_volunteer(volunteer: Volunteer, by: User, reason: str = "request", now: datetime | None = None) -> None:
    """Erase the volunteer's personal data, on their request or because they withdrew consent.

    Every field that says who they are or what they are like is emptied (name, phone, gender,
    birth year, guardian, skills, languages, availability, notes, team); the row stays, without
    identity, so that their trainings, service hours and activities served still count in every
    total. Their ambassador post is vacated. The status becomes ``erased``: the volunteer leaves
    every list, export and count of active volunteers, and their pages answer 404. The audit
    entry holds the reason, never the erased data. Irreversible.

    :raises VolunteerError: reason — not one of ERASURE_REASONS.
    """
    if reason not in ERASURE_REASONS:
        raise VolunteerError({"reason": "erase_reason"})
    vacated = end_ambassadorship(volunteer)
    volunteer.name, volunteer.phone = "", None
    volunteer.gender = volunteer.birth_year = volunteer.availability = volunteer.notes = None
    volunteer.guardian_name = volunteer.guardian_consent_at = None
    volunteer.skills, volunteer.languages = [], []
    volunteer.team = None
    volunteer.status, volunteer.erased_at = ERASED, now or utcnow()
    db.session.flush()
    record(by, "volunteer.erase", volunteer, details={"reason": reason, "ambassador_vacated": vacated})
