"""The one place that documents what an endpoint answers besides success.

``errors()`` marks a view with the error answers particular to it, its operationId and
whether it needs a bearer or respondent token. When the OpenAPI document is built,
``document_errors`` adds what every such endpoint can answer anyway: 422 when it parses
input, 413 when it reads a body, 429 and the rate-limit headers when it is rate-limited,
401 with a bearer token, and 503 with ``Retry-After`` when the database is unavailable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from copy import deepcopy
from datetime import datetime
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask, Response, current_app
from flask_limiter.util import get_qualified_name
from flask_smorest.utils import prepare_response

from api.schemas import ErrorSchema, Known
from api.timestamps import rfc3339
from webapp.exports import XLSX_TYPE
from webapp.extensions import limiter

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
DESCRIPTIONS = {
    401: "No valid bearer token",
    403: "The caller's role may not do this",
    404: "Not found in the caller's area",
    409: "Conflicts with the stored state",
    413: "The request body is larger than the server accepts (1 MiB)",
    422: "Invalid input, per field",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "`storage_unavailable`: the database cannot be reached; nothing was saved. Retry after `Retry-After` seconds",
}
RESPONDENT_HEADER = "X-Respondent-Token"
TRAINEE_HEADER = "X-Trainee-Token"

#: response headers the API sends, as OpenAPI header components
HEADERS: dict[str, dict[str, Any]] = {
    "RetryAfter": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimitLimit": {
        "description": "requests allowed in the current window (sent while rate limiting is on)",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimitRemaining": {
        "description": "requests left in the current window",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimitReset": {
        "description": "when the window ends, in seconds since the Unix epoch",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimitRetryAfter": {
        "description": "seconds until the window ends",
        "schema": {"type": "integer"},
    },
    "ContentDisposition": {
        "description": "attachment, with the file name in RFC 6266 `filename*` form",
        "required": True,
        "schema": {"type": "string"},
    },
}
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "RateLimitLimit",
    "X-RateLimit-Remaining": "RateLimitRemaining",
    "X-RateLimit-Reset": "RateLimitReset",
}
#: marks headers a headers schema leaves optional (the view answers 401, not 422, without them)
_REQUIRED_HEADERS = "x-required-headers"


def _operation_id(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def errors(
    *answers: int | tuple[int, str],
    bearer: bool = False,
    respondent: bool = False,
    operation_id: str | None = None,
    trainee: bool = False,
) -> Callable[[Any], Any]:
    """Document an endpoint's own error answers (status, or status and description).

    ``bearer``: it needs a bearer token (401 without one). ``respondent``: it needs an
    ``X-Respondent-Token`` (401 without one); ``trainee``, an ``X-Trainee-Token``. ``operation_id``
    defaults to the view's name in camelCase. Every endpoint of the API carries this decorator.
    """

    def decorate(view: Any) -> Any:
        documented = {
            status: description
            for status, description in (a if isinstance(a, tuple) else (a, DESCRIPTIONS[a]) for a in answers)
        }
        view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        view._apidoc["errors"] = {
            "answers": documented,
            "bearer": bearer,
            "respondent": respondent,
            "trainee": trainee,
            "operation_id": operation_id or _operation_id(view.__name__),
            # the name under which Flask-Limiter records a limit decorated onto this view
            "limiter_name": get_qualified_name(view),
        }
        return view

    return decorate


def _limits(app: Flask, name: str) -> list[str]:
    with app.app_context():
        return [str(limit.limit) for limit in limiter.limit_manager.decorated_limits(name)]


def _error_response(description: str, headers: dict[str, str], spec: APISpec) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "schema": ErrorSchema}
    if headers:
        response["headers"] = headers
    prepare_response(response, spec, "application/json")
    return response


def document_errors(doc: dict, doc_info: dict, *, app: Flask, spec: APISpec, **_kwargs: Any) -> dict:
    """flask-smorest documentation callback: the error answers of one operation."""
    info = doc_info.get("errors")
    if info is None:
        return doc  # tests/test_openapi.py refuses an operation without errors()
    answers = dict(info["answers"])
    parameters = doc.get("parameters", [])
    if parameters or "requestBody" in doc:
        answers.setdefault(422, DESCRIPTIONS[422])
    if "requestBody" in doc:  # the JSON, form and file arguments flask-smorest documented
        answers.setdefault(413, DESCRIPTIONS[413])
    if info["bearer"]:
        answers.setdefault(401, DESCRIPTIONS[401])
        doc["security"] = BEARER
    if info["respondent"]:
        answers.setdefault(401, f"No {RESPONDENT_HEADER}, or one the server did not issue")
        doc[_REQUIRED_HEADERS] = [RESPONDENT_HEADER]
    if info.get("trainee"):
        answers.setdefault(401, f"`trainee_unknown`: no {TRAINEE_HEADER}, or one revoked, expired or not issued here")
        doc[_REQUIRED_HEADERS] = [TRAINEE_HEADER]
    limits = _limits(app, info["limiter_name"])
    if limits:
        answers[429] = f"{answers.get(429, DESCRIPTIONS[429])} (limit: {', '.join(limits)})"
    answers.setdefault(503, DESCRIPTIONS[503])

    responses = doc.setdefault("responses", {})
    # Flask-Limiter adds these to every answer of a limited endpoint, success or not
    limit_headers = {**RATE_LIMIT_HEADERS, "Retry-After": "RateLimitRetryAfter"} if limits else {}
    for response in responses.values():
        if limit_headers and isinstance(response, dict):
            response.setdefault("headers", {}).update(limit_headers)
    for status, description in sorted(answers.items()):
        headers = {**limit_headers, "Retry-After": "RetryAfter"} if status in (429, 503) else limit_headers
        responses[str(status)] = _error_response(description, headers, spec)
    doc["operationId"] = info["operation_id"]
    return doc


class RequiredHeadersPlugin(BasePlugin):
    """Marks as required the header parameters ``document_errors`` named, once the
    marshmallow plugin has expanded the headers schema into parameters."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            names = operation.pop(_REQUIRED_HEADERS, ())
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("in") == "header" and parameter.get("name") in names:
                    parameter["required"] = True


