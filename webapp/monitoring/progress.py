"""How far a wave's fieldwork has come: completed against target per community, per age-by-sex
cell, per mode and per interviewer, and the interviews kept out for review."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.monitoring.allocation import cell_quotas
from webapp.monitoring.models import Interview, Wave
from webapp.regions.margins import age_bands, margins_of
from webapp.regions.models import SEXES, Region


@dataclass(frozen=True)
class Tally:
    target: int
    completed: int
    #: completed and counting: unflagged, or accepted on review
    counted: int

    @property
    def share(self) -> float | None:
        return self.counted / self.target if self.target else None


@dataclass(frozen=True)
class WaveProgress:
    total: Tally
    communities: list[tuple[Region, Tally]]
    #: (age band, sex) -> tally against the quota from the population margins
    cells: dict[tuple[str, str], Tally]
    bands: list[str]
    modes: dict[str, int]
    #: interviewer (username, or volunteer:<id>) -> (completed, flagged)
    interviewers: dict[str, tuple[int, int]]
    flagged: list[Interview]
    started_not_finished: int


def completed_interviews(wave: Wave) -> list[Interview]:
    stmt = select(Interview).where(Interview.wave_id == wave.id, Interview.ended_at.is_not(None)).order_by(Interview.id)
    return list(db.session.execute(stmt).scalars())


def wave_progress(wave: Wave) -> WaveProgress:
    interviews = completed_interviews(wave)
    counted = [i for i in interviews if i.counts]
    done = Counter(i.community_id for i in interviews)
    kept = Counter(i.community_id for i in counted)
    communities = [
        (entry.community, Tally(entry.target, done[entry.community_id], kept[entry.community_id]))
        for entry in sorted(wave.communities, key=lambda e: e.community.code)
    ]
    margins = margins_of(wave.region)
    quotas = cell_quotas(wave.target_size, margins)
    cell_done = Counter((i.age_band, i.sex) for i in interviews)
    cell_kept = Counter((i.age_band, i.sex) for i in counted)
    bands = age_bands(margins)
    cells = {
        (band, sex): Tally(quotas.get((band, sex), 0), cell_done[(band, sex)], cell_kept[(band, sex)])
        for band in bands
        for sex in SEXES
    }
    per_interviewer: dict[str, tuple[int, int]] = {}
    for interview in interviews:
        name = interview.interviewer.key if interview.interviewer else "online"
        completed, flagged = per_interviewer.get(name, (0, 0))
        per_interviewer[name] = (completed + 1, flagged + bool(interview.flags))
    started = db.session.execute(
        select(Interview.id).where(Interview.wave_id == wave.id, Interview.ended_at.is_(None))
    ).all()
    return WaveProgress(
        total=Tally(wave.target_size, len(interviews), len(counted)),
        communities=communities,
        cells=cells,
        bands=bands,
        modes=dict(Counter(i.mode for i in interviews)),
        interviewers=per_interviewer,
        flagged=[i for i in interviews if i.flags],
        started_not_finished=len(started),
    )
