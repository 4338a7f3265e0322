"""Checking a volunteer's details: one small check per rule, every failure collected.

``clean_volunteer`` runs each check of ``CHECKS`` over what was sent and returns the column
values, or refuses with every field that is wrong at once, so a form shows all its faults in
one go and an import lists them per line. Each check reads ``data``, puts the value it
vouches for into ``values`` and names a fault with ``refuse``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from webapp.extensions import db
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.volunteers.errors import PhoneError, VolunteerError
from webapp.volunteers.models import ADULT_AGE, AVAILABILITY, GENDERS, LANGUAGES, SKILLS, Team, Volunteer
from webapp.volunteers.phones import normalize_phone
from webapp.volunteers.queries import find_by_phone

#: a birth year is plausible for someone aged YOUNGEST_AGE to OLDEST_AGE this year
YOUNGEST_AGE, OLDEST_AGE = 8, 100
#: levels a team may belong to (志愿服务队 of a community or of a street)
TEAM_LEVELS = ("street", *LEAF_LEVELS)
MAX_TRAINING_HOURS = 200
MAX_NAME, MAX_GUARDIAN_NAME, MAX_NOTES = 50, 50, 1000
MAX_COURSE, MAX_TEAM_NAME = 100, 100


def text(value: Any) -> str:
    """What was typed, with runs of spaces (and line breaks) as one space."""
    return " ".join(str(value or "").split())


def is_minor(birth_year: int | None, year: int) -> bool:
    """Under ADULT_AGE going by the year alone; an unknown birth year counts as adult."""
    return birth_year is not None and year - birth_year < ADULT_AGE


# a JSON true is an int to Python, not a number to the person who sent it
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Checking:
    """One volunteer's details under check: what was sent, the values vouched for, the faults."""

    data: Mapping[str, Any]
    community: Region | None
    now: datetime
    #: the volunteer being edited; None for a new registration
    volunteer: Volunteer | None = None
    #: consent is asked at registration, not again on an edit
    consent_required: bool = True
    values: dict[str, Any] = field(default_factory=dict)
    #: field → message code
    problems: dict[str, str] = field(default_factory=dict)
    #: the volunteer already registered with the phone, when that is a fault
    existing: Volunteer | None = None

    def refuse(self, name: str, code: str) -> None:
        self.problems[name] = code


Check = Callable[[Checking], None]


def check_name(c: Checking) -> None:
    c.values["name"] = text(c.data.get("name"))
    if not c.values["name"] or len(c.values["name"]) > MAX_NAME:
        c.refuse("name", "name_required")


def check_phone(c: Checking) -> None:
    """A mobile number, registered to nobody else (one registration per phone)."""
    try:
        c.values["phone"] = normalize_phone(c.data.get("phone"))
    except PhoneError as exc:
        c.refuse("phone", exc.code)
        return
    found = find_by_phone(c.values["phone"])
    if found is not None and found is not c.volunteer:
        c.refuse("phone", "phone_taken")
        c.existing = found


def check_community(c: Checking) -> None:
    if c.community is None or not c.community.is_leaf:
        c.refuse("community", "not_a_community")


def one_of(name: str, allowed: Sequence[str]) -> Check:
    """A check that ``name`` is empty or one of ``allowed``."""

    def check(c: Checking) -> None:
        c.values[name] = c.data.get(name) or None
        if c.values[name] not in (None, *allowed):
            c.refuse(name, "choice_unknown")

    return check


def some_of(name: str, allowed: Sequence[str]) -> Check:
    """A check that ``name`` lists only values of ``allowed``; kept once each, in their listed order."""

    def check(c: Checking) -> None:
        chosen = list(c.data.get(name) or [])
        if any(not isinstance(value, str) or value not in allowed for value in chosen):
            c.refuse(name, "choice_unknown")
            chosen = []
        c.values[name] = [value for value in allowed if value in chosen]

    return check


def check_birth_year(c: Checking) -> None:
    """Empty, or the year of someone aged YOUNGEST_AGE to OLDEST_AGE; an implausible year counts as none."""
    year = c.data.get("birth_year")
    if year is not None and not (_is_int(year) and _plausible(year, c.now.year)):
        c.refuse("birth_year", "birth_year_invalid")
        year = None
    c.values["birth_year"] = year


