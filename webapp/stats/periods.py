"""Reporting periods: month 2026-11, quarter 2026Q4, year 2026, five-year plan 2026-2030.

Rollups are kept per region and month. A figure for a longer period sums the months it
covers, using for each month the attempts that were a respondent's first in that longer
period, so a respondent counts once per period however many months they answered in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from webapp.clock import local_today, month_key
from webapp.errors import DomainError

#: the scopes every rollup row is kept for, from the shortest period to the longest
SCOPES = ("month", "quarter", "year", "plan")
#: China's five-year plans run 2021–2025, 2026–2030, …
PLAN_BASE_YEAR = 2021

_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
    "plan": re.compile(r"^(\d{4})-(\d{4})$"),
}


class PeriodError(DomainError):
    """Not a period this platform reports on: invalid input, the reason beside the ``period`` field."""

    def __init__(self, key: str):
        self.key = key
        super().__init__("unprocessable", {"period": "unknown_period"})


@dataclass(frozen=True)
class Period:
    kind: str
    key: str
    first_month: str
    last_month: str

    @property
    def months(self) -> list[str]:
        year, month = int(self.first_month[:4]), int(self.first_month[5:])
        result = []
        while True:
            key = f"{year:04d}-{month:02d}"
            result.append(key)
            if key == self.last_month:
                return result
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    @property
    def start(self) -> date:
        return date(int(self.first_month[:4]), int(self.first_month[5:]), 1)

    @property
    def after(self) -> date:
        """The day after the period's last day."""
        year, month = int(self.last_month[:4]), int(self.last_month[5:])
        return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        year, month = int(self.first_month[:4]), int(self.first_month[5:])
        before = date(year - 1, 12, 1) if month == 1 else date(year, month - 1, 1)
        if self.kind == "plan":
            before = date(year - 1, 1, 1)
        return period_of(before, self.kind)

    def year_earlier(self) -> Period:
        """The same period a year before (2026-11 → 2025-11, 2026Q4 → 2025Q4); a plan period's
        comparison is the plan before it."""
        if self.kind == "plan":
            return self.previous()
        return period_of(date(int(self.first_month[:4]) - 1, int(self.first_month[5:]), 1), self.kind)


def scope_key(month: str, scope: str) -> str:
    """The key of the ``scope`` period containing ``month`` ("2026-11", "quarter" → "2026Q4")."""
    year, number = int(month[:4]), int(month[5:])
    if scope == "month":
        return month
    if scope == "quarter":
        return f"{year}Q{(number - 1) // 3 + 1}"
    if scope == "year":
        return str(year)
    start = PLAN_BASE_YEAR + (year - PLAN_BASE_YEAR) // 5 * 5
    return f"{start}-{start + 4}"


def period_of(day: date, kind: str) -> Period:
    return parse_period(scope_key(month_key(day), kind))


def current_period(kind: str = "month") -> Period:
    """The period of ``kind`` that today (local) lies in; figures are for this month unless asked otherwise."""
    return period_of(local_today(), kind)


def requested_period(key: str | None) -> Period:
    """The period a request names, or this month when it names none.

    :raises PeriodError: when ``key`` is not a period.
    """
    return parse_period(key) if key else current_period()


def shown_period(key: str | None) -> tuple[Period, bool]:
    """The period a page shows for ``key``, and whether ``key`` was no period (then this month is shown)."""
    try:
        return requested_period(key), False
    except PeriodError:
        return current_period(), True


def parse_period(key: str) -> Period:
    """:raises PeriodError: for anything but 2026-11, 2026Q4, 2026 or a five-year plan 2026-2030."""
    key = (key or "").strip()
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(key)
        if not match:
            continue
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            break
        if kind == "month":
            return Period(kind, key, key, key)
        if kind == "quarter":
            quarter = int(match.group(2))
            return Period(kind, key, f"{year}-{quarter * 3 - 2:02d}", f"{year}-{quarter * 3:02d}")
        if kind == "year":
            return Period(kind, key, f"{year}-01", f"{year}-12")
        end = int(match.group(2))
        if end != year + 4 or (year - PLAN_BASE_YEAR) % 5:
            raise PeriodError(key)
        return Period(kind, key, f"{year}-01", f"{end}-12")
    raise PeriodError(key)


def first_scopes(previous_month: str | None, month: str) -> tuple[str, ...]:
    """The scopes in which ``month`` is a respondent's first, given their last earlier month.

    Scopes nest: first in the year implies first in the quarter and the month.
    """
    if previous_month is None:
        return SCOPES
    return tuple(scope for scope in SCOPES if scope_key(previous_month, scope) != scope_key(month, scope))


def scope_bits(scopes: tuple[str, ...]) -> int:
    """``scopes`` as the bits an event row keeps them in: month 1, quarter 2, year 4, plan 8."""
    return sum(1 << SCOPES.index(scope) for scope in scopes)
