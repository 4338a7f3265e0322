"""/api/v1 key-population training: units, rosters, invitations, offline training and the rate
over bearer tokens; a trainee's course, exam and certificate over an ``X-Trainee-Token``.

Same service functions, permissions, masking and audit as the site: a unit manager's token sees
their own unit only; rosters list masked numbers; exams are drawn on the server and answered by
position, and no answer key is sent before the hand-in.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.auth import api_user, requires_token
from api.docs import TRAINEE_HEADER, errors, person_export_responses
from api.pagination import page_of
from api.schemas import (
    FeedbackSchema,
    LangArgsSchema,
    PageArgsSchema,
    PageSchema,
    PersonExportArgsSchema,
    ServedQuestionSchema,
    SubmissionSchema,
    Text,
    answer_choices,
)
from api.timestamps import DateTime
from quizzes.courses import Course
from quizzes.library import Library
from quizzes.service import feedback_on, served_questions
from webapp.accounts.permissions import find_region, get_in_scope, public
from webapp.campaigns.models import Activity
from webapp.clock import local_today
from webapp.extensions import db, limiter, login_rate_limit, quiz_rate_limit
from webapp.i18n import current_lang
from webapp.links import public_url
from webapp.ops.logs import path_kept_out_of_logs
from webapp.person_data import person_download
from webapp.regions.models import Region
from webapp.stats.periods import requested_period
from webapp.training import certificates, exports, learning, rates, roster, trainees, units
from webapp.training.desk import training_desk
from webapp.training.errors import CertificateUnknown, TraineeUnknown, TrainingError
from webapp.training.models import UNIT_KINDS, RosterMember, TrainingCertificate, Unit
from webapp.training.pictures import training_certificate_facts
from webapp.urls import MAX_ID

PREFIX = ""
blp = Blueprint("api_training", __name__, description="Key-population training: units, rosters, courses, exams")

ID = validate.Range(min=1, max=MAX_ID)
CODE = validate.Length(min=1, max=32)


def _library() -> Library:
    return current_app.extensions["library"]


# --- schemas -----------------------------------------------------------------------------------


class TrainingRoleSchema(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    courses = fields.List(fields.String(), required=True, metadata={"description": "slugs of the courses for it"})


class TrainingCourseSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    lessons = fields.List(fields.String(), required=True, metadata={"description": "lesson slugs, in reading order"})
    hours = fields.Float(required=True, metadata={"description": "study hours (学时) the certificate states"})
    exam_questions = fields.Integer(required=True)
    exam_bank = fields.Integer(required=True, metadata={"description": "questions the exam is drawn from"})
    pass_mark = fields.Float(required=True)
    time_limit_minutes = fields.Integer(required=True)
    attempts_per_day = fields.Integer(required=True)
    validity_months = fields.Integer(required=True)
    renew_within_days = fields.Integer(required=True)
    offline = fields.Boolean(required=True, metadata={"description": "whether offline training earns it"})


class TrainingListOfRoles(Schema):
    items = fields.List(fields.Nested(TrainingRoleSchema), required=True)


class TrainingListOfCourses(Schema):
    items = fields.List(fields.Nested(TrainingCourseSchema), required=True)


class TrainingTallySchema(Schema):
    members = fields.Integer(required=True, metadata={"description": "people on the rosters that day"})
    trained = fields.Integer(required=True, metadata={"description": "of them, holding a valid certificate"})
    rate = fields.Float(allow_none=True, metadata={"description": "trained ÷ members; null without members"})


class TrainingUnitInputSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=units.MAX_UNIT_NAME))
    kind = Text(required=True, validate=validate.OneOf(UNIT_KINDS))
    key_unit = fields.Boolean(load_default=False, metadata={"description": "消防安全重点单位"})
    region = Text(required=True, validate=CODE, metadata={"description": "code of a street, community or village"})


class TrainingUnitSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    key_unit = fields.Boolean(required=True)
    region = fields.String(required=True)
    region_name = fields.String(required=True)
    rate = fields.Nested(TrainingTallySchema, required=True, metadata={"description": "today, all roles together"})


class TrainingUnitDetailSchema(TrainingUnitSchema):
    by_role = fields.Dict(keys=fields.String(), values=fields.Nested(TrainingTallySchema), required=True)


class TrainingUnitQuerySchema(PageArgsSchema, LangArgsSchema):
    region = Text(validate=CODE, metadata={"description": "a region's code: its whole subtree"})
    kind = Text(validate=validate.OneOf(UNIT_KINDS))
    key_unit = fields.Boolean()
    q = Text(validate=validate.Length(max=units.MAX_UNIT_NAME), metadata={"description": "part of the name"})


class TrainingUnitPageSchema(PageSchema):
    items = fields.List(fields.Nested(TrainingUnitSchema), required=True)


class TrainingMemberInputSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=roster.MAX_NAME))
    phone = Text(required=True, validate=validate.Length(min=1, max=30))
    role = Text(
        required=True, validate=validate.Length(min=1, max=32), metadata={"description": "see GET /training/roles"}
    )
    joined_on = fields.Date(metadata={"description": "from when the person counts for the unit; default today"})


class TrainingMemberSchema(Schema):
    id = fields.Integer(required=True)
    unit_id = fields.Integer(required=True)
    name = fields.String(required=True)
    masked_phone = fields.String(required=True, metadata={"description": "e.g. 139****5678"})
    role = fields.String(required=True)
    joined_on = fields.Date(required=True)
    left_on = fields.Date(allow_none=True)
    source = fields.String(required=True)


class TrainingCertificateSchema(Schema):
    code = fields.String(required=True, metadata={"description": "printed and in its QR code"})
    course = fields.String(required=True)
    role = fields.String(required=True)
    hours = fields.Float(required=True)
    issued_on = fields.Date(required=True)
    valid_until = fields.Date(required=True, metadata={"description": "the last day it counts"})
    offline = fields.Boolean(required=True)
    valid_today = fields.Boolean(required=True)


class TrainingMemberDetailSchema(TrainingMemberSchema):
    certificates = fields.List(fields.Nested(TrainingCertificateSchema), required=True)


class TrainingRosterQuerySchema(PageArgsSchema):
    role = Text(validate=validate.Length(max=32))
    status = Text(load_default="current", validate=validate.OneOf(("current", "left", "all")))
    q = Text(
        validate=validate.Length(max=roster.MAX_NAME),
        metadata={"description": "part of the name, or the last 4 digits of the number"},
    )


class TrainingMemberPageSchema(PageSchema):
    items = fields.List(fields.Nested(TrainingMemberSchema), required=True)


class TrainingImportFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class TrainingImportedSchema(Schema):
    added = fields.Integer(required=True)


class TrainingInvitationSchema(Schema):
    code = fields.String(required=True, metadata={"description": "shown once; print or send it"})
    link = fields.String(required=True, metadata={"description": "the page that signs the person in with it"})
    expires_at = DateTime(required=True)


class TrainingOfflineInputSchema(Schema):
    activity = fields.Integer(
        strict=True, required=True, validate=ID, metadata={"description": "id of a 培训 (training) activity"}
    )
    course = Text(required=True, validate=validate.Length(min=1, max=60))
    members = fields.List(
        fields.Integer(strict=True, validate=ID), required=True, validate=validate.Length(min=1, max=500)
    )


class TrainingIssuedSchema(Schema):
    items = fields.List(fields.Nested(TrainingCertificateSchema), required=True)


class TrainingExpiringQuerySchema(Schema):
    days = fields.Integer(load_default=60, validate=validate.Range(min=1, max=366))


class TrainingExpiringSchema(Schema):
    member = fields.Nested(TrainingMemberSchema, required=True)
    unit = fields.String(required=True)
    certificate = fields.Nested(TrainingCertificateSchema, required=True)


class TrainingListOfExpiring(Schema):
    items = fields.List(fields.Nested(TrainingExpiringSchema), required=True)


class TrainingRoleRateSchema(Schema):
    role = fields.String(required=True)
    rate = fields.Nested(TrainingTallySchema, required=True)
    year_before = fields.Nested(TrainingTallySchema, required=True)
    target = fields.Float(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "met, not_met, or null without a target"})


class TrainingAreaRateSchema(Schema):
    region = fields.String(required=True)
    rate = fields.Nested(TrainingTallySchema, required=True)


class TrainingBehindSchema(Schema):
    unit_id = fields.Integer(required=True)
    unit = fields.String(required=True)
    rate = fields.Nested(TrainingTallySchema, required=True)
    short = fields.Integer(required=True, metadata={"description": "people still to train to reach the targets"})


class TrainingRateSchema(Schema):
    region = fields.String(required=True)
    period = fields.String(required=True)
    day = fields.Date(required=True, metadata={"description": "the day counted: the period's last, or today"})
    rate = fields.Nested(TrainingTallySchema, required=True)
    target = fields.Float(allow_none=True)
    status = fields.String(allow_none=True)
    year_before = fields.Nested(TrainingTallySchema, required=True)
    growth = fields.Float(allow_none=True, metadata={"description": "rate minus the rate a year before"})
    growth_target = fields.Float(allow_none=True)
    growth_status = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(TrainingRoleRateSchema), required=True)
    children = fields.List(fields.Nested(TrainingAreaRateSchema), required=True)
    behind = fields.List(fields.Nested(TrainingBehindSchema), required=True)


class TrainingPeriodQuerySchema(Schema):
    period = Text(validate=validate.Length(min=4, max=9), metadata={"description": "2026-11, 2026Q4, 2026, 2026-2030"})


class TrainingTraineeHeaderSchema(Schema):
    token = Text(data_key=TRAINEE_HEADER, validate=validate.Length(max=100))


class TrainingRedeemSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=40))


class TrainingProgressSchema(Schema):
    course = fields.String(required=True)
    lessons_done = fields.List(fields.String(), required=True)
    lessons_left = fields.List(fields.String(), required=True)
    ready_for_exam = fields.Boolean(required=True)
    sittings_today = fields.Integer(required=True)
    open_exam = fields.String(allow_none=True, metadata={"description": "id of a sitting not yet handed in"})
    certificate = fields.Nested(TrainingCertificateSchema, allow_none=True)


class TrainingTraineeSchema(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True)
    unit = fields.String(required=True)
    courses = fields.List(fields.Nested(TrainingProgressSchema), required=True)
    certificates = fields.List(fields.Nested(TrainingCertificateSchema), required=True)


class TrainingSessionSchema(TrainingTraineeSchema):
    token = fields.String(required=True, metadata={"description": f"send as {TRAINEE_HEADER}; shown once"})


class TrainingExamSchema(Schema):
    id = fields.String(required=True)
    course = fields.String(required=True)
    served_at = DateTime(required=True)
    expires_at = DateTime(required=True, metadata={"description": "hand in before this"})
    pass_mark = fields.Float(required=True)
    questions = fields.List(fields.Nested(ServedQuestionSchema), required=True)


class TrainingExamResultSchema(Schema):
    exam = fields.String(required=True)
    course = fields.String(required=True)
    n_questions = fields.Integer(required=True)
    n_correct = fields.Integer(required=True)
    score = fields.Float(required=True)
    passed = fields.Boolean(required=True)
    certificate = fields.Nested(TrainingCertificateSchema, allow_none=True)
    items = fields.List(fields.Nested(FeedbackSchema), required=True)


class TrainingVerifiedSchema(Schema):
    title = fields.String(required=True)
    name = fields.String(allow_none=True)
    certifies = fields.String(required=True)
    facts = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    valid = fields.Boolean(required=True, metadata={"description": "still counts today"})


# --- what goes out -----------------------------------------------------------------------------


def _tally(tally: rates.Tally) -> dict[str, Any]:
    return {"members": tally.members, "trained": tally.trained, "rate": tally.rate}


def _course(course: Course, lang: str) -> dict[str, Any]:
    exam = course.exam
    return {
        "slug": course.slug,
        "title": course.title[lang],
        "summary": course.summary[lang],
        "roles": list(course.roles),
        "lessons": list(course.lessons),
        "hours": course.hours,
        "exam_questions": exam.n_questions,
        "exam_bank": len(exam.pool),
        "pass_mark": exam.pass_mark,
        "time_limit_minutes": (exam.time_limit_seconds or 0) // 60,
        "attempts_per_day": course.attempts_per_day,
        "validity_months": course.validity_months,
        "renew_within_days": course.renew_within_days,
        "offline": course.offline,
    }


def _unit(unit: Unit, lang: str) -> dict[str, Any]:
    total, _roles = rates.unit_rate(_library().courses.values(), unit, local_today())
    return {
        "id": unit.id,
        "name": unit.name,
        "kind": unit.kind,
        "key_unit": unit.key_unit,
        "region": unit.region.code,
        "region_name": unit.region.name(lang),
        "rate": _tally(total),
    }


def _unit_detail(unit: Unit, lang: str) -> dict[str, Any]:
    _total, by_role = rates.unit_rate(_library().courses.values(), unit, local_today())
    return {**_unit(unit, lang), "by_role": {role: _tally(t) for role, t in by_role.items()}}


def _member(member: RosterMember) -> dict[str, Any]:
    return {
        "id": member.id,
        "unit_id": member.unit_id,
        "name": member.name,
        "masked_phone": member.masked_phone,
        "role": member.role,
        "joined_on": member.joined_on,
        "left_on": member.left_on,
        "source": member.source,
    }


def _certificate(certificate: TrainingCertificate) -> dict[str, Any]:
    return {
        "code": certificate.code,
        "course": certificate.course_slug,
        "role": certificate.role,
        "hours": certificate.hours,
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
        "offline": certificate.offline,
        "valid_today": certificate.valid_on(local_today()),
    }


# --- what everyone may read ------------------------------------------------------------------


@blp.get("/training/roles")
@public
@blp.arguments(LangArgsSchema, location="query")
@blp.response(200, TrainingListOfRoles)
@errors()
def list_roles(args: dict) -> dict:
    """The key groups a roster lists, and the courses that train each."""
    courses = _library().courses.values()
    return {
        "items": [
            {"slug": slug, "name": tag.name(args["lang"]), "courses": [c.slug for c in courses if slug in c.roles]}
            for slug, tag in _library().catalog.taxonomy.roles.items()
        ]
    }


@blp.get("/training/courses")
@public
@blp.arguments(LangArgsSchema, location="query")
@blp.response(200, TrainingListOfCourses)
@errors()
def list_courses(args: dict) -> dict:
    """Every course: its lessons in order, hours, exam, pass mark and validity."""
    return {"items": [_course(course, args["lang"]) for course in _library().courses.values()]}


@blp.get("/training/certificates/<code>")
@public
@path_kept_out_of_logs
@limiter.limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], key_func=lambda: f"verify:{get_remote_address()}")
@blp.arguments(LangArgsSchema, location="query")
@blp.response(200, TrainingVerifiedSchema)
@errors((404, "No certificate has this code"), operation_id="verifyTrainingCertificate")
def verify(args: dict, code: str) -> dict:
    """Public: whether a training certificate with this code was issued, and only what it shows."""
    found = certificates.find_training_certificate(code)
    if found is None:
        raise CertificateUnknown()
    facts = training_certificate_facts(found, _library(), args["lang"])
    return {
        "title": facts.title,
        "name": facts.name,
        "certifies": facts.body,
        "facts": dict(facts.rows),
        "valid": facts.valid,
    }


# --- units and rosters ---------------------------------------------------------------------


@blp.get("/training/units")
@requires_token("units.read")
@blp.arguments(TrainingUnitQuerySchema, location="query")
@blp.response(200, TrainingUnitPageSchema)
@errors(403, 404, bearer=True)
def list_units(args: dict) -> dict:
    """Units in the caller's area (a unit manager: their own), with today's training rate."""
    user = api_user()
    region = find_region(user, args["region"]) if args.get("region") else None
    filters = units.UnitFilter(region, args.get("kind"), args.get("key_unit"), args.get("q", ""))
    page = units.list_units(user, filters, args["page"], args["per_page"])
    lang = args["lang"]
    return page_of([_unit(u, lang) for u in page.items], page.total, args["page"], args["per_page"])


@blp.post("/training/units")
@requires_token("units.write")
@blp.arguments(TrainingUnitInputSchema)
@blp.response(201, TrainingUnitDetailSchema)
@errors(403, (422, "Invalid input; `unit_region_invalid` for a region outside the caller's area"), bearer=True)
def create_unit(body: dict) -> dict:
    """Register a unit in a street, community or village of the caller's area."""
    return _unit_detail(units.create_unit(api_user(), body), current_lang())


