"""A unit's roster: the people the plans want trained, added one by one or by file, each in a role.

Phones are kept whole for the unit's own staff and shown masked in every list; exports and whole
numbers are audited like volunteers'. A person who leaves keeps their row (``left_on``), so the
rates of past periods stay as they were; a person erased on request keeps an anonymous row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from webapp.accounts.models import User
from webapp.accounts.permissions import can, get_unit_in_scope, units_within_scope
from webapp.audit.service import record
from webapp.clock import local_today, utcnow
from webapp.extensions import db
from webapp.imports import ImportRefused, Sheet, cell_key, read_file
from webapp.paging import Page, paginate
from webapp.text import has_control_characters, search_terms
from webapp.training.errors import RosterPhoneTaken, TrainingError
from webapp.training.models import RosterMember, Unit
from webapp.training.trainees import end_sign_ins, void_invitations
from webapp.volunteers.errors import PhoneError
from webapp.volunteers.phones import normalize_phone

MAX_NAME = 50
#: how many of a number's digits a search may name: the ones every list shows
LAST_DIGITS = 4
#: a roster file holds one unit's people; a larger one is refused, not half read
MAX_IMPORT_ROWS = 5000
#: the earliest day a person can have joined: before it, a date is a typing mistake
EARLIEST_JOINED = date(2000, 1, 1)

COLUMNS = (
    ("name", _l("Name")),
    ("phone", _l("Mobile phone")),
    ("role", _l("Post")),
    ("joined_on", _l("On the roster since")),
)
SHEET = Sheet(
    COLUMNS,
    required=("name", "phone", "role"),
    aliases={
        "手机": "phone",
        "手机号码": "phone",
        "联系电话": "phone",
        "角色": "role",
        "人员类别": "role",
        "role": "role",
    },
)


def known_roles() -> Mapping[str, Any]:
    """The roles of the content taxonomy, by slug."""
    return current_app.extensions["library"].catalog.taxonomy.roles


def _clean_name(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not name or len(name) > MAX_NAME or has_control_characters(name):
        raise TrainingError({"name": "name_required"})
    return name


def _joined_on(value: Any, today: date) -> date:
    if value in (None, ""):
        return today
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise TrainingError({"joined_on": "date_invalid"}) from None
    if not isinstance(value, date) or not EARLIEST_JOINED <= value <= today:
        raise TrainingError({"joined_on": "date_invalid"})
    return value


def clean_member(data: Mapping[str, Any], today: date, editing: bool = False) -> dict[str, Any]:
    """A roster row's columns from what was sent.

    :raises TrainingError: every field that is wrong at once.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("name", lambda: _clean_name(data.get("name"))),
        ("phone", lambda: normalize_phone(data.get("phone") if isinstance(data.get("phone"), str) else None)),
        ("role", lambda: _role(data.get("role"))),
    ]
    if not editing:
        checks.append(("joined_on", lambda: _joined_on(data.get("joined_on"), today)))
    for name, check in checks:
        try:
            values[name] = check()
        except (TrainingError, PhoneError) as exc:
            problems.update(exc.fields)
    if problems:
        raise TrainingError(problems)
    return values


def _role(value: Any) -> str:
    if not isinstance(value, str) or value not in known_roles():
        raise TrainingError({"role": "unknown_role"})
    return value


def _insert(member: RosterMember) -> None:
    """:raises RosterPhoneTaken: the unit lists the phone already (also when added meanwhile)."""
    try:
        with db.session.begin_nested():
            db.session.add(member)
    except IntegrityError:
        raise RosterPhoneTaken() from None


def add_member(user: User, unit: Unit, data: Mapping[str, Any], source: str = "staff") -> RosterMember:
    """Put a person on ``unit``'s roster, audited (without their number).

    :raises TrainingError: a field that is wrong; RosterPhoneTaken for a number listed already.
    """
    values = clean_member(data, local_today())
    member = RosterMember(**values, unit=unit, source=source, added_by_id=user.id)
    _insert(member)
    record(user, "roster.add", member, details={"unit": unit.id, "role": member.role})
    return member


def update_member(user: User, member: RosterMember, data: Mapping[str, Any]) -> None:
    """Correct a person's name, number or role.

    :raises TrainingError: a field that is wrong, or the member was erased.
    """
    if member.erased:
        raise TrainingError(code="roster_member_erased", status=409)
    values = clean_member(data, local_today(), editing=True)
    for name, value in values.items():
        setattr(member, name, value)
    try:
        db.session.flush()
    except IntegrityError:
        raise RosterPhoneTaken() from None
    record(user, "roster.update", member, details={"role": member.role})


def member_leaves(user: User, member: RosterMember, on: date | None = None) -> None:
    """From ``on`` (today) the person no longer counts for the unit; their certificates stay theirs."""
    on = on or local_today()
    if member.left_on is None or member.left_on > on:
        member.left_on = max(on, member.joined_on)
    record(user, "roster.leave", member, details={"on": member.left_on.isoformat()})


