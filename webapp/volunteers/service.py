"""Volunteer operations: register, review, edit, train, team up, designate ambassadors, import, export.

Plain functions over objects and validated data, shared by the site and the API. They
flush at most; the request handler commits. Refusals are ``VolunteerError`` with one
message code per field, so a form can show each next to its input and the API can list
them in ``fields``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, String, cast, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from webapp.accounts.models import User
from webapp.accounts.permissions import can, get_in_scope, region_in_scope, within_scope
from webapp.audit.labels import audit_action_label
from webapp.audit.models import AuditEntry
from webapp.audit.service import record
from webapp.campaigns.models import Activity, ServiceRecord
from webapp.clock import local_date, local_today, utcnow
from webapp.extensions import db
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.volunteers.errors import CONFLICT_CODES, InvalidTransition, PhoneError, VolunteerError, VolunteerImportError  # noqa: F401
from webapp.volunteers.labels import label, labels_of
from webapp.volunteers.models import (
    ADULT_AGE,
    AVAILABILITY,
    CONSENT_VERSION,
    ERASED,
    ERASURE_REASONS,
    GENDERS,
    LANGUAGES,
    SKILLS,
    SOURCES,
    STATUSES,
    TRANSITIONS,
    Ambassador,
    Team,
    Training,
    Volunteer,
)
from webapp.volunteers.phones import normalize_phone

#: a birth year is plausible for someone aged YOUNGEST_AGE to OLDEST_AGE this year
YOUNGEST_AGE, OLDEST_AGE = 8, 100
#: levels a team may belong to (志愿服务队 of a community or of a street)
TEAM_LEVELS = ("street", *LEAF_LEVELS)
MAX_TRAINING_HOURS = 200
MAX_IMPORT_ROWS = 5000


def find_by_phone(phone: str) -> Volunteer | None:
    return db.session.execute(select(Volunteer).where(Volunteer.phone == phone)).scalar_one_or_none()


# --- validation ------------------------------------------------------------------


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _choices(values: Any, allowed: Sequence[str]) -> list[str] | None:
    """The distinct values in their listed order, or None when one is not allowed."""
    values = list(values or [])
    if any(not isinstance(v, str) or v not in allowed for v in values):
        return None
    return [v for v in allowed if v in values]


def is_minor(birth_year: int | None, year: int) -> bool:
    """Under ADULT_AGE going by the year alone; an unknown birth year counts as adult."""
    return birth_year is not None and year - birth_year < ADULT_AGE


def _clean(
    data: Mapping[str, Any],
    community: Region | None,
    now: datetime,
    volunteer: Volunteer | None = None,
    require_consent: bool = True,
) -> dict[str, Any]:
    """Column values for a volunteer from ``data``.

    :raises VolunteerError: every field that is wrong, at once.
    """
    problems: dict[str, str] = {}
    existing = None
    values: dict[str, Any] = {}

    values["name"] = _text(data.get("name"))
    if not values["name"] or len(values["name"]) > 50:
        problems["name"] = "name_required"

    try:
        values["phone"] = normalize_phone(data.get("phone"))
    except PhoneError as exc:
        problems["phone"] = exc.code
    else:
        found = find_by_phone(values["phone"])
        if found is not None and found is not volunteer:
            problems["phone"], existing = "phone_taken", found

    if community is None or not community.is_leaf:
        problems["community"] = "not_a_community"

    values["gender"] = data.get("gender") or None
    if values["gender"] not in (None, *GENDERS):
        problems["gender"] = "choice_unknown"

    birth_year = data.get("birth_year")
    if birth_year is not None and (
        isinstance(birth_year, bool)
        or not isinstance(birth_year, int)
        or not now.year - OLDEST_AGE <= birth_year <= now.year - YOUNGEST_AGE
    ):
        problems["birth_year"] = "birth_year_invalid"
        birth_year = None
    values["birth_year"] = birth_year

    guardian_name = _text(data.get("guardian_name"))[:50] or None
    if is_minor(birth_year, now.year):
        if not guardian_name:
            problems["guardian_name"] = "guardian_required"
        if not data.get("guardian_consent"):
            problems["guardian_consent"] = "guardian_required"
        keep = volunteer is not None and volunteer.guardian_consent_at and volunteer.guardian_name == guardian_name
        values["guardian_name"] = guardian_name
        values["guardian_consent_at"] = volunteer.guardian_consent_at if keep else now
    else:
        # an adult's guardian is not ours to keep (PIPL: collect only what is needed)
        values["guardian_name"], values["guardian_consent_at"] = None, None

    for name, allowed in (("skills", SKILLS), ("languages", LANGUAGES)):
        chosen = _choices(data.get(name), allowed)
        if chosen is None:
            problems[name] = "choice_unknown"
        values[name] = chosen or []

    values["availability"] = data.get("availability") or None
    if values["availability"] not in (None, *AVAILABILITY):
        problems["availability"] = "choice_unknown"

    team = None
    team_id = data.get("team_id")
    if team_id is not None:
        team = db.session.get(Team, team_id) if isinstance(team_id, int) and not isinstance(team_id, bool) else None
        if team is None or community is None or team.region_id not in (community.id, community.parent_id):
            problems["team_id"] = "team_elsewhere"
    values["team"] = team

    values["notes"] = str(data.get("notes") or "").strip()[:1000] or None

    if require_consent and not data.get("consent"):
        problems["consent"] = "consent_required"

    if problems:
        raise VolunteerError(problems, existing)
    return values


def _insert(volunteer: Volunteer) -> None:
    """Add and flush; a phone registered meanwhile by someone else is a duplicate, not a crash.

    :raises VolunteerError: phone_taken.
    """
    try:
        with db.session.begin_nested():
            db.session.add(volunteer)
    except IntegrityError:
        raise VolunteerError({"phone": "phone_taken"}, find_by_phone(volunteer.phone)) from None


# --- registering and changing volunteers ---------------------------------------


def register_volunteer(
    data: Mapping[str, Any],
    community: Region | None,
    source: str,
    by: User | None,
    now: datetime | None = None,
) -> Volunteer:
    """Register a volunteer of ``community``.

    ``data`` holds name, phone, gender, birth_year, team_id, skills, languages,
    availability, consent, guardian_name, guardian_consent and notes. Staff
    registrations (source staff, import, api) are active at once; a resident's own
    registration (source "self") waits for staff in scope to approve or reject it.
    Consent is required and its time recorded; under 18 a guardian's too.

    :raises VolunteerError: invalid fields; for a phone already registered,
        ``existing`` is that volunteer.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    now = now or utcnow()
    values = _clean(data, community, now)
    volunteer = _build(values, community, source, by, now)
    _insert(volunteer)
    record(by, "volunteer.create", volunteer, details={"source": source, "status": volunteer.status})
    return volunteer


