"""Which periods hold enough survey responses to show: the dashboard's default and its picker.

A dashboard opened on the 1st of a month would show the handful of surveys since midnight as the
month's figure. Instead it opens on the latest period with at least ``ENOUGH`` respondents: this
month when it has them, else the last complete month, else the year to date, else the latest
month that had them; and the picker offers only periods that hold any response.
"""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.clock import local_today
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.stats.applier import catch_up
from webapp.stats.models import SurveyRollup
from webapp.stats.periods import Period, current_period, parse_period, period_of

#: fewer respondents than this and a rate is marked "too few responses" (样本不足)
ENOUGH = 30
#: how many months back the picker offers
PICKER_MONTHS = 24


def respondents_by_month(region: Region) -> dict[str, int]:
    """First valid surveys per month in the region's subtree (from the region's own rollups)."""
    catch_up()
    rows = db.session.execute(
        select(SurveyRollup.month, func.sum(SurveyRollup.respondents))
        .where(SurveyRollup.region_id == region.id, SurveyRollup.scope == "month")
        .group_by(SurveyRollup.month)
    )
    return {month: int(n or 0) for month, n in rows if n}


def default_period(region: Region, counts: dict[str, int] | None = None) -> Period:
    counts = respondents_by_month(region) if counts is None else counts
    this_month = current_period("month")
    last_month = this_month.previous()
    year_to_date = current_period("year")
    for period in (this_month, last_month):
        if counts.get(period.key, 0) >= ENOUGH:
            return period
    if respondents_in(year_to_date, counts) >= ENOUGH:
        return year_to_date
    enough = sorted((m for m, n in counts.items() if n >= ENOUGH and m <= this_month.key), reverse=True)
    return parse_period(enough[0]) if enough else this_month


def periods_with_data(region: Region, counts: dict[str, int] | None = None) -> dict[str, list[Period]]:
    """The picker's choices by kind, latest first: months, quarters, years, plan periods with responses."""
    counts = respondents_by_month(region) if counts is None else counts
    today = local_today()
    months = sorted((m for m in counts if m <= f"{today:%Y-%m}"), reverse=True)[:PICKER_MONTHS]
    choices: dict[str, list[Period]] = {"month": [], "quarter": [], "year": [], "plan": []}
    for month in months:
        day = parse_period(month).start
        for kind in choices:
            period = period_of(day, kind)
            if period not in choices[kind]:
                choices[kind].append(period)
    return choices


def respondents_in(period: Period, counts: dict[str, int]) -> int:
    """Respondents of ``counts`` in the months of ``period`` (a person in two months counts twice:
    enough to judge whether a period is worth opening on, not a figure to show)."""
    months = set(period.months)
    return sum(n for month, n in counts.items() if month in months)


def too_few(n: int) -> bool:
    return n < ENOUGH
