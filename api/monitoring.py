"""/api/v1: monitoring waves, population margins, interviewers, interviews, progress and estimates.

The site's permissions hold: organizers set up and read the waves of their scope; an interviewer
sees only the waves they are assigned to and only their own interviews; every act is audited.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import api_user, requires_token
from api.docs import errors
from api.pagination import page_of
from api.schemas import PageArgsSchema, PageSchema, ServedQuestionSchema, SubmissionSchema, Text, answer_choices
from api.timestamps import DateTime
from quizzes.library import Library
from quizzes.service import served_questions
from webapp.accounts.permissions import find_region
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.monitoring import interviews as fieldwork
from webapp.monitoring import waves as setup
from webapp.monitoring.estimates import wave_estimates
from webapp.monitoring.models import ALLOCATIONS, AREA_TYPES, MODES, WEIGHTING_METHODS, Interview, Wave
from webapp.monitoring.progress import wave_progress
from webapp.monitoring.quality import QualityRules
from webapp.paging import paginate
from webapp.regions.margins import import_margins, margins_of
from webapp.regions.models import SEXES

PREFIX = ""
blp = Blueprint("api_monitoring", __name__, description="Monitoring waves: sampled, weighted awareness surveys")


# --- schemas -----------------------------------------------------------------------


class MarginCellSchema(Schema):
    age_band = Text(required=True, validate=validate.Length(min=1, max=16), metadata={"description": "15-29 or 60+"})
    sex = Text(required=True, validate=validate.OneOf(SEXES))
    population = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=10**11))


class MarginsSchema(Schema):
    region = fields.String(dump_only=True)
    cells = fields.List(fields.Nested(MarginCellSchema), required=True, validate=validate.Length(min=2, max=400))


class WaveInputSchema(Schema):
    region = Text(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "city, district or street code"},
    )
    title = Text(required=True, validate=validate.Length(max=1000), metadata={"description": "at most 100 characters"})
    period = Text(
        required=True, validate=validate.Length(max=16), metadata={"description": "2026, 2026Q4, 2026-11 or 2026-2030"}
    )
    target_size = fields.Integer(strict=True, required=True, metadata={"description": "30 to 100,000 interviews"})
    allocation = Text(required=True, validate=validate.OneOf(ALLOCATIONS))
    modes = fields.List(Text(validate=validate.OneOf(MODES)), required=True, validate=validate.Length(min=1, max=4))
    method = Text(load_default="rake", validate=validate.OneOf(WEIGHTING_METHODS))
    chosen = fields.List(
        fields.Nested("ChosenCommunitySchema"),
        validate=validate.Length(max=10_000),
        metadata={"description": "interviews per community, for a chosen allocation"},
    )


class ChosenCommunitySchema(Schema):
    community = Text(required=True, validate=validate.Length(min=1, max=32))
    interviews = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=100_000))


class WaveCommunitySchema(Schema):
    community = fields.String(required=True)
    target = fields.Integer(required=True)


class WaveSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    region = fields.String(required=True)
    period = fields.String(required=True)
    target_size = fields.Integer(required=True)
    allocation = fields.String(required=True)
    modes = fields.List(fields.String(), required=True)
    method = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open or closed"})
    created_at = DateTime(required=True)
    communities = fields.List(fields.Nested(WaveCommunitySchema), required=True)


class WavePageSchema(PageSchema):
    items = fields.List(fields.Nested(WaveSchema), required=True)


class TallySchema(Schema):
    target = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    counted = fields.Integer(required=True, metadata={"description": "completed and counting for the estimate"})


class CellTallySchema(TallySchema):
    age_band = fields.String(required=True)
    sex = fields.String(required=True)


class CommunityTallySchema(TallySchema):
    community = fields.String(required=True)


class ProgressSchema(Schema):
    total = fields.Nested(TallySchema, required=True)
    communities = fields.List(fields.Nested(CommunityTallySchema), required=True)
    cells = fields.List(fields.Nested(CellTallySchema), required=True)
    modes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    flagged = fields.Integer(required=True, metadata={"description": "completed interviews with a quality flag"})
    started_not_finished = fields.Integer(required=True)


class EstimateSchema(Schema):
    value = fields.Float(allow_none=True)
    low = fields.Float(allow_none=True, metadata={"description": "95% design-based interval"})
    high = fields.Float(allow_none=True)
    se = fields.Float(allow_none=True)
    n = fields.Integer(required=True)
    n_effective = fields.Float(allow_none=True)
    deff = fields.Float(allow_none=True, metadata={"description": "design effect"})


class AreaEstimateSchema(Schema):
    level = fields.String(required=True)
    code = fields.String(required=True)
    names = fields.List(fields.String(), required=True, metadata={"description": "[zh, en]"})
    awareness = fields.Nested(EstimateSchema, required=True)
    pass_share = fields.Nested(EstimateSchema, required=True)


class WaveEstimateSchema(Schema):
    n = fields.Integer(required=True, metadata={"description": "interviews that count"})
    method = fields.String(required=True)
    error = fields.String(allow_none=True, metadata={"description": "why no estimate could be made, as an error code"})
    awareness = fields.Nested(EstimateSchema)
    pass_share = fields.Nested(EstimateSchema)
    unweighted = fields.Nested(EstimateSchema)
    kish_deff = fields.Float()
    by_area = fields.List(fields.Nested(AreaEstimateSchema))
    parts = fields.Dict(keys=fields.String(), values=fields.Nested(EstimateSchema))


class AssignSchema(Schema):
    user_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=2**62))


class InterviewerSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True, metadata={"description": "an account's username, or volunteer:<id>"})
    display_name = fields.String(required=True)


class AssignVolunteerSchema(Schema):
    volunteer_id = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=2**62))


class VolunteerInterviewerSchema(Schema):
    id = fields.Integer(required=True)
    volunteer_id = fields.Integer(required=True)
    link = fields.String(required=True, metadata={"description": "the volunteer's personal sign-in link, shown once"})


class InvitationsInputSchema(Schema):
    community = Text(required=True, validate=validate.Length(min=1, max=32))
    count = fields.Integer(strict=True, required=True, metadata={"description": "1 to 500"})


class InvitationsSchema(Schema):
    community = fields.String(required=True)
    codes = fields.List(fields.String(), required=True, metadata={"description": "shown once; only digests are kept"})


class InterviewStartSchema(Schema):
    community = Text(required=True, validate=validate.Length(min=1, max=32))
    mode = Text(required=True, validate=validate.OneOf(MODES))
    age_band = Text(required=True, validate=validate.Length(min=1, max=16))
    sex = Text(required=True, validate=validate.OneOf(SEXES))
    area_type = Text(required=True, validate=validate.OneOf(AREA_TYPES))


class InterviewSchema(Schema):
    id = fields.Integer(required=True)
    wave = fields.Integer(required=True)
    community = fields.String(required=True)
    mode = fields.String(required=True)
    age_band = fields.String(required=True)
    sex = fields.String(required=True)
    area_type = fields.String(required=True)
    started_at = DateTime(required=True)
    ended_at = DateTime(allow_none=True)
    questions = fields.List(fields.Nested(ServedQuestionSchema), metadata={"description": "until handed in"})
    score = fields.Float(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    flags = fields.List(fields.String(), required=True)
    review = fields.String(allow_none=True)
    counts = fields.Boolean(required=True, metadata={"description": "whether it counts for the estimate"})


class InterviewPageSchema(PageSchema):
    items = fields.List(fields.Nested(InterviewSchema), required=True)


class ReviewSchema(Schema):
    decision = Text(required=True, validate=validate.OneOf(("accepted", "rejected")))


# --- helpers -----------------------------------------------------------------------


def _library() -> Library:
    return current_app.extensions["library"]


def _wave(wave: Wave) -> dict[str, Any]:
    return {
        "id": wave.id,
        "title": wave.title,
        "region": wave.region.code,
        "period": wave.period,
        "target_size": wave.target_size,
        "allocation": wave.allocation,
        "modes": wave.modes,
        "method": wave.method,
        "status": wave.status,
        "created_at": wave.created_at,
        "communities": [{"community": e.community.code, "target": e.target} for e in wave.communities],
    }


def _interview(interview: Interview, with_questions: bool = False) -> dict[str, Any]:
    body = {
        "id": interview.id,
        "wave": interview.wave_id,
        "community": interview.community.code,
        "mode": interview.mode,
        "age_band": interview.age_band,
        "sex": interview.sex,
        "area_type": interview.area_type,
        "started_at": interview.started_at,
        "ended_at": interview.ended_at,
        "score": interview.score,
        "passed": interview.passed,
        "flags": interview.flags or [],
        "review": interview.review,
        "counts": interview.counts,
    }
    if with_questions and not interview.completed:
        body["questions"] = served_questions(_library(), interview, current_lang())
    return body


# --- margins -----------------------------------------------------------------------


@blp.get("/regions/<code>/margins")
@requires_token("waves.manage")
@blp.response(200, MarginsSchema)
@errors(401, 403, (404, "No such region in your scope"), bearer=True)
def get_margins(code: str) -> dict:
    """The region's residents by age band and sex, which waves are weighted to."""
    region = find_region(api_user(), code)
    cells = [{"age_band": b, "sex": s, "population": n} for (b, s), n in sorted(margins_of(region).items())]
    return {"region": region.code, "cells": cells}


