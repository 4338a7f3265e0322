"""Errors: JSON in the DESIGN.md shape under /api/, translated HTML pages everywhere else."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from quizzes.service import QuizError

#: what a refusal is called and says, shared by the site and the API
MESSAGES: dict[str, Any] = {
    "bad_request": _l("The request could not be understood."),
    "unauthorized": _l("Please identify yourself first."),
    "forbidden": _l("You are not allowed to do this."),
    "not_found": _l("We could not find this page."),
    "method_not_allowed": _l("This action is not possible here."),
    "conflict": _l("This conflicts with what was saved before."),
    "payload_too_large": _l("What you sent is too large."),
    "unprocessable": _l("Some of the input is not valid."),
    "too_many_requests": _l("Too many attempts in a short time. Please wait a minute and try again."),
    "internal": _l("Something went wrong on our side. Your earlier answers are safe; please try again."),
    "service_unavailable": _l("The service is busy or under maintenance. Please try again shortly."),
    "csrf": _l("The form expired. Please go back, reload the page and send it again."),
    "quiz_not_found": _l("There is no such quiz."),
    "draw_not_found": _l("We could not find this quiz sitting. Please start the quiz again."),
    "draw_expired": _l("This quiz sitting has closed. Please start the quiz again."),
    "already_submitted": _l("These answers were already handed in. Your first answers count."),
    "invalid_answers": _l("Some answers do not belong to this quiz. Please reload the quiz."),
    "not_a_community": _l("Please choose a community or village, not a larger area."),
    "community_required": _l("Please choose your community first."),
    "login_required": _l("Please sign in to see this page."),
    "unknown_role": _l("Choose one of the listed roles."),
    "scope_required": _l("Staff and organizer accounts need the region they are responsible for."),
    "password_too_short": _l("The password is too short."),
    "username_invalid": _l("Use 1 to 64 characters for the username."),
    "username_taken": _l("This username is already taken."),
}

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal",
    503: "service_unavailable",
}

QUIZ_ERROR_STATUS = {
    "quiz_not_found": 404,
    "draw_not_found": 404,
    "draw_expired": 409,
    "already_submitted": 409,
    "invalid_answers": 422,
    "not_a_community": 422,
}


def message(code: str) -> str:
    return str(MESSAGES.get(code, MESSAGES["bad_request"]))


def json_error(status: int, code: str, fields: dict | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message(code), "fields": fields or {}}})
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _validation_fields(error: HTTPException) -> dict:
    # webargs puts marshmallow's messages under data["messages"][location]
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    fields: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(location_messages)
    return fields


def handle_http_error(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    code = "csrf" if isinstance(error, CSRFError) else STATUS_CODES.get(status, "bad_request")
    if wants_json():
        return json_error(status, code, _validation_fields(error))
    return render_template("error.html", status=status, message=message(code)), status


def handle_quiz_error(error: QuizError) -> Response | tuple[str, int]:
    status = QUIZ_ERROR_STATUS.get(error.code, 400)
    if wants_json():
        return json_error(status, error.code)
    return render_template("error.html", status=status, message=message(error.code)), status


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    from flask import current_app

    current_app.logger.exception("unhandled error", exc_info=error)
    return handle_http_error(InternalServerError())


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(QuizError, handle_quiz_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
