from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from api.auth import api_user, token_required
from api.docs import errors
from api.pagination import offset, page_of
from api.schemas import PageArgsSchema, PageSchema, Text
from api.timestamps import DateTime
from webapp.accounts.permissions import require
from webapp.audit.service import audit_query
from webapp.extensions import db

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
@token_required
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
    user = api_user()
    require(user, "audit.read")
    stmt = audit_query(user, args.get("user"), args.get("action"), args.get("since"), args.get("until"))
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    items = db.session.execute(stmt.offset(offset(args)).limit(args["per_page"])).scalars().all()
    return page_of(items, total, args["page"], args["per_page"])
