"""/api/v1/activities: the 五进 campaign log, with the site's permissions, filters and audit."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import api_user, requires_token
from api.docs import errors, export_responses
from api.pagination import page_of
from api.schemas import PageArgsSchema, PageSchema, Text
from api.timestamps import DateTime
from webapp.accounts.permissions import get_in_scope
from webapp.campaigns import qr
from webapp.campaigns import service as campaigns
from webapp.campaigns.models import CHANNELS, KINDS, Activity
from webapp.exports import FORMATS, table_response
from webapp.i18n import current_lang
from webapp.urls import MAX_ID

PREFIX = ""
blp = Blueprint("api_campaigns", __name__, description="The 五进 campaign log: activities, service hours")


# --- schemas -----------------------------------------------------------------------


class ActivityFilterArgsSchema(Schema):
    community = Text(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "code of a region in your scope; its whole subtree (community, street, district)"},
    )
    channel = Text(validate=validate.OneOf(CHANNELS))
    kind = Text(validate=validate.OneOf(KINDS))
    since = fields.Date(metadata={"description": "held on or after this day"})
    until = fields.Date(metadata={"description": "held on or before this day"})
    q = Text(validate=validate.Length(max=100), metadata={"description": "part of the title or place"})


class ActivityQuerySchema(PageArgsSchema, ActivityFilterArgsSchema):
    pass


class ActivityExportArgsSchema(ActivityFilterArgsSchema):
    format = Text(load_default="csv", validate=validate.OneOf(FORMATS))


class ActivityPatchSchema(Schema):
    title = Text(validate=validate.Length(max=1000), metadata={"description": "at most 100 characters"})
    channel = Text(validate=validate.OneOf(CHANNELS))
    kind = Text(validate=validate.OneOf(KINDS))
    held_on = fields.Date(metadata={"description": "within the last 10 years or up to a year ahead (planned)"})
    community = Text(
        validate=validate.Length(min=1, max=32), metadata={"description": "code of a community or village in scope"}
    )
    place = Text(allow_none=True, validate=validate.Length(max=1000))
    participants = fields.Integer(strict=True, metadata={"description": "people reached in person, 0–1,000,000"})
    materials = fields.Integer(strict=True, metadata={"description": "materials handed out, 0–1,000,000"})
    notes = Text(multiline=True, allow_none=True, validate=validate.Length(max=10000))


class ActivityInputSchema(ActivityPatchSchema):
    title = Text(required=True, validate=validate.Length(max=1000))
    channel = Text(required=True, validate=validate.OneOf(CHANNELS))
    kind = Text(required=True, validate=validate.OneOf(KINDS))
    held_on = fields.Date(required=True)
    community = Text(required=True, validate=validate.Length(min=1, max=32))
    participants = fields.Integer(strict=True, load_default=0)
    materials = fields.Integer(strict=True, load_default=0)


class ActivityServiceInputSchema(Schema):
    volunteer_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID))
    hours = fields.Float(required=True, allow_nan=False, metadata={"description": "more than 0, at most 24"})


class ActivityServicesInputSchema(Schema):
    services = fields.List(
        fields.Nested(ActivityServiceInputSchema),
        required=True,
        validate=validate.Length(max=1000),
        metadata={"description": "the whole list: volunteers left out lose their hours at this activity"},
    )


class ActivityServiceSchema(Schema):
    volunteer_id = fields.Integer(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True, metadata={"description": "masked, e.g. 138****5678"})
    hours = fields.Float(required=True)


class ActivitySummarySchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "printed in the activity's QR code"})
    title = fields.String(required=True)
    channel = fields.String(required=True)
    kind = fields.String(required=True)
    held_on = fields.Date(required=True)
    community = fields.String(required=True, metadata={"description": "community or village code"})
    community_name = fields.String(required=True)
    place = fields.String(allow_none=True)
    participants = fields.Integer(required=True)
    materials = fields.Integer(required=True)


class ActivitySchema(ActivitySummarySchema):
    notes = fields.String(allow_none=True)
    entry_url = fields.String(required=True, metadata={"description": "the address the activity's QR code encodes"})
    services = fields.List(fields.Nested(ActivityServiceSchema), required=True)
    service_hours = fields.Float(required=True, metadata={"description": "volunteers' hours in total"})
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)


class ActivityPageSchema(PageSchema):
    items = fields.List(fields.Nested(ActivitySummarySchema), required=True)
    participants = fields.Integer(
        required=True, metadata={"description": "people reached in person by all matching activities (every page)"}
    )
    materials = fields.Integer(required=True, metadata={"description": "materials handed out, all matching activities"})


# --- helpers -----------------------------------------------------------------------


def _summary(activity: Activity) -> dict:
    return {
        "id": activity.id,
        "code": activity.code,
        "title": activity.title,
        "channel": activity.channel,
        "kind": activity.kind,
        "held_on": activity.held_on,
        "community": activity.community.code,
        "community_name": activity.community.name(current_lang()),
        "place": activity.place,
        "participants": activity.participants,
        "materials": activity.materials,
    }


def _detail(activity: Activity) -> dict:
    services = sorted(activity.services, key=lambda s: (s.volunteer.name, s.volunteer_id))
    return {
        **_summary(activity),
        "notes": activity.notes,
        "entry_url": qr.activity_url(activity),
        "services": [
            {
                "volunteer_id": s.volunteer_id,
                "name": s.volunteer.shown_name,
                "phone": s.volunteer.masked_phone,
                "hours": s.hours,
            }
            for s in services
        ],
        "service_hours": sum(s.hours for s in services),
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
    }


def _in_scope(activity_id: int) -> Activity:
    return get_in_scope(api_user(), Activity, activity_id)


# --- endpoints ---------------------------------------------------------------------


@blp.get("/activities")
@requires_token("activities.read")
@blp.arguments(ActivityQuerySchema, location="query")
@blp.response(200, ActivityPageSchema)
@errors(401, 403, (422, "Invalid filter, or a region outside your scope"), bearer=True)
def list_activities(args: dict):
    """Activities in your scope matching the filters, newest first, with totals over every page."""
    found = campaigns.find_activities(api_user(), args, args["page"], args["per_page"])
    page, totals = found.page, found.totals
    body = page_of([_summary(a) for a in page.items], page.total, page.number, page.per_page)
    return {**body, "participants": totals.participants, "materials": totals.materials}


@blp.post("/activities")
@requires_token("activities.write")
@blp.arguments(ActivityInputSchema)
@blp.response(201, ActivitySchema)
@errors(401, 403, (422, "Invalid input; `fields` says which"), bearer=True)
def create_activity(body: dict):
    """Log an activity (held or planned) in a community or village of your scope."""
    return _detail(campaigns.log_activity(body, body["community"], api_user()))


@blp.get("/activities/export")
@requires_token("activities.read")
@blp.arguments(ActivityExportArgsSchema, location="query")
@errors(401, 403, (422, "Invalid filter, or a region outside your scope"), bearer=True)
@blp.doc(responses=export_responses("every matching activity as CSV (UTF-8 with BOM) or XLSX; the export is audited"))
def export_activities(args: dict) -> Response:
    """Download the activities matching the filters (no paging); recorded in the audit log."""
    return table_response(args["format"], *campaigns.export_activities(api_user(), args, current_lang()))


@blp.get("/activities/<int:activity_id>")
@requires_token("activities.read")
@blp.response(200, ActivitySchema)
@errors(401, 403, (404, "No such activity in your scope"), bearer=True)
def get_activity(activity_id: int):
    """One activity with the volunteers who served (phones masked)."""
    return _detail(_in_scope(activity_id))


@blp.patch("/activities/<int:activity_id>")
@requires_token("activities.write")
@blp.arguments(ActivityPatchSchema)
@blp.response(200, ActivitySchema)
@errors(401, 403, (404, "No such activity in your scope"), (422, "Invalid input; `fields` says which"), bearer=True)
def update_activity(body: dict, activity_id: int):
    """Change some fields of an activity; fields left out stay as they are."""
    activity = _in_scope(activity_id)
    campaigns.change_activity(activity, body, api_user(), body.get("community"))
    return _detail(activity)


@blp.put("/activities/<int:activity_id>/services")
@requires_token("activities.write")
@blp.arguments(ActivityServicesInputSchema)
@blp.response(200, ActivitySchema)
@errors(
    401,
    403,
    (404, "No such activity in your scope"),
    (422, "Unknown, inactive or foreign volunteer, or bad hours"),
    bearer=True,
    operation_id="setActivityServices",
)
def set_services(body: dict, activity_id: int):
    """Replace the list of volunteers who served and their hours.

    Volunteers must be active and belong to the same street as the activity's community;
    hours are more than 0 and at most 24.
    """
    activity = _in_scope(activity_id)
    campaigns.record_service(activity, [(s["volunteer_id"], s["hours"]) for s in body["services"]], api_user())
    return _detail(activity)
