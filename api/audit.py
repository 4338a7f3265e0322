from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import api_user, requires_token
from api.docs import errors
from api.pagination import page_of
from api.schemas import PageArgsSchema, PageSchema, Text
from api.timestamps import DateTime
from webapp.audit.service import AuditFilters, audit_page

PREFIX = "/audit"
blp = Blueprint("api_audit", __name__, description="The audit log (admins and organizers)")


class AuditQuerySchema(PageArgsSchema):
    user = fields.Integer(validate=validate.Range(min=1), metadata={"description": "account id"})
    action = Text(validate=validate.Length(max=40))
    since = fields.Date()
    until = fields.Date()


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = DateTime(required=True)
    username = fields.Function(lambda e: e.user.username if e.user else None, allow_none=True)
    action = fields.String(required=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    details = fields.Dict(required=True)
    row_count = fields.Integer(allow_none=True)


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)


@blp.get("")
@requires_token("audit.read")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
@errors(
    (401, "No valid bearer token"),
    (403, "Only admins and organizers read the audit log"),
    bearer=True,
    operation_id="listAuditEntries",
)
def list_entries(args: dict) -> dict:
    """Audit entries the caller may read, newest first."""
    filters: AuditFilters = {
        "user_id": args.get("user"),
        "action": args.get("action"),
        "since": args.get("since"),
        "until": args.get("until"),
    }
    page = audit_page(api_user(), args["page"], args["per_page"], filters)
    return page_of(page.items, page.total, page.number, page.per_page)