@blp.put("/regions/<code>/margins")
@requires_token("waves.manage")
@blp.arguments(MarginsSchema)
@blp.response(200, MarginsSchema)
@errors(
    401, 403, (404, "No such region in your scope"), (422, "An incomplete table; `fields` says which cell"), bearer=True
)
def put_margins(body: dict, code: str) -> dict:
    """Replace the region's margins: every age band with both sexes, bands not overlapping."""
    region = find_region(api_user(), code)
    rows: list[tuple[int, dict[str, str | None]]] = [
        (
            i,
            {
                "region_code": region.code,
                "age_band": c["age_band"],
                "sex": c["sex"],
                "population": str(c["population"]),
            },
        )
        for i, c in enumerate(body["cells"])
    ]
    import_margins(rows, "cells")
    return get_margins(code)


# --- waves ---------------------------------------------------------------------------


@blp.get("/waves")
@requires_token("waves.manage")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, WavePageSchema)
@errors(401, 403, bearer=True)
def list_waves(args: dict) -> dict:
    """Waves of regions in your scope, newest first."""
    page = paginate(setup.waves_in_scope(api_user()), args["page"], args["per_page"])
    return page_of([_wave(w) for w in page.items], page.total, page.number, page.per_page)


@blp.post("/waves")
@requires_token("waves.manage")
@blp.arguments(WaveInputSchema)
@blp.response(201, WaveSchema)
@errors(
    401,
    403,
    (404, "No such region in your scope"),
    (422, "Invalid input, or no margins; `fields` says which"),
    bearer=True,
)
def create_wave(body: dict) -> dict:
    """Set up a wave; its sample is allocated over the region's communities at once."""
    region = find_region(api_user(), body["region"], ("city", "district", "street"))
    plan = setup.WavePlan(
        body["title"],
        body["period"],
        body["target_size"],
        body["allocation"],
        body["modes"],
        body["method"],
        {c["community"]: c["interviews"] for c in body["chosen"]} if body.get("chosen") else None,
    )
    return _wave(setup.create_wave(api_user(), region, plan))


