"""The training rate: roster members holding a valid certificate of a course for their role,
divided by roster members, on the period's last day (today, for a period still running).

A roster is a census of the people a unit must train, not a sample, so the rate is exact: it
carries no interval, and against a target it is met or not. The year-on-year growth is the rate
minus the rate on the same day a year earlier, in percentage points (the plans' 每年递增 20%).
Rates pool members over the subtree; they never average units' rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from sqlalchemy import ColumnElement, Date, Select, and_, bindparam, case, false, func, or_, select

from quizzes.courses import Course
from webapp.clock import local_today
from webapp.extensions import db
from webapp.regions.models import Region, RegionView
from webapp.stats.figures import Figure
from webapp.stats.periods import Period
from webapp.training.models import RosterMember, TrainingCertificate, Unit

#: the target indicators of training: every role together, one role, and the yearly growth
TRAINING, TRAINING_GROWTH = "training", "training_growth"


def role_indicator(role: str) -> str:
    return f"{TRAINING}:{role}"


def as_of(period: Period, today: date | None = None) -> date:
    """The day a period's rate is read on: its last day, or today while it runs."""
    return min(period.after - timedelta(days=1), today or local_today())


@dataclass(frozen=True)
class Tally:
    """Members on the roster and those of them trained, on one day."""

    members: int = 0
    trained: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.members + other.members, self.trained + other.trained)

    @property
    def rate(self) -> float | None:
        return self.trained / self.members if self.members else None

    def figure(self, target: float | None = None) -> Figure:
        """The rate as a figure: exact (a census), so its interval is the value itself."""
        rate = self.rate
        return Figure(rate, self.members, rate, rate, self.trained, target)


@dataclass(frozen=True)
class UnitTally:
    unit_id: int
    region_path: str
    role: str
    tally: Tally


def _qualifying(roles: Sequence[tuple[str, tuple[str, ...]]]) -> ColumnElement[bool]:
    """A certificate counts for a member when its course trains the member's role."""
    terms = [and_(RosterMember.role == role, TrainingCertificate.course_slug.in_(slugs)) for role, slugs in roles]
    return or_(*terms) if terms else false()


def _courses_by_role(courses: Iterable[Course]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_role: dict[str, list[str]] = defaultdict(list)
    for course in courses:
        for role in course.roles:
            by_role[role].append(course.slug)
    return tuple((role, tuple(slugs)) for role, slugs in sorted(by_role.items()))


@cache
def _tallies_statement(roles: tuple[tuple[str, tuple[str, ...]], ...], by: str) -> Select:
    """The tallies' query for one set of courses, built once (a desk asks it on every view, and
    building it cost more than running it); ``by`` is "region" or "units"."""
    day = bindparam("day", type_=Date())
    trained = (
        select(TrainingCertificate.id)
        .where(
            TrainingCertificate.member_id == RosterMember.id,
            TrainingCertificate.issued_on <= day,
            TrainingCertificate.expires_on > day,
            _qualifying(roles),
        )
        .exists()
    )
    stmt = (
        select(
            Unit.id,
            Region.path,
            RosterMember.role,
            func.count(RosterMember.id),
            func.sum(case((trained, 1), else_=0)),
        )
        .join(Unit, RosterMember.unit_id == Unit.id)
        .join(Region, Unit.region_id == Region.id)
        .where(RosterMember.joined_on <= day, or_(RosterMember.left_on.is_(None), RosterMember.left_on > day))
        .group_by(Unit.id, Region.path, RosterMember.role)
    )
    if by == "region":
        return stmt.where(Region.path.like(bindparam("path_prefix")))
    return stmt.where(Unit.id.in_(bindparam("unit_ids", expanding=True)))


def unit_tallies(
    courses: Iterable[Course], day: date, region: Region | None = None, unit_ids: Sequence[int] | None = None
) -> list[UnitTally]:
    """Members and trained members per unit and role on ``day``, under ``region`` or of ``unit_ids``
    (one of the two)."""
    values: dict[str, object] = {"day": day}
    if region is not None:
        stmt, values["path_prefix"] = _tallies_statement(_courses_by_role(courses), "region"), f"{region.path}%"
    else:
        stmt, values["unit_ids"] = _tallies_statement(_courses_by_role(courses), "units"), list(unit_ids or ())
    return [
        UnitTally(unit_id, path, role, Tally(int(members), int(done or 0)))
        for unit_id, path, role, members, done in db.session.execute(stmt, values)
    ]


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total += tally
    return total


@dataclass(frozen=True)
class TrainingRates:
    """Everything a desk shows of training in one region and period."""

    day: date
    total: Tally
    year_before: Tally
    by_role: Mapping[str, Tally]
    by_role_year_before: Mapping[str, Tally]
    #: the region's children (id → tally), for the table of places
    by_child: Mapping[int, Tally]
    by_unit: Mapping[int, Tally] = field(default_factory=dict)
    #: per unit and role on ``day``, as counted
    tallies: Sequence[UnitTally] = ()

    @property
    def growth(self) -> float | None:
        """Points gained since the same day a year before; None without both rates."""
        now, before = self.total.rate, self.year_before.rate
        return None if now is None or before is None else now - before


def _by(tallies: Iterable[UnitTally], key) -> dict:
    grouped: dict = defaultdict(Tally)
    for tally in tallies:
        grouped[key(tally)] += tally.tally
    return dict(grouped)


def _child_of(path: str, children: Sequence[Region | RegionView]) -> int | None:
    return next((child.id for child in children if path.startswith(child.path)), None)


def training_rates(
    courses: Iterable[Course], region: Region, period: Period, children: Sequence[Region | RegionView] = ()
) -> TrainingRates:
    """The rate in ``region`` on the period's day and a year before, by role, child and unit."""
    courses = list(courses)
    day = as_of(period)
    before_day = _year_before(day)
    now, before = unit_tallies(courses, day, region), unit_tallies(courses, before_day, region)
    by_child = _by(now, lambda t: _child_of(t.region_path, children))
    by_child.pop(None, None)
    return TrainingRates(
        day=day,
        total=_sum(t.tally for t in now),
        year_before=_sum(t.tally for t in before),
        by_role=_by(now, lambda t: t.role),
        by_role_year_before=_by(before, lambda t: t.role),
        by_child=by_child,
        by_unit=_by(now, lambda t: t.unit_id),
        tallies=now,
    )


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def unit_rate(courses: Iterable[Course], unit: Unit, day: date) -> tuple[Tally, dict[str, Tally]]:
    """One unit's rate on ``day``, in all and by role."""
    tallies = unit_tallies(list(courses), day, unit_ids=[unit.id])
    return _sum(t.tally for t in tallies), _by(tallies, lambda t: t.role)
