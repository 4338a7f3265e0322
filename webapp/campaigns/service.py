"""The 五进 campaign log: record activities and the volunteers who served, find and export them.

Plain functions over objects and validated data. They flush and audit in the caller's
transaction; the request handler commits.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from webapp.accounts.models import User
from webapp.accounts.permissions import find_region, region_in_scope, within_scope
from webapp.audit.service import record
from webapp.campaigns.labels import channel_label, kind_label
from webapp.campaigns.models import CHANNELS, KINDS, Activity, ServiceRecord
from webapp.clock import local_today
from webapp.errors import DomainError, message
from webapp.extensions import db
from webapp.paging import Page, paginate
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.volunteers.models import Volunteer

#: the fields of an activity that ``create_activity`` and ``update_activity`` accept
FIELDS = ("title", "channel", "kind", "held_on", "place", "participants", "materials", "notes")
#: participants and materials: a city-wide online campaign can reach many, but not more than this
MAX_COUNT = 1_000_000
#: hours one volunteer can serve at one activity
MAX_HOURS = 24
#: how far back an activity may be logged (a whole plan period and more) and how far ahead planned
PAST_YEARS = 10
FUTURE_DAYS = 366
TEXT_LIMITS = {"title": 100, "place": 200, "notes": 2000}
#: activity codes: no 0/o, 1/l, so a code read aloud or typed from a poster is unambiguous
CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"
CODE_LENGTH = 10


class ActivityError(DomainError):
    """A refusal tied to one field (answered 422); ``code`` selects the translated message in ``webapp.errors``.

    ``volunteer_id`` names the volunteer when the problem is one of the service hours; the
    API then gives the message under that volunteer's id within the field.
    """

    status = 422

    def __init__(self, field: str, code: str, volunteer_id: int | None = None):
        self.field, self.volunteer_id = field, volunteer_id
        super().__init__(code, {field: code})

    def field_messages(self) -> dict[str, Any]:
        problem = [message(self.code)]
        return {self.field: {str(self.volunteer_id): problem} if self.volunteer_id else problem}


@dataclass(frozen=True)
class ActivityFilter:
    """What a list or export is restricted to; every part is optional."""

    #: any region in scope: its whole subtree (a community, a street, a district)
    region: Region | None = None
    channel: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None
    #: part of the title or the place
    q: str | None = None

    def as_details(self) -> dict[str, str]:
        """The filter as the audit log keeps it (only the parts that were set)."""
        values = {
            "community": self.region.code if self.region else None,
            "channel": self.channel,
            "kind": self.kind,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


# --- regions and volunteers an activity may use -----------------------------------


def _region_named(user: User, code: str | None, levels: tuple[str, ...] | None = None) -> Region:
    try:
        return find_region(user, (code or "").strip(), levels)
    except NotFound:
        # named in a form or a body, a region the user may not use is that field's mistake, not a missing page
        raise ActivityError("community", "community_unknown") from None


def filter_region(user: User, code: str) -> Region:
    """The region ``code`` names, for filtering a list; any level in the user's scope.

    :raises ActivityError: ``community_unknown`` when it is missing or outside the scope (alike).
    """
    return _region_named(user, code)


def find_community(user: User, code: str) -> Region:
    """The community or village ``code`` names, where ``user`` may log an activity.

    :raises ActivityError: ``community_unknown`` when missing, out of scope or not a community.
    """
    return _region_named(user, code, LEAF_LEVELS)


def street_of(community: Region) -> Region | None:
    """The street (街道, 镇, 乡) a community or village belongs to."""
    return community.parent


def default_street(user: User) -> Region | None:
    """The street whose volunteers a new activity most likely uses: the user's own, if narrow enough."""
    scope = user.scope
    if scope is None:
        return None
    if scope.level == "street":
        return scope
    return scope.parent if scope.is_leaf else None


def service_candidates(user: User, street: Region, activity: Activity | None = None) -> list[Volunteer]:
    """Volunteers who may be recorded as serving at an activity in ``street``, by name.

    Active volunteers of the street's communities within the user's scope, plus those
    already recorded at ``activity`` (they keep their hours even if no longer active).
    """
    stmt = select(Volunteer).where(
        Volunteer.status == "active",
        Volunteer.community_id.in_(select(Region.id).where(Region.parent_id == street.id)),
    )
    found = {v.id: v for v in db.session.execute(within_scope(stmt, user, Volunteer.community_id)).scalars()}
    for service in activity.services if activity else []:
        found.setdefault(service.volunteer_id, service.volunteer)
    return sorted(found.values(), key=lambda v: (v.name, v.id))


