"""Rosters and the expiring-certificate list as CSV/XLSX tables; every export is audited.

Roles that keep rosters (staff, a unit's manager) get whole numbers, to call people in for
training; organizers get masked ones.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.accounts.models import User
from webapp.accounts.permissions import can
from webapp.audit.service import record
from webapp.clock import local_today
from webapp.extensions import db
from webapp.training import certificates, roster
from webapp.training.labels import course_title, role_name, unit_kind_label
from webapp.training.models import RosterMember

Export = tuple[str, list[str], list[list[Any]]]


def _phone(member: RosterMember, whole: bool) -> str:
    return (member.phone or "") if whole else member.masked_phone


def export_roster(user: User, filters: roster.RosterFilter, fmt: str) -> Export:
    """The filtered roster, with each person's valid certificates today, audited."""
    whole = can(user, "roster.write")
    members = list(
        db.session.execute(roster.roster_query(user, filters).options(joinedload(RosterMember.unit))).scalars()
    )
    held = certificates.valid_certificates(members, local_today())
    headers = [
        _("Unit"),
        _("Name"),
        _("Mobile phone"),
        _("Post"),
        _("On the roster since"),
        _("Left on"),
        _("Valid certificates"),
    ]
    rows = [
        [
            m.unit.name,
            m.name,
            _phone(m, whole),
            role_name(m.role),
            m.joined_on.isoformat(),
            m.left_on.isoformat() if m.left_on else "",
            "; ".join(f"{course_title(c.course_slug)} ({c.valid_until})" for c in held[m.id]),
        ]
        for m in members
    ]
    unit = filters.unit.id if filters.unit else None
    details = {"unit": unit, "role": filters.role, "status": filters.status, "format": fmt, "whole_phone": whole}
    record(user, "roster.export", filters.unit, details=details, row_count=len(rows))
    return _("training-roster"), headers, rows


def export_expiring(user: User, today: date, within_days: int, fmt: str) -> Export:
    """Certificates expiring within ``within_days`` with who holds them, audited."""
    whole = can(user, "roster.write")
    found = certificates.expiring(user, today, within_days)
    headers = [
        _("Unit"),
        _("Kind of unit"),
        _("Name"),
        _("Mobile phone"),
        _("Post"),
        _("Course"),
        _("Valid until"),
        _("Certificate number"),
    ]
    rows = [
        [
            row.unit.name,
            unit_kind_label(row.unit.kind),
            row.member.name,
            _phone(row.member, whole),
            role_name(row.member.role),
            course_title(row.certificate.course_slug),
            row.certificate.valid_until.isoformat(),
            row.certificate.display_code,
        ]
        for row in found
    ]
    record(
        user,
        "training.export_expiring",
        details={"days": within_days, "format": fmt, "whole_phone": whole},
        row_count=len(rows),
    )
    return _("certificates-expiring"), headers, rows
