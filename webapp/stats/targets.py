"""Targets: (region, indicator, period) → value, inherited from the nearest ancestor.

Targets differ per region and plan period, so they are data. Lookup prefers the region
itself over its ancestors, and for one region the exact period over the longer periods
that contain it (a 2026-2030 plan target applies to 2026Q4 unless that quarter has its own).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from webapp.accounts.models import User
from webapp.accounts.permissions import region_in_scope
from webapp.audit.service import record
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.regions.models import Region, RegionView, path_ids
from webapp.regions.service import get_region
from webapp.stats.models import Target
from webapp.stats.periods import SCOPES, Period, PeriodError, parse_period, scope_key

#: indicators a target can be set for; all but volunteer_count are shares (0.8 = 80%). Training has
#: one for every role together, ``training:<role>`` for one role (a role of the content
#: taxonomy), and ``training_growth``, the points the rate is to gain in a year (0.2 = +20 points)
TARGET_INDICATORS = (
    "awareness",
    "pass_share",
    "usage",
    "education",
    "volunteer_share",
    "volunteer_count",
    "training",
    "training_growth",
)
ROLE_TARGET_PREFIX = "training:"
CSV_COLUMNS = ("region_code", "indicator", "period", "value")
#: the field a refusal is shown beside; every other reason concerns the value
_FIELD_OF_REASON = {"unknown_period": "period", "unknown_indicator": "indicator"}


class TargetError(DomainError):
    """A target that cannot be saved: invalid input, ``reason`` (a message code) beside its field."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__("unprocessable", {_FIELD_OF_REASON.get(reason, "value"): reason})


class TargetImportError(DomainError):
    """A CSV of targets that cannot be imported, as (line number, message code); nothing was set."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("unprocessable")


@dataclass(frozen=True)
class TargetValue:
    value: float
    #: where the value was set: the region itself or an ancestor, and for which period
    region: Region
    period: str


def enclosing_periods(period: Period) -> list[str]:
    """The period's key and the keys of the longer periods containing it, shortest first."""
    longer = SCOPES[SCOPES.index(period.kind) + 1 :]
    return [period.key, *(scope_key(period.first_month, scope) for scope in longer)]


def targets_for_many(regions: Sequence[Region | RegionView], period: Period) -> dict[int, dict[str, TargetValue]]:
    """Each region's targets for ``period``, inherited where not set, from one query."""
    periods = enclosing_periods(period)
    found = db.session.execute(select(Target).where(Target.period.in_(periods))).scalars().all()
    by_place = {(t.region_id, t.indicator, t.period): t for t in found}
    indicators = {t.indicator for t in found}
    result: dict[int, dict[str, TargetValue]] = {}
    for region in regions:
        chain = path_ids(region.path)[::-1]
        chosen: dict[str, TargetValue] = {}
        for indicator in indicators:
            for region_id in chain:
                target = next((by_place[k] for p in periods if (k := (region_id, indicator, p)) in by_place), None)
                if target is not None:
                    chosen[indicator] = TargetValue(target.value, target.region, target.period)
                    break
        result[region.id] = chosen
    return result


def targets_for(region: Region, period: Period) -> dict[str, TargetValue]:
    """Every indicator's target for ``region`` in ``period``, inherited where not set."""
    return targets_for_many([region], period)[region.id]


def training_roles() -> Mapping[str, Any]:
    """The roles of the content taxonomy: each may have a training target of its own."""
    return current_app.extensions["library"].catalog.taxonomy.roles


def is_target_indicator(indicator: str) -> bool:
    if indicator in TARGET_INDICATORS:
        return True
    return indicator.startswith(ROLE_TARGET_PREFIX) and indicator[len(ROLE_TARGET_PREFIX) :] in training_roles()


def target_indicators() -> list[str]:
    """Every indicator a target can be set for, the roles' training rates last."""
    return [*TARGET_INDICATORS, *(f"{ROLE_TARGET_PREFIX}{role}" for role in training_roles())]