def register_headers(spec: APISpec) -> None:
    for name, header in HEADERS.items():
        spec.components.header(name, header)


def taxonomy_enum(app: Flask) -> Callable[..., dict]:
    """An apispec attribute function listing the loaded taxonomy's tags for a ``Known`` field."""
    taxonomy = app.extensions["library"].catalog.taxonomy

    def attribute(_converter: Any, field: Any, **_kwargs: Any) -> dict:
        for validator in field.validators:
            if isinstance(validator, Known):
                return {"enum": list(getattr(taxonomy, validator.kind))}
        return {}

    return attribute


#: a file sent as it is (an export)
BINARY = {"schema": {"type": "string", "format": "binary"}}


def export_responses(description: str) -> dict[str, Any]:
    """The 200 answer of an export endpoint: a CSV or XLSX file as an attachment."""
    return {
        "200": {
            "description": description,
            "content": {"text/csv": BINARY, XLSX_TYPE: BINARY},
            "headers": {"Content-Disposition": "ContentDisposition"},
        }
    }


def person_export_responses(description: str) -> dict[str, Any]:
    """The 200 answer of a person's export: JSON or XLSX as an attachment."""
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}, XLSX_TYPE: BINARY},
            "headers": {"Content-Disposition": "ContentDisposition"},
        }
    }


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return rfc3339(value)  # as the schemas' DateTime writes it
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(body: dict, status: int) -> Response:
    """Send ``body`` as built, skipping the response schema's dump.

    For the quiz paths residents hit at peak: they build exactly the documented shape
    (the fuzzing tests check it against the schema), and dumping it again cost more than
    the rest of the request.
    """
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_iso)
    return current_app.response_class(text, status=status, mimetype="application/json")


def servers(app: Flask) -> list[dict[str, str]]:
    """Where the API is served: the configured public base URL, else this host."""
    base = app.config.get("PUBLIC_BASE_URL") or ""
    return [{"url": re.sub(r"/+$", "", base) or "/"}]
