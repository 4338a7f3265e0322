"""/api/v1 volunteers, teams and ambassadors: the site's capabilities over bearer tokens.

Same service functions, permissions, masking and audit as the staff pages: lists mask
phones; a detail shows the whole number only to roles allowed to see it, and each such
view is audited; every export is audited with its filter and row count.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from api.auth import api_user, requires_token
from api.docs import errors, export_responses, person_export_responses
from api.pagination import page_of
from api.schemas import PageArgsSchema, PageSchema, PersonExportArgsSchema, Text
from api.timestamps import DateTime
from webapp.accounts.permissions import find_region
from webapp.errors import MESSAGES
from webapp.exports import FORMATS, table_response
from webapp.paging import paginate
from webapp.person_data import person_download
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.urls import MAX_ID
from webapp.volunteers import listing
from webapp.volunteers import service as volunteers
from webapp.volunteers.models import (
    AVAILABILITY,
    ERASURE_REASONS,
    GENDERS,
    LANGUAGES,
    SKILLS,
    STATUSES,
    TRANSITIONS,
    Team,
    Volunteer,
)
from webapp.volunteers.service import MAX_TRAINING_HOURS, OLDEST_AGE, YOUNGEST_AGE, VolunteerError
from webapp.volunteers.validation import MAX_COURSE, MAX_GUARDIAN_NAME, MAX_NAME, MAX_NOTES, MAX_TEAM_NAME

PREFIX = ""
blp = Blueprint(
    "api_volunteers", __name__, description="Volunteers, their teams and trainings, and community ambassadors"
)

ID = validate.Range(min=1, max=MAX_ID)
CODE = validate.Length(min=1, max=32)
NAME = validate.Length(min=1, max=MAX_NAME)


# --- schemas -----------------------------------------------------------------------


class VolunteerQuerySchema(PageArgsSchema):
    region = Text(validate=CODE, metadata={"description": "code of a community, village or street: its whole subtree"})
    team = fields.Integer(validate=ID, metadata={"description": "team id"})
    status = Text(validate=validate.OneOf(STATUSES))
    skill = Text(validate=validate.OneOf(SKILLS))
    trained = fields.Boolean(metadata={"description": "true: at least one training; false: none"})
    q = Text(
        validate=validate.Length(max=listing.SEARCH_LENGTH),
        metadata={
            "description": "part of the name, or the phone's last 4 digits; a whole number only for roles that see "
            "whole numbers (others get 422). Every search by phone digits is written to the audit log"
        },
    )


class ExportQuerySchema(VolunteerQuerySchema):
    class Meta:
        exclude = ("page", "per_page")

    format = Text(load_default="csv", validate=validate.OneOf(FORMATS))


class VolunteerSummarySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    masked_phone = fields.String(required=True, metadata={"description": "e.g. 138****5678"})
    community = fields.String(required=True, metadata={"description": "community or village code"})
    community_name = fields.String(required=True)
    team_id = fields.Integer(allow_none=True)
    team_name = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"description": "pending, active, inactive or rejected"})
    skills = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    availability = fields.String(allow_none=True)
    trainings = fields.Integer(required=True, metadata={"description": "how many trainings are recorded"})
    service_hours = fields.Float(required=True, metadata={"description": "hours served at campaign activities"})
    ambassador = fields.Boolean(required=True, metadata={"description": "the community's fire-safety ambassador"})
    created_at = DateTime(required=True)


class TrainingSchema(Schema):
    id = fields.Integer(dump_only=True)
    course = Text(required=True, validate=validate.Length(min=1, max=MAX_COURSE))
    # 0 passes here and is refused by the service, whose code (hours_invalid) the answer names
    hours = fields.Float(
        required=True, validate=validate.Range(min=0, max=MAX_TRAINING_HOURS, error=MESSAGES["hours_invalid"])
    )
    held_on = fields.Date(required=True)
    certified = fields.Boolean(load_default=False)


class VolunteerSchema(VolunteerSummarySchema):
    phone = fields.String(
        allow_none=True,
        metadata={"description": "the whole number: only for staff and admins, and each view is audited"},
    )
    gender = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    consent_at = DateTime(required=True)
    consent_version = fields.String(
        allow_none=True, metadata={"description": "the consent text version agreed to; null before versions"}
    )
    guardian_name = fields.String(allow_none=True)
    guardian_consent_at = DateTime(allow_none=True)
    source = fields.String(required=True)
    notes = fields.String(allow_none=True)
    decided_at = DateTime(allow_none=True)
    training_records = fields.List(fields.Nested(TrainingSchema), required=True)


class VolunteerPageSchema(PageSchema):
    items = fields.List(fields.Nested(VolunteerSummarySchema), required=True)


class VolunteerInputSchema(Schema):
    name = Text(required=True, validate=NAME)
    phone = Text(required=True, validate=validate.Length(min=1, max=30))
    community = Text(required=True, validate=CODE, metadata={"description": "community or village code"})
    gender = Text(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_year = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1000, max=9999),
        metadata={"description": f"four digits, of someone aged {YOUNGEST_AGE} to {OLDEST_AGE} this year"},
    )
    team_id = fields.Integer(strict=True, allow_none=True, validate=ID)
    skills = fields.List(Text(validate=validate.OneOf(SKILLS)), validate=validate.Length(max=20))
    languages = fields.List(Text(validate=validate.OneOf(LANGUAGES)), validate=validate.Length(max=20))
    availability = Text(allow_none=True, validate=validate.OneOf(AVAILABILITY))
    consent = fields.Boolean(
        metadata={"description": "the volunteer agreed to the use of these details; required to register"}
    )
    guardian_name = Text(allow_none=True, validate=validate.Length(max=MAX_GUARDIAN_NAME))
    guardian_consent = fields.Boolean(metadata={"description": "under 18: the guardian agreed"})
    notes = Text(multiline=True, allow_none=True, validate=validate.Length(max=MAX_NOTES))


class VolunteerPatchSchema(VolunteerInputSchema):
    """Any of the input fields; those left out keep their values."""

    name = Text(validate=NAME)
    phone = Text(validate=validate.Length(min=1, max=30))
    community = Text(validate=CODE, metadata={"description": "community or village code"})


class StatusChangeSchema(Schema):
    action = Text(required=True, validate=validate.OneOf(list(TRANSITIONS)))


class EraseArgsSchema(Schema):
    reason = Text(
        load_default="request",
        validate=validate.OneOf(ERASURE_REASONS),
        metadata={"description": "request (the volunteer asked) or consent_withdrawn"},
    )


class TeamSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=MAX_TEAM_NAME))
    region = Text(required=True, validate=CODE, metadata={"description": "street, community or village code"})
    region_name = Text(dump_only=True)
    size = fields.Integer(dump_only=True, metadata={"description": "volunteers in the team"})


class TeamPageSchema(PageSchema):
    items = fields.List(fields.Nested(TeamSchema), required=True)


class AmbassadorInputSchema(Schema):
    volunteer_id = fields.Integer(strict=True, required=True, validate=ID)


class AmbassadorSchema(Schema):
    community = fields.String(required=True)
    volunteer_id = fields.Integer(required=True)
    volunteer_name = fields.String(required=True)
    designated_at = DateTime(required=True)


# --- helpers -------------------------------------------------------------------------


def _region(field: str, code: str | None) -> Region:
    """The region ``code`` names in the caller's scope; one outside it is refused like an unknown one.

    :raises VolunteerError: ``field`` — community_unknown.
    """
    try:
        return find_region(api_user(), code)
    except NotFound:
        raise VolunteerError({field: "community_unknown"}) from None


def _summary(volunteer: Volunteer, hours: dict[int, float], ambassadors: set[int]) -> dict[str, Any]:
    """What every list shows of a volunteer: the phone only masked."""
    return {
        "id": volunteer.id,
        "name": volunteer.name,
        "masked_phone": volunteer.masked_phone,
        "community": volunteer.community.code,
        "community_name": volunteer.community.name_zh,
        "team_id": volunteer.team_id,
        "team_name": volunteer.team.name if volunteer.team else None,
        "status": volunteer.status,
        "skills": list(volunteer.skills or []),
        "languages": list(volunteer.languages or []),
        "availability": volunteer.availability,
        "trainings": len(volunteer.trainings),
        "service_hours": hours.get(volunteer.id, 0.0),
        "ambassador": volunteer.id in ambassadors,
        "created_at": volunteer.created_at,
    }


def _detail(volunteer: Volunteer, phone: str | None = None) -> dict[str, Any]:
    """The staff view of one volunteer; ``phone`` is the whole number when the caller may see it."""
    data = _summary(volunteer, volunteers.service_hours([volunteer.id]), volunteers.ambassador_ids([volunteer.id]))
    data.update(
        phone=phone,
        gender=volunteer.gender,
        birth_year=volunteer.birth_year,
        consent_at=volunteer.consent_at,
        consent_version=volunteer.consent_version,
        guardian_name=volunteer.guardian_name,
        guardian_consent_at=volunteer.guardian_consent_at,
        source=volunteer.source,
        notes=volunteer.notes,
        decided_at=volunteer.decided_at,
        training_records=list(volunteer.trainings),
    )
    return data


def _current_data(volunteer: Volunteer) -> dict[str, Any]:
    """The volunteer as ``update_volunteer`` data, for a PATCH to change parts of."""
    return {
        "name": volunteer.name,
        "phone": volunteer.phone,
        "community": volunteer.community.code,
        "gender": volunteer.gender,
        "birth_year": volunteer.birth_year,
        "team_id": volunteer.team_id,
        "skills": list(volunteer.skills or []),
        "languages": list(volunteer.languages or []),
        "availability": volunteer.availability,
        "guardian_name": volunteer.guardian_name,
        "guardian_consent": volunteer.guardian_consent_at is not None,
        "notes": volunteer.notes,
    }


# --- volunteers ----------------------------------------------------------------------


@blp.get("/volunteers")
@requires_token("volunteers.read")
@blp.arguments(VolunteerQuerySchema, location="query")
@blp.response(200, VolunteerPageSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not read volunteers"),
    (422, "Invalid filter; `fields.q` for a phone search the role may not make"),
    bearer=True,
)
def list_volunteers(args: dict) -> dict:
    """Volunteers in the caller's area, newest first; phones are always masked here."""
    found = listing.list_volunteers(api_user(), args, args["page"], args["per_page"])
    page = found.page
    items = [_summary(v, found.hours, found.ambassadors) for v in page.items]
    return page_of(items, page.total, page.number, page.per_page)


