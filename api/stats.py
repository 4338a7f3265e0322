"""/api/v1/stats and /api/v1/targets: the dashboard's figures, with the site's permissions."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from api.auth import api_user, requires_token
from api.docs import errors
from api.schemas import Text
from api.timestamps import DateTime
from webapp.accounts.permissions import find_region
from webapp.regions.models import Region
from webapp.stats import targets as target_service
from webapp.stats.bulletin import ranked
from webapp.stats.dashboard import recent_dashboard, trend
from webapp.stats.figures import change
from webapp.stats.items import item_analysis
from webapp.stats.periods import Period, requested_period

PREFIX = ""
blp = Blueprint("api_stats", __name__, description="Indicators against targets, trends, item analysis, targets")


class PeriodArgsSchema(Schema):
    period = Text(
        validate=validate.Length(max=9),
        metadata={"description": "2026-11, 2026Q4, 2026 or 2026-2030; default this month"},
    )


class QuestionArgsSchema(PeriodArgsSchema):
    region = Text(required=True, validate=validate.Length(min=1, max=32))


class FigureSchema(Schema):
    value = fields.Float(allow_none=True)
    n = fields.Integer(required=True, metadata={"description": "sample size or population behind the value"})
    low = fields.Float(allow_none=True, metadata={"description": "95% interval, lower bound"})
    high = fields.Float(allow_none=True)
    count = fields.Float(allow_none=True, metadata={"description": "numerator, for shares"})
    target = fields.Float(allow_none=True)
    status = fields.String(allow_none=True, metadata={"description": "met, not_met, unclear or no_data"})


class IndicatorsSchema(Schema):
    awareness = fields.Nested(FigureSchema, required=True)
    pass_share = fields.Nested(FigureSchema, required=True)
    after_learning = fields.Nested(FigureSchema, required=True)
    usage = fields.Nested(FigureSchema, required=True)
    education = fields.Nested(FigureSchema, required=True)
    invalid_surveys = fields.Integer(required=True, metadata={"description": "surveys handed in incomplete or late"})
    too_fast_surveys = fields.Integer(
        required=True, metadata={"description": "complete surveys handed in faster than they can be read, kept out"}
    )
    offline_participants = fields.Integer(required=True)
    population = fields.Integer(required=True)


class RegionRefSchema(Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    level = fields.String(required=True)


class ChildSchema(Schema):
    region = fields.Nested(RegionRefSchema, required=True)
    indicators = fields.Nested(IndicatorsSchema, required=True)


class VolunteerFiguresSchema(Schema):
    active = fields.Integer(required=True)
    per_population = fields.Nested(FigureSchema, required=True)
    trained = fields.Nested(FigureSchema, required=True)
    service_hours = fields.Float(required=True)


class ActivityCountSchema(Schema):
    channel = fields.String(required=True)
    kind = fields.String(required=True)
    activities = fields.Integer(required=True)
    participants = fields.Integer(required=True)


class MonitoringSchema(Schema):
    wave_id = fields.Integer(required=True)
    wave_title = fields.String(required=True)
    wave_period = fields.String(required=True)
    wave_region = fields.String(required=True, metadata={"description": "the region the wave surveyed"})
    awareness = fields.Nested(FigureSchema, required=True, metadata={"description": "weighted; n is interviews"})
    pass_share = fields.Nested(FigureSchema, required=True)
    n_effective = fields.Float(allow_none=True)
    deff = fields.Float(allow_none=True, metadata={"description": "design effect"})


class ChangeSchema(Schema):
    difference = fields.Float(required=True, metadata={"description": "this period's value minus last year's"})
    beyond_noise = fields.Boolean(required=True, metadata={"description": "beyond both 95% intervals combined"})


class RankSchema(Schema):
    rank = fields.Integer(required=True)
    region = fields.String(required=True)
    awareness = fields.Float(allow_none=True)


class RegionStatsSchema(Schema):
    region = fields.Nested(RegionRefSchema, required=True)
    period = fields.String(required=True)
    monitoring = fields.Nested(
        MonitoringSchema,
        allow_none=True,
        required=True,
        metadata={
            "description": "the monitoring estimate of the latest wave covering the region and period, which targets "
            "are checked against; null when no wave covers them (then `indicators` is indicative only)"
        },
    )
    indicators = fields.Nested(
        IndicatorsSchema,
        required=True,
        metadata={"description": "the online participation figures: residents who took part online, not a sample"},
    )
    topics = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema), required=True)
    volunteers = fields.Nested(VolunteerFiguresSchema, required=True)
    activities = fields.List(fields.Nested(ActivityCountSchema), required=True)
    children = fields.List(fields.Nested(ChildSchema), required=True)
    year_earlier = fields.Nested(
        IndicatorsSchema, required=True, metadata={"description": "the same figures for the same period a year earlier"}
    )
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ChangeSchema),
        required=True,
        metadata={"description": "per indicator with a value in both years: the change on a year earlier"},
    )
    ranking = fields.List(
        fields.Nested(RankSchema), required=True, metadata={"description": "children by awareness rate, best first"}
    )
    computed_at = DateTime(
        required=True,
        metadata={"description": "when these figures were read; kept up to DASHBOARD_MAX_AGE_SECONDS (60 by default)"},
    )


class TrendPointSchema(Schema):
    month = fields.String(required=True)
    awareness = fields.Nested(FigureSchema, required=True)
    usage = fields.Nested(FigureSchema, required=True)


class TrendSchema(Schema):
    region = fields.Nested(RegionRefSchema, required=True)
    items = fields.List(fields.Nested(TrendPointSchema), required=True)


class ItemSchema(Schema):
    question_id = fields.String(required=True)
    topic = fields.String(required=True)
    lesson = fields.String(required=True)
    correct = fields.Nested(FigureSchema, required=True)
    discrimination = fields.Float(allow_none=True)
    common_wrong_option = fields.String(allow_none=True)
    common_wrong_count = fields.Integer(allow_none=True)
    review_reasons = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "too_easy, too_hard, low_discrimination; empty below 100 answers"},
    )


class ItemListSchema(Schema):
    region = fields.Nested(RegionRefSchema, required=True)
    period = fields.String(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)


class TargetQuerySchema(PeriodArgsSchema):
    region = Text(required=True, validate=validate.Length(min=1, max=32))


class TargetSchema(Schema):
    indicator = fields.String(required=True)
    value = fields.Float(required=True)
    set_for_region = fields.String(required=True)
    set_for_period = fields.String(required=True)


class TargetListSchema(Schema):
    region = fields.String(required=True)
    period = fields.String(required=True)
    items = fields.List(fields.Nested(TargetSchema), required=True)


def _known_indicator(value: str) -> None:
    if not target_service.is_target_indicator(value):
        raise ValidationError("Invalid value.")


class TargetInputSchema(Schema):
    region = Text(required=True, validate=validate.Length(min=1, max=32))
    indicator = Text(
        required=True,
        validate=[validate.Length(max=32), _known_indicator],
        metadata={
            "description": "one of "
            + ", ".join(target_service.TARGET_INDICATORS)
            + ", or training:<role> for one role's training rate (the roles of GET /training/roles)"
        },
    )
    period = Text(required=True, validate=validate.Length(min=4, max=9))
    value = fields.Float(
        required=True, allow_nan=False, metadata={"description": "0.8 for 80%; people for volunteer_count"}
    )


def _changes(board) -> dict:
    found = {}
    for key in ("awareness", "pass_share", "usage", "education"):
        moved = change(getattr(board.figures, key), getattr(board.year_earlier, key))
        if moved is not None:
            found[key] = moved
    return found


def _region_and_period(code: str, args: dict) -> tuple[Region, Period]:
    """The region named, in the caller's scope (else 404), and the period asked for (else this month)."""
    return find_region(api_user(), code), requested_period(args.get("period"))


