"""Writing and reading the audit log.

Other domains call ``record`` in their own transaction; what happens to accounts arrives as
``webapp.accounts.signals``, which this module listens to once imported (by the app factory,
through the audit blueprint), so accounts need not import the log.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from webapp.accounts import signals as account_events
from webapp.accounts.models import User
from webapp.accounts.permissions import scope_path
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.paging import Page, paginate


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


class AuditFilters(TypedDict, total=False):
    """What the log is narrowed to: one account's entries, one action, from a day, to a day."""

    user_id: int | None
    action: str | None
    since: date | None
    until: date | None


def audit_query(viewer: User, filters: AuditFilters | None = None) -> Select:
    """Entries ``viewer`` may read, newest first: admins all, organizers their subtree's."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    path = scope_path(viewer)
    if path is not None:
        stmt = stmt.where(AuditEntry.region_path.like(f"{path}%"))
    filters = filters or {}
    if user_id := filters.get("user_id"):
        stmt = stmt.where(AuditEntry.user_id == user_id)
    if action := filters.get("action"):
        stmt = stmt.where(AuditEntry.action == action)
    if since := filters.get("since"):
        stmt = stmt.where(AuditEntry.at >= datetime.combine(since, time.min))
    if until := filters.get("until"):
        stmt = stmt.where(AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min))
    return stmt


def audit_page(viewer: User, number: int, per_page: int, filters: AuditFilters | None = None) -> Page[AuditEntry]:
    """Page ``number`` of the entries ``viewer`` may read (as ``audit_query``), each with its account."""
    return paginate(audit_query(viewer, filters), number, per_page, options=(selectinload(AuditEntry.user),))


def visible_actions(viewer: User) -> list[str]:
    """The actions of the entries ``viewer`` may read, to filter by."""
    visible = audit_query(viewer).subquery()
    return list(db.session.execute(select(visible.c.action).distinct().order_by(visible.c.action)).scalars())


def visible_accounts(viewer: User) -> list[User]:
    """The accounts that made the entries ``viewer`` may read, to filter by."""
    visible = audit_query(viewer).subquery()
    stmt = select(User).where(User.id.in_(select(visible.c.user_id))).order_by(User.username)
    return list(db.session.execute(stmt).scalars())


@account_events.signed_in.connect
def _record_sign_in(account: User) -> None:
    record(account, "user.login")


@account_events.opened.connect
def _record_opening(account: User, by: User | None) -> None:
    if by is None:
        record(None, "user.create", account, details={"role": account.role, "via": "cli"})
    else:
        scope = account.scope.code if account.scope else ""
        record(by, "user.create", account, details={"role": account.role, "scope": scope})


@account_events.changed.connect
def _record_change(account: User, by: User, password_changed: bool) -> None:
    scope = account.scope.code if account.scope else ""
    details = {"role": account.role, "scope": scope, "active": account.active, "password_changed": password_changed}
    record(by, "user.update", account, details=details)


@account_events.password_changed.connect
def _record_own_password_change(account: User) -> None:
    record(account, "user.password_change", account)


@account_events.signed_out_everywhere.connect
def _record_sign_out_everywhere(account: User, by: User) -> None:
    record(by, "user.sign_out_everywhere", account)
