"""Errors: one base for every refusal of the domain, and the one place any error becomes a response.

Under /api/ an error is JSON in the DESIGN.md shape; on the site it is a translated page: the
form the person filled in, with each message beside its field, when the view said which
form page that is (``on_refusal``), else the error page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from webapp.ops.logs import describe, request_id
from webapp.ops.metrics import count_database_error, count_rate_limited

#: what a refusal is called and says, shared by the site and the API
MESSAGES: dict[str, Any] = {
    "bad_request": _l("The request could not be understood."),
    "unknown_host": _l("This site is not served under this address."),
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
    "storage_unavailable": _l(
        "We cannot save anything right now. Nothing you sent was saved; please try again in a few minutes."
    ),
    "too_many_new_respondents": _l(
        "Many people have started quizzes from this network in the last hour. Please try again later, or use "
        "mobile data instead of this Wi-Fi."
    ),
    "respondent_unknown": _l(
        "This quiz record was not issued by us or is no longer kept. Please start the quiz again without it."
    ),
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
    "password_common": _l(
        "This password is too common or too easy to guess. Try a few unrelated words, or a longer password."
    ),
    "password_has_username": _l("The password must not contain the username."),
    "password_wrong": _l("The current password is not correct."),
    "password_mismatch": _l("The two new passwords are not the same."),
    "username_invalid": _l("Use 1 to 64 characters for the username."),
    "username_taken": _l("This username is already taken."),
    # certificates and share posters
    "certificate_not_earned": _l("Only a passed awareness survey earns a certificate."),
    "certificate_not_found": _l(
        "We found no certificate with this number. Check the number printed on the certificate and try again."
    ),
    "certificate_name_too_long": _l("The name on the certificate can have at most 20 characters."),
    "certificate_name_markup": _l("Please type just the name, without symbols such as < > & or quotation marks."),
    "images_unavailable": _l("Pictures cannot be made right now. Please try again later."),
    # targets
    "unknown_indicator": _l("Choose one of the listed indicators."),
    "unknown_period": _l("Use a month (2026-11), quarter (2026Q4), year (2026) or plan period (2026-2030)."),
    "bad_share": _l("A rate target must be above 0% and at most 100%."),
    "bad_count": _l("A volunteer target must be a whole number of people."),
    "bad_number": _l("Enter a number, such as 80%, or 3000 people."),
    "unknown_region": _l("No region in your area has this code."),
    "missing_columns": _l("The first line must name the columns region_code, indicator, period and value."),
    "not_utf8": _l("The file is not UTF-8 text; save it as CSV UTF-8 and try again."),
    "file_required": _l("Choose a CSV file to upload."),
    # monitoring waves: set-up, interviews, invitations
    "wave_title": _l("Give the wave a title of at most 100 characters."),
    "wave_size": _l("The sample size must be a whole number from 30 to 100,000."),
    "wave_allocation": _l("Choose one of the listed ways to allocate the sample."),
    "wave_modes": _l("Choose at least one of the listed interview modes."),
    "wave_method": _l("Choose one of the listed weighting methods."),
    "margins_missing": _l(
        "This region has no population margins by age and sex yet. Import them first (flask regions margins)."
    ),
    "no_communities": _l("This region has no community with a resident population to sample."),
    "chosen_allocation": _l(
        "List communities of the region with their number of interviews, one per line, such as DEMO010101=40."
    ),
    "wave_closed": _l("This wave is closed; no interview can be added to it."),
    "interview_handed_in": _l("This interview was already handed in; its first answers are kept."),
    "invitation_unknown": _l("This invitation code is not valid, was used already, or its survey has ended."),
    "invitation_count": _l("Issue between 1 and 500 codes at a time."),
    "unknown_mode": _l("Choose one of the wave's interview modes."),
    "unknown_age_band": _l("Choose one of the listed age groups."),
    "unknown_sex": _l("Choose female or male."),
    "unknown_area_type": _l("Choose urban or rural."),
    "community_not_in_wave": _l("This community is not in your part of the wave's sample."),
    "interviewer_out_of_scope": _l("This account cannot interview for this wave: it works outside the wave's region."),
    "review_choice": _l("Choose whether the interview counts or stays out."),
    "no_interviews": _l("No interview counts for this wave yet, so there is no estimate."),
    "survey_no_interviews": _l("There are no accepted interviews in this wave yet, so nothing can be weighted."),
    "survey_population_invalid": _l("The population figures must be positive numbers of residents."),
    "survey_group_unknown": _l(
        "Some interviews are in a community, age group or sex that the population figures do not list. "
        "Check the population figures for this wave."
    ),
    "survey_group_not_interviewed": _l(
        "Some residents counted in the population figures (a community, an age group or a sex) have no interview, "
        "so the survey cannot speak for them yet. Interview there, or merge the group with a neighbouring one."
    ),
    "survey_margins_disagree": _l(
        "The population by age and sex does not add up to the communities' resident population (they differ by more "
        "than 1%). Check that both are for this wave's area and year."
    ),
    "survey_not_converged": _l(
        "The weights could not be made to match the population figures. Usually some communities were interviewed in "
        "only one age group or sex; interview more widely there."
    ),
    "survey_jackknife_too_thin": _l(
        "The jackknife needs at least two interviews in every community, age group and sex; use the standard "
        "intervals for this wave."
    ),
    # campaigns: activities, service hours and QR codes
    "activity_title": _l("Give the activity a title of at most 100 characters."),
    "unknown_channel": _l("Choose one of the listed channels."),
    "unknown_kind": _l("Choose one of the listed kinds of activity."),
    "activity_date_range": _l("The date must lie within the last 10 years or the coming year."),
    "count_range": _l("Enter a whole number from 0 to 1,000,000."),
    "text_too_long": _l("This text is too long."),
    "control_characters": _l(
        "Invisible control characters (often copied along from another program) are not allowed here. "
        "Check the text and send it again."
    ),
    "community_unknown": _l("Choose a community or village you are responsible for."),
    "volunteer_unknown": _l("There is no such volunteer among those you are responsible for."),
    "volunteer_not_active": _l("Only active volunteers can be recorded as having served."),
    "volunteer_other_street": _l("This volunteer belongs to another street than the activity's community."),
    "volunteer_repeated": _l("Each volunteer can be listed only once."),
    "hours_range": _l("Service hours must be more than 0 and at most 24."),
    "volunteers_elsewhere": _l("Volunteers of another street served here; remove their hours first."),
    # volunteers
    "phone_invalid": _l("Enter a mainland mobile number: 11 digits starting with 1, e.g. 138 0013 8000."),
    "phone_taken": _l("A volunteer with this mobile number is already registered."),
    "phone_twice_in_file": _l("This mobile number appears on an earlier line of the file."),
    "name_required": _l("Enter the name (at most 50 characters)."),
    "birth_year_invalid": _l("Enter a plausible four-digit birth year."),
    "guardian_required": _l("Volunteers under 18 need their guardian's name and consent."),
    "consent_required": _l("Consent to keeping these details is required."),
    "choice_unknown": _l("Choose one of the listed options."),
    "team_elsewhere": _l("Choose a team of this community or of its street."),
    "invalid_transition": _l("This status change is not possible from the volunteer's current status."),
    "ambassador_not_eligible": _l("Only an active volunteer of this community can be its ambassador."),
    "team_name_required": _l("Enter the team's name (at most 100 characters)."),
    "team_region_level": _l("A team belongs to a street, a community or a village."),
    "team_exists": _l("This area already has a team with this name."),
    "course_required": _l("Enter the course name (at most 100 characters)."),
    "hours_invalid": _l("Enter the hours as a number above 0 and at most 200."),
    "date_in_future": _l("The date cannot be in the future."),
    "import_empty": _l("The file holds nobody to import."),
    "import_too_many": _l("The file has too many rows; split it into files of at most 5,000 people."),
    "import_format": _l("The file could not be read. Upload a CSV (UTF-8) or XLSX file."),
    "import_columns": _l("The first row lacks required column names."),
    "search_phone_digits": _l(
        "Search by name or by the last 4 digits of the mobile number; longer numbers cannot be searched."
    ),
    "erase_confirm": _l("Tick the box to confirm that the volunteer's personal data is to be erased."),
    "erase_reason": _l("Choose why the personal data is erased."),
    # key-population training
    "unit_name_invalid": _l("Enter the unit's name (at most 100 characters)."),
    "unit_kind_invalid": _l("Choose the kind of unit from the list."),
    "unit_region_invalid": _l("Choose a street, community or village you are responsible for."),
    "roster_phone_taken": _l("This mobile number is already on the unit's roster."),
    "roster_member_erased": _l("This person's data was erased; nothing more can be changed."),
    "date_invalid": _l("Enter a date such as 2026-03-01, not in the future."),
    "training_invitation_unknown": _l(
        "This invitation code is not valid: it may be mistyped, used already or expired. Ask for a new one."
    ),
    "trainee_unknown": _l("Please sign in for training with your invitation code first."),
    "course_not_found": _l("There is no such course for your role."),
    "exam_lessons_unread": _l("Read every lesson of the course first; then the exam opens."),
    "exam_certified": _l("You hold a valid certificate of this course; it can be renewed shortly before it expires."),
    "exam_limit": _l("You have used today's exam sittings. Read the lessons again and try tomorrow."),
    "exam_closed": _l("This exam sitting is closed. Start a new one from the course page."),
    "exam_submitted": _l("These answers were already handed in. Your first answers count."),
    "exam_expired": _l("The time for this exam sitting is up. Start a new one from the course page."),
    "exam_not_found": _l("We could not find this exam sitting."),
    "training_certificate_unknown": _l("We could not find this certificate."),
    "offline_activity_invalid": _l("Choose a training activity in your area."),
    "offline_not_allowed": _l("This course does not count offline training."),
    "offline_attendance_invalid": _l("Tick at least one person who attended (at most 500)."),
    "offline_role_mismatch": _l("Someone ticked has a role this course does not train."),
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


def message(code: str) -> str:
    return str(MESSAGES.get(code, MESSAGES["bad_request"]))


class DomainError(Exception):
    """A refusal the person should understand, raised by the domain and answered in one place.

    ``code`` selects the translated top-level message; ``fields`` maps a form or body field
    to the code of its own message; ``status`` is the HTTP status it is answered with. A
    subclass sets the defaults for its kind of refusal.
    """

    code: str = "unprocessable"
    status: int = 422

    def __init__(self, code: str | None = None, fields: Mapping[str, str] | None = None, status: int | None = None):
        self.fields = dict(fields or {})
        if code is None and len(self.fields) == 1:
            code = next(iter(self.fields.values()))
        self.code = code or type(self).code
        if status is not None:
            self.status = status
        #: on the site, the messages that no form field shows (set when the form page is shown)
        self.loose: list[str] = []
        super().__init__(", ".join(f"{name}: {value}" for name, value in self.fields.items()) or self.code)

    @property
    def message(self) -> str:
        return message(self.code)

    def field_messages(self) -> dict[str, list[str]]:
        return {name: [message(code)] for name, code in self.fields.items()}

    def details(self, user: Any) -> dict[str, Any]:
        """Further members of the API's ``fields`` for ``user`` (e.g. the id of a duplicate they may see)."""
        return {}


