"""A copy of everything held about one person, on their request (PIPL art. 45), as a download.

Each kind of person (a volunteer, a trainee on a unit's roster) gathers its own sections; the
audit trail, the table an XLSX shows and the download are the same for all of them. Callers
audit the export itself, without the data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Response
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.audit.labels import audit_action_label
from webapp.audit.models import AuditEntry
from webapp.exports import table_response
from webapp.extensions import db

PERSON_EXPORT_FORMATS = ("json", "xlsx")


def stamp(value: datetime | None) -> str | None:
    """A stored time (UTC, kept without a zone) as RFC 3339."""
    return value.replace(tzinfo=UTC).isoformat() if value else None


def audit_trail(object_type: str, object_id: int) -> list[dict[str, Any]]:
    """The audit log's entries about one person: when, what, and which role (not who) did it."""
    entries = db.session.execute(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).scalars()
    return [
        {
            "at": stamp(e.at),
            "action": e.action,
            "what": audit_action_label(e.action),
            "by_role": e.user.role if e.user else None,
        }
        for e in entries
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else value


def person_rows(data: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """An export's data as one table: a row per value, named by section, item and field."""
    headers = [str(_l("Section")), str(_l("Item")), str(_l("Field")), str(_l("Value"))]
    rows: list[list[Any]] = []
    for section, content in data.items():
        if isinstance(content, dict):
            rows.extend([section, "", key, _cell(value)] for key, value in content.items())
        elif isinstance(content, list):
            for number, item in enumerate(content, 1):
                rows.extend([section, number, key, _cell(value)] for key, value in item.items())
        else:
            rows.append([section, "", "", _cell(content)])
    return headers, rows


def person_download(fmt: str, data: Mapping[str, Any], filename: str) -> Response:
    """The export as a JSON or XLSX attachment that no cache keeps; ``filename`` without extension."""
    if fmt == "xlsx":
        return table_response("xlsx", filename, *person_rows(data))
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.json"
    response.headers["Cache-Control"] = "no-store"
    return response