@blp.get("/waves/<int:wave_id>")
@requires_token("waves.manage")
@blp.response(200, WaveSchema)
@errors(401, 403, (404, "No such wave in your scope"), bearer=True)
def get_wave(wave_id: int) -> dict:
    return _wave(setup.get_wave(api_user(), wave_id))


@blp.post("/waves/<int:wave_id>/close")
@requires_token("waves.manage")
@blp.response(200, WaveSchema)
@errors(401, 403, (404, "No such wave in your scope"), bearer=True)
def close_wave(wave_id: int) -> dict:
    """Close the wave: no more interviews or invitations."""
    wave = setup.get_wave(api_user(), wave_id)
    setup.close_wave(api_user(), wave)
    return _wave(wave)


@blp.get("/waves/<int:wave_id>/progress")
@requires_token("waves.manage")
@blp.response(200, ProgressSchema)
@errors(401, 403, (404, "No such wave in your scope"), bearer=True)
def get_progress(wave_id: int) -> dict:
    """Completed against target per community and per age-by-sex cell, and per mode."""
    progress = wave_progress(setup.get_wave(api_user(), wave_id))
    return {
        "total": progress.total,
        "communities": [{"community": c.code, **vars(t)} for c, t in progress.communities],
        "cells": [{"age_band": b, "sex": s, **vars(t)} for (b, s), t in progress.cells.items()],
        "modes": progress.modes,
        "flagged": len(progress.flagged),
        "started_not_finished": progress.started_not_finished,
    }


