"""Volunteers as tables: a filtered list for staff, and everything held about one person for them.

Both are written to the audit log (who, what, how many rows), never with the data itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.accounts.models import User
from webapp.accounts.permissions import can
from webapp.audit.service import record
from webapp.clock import local_date, utcnow
from webapp.extensions import db
from webapp.person_data import audit_trail, stamp
from webapp.volunteers.ambassadors import ambassador_ids, post_of
from webapp.volunteers.labels import label, labels_of
from webapp.volunteers.models import Volunteer
from webapp.volunteers.queries import LISTED, VolunteerFilter, checked_query
from webapp.volunteers.served import service_hours, service_records

EXPORT_COLUMNS = (
    ("id", _l("ID")),
    ("name", _l("Name")),
    ("phone", _l("Mobile phone")),
    ("gender", _l("Gender")),
    ("birth_year", _l("Birth year")),
    ("community_code", _l("Community code")),
    ("community", _l("Community")),
    ("team", _l("Team")),
    ("status", _l("Status")),
    ("skills", _l("Skills")),
    ("languages", _l("Languages")),
    ("availability", _l("Availability")),
    ("trainings", _l("Trainings")),
    ("training_hours", _l("Training hours")),
    ("service_hours", _l("Service hours")),
    ("ambassador", _l("Ambassador")),
    ("source", _l("Registered how")),
    ("registered_on", _l("Registered on")),
)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


# --- the list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listed:
    """What a list row shows beyond the volunteer's own columns."""

    whole_phone: bool
    hours: dict[int, float]
    ambassadors: set[int]
    lang: str
    yes: str


def _export_row(v: Volunteer, listed: _Listed) -> list[Any]:
    return [
        v.id,
        v.name,
        v.phone if listed.whole_phone else v.masked_phone,
        label("gender", v.gender),
        v.birth_year or "",
        v.community.code,
        v.community.name(listed.lang),
        v.team.name if v.team else "",
        label("status", v.status),
        labels_of("skill", v.skills),
        labels_of("language", v.languages),
        label("availability", v.availability),
        len(v.trainings),
        sum(t.hours for t in v.trainings),
        listed.hours.get(v.id, 0.0),
        listed.yes if v.id in listed.ambassadors else "",
        label("source", v.source),
        local_date(v.created_at).isoformat(),
    ]


def export_volunteers(user: User, filters: VolunteerFilter, fmt: str, lang: str = "zh_Hans") -> Table:
    """The filtered list as a table, written to the audit log with its filter and row count.

    Roles with ``volunteers.whole_phone`` get whole numbers; others (organizers) masked ones.
    The audited filter holds searched phone digits masked.

    :raises VolunteerError: q — as ``volunteer_query`` (written to the audit log).
    """
    whole = can(user, "volunteers.whole_phone")
    volunteers = db.session.execute(checked_query(user, filters).options(*LISTED)).scalars().all()
    ids = [v.id for v in volunteers]
    listed = _Listed(whole, service_hours(ids), ambassador_ids(ids), lang, str(_l("yes")))
    table = Table(headers=[str(title) for _key, title in EXPORT_COLUMNS])
    table.rows.extend(_export_row(v, listed) for v in volunteers)
    record(
        user,
        "volunteer.export",
        details={"filter": filters.details(), "format": fmt, "whole_phone": whole},
        row_count=len(table.rows),
    )
    return table


# --- a person's export --------------------------------------------------------------------


def _record(volunteer: Volunteer, lang: str) -> dict[str, Any]:
    return {
        "id": volunteer.id,
        "name": volunteer.name,
        "phone": volunteer.phone,
        "gender": volunteer.gender,
        "birth_year": volunteer.birth_year,
        "community": volunteer.community.code,
        "community_name": volunteer.community.name(lang),
        "team": volunteer.team.name if volunteer.team else None,
        "skills": list(volunteer.skills or []),
        "languages": list(volunteer.languages or []),
        "availability": volunteer.availability,
        "status": volunteer.status,
        "source": volunteer.source,
        "consent_at": stamp(volunteer.consent_at),
        "consent_version": volunteer.consent_version,
        "guardian_name": volunteer.guardian_name,
        "guardian_consent_at": stamp(volunteer.guardian_consent_at),
        "notes": volunteer.notes,
        "registered_at": stamp(volunteer.created_at),
        "decided_at": stamp(volunteer.decided_at),
    }


def _trainings(volunteer: Volunteer) -> list[dict[str, Any]]:
    return [
        {"course": t.course, "hours": t.hours, "held_on": t.held_on.isoformat(), "certified": t.certified}
        for t in volunteer.trainings
    ]


def _service(volunteer: Volunteer) -> list[dict[str, Any]]:
    return [
        {
            "activity": r.activity.code,
            "title": r.activity.title,
            "held_on": r.activity.held_on.isoformat(),
            "channel": r.activity.channel,
            "kind": r.activity.kind,
            "hours": r.hours,
        }
        for r in service_records(volunteer)
    ]


def _ambassador(volunteer: Volunteer) -> dict[str, Any] | None:
    post = post_of(volunteer)
    if post is None:
        return None
    return {"community": post.community.code, "designated_at": stamp(post.designated_at)}


def _audit(volunteer: Volunteer) -> list[dict[str, Any]]:
    return audit_trail(Volunteer.__tablename__, volunteer.id)


def person_export(user: User, volunteer: Volunteer, fmt: str, lang: str = "zh_Hans") -> dict[str, Any]:
    """Everything held about one volunteer (PIPL art. 45: a person may obtain a copy of it).

    The record (whole phone number included: it is theirs), the consent text version, their
    trainings, the activities they served at with the hours, an ambassador post, and the audit
    log's entries about them (when, what, which role). Written to the audit log without the data.
    """
    data = {
        "volunteer": _record(volunteer, lang),
        "trainings": _trainings(volunteer),
        "service": _service(volunteer),
        "ambassador": _ambassador(volunteer),
        "audit": _audit(volunteer),
        "exported_at": stamp(utcnow()),
    }
    record(user, "volunteer.person_export", volunteer, details={"format": fmt})
    return data