@blp.get("/training/units/<int:unit_id>")
@requires_token("units.read")
@blp.response(200, TrainingUnitDetailSchema)
@errors(403, 404, bearer=True)
def get_unit(unit_id: int) -> dict:
    """A unit with today's rate by role."""
    return _unit_detail(units.get_unit(api_user(), unit_id), current_lang())


@blp.put("/training/units/<int:unit_id>")
@requires_token("units.write")
@blp.arguments(TrainingUnitInputSchema)
@blp.response(200, TrainingUnitDetailSchema)
@errors(403, 404, bearer=True)
def update_unit(body: dict, unit_id: int) -> dict:
    unit = units.get_unit(api_user(), unit_id)
    units.update_unit(api_user(), unit, body)
    return _unit_detail(unit, current_lang())


@blp.get("/training/units/<int:unit_id>/roster")
@requires_token("units.read")
@blp.arguments(TrainingRosterQuerySchema, location="query")
@blp.response(200, TrainingMemberPageSchema)
@errors(403, 404, bearer=True)
def list_roster(args: dict, unit_id: int) -> dict:
    """The unit's roster, numbers masked."""
    unit = units.get_unit(api_user(), unit_id)
    status = "" if args["status"] == "all" else args["status"]
    filters = roster.RosterFilter(unit, args.get("role"), status, args.get("q", ""))
    page = roster.list_roster(api_user(), filters, args["page"], args["per_page"])
    return page_of([_member(m) for m in page.items], page.total, args["page"], args["per_page"])


