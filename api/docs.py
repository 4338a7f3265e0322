"""One decorator documents an endpoint's error answers in the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint

from api.schemas import ErrorSchema

#: builds documentation only; never registered on the app
_DOC = Blueprint("api_docs", __name__)
BEARER = [{"bearerAuth": []}]
DESCRIPTIONS = {
    401: "No valid bearer token",
    403: "The caller's role may not do this",
    404: "Not found in the caller's area",
    409: "Conflicts with the stored state",
    422: "Invalid input, per field",
    429: "Too many requests",
}


def errors(*answers: int | tuple[int, str], bearer: bool = False) -> Callable[[Any], Any]:
    """Document each error status (with a default or given description) in the error shape;
    ``bearer`` marks the endpoint as needing a bearer token."""

    def decorate(view: Any) -> Any:
        for answer in reversed(answers):
            status, description = answer if isinstance(answer, tuple) else (answer, DESCRIPTIONS[answer])
            view = _DOC.alt_response(status, schema=ErrorSchema, description=description)(view)
        return _DOC.doc(security=BEARER)(view) if bearer else view

    return decorate


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # as marshmallow's DateTime writes it
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(body: dict, status: int) -> Response:
    """Send ``body`` as built, skipping the response schema's dump.

    For the quiz paths residents hit at peak: they build exactly the documented shape
    (the fuzzing tests check it against the schema), and dumping it again cost more than
    the rest of the request.
    """
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_iso)
    return current_app.response_class(text, status=status, mimetype="application/json")