def validate_target(indicator: str, period_key: str, value: float) -> Period:
    """:raises TargetError: unknown indicator or period, or a value out of range."""
    if not is_target_indicator(indicator):
        raise TargetError("unknown_indicator")
    try:
        period = parse_period(period_key)
    except PeriodError:
        raise TargetError("unknown_period") from None
    if indicator == "volunteer_count":
        if not (0 <= value <= 10_000_000 and float(value).is_integer()):
            raise TargetError("bad_count")
    elif not 0 < value <= 1:
        raise TargetError("bad_share")
    return period


def set_target(region: Region, indicator: str, period_key: str, value: float, by_id: int | None) -> Target:
    """Create or change a target (not audited: the demo seed and tests set them so).

    :raises TargetError: as ``validate_target``.
    """
    period = validate_target(indicator, period_key, value)
    target = db.session.execute(
        select(Target).where(Target.region_id == region.id, Target.indicator == indicator, Target.period == period.key)
    ).scalar_one_or_none()
    if target is None:
        target = Target(region=region, indicator=indicator, period=period.key, value=value)
        db.session.add(target)
    target.value, target.updated_by_id = value, by_id
    db.session.flush()
    return target


def set_target_by(user: User, region: Region, indicator: str, period_key: str, value: float) -> Target:
    """``user`` sets a target for ``region`` (in their scope), audited; the site's form and the API's PUT.

    :raises TargetError: as ``validate_target``.
    """
    target = set_target(region, indicator, period_key, value, user.id)
    details = {"region": region.code, "indicator": target.indicator, "period": target.period, "value": target.value}
    record(user, "target.set", target, details=details)
    return target


def read_targets_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of a targets CSV with their line numbers (the header is line 1).

    :raises TargetImportError: when the header lacks a column.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise TargetImportError([(1, "missing_columns")])
    return [(reader.line_num, row) for row in reader]


def _set_row(row: dict[str, str], by: User) -> None:
    """:raises TargetError: a region outside ``by``'s scope, or a target ``set_target`` refuses."""
    region = get_region((row.get("region_code") or "").strip())
    # a bad row is reported by line, so not find_region's 404; foreign and unknown codes read alike
    if region is None or not region_in_scope(by, region):
        raise TargetError("unknown_region")
    indicator, period = (row.get("indicator") or "").strip(), (row.get("period") or "").strip()
    set_target(region, indicator, period, parse_value(indicator, row.get("value") or ""), by.id)


def import_targets(rows: list[tuple[int, dict[str, str]]], by: User) -> int:
    """Set targets from CSV rows for regions in ``by``'s scope, all or nothing.

    :raises TargetImportError: every bad row with its line number.
    """
    problems: list[tuple[int, str]] = []
    with db.session.begin_nested() as savepoint:
        for line, row in rows:
            try:
                _set_row(row, by)
            except TargetError as error:
                problems.append((line, error.reason))
        if problems:
            savepoint.rollback()
            raise TargetImportError(problems)
    return len(rows)


def import_targets_file(data: bytes | None, by: User, page_region: Region) -> int:
    """``by`` imports an uploaded CSV of targets (from ``page_region``'s page), all or nothing, audited.

    :raises TargetImportError: no file, not UTF-8, a missing column, or every bad row with its line.
    """
    if data is None:
        raise TargetImportError([(1, "file_required")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TargetImportError([(1, "not_utf8")]) from None
    count = import_targets(read_targets_csv(text), by)
    record(by, "target.import", details={"region": page_region.code}, row_count=count)
    return count


def parse_value(indicator: str, raw: str) -> float:
    """'80%', '80' or '0.8' → 0.8 for rates; a plain number of people for volunteer_count.

    :raises TargetError: when it is not a number.
    """
    raw = raw.strip()
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise TargetError("bad_number") from None
    if raw.endswith("%") or (indicator != "volunteer_count" and value > 1):
        value /= 100
    return value


def seed_demo_targets(city: Region, plan: str = "2026-2030") -> None:
    """The demo plan: awareness 80% (90% in one district, as some plans ask), usage 5%,
    education 80%, volunteers 3% of residents."""
    for indicator, value in (("awareness", 0.8), ("usage", 0.05), ("education", 0.8), ("volunteer_share", 0.03)):
        set_target(city, indicator, plan, value, None)
    stretch = get_region(f"{city.code}02")
    if stretch is not None:
        set_target(stretch, "awareness", plan, 0.9, None)