def sign_up(data: Mapping[str, Any], community: Region | None, now: datetime | None = None) -> Volunteer | None:
    """A resident registers themself as a volunteer, pending until staff in scope review it.

    The answer must not tell whether a phone number is registered already (anyone can type
    anyone's number): a registered phone is not registered twice, no field is refused for it,
    and None is returned where a new registration returns the volunteer, so the caller says
    the same to both. The attempt is written to the audit log on the existing record, in its
    community's part of the log, so staff and organizers of that area can follow it up.

    :raises VolunteerError: invalid fields other than a phone already registered.
    """
    try:
        return register_volunteer(data, community, "self", None, now)
    except VolunteerError as exc:
        if exc.problems.get("phone") != "phone_taken" or exc.existing is None:
            raise
        others = {name: code for name, code in exc.problems.items() if name != "phone"}
        if others:
            raise VolunteerError(others) from None
        existing = exc.existing
    details = {"community": community.code if community else None}
    entry = record(None, "volunteer.signup_again", existing, details=details)
    entry.region_path = existing.community.path
    return None


def _build(values: dict[str, Any], community: Region, source: str, by: User | None, now: datetime) -> Volunteer:
    volunteer = Volunteer(
        **values,
        community=community,
        consent_at=now,
        consent_version=CONSENT_VERSION,
        source=source,
        created_at=now,
    )
    volunteer.created_by = by
    if source == "self":
        volunteer.status = "pending"
    else:
        volunteer.status = "active"
        volunteer.decided_at, volunteer.decided_by = now, by
    return volunteer


