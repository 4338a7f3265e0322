"""The indicators organizers act on, pooled over a region's subtree for a period.

Rates pool numerators and denominators over every community below the region; they never
average child rates. Reads cost one grouped query per rollup table, whatever the number
of answers behind them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from webapp.campaigns.models import Activity, ServiceRecord
from webapp.extensions import db
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.stats.figures import Figure, mean_score, ratio, share
from webapp.stats.models import ReachRollup, SurveyRollup, TopicRollup
from webapp.stats.periods import Period
from webapp.stats.targets import TargetValue, targets_for, targets_for_many
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


def leaf_communities(region: Region) -> list[Region]:
    """Every community and village in the subtree (the region itself if it is one)."""
    return list(
        db.session.execute(
            select(Region).where(Region.path.like(f"{region.path}%"), Region.level.in_(LEAF_LEVELS))
        ).scalars()
    )


def community_sums(communities: Iterable[Region], period: Period) -> dict[int, Sums]:
    """Sums per community for ``period``: one grouped query per rollup table."""
    sums = {c.id: Sums(population=c.population or 0) for c in communities}
    ids = list(sums)
    if not ids:
        return sums
    survey = db.session.execute(
        select(SurveyRollup.community_id, *(func.sum(getattr(SurveyRollup, k)) for k in SURVEY_SUMS))
        .where(
            SurveyRollup.community_id.in_(ids), SurveyRollup.month.in_(period.months), SurveyRollup.scope == period.kind
        )
        .group_by(SurveyRollup.community_id)
    )
    for community_id, *values in survey:
        sums[community_id].survey = {k: float(v or 0) for k, v in zip(SURVEY_SUMS, values, strict=True)}
    kept_out = db.session.execute(
        select(SurveyRollup.community_id, func.sum(SurveyRollup.invalid), func.sum(SurveyRollup.too_fast))
        .where(SurveyRollup.community_id.in_(ids), SurveyRollup.month.in_(period.months), SurveyRollup.scope == "month")
        .group_by(SurveyRollup.community_id)
    )
    for community_id, invalid, too_fast in kept_out:
        sums[community_id].invalid, sums[community_id].too_fast = int(invalid or 0), int(too_fast or 0)
    reach = db.session.execute(
        select(ReachRollup.community_id, func.sum(ReachRollup.active), func.sum(ReachRollup.reached))
        .where(
            ReachRollup.community_id.in_(ids), ReachRollup.month.in_(period.months), ReachRollup.scope == period.kind
        )
        .group_by(ReachRollup.community_id)
    )
    for community_id, active, reached in reach:
        sums[community_id].active, sums[community_id].reached = int(active or 0), int(reached or 0)
    start, after = period.start, period.after
    offline = db.session.execute(
        select(Activity.community_id, func.sum(Activity.participants))
        .where(Activity.community_id.in_(ids), Activity.held_on >= start, Activity.held_on < after)
        .group_by(Activity.community_id)
    )
    for community_id, participants in offline:
        sums[community_id].offline = int(participants or 0)
    return sums


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


def pooled(sums: Iterable[Sums]) -> Sums:
    total = Sums()
    for one in sums:
        total.add(one)
    return total


def region_indicators(region: Region, period: Period, per_community: dict[int, Sums] | None = None) -> Indicators:
    """``per_community``: the subtree's ``community_sums``, when the caller has them already."""
    if per_community is None:
        per_community = community_sums(leaf_communities(region), period)
    return with_targets(indicators_from(pooled(per_community.values())), targets_for(region, period))


