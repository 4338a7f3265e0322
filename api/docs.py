"""One decorator documents an endpoint's error answers in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