def update_volunteer(
    volunteer: Volunteer, data: Mapping[str, Any], community: Region | None, by: User, now: datetime | None = None
) -> list[str]:
    """Replace the volunteer's details with ``data`` (the keys of ``register_volunteer``).

    Consent was recorded at registration and is not asked again. Moving to another
    community ends an ambassadorship of the old one. Returns the names of the changed fields.

    :raises VolunteerError: as ``register_volunteer``.
    """
    now = now or utcnow()
    values = _clean(data, community, now, volunteer=volunteer, require_consent=False)
    changed = [name for name, value in values.items() if getattr(volunteer, name) != value]
    if community is not volunteer.community:
        changed.append("community")
        _end_ambassadorship(volunteer)
    for name, value in values.items():
        setattr(volunteer, name, value)
    volunteer.community = community
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise VolunteerError({"phone": "phone_taken"}, find_by_phone(values["phone"])) from None
    if changed:
        # names only: the audit log says what changed, not the personal data itself
        record(by, "volunteer.update", volunteer, details={"fields": changed})
    return changed


def change_status(volunteer: Volunteer, action: str, by: User, now: datetime | None = None) -> None:
    """Approve, reject, deactivate or reactivate; deactivating ends an ambassadorship.

    :raises VolunteerError: an unknown action, or a move the current status does not allow.
    """
    if action not in TRANSITIONS:
        raise VolunteerError({"action": "choice_unknown"})
    before = volunteer.status
    try:
        volunteer.change_status(action, by, now)
    except InvalidTransition:
        raise VolunteerError({"action": "invalid_transition"}) from None
    details: dict[str, Any] = {"from": before, "to": volunteer.status}
    if volunteer.status != "active" and _end_ambassadorship(volunteer):
        details["ambassadorship_ended"] = True
    record(by, f"volunteer.{action}", volunteer, details=details)


def add_training(
    volunteer: Volunteer,
    course: str,
    hours: float,
    held_on: date,
    certified: bool,
    by: User | None = None,
    today: date | None = None,
) -> Training:
    """Record a training the volunteer took part in.

    :raises VolunteerError: no course name, hours outside 0–200, or a date in the future.
    """
    problems = {}
    course = _text(course)
    if not course or len(course) > 100:
        problems["course"] = "course_required"
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_TRAINING_HOURS:
        problems["hours"] = "hours_invalid"
    if not isinstance(held_on, date) or held_on > (today or local_today()):
        problems["held_on"] = "date_in_future"
    if problems:
        raise VolunteerError(problems)
    training = Training(volunteer=volunteer, course=course, hours=float(hours), held_on=held_on, certified=certified)
    db.session.add(training)
    db.session.flush()
    record(by, "volunteer.training", volunteer, details={"course": course, "hours": float(hours)})
    return training


def view_whole_phone(user: User, volunteer: Volunteer) -> str | None:
    """The whole number for roles allowed to see it, each view written to the audit log.

    The caller has loaded ``volunteer`` through the user's scope; other roles get None.
    """
    if not can(user, "volunteers.whole_phone") or not region_in_scope(user, volunteer.community):
        return None
    record(user, "volunteer.view_phone", volunteer)
    return volunteer.phone


def get_volunteer(user: User, volunteer_id: int) -> Volunteer:
    """The volunteer with ``volunteer_id`` in the user's scope; an erased one is gone like a missing one.

    :raises NotFound: missing, outside the scope, or erased (the three are indistinguishable).
    """
    volunteer = get_in_scope(user, Volunteer, volunteer_id)
    if volunteer.erased:
        raise NotFound()
    return volunteer


# --- personal data: erasure and a person's export --------------------------------------