@blp.get("/waves/<int:wave_id>/estimate")
@requires_token("waves.manage")
@blp.response(200, WaveEstimateSchema)
@errors(401, 403, (404, "No such wave in your scope"), bearer=True)
def get_estimate(wave_id: int) -> dict:
    """The weighted awareness rate and pass share with 95% design-based intervals, by area and part."""
    return wave_estimates(setup.get_wave(api_user(), wave_id))


@blp.get("/waves/<int:wave_id>/interviewers")
@requires_token("waves.manage")
@blp.response(200, InterviewerSchema(many=True))
@errors(401, 403, (404, "No such wave in your scope"), bearer=True)
def list_interviewers(wave_id: int) -> list:
    wave = setup.get_wave(api_user(), wave_id)
    return [{"id": i.id, "username": i.key, "display_name": i.name} for i in setup.interviewers(wave)]


@blp.post("/waves/<int:wave_id>/interviewers")
@requires_token("waves.manage")
@blp.arguments(AssignSchema)
@blp.response(201, InterviewerSchema)
@errors(
    401,
    403,
    (404, "No such wave in your scope"),
    (409, "The wave is closed"),
    (422, "An account outside the wave's region"),
    bearer=True,
)
def assign_interviewer(body: dict, wave_id: int) -> dict:
    """Let an account in your scope, working in the wave's region, interview for it."""
    interviewer = setup.assign_interviewer(api_user(), setup.get_wave(api_user(), wave_id), body["user_id"])
    return {"id": interviewer.id, "username": interviewer.key, "display_name": interviewer.name}


@blp.post("/waves/<int:wave_id>/volunteers")
@requires_token("waves.manage")
@blp.arguments(AssignVolunteerSchema)
@blp.response(201, VolunteerInterviewerSchema)
@errors(
    401,
    403,
    (404, "No such wave in your scope"),
    (409, "The wave is closed"),
    (422, "A volunteer outside the wave's region, or not active"),
    bearer=True,
)
def assign_volunteer(body: dict, wave_id: int) -> dict:
    """Let an active volunteer interview; they sign in with the personal link returned (once).

    Assigning the same volunteer again returns a new link and ends the old one.
    """
    interviewer, key = setup.assign_volunteer(api_user(), setup.get_wave(api_user(), wave_id), body["volunteer_id"])
    link = url_for("monitoring.volunteer_sign_in", key=key, _external=True)
    return {"id": interviewer.id, "volunteer_id": interviewer.volunteer_id, "link": link}


