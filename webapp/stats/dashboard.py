"""What the dashboard shows for one region and period, gathered in one place for the page,
the report and the API."""

from __future__ import annotations

from dataclasses import dataclass

from content.check import Library
from webapp.regions.models import Region
from webapp.regions.service import ancestors
from webapp.stats.figures import Figure
from webapp.stats.indicators import (
    Indicators,
    VolunteerFigures,
    activity_counts,
    children_indicators,
    community_sums,
    indicators_from,
    leaf_communities,
    region_indicators,
    topic_accuracy,
    volunteer_figures,
    with_targets,
)
from webapp.stats.items import ItemStats, item_analysis, weakest_points
from webapp.stats.periods import Period, parse_period
from webapp.stats.targets import TargetValue, targets_for, targets_for_many

#: a community needs this many respondents before it can be called lagging
LAGGING_MIN_RESPONDENTS = 30
SORT_KEYS = ("name", "awareness", "pass_share", "usage", "education", "respondents")


@dataclass(frozen=True)
class Dashboard:
    region: Region
    period: Period
    path: list[Region]
    figures: Indicators
    targets: dict[str, TargetValue]
    children: list[tuple[Region, Indicators]]
    trend: list[tuple[str, Figure, Figure]]
    topics: dict[str, Figure]
    volunteers: VolunteerFigures
    activities: dict[tuple[str, str], tuple[int, int]]
    lagging: list[tuple[Region, Indicators, float]]
    weakest: list[ItemStats]


def trend(region: Region, period: Period, months: int = 12) -> list[tuple[str, Figure, Figure]]:
    """(month, awareness, usage) for the ``months`` months ending with the period's last."""
    keys = [period.last_month]
    while len(keys) < months:
        keys.append(parse_period(keys[-1]).previous().key)
    communities = leaf_communities(region)
    result = []
    for key in reversed(keys):
        total = None
        for sums in community_sums(communities, parse_period(key)).values():
            if total is None:
                total = sums
            else:
                total.add(sums)
        figures = indicators_from(total) if total is not None else None
        result.append(
            (
                key,
                figures.awareness if figures else Figure(None, 0, None, None),
                figures.usage if figures else Figure(None, 0, None, None),
            )
        )
    return result


def lagging(region: Region, period: Period, how_many: int = 10) -> list[tuple[Region, Indicators, float]]:
    """Communities furthest below their awareness target, among those with enough respondents."""
    found = []
    for community, figures in _community_indicators(region, period):
        awareness = figures.awareness
        if awareness.n >= LAGGING_MIN_RESPONDENTS and awareness.target is not None and awareness.value is not None:
            gap = awareness.value - awareness.target
            if gap < 0:
                found.append((community, figures, gap))
    return sorted(found, key=lambda row: row[2])[:how_many]


def _community_indicators(region: Region, period: Period) -> list[tuple[Region, Indicators]]:
    communities = leaf_communities(region)
    sums = community_sums(communities, period)
    targets = targets_for_many(communities, period)
    return [(c, with_targets(indicators_from(sums[c.id]), targets[c.id])) for c in communities]


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
    return Dashboard(
        region=region,
        period=period,
        path=ancestors(region),
        figures=region_indicators(region, period),
        targets=targets_for(region, period),
        children=children_indicators(region, period) if not region.is_leaf else [],
        trend=trend(region, period),
        topics=topic_accuracy(region, period),
        volunteers=volunteer_figures(region, period),
        activities=activity_counts(region, period),
        lagging=lagging(region, period),
        weakest=weakest_points(item_analysis(region, period, library)),
    )