@blp.post("/volunteers")
@requires_token("volunteers.write")
@blp.arguments(VolunteerInputSchema)
@blp.response(201, VolunteerSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not register volunteers"),
    (409, "The phone is registered already; `fields.existing_id`"),
    (422, "Invalid input, per field"),
    bearer=True,
)
def create_volunteer(body: dict) -> dict:
    """Register a volunteer; active at once. Consent is required, and a guardian's under 18."""
    community = _region("community", body.pop("community"))
    return _detail(volunteers.register_volunteer(body, community, "api", api_user()))


@blp.get("/volunteers/export")
@requires_token("volunteers.export")
@blp.arguments(ExportQuerySchema, location="query")
@blp.doc(
    responses=export_responses("the filtered list as a file; phones whole for staff and admins, masked for organizers")
)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not export volunteers"),
    (422, "Invalid filter or format"),
    bearer=True,
)
def export_volunteers(args: dict) -> Response:
    """The filtered list as CSV or XLSX; every export is written to the audit log."""
    table = listing.export_table(api_user(), args, args["format"])
    return table_response(args["format"], "volunteers", table.headers, table.rows)


@blp.get("/volunteers/<int:volunteer_id>")
@requires_token("volunteers.read")
@blp.response(200, VolunteerSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not read volunteers"),
    (404, "No such volunteer in the caller's area"),
    bearer=True,
)
def get_volunteer(volunteer_id: int) -> dict:
    """One volunteer; `phone` is whole for staff and admins (audited), null for organizers."""
    user = api_user()
    volunteer = volunteers.get_volunteer(user, volunteer_id)
    return _detail(volunteer, volunteers.view_whole_phone(user, volunteer))


