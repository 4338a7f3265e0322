"""The indicators organizers act on, pooled over a region's subtree for a period.

Rates pool numerators and denominators over every community below the region; they never
average child rates. Reads cost one grouped query per rollup table, whatever the number
of answers behind them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from webapp.campaigns.models import Activity, ServiceRecord
from webapp.extensions import db
from webapp.regions.models import Region, RegionAncestor, path_ids
from webapp.stats.applier import catch_up
from webapp.stats.figures import Figure, mean_score, ratio, share
from webapp.stats.models import ReachRollup, SurveyRollup, Target, TopicRollup
from webapp.stats.periods import Period
from webapp.stats.targets import TargetValue, enclosing_periods, targets_for, targets_for_many
from webapp.volunteers.models import Training, Volunteer

SURVEY_SUMS = (
    "respondents",
    "score_sum",
    "score_sq_sum",
    "passed",
    "retakes",
    "retake_score_sum",
    "retake_score_sq_sum",
)


@dataclass
class Sums:
    """Everything a rate needs, added up over some communities."""

    population: int = 0
    survey: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SURVEY_SUMS, 0.0))
    invalid: int = 0
    too_fast: int = 0
    active: int = 0
    reached: int = 0
    offline: int = 0

    def add(self, other: Sums) -> None:
        self.population += other.population
        for key in SURVEY_SUMS:
            self.survey[key] += other.survey[key]
        self.invalid += other.invalid
        self.too_fast += other.too_fast
        self.active += other.active
        self.reached += other.reached
        self.offline += other.offline


@dataclass(frozen=True)
class Indicators:
    """The headline figures of one region in one period, each against its target."""

    awareness: Figure
    pass_share: Figure
    after_learning: Figure
    invalid_surveys: int
    #: complete surveys handed in faster than they can be read: stored, kept out of the figures
    too_fast_surveys: int
    usage: Figure
    education: Figure
    offline_participants: int
    population: int


def region_sums(regions: Iterable[Region], period: Period) -> dict[int, Sums]:
    """Sums per region for ``period``, each from the region's own rollups (which pool its whole
    subtree) and residents: one grouped query per rollup table, reading a few rows per region."""
    catch_up()
    sums = {r.id: Sums(population=r.residents) for r in regions}
    ids = list(sums)
    if not ids:
        return sums
    survey = db.session.execute(
        select(SurveyRollup.region_id, *(func.sum(getattr(SurveyRollup, k)) for k in SURVEY_SUMS))
        .where(
            SurveyRollup.region_id.in_(ids), SurveyRollup.month.in_(period.months), SurveyRollup.scope == period.kind
        )
        .group_by(SurveyRollup.region_id)
    )
    for region_id, *values in survey:
        sums[region_id].survey = {k: float(v or 0) for k, v in zip(SURVEY_SUMS, values, strict=True)}
    kept_out = db.session.execute(
        select(SurveyRollup.region_id, func.sum(SurveyRollup.invalid), func.sum(SurveyRollup.too_fast))
        .where(SurveyRollup.region_id.in_(ids), SurveyRollup.month.in_(period.months), SurveyRollup.scope == "month")
        .group_by(SurveyRollup.region_id)
    )
    for region_id, invalid, too_fast in kept_out:
        sums[region_id].invalid, sums[region_id].too_fast = int(invalid or 0), int(too_fast or 0)
    reach = db.session.execute(
        select(ReachRollup.region_id, func.sum(ReachRollup.active), func.sum(ReachRollup.reached))
        .where(ReachRollup.region_id.in_(ids), ReachRollup.month.in_(period.months), ReachRollup.scope == period.kind)
        .group_by(ReachRollup.region_id)
    )
    for region_id, active, reached in reach:
        sums[region_id].active, sums[region_id].reached = int(active or 0), int(reached or 0)
    _add_offline(sums, period)
    return sums


def furthest_below_target(region: Region, period: Period, minimum: int, how_many: int) -> list[tuple[int, float]]:
    """The ``how_many`` communities below ``region`` furthest below their awareness target in
    ``period``, among those with at least ``minimum`` respondents: (community id, mean score
    minus target), the worst first.

    Each community's target is the nearest one set on its lineage (itself, then its street,
    district, city), for the shortest period enclosing ``period``, as ``targets_for`` inherits.
    Targets are set on a handful of regions: they are read first, the database returns only the
    communities below the highest of them, and each is held against the nearest on its path.
    """
    catch_up()
    targets = _awareness_targets(period)
    if not targets:
        return []
    highest = max(targets.values())
    lineage = RegionAncestor.__table__.c
    respondents, score_sum = func.sum(SurveyRollup.respondents), func.sum(SurveyRollup.score_sum)
    # a Core result: thousands of plain rows, none of them an object
    surveyed = db.session.connection().execute(
        select(Region.id, Region.code, Region.path, respondents, score_sum)
        .join(RegionAncestor, lineage.region_id == SurveyRollup.region_id)
        .join(Region, Region.id == SurveyRollup.region_id)
        .where(
            lineage.ancestor_id == region.id, SurveyRollup.month.in_(period.months), SurveyRollup.scope == period.kind
        )
        .group_by(Region.id, Region.code, Region.path)
        # none at or above the highest target anywhere can be short of its own
        .having(respondents >= minimum, score_sum < highest * respondents)
    )
    gaps = []
    for community_id, code, path, n, total in surveyed:
        target = next((targets[up] for up in reversed(path_ids(path)) if up in targets), None)
        if target is not None and total < target * n:
            gaps.append((float(total) / int(n) - target, code, community_id))
    return [(community_id, gap) for gap, _code, community_id in heapq.nsmallest(how_many, gaps)]


def _awareness_targets(period: Period) -> dict[int, float]:
    """The awareness target each region sets for the shortest period enclosing ``period``."""
    periods = enclosing_periods(period)
    rank = {key: i for i, key in enumerate(periods)}
    found: dict[int, tuple[int, float]] = {}
    rows = db.session.execute(
        select(Target.region_id, Target.period, Target.value).where(
            Target.indicator == "awareness", Target.period.in_(periods)
        )
    )
    for region_id, key, value in rows:
        if region_id not in found or rank[key] < found[region_id][0]:
            found[region_id] = (rank[key], float(value))
    return {region_id: value for region_id, (_rank, value) in found.items()}


def _add_offline(sums: dict[int, Sums], period: Period) -> None:
    """Participants of offline activities held during the period, added to every region of
    ``sums`` the activity's community lies in (activities are few beside answers)."""
    start, after = period.start, period.after
    # summed per community first: joined before summing, SQLite walked every region for them
    held = (
        select(Activity.community_id, func.sum(Activity.participants).label("participants"))
        .where(Activity.held_on >= start, Activity.held_on < after)
        .group_by(Activity.community_id)
        .subquery()
    )
    rows = db.session.execute(select(Region.path, held.c.participants).join(held, Region.id == held.c.community_id))
    for path, participants in rows:
        for region_id in path_ids(path):
            if region_id in sums:
                sums[region_id].offline += int(participants or 0)