def load_volunteers(user: User, ids: list[int]) -> dict[int, Volunteer]:
    """The volunteers with ``ids`` that ``user`` may see, by id.

    :raises ActivityError: ``volunteer_unknown`` naming the first id that is missing or out of
        scope (alike), or ``volunteer_repeated`` for an id given twice.
    """
    seen: set[int] = set()
    for volunteer_id in ids:
        if volunteer_id in seen:
            raise ActivityError("services", "volunteer_repeated", volunteer_id)
        seen.add(volunteer_id)
    stmt = within_scope(select(Volunteer).where(Volunteer.id.in_(ids)), user, Volunteer.community_id)
    found = {v.id: v for v in db.session.execute(stmt).scalars()}
    for volunteer_id in ids:
        if volunteer_id not in found:
            raise ActivityError("services", "volunteer_unknown", volunteer_id)
    return found


def activity_by_code(code: str) -> Activity | None:
    """The activity whose QR code carries ``code`` (for the resident entry ``/a/<code>``), if any."""
    if not code or len(code) > CODE_LENGTH * 2:
        return None
    return db.session.execute(select(Activity).where(Activity.code == code.lower())).scalar_one_or_none()


# --- create, change, record service -----------------------------------------------


def _text(field: str, value: Any, required: bool = False) -> str | None:
    refusal = "activity_title" if field == "title" else "text_too_long"
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ActivityError(field, refusal)
    text = value.strip()
    if (required and not text) or len(text) > TEXT_LIMITS[field]:
        raise ActivityError(field, refusal)
    return text or None