@blp.post("/training/units/<int:unit_id>/roster")
@requires_token("roster.write")
@blp.arguments(TrainingMemberInputSchema)
@blp.response(201, TrainingMemberSchema)
@errors(403, 404, (409, "`roster_phone_taken`: the number is on the roster already"), bearer=True)
def add_member(body: dict, unit_id: int) -> dict:
    """Put a person on the unit's roster."""
    user = api_user()
    unit = units.get_unit(user, unit_id)
    return _member(roster.add_member(user, unit, body, "manager" if user.role == "unit_manager" else "api"))


@blp.post("/training/units/<int:unit_id>/roster/import")
@requires_token("roster.write")
@blp.arguments(TrainingImportFileSchema, location="files")
@blp.response(201, TrainingImportedSchema)
@errors(403, 404, (422, "Nothing was added: `fields` names each faulty line (`line 3`) and why"), bearer=True)
def import_roster(files: dict, unit_id: int) -> dict:
    """A CSV or XLSX roster, all rows or none (columns as the site's template)."""
    unit = units.get_unit(api_user(), unit_id)
    upload = files["file"]
    return {"added": len(roster.import_roster(api_user(), unit, upload.filename or "", upload.read()))}


@blp.get("/training/roster/<int:member_id>")
@requires_token("units.read")
@blp.response(200, TrainingMemberDetailSchema)
@errors(403, 404, bearer=True)
def get_member(member_id: int) -> dict:
    """A person on a roster with their certificates (the number masked)."""
    member = roster.get_member(api_user(), member_id)
    return {**_member(member), "certificates": [_certificate(c) for c in certificates.certificates_of(member)]}


