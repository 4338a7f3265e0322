"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from webapp.accounts.models import User
from webapp.accounts.permissions import scope_path
from webapp.audit.models import AuditEntry
from webapp.extensions import db


def record(
    user: User | None,
    action: str,
    obj: Any = None,
    *,
    details: dict | None = None,
    row_count: int | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction, so it commits with the act itself."""
    entry = AuditEntry(
        user_id=user.id if user else None,
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None else None,
        details=details or {},
        row_count=row_count,
        region_path=(user.scope.path if user and user.scope else "/"),
    )
    db.session.add(entry)
    return entry


def audit_query(
    viewer: User,
    user_id: int | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select:
    """Entries ``viewer`` may read, newest first: admins all, organizers their subtree's."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    path = scope_path(viewer)
    if path is not None:
        stmt = stmt.where(AuditEntry.region_path.like(f"{path}%"))
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(since, time.min))
    if until:
        stmt = stmt.where(AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min))
    return stmt