def erase_member(user: User, member: RosterMember, now: datetime | None = None) -> None:
    """Erase the person's name and number on request; the row stays for the counts, anonymous.
    Their sign-ins end and unused invitations die with them."""
    now = now or utcnow()
    if member.erased:
        return
    member.name, member.phone, member.erased_at = "", None, now
    if member.left_on is None:
        member.left_on = local_today()
    void_invitations(member, now)
    end_sign_ins(member, now)
    record(user, "roster.erase", member, details={"unit": member.unit_id})


def view_whole_phone(user: User, member: RosterMember) -> str | None:
    """The whole number for roles that keep rosters, each view written to the audit log; the
    caller loaded ``member`` through the user's scope. Other roles get None."""
    if not can(user, "roster.write") or member.phone is None:
        return None
    record(user, "roster.view_phone", member)
    return member.phone


def get_member(user: User, member_id: int) -> RosterMember:
    """:raises NotFound: no such person, or not on a roster of the user's units."""
    return get_unit_in_scope(user, RosterMember, member_id, lambda member: member.unit)


@dataclass(frozen=True)
class RosterFilter:
    unit: Unit | None = None
    role: str | None = None
    #: "current" (on the roster today), "left", or "" for everybody
    status: str = "current"
    search: str = ""


def roster_query(user: User, filters: RosterFilter) -> Select:
    stmt = units_within_scope(
        select(RosterMember).join(Unit, RosterMember.unit_id == Unit.id), user, Unit.id, Unit.region_id
    ).where(RosterMember.erased_at.is_(None))
    if filters.unit is not None:
        stmt = stmt.where(RosterMember.unit_id == filters.unit.id)
    if filters.role:
        stmt = stmt.where(RosterMember.role == filters.role)
    today = local_today()
    if filters.status == "current":
        stmt = stmt.where(or_(RosterMember.left_on.is_(None), RosterMember.left_on > today))
    elif filters.status == "left":
        stmt = stmt.where(RosterMember.left_on <= today)
    if terms := search_terms(filters.search, MAX_NAME):
        # digits find a number by its last four, as they are shown in the list; no more
        if terms.isdigit():
            stmt = stmt.where(RosterMember.phone.endswith(terms[-LAST_DIGITS:], autoescape=True))
        else:
            stmt = stmt.where(func.lower(RosterMember.name).contains(terms.lower(), autoescape=True))
    return stmt.order_by(RosterMember.name, RosterMember.id)


def list_roster(user: User, filters: RosterFilter, number: int, per_page: int) -> Page[RosterMember]:
    return paginate(roster_query(user, filters), number, per_page)


# --- import ----------------------------------------------------------------------------------


def _row_values(cells: Mapping[str, str], role_names: Mapping[str, str]) -> dict[str, Any]:
    role = cells.get("role", "")
    return {
        "name": cells.get("name", ""),
        "phone": cells.get("phone", ""),
        "role": role_names.get(cell_key(role), role),
        "joined_on": cells.get("joined_on", ""),
    }


def role_spellings() -> dict[str, str]:
    """Every way a role may be written in a file: its slug, or its name in either language."""
    found = {}
    for slug, tag in known_roles().items():
        found[cell_key(slug)] = slug
        found[cell_key(slug.replace("-", "_"))] = slug
        for name in tag.names.values():
            found[cell_key(name)] = slug
    return found


def _checked_rows(rows: Sequence[tuple[int, Mapping[str, str]]], unit: Unit) -> list[dict[str, Any]]:
    """Every row's values, or ImportRefused with each faulty line (a phone repeated in the file or
    listed on the roster already is a fault of its line)."""
    today, names = local_today(), role_spellings()
    listed = set(db.session.execute(select(RosterMember.phone).where(RosterMember.unit_id == unit.id)).scalars())
    problems: list[tuple[int, str, str]] = []
    checked, seen = [], set()
    for line, cells in rows:
        try:
            values = clean_member(_row_values(cells, names), today)
        except TrainingError as exc:
            problems += [(line, name, code) for name, code in exc.fields.items()]
            continue
        if values["phone"] in seen or values["phone"] in listed:
            problems.append((line, "phone", "roster_phone_taken"))
        seen.add(values["phone"])
        checked.append(values)
    if problems:
        raise ImportRefused(problems)
    return checked


def import_roster(user: User, unit: Unit, filename: str, body: bytes) -> list[RosterMember]:
    """Every row of a CSV or XLSX file onto ``unit``'s roster, or none of them.

    :raises ImportFileError: the file cannot be read, or lacks a required column.
    :raises ImportRefused: every faulty row with its line number; nothing was added.
    """
    rows = read_file(filename, body, SHEET)
    if not rows:
        raise ImportRefused([(1, "file", "import_empty")])
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportRefused([(rows[MAX_IMPORT_ROWS][0], "file", "import_too_many")])
    members = [
        RosterMember(**values, unit=unit, source="import", added_by_id=user.id) for values in _checked_rows(rows, unit)
    ]
    try:
        with db.session.begin_nested():
            db.session.add_all(members)
    except IntegrityError:  # a number added by someone else while the file was checked
        raise ImportRefused([(1, "phone", "roster_phone_taken")]) from None
    record(user, "roster.import", unit, row_count=len(members))
    return members


def template_headers() -> list[str]:
    return SHEET.template_headers()