@blp.get("/training/roster/<int:member_id>/export")
@requires_token("roster.person_export")
@blp.arguments(PersonExportArgsSchema, location="query")
@blp.doc(responses=person_export_responses("everything held about the person, as an attachment"))
@errors(
    (403, "The role may not export a person's data"),
    (404, "No such person on a roster of the caller's units"),
    (422, "Unknown format"),
    bearer=True,
    operation_id="exportMember",
)
def export_member(args: dict, member_id: int) -> Response:
    """Everything held about one person on a roster (the entry with the whole number, invitations
    and sign-ins, courses, exams, certificates, audit entries about them) as JSON or XLSX, for
    their request to see it; audited."""
    member = roster.get_member(api_user(), member_id)
    data = exports.member_export(api_user(), member, args["format"])
    return person_download(args["format"], data, f"trainee-{member.id}")


@blp.post("/training/roster/<int:member_id>/leave")
@requires_token("roster.write")
@blp.response(200, TrainingMemberSchema)
@errors(403, 404, bearer=True, operation_id="memberLeaves")
def member_leaves(member_id: int) -> dict:
    """From today the person no longer counts for the unit."""
    member = roster.get_member(api_user(), member_id)
    roster.member_leaves(api_user(), member)
    return _member(member)


@blp.post("/training/roster/<int:member_id>/erasure")
@requires_token("roster.write")
@blp.response(204)
@errors(403, 404, bearer=True, operation_id="eraseMember")
def erase_member(member_id: int) -> None:
    """Erase the person's name and number on request; past figures still count them, anonymously."""
    roster.erase_member(api_user(), roster.get_member(api_user(), member_id))