@blp.patch("/volunteers/<int:volunteer_id>")
@requires_token("volunteers.write")
@blp.arguments(VolunteerPatchSchema)
@blp.response(200, VolunteerSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not change volunteers"),
    (404, "No such volunteer in the caller's area"),
    (409, "The new phone belongs to another volunteer"),
    (422, "Invalid input, per field"),
    bearer=True,
)
def update_volunteer(body: dict, volunteer_id: int) -> dict:
    """Change some of a volunteer's details; fields left out keep their values."""
    user = api_user()
    volunteer = volunteers.get_volunteer(user, volunteer_id)
    data = {**_current_data(volunteer), **body}
    volunteers.update_volunteer(volunteer, data, _region("community", data.pop("community")), user)
    return _detail(volunteer)


@blp.post("/volunteers/<int:volunteer_id>/status")
@requires_token("volunteers.write")
@blp.arguments(StatusChangeSchema)
@blp.response(200, VolunteerSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not change volunteers"),
    (404, "No such volunteer in the caller's area"),
    (409, "The current status does not allow this move"),
    bearer=True,
    operation_id="changeVolunteerStatus",
)
def change_status(body: dict, volunteer_id: int) -> dict:
    """Approve or reject a self-registration, deactivate or reactivate a volunteer."""
    user = api_user()
    volunteer = volunteers.get_volunteer(user, volunteer_id)
    volunteers.change_status(volunteer, body["action"], user)
    return _detail(volunteer)


@blp.post("/volunteers/<int:volunteer_id>/trainings")
@requires_token("volunteers.write")
@blp.arguments(TrainingSchema)
@blp.response(201, TrainingSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not change volunteers"),
    (404, "No such volunteer in the caller's area"),
    (422, "Invalid input, per field"),
    bearer=True,
    operation_id="addVolunteerTraining",
)
def add_training(body: dict, volunteer_id: int) -> Any:
    """Record a training (course, hours, date, certificate)."""
    user = api_user()
    volunteer = volunteers.get_volunteer(user, volunteer_id)
    return volunteers.add_training(volunteer, body["course"], body["hours"], body["held_on"], body["certified"], user)


