"""Rosters and the expiring-certificate list as CSV/XLSX tables; every export is audited.

Roles that keep rosters (staff, a unit's manager) get whole numbers, to call people in for
training; organizers get masked ones.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.accounts.models import User
from webapp.accounts.permissions import can
from webapp.audit.service import record
from webapp.clock import local_today, utcnow
from webapp.extensions import db
from webapp.person_data import audit_trail, stamp
from webapp.training import certificates, roster
from webapp.training.labels import course_title, role_name, unit_kind_label
from webapp.training.models import (
    Enrollment,
    ExamAttempt,
    RosterMember,
    TraineeToken,
    TrainingCertificate,
    TrainingInvitation,
)

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


# --- one person's data, on their request ---------------------------------------------------


def member_export(user: User, member: RosterMember, fmt: str) -> dict[str, Any]:
    """Everything held about one person on a unit's roster (PIPL art. 45: a person may obtain a
    copy of it): the roster entry (whole phone number included: it is theirs), invitations and
    sign-ins (when, never their codes), courses and exams, certificates, and the audit log's
    entries about them. Written to the audit log without the data."""
    data = {
        "person": _member_record(member),
        "invitations": [
            {"issued_at": stamp(i.issued_at), "expires_at": stamp(i.expires_at), "used_at": stamp(i.used_at)}
            for i in _of_member(TrainingInvitation, TrainingInvitation.issued_at, member)
        ],
        "sign_ins": [
            {"created_at": stamp(t.created_at), "expires_at": stamp(t.expires_at), "ended_at": stamp(t.revoked_at)}
            for t in _of_member(TraineeToken, TraineeToken.created_at, member)
        ],
        "courses": [_enrollment(e) for e in _of_member(Enrollment, Enrollment.started_at, member)],
        "exams": _exams(member),
        "certificates": [_certificate(c) for c in certificates.certificates_of(member)],
        "audit": audit_trail(RosterMember.__tablename__, member.id),
        "exported_at": stamp(utcnow()),
    }
    record(user, "roster.person_export", member, details={"format": fmt, "unit": member.unit_id})
    return data


def _member_record(member: RosterMember) -> dict[str, Any]:
    return {
        "name": member.name,
        "phone": member.phone,
        "unit": member.unit.name,
        "post": role_name(member.role),
        "on_roster_since": member.joined_on.isoformat(),
        "left_on": member.left_on.isoformat() if member.left_on else None,
        "added_how": member.source,
        "added_at": stamp(member.added_at),
        "erased_at": stamp(member.erased_at),
    }


def _of_member(model: Any, when: Any, member: RosterMember) -> list[Any]:
    return list(db.session.execute(select(model).where(model.member_id == member.id).order_by(when)).scalars())


def _enrollment(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "course": course_title(enrollment.course_slug),
        "started_at": stamp(enrollment.started_at),
        "lessons_read": list(enrollment.lessons_done),
    }


def _exams(member: RosterMember) -> list[dict[str, Any]]:
    attempts = db.session.execute(
        select(ExamAttempt, Enrollment.course_slug)
        .join(Enrollment, Enrollment.id == ExamAttempt.enrollment_id)
        .where(Enrollment.member_id == member.id)
        .order_by(ExamAttempt.submitted_at, ExamAttempt.id)
    ).all()
    return [
        {
            "course": course_title(slug),
            "submitted_at": stamp(attempt.submitted_at),
            "questions": attempt.n_questions,
            "correct": attempt.n_correct,
            "passed": attempt.passed,
        }
        for attempt, slug in attempts
    ]


def _certificate(certificate: TrainingCertificate) -> dict[str, Any]:
    return {
        "code": certificate.code,
        "course": course_title(certificate.course_slug),
        "post": role_name(certificate.role),
        "hours": certificate.hours,
        "issued_on": certificate.issued_on.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "how": "offline" if certificate.offline else "online",
    }