@blp.post("/training/roster/<int:member_id>/invitations")
@requires_token("roster.write")
@blp.response(201, TrainingInvitationSchema)
@errors(403, 404, (409, "`roster_member_erased`"), bearer=True, operation_id="inviteMember")
def invite(member_id: int) -> dict:
    """A personal single-use invitation; earlier unused ones stop working."""
    member = roster.get_member(api_user(), member_id)
    issued = trainees.issue_invitation(api_user(), member)
    link = public_url("trainee.join", code=issued.code)
    return {"code": trainees.display_code(issued.code), "link": link, "expires_at": issued.expires_at}


@blp.post("/training/offline")
@requires_token("training.offline")
@blp.arguments(TrainingOfflineInputSchema)
@blp.response(201, TrainingIssuedSchema)
@errors(
    403,
    404,
    (422, "`offline_*`: not a training activity, a course without offline training, a role it does not train"),
    bearer=True,
    operation_id="logOfflineTraining",
)
def log_offline(body: dict) -> dict:
    """Certify the attendance list of a 培训 activity for a course that counts offline training."""
    user = api_user()
    activity = get_in_scope(user, Activity, body["activity"])
    course = _library().courses.get(body["course"])
    if course is None:
        raise TrainingError({"course": "course_not_found"})
    members = [roster.get_member(user, member_id) for member_id in dict.fromkeys(body["members"])]
    issued = certificates.log_offline_training(user, activity, course, members)
    return {"items": [_certificate(c) for c in issued]}


