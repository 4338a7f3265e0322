"""The monitoring estimate a dashboard shows for a region and period, when a wave covers them.

A wave covers a region when it surveyed the region itself, or a larger region whose estimate
breaks down to this one with an effective sample of at least 30; it covers a period when one
of the two periods lies within the other (a 2026 wave covers 2026Q4 and 2026-11, and the plan
period 2026-2030). The latest such wave's figure is the one the plan's target is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.monitoring.estimates import wave_estimates
from webapp.monitoring.models import Wave
from webapp.regions.models import Region
from webapp.regions.service import ancestors
from webapp.stats.figures import Figure
from webapp.stats.periods import Period, PeriodError, parse_period


@dataclass(frozen=True)
class MonitoringFigure:
    wave_id: int
    wave_title: str
    wave_period: str
    #: the region the wave surveyed (the read region itself, or one containing it)
    wave_region: str
    awareness: Figure
    pass_share: Figure
    n_effective: float | None
    deff: float | None


def _overlaps(wave_period: str, period: Period) -> bool:
    try:
        measured = parse_period(wave_period)
    except PeriodError:
        return False
    inside = measured.first_month >= period.first_month and measured.last_month <= period.last_month
    around = period.first_month >= measured.first_month and period.last_month <= measured.last_month
    return inside or around


def _figure(estimate: dict[str, Any]) -> Figure:
    return Figure(estimate["value"], estimate["n"], estimate["low"], estimate["high"])


def _estimate_for(wave: Wave, region: Region) -> MonitoringFigure | None:
    payload = wave_estimates(wave)
    if payload.get("error"):
        return None
    if wave.region_id == region.id:
        awareness, pass_share = payload["awareness"], payload["pass_share"]
    else:
        area = next((a for a in payload["by_area"] if a["code"] == region.code), None)
        if area is None:
            return None
        awareness, pass_share = area["awareness"], area["pass_share"]
    return MonitoringFigure(
        wave.id,
        wave.title,
        wave.period,
        wave.region.code,
        _figure(awareness),
        _figure(pass_share),
        awareness.get("n_effective"),
        awareness.get("deff"),
    )


def monitoring_figure(region: Region, period: Period) -> MonitoringFigure | None:
    """The latest covering wave's estimate for ``region``, or None when no wave covers it."""
    regions = [region.id] + [up.id for up in ancestors(region)]
    waves = db.session.execute(
        select(Wave).where(Wave.region_id.in_(regions)).order_by(Wave.period.desc(), Wave.created_at.desc())
    ).scalars()
    for wave in waves:
        if _overlaps(wave.period, period):
            found = _estimate_for(wave, region)
            if found is not None:
                return found
    return None