@blp.delete("/volunteers/<int:volunteer_id>")
@requires_token("volunteers.erase")
@blp.arguments(EraseArgsSchema, location="query")
@blp.response(204)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not erase volunteers"),
    (404, "No such volunteer in the caller's area, or erased already"),
    (422, "Unknown reason"),
    bearer=True,
)
def erase_volunteer(args: dict, volunteer_id: int) -> None:
    """Erase a volunteer's personal data, on request or consent withdrawn; irreversible.

    Name, phone and every other personal detail are removed; trainings, service hours and
    activities served still count in totals, without identity; an ambassador post is vacated;
    the act is audited. The volunteer then answers 404 and leaves every list and export.
    """
    user = api_user()
    volunteers.erase_volunteer(volunteers.get_volunteer(user, volunteer_id), user, args["reason"])


@blp.get("/volunteers/<int:volunteer_id>/export")
@requires_token("volunteers.person_export")
@blp.arguments(PersonExportArgsSchema, location="query")
@blp.doc(responses=person_export_responses("everything held about the volunteer, as an attachment"))
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not export a person's data"),
    (404, "No such volunteer in the caller's area"),
    (422, "Unknown format"),
    bearer=True,
)
def export_person(args: dict, volunteer_id: int) -> Response:
    """Everything held about one volunteer (record, consent version, trainings, service, ambassador post,
    audit entries about them) as JSON or XLSX, for their request to see it; audited."""
    user = api_user()
    volunteer = volunteers.get_volunteer(user, volunteer_id)
    data = volunteers.person_export(user, volunteer, args["format"])
    return person_download(args["format"], data, f"volunteer-{volunteer.id}")


# --- teams ---------------------------------------------------------------------------


def _team(team: Team, sizes: dict[int, int]) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "region": team.region.code,
        "region_name": team.region.name_zh,
        "size": sizes.get(team.id, 0),
    }


@blp.get("/teams")
@requires_token("volunteers.read")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, TeamPageSchema)
@errors((401, "No valid bearer token"), (403, "The role may not read volunteers"), bearer=True)
def list_teams(args: dict) -> dict:
    """Volunteer teams (志愿服务队) of the streets and communities in the caller's area."""
    page = paginate(volunteers.teams_query(api_user()), args["page"], args["per_page"], (selectinload(Team.region),))
    sizes = volunteers.team_sizes(t.id for t in page.items)
    return page_of([_team(t, sizes) for t in page.items], page.total, page.number, page.per_page)


@blp.post("/teams")
@requires_token("volunteers.write")
@blp.arguments(TeamSchema)
@blp.response(201, TeamSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not create teams"),
    (409, "The area has a team with this name"),
    (422, "Invalid input, per field"),
    bearer=True,
)
def create_team(body: dict) -> dict:
    """A new team of a street, community or village in the caller's area."""
    return _team(volunteers.create_team(body["name"], _region("region", body["region"]), api_user()), {})


# --- ambassadors ---------------------------------------------------------------------


def _ambassador(ambassador: Any) -> dict[str, Any]:
    return {
        "community": ambassador.community.code,
        "volunteer_id": ambassador.volunteer_id,
        "volunteer_name": ambassador.volunteer.name,
        "designated_at": ambassador.designated_at,
    }


@blp.get("/ambassadors/<community_code>")
@requires_token("volunteers.read")
@blp.response(200, AmbassadorSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not read volunteers"),
    (404, "No such community in the caller's area, or no ambassador"),
    bearer=True,
)
def get_ambassador(community_code: str) -> dict:
    """The community's fire-safety ambassador (宣传大使)."""
    ambassador = volunteers.ambassador_of(find_region(api_user(), community_code, LEAF_LEVELS))
    if ambassador is None:
        abort(404)
    return _ambassador(ambassador)


@blp.put("/ambassadors/<community_code>")
@requires_token("volunteers.write")
@blp.arguments(AmbassadorInputSchema)
@blp.response(200, AmbassadorSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "The role may not designate ambassadors"),
    (404, "No such community or volunteer in the caller's area"),
    (422, "The volunteer is not an active volunteer of this community"),
    bearer=True,
)
def designate_ambassador(body: dict, community_code: str) -> dict:
    """Designate the community's one ambassador; an earlier one is replaced."""
    user = api_user()
    community = find_region(user, community_code, LEAF_LEVELS)
    volunteer = volunteers.get_volunteer(user, body["volunteer_id"])
    return _ambassador(volunteers.designate_ambassador(community, volunteer, user))
