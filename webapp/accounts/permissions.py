"""The one place that decides who may see and change what.

Every query for scoped data goes through ``within_scope``; every single object is
fetched through ``get_in_scope``, which answers a foreign object exactly like a
missing one (404), so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from werkzeug.exceptions import Forbidden, NotFound

from webapp.extensions import db
from webapp.regions.models import Region

T = TypeVar("T")

#: what each role may do; a role not listed for an action is refused with 403
ABILITIES: dict[str, tuple[str, ...]] = {
    "volunteers.read": ("staff", "organizer", "admin"),
    "volunteers.write": ("staff", "admin"),
    "volunteers.export": ("staff", "organizer", "admin"),
    "volunteers.whole_phone": ("staff", "admin"),
    #: erasing a volunteer's personal data, and exporting everything held about one person
    "volunteers.erase": ("staff", "admin"),
    "volunteers.person_export": ("staff", "admin"),
    "activities.read": ("staff", "organizer", "admin"),
    "activities.write": ("staff", "admin"),
    "audit.read": ("organizer", "admin"),
    "users.manage": ("admin",),
    "targets.write": ("organizer", "admin"),
    "stats.read": ("staff", "organizer", "admin"),
}


def can(user: Any, ability: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in ABILITIES[ability]


def require(user: Any, ability: str) -> None:
    """:raises Forbidden: when the user's role does not allow ``ability``."""
    if not can(user, ability):
        raise Forbidden()


def scope_path(user: Any) -> str | None:
    """The materialized path the user is confined to; None means everything (admins)."""
    if user.role == "admin":
        return None
    if user.scope is None:
        return "/nowhere/"  # a scoped role without a scope sees nothing rather than everything
    return user.scope.path


def region_in_scope(user: Any, region: Region | None) -> bool:
    path = scope_path(user)
    return region is not None and (path is None or region.path.startswith(path))


def within_scope(stmt: Select, user: Any, region_id_column: ColumnElement) -> Select:
    """Restrict ``stmt`` to rows whose region (via ``region_id_column``) lies in the user's subtree."""
    path = scope_path(user)
    if path is None:
        return stmt
    subtree = select(Region.id).where(Region.path.like(f"{path}%"))
    return stmt.where(region_id_column.in_(subtree))


def get_in_scope(user: Any, model: type[T], object_id: Any, region_of=lambda obj: obj.community) -> T:
    """The object with ``object_id`` if it lies in the user's scope.

    :raises NotFound: when it is missing or outside the scope; the two are indistinguishable.
    """
    obj = db.session.get(model, object_id)
    if obj is None or not region_in_scope(user, region_of(obj)):
        raise NotFound()
    return obj


def regions_in_scope(user: Any, levels: tuple[str, ...] | None = None) -> list[Region]:
    """Regions the user may pick (e.g. in a form), in tree order."""
    stmt = within_scope(select(Region), user, Region.id).order_by(Region.path)
    if levels:
        stmt = stmt.where(Region.level.in_(levels))
    return list(db.session.execute(stmt).scalars())