def erase_volunteer(volunteer: Volunteer, by: User, reason: str = "request", now: datetime | None = None) -> None:
    """Erase the volunteer's personal data, on their request or because they withdrew consent.

    Every field that says who they are or what they are like is emptied (name, phone, gender,
    birth year, guardian, skills, languages, availability, notes, team); the row stays, without
    identity, so that their trainings, service hours and activities served still count in every
    total. Their ambassador post is vacated. The status becomes ``erased``: the volunteer leaves
    every list, export and count of active volunteers, and their pages answer 404. The audit
    entry holds the reason, never the erased data. Irreversible.

    :raises VolunteerError: reason — not one of ERASURE_REASONS.
    """
    if reason not in ERASURE_REASONS:
        raise VolunteerError({"reason": "erase_reason"})
    vacated = _end_ambassadorship(volunteer)
    volunteer.name, volunteer.phone = "", None
    volunteer.gender = volunteer.birth_year = volunteer.availability = volunteer.notes = None
    volunteer.guardian_name = volunteer.guardian_consent_at = None
    volunteer.skills, volunteer.languages = [], []
    volunteer.team = None
    volunteer.status, volunteer.erased_at = ERASED, now or utcnow()
    db.session.flush()
    record(by, "volunteer.erase", volunteer, details={"reason": reason, "ambassador_vacated": vacated})


PERSON_EXPORT_FORMATS = ("json", "xlsx")


def _stamp(value: datetime | None) -> str | None:
    # stored in UTC without a zone
    return value.replace(tzinfo=UTC).isoformat() if value else None


def person_export(user: User, volunteer: Volunteer, fmt: str, lang: str = "zh_Hans") -> dict[str, Any]:
    """Everything held about one volunteer (PIPL art. 45: a person may obtain a copy of it).

    The record (whole phone number included: it is theirs), the consent text version, their
    trainings, the activities they served at with the hours, an ambassador post, and the audit
    log's entries about them (when, what, which role). Written to the audit log without the data.
    """
    ambassador = db.session.execute(
        select(Ambassador).where(Ambassador.volunteer_id == volunteer.id)
    ).scalar_one_or_none()
    entries = db.session.execute(
        select(AuditEntry)
        .where(AuditEntry.object_type == Volunteer.__tablename__, AuditEntry.object_id == str(volunteer.id))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).scalars()
    data = {
        "volunteer": {
            "id": volunteer.id,
            "name": volunteer.name,
            "phone": volunteer.phone,
            "gender": volunteer.gender,
            "birth_year": volunteer.birth_year,
            "community": volunteer.community.code,
            "community_name": volunteer.community.name(lang),
            "team": volunteer.team.name if volunteer.team else None,
            "skills": list(volunteer.skills or []),
            "languages": list(volunteer.languages or []),
            "availability": volunteer.availability,
            "status": volunteer.status,
            "source": volunteer.source,
            "consent_at": _stamp(volunteer.consent_at),
            "consent_version": volunteer.consent_version,
            "guardian_name": volunteer.guardian_name,
            "guardian_consent_at": _stamp(volunteer.guardian_consent_at),
            "notes": volunteer.notes,
            "registered_at": _stamp(volunteer.created_at),
            "decided_at": _stamp(volunteer.decided_at),
        },
        "trainings": [
            {"course": t.course, "hours": t.hours, "held_on": t.held_on.isoformat(), "certified": t.certified}
            for t in volunteer.trainings
        ],
        "service": [
            {
                "activity": r.activity.code,
                "title": r.activity.title,
                "held_on": r.activity.held_on.isoformat(),
                "channel": r.activity.channel,
                "kind": r.activity.kind,
                "hours": r.hours,
            }
            for r in service_records(volunteer)
        ],
        "ambassador": (
            {"community": ambassador.community.code, "designated_at": _stamp(ambassador.designated_at)}
            if ambassador
            else None
        ),
        "audit": [
            {
                "at": _stamp(e.at),
                "action": e.action,
                "what": audit_action_label(e.action),
                "by_role": e.user.role if e.user else None,
            }
            for e in entries
        ],
        "exported_at": _stamp(utcnow()),
    }
    record(user, "volunteer.person_export", volunteer, details={"format": fmt})
    return data