@blp.get("/training/expiring")
@requires_token("roster.export")
@blp.arguments(TrainingExpiringQuerySchema, location="query")
@blp.response(200, TrainingListOfExpiring)
@errors(403, bearer=True, operation_id="listExpiringCertificates")
def expiring(args: dict) -> dict:
    """Certificates valid today that expire within `days` and are not renewed yet, soonest first."""
    rows = certificates.expiring(api_user(), local_today(), args["days"])
    return {
        "items": [
            {"member": _member(r.member), "unit": r.unit.name, "certificate": _certificate(r.certificate)} for r in rows
        ]
    }


@blp.get("/stats/regions/<code>/training")
@requires_token("stats.read")
@blp.arguments(TrainingPeriodQuerySchema, location="query")
@blp.response(200, TrainingRateSchema)
@errors(403, 404, bearer=True, operation_id="getTrainingRate")
def training_rate(args: dict, code: str) -> dict:
    """The region's training rate on the period's last day (today while it runs) against its
    targets, by role and by area, with the units furthest behind."""
    region = find_region(api_user(), code)
    period = requested_period(args.get("period"))
    children = db.session.execute(select(Region).where(Region.parent_id == region.id).order_by(Region.code)).scalars()
    desk = training_desk(_library(), region, period, list(children))
    figure = desk.figure
    return {
        "region": region.code,
        "period": period.key,
        "day": rates.as_of(period),
        "rate": {"members": figure.n, "trained": int(figure.count or 0), "rate": figure.value},
        "target": desk.target.value if desk.target else None,
        "status": figure.status,
        "year_before": _tally(desk.year_before),
        "growth": desk.growth,
        "growth_target": desk.growth_target.value if desk.growth_target else None,
        "growth_status": desk.growth_status,
        "roles": [
            {
                "role": line.role,
                "rate": {"members": line.figure.n, "trained": int(line.figure.count or 0), "rate": line.figure.value},
                "year_before": _tally(line.year_before),
                "target": line.target.value if line.target else None,
                "status": line.figure.status,
            }
            for line in desk.roles
        ],
        "children": [
            {"region": child.code, "rate": {"members": f.n, "trained": int(f.count or 0), "rate": f.value}}
            for child, f in desk.children
        ],
        "behind": [
            {"unit_id": b.unit.id, "unit": b.unit.name, "rate": _tally(b.tally), "short": b.short} for b in desk.behind
        ],
    }


# --- the trainee -----------------------------------------------------------------------------------


def _trainee(headers: dict) -> RosterMember:
    member = trainees.find_trainee(headers.get("token"))
    if member is None:
        raise TraineeUnknown()
    return member


def _progress(member: RosterMember, course: Course) -> dict[str, Any]:
    progress = learning.progress_in(member, course)
    return {
        "course": course.slug,
        "lessons_done": list(progress.lessons_done),
        "lessons_left": progress.lessons_left,
        "ready_for_exam": progress.ready_for_exam,
        "sittings_today": progress.sittings_today,
        "open_exam": progress.open_exam.id if progress.open_exam else None,
        "certificate": _certificate(progress.certificate) if progress.certificate else None,
    }


