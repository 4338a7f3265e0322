"""Training on the organizers' desk, the bulletin and the API: the rate in a region and period
against its targets (every role, each role, the yearly gain), by area, and the units behind.

A role's target is ``training:<role>`` where one is set on the region's lineage, else the target
for every role (``training``); a unit's targets are those of its street or community.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from quizzes.library import Library
from webapp.extensions import db
from webapp.regions.models import Region, RegionView
from webapp.stats.figures import MET, NO_DATA, NOT_MET, Figure
from webapp.stats.periods import Period
from webapp.stats.targets import TargetValue, targets_for, targets_for_many
from webapp.training.models import Unit
from webapp.training.rates import (
    TRAINING,
    TRAINING_GROWTH,
    Tally,
    UnitTally,
    role_indicator,
    training_rates,
)

#: units listed as behind their targets, those with most people still to train first
BEHIND_LISTED = 10


def role_target(targets: dict[str, TargetValue], role: str) -> TargetValue | None:
    return targets.get(role_indicator(role)) or targets.get(TRAINING)


@dataclass(frozen=True)
class RoleLine:
    role: str
    figure: Figure
    year_before: Tally
    target: TargetValue | None


@dataclass(frozen=True)
class BehindUnit:
    unit: Unit
    tally: Tally
    #: people still to train for every role of the unit to reach its target
    short: int


@dataclass(frozen=True)
class TrainingDesk:
    region: Region
    period: Period
    #: the day counted: the period's last, or today while it runs
    day: date
    figure: Figure
    target: TargetValue | None
    year_before: Tally
    growth: float | None
    growth_target: TargetValue | None
    roles: list[RoleLine]
    children: list[tuple[Region | RegionView, Figure]]
    behind: list[BehindUnit]

    @property
    def growth_status(self) -> str | None:
        if self.growth_target is None:
            return None
        if self.growth is None:
            return NO_DATA
        return MET if self.growth >= self.growth_target.value - 1e-9 else NOT_MET


def _short(
    tallies: Sequence[UnitTally], targets: dict[int, dict[str, TargetValue]], region_of: dict[int, int]
) -> dict[int, int]:
    """People still to train per unit: for each role, the target's share of its members less those trained."""
    short: dict[int, int] = defaultdict(int)
    for tally in tallies:
        target = role_target(targets.get(region_of[tally.unit_id], {}), tally.role)
        if target is not None:
            needed = math.ceil(target.value * tally.tally.members - 1e-9)
            short[tally.unit_id] += max(0, needed - tally.tally.trained)
    return short


def _behind(tallies: Sequence[UnitTally], period: Period) -> list[BehindUnit]:
    if not tallies:
        return []
    units = {
        u.id: u for u in db.session.execute(select(Unit).where(Unit.id.in_({t.unit_id for t in tallies}))).scalars()
    }
    region_of = {unit_id: unit.region_id for unit_id, unit in units.items()}
    targets = targets_for_many([unit.region for unit in units.values()], period)
    short = _short(tallies, targets, region_of)
    totals: dict[int, Tally] = defaultdict(Tally)
    for tally in tallies:
        totals[tally.unit_id] += tally.tally
    ranked = sorted((unit_id for unit_id, n in short.items() if n > 0), key=lambda u: (-short[u], units[u].name))
    return [BehindUnit(units[u], totals[u], short[u]) for u in ranked[:BEHIND_LISTED]]


def training_desk(
    library: Library, region: Region, period: Period, children: Sequence[Region | RegionView] = ()
) -> TrainingDesk:
    """The region's training figures for ``period`` against its targets."""
    found = training_rates(library.courses.values(), region, period, children)
    targets = targets_for(region, period)
    target = targets.get(TRAINING)
    roles = [
        RoleLine(
            role,
            tally.figure(t.value if (t := role_target(targets, role)) else None),
            found.by_role_year_before.get(role, Tally()),
            role_target(targets, role),
        )
        for role, tally in sorted(found.by_role.items())
    ]
    child_figures = [(child, found.by_child.get(child.id, Tally()).figure()) for child in children]
    return TrainingDesk(
        region=region,
        period=period,
        day=found.day,
        figure=found.total.figure(target.value if target else None),
        target=target,
        year_before=found.year_before,
        growth=found.growth,
        growth_target=targets.get(TRAINING_GROWTH),
        roles=roles,
        children=[(child, figure) for child, figure in child_figures if figure.n],
        behind=_behind(found.tallies, period),
    )
