"""Demo training data: units in every street, rosters by role, and a history of certificates
(online and offline, some lapsed, some about to expire) that makes the rates differ by district,
role and year. Everything goes through the domain's own services; phone numbers are generated
in one block (198 0000 …) and shown masked like all others.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from quizzes.library import Library
from webapp.accounts.models import User
from webapp.campaigns import service as campaigns
from webapp.clock import local_today
from webapp.demo import GIVEN, SURNAMES
from webapp.extensions import db
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.stats.targets import set_target
from webapp.training import certificates, learning, roster, units
from webapp.training.models import RosterMember, Unit

#: (kind, name pattern, key unit, roles with how many people each)
UNIT_TEMPLATES = (
    (
        "commercial_complex",
        "{place}购物中心",
        True,
        {
            "responsible-person": 1,
            "safety-manager": 1,
            "control-room-operator": 3,
            "micro-station-lead": 1,
            "employee": 12,
        },
    ),
    (
        "hospital",
        "{place}社区卫生服务中心",
        True,
        {"responsible-person": 1, "safety-manager": 1, "control-room-operator": 2, "employee": 8},
    ),
    (
        "elderly_care",
        "{place}养老院",
        True,
        {"responsible-person": 1, "safety-manager": 1, "micro-station-lead": 1, "employee": 6},
    ),
    ("enterprise", "{place}服装厂", False, {"responsible-person": 1, "safety-manager": 1, "employee": 15}),
    ("university", "{place}职业学院", True, {"safety-manager": 1, "micro-station-lead": 1, "freshman": 20}),
    ("property", "{place}物业服务中心", False, {"property-staff": 4, "group-rental-landlord": 2}),
    ("residents_committee", "{place}居委会", False, {"grid-worker": 4, "department-head": 1}),
)
#: the share of people trained, by district: the demo city's districts differ visibly
DISTRICT_UPTAKE = (0.85, 0.6, 0.35)
#: the demo plan: 100% for the key groups, 80% for employees, +20 points a year
PLAN = "2026-2030"
KEY_ROLE_TARGET, EMPLOYEE_TARGET, GROWTH_TARGET = 1.0, 0.8, 0.2


def _streets(city: Region) -> list[Region]:
    stmt = select(Region).where(Region.path.like(f"{city.path}%"), Region.level == "street").order_by(Region.code)
    return list(db.session.execute(stmt).scalars())


def _communities(street: Region) -> list[Region]:
    stmt = select(Region).where(Region.parent_id == street.id, Region.level.in_(LEAF_LEVELS)).order_by(Region.code)
    return list(db.session.execute(stmt).scalars())


def _district_index(street: Region) -> int:
    return max(0, min(len(DISTRICT_UPTAKE) - 1, int(street.code[-4:-2]) - 1))


def seed_demo_targets(city: Region) -> None:
    set_target(city, "training", PLAN, KEY_ROLE_TARGET, None)
    set_target(city, "training:employee", PLAN, EMPLOYEE_TARGET, None)
    set_target(city, "training_growth", PLAN, GROWTH_TARGET, None)


class _Seeder:
    def __init__(self, library: Library, by: User, seed: int):
        self.library, self.by, self.rng = library, by, random.Random(seed)
        self.today = local_today()
        self.phone = 19800000000
        self.certified = 0

    def member(self, unit: Unit, role: str) -> RosterMember:
        self.phone += self.rng.randint(1, 97)
        joined = self.today - timedelta(days=self.rng.randint(30, 900))
        data = {"name": self.rng.choice(SURNAMES) + self.rng.choice(GIVEN), "phone": str(self.phone), "role": role}
        return roster.add_member(self.by, unit, {**data, "joined_on": joined})

    def history(self, member: RosterMember, uptake: float, offline_activity) -> None:
        """Certificates over the member's time on the roster: most renewed, some lapsed."""
        course = learning.courses_of(self.library, member)[0]
        if self.rng.random() > uptake:
            # started but not finished: a lesson or two read, which the trainee's page shows
            if self.rng.random() < 0.5:
                for lesson in course.lessons[: self.rng.randint(1, len(course.lessons) - 1)]:
                    learning.mark_lesson_read(member, course, lesson)
            return
        day = member.joined_on + timedelta(days=self.rng.randint(5, 120))
        offline = course.offline and offline_activity.held_on >= member.joined_on and self.rng.random() < 0.3
        if offline:  # trained at the street's session, then renewed online
            certificates.log_offline_training(self.by, offline_activity, course, [member])
            self.certified += 1
            day = certificates.add_months(offline_activity.held_on, course.validity_months) - timedelta(days=20)
        while day <= self.today:
            certificates.issue_certificate(member, course, day, by=self.by)
            self.certified += 1
            # most renew within the last two months; one in four lets it lapse for a while
            day = certificates.add_months(day, course.validity_months) - timedelta(days=self.rng.randint(0, 50))
            if self.rng.random() < 0.25:
                day += timedelta(days=self.rng.randint(60, 200))


def _training_activity(community: Region, by: User, day: date):
    data = {
        "title": "重点人员消防安全培训",
        "channel": "enterprise",
        "kind": "training",
        "held_on": day,
        "place": f"{community.name_zh}会议室",
        "participants": 30,
        "materials": 30,
        "notes": "",
    }
    return campaigns.create_activity(data, community, by, today=local_today())


def seed_demo_training(library: Library, city: Region, by: User, seed: int = 2026) -> tuple[int, int, int]:
    """Units, rosters and certificates in every street of the demo city, and the plan's training
    targets; nothing when the city has units already. (units, people, certificates) made."""
    if db.session.execute(select(Unit.id).join(Region).where(Region.path.like(f"{city.path}%")).limit(1)).first():
        return 0, 0, 0
    seeder = _Seeder(library, by, seed)
    made_units = made_people = 0
    for street in _streets(city):
        uptake = DISTRICT_UPTAKE[_district_index(street)]
        places = _communities(street) or [street]
        activity = _training_activity(places[0], by, seeder.today - timedelta(days=seeder.rng.randint(20, 300)))
        for kind, pattern, key, roles in seeder.rng.sample(UNIT_TEMPLATES, 3):
            place = seeder.rng.choice(places)
            unit = units.create_unit(
                by,
                {"name": pattern.format(place=place.name_zh[:2]), "kind": kind, "key_unit": key, "region": place.code},
            )
            made_units += 1
            for role, count in roles.items():
                for _ in range(count):
                    member = seeder.member(unit, role)
                    made_people += 1
                    seeder.history(member, uptake, activity)
    seed_demo_targets(city)
    db.session.flush()
    return made_units, made_people, seeder.certified
