"""Finding volunteers: one by id or phone, lists narrowed by a filter, searches by name or phone digits.

Every list is cut to the caller's scope and leaves erased volunteers out. A search by phone
digits is written to the audit log, refused ones too, since a run of them is how numbers
are guessed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, String, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from webapp.accounts.models import User
from webapp.accounts.permissions import can, get_in_scope, region_in_scope, within_scope
from webapp.audit.service import record
from webapp.extensions import db
from webapp.paging import paginate as page_of
from webapp.regions.models import Region
from webapp.volunteers.errors import PhoneError, VolunteerError
from webapp.volunteers.models import SKILLS, STATUSES, Training, Volunteer
from webapp.volunteers.phones import normalize_phone

#: a search by phone digits matches the number's last LAST_DIGITS digits (shown in lists); only roles
#: that see whole numbers may search by a whole one, else each guess would confirm or deny a number
LAST_DIGITS = 4
#: what people type between digits of a phone number, the country code's plus included
_DIGIT_SEPARATORS = re.compile(r"[\s\-.()+\u00a0\u3000]")
#: what a list shows of each volunteer besides the row itself
LISTED = (selectinload(Volunteer.community), selectinload(Volunteer.team), selectinload(Volunteer.trainings))


def find_by_phone(phone: str) -> Volunteer | None:
    return db.session.execute(select(Volunteer).where(Volunteer.phone == phone)).scalar_one_or_none()


def get_volunteer(user: User, volunteer_id: int) -> Volunteer:
    """The volunteer with ``volunteer_id`` in the user's scope; an erased one is gone like a missing one.

    :raises NotFound: missing, outside the scope, or erased (the three are indistinguishable).
    """
    volunteer = get_in_scope(user, Volunteer, volunteer_id)
    if volunteer.erased:
        raise NotFound()
    return volunteer


def view_whole_phone(user: User, volunteer: Volunteer) -> str | None:
    """The whole number for roles allowed to see it, each view written to the audit log.

    The caller has loaded ``volunteer`` through the user's scope; other roles get None.
    """
    if not can(user, "volunteers.whole_phone") or not region_in_scope(user, volunteer.community):
        return None
    record(user, "volunteer.view_phone", volunteer)
    return volunteer.phone


# --- searching by phone digits ---------------------------------------------------------


def phone_digits(q: str) -> str | None:
    """The digits of a search made only of LAST_DIGITS or more digits (and separators), else None.

    Full-width digits count as digits; a name search never is a phone search.
    """
    digits = _DIGIT_SEPARATORS.sub("", unicodedata.normalize("NFKC", q))
    return digits if digits.isascii() and digits.isdigit() and len(digits) >= LAST_DIGITS else None


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


# --- lists -----------------------------------------------------------------------------


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
        """The filter as the audit log keeps it (only what was set; searched phone digits masked)."""
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
        with contextlib.suppress(PhoneError):
            return Volunteer.phone == normalize_phone(q)
    return Volunteer.name.ilike(f"%{_like_escape(q)}%", escape="\\")


def _narrowed(stmt: Select, filters: VolunteerFilter) -> Select:
    """``stmt`` narrowed by every filter but the search; unknown statuses and skills narrow nothing."""
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
    return stmt


def volunteer_query(user: User, filters: VolunteerFilter | None = None) -> Select:
    """Volunteers the user may see, narrowed by ``filters``, newest first; erased ones are gone.

    ``q`` matches part of the name, the last 4 digits of the phone, or, for roles that see
    whole numbers, a whole number.

    :raises VolunteerError: q — a longer run of digits from a role that sees masked numbers only.
    """
    filters = filters or VolunteerFilter()
    stmt = within_scope(select(Volunteer), user, Volunteer.community_id).where(Volunteer.erased_at.is_(None))
    stmt = _narrowed(stmt, filters)
    if filters.q:
        stmt = stmt.where(_search(filters.q.strip()[:50], can(user, "volunteers.whole_phone")))
    return stmt.order_by(Volunteer.created_at.desc(), Volunteer.id.desc())


def audit_phone_search(user: User, filters: VolunteerFilter, rows: int, refused: bool = False) -> None:
    """Write a search by phone digits to the audit log (the digits masked); other searches are not."""
    if phone_digits(filters.q or "") is None:
        return
    details: dict[str, Any] = {"filter": filters.details()}
    if refused:
        details["refused"] = True
    record(user, "volunteer.search_phone", details=details, row_count=rows)


def checked_query(user: User, filters: VolunteerFilter) -> Select:
    """``volunteer_query``, a refused phone search written to the audit log before it is refused.

    :raises VolunteerError: as ``volunteer_query``.
    """
    try:
        return volunteer_query(user, filters)
    except VolunteerError:
        audit_phone_search(user, filters, 0, refused=True)
        raise


def list_volunteers(user: User, filters: VolunteerFilter, page: int, per_page: int) -> tuple[list[Volunteer], int]:
    """One page of the volunteers ``user`` may see under ``filters``, and how many there are in all.

    Every search by phone digits is written to the audit log (who, when, the filter with the
    digits masked, the row count), refused ones too, since a run of them is how numbers are guessed.

    :raises VolunteerError: q — as ``volunteer_query``.
    """
    found = page_of(checked_query(user, filters), page, per_page, LISTED)
    audit_phone_search(user, filters, found.total)
    return found.items, found.total


def paginate(stmt: Select, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of ``stmt``'s rows and the total number of rows (``webapp.paging.paginate`` as a pair)."""
    found = page_of(stmt, page, per_page)
    return found.items, found.total


def count_pending(user: User) -> int:
    """How many registrations in the user's scope wait for review."""
    stmt = volunteer_query(user, VolunteerFilter(status="pending"))
    return db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