def person_export_table(data: Mapping[str, Any]) -> Table:
    """``person_export``'s data as one table: a row per value, named by section, item and field."""
    table = Table(headers=[str(_l("Section")), str(_l("Item")), str(_l("Field")), str(_l("Value"))])

    def cell(value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else value

    for section, content in data.items():
        if isinstance(content, dict):
            table.rows.extend([section, "", key, cell(value)] for key, value in content.items())
        elif isinstance(content, list):
            for number, item in enumerate(content, 1):
                table.rows.extend([section, number, key, cell(value)] for key, value in item.items())
        else:
            table.rows.append([section, "", "", cell(content)])
    return table


# --- teams and ambassadors ---------------------------------------------------------


def create_team(name: str, region: Region, by: User | None = None) -> Team:
    """A volunteer service team (志愿服务队) of a street, community or village.

    :raises VolunteerError: no name, a region of another level, or the same name twice there.
    """
    name = _text(name)
    if not name or len(name) > 100:
        raise VolunteerError({"name": "team_name_required"})
    if region.level not in TEAM_LEVELS:
        raise VolunteerError({"region": "team_region_level"})
    taken = db.session.execute(
        select(Team.id).where(Team.region_id == region.id, func.lower(Team.name) == name.lower())
    ).first()
    if taken:
        raise VolunteerError({"name": "team_exists"})
    team = Team(name=name, region=region)
    db.session.add(team)
    db.session.flush()
    record(by, "team.create", team, details={"region": region.code})
    return team


def teams_query(user: User) -> Select:
    """Teams whose community or street lies in the user's scope, in tree order."""
    stmt = select(Team).join(Team.region).order_by(Region.path, Team.name)
    return within_scope(stmt, user, Team.region_id)


def team_sizes(team_ids: Iterable[int]) -> dict[int, int]:
    ids = list(team_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Volunteer.team_id, func.count()).where(Volunteer.team_id.in_(ids)).group_by(Volunteer.team_id)
    )
    return {team_id: size for team_id, size in rows}


def designate_ambassador(community: Region, volunteer: Volunteer, by: User, now: datetime | None = None) -> Ambassador:
    """Make ``volunteer`` the community's fire-safety ambassador (宣传大使), replacing any other.

    :raises VolunteerError: the volunteer is not active or not of this community.
    """
    if not community.is_leaf or volunteer.community_id != community.id or volunteer.status != "active":
        raise VolunteerError({"volunteer_id": "ambassador_not_eligible"})
    now = now or utcnow()
    current = db.session.get(Ambassador, community.id)
    replaced = None
    if current is None:
        current = Ambassador(community_id=community.id)
        db.session.add(current)
    elif current.volunteer_id != volunteer.id:
        replaced = current.volunteer_id
    current.volunteer = volunteer
    current.designated_at, current.designated_by_id = now, by.id if by else None
    db.session.flush()
    record(by, "ambassador.designate", volunteer, details={"community": community.code, "replaced": replaced})
    return current


def ambassador_of(community: Region) -> Ambassador | None:
    return db.session.get(Ambassador, community.id)


def ambassador_ids(volunteer_ids: Iterable[int]) -> set[int]:
    ids = list(volunteer_ids)
    if not ids:
        return set()
    return set(db.session.execute(select(Ambassador.volunteer_id).where(Ambassador.volunteer_id.in_(ids))).scalars())


def _end_ambassadorship(volunteer: Volunteer) -> bool:
    found = db.session.execute(select(Ambassador).where(Ambassador.volunteer_id == volunteer.id)).scalar_one_or_none()
    if found is None:
        return False
    db.session.delete(found)
    return True


# --- lists, figures and exports ----------------------------------------------------


