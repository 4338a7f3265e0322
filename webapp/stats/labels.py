"""How indicators, statuses and periods read on the page, in both languages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.i18n import current_lang
from webapp.regions.models import Region, RegionView
from webapp.stats.figures import Figure
from webapp.stats.periods import Period, parse_period

if TYPE_CHECKING:
    from webapp.stats.targets import TargetValue

INDICATOR_LABELS = {
    "monitoring": _l("Awareness rate: monitoring estimate"),
    "monitoring_pass_share": _l("Pass share: monitoring estimate"),
    "awareness": _l("Awareness rate: online participation"),
    "pass_share": _l("Pass share: online participation"),
    "after_learning": _l("After learning (retakes)"),
    "usage": _l("Platform usage rate"),
    "education": _l("Education reach (online)"),
    "volunteer_share": _l("Volunteers per resident"),
    "volunteer_count": _l("Registered volunteers"),
    "training": _l("Training rate of key groups"),
    "training_growth": _l("Training rate: gain on a year before"),
}
#: what each indicator counts, shown beside it so a number never stands alone
INDICATOR_NOTES = {
    "monitoring": _l(
        "From the latest monitoring wave covering the period: interviews with a sample drawn by community, age and "
        "sex, weighted to the population. The plan's target is checked against this figure."
    ),
    "monitoring_pass_share": _l("Share of the interviewed, weighted to the population, who reached the pass mark."),
    "awareness": _l(
        "Mean score of the first complete online survey of each resident who took part in the period: the residents "
        "who chose to take the quiz, not a sample of the population."
    ),
    "pass_share": _l("Share of those respondents whose first survey reached the pass mark."),
    "after_learning": _l("Mean score of later surveys by the same respondents; not part of the awareness rate."),
    "usage": _l("Residents who started a quiz or finished a lesson, divided by the resident population."),
    "education": _l("Residents who finished a lesson or handed in a quiz, divided by the resident population."),
    "volunteer_share": _l("Active registered volunteers divided by the resident population."),
    "volunteer_count": _l("Active registered volunteers."),
    "training": _l(
        "People on units' rosters holding a valid certificate of a course for their role, divided by the people "
        "on the rosters, on the period's last day. A count of every roster, not a sample."
    ),
    "training_growth": _l("The training rate minus the rate on the same day a year before, in percentage points."),
}
REVIEW_LABELS = {
    "too_easy": _l("Too easy: nearly everyone answers it right"),
    "too_hard": _l("Too hard: few answer it right"),
    "low_discrimination": _l("Does not tell who knows"),
}
STATUS_LABELS = {
    "met": _l("met"),
    "not_met": _l("not met"),
    "unclear": _l("not yet clear"),
    "no_data": _l("no data yet"),
}


def indicator_label(key: str) -> str:
    """An indicator's name; ``training:<role>`` is the training rate of one role."""
    if key.startswith("training:"):
        from webapp.training.labels import role_name

        return _("Training rate: %(role)s", role=role_name(key.split(":", 1)[1]))
    return str(INDICATOR_LABELS.get(key, key))


def period_label(period: Period) -> str:
    year = int(period.first_month[:4])
    if period.kind == "month":
        return _("%(year)s-%(month)s", year=year, month=period.first_month[5:])
    if period.kind == "quarter":
        return _("Q%(quarter)s %(year)s", quarter=period.key[-1], year=year)
    if period.kind == "year":
        return _("Year %(year)s", year=year)
    return _("Plan period %(start)s–%(end)s", start=year, end=int(period.last_month[:4]))


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def interval(figure: Figure, digits: int = 1) -> str:
    if figure.low is None or figure.high is None:
        return "—"
    return f"{percent(figure.low, digits)}–{percent(figure.high, digits)}"


def status_label(status: str | None) -> str:
    return str(STATUS_LABELS.get(status, "")) if status else ""


def review_label(reason: str) -> str:
    return str(REVIEW_LABELS.get(reason, reason))


def target_source(target: TargetValue, region: Region | RegionView) -> str:
    """Where a target comes from, in one short phrase: who set it and for which period."""
    period = period_label(parse_period(target.period))
    if target.region.code == region.code:
        return _("set here for %(period)s", period=period)
    return _("set by %(region)s for %(period)s", region=target.region.name(current_lang()), period=period)