@blp.get("/stats/regions/<code>")
@requires_token("stats.read")
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, RegionStatsSchema)
@errors(401, 403, 404, 422, bearer=True, operation_id="getRegionStats")
def region_stats(args: dict, code: str) -> dict:
    """A region's indicators against its targets, with its children's."""
    region, period = _region_and_period(code, args)
    board = recent_dashboard(region, period)
    return {
        "region": region,
        "period": period.key,
        "monitoring": board.monitoring,
        "indicators": board.figures,
        "topics": board.topics,
        "volunteers": board.volunteers,
        "activities": [
            {"channel": c, "kind": k, "activities": n, "participants": p} for (c, k), (n, p) in board.activities.items()
        ],
        "children": [{"region": child, "indicators": figures} for child, figures in board.children],
        "year_earlier": board.year_earlier,
        "changes": _changes(board),
        "ranking": [
            {"rank": i, "region": child.code, "awareness": figures.awareness.value}
            for i, (child, figures) in enumerate(ranked(board.children), start=1)
        ],
        "computed_at": board.computed_at,
    }


@blp.get("/stats/regions/<code>/trend")
@requires_token("stats.read")
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, TrendSchema)
@errors(401, 403, 404, 422, bearer=True, operation_id="getRegionTrend")
def region_trend(args: dict, code: str) -> dict:
    """Awareness and usage for the twelve months ending with the period."""
    region, period = _region_and_period(code, args)
    points = trend(region, period)
    return {"region": region, "items": [{"month": m, "awareness": a, "usage": u} for m, a, u in points]}


@blp.get("/stats/questions")
@requires_token("stats.read")
@blp.arguments(QuestionArgsSchema, location="query")
@blp.response(200, ItemListSchema)
@errors(401, 403, 404, 422, bearer=True, operation_id="listQuestionStats")
def questions(args: dict) -> dict:
    """Item analysis per question, weakest first."""
    region, period = _region_and_period(args["region"], args)
    items = item_analysis(region, period, current_app.extensions["library"])
    return {
        "region": region,
        "period": period.key,
        "items": [
            {
                **item.__dict__,
                "common_wrong_option": item.common_wrong[0] if item.common_wrong else None,
                "common_wrong_count": item.common_wrong[1] if item.common_wrong else None,
                "review_reasons": item.review_reasons,
            }
            for item in items
        ],
    }


@blp.get("/targets")
@requires_token("stats.read")
@blp.arguments(TargetQuerySchema, location="query")
@blp.response(200, TargetListSchema)
@errors(401, 403, 404, 422, bearer=True)
def list_targets(args: dict) -> dict:
    """The targets in force for a region and period, each saying where it was set."""
    region, period = _region_and_period(args["region"], args)
    found = target_service.targets_for(region, period)
    return {
        "region": region.code,
        "period": period.key,
        "items": [
            {"indicator": k, "value": t.value, "set_for_region": t.region.code, "set_for_period": t.period}
            for k, t in sorted(found.items())
        ],
    }


@blp.put("/targets")
@requires_token("targets.write")
@blp.arguments(TargetInputSchema)
@blp.response(200, TargetSchema)
@errors(401, 403, 404, 422, bearer=True, operation_id="setTarget")
def put_target(body: dict) -> dict:
    """Set a target for a region in scope (organizers and admins; audited)."""
    region = find_region(api_user(), body["region"])
    target = target_service.set_target_by(api_user(), region, body["indicator"], body["period"], body["value"])
    return {
        "indicator": target.indicator,
        "value": target.value,
        "set_for_region": region.code,
        "set_for_period": target.period,
    }