@dataclass(frozen=True)
class VolunteerFilter:
    """What a list or an export is narrowed to; ``region`` means that region's whole subtree."""

    region: Region | None = None
    team_id: int | None = None
    status: str | None = None
    skill: str | None = None
    trained: bool | None = None
    q: str | None = None

    def details(self) -> dict[str, Any]:
        """The filter as the audit log keeps it (only what was set)."""
        values = {
            "region": self.region.code if self.region else None,
            "team_id": self.team_id,
            "status": self.status,
            "skill": self.skill,
            "trained": self.trained,
            "q": self.q,
        }
        digits = phone_digits(self.q or "")
        if digits is not None:
            values["q"], values["q_hash"] = mask_phone_search(digits), phone_search_hash(digits)
        return {key: value for key, value in values.items() if value not in (None, "")}


#: a search by phone digits matches the number's last LAST_DIGITS digits (shown in lists); only roles
#: that see whole numbers may search by a whole one, else each guess would confirm or deny a number
LAST_DIGITS = 4
#: what people type between digits of a phone number, the country code's plus included
_DIGIT_SEPARATORS = re.compile(r"[\s\-.()+\u00a0\u3000]")


def phone_digits(q: str) -> str | None:
    """The digits of a search made only of LAST_DIGITS or more digits (and separators), else None.

    Full-width digits count as digits; a name search never is a phone search.
    """
    text = _DIGIT_SEPARATORS.sub("", unicodedata.normalize("NFKC", q))
    return text if text.isascii() and text.isdigit() and len(text) >= LAST_DIGITS else None


def mask_phone_search(digits: str) -> str:
    """Searched digits as the audit log keeps them: only the last four, as lists show them."""
    return "*" * (len(digits) - LAST_DIGITS) + digits[-LAST_DIGITS:]


def phone_search_hash(digits: str) -> str:
    """A keyed hash of the searched number, so that repeated searches for one number can be told
    apart from guesses at many, without the log holding the number (nor a hash anyone can reverse
    by trying the 10^11 numbers: the key is the application's secret)."""
    with contextlib.suppress(PhoneError):
        digits = normalize_phone(digits)
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:16]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search(q: str, whole_phone: bool) -> ColumnElement[bool]:
    """:raises VolunteerError: q — more digits than LAST_DIGITS for a role without ``whole_phone``."""
    digits = phone_digits(q)
    if digits is not None and len(digits) == LAST_DIGITS:
        return or_(Volunteer.phone.like(f"%{digits}"), Volunteer.name.contains(q, autoescape=True))
    if digits is not None and not whole_phone:
        raise VolunteerError({"q": "search_phone_digits"})
    if whole_phone:
        try:
            return Volunteer.phone == normalize_phone(q)
        except PhoneError:
            pass
    return Volunteer.name.ilike(f"%{_like_escape(q)}%", escape="\\")


def volunteer_query(user: User, filters: VolunteerFilter | None = None) -> Select:
    """Volunteers the user may see, narrowed by ``filters``, newest first; erased ones are gone.

    ``q`` matches part of the name, the last 4 digits of the phone, or, for roles that see
    whole numbers, a whole number.

    :raises VolunteerError: q — a longer run of digits from a role that sees masked numbers only.
    """
    filters = filters or VolunteerFilter()
    stmt = within_scope(select(Volunteer), user, Volunteer.community_id).where(Volunteer.erased_at.is_(None))
    if filters.region is not None:
        subtree = select(Region.id).where(Region.path.like(f"{_like_escape(filters.region.path)}%", escape="\\"))
        stmt = stmt.where(Volunteer.community_id.in_(subtree))
    if filters.team_id is not None:
        stmt = stmt.where(Volunteer.team_id == filters.team_id)
    if filters.status in STATUSES:
        stmt = stmt.where(Volunteer.status == filters.status)
    if filters.skill in SKILLS:
        # skills is a JSON list of known words; its text holds "first_aid" with the quotes
        stmt = stmt.where(cast(Volunteer.skills, String).like(f'%"{_like_escape(filters.skill)}"%', escape="\\"))
    if filters.trained is not None:
        has_training = exists().where(Training.volunteer_id == Volunteer.id)
        stmt = stmt.where(has_training if filters.trained else ~has_training)
    if filters.q:
        stmt = stmt.where(_search(filters.q.strip()[:50], can(user, "volunteers.whole_phone")))
    return stmt.order_by(Volunteer.created_at.desc(), Volunteer.id.desc())


