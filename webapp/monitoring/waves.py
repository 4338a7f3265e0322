"""Setting up a monitoring wave: its region and period, the sample over communities, interviewers.

Organizers set up waves for regions in their scope; the sample is allocated at once and kept, so
progress and weights always refer to the same design. Everything is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from werkzeug.exceptions import NotFound

from webapp.accounts.models import User
from webapp.accounts.permissions import get_in_scope, region_in_scope, within_scope
from webapp.audit.service import record
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.monitoring.allocation import SamplingUnit, equal_per_street, proportional
from webapp.monitoring.errors import WaveClosed, WaveError
from webapp.monitoring.models import ALLOCATIONS, CLOSED, MODES, WEIGHTING_METHODS, Interviewer, Wave, WaveCommunity
from webapp.regions.margins import margins_of
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.stats.periods import PeriodError, parse_period
from webapp.volunteers.models import Volunteer

MIN_SAMPLE, MAX_SAMPLE = 30, 100_000
#: who can be sent out to interview
INTERVIEWER_ROLES = ("staff", "organizer")


@dataclass(frozen=True)
class WavePlan:
    """What an organizer asks for; ``chosen`` gives interviews per community code for a chosen allocation."""

    title: str
    period: str
    target_size: int
    allocation: str
    modes: Sequence[str]
    method: str = "rake"
    chosen: Mapping[str, int] | None = None


def waves_in_scope(user: User) -> Select:
    return within_scope(select(Wave), user, Wave.region_id).order_by(Wave.created_at.desc(), Wave.id.desc())


def get_wave(user: User, wave_id: int) -> Wave:
    """:raises NotFound: unless the wave's region lies in the user's scope."""
    return get_in_scope(user, Wave, wave_id, lambda wave: wave.region)


def _checked(plan: WavePlan) -> None:
    problems = {}
    if not plan.title.strip() or len(plan.title) > 100:
        problems["title"] = "wave_title"
    try:
        parse_period(plan.period)
    except PeriodError:
        problems["period"] = "unknown_period"
    if not MIN_SAMPLE <= plan.target_size <= MAX_SAMPLE:
        problems["target_size"] = "wave_size"
    if plan.allocation not in ALLOCATIONS:
        problems["allocation"] = "wave_allocation"
    if not plan.modes or any(mode not in MODES for mode in plan.modes):
        problems["modes"] = "wave_modes"
    if plan.method not in WEIGHTING_METHODS:
        problems["method"] = "wave_method"
    if problems:
        raise WaveError(next(iter(problems.values())), problems)


def _sampling_units(region: Region) -> list[tuple[Region, SamplingUnit]]:
    communities = db.session.execute(
        select(Region).where(Region.path.like(f"{region.path}%"), Region.level.in_(LEAF_LEVELS)).order_by(Region.code)
    ).scalars()
    return [(c, SamplingUnit(c.id, c.parent_id or c.id, c.population or 0)) for c in communities if c.population]


def allocate_sample(region: Region, plan: WavePlan) -> dict[int, int]:
    """Interviews per community id (communities given none are not in the sample).

    :raises WaveError: no populated community to sample, or a chosen allocation naming
        communities outside the region.
    """
    units = _sampling_units(region)
    if not units:
        raise WaveError("no_communities", {"region": "no_communities"})
    if plan.allocation == "chosen":
        by_code = {community.code: community.id for community, _ in units}
        chosen = plan.chosen or {}
        if not chosen or any(code not in by_code or n < 1 for code, n in chosen.items()):
            raise WaveError("chosen_allocation", {"chosen": "chosen_allocation"})
        return {by_code[code]: n for code, n in chosen.items()}
    plain = [unit for _, unit in units]
    shares = equal_per_street(plan.target_size, plain) if plan.allocation == "equal_per_street" else None
    return {k: n for k, n in (shares or proportional(plan.target_size, plain)).items() if n}


def create_wave(user: User, region: Region, plan: WavePlan) -> Wave:
    """:raises WaveError: a bad field, or a region without population margins to weight to."""
    _checked(plan)
    if not margins_of(region):
        raise WaveError("margins_missing", {"region": "margins_missing"})
    allocation = allocate_sample(region, plan)
    wave = Wave(
        title=plan.title.strip(),
        region=region,
        period=parse_period(plan.period).key,
        target_size=sum(allocation.values()),
        allocation=plan.allocation,
        modes=[mode for mode in MODES if mode in plan.modes],
        method=plan.method,
        created_by_id=user.id,
        communities=[WaveCommunity(community_id=c, target=n) for c, n in allocation.items()],
    )
    db.session.add(wave)
    db.session.flush()
    record(user, "wave.create", wave, details={"region": region.code, "period": wave.period, "size": wave.target_size})
    return wave


def close_wave(user: User, wave: Wave) -> None:
    if wave.is_open:
        wave.status, wave.closed_at = CLOSED, utcnow()
        record(user, "wave.close", wave)


def require_open(wave: Wave) -> None:
    """:raises WaveClosed: when no more interviews can be added."""
    if not wave.is_open:
        raise WaveClosed()


def interviewer_candidates(user: User, wave: Wave) -> list[User]:
    """Accounts in the organizer's scope who work inside the wave's region and may interview."""
    accounts = within_scope(select(User), user, User.scope_id).where(
        User.role.in_(INTERVIEWER_ROLES), User.active.is_(True)
    )
    return [a for a in db.session.execute(accounts.order_by(User.username)).scalars() if _works_in(a, wave)]


def _works_in(account: User, wave: Wave) -> bool:
    """The account's scope and the wave's region overlap: one lies inside the other."""
    scope = account.scope
    return scope is not None and (scope.path.startswith(wave.region.path) or wave.region.path.startswith(scope.path))


def assign_interviewer(user: User, wave: Wave, account_id: int) -> Interviewer:
    """:raises WaveError: an account the organizer cannot see, or that works outside the wave's region."""
    require_open(wave)
    account = db.session.get(User, account_id)
    if account is None or account not in interviewer_candidates(user, wave):
        raise WaveError("interviewer_out_of_scope", {"user_id": "interviewer_out_of_scope"})
    existing = db.session.execute(
        select(Interviewer).where(Interviewer.wave_id == wave.id, Interviewer.user_id == account.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    interviewer = Interviewer(wave=wave, user=account, assigned_by_id=user.id)
    db.session.add(interviewer)
    db.session.flush()
    record(user, "wave.assign", wave, details={"interviewer": account.username})
    return interviewer


def volunteer_candidates(user: User, wave: Wave) -> list[Volunteer]:
    """Active volunteers in the organizer's scope who live in the wave's region."""
    stmt = within_scope(select(Volunteer), user, Volunteer.community_id).where(
        Volunteer.status == "active",
        Volunteer.community_id.in_(select(Region.id).where(Region.path.like(f"{wave.region.path}%"))),
    )
    return list(db.session.execute(stmt.order_by(Volunteer.name, Volunteer.id)).scalars())


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def assign_volunteer(user: User, wave: Wave, volunteer_id: int) -> tuple[Interviewer, str]:
    """Let a volunteer interview, with a personal link key shown once (a new key each time:
    assigning again replaces a lost one).

    :raises WaveError: a volunteer the organizer cannot see, not active, or outside the region.
    """
    require_open(wave)
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer not in volunteer_candidates(user, wave):
        raise WaveError("interviewer_out_of_scope", {"volunteer_id": "interviewer_out_of_scope"})
    interviewer = db.session.execute(
        select(Interviewer).where(Interviewer.wave_id == wave.id, Interviewer.volunteer_id == volunteer.id)
    ).scalar_one_or_none()
    if interviewer is None:
        interviewer = Interviewer(wave=wave, volunteer=volunteer, assigned_by_id=user.id)
        db.session.add(interviewer)
    key = secrets.token_urlsafe(24)
    interviewer.key_digest, interviewer.revoked_at = _key_digest(key), None
    db.session.flush()
    record(user, "wave.assign", wave, details={"volunteer": volunteer.id})
    return interviewer, key


def interviewer_by_key(key: str) -> Interviewer:
    """:raises NotFound: a key never issued, replaced, or of a closed wave."""
    interviewer = db.session.execute(
        select(Interviewer).where(Interviewer.key_digest == _key_digest(key or ""))
    ).scalar_one_or_none()
    if interviewer is None or not interviewer.may_sign_in_by_link or not interviewer.wave.is_open:
        raise NotFound()
    return interviewer


def interviewers(wave: Wave) -> list[Interviewer]:
    return list(
        db.session.execute(select(Interviewer).where(Interviewer.wave_id == wave.id).order_by(Interviewer.id)).scalars()
    )


def my_assignments(user: User) -> list[Interviewer]:
    """The open waves the account interviews for."""
    stmt = (
        select(Interviewer)
        .join(Wave, Wave.id == Interviewer.wave_id)
        .where(Interviewer.user_id == user.id, Wave.status != CLOSED)
        .order_by(Wave.created_at.desc())
    )
    return list(db.session.execute(stmt).scalars())


def assignment_of(user: User, wave_id: int) -> Interviewer:
    """:raises NotFound: unless the account interviews for this open or closed wave."""
    interviewer = db.session.execute(
        select(Interviewer).where(Interviewer.wave_id == wave_id, Interviewer.user_id == user.id)
    ).scalar_one_or_none()
    if interviewer is None:
        raise NotFound()
    return interviewer


def sampled_communities(wave: Wave, interviewer: Interviewer | None = None) -> list[Region]:
    """The wave's communities; for an interviewer, those in their scope (a volunteer: their street)."""
    communities = [entry.community for entry in wave.communities]
    if interviewer is not None and interviewer.user is not None:
        communities = [c for c in communities if region_in_scope(interviewer.user, c)]
    elif interviewer is not None and interviewer.volunteer is not None:
        street = interviewer.volunteer.community.parent_id
        communities = [c for c in communities if c.parent_id == street]
    return sorted(communities, key=lambda c: c.code)
