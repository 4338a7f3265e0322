"""Logs as JSON lines (or plain text), each tied to its request by a request id.

What is written: the request's method, its path without the query string, the endpoint, the
status and the time taken. What never is: query strings (they carry searches, phone fragments
and codes), form fields, headers other than the request id, SQL parameters, or the text of a
database driver's message beyond its first line (PostgreSQL's DETAIL line quotes row values).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, current_app, g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy.exc import DBAPIError

#: an incoming X-Request-ID is kept only if it looks like an id, so a log line cannot be forged
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
REQUEST_ID_HEADER = "X-Request-ID"
#: the logger of the request lines; a child of the app's logger, so it shares its handler
ACCESS_LOGGER = "webapp.access"
LOG_FORMATS = ("json", "text")
#: how much of an exception's message is kept
REASON_LENGTH = 200


def accepted_request_id(incoming: str | None) -> str:
    """The client's (or the proxy's) request id when it is a plausible one, else a new one."""
    if incoming and REQUEST_ID_RE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def describe(error: BaseException) -> str:
    """The exception's class and a short reason that quotes no data.

    A SQLAlchemy error's own text carries the statement and its parameters, which hold what
    people typed; the driver's first line says why it failed without them.
    """
    text = str(error.orig) if isinstance(error, DBAPIError) and error.orig is not None else str(error)
    lines = text.strip().splitlines()
    reason = lines[0][:REASON_LENGTH] if lines else ""
    return f"{type(error).__name__}: {reason}" if reason else type(error).__name__


def safe_traceback(error: BaseException) -> str:
    """Where ``error`` and its causes were raised, each summed up by :func:`describe`."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{describe(current)}")
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n\nwhich was caused by:\n".join(parts)


def path_kept_out_of_logs(view: Callable) -> Callable:
    """Marks a view whose address holds a key (a certificate's verification code, which shows a
    name): its log lines carry the route's pattern instead of the path."""
    view.log_path_as_rule = True  # type: ignore[attr-defined]
    return view


def logged_path(req: Request) -> str:
    rule = req.url_rule
    view = current_app.view_functions.get(rule.endpoint) if rule is not None else None
    return rule.rule if rule is not None and getattr(view, "log_path_as_rule", False) else req.path


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {}
    return {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": logged_path(request),
        "endpoint": request.url_rule.endpoint if request.url_rule else None,
    }


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (RFC 3339, UTC), level, logger, message, the request."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "http", None) or _request_fields())
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = describe(record.exc_info[1])
            entry["traceback"] = safe_traceback(record.exc_info[1])
        return json.dumps(entry)


def _printable(value: Any) -> str:
    # a path may hold a decoded newline: in text lines it is escaped, so it cannot start a line
    text = str(value)
    return text if text.isprintable() else json.dumps(text)[1:-1]


class TextFormatter(logging.Formatter):
    """For a person reading a terminal: time, level, logger, request id, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = dict(getattr(record, "http", None) or _request_fields())
        reference = fields.pop("request_id", None) or "-"
        details = " ".join(f"{k}={_printable(v)}" for k, v in fields.items() if v is not None)
        line = f"{_time(record)} {record.levelname} {record.name} [{reference}] {_printable(record.getMessage())}"
        if details:
            line = f"{line} {details}"
        if record.exc_info and record.exc_info[1] is not None:
            line = f"{line}\n{safe_traceback(record.exc_info[1])}"
        return line


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn's worker, or a test's capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _level(name: str) -> int:
    level = logging.getLevelNamesMapping().get(name.upper())
    if level is None:
        raise ValueError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not {name!r}")
    return level


def configure_logging(app: Flask) -> None:
    """The app's logger (and the request lines under it) write LOG_FORMAT lines to stderr.

    :raises ValueError: LOG_FORMAT or LOG_LEVEL is not one of the known values.
    """
    log_format = app.config["LOG_FORMAT"].lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be json or text, not {app.config['LOG_FORMAT']!r}")
    logger = logging.getLogger(app.name)
    logger.setLevel(_level(app.config["LOG_LEVEL"]))
    # one handler per process however many apps are made (tests make hundreds)
    for handler in [h for h in logger.handlers if isinstance(h, StderrHandler) or h is default_handler]:
        logger.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.addHandler(handler)


def start_request() -> None:
    g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))


def log_request(
    access: logging.Logger, req: Request, endpoint: str | None, status: int, seconds: float, address: bool
) -> None:
    """The request's line in the access log (never its query string); the client's address
    only when ``address``."""
    if not access.isEnabledFor(logging.INFO):
        return
    fields = {
        "request_id": g.get("request_id"),
        "method": req.method,
        "path": logged_path(req),
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    if address:
        fields["remote_addr"] = req.remote_addr
    # made by hand rather than through access.info: that walks the stack for a caller nobody reads
    message = f"{req.method} {fields['path']} {status}"
    access.handle(access.makeRecord(access.name, logging.INFO, "", 0, message, (), None, extra={"http": fields}))
