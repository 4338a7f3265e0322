"""The audit log page for admins and organizers."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from webapp.accounts.models import User
from webapp.accounts.permissions import require
from webapp.audit.service import audit_query
from webapp.extensions import db
from webapp.text import is_whole_number

bp = Blueprint("audit", __name__, template_folder="templates")
PER_PAGE = 50


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None, default: int | None = None) -> int | None:
    return int(value) if is_whole_number(value) else default


@bp.get("/staff/audit")
@login_required
def log() -> str:
    require(current_user, "audit.read")
    filters = {
        "user_id": _int(request.args.get("user")),
        "action": request.args.get("action") or None,
        "since": _date(request.args.get("since")),
        "until": _date(request.args.get("until")),
    }
    page = max(_int(request.args.get("page"), 1), 1)
    stmt = audit_query(current_user, **filters)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    entries = db.session.execute(stmt.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).scalars().all()
    visible = audit_query(current_user).subquery()
    actions = db.session.execute(select(visible.c.action).distinct().order_by(visible.c.action)).scalars().all()
    users = (
        db.session.execute(select(User).where(User.id.in_(select(visible.c.user_id))).order_by(User.username))
        .scalars()
        .all()
    )
    return render_template(
        "audit/log.html",
        entries=entries,
        total=total,
        page=page,
        per_page=PER_PAGE,
        filters=filters,
        actions=actions,
        users=users,
    )
