"""The audit log page for admins and organizers."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user

from webapp.accounts.permissions import requires
from webapp.audit.service import AuditFilters, audit_page, visible_accounts, visible_actions
from webapp.paging import page_number
from webapp.text import is_whole_number

bp = Blueprint("audit", __name__, template_folder="templates")
PER_PAGE = 50


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _account_id(value: str | None) -> int | None:
    return int(value) if is_whole_number(value) else None


@bp.get("/staff/audit")
@requires("audit.read")
def log() -> str:
    filters: AuditFilters = {
        "user_id": _account_id(request.args.get("user")),
        "action": request.args.get("action") or None,
        "since": _date(request.args.get("since")),
        "until": _date(request.args.get("until")),
    }
    return render_template(
        "audit/log.html",
        page=audit_page(current_user, page_number(request.args.get("page")), PER_PAGE, filters),
        filters=filters,
        actions=visible_actions(current_user),
        users=visible_accounts(current_user),
    )