def _plausible(birth_year: int, this_year: int) -> bool:
    return this_year - OLDEST_AGE <= birth_year <= this_year - YOUNGEST_AGE


def check_guardian(c: Checking) -> None:
    """A minor's guardian and their consent; an adult's guardian is not ours to keep (PIPL: only what is needed)."""
    if not is_minor(c.values["birth_year"], c.now.year):
        c.values["guardian_name"], c.values["guardian_consent_at"] = None, None
        return
    guardian = text(c.data.get("guardian_name"))[:MAX_GUARDIAN_NAME] or None
    if not guardian:
        c.refuse("guardian_name", "guardian_required")
    if not c.data.get("guardian_consent"):
        c.refuse("guardian_consent", "guardian_required")
    c.values["guardian_name"] = guardian
    c.values["guardian_consent_at"] = _guardian_consented_at(c, guardian)


def _guardian_consented_at(c: Checking, guardian: str | None) -> datetime:
    # the same guardian consented before: that consent's time stands
    earlier = c.volunteer
    if earlier is not None and earlier.guardian_consent_at and earlier.guardian_name == guardian:
        return earlier.guardian_consent_at
    return c.now


def check_team(c: Checking) -> None:
    """None, or a team of the volunteer's community or of its street."""
    team_id = c.data.get("team_id")
    team = db.session.get(Team, team_id) if _is_int(team_id) else None
    if team_id is not None and (team is None or not _team_serves(team, c.community)):
        c.refuse("team_id", "team_elsewhere")
    c.values["team"] = team


def _team_serves(team: Team, community: Region | None) -> bool:
    return community is not None and team.region_id in (community.id, community.parent_id)


def check_notes(c: Checking) -> None:
    c.values["notes"] = str(c.data.get("notes") or "").strip()[:MAX_NOTES] or None


def check_consent(c: Checking) -> None:
    if c.consent_required and not c.data.get("consent"):
        c.refuse("consent", "consent_required")


#: the checks in the order a form lists its fields (and an edit names what changed)
CHECKS: tuple[Check, ...] = (
    check_name,
    check_phone,
    check_community,
    one_of("gender", GENDERS),
    check_birth_year,
    check_guardian,
    some_of("skills", SKILLS),
    some_of("languages", LANGUAGES),
    one_of("availability", AVAILABILITY),
    check_team,
    check_notes,
    check_consent,
)


def clean_volunteer(
    data: Mapping[str, Any],
    community: Region | None,
    now: datetime,
    volunteer: Volunteer | None = None,
    require_consent: bool = True,
) -> dict[str, Any]:
    """Column values for a volunteer of ``community`` from ``data`` (the keys of ``register_volunteer``).

    ``volunteer`` is the one being edited (its own phone is no duplicate; its guardian's
    consent time stands while the guardian does).

    :raises VolunteerError: every field that is wrong, at once; for a phone registered to
        someone else, ``existing`` is that volunteer.
    """
    checking = Checking(data, community, now, volunteer, require_consent)
    for check in CHECKS:
        check(checking)
    if checking.problems:
        raise VolunteerError(checking.problems, checking.existing)
    return checking.values


def clean_training(course: Any, hours: Any, held_on: Any, today: date) -> str:
    """The course name of a training, once its hours and date are checked too.

    :raises VolunteerError: no course name, hours outside 0–MAX_TRAINING_HOURS, or a date after ``today``.
    """
    problems = {}
    course = text(course)
    if not course or len(course) > MAX_COURSE:
        problems["course"] = "course_required"
    if not _is_number(hours) or not 0 < hours <= MAX_TRAINING_HOURS:
        problems["hours"] = "hours_invalid"
    if not isinstance(held_on, date) or held_on > today:
        problems["held_on"] = "date_in_future"
    if problems:
        raise VolunteerError(problems)
    return course


def clean_team(name: Any, region: Region) -> str:
    """A team's name, once checked that ``region`` may have teams.

    :raises VolunteerError: no name (or too long), or a region of another level than TEAM_LEVELS.
    """
    name = text(name)
    if not name or len(name) > MAX_TEAM_NAME:
        raise VolunteerError({"name": "team_name_required"})
    if region.level not in TEAM_LEVELS:
        raise VolunteerError({"region": "team_region_level"})
    return name