def children_indicators(
    region: Region,
    period: Period,
    communities: list[Region] | None = None,
    per_community: dict[int, Sums] | None = None,
) -> list[tuple[Region, Indicators]]:
    """Each child's indicators, from one pass over the communities of the whole subtree."""
    children = db.session.execute(select(Region).where(Region.parent_id == region.id).order_by(Region.code)).scalars()
    children = list(children)
    if communities is None:
        communities = leaf_communities(region)
    if per_community is None:
        per_community = community_sums(communities, period)
    totals = {child.id: Sums() for child in children}
    for community in communities:
        # the path below the region starts with the id of the child the community lies under
        child_id = int(community.path[len(region.path) :].split("/", 1)[0])
        totals[child_id].add(per_community[community.id])
    targets = targets_for_many(children, period)
    return [(child, with_targets(indicators_from(totals[child.id]), targets[child.id])) for child in children]


def month_sums(region: Region, months: list[str], population: int) -> dict[str, Sums]:
    """Month by month over the subtree: one grouped query per rollup table, whatever its size."""
    subtree = select(Region.id).where(Region.path.like(f"{region.path}%"))
    result = {month: Sums(population=population) for month in months}
    survey = db.session.execute(
        select(
            SurveyRollup.month,
            *(func.sum(getattr(SurveyRollup, k)) for k in SURVEY_SUMS),
            func.sum(SurveyRollup.invalid),
            func.sum(SurveyRollup.too_fast),
        )
        .where(SurveyRollup.community_id.in_(subtree), SurveyRollup.month.in_(months), SurveyRollup.scope == "month")
        .group_by(SurveyRollup.month)
    )
    for month, *values, invalid, too_fast in survey:
        result[month].survey = {k: float(v or 0) for k, v in zip(SURVEY_SUMS, values, strict=True)}
        result[month].invalid, result[month].too_fast = int(invalid or 0), int(too_fast or 0)
    reach = db.session.execute(
        select(ReachRollup.month, func.sum(ReachRollup.active), func.sum(ReachRollup.reached))
        .where(ReachRollup.community_id.in_(subtree), ReachRollup.month.in_(months), ReachRollup.scope == "month")
        .group_by(ReachRollup.month)
    )
    for month, active, reached in reach:
        result[month].active, result[month].reached = int(active or 0), int(reached or 0)
    return result


def topic_accuracy(region: Region, period: Period) -> dict[str, Figure]:
    """Correct answers ÷ answers per topic, over the same first attempts as the awareness rate."""
    ids = select(Region.id).where(Region.path.like(f"{region.path}%"))
    rows = db.session.execute(
        select(TopicRollup.topic, func.sum(TopicRollup.answers), func.sum(TopicRollup.correct))
        .where(
            TopicRollup.community_id.in_(ids), TopicRollup.month.in_(period.months), TopicRollup.scope == period.kind
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


def volunteer_figures(region: Region, period: Period, population: int | None = None) -> VolunteerFigures:
    """Active volunteers now (share of residents, trained share) and service hours in the period.

    ``population``: the subtree's, when the caller has added it up already.
    """
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
    if population is None:
        population = sum(c.population or 0 for c in leaf_communities(region))
    targets = targets_for(region, period)
    share_target = targets["volunteer_share"].value if "volunteer_share" in targets else None
    return VolunteerFigures(
        active=n_active,
        per_population=ratio(n_active, population).against(share_target),
        trained=share(n_trained, n_active),
        service_hours=float(hours),
    )


def children_volunteers(region: Region, communities: Iterable[Region]) -> dict[int, int]:
    """Active volunteers now under each child of ``region`` (by child id), from one grouped query."""
    in_subtree = select(Region.id).where(Region.path.like(f"{region.path}%"))
    counts = dict(
        db.session.execute(
            select(Volunteer.community_id, func.count())
            .where(Volunteer.status == "active", Volunteer.community_id.in_(in_subtree))
            .group_by(Volunteer.community_id)
        ).all()
    )
    per_child: dict[int, int] = {}
    for community in communities:
        if community.id in counts and community.path != region.path:
            child_id = int(community.path[len(region.path) :].split("/", 1)[0])
            per_child[child_id] = per_child.get(child_id, 0) + int(counts[community.id])
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