def _trainee_dict(member: RosterMember) -> dict[str, Any]:
    return {
        "name": member.name,
        "role": member.role,
        "unit": member.unit.name,
        "courses": [_progress(member, course) for course in learning.courses_of(_library(), member)],
        "certificates": [_certificate(c) for c in certificates.certificates_of(member)],
    }


@blp.post("/training/sessions")
@public
@limiter.shared_limit(login_rate_limit, "invitation-address", key_func=lambda: f"invitation:{get_remote_address()}")
@blp.arguments(TrainingRedeemSchema)
@blp.response(201, TrainingSessionSchema)
@errors((404, "`training_invitation_unknown`: never issued, used already, or expired"), operation_id="redeemInvitation")
def redeem(body: dict) -> dict:
    """Use up a personal invitation: a trainee token, returned once."""
    token, member = trainees.redeem_invitation(body["code"])
    return {**_trainee_dict(member), "token": token}


@blp.get("/training/me")
@public
@blp.arguments(TrainingTraineeHeaderSchema, location="headers")
@blp.response(200, TrainingTraineeSchema)
@errors(trainee=True, operation_id="getTrainee")
def me(headers: dict) -> dict:
    """The trainee's courses, progress and certificates."""
    return _trainee_dict(_trainee(headers))


@blp.post("/training/courses/<course>/lessons/<lesson>/read")
@public
@blp.arguments(TrainingTraineeHeaderSchema, location="headers")
@blp.response(200, TrainingProgressSchema)
@errors((404, "No such course for the trainee's role, or lesson of it"), trainee=True, operation_id="markLessonRead")
def lesson_read(headers: dict, course: str, lesson: str) -> dict:
    """Note that the trainee read a lesson of the course to the end."""
    member = _trainee(headers)
    found = learning.course_for(_library(), member, course)
    learning.mark_lesson_read(member, found, lesson)
    return _progress(member, found)


def _exam(draw, course: Course, lang: str) -> dict[str, Any]:
    return {
        "id": draw.id,
        "course": course.slug,
        "served_at": draw.served_at,
        "expires_at": draw.expires_at,
        "pass_mark": course.exam.pass_mark,
        "questions": served_questions(_library(), draw, lang),
    }


@blp.post("/training/courses/<course>/exams")
@public
@limiter.limit(quiz_rate_limit)
@blp.arguments(TrainingTraineeHeaderSchema, location="headers")
@blp.arguments(LangArgsSchema, location="query")
@blp.response(201, TrainingExamSchema)
@errors(
    (404, "No such course for the trainee's role"),
    (409, "`exam_lessons_unread`, `exam_limit` (today's sittings used) or `exam_certified` (valid, not yet renewable)"),
    trainee=True,
    operation_id="startExam",
)
def start_exam(headers: dict, args: dict, course: str) -> dict:
    """The open sitting of the course's exam, or a fresh one; no answer key is part of it."""
    member = _trainee(headers)
    found = learning.course_for(_library(), member, course)
    return _exam(learning.start_exam(_library(), member, found), found, args["lang"])


@blp.post("/training/exams/<exam_id>/submission")
@public
@limiter.limit(quiz_rate_limit)
@blp.arguments(TrainingTraineeHeaderSchema, location="headers")
@blp.arguments(SubmissionSchema)
@blp.arguments(LangArgsSchema, location="query")
@blp.response(201, TrainingExamResultSchema)
@errors(
    (404, "No such sitting of this trainee"),
    (409, "`exam_submitted` or `exam_expired`"),
    (422, "A question or option the sitting does not have"),
    trainee=True,
    operation_id="submitExam",
)
def submit_exam(headers: dict, body: dict, args: dict, exam_id: str) -> dict:
    """Hand the sitting in: the score, pass or not, the feedback with the keys, and the certificate."""
    member = _trainee(headers)
    draw = learning.own_exam(member, exam_id)
    result = learning.submit_exam(_library(), member, draw, answer_choices(body))
    attempt = result.attempt
    return {
        "exam": draw.id,
        "course": draw.enrollment.course_slug,
        "n_questions": attempt.n_questions,
        "n_correct": attempt.n_correct,
        "score": attempt.score,
        "passed": attempt.passed,
        "certificate": _certificate(result.certificate) if result.certificate else None,
        "items": feedback_on(_library(), draw, learning.marked(attempt), args["lang"]),
    }