@blp.post("/waves/<int:wave_id>/invitations")
@requires_token("waves.manage")
@blp.arguments(InvitationsInputSchema)
@blp.response(201, InvitationsSchema)
@errors(
    401,
    403,
    (404, "No such wave or community"),
    (409, "The wave is closed"),
    (422, "Bad count, or no online mode"),
    bearer=True,
)
def issue_invitations(body: dict, wave_id: int) -> dict:
    """Single-use codes for people sampled in one community to answer online (shown only now)."""
    wave = setup.get_wave(api_user(), wave_id)
    community = find_region(api_user(), body["community"])
    return {
        "community": community.code,
        "codes": fieldwork.issue_invitations(api_user(), wave, community, body["count"]),
    }


@blp.get("/waves/<int:wave_id>/interviews")
@requires_token("waves.manage")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, InterviewPageSchema)
@errors(401, 403, (404, "No such wave in your scope"), bearer=True)
def list_interviews(args: dict, wave_id: int) -> dict:
    """The wave's interviews with their paradata and flags, oldest first."""
    wave = setup.get_wave(api_user(), wave_id)
    query = db.select(Interview).where(Interview.wave_id == wave.id).order_by(Interview.id)
    page = paginate(query, args["page"], args["per_page"])
    return page_of([_interview(i) for i in page.items], page.total, page.number, page.per_page)


@blp.post("/waves/<int:wave_id>/interviews/<int:interview_id>/review")
@requires_token("waves.manage")
@blp.arguments(ReviewSchema)
@blp.response(200, InterviewSchema)
@errors(401, 403, (404, "No such interview in your scope"), (422, "Unknown decision"), bearer=True)
def review_interview(body: dict, wave_id: int, interview_id: int) -> dict:
    """Let a flagged interview count after all, or keep it out."""
    interview = fieldwork.wave_interview(setup.get_wave(api_user(), wave_id), interview_id)
    fieldwork.review(api_user(), interview, body["decision"])
    return _interview(interview)


# --- interviewing --------------------------------------------------------------------


@blp.get("/interviewing")
@requires_token("interviews.run")
@blp.response(200, WaveSchema(many=True))
@errors(401, 403, bearer=True)
def my_waves() -> list:
    """The open waves you are assigned to interview for."""
    return [_wave(a.wave) for a in setup.my_assignments(api_user())]


@blp.post("/interviewing/<int:wave_id>/interviews")
@requires_token("interviews.run")
@blp.arguments(InterviewStartSchema)
@blp.response(201, InterviewSchema)
@errors(
    401,
    403,
    (404, "Not assigned to this wave"),
    (409, "The wave is closed"),
    (422, "Invalid input; `fields` says which"),
    bearer=True,
)
def start_interview(body: dict, wave_id: int) -> dict:
    """Record who is interviewed (no name, no number) and draw the survey; keys are never sent."""
    interviewer = setup.assignment_of(api_user(), wave_id)
    person = fieldwork.Respondent(body["age_band"], body["sex"], body["area_type"], body["mode"])
    return _interview(fieldwork.start_interview(_library(), interviewer, body["community"], person), True)


@blp.get("/interviews/<int:interview_id>")
@requires_token("interviews.run")
@blp.response(200, InterviewSchema)
@errors(401, 403, (404, "Not one of your interviews"), bearer=True)
def get_interview(interview_id: int) -> dict:
    return _interview(fieldwork.own_interview(api_user(), interview_id), True)


@blp.post("/interviews/<int:interview_id>/answers")
@requires_token("interviews.run")
@blp.arguments(SubmissionSchema)
@blp.response(200, InterviewSchema)
@errors(
    401,
    403,
    (404, "Not one of your interviews"),
    (409, "Handed in before"),
    (422, "Answers that do not fit"),
    bearer=True,
)
def hand_in(body: dict, interview_id: int) -> dict:
    """Hand in the answers (option positions as served); scored and flagged on the server."""
    interview = fieldwork.own_interview(api_user(), interview_id)
    fieldwork.hand_in(_library(), interview, answer_choices(body), QualityRules())
    return _interview(interview)
