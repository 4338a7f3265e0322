"""A wave's weighted estimates, computed from its counted interviews and kept until they change.

The interviews are weighted to the wave's population (the sampled communities' residents, and
the region's age-by-sex margins) by ``webapp.monitoring.weighting``. When the sample covers
only some of the region's communities, the margins are scaled to the residents of the sampled
ones: the weights then assume those communities have the region's age and sex make-up, which
the method note says.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.clock import utcnow
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.monitoring import weighting
from webapp.monitoring.models import Interview, Wave, WaveEstimate
from webapp.monitoring.progress import completed_interviews
from webapp.regions.margins import margins_of
from webapp.regions.models import Region


def _basis(counted: list[Interview], wave: Wave) -> str:
    ids = ",".join(str(i.id) for i in counted)
    return f"{len(counted)}:{wave.method}:{hashlib.sha256(ids.encode()).hexdigest()[:32]}"


def _areas(community: Region, wave: Wave) -> dict[str, str]:
    """The regions between the wave's region and the community, by level."""
    areas = {}
    region: Region | None = community.parent
    while region is not None and region.path.startswith(wave.region.path):
        areas[region.level] = region.code
        region = region.parent
    return areas


def wave_population(wave: Wave) -> weighting.Population:
    communities = {entry.community.code: entry.community.population or 0 for entry in wave.communities}
    margins = margins_of(wave.region)
    scale = sum(communities.values()) / (sum(margins.values()) or 1)
    return weighting.Population(communities, {cell: n * scale for cell, n in margins.items()})


def sample_of(wave: Wave, interviews: list[Interview]) -> list[weighting.Interview]:
    return [
        weighting.Interview(
            community=i.community.code,
            areas=_areas(i.community, wave),
            age_band=i.age_band,
            sex=i.sex,
            score=i.score or 0.0,
            passed=bool(i.passed),
            parts=i.parts or {},
        )
        for i in interviews
    ]


def _figure(estimate: weighting.Estimate) -> dict[str, Any]:
    return asdict(estimate)


def compute(wave: Wave, counted: list[Interview]) -> dict[str, Any]:
    """The payload kept for the wave: the estimates, or the refusal that stopped them."""
    payload: dict[str, Any] = {"n": len(counted), "method": wave.method}
    if not counted:
        return {**payload, "error": "no_interviews"}
    try:
        method: weighting.Method = "poststratify" if wave.method == "poststratify" else "rake"
        result = weighting.estimate_wave(sample_of(wave, counted), wave_population(wave), method=method)
    except DomainError as refusal:
        return {**payload, "error": refusal.code}
    codes = [code for _, code in result.by_area]
    names = {
        r.code: (r.name_zh, r.name_en)
        for r in db.session.execute(select(Region).where(Region.code.in_(codes))).scalars()
    }
    return {
        **payload,
        "error": None,
        "awareness": _figure(result.awareness),
        "pass_share": _figure(result.pass_share),
        "unweighted": _figure(result.unweighted),
        "kish_deff": result.kish_deff,
        "by_area": [
            {
                "level": level,
                "code": code,
                "names": names.get(code, (code, code)),
                "awareness": _figure(a),
                "pass_share": _figure(p),
            }
            for (level, code), (a, p) in sorted(result.by_area.items())
        ],
        "parts": {key: _figure(estimate) for key, estimate in sorted(result.parts.items())},
    }


def wave_estimates(wave: Wave) -> dict[str, Any]:
    """The kept estimates, recomputed first when the counted interviews changed since."""
    counted = [i for i in completed_interviews(wave) if i.counts]
    basis = _basis(counted, wave)
    kept = db.session.get(WaveEstimate, wave.id)
    if kept is not None and kept.basis == basis:
        return kept.payload
    payload = compute(wave, counted)
    if kept is not None:
        kept.basis, kept.payload, kept.computed_at = basis, payload, utcnow()
        return payload
    try:
        with db.session.begin_nested():
            db.session.add(WaveEstimate(wave_id=wave.id, basis=basis, payload=payload, computed_at=utcnow()))
    except IntegrityError:
        pass  # another request kept the same estimate a moment ago
    return payload
