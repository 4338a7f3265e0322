"""What the dashboard shows for one region and period, gathered in one place for the page,
the report and the API."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from content.check import Library
from webapp.regions.models import Region, RegionView
from webapp.regions.service import ancestors
from webapp.stats.figures import Figure
from webapp.stats.indicators import (
    Indicators,
    Sums,
    VolunteerFigures,
    activity_counts,
    children_indicators,
    community_sums,
    indicators_from,
    leaf_communities,
    month_sums,
    region_indicators,
    topic_accuracy,
    volunteer_figures,
    with_targets,
)
from webapp.stats.items import ItemStats, weakest_points
from webapp.stats.periods import Period, parse_period
from webapp.stats.targets import TargetValue, targets_for, targets_for_many
from webapp.timeutil import utcnow

#: a community needs this many respondents before it can be called lagging
LAGGING_MIN_RESPONDENTS = 30
SORT_KEYS = ("name", "awareness", "pass_share", "usage", "education", "respondents")


@dataclass(frozen=True)
class Dashboard:
    """Plain values and region copies only, so one can be kept and shown in later requests."""

    region: RegionView
    period: Period
    path: list[RegionView]
    figures: Indicators
    targets: dict[str, TargetValue]
    children: list[tuple[RegionView, Indicators]]
    trend: list[tuple[str, Figure, Figure]]
    topics: dict[str, Figure]
    volunteers: VolunteerFigures
    activities: dict[tuple[str, str], tuple[int, int]]
    lagging: list[tuple[RegionView, Indicators, float]]
    weakest: list[ItemStats]
    #: when the figures were read (UTC)
    computed_at: datetime


def trend(
    region: Region, period: Period, months: int = 12, population: int | None = None
) -> list[tuple[str, Figure, Figure]]:
    """(month, awareness, usage) for the ``months`` months ending with the period's last."""
    keys = [period.last_month]
    while len(keys) < months:
        keys.append(parse_period(keys[-1]).previous().key)
    keys.reverse()
    if population is None:
        population = sum(c.population or 0 for c in leaf_communities(region))
    by_month = month_sums(region, keys, population)
    result = []
    for key in keys:
        figures = indicators_from(by_month[key])
        result.append((key, figures.awareness, figures.usage))
    return result


def lagging(
    communities: list[Region], per_community: dict[int, Sums], period: Period, how_many: int = 10
) -> list[tuple[Region, Indicators, float]]:
    """Communities furthest below their awareness target, among those with enough respondents."""
    # targets are looked up only for communities that could qualify: there may be thousands
    candidates = [c for c in communities if per_community[c.id].survey["respondents"] >= LAGGING_MIN_RESPONDENTS]
    targets = targets_for_many(candidates, period)
    found = []
    for community in candidates:
        awareness = with_targets(indicators_from(per_community[community.id]), targets[community.id]).awareness
        if awareness.target is not None and awareness.value is not None and awareness.value < awareness.target:
            found.append((community, awareness.value - awareness.target))
    found.sort(key=lambda row: row[1])
    return [
        (community, with_targets(indicators_from(per_community[community.id]), targets[community.id]), gap)
        for community, gap in found[:how_many]
    ]


def sort_children(children: list[tuple[Region, Indicators]], key: str, lang: str) -> list[tuple[Region, Indicators]]:
    def value(row: tuple[Region, Indicators]):
        region, figures = row
        if key == "name":
            return (0, region.name(lang))
        if key == "respondents":
            return (0, -figures.awareness.n)
        figure = getattr(figures, key)
        return (figure.value is None, figure.value if figure.value is not None else 0)

    return sorted(children, key=value)


def build_dashboard(region: Region, period: Period, library: Library) -> Dashboard:
    # the subtree's communities and their sums are read once and serve every section
    communities = leaf_communities(region)
    per_community = community_sums(communities, period)
    population = sum(c.population or 0 for c in communities)
    children = children_indicators(region, period, communities, per_community) if not region.is_leaf else []
    return Dashboard(
        region=RegionView.of(region),
        period=period,
        path=[RegionView.of(up) for up in ancestors(region)],
        figures=region_indicators(region, period, per_community),
        targets=targets_for(region, period),
        children=[(RegionView.of(child), figures) for child, figures in children],
        trend=trend(region, period, population=population),
        topics=topic_accuracy(region, period),
        volunteers=volunteer_figures(region, period, population),
        activities=activity_counts(region, period),
        lagging=[(RegionView.of(c), figures, gap) for c, figures, gap in lagging(communities, per_community, period)],
        weakest=weakest_points(region, period, library),
        computed_at=utcnow(),
    )


#: dashboards kept per worker; a city has a few hundred regions, each viewed for a few periods
KEPT_DASHBOARDS = 512


def recent_dashboard(region: Region, period: Period) -> Dashboard:
    """The region's dashboard, computed in this worker at most DASHBOARD_MAX_AGE_SECONDS ago.

    At a peak evening a city's figures pool thousands of communities and take a second or
    more to read; every organizer refreshing the page would pay that, while figures a
    minute old change no decision. The page says when its figures were read.
    """
    max_age = timedelta(seconds=current_app.config["DASHBOARD_MAX_AGE_SECONDS"])
    kept: OrderedDict[tuple[int, str], Dashboard] = current_app.extensions.setdefault("dashboards", OrderedDict())
    key = (region.id, period.key)
    board = kept.get(key)
    if board is None or not timedelta(0) <= utcnow() - board.computed_at < max_age:
        board = build_dashboard(region, period, current_app.extensions["library"])
        kept[key] = board
        if len(kept) > KEPT_DASHBOARDS:
            kept.popitem(last=False)
    kept.move_to_end(key)
    return board