def _count(field: str, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ActivityError(field, "count_range")
    return value


def _held_on(value: Any, today: date) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise ActivityError("held_on", "activity_date_range")
    if not date(today.year - PAST_YEARS, 1, 1) <= value <= today + timedelta(days=FUTURE_DAYS):
        raise ActivityError("held_on", "activity_date_range")
    return value


def clean_activity(data: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """The activity fields of ``data``, checked and normalized (text stripped, empty → None).

    :raises ActivityError: the first field that is not acceptable.
    """
    today = today or local_today()
    if data.get("channel") not in CHANNELS:
        raise ActivityError("channel", "unknown_channel")
    if data.get("kind") not in KINDS:
        raise ActivityError("kind", "unknown_kind")
    return {
        "title": _text("title", data.get("title"), required=True),
        "channel": data["channel"],
        "kind": data["kind"],
        "held_on": _held_on(data.get("held_on"), today),
        "place": _text("place", data.get("place")),
        "participants": _count("participants", data.get("participants")),
        "materials": _count("materials", data.get("materials")),
        "notes": _text("notes", data.get("notes")),
    }


def _check_community(community: Region, by: User) -> None:
    if community is None or not community.is_leaf or not region_in_scope(by, community):
        raise ActivityError("community", "community_unknown")


def _new_code() -> str:
    for _attempt in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.execute(select(Activity.id).where(Activity.code == code)).first() is None:
            return code
    raise RuntimeError("could not find a free activity code")  # 32**10 codes: practically unreachable


def create_activity(data: Mapping[str, Any], community: Region, by: User, today: date | None = None) -> Activity:
    """Log a 五进 activity (held or planned) in ``community`` and give it a QR code.

    ``data`` holds the keys of ``FIELDS``; dates may lie up to a year ahead (planned activities).

    :raises ActivityError: a field that is not acceptable, or a community that is not a
        community or village in ``by``'s scope (``community_unknown``).
    """
    values = clean_activity(data, today)
    _check_community(community, by)
    activity = Activity(code=_new_code(), community=community, created_by=by, **values)
    db.session.add(activity)
    db.session.flush()
    record(
        by,
        "activity.create",
        activity,
        details={
            "community": community.code,
            "channel": activity.channel,
            "kind": activity.kind,
            "held_on": activity.held_on.isoformat(),
        },
    )
    return activity


def update_activity(
    activity: Activity,
    data: Mapping[str, Any],
    by: User,
    community: Region | None = None,
    today: date | None = None,
) -> list[str]:
    """Change the fields present in ``data`` (others stay) and, if given, the community.

    Returns the names of the fields that changed; only a real change is audited.

    :raises ActivityError: as ``create_activity``; ``volunteers_elsewhere`` when the activity
        would move to another street while volunteers of the old one are recorded.
    """
    current = {field: getattr(activity, field) for field in FIELDS}
    values = clean_activity({**current, **{k: v for k, v in data.items() if k in FIELDS}}, today)
    changed = [field for field in FIELDS if values[field] != current[field]]
    if community is not None and community.id != activity.community_id:
        _check_community(community, by)
        if community.parent_id != activity.community.parent_id and activity.services:
            raise ActivityError("community", "volunteers_elsewhere")
        activity.community = community
        changed.append("community")
    for field in FIELDS:
        setattr(activity, field, values[field])
    if changed:
        db.session.flush()
        record(by, "activity.update", activity, details={"changed": changed})
    return changed


def _hours(volunteer: Volunteer, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ActivityError("services", "hours_range", volunteer.id)
    hours = round(float(value), 2)
    if not 0 < hours <= MAX_HOURS:
        raise ActivityError("services", "hours_range", volunteer.id)
    return hours


def set_service(activity: Activity, volunteer_hours: Mapping[Volunteer, float], by: User) -> bool:
    """Make ``volunteer_hours`` the whole record of who served at ``activity`` and how long.

    The rule: a volunteer must be in ``by``'s scope and belong to a community of the same
    street as the activity's community; a newly added volunteer must be active (one already
    recorded keeps their hours after being deactivated); hours are more than 0 and at most 24.
    Volunteers left out lose their record. Returns whether anything changed (then audited).

    :raises ActivityError: naming the volunteer: ``volunteer_unknown`` (out of scope),
        ``volunteer_other_street``, ``volunteer_not_active`` or ``hours_range``.
    """
    existing = {service.volunteer_id: service for service in activity.services}
    wanted: dict[int, tuple[Volunteer, float]] = {}
    for volunteer, value in volunteer_hours.items():
        if not region_in_scope(by, volunteer.community):
            raise ActivityError("services", "volunteer_unknown", volunteer.id)
        if volunteer.community.parent_id != activity.community.parent_id:
            raise ActivityError("services", "volunteer_other_street", volunteer.id)
        if volunteer.status != "active" and volunteer.id not in existing:
            raise ActivityError("services", "volunteer_not_active", volunteer.id)
        wanted[volunteer.id] = (volunteer, _hours(volunteer, value))
    before = {volunteer_id: service.hours for volunteer_id, service in existing.items()}
    after = {volunteer_id: hours for volunteer_id, (_v, hours) in wanted.items()}
    if before == after:
        return False
    for volunteer_id, service in existing.items():
        if volunteer_id not in wanted:
            activity.services.remove(service)
    for volunteer_id, (volunteer, hours) in wanted.items():
        if volunteer_id in existing:
            existing[volunteer_id].hours = hours
        else:
            activity.services.append(ServiceRecord(volunteer=volunteer, hours=hours))
    db.session.flush()
    record(by, "activity.update", activity, details={"services": {str(k): v for k, v in sorted(after.items())}})
    return True


# --- the steps the site's form and the API take alike ---------------------------------


def record_service(activity: Activity, hours: Sequence[tuple[int, Any]], by: User) -> bool:
    """Make ``hours`` (pairs of a volunteer's id and the hours served) the whole record of ``activity``.

    Returns whether anything changed, as ``set_service``.

    :raises ActivityError: as ``load_volunteers`` (an id unknown, out of scope or repeated) and
        ``set_service``, naming the volunteer.
    """
    found = load_volunteers(by, [pair[0] for pair in hours])
    return set_service(activity, {found[volunteer_id]: value for volunteer_id, value in hours}, by)


def log_activity(
    data: Mapping[str, Any], community_code: str, by: User, hours: Sequence[tuple[int, Any]] | None = None
) -> Activity:
    """Log an activity in the community or village ``community_code`` names and, given ``hours``, who served.

    :raises ActivityError: as ``find_community``, ``create_activity`` and ``record_service``.
    """
    activity = create_activity(data, find_community(by, community_code), by)
    if hours is not None:
        record_service(activity, hours, by)
    return activity


def change_activity(
    activity: Activity,
    data: Mapping[str, Any],
    by: User,
    community_code: str | None = None,
    hours: Sequence[tuple[int, Any]] | None = None,
) -> None:
    """Change the fields in ``data``, the community if a code is given and, given ``hours``, who served.

    :raises ActivityError: as ``find_community``, ``update_activity`` and ``record_service``.
    """
    community = find_community(by, community_code) if community_code is not None else None
    update_activity(activity, data, by, community)
    if hours is not None:
        record_service(activity, hours, by)


# --- finding, counting, exporting --------------------------------------------------


def activity_filter(user: User, criteria: Mapping[str, Any]) -> ActivityFilter:
    """The filter a request's ``criteria`` describe: a region code (``community``), ``channel``, ``kind``,
    ``since``, ``until`` and ``q``; missing or empty ones do not restrict.

    :raises ActivityError: ``community_unknown`` for a region code unknown or outside the scope.
    """
    code = criteria.get("community")
    return ActivityFilter(
        region=filter_region(user, code) if code else None,
        channel=criteria.get("channel") or None,
        kind=criteria.get("kind") or None,
        since=criteria.get("since"),
        until=criteria.get("until"),
        q=(criteria.get("q") or "").strip() or None,
    )


def _like(text: str) -> str:
    # LIKE wildcards typed by a user are taken literally
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def activity_query(user: User, filters: ActivityFilter | None = None) -> Select:
    """Activities ``user`` may see that match ``filters``, newest first."""
    filters = filters or ActivityFilter()
    stmt = within_scope(select(Activity), user, Activity.community_id)
    if filters.region is not None:
        stmt = stmt.where(
            Activity.community_id.in_(select(Region.id).where(Region.path.like(f"{filters.region.path}%")))
        )
    if filters.channel:
        stmt = stmt.where(Activity.channel == filters.channel)
    if filters.kind:
        stmt = stmt.where(Activity.kind == filters.kind)
    if filters.since:
        stmt = stmt.where(Activity.held_on >= filters.since)
    if filters.until:
        stmt = stmt.where(Activity.held_on <= filters.until)
    if filters.q and filters.q.strip():
        pattern = _like(filters.q.strip())
        stmt = stmt.where(or_(Activity.title.ilike(pattern, escape="\\"), Activity.place.ilike(pattern, escape="\\")))
    return stmt.order_by(Activity.held_on.desc(), Activity.id.desc())


@dataclass(frozen=True)
class Totals:
    """What a filtered list adds up to: activities, people reached in person, materials handed out."""

    activities: int
    participants: int
    materials: int


def activity_totals(stmt: Select) -> Totals:
    """The totals over every row of ``stmt`` (a query from ``activity_query``), not just one page."""
    rows = stmt.order_by(None).subquery()
    participants = func.coalesce(func.sum(rows.c.participants), 0)
    materials = func.coalesce(func.sum(rows.c.materials), 0)
    count, participants, materials = db.session.execute(select(func.count(), participants, materials)).one()
    return Totals(int(count), int(participants), int(materials))


@dataclass(frozen=True)
class ActivityList:
    """One page of a filtered list, and what the whole list adds up to."""

    page: Page[Activity]
    totals: Totals


def find_activities(user: User, criteria: Mapping[str, Any], number: int, per_page: int) -> ActivityList:
    """Page ``number`` of the activities ``user`` may see under ``criteria`` (see ``activity_filter``).

    :raises ActivityError: as ``activity_filter``.
    """
    stmt = activity_query(user, activity_filter(user, criteria))
    return ActivityList(paginate(stmt, number, per_page, (selectinload(Activity.community),)), activity_totals(stmt))


def export_headers() -> list[str]:
    return [
        _("Code"),
        _("Date"),
        _("Channel"),
        _("Kind of activity"),
        _("Title"),
        _("Community code"),
        _("Community or village"),
        _("Street"),
        _("Place"),
        _("Participants"),
        _("Materials handed out"),
        _("Volunteers who served"),
        _("Service hours"),
        _("Notes"),
    ]


class ActivityTable(NamedTuple):
    """An export: the file's name (without extension), its column headers and rows."""

    filename: str
    headers: list[str]
    rows: list[list[Any]]


def _export_row(activity: Activity, lang: str) -> list[Any]:
    street = street_of(activity.community)
    return [
        activity.code,
        activity.held_on,
        channel_label(activity.channel),
        kind_label(activity.kind),
        activity.title,
        activity.community.code,
        activity.community.name(lang),
        street.name(lang) if street else "",
        activity.place or "",
        activity.participants,
        activity.materials,
        len(activity.services),
        sum(service.hours for service in activity.services),
        activity.notes or "",
    ]


def export_activities(user: User, criteria: Mapping[str, Any], lang: str) -> ActivityTable:
    """Every activity ``user`` may see under ``criteria`` (see ``activity_filter``), as a table; audited.

    Names are given in ``lang`` ("zh_Hans" or "en"); labels in the current locale.

    :raises ActivityError: as ``activity_filter``.
    """
    filters = activity_filter(user, criteria)
    stmt = activity_query(user, filters).options(
        selectinload(Activity.community).selectinload(Region.parent), selectinload(Activity.services)
    )
    rows = [_export_row(activity, lang) for activity in db.session.execute(stmt).scalars()]
    record(user, "activity.export", details=filters.as_details(), row_count=len(rows))
    return ActivityTable(f"activities-{local_today().isoformat()}", export_headers(), rows)


# --- posters -----------------------------------------------------------------------


def poster_communities(user: User, query: str | None, number: int, per_page: int) -> Page[Region]:
    """Page ``number`` of the communities and villages in ``user``'s scope whose name or code
    contains ``query``, in tree order, each with its street loaded."""
    stmt = within_scope(select(Region).where(Region.level.in_(LEAF_LEVELS)), user, Region.id)
    if query and query.strip():
        pattern = _like(query.strip())
        stmt = stmt.where(
            or_(
                Region.name_zh.ilike(pattern, escape="\\"),
                Region.name_en.ilike(pattern, escape="\\"),
                Region.code.ilike(pattern, escape="\\"),
            )
        )
    return paginate(stmt.order_by(Region.path), number, per_page, (selectinload(Region.parent),))