@dataclass
class RefusalPage:
    """What the site shows when a DomainError escapes a view: the view's own page, re-rendered."""

    render: Callable[[DomainError], Any]
    form: Any = None
    #: the form field that shows a domain field's message, where their names differ
    field_names: Mapping[str, str] = field(default_factory=dict)

    def show_on_form(self, error: DomainError) -> list[str]:
        """Put each message beside its field; the ones without a field are returned."""
        loose = []
        for name, code in error.fields.items():
            target = getattr(self.form, self.field_names.get(name, name), None) if self.form is not None else None
            if target is not None and isinstance(getattr(target, "errors", None), list | tuple):
                target.errors = [*target.errors, message(code)]
            else:
                loose.append(message(code))
        if not error.fields:
            loose.append(error.message)
        return loose


def on_refusal(render: Callable[[DomainError], Any], form: Any = None, **field_names: str) -> None:
    """Declare the page to show if the domain refuses what this request asks.

    ``render(error)`` re-renders the view's page; the error's field messages are first put on
    ``form``'s fields (``field_names`` maps a domain field to a differently named form field),
    and ``error.loose`` holds the messages no field shows. The transaction is rolled back.
    """
    g.refusal_page = RefusalPage(render, form, field_names)


def json_error(status: int, code: str, fields: dict | None = None) -> Response:
    body = {"code": code, "message": message(code), "fields": fields or {}, "request_id": request_id()}
    response = jsonify({"error": body})
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _validation_fields(error: HTTPException) -> dict:
    # webargs puts marshmallow's messages under data["messages"][location]; they are English
    from webapp.field_messages import translate_all

    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    fields: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(translate_all(location_messages))
    return fields