def _audit_phone_search(user: User, filters: VolunteerFilter, rows: int, refused: bool = False) -> None:
    if phone_digits(filters.q or "") is None:
        return
    details: dict[str, Any] = {"filter": filters.details()}
    if refused:
        details["refused"] = True
    record(user, "volunteer.search_phone", details=details, row_count=rows)


def _checked_query(user: User, filters: VolunteerFilter) -> Select:
    """``volunteer_query``, a refused phone search written to the audit log before it is refused."""
    try:
        return volunteer_query(user, filters)
    except VolunteerError:
        _audit_phone_search(user, filters, 0, refused=True)
        raise


def list_volunteers(user: User, filters: VolunteerFilter, page: int, per_page: int) -> tuple[list[Volunteer], int]:
    """One page of the volunteers ``user`` may see under ``filters``, and how many there are in all.

    Every search by phone digits is written to the audit log (who, when, the filter with the
    digits masked, the row count), refused ones too, since a run of them is how numbers are guessed.

    :raises VolunteerError: q — as ``volunteer_query``.
    """
    stmt = _checked_query(user, filters).options(
        selectinload(Volunteer.community), selectinload(Volunteer.team), selectinload(Volunteer.trainings)
    )
    items, total = paginate(stmt, page, per_page)
    _audit_phone_search(user, filters, total)
    return items, total


def paginate(stmt: Select, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of ``stmt``'s rows and the total number of rows."""
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = db.session.execute(stmt.offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return list(items), total


def count_pending(user: User) -> int:
    stmt = volunteer_query(user, VolunteerFilter(status="pending"))
    return db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def service_hours(volunteer_ids: Iterable[int]) -> dict[int, float]:
    """Total hours each volunteer served at campaign activities."""
    ids = list(volunteer_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.hours))
        .where(ServiceRecord.volunteer_id.in_(ids))
        .group_by(ServiceRecord.volunteer_id)
    )
    return {volunteer_id: float(hours or 0) for volunteer_id, hours in rows}


def service_records(volunteer: Volunteer) -> list[ServiceRecord]:
    """The activities the volunteer served at, latest first."""
    stmt = (
        select(ServiceRecord)
        .join(ServiceRecord.activity)
        .where(ServiceRecord.volunteer_id == volunteer.id)
        .options(selectinload(ServiceRecord.activity))
        .order_by(Activity.held_on.desc(), ServiceRecord.id.desc())
    )
    return list(db.session.execute(stmt).scalars())


EXPORT_COLUMNS = (
    ("id", _l("ID")),
    ("name", _l("Name")),
    ("phone", _l("Mobile phone")),
    ("gender", _l("Gender")),
    ("birth_year", _l("Birth year")),
    ("community_code", _l("Community code")),
    ("community", _l("Community")),
    ("team", _l("Team")),
    ("status", _l("Status")),
    ("skills", _l("Skills")),
    ("languages", _l("Languages")),
    ("availability", _l("Availability")),
    ("trainings", _l("Trainings")),
    ("training_hours", _l("Training hours")),
    ("service_hours", _l("Service hours")),
    ("ambassador", _l("Ambassador")),
    ("source", _l("Registered how")),
    ("registered_on", _l("Registered on")),
)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def export_volunteers(user: User, filters: VolunteerFilter, fmt: str, lang: str = "zh_Hans") -> Table:
    """The filtered list as a table, written to the audit log with its filter and row count.

    Roles with ``volunteers.whole_phone`` get whole numbers; others (organizers) masked ones.
    The audited filter holds searched phone digits masked.

    :raises VolunteerError: q — as ``volunteer_query`` (written to the audit log).
    """
    whole = can(user, "volunteers.whole_phone")
    stmt = _checked_query(user, filters).options(
        selectinload(Volunteer.community), selectinload(Volunteer.team), selectinload(Volunteer.trainings)
    )
    volunteers = db.session.execute(stmt).scalars().all()
    ids = [v.id for v in volunteers]
    hours, ambassadors = service_hours(ids), ambassador_ids(ids)
    yes = str(_l("yes"))
    table = Table(headers=[str(title) for _key, title in EXPORT_COLUMNS])
    for v in volunteers:
        registered = local_date(v.created_at).isoformat()
        table.rows.append(
            [
                v.id,
                v.name,
                v.phone if whole else v.masked_phone,
                label("gender", v.gender),
                v.birth_year or "",
                v.community.code,
                v.community.name(lang),
                v.team.name if v.team else "",
                label("status", v.status),
                labels_of("skill", v.skills),
                labels_of("language", v.languages),
                label("availability", v.availability),
                len(v.trainings),
                sum(t.hours for t in v.trainings),
                hours.get(v.id, 0.0),
                yes if v.id in ambassadors else "",
                label("source", v.source),
                registered,
            ]
        )
    record(
        user,
        "volunteer.export",
        details={"filter": filters.details(), "format": fmt, "whole_phone": whole},
        row_count=len(table.rows),
    )
    return table