def indicators_from(sums: Sums) -> Indicators:
    s = sums.survey
    respondents = int(s["respondents"])
    return Indicators(
        awareness=mean_score(respondents, s["score_sum"], s["score_sq_sum"]),
        pass_share=share(s["passed"], respondents),
        after_learning=mean_score(int(s["retakes"]), s["retake_score_sum"], s["retake_score_sq_sum"]),
        invalid_surveys=sums.invalid,
        too_fast_surveys=sums.too_fast,
        usage=ratio(sums.active, sums.population),
        education=ratio(sums.reached, sums.population),
        offline_participants=sums.offline,
        population=sums.population,
    )


def with_targets(indicators: Indicators, targets: dict[str, TargetValue]) -> Indicators:
    def target(name: str) -> float | None:
        return targets[name].value if name in targets else None

    return Indicators(
        awareness=indicators.awareness.against(target("awareness")),
        pass_share=indicators.pass_share.against(target("pass_share")),
        after_learning=indicators.after_learning,
        invalid_surveys=indicators.invalid_surveys,
        too_fast_surveys=indicators.too_fast_surveys,
        usage=indicators.usage.against(target("usage")),
        education=indicators.education.against(target("education")),
        offline_participants=indicators.offline_participants,
        population=indicators.population,
    )


def region_indicators(region: Region, period: Period) -> Indicators:
    sums = region_sums([region], period)[region.id]
    return with_targets(indicators_from(sums), targets_for(region, period))


def children_indicators(region: Region, period: Period) -> list[tuple[Region, Indicators]]:
    """Each child's indicators, from the children's own rollups."""
    children = list(
        db.session.execute(select(Region).where(Region.parent_id == region.id).order_by(Region.code)).scalars()
    )
    sums = region_sums(children, period)
    targets = targets_for_many(children, period)
    return [(child, with_targets(indicators_from(sums[child.id]), targets[child.id])) for child in children]


