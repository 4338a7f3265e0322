"""A completed demo wave in the demo city's first district (滨江区), with invented population
margins and about 600 interviews over the four modes.

Every number here is invented for the demo. The interviews are skewed the way fieldwork skews
them: door-to-door finds older residents and women at home, street intercepts and online
invitations reach the young, so the unweighted mean and the weighted estimate differ visibly,
and a few interviews are flagged as too fast or straight-lined.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from quizzes.library import Library
from webapp.accounts.models import User
from webapp.clock import local_midnight_utc, local_today, to_local
from webapp.demo import resident_answers
from webapp.extensions import db
from webapp.monitoring import interviews as fieldwork
from webapp.monitoring import waves as setup
from webapp.monitoring.models import Invitation, Wave
from webapp.monitoring.quality import QualityRules
from webapp.regions.margins import import_margins
from webapp.regions.models import Region

BANDS = ("15-29", "30-44", "45-59", "60+")
#: invented shares of the adult population by age band, then of women within each band
BAND_SHARES = {"15-29": 0.21, "30-44": 0.27, "45-59": 0.28, "60+": 0.24}
FEMALE_SHARES = {"15-29": 0.48, "30-44": 0.49, "45-59": 0.50, "60+": 0.54}
#: how often each mode reaches each age band (invented): door-to-door finds older residents at home
MODE_AGE = {
    "door": {"15-29": 0.06, "30-44": 0.12, "45-59": 0.27, "60+": 0.55},
    "street": {"15-29": 0.34, "30-44": 0.32, "45-59": 0.22, "60+": 0.12},
    "phone": {"15-29": 0.16, "30-44": 0.28, "45-59": 0.32, "60+": 0.24},
    "online": {"15-29": 0.42, "30-44": 0.36, "45-59": 0.16, "60+": 0.06},
}
MODE_FEMALE = {"door": 0.68, "street": 0.52, "phone": 0.56, "online": 0.47}
MODE_SHARES = {"door": 0.5, "street": 0.18, "phone": 0.18, "online": 0.14}
#: invented: the knowledge a respondent of each band brings, before the question's own difficulty
BAND_SKILL = {"15-29": 0.84, "30-44": 0.80, "45-59": 0.69, "60+": 0.50}


def seed_demo_margins(city: Region) -> None:
    """Invented margins for the city and each district, adding up to their resident populations."""
    rows = []
    for region in [city, *db.session.execute(db.select(Region).where(Region.parent_id == city.id)).scalars()]:
        total = region.population or 0
        for band in BANDS:
            women = round(total * BAND_SHARES[band] * FEMALE_SHARES[band])
            men = round(total * BAND_SHARES[band]) - women
            rows += [{"region_code": region.code, "age_band": band, "sex": "female", "population": str(women)}]
            rows += [{"region_code": region.code, "age_band": band, "sex": "male", "population": str(men)}]
    import_margins(list(enumerate(rows, start=2)), "demo")


def _pick(shares: dict[str, float], rng: random.Random) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _sitting_length(rng: random.Random) -> timedelta:
    """Most interviews take 6–14 minutes; one in fifty is rushed through in under a minute."""
    if rng.random() < 0.02:
        return timedelta(seconds=rng.randint(25, 45))
    return timedelta(seconds=rng.randint(360, 840))


def seed_demo_wave(library: Library, city: Region, organizer: User, staff: User, seed: int = 2026) -> Wave | None:
    """A closed wave of this year in the first district, unless one is there already."""
    # the first by code, where the demo staff work: an unordered read may return any district
    district = db.session.execute(
        db.select(Region).where(Region.parent_id == city.id).order_by(Region.code).limit(1)
    ).scalar_one()
    if db.session.execute(db.select(Wave.id).where(Wave.region_id == district.id)).first():
        return None
    rng = random.Random(seed)
    # eight weeks of fieldwork ending a few days ago
    first_day = local_today() - timedelta(days=62)
    year = first_day.year
    title = f"{year}年{district.name_zh}消防安全知晓率抽样调查（演示数据）"
    plan = setup.WavePlan(title, str(year), 600, "proportional", list(MODE_SHARES))
    wave = setup.create_wave(organizer, district, plan)
    interviewers = [setup.assign_interviewer(organizer, wave, account.id) for account in (organizer, staff)]
    clock = {i.id: local_midnight_utc(first_day) + timedelta(hours=9) for i in interviewers}
    for entry in wave.communities:
        for _ in range(entry.target):
            _one_interview(library, wave, entry.community, interviewers, clock, rng)
    setup.close_wave(organizer, wave)
    return wave


def _one_interview(library: Library, wave: Wave, community: Region, interviewers, clock, rng: random.Random) -> None:
    mode = _pick(MODE_SHARES, rng)
    band = _pick(MODE_AGE[mode], rng)
    sex = "female" if rng.random() < MODE_FEMALE[mode] else "male"
    person = fieldwork.Respondent(band, sex, "rural" if community.level == "village" else "urban", mode)
    if mode == "online":
        invitation = Invitation(wave=wave, community=community, code_digest=f"demo-{rng.getrandbits(128):032x}")
        db.session.add(invitation)
        db.session.flush()
        started = clock[interviewers[0].id] + timedelta(minutes=rng.randint(0, 600))
        interview = fieldwork.new_interview(library, wave, community, person, started)
        interview.invitation_id, invitation.used_at = invitation.id, started
    else:
        interviewer = next(
            (
                i
                for i in interviewers
                if i.user.scope and community.path.startswith(i.user.scope.path) and i.user.role == "staff"
            ),
            interviewers[0],
        )
        started = _next_slot(clock, interviewer.id, rng)
        interview = fieldwork.new_interview(library, wave, community, person, started)
        interview.interviewer = interviewer
    db.session.add(interview)
    db.session.flush()
    skill = min(0.97, max(0.2, rng.gauss(BAND_SKILL[band], 0.12)))
    choices = resident_answers(interview.items, library, skill, rng)
    if rng.random() < 0.01:
        choices = {i: [0] for i in range(len(interview.items))}  # straight-lined
    fieldwork.hand_in(library, interview, choices, QualityRules(), now=started + _sitting_length(rng))


def _next_slot(clock: dict[int, datetime], interviewer_id: int, rng: random.Random) -> datetime:
    """The interviewer's next start: 20–40 minutes after the last, the next morning after 18:00."""
    moment = clock[interviewer_id] + timedelta(minutes=rng.randint(20, 40))
    if to_local(moment).hour >= 18:
        moment = moment + timedelta(hours=15)
    clock[interviewer_id] = moment
    return moment


def seed_demo_monitoring(library: Library, city: Region) -> Wave | None:
    """Margins for the demo city and its districts, and the demo wave, unless they are there already."""
    from webapp.accounts.service import find_user

    organizer, staff = find_user("demo-organizer"), find_user("demo-staff")
    if organizer is None or staff is None:
        return None
    if db.session.execute(db.select(Wave.id).join(Region, Region.id == Wave.region_id).where(Region.is_demo)).first():
        return None
    seed_demo_margins(city)
    return seed_demo_wave(library, city, organizer, staff)