# --- import ------------------------------------------------------------------------


def import_volunteers(
    rows: Sequence[tuple[int, Mapping[str, Any]]], by: User, now: datetime | None = None
) -> list[Volunteer]:
    """Register volunteers from (line number, data) pairs; all or nothing.

    Each row's data is as ``register_volunteer``'s plus ``community_code`` and, instead
    of ``team_id``, ``team`` (a team name of that community or its street). A community
    outside the importer's scope is refused like an unknown one. The same phone twice
    in the file is refused on its second line.

    :raises VolunteerImportError: every bad row with its line number; nothing was added.
    """
    now = now or utcnow()
    if not rows:
        raise VolunteerImportError([(1, "file", "import_empty")])
    if len(rows) > MAX_IMPORT_ROWS:
        raise VolunteerImportError([(rows[MAX_IMPORT_ROWS][0], "file", "import_too_many")])
    problems: list[tuple[int, str, str]] = []
    communities: dict[str, Region | None] = {}
    teams = {(t.region_id, t.name.lower()): t for t in db.session.execute(teams_query(by)).scalars()}
    seen: dict[str, int] = {}
    ready: list[tuple[int, dict[str, Any], Region]] = []
    for line, raw in rows:
        data = dict(raw)
        code = _text(data.get("community_code"))[:32]
        if code not in communities:
            region = db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
            communities[code] = region if region is not None and region_in_scope(by, region) else None
        community = communities[code]
        row_problems: dict[str, str] = {}
        if community is None:
            row_problems["community_code"] = "community_unknown"
        team_name = _text(data.pop("team", None)).lower()
        if team_name and community is not None:
            team = teams.get((community.id, team_name)) or teams.get((community.parent_id, team_name))
            if team is None:
                row_problems["team"] = "team_elsewhere"
            else:
                data["team_id"] = team.id
        try:
            values = _clean(data, community, now)
        except VolunteerError as exc:
            found = dict(exc.problems)
            if "community" in found:  # the file names it by code
                row_problems.setdefault("community_code", found.pop("community"))
            row_problems = {**found, **row_problems}
        # a phone repeated in the file is caught even when its first line has other faults
        try:
            phone = normalize_phone(data.get("phone"))
        except PhoneError:
            phone = None
        if phone is not None and "phone" not in row_problems:
            if phone in seen:
                row_problems["phone"] = "phone_twice_in_file"
            seen[phone] = line
        if row_problems:
            problems.extend((line, name, code) for name, code in row_problems.items())
            continue
        ready.append((line, values, community))
    if problems:
        raise VolunteerImportError(problems)
    added = [_build(values, community, "import", by, now) for _line, values, community in ready]
    try:
        with db.session.begin_nested():
            db.session.add_all(added)
    except IntegrityError:
        # someone registered one of these phones while the file was being read
        raise VolunteerImportError([(1, "phone", "phone_taken")]) from None
    record(by, "volunteer.import", details={"source": "import"}, row_count=len(added))
    return added