def month_sums(region: Region, months: list[str], population: int) -> dict[str, Sums]:
    """Month by month over the subtree, from the region's own rollups."""
    catch_up()
    result = {month: Sums(population=population) for month in months}
    survey = db.session.execute(
        select(
            SurveyRollup.month,
            *(func.sum(getattr(SurveyRollup, k)) for k in SURVEY_SUMS),
            func.sum(SurveyRollup.invalid),
            func.sum(SurveyRollup.too_fast),
        )
        .where(SurveyRollup.region_id == region.id, SurveyRollup.month.in_(months), SurveyRollup.scope == "month")
        .group_by(SurveyRollup.month)
    )
    for month, *values, invalid, too_fast in survey:
        result[month].survey = {k: float(v or 0) for k, v in zip(SURVEY_SUMS, values, strict=True)}
        result[month].invalid, result[month].too_fast = int(invalid or 0), int(too_fast or 0)
    reach = db.session.execute(
        select(ReachRollup.month, func.sum(ReachRollup.active), func.sum(ReachRollup.reached))
        .where(ReachRollup.region_id == region.id, ReachRollup.month.in_(months), ReachRollup.scope == "month")
        .group_by(ReachRollup.month)
    )
    for month, active, reached in reach:
        result[month].active, result[month].reached = int(active or 0), int(reached or 0)
    return result


def topic_accuracy(region: Region, period: Period) -> dict[str, Figure]:
    """Correct answers ÷ answers per topic, over the same first attempts as the awareness rate."""
    catch_up()
    rows = db.session.execute(
        select(TopicRollup.topic, func.sum(TopicRollup.answers), func.sum(TopicRollup.correct))
        .where(
            TopicRollup.region_id == region.id, TopicRollup.month.in_(period.months), TopicRollup.scope == period.kind
        )
        .group_by(TopicRollup.topic)
    )
    return {topic: share(int(correct or 0), int(answers or 0)) for topic, answers, correct in rows}


@dataclass(frozen=True)
class VolunteerFigures:
    active: int
    per_population: Figure
    trained: Figure
    service_hours: float


def volunteer_figures(region: Region, period: Period) -> VolunteerFigures:
    """Active volunteers now (share of residents, trained share) and service hours in the period."""
    in_subtree = select(Region.id).where(Region.path.like(f"{region.path}%"))
    active = select(Volunteer.id).where(Volunteer.status == "active", Volunteer.community_id.in_(in_subtree))
    n_active = db.session.execute(select(func.count()).select_from(active.subquery())).scalar_one()
    n_trained = db.session.execute(
        select(func.count(func.distinct(Training.volunteer_id))).where(Training.volunteer_id.in_(active))
    ).scalar_one()
    start, after = period.start, period.after
    hours = db.session.execute(
        select(func.coalesce(func.sum(ServiceRecord.hours), 0.0))
        .join(Activity, ServiceRecord.activity_id == Activity.id)
        .where(Activity.community_id.in_(in_subtree), Activity.held_on >= start, Activity.held_on < after)
    ).scalar_one()
    targets = targets_for(region, period)
    share_target = targets["volunteer_share"].value if "volunteer_share" in targets else None
    return VolunteerFigures(
        active=n_active,
        per_population=ratio(n_active, region.residents).against(share_target),
        trained=share(n_trained, n_active),
        service_hours=float(hours),
    )


def children_volunteers(region: Region) -> dict[int, int]:
    """Active volunteers now under each child of ``region`` (by child id), from one grouped query
    (volunteers are counted per community with any, then added up per child)."""
    rows = db.session.execute(
        select(Region.path, func.count())
        .select_from(Volunteer)
        .join(Region, Region.id == Volunteer.community_id)
        .where(Volunteer.status == "active", Region.path.like(f"{region.path}%"), Region.path != region.path)
        .group_by(Region.path)
    )
    per_child: dict[int, int] = {}
    for path, count in rows:
        # the path below the region starts with the id of the child the community lies under
        child_id = int(path[len(region.path) :].split("/", 1)[0])
        per_child[child_id] = per_child.get(child_id, 0) + int(count)
    return per_child


def activity_counts(region: Region, period: Period) -> dict[tuple[str, str], tuple[int, int]]:
    """(channel, kind) → (activities, participants) in the period."""
    in_subtree = select(Region.id).where(Region.path.like(f"{region.path}%"))
    start, after = period.start, period.after
    rows = db.session.execute(
        select(
            Activity.channel, Activity.kind, func.count(Activity.id), func.coalesce(func.sum(Activity.participants), 0)
        )
        .where(Activity.community_id.in_(in_subtree), Activity.held_on >= start, Activity.held_on < after)
        .group_by(Activity.channel, Activity.kind)
    )
    return {(channel, kind): (int(n), int(people)) for channel, kind, n, people in rows}
