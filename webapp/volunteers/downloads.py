"""A person's data export as a download, shared by the staff page and the API."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Response

from webapp.exports import table_response
from webapp.volunteers.exports import person_export_table


def person_download(fmt: str, data: dict[str, Any], volunteer_id: int) -> Response:
    """``person_export``'s data as a JSON or XLSX attachment that no cache keeps."""
    filename = f"volunteer-{volunteer_id}"
    if fmt == "xlsx":
        table = person_export_table(data)
        return table_response("xlsx", filename, table.headers, table.rows)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.json"
    response.headers["Cache-Control"] = "no-store"
    return response
