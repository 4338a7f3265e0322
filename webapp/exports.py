"""Tables as CSV or XLSX downloads, shared by every list that can be exported.

Callers audit the export (who, what, filter, row count) before returning the response.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from flask import Response

from webapp.text import exportable

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(value: Any) -> Any:
    # rows stored before input refused control characters may hold some: XLSX cannot, so drop them
    value = exportable(value)
    # a cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([_safe(v) for v in row] for row in rows)
    # the BOM makes Excel on Chinese Windows read UTF-8 instead of GBK
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str) -> bytes:
    # imported here: openpyxl (and numpy, which it loads) take tens of MB in every worker
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(list(headers))
    for row in rows:
        worksheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_response(fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of ``rows`` under ``headers``; ``filename`` without extension."""
    if fmt == "xlsx":
        body, mimetype = _xlsx(headers, rows, filename), XLSX_TYPE
    else:
        body, mimetype = _csv(headers, rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    name = f"{filename}.{fmt}"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "no-store"
    return response