def _own_headers(error: HTTPException) -> list[tuple[str, str]]:
    # what the exception says besides its body, e.g. a 405's Allow; our page replaces the body
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def handle_http_error(error: HTTPException) -> Response | tuple[str, int, list[tuple[str, str]]]:
    status = error.code or 500
    code = "csrf" if isinstance(error, CSRFError) else STATUS_CODES.get(status, "bad_request")
    if status == 429:
        count_rate_limited(request.endpoint)
        if error.description in MESSAGES:  # a limit that names its own reason
            code = error.description
    if wants_json():
        response = json_error(status, code, _validation_fields(error))
        response.headers.extend(_own_headers(error))
        return response
    return render_template("error.html", status=status, message=message(code)), status, _own_headers(error)


def handle_domain_error(error: DomainError) -> Response | tuple[Any, int]:
    """A refusal: JSON under /api/; on the site the view's form page, else the error page.

    The request's transaction was rolled back before this runs (webapp.transactions).
    """
    if wants_json():
        return json_error(error.status, error.code, {**error.field_messages(), **error.details(g.get("api_user"))})
    page: RefusalPage | None = g.get("refusal_page")
    if page is None:
        return render_template("error.html", status=error.status, message=error.message), error.status
    error.loose = page.show_on_form(error)
    rendered = page.render(error)
    return rendered if isinstance(rendered, tuple) else (rendered, error.status)


def handle_storage_error(error: Exception) -> Response | tuple[str, int]:
    """The database is down, restarting, read-only or full: say so (503) rather than fail (500).

    The transaction is rolled back, so nothing half-written remains; the pool reconnects by
    itself (pre-ping) once the database is back.
    """
    from flask import current_app

    from webapp.extensions import db

    db.session.rollback()
    count_database_error(error)
    current_app.logger.warning("database unavailable: %s", describe(error))
    if wants_json():
        response = json_error(503, "storage_unavailable")
    else:
        response = current_app.make_response(
            (render_template("error.html", status=503, message=message("storage_unavailable")), 503)
        )
    response.headers["Retry-After"] = "30"
    return response


def handle_unexpected(error: Exception) -> Response | tuple[str, int, list[tuple[str, str]]]:
    from flask import current_app

    current_app.logger.exception("unhandled error", exc_info=error)
    return handle_http_error(InternalServerError())


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_storage_error)
    app.register_error_handler(InterfaceError, handle_storage_error)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
