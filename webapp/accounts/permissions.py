"""The one place that decides who may see and change what.

Each staff page declares what it needs with ``@requires(ability)`` (API endpoints with
``api.auth.requires_token``), and public routes under a guarded prefix say ``@public``; a
test walks the URL map for routes that declare nothing. Every query for scoped data goes
through ``within_scope``; every single object is fetched through ``get_in_scope`` and every
region named in a request through ``find_region``, which answer a foreign object exactly
like a missing one (404), so ids and codes cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.exceptions import Forbidden, NotFound

from webapp.extensions import db
from webapp.regions.models import Region

T = TypeVar("T")
View = TypeVar("View", bound=Callable[..., Any])

#: what ``requires`` records on a view that any signed-in account may open
SIGNED_IN = "signed_in"
#: what ``public`` records on a view that needs no account
PUBLIC = "public"

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
    #: monitoring waves: set up, assign, review and read their estimates
    "waves.manage": ("organizer", "admin"),
    #: interviewing for a wave one is assigned to
    "interviews.run": ("staff", "organizer"),
    #: key-population training: units and their rosters (a unit manager sees only their own unit)
    "units.read": ("staff", "organizer", "admin", "unit_manager"),
    "units.write": ("staff", "admin"),
    "roster.write": ("staff", "admin", "unit_manager"),
    "roster.export": ("staff", "organizer", "admin", "unit_manager"),
    #: everything held about one person, for their request to see it: whole numbers, as roster.write
    "roster.person_export": ("staff", "admin", "unit_manager"),
    #: offline training logged from a 培训 activity's attendance list
    "training.offline": ("staff", "admin"),
}


def can(user: Any, ability: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in ABILITIES[ability]


def require(user: Any, ability: str) -> None:
    """:raises Forbidden: when the user's role does not allow ``ability``."""
    if not can(user, ability):
        raise Forbidden()


def declared(view: Any) -> str | None:
    """What a view function declared it needs (an ability, SIGNED_IN or PUBLIC), if anything."""
    return getattr(view, "requires", None)


def declare(requirement: str, view: View) -> View:
    view.requires = requirement  # type: ignore[attr-defined]
    return view


def requires(ability: str | None = None) -> Callable[[View], View]:
    """A site view for signed-in accounts whose role may ``ability`` (any account when None).

    Anonymous visitors are sent to the sign-in page; a role without the ability gets 403.
    """
    if ability is not None and ability not in ABILITIES:
        raise KeyError(f"unknown ability {ability!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from webapp.extensions import login_manager

                return login_manager.unauthorized()
            if ability is not None:
                require(current_user, ability)
            return view(*args, **kwargs)

        return declare(ability or SIGNED_IN, cast(View, checked))

    return decorate


def public(view: View) -> View:
    """Declare that a route under a guarded prefix (e.g. the API's lessons) needs no account."""
    return declare(PUBLIC, view)


def scope_path(user: Any) -> str | None:
    """The materialized path the user is confined to; None means everything (admins)."""
    if user.role == "admin":
        return None
    if user.scope is None:
        return "/nowhere/"  # a scoped role without a scope sees nothing rather than everything
    return user.scope.path


def unit_in_scope(user: Any, unit: Any) -> bool:
    """Whether ``unit`` (a training unit) is the user's: their own unit for a unit manager, else
    one in their region subtree."""
    if unit is None:
        return False
    if user.role == "unit_manager":
        return user.unit_id is not None and unit.id == user.unit_id
    return region_in_scope(user, unit.region)


def units_within_scope(
    stmt: Select, user: Any, unit_id_column: InstrumentedAttribute[Any], region_id_column: InstrumentedAttribute[Any]
) -> Select:
    """Restrict ``stmt`` to rows of the user's units (``unit_id_column``, in ``region_id_column``)."""
    if user.role == "unit_manager":
        return stmt.where(unit_id_column == user.unit_id) if user.unit_id is not None else stmt.where(false())
    return within_scope(stmt, user, region_id_column)


def get_unit_in_scope(user: Any, model: type[T], object_id: Any, unit_of: Callable[[Any], Any] = lambda obj: obj) -> T:
    """The object with ``object_id`` (a unit, or something ``unit_of`` leads to a unit) if the unit
    is the user's.

    :raises NotFound: when it is missing or not the user's; the two are indistinguishable.
    """
    obj = db.session.get(model, object_id)
    if obj is None or not unit_in_scope(user, unit_of(obj)):
        raise NotFound()
    return obj


def region_in_scope(user: Any, region: Region | None) -> bool:
    path = scope_path(user)
    return region is not None and (path is None or region.path.startswith(path))


def within_scope(stmt: Select, user: Any, region_id_column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> Select:
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


def find_region(user: Any, code: str | None, levels: tuple[str, ...] | None = None) -> Region:
    """The region a request names by ``code``, if it lies in the user's scope (and is of ``levels``).

    :raises NotFound: when it is missing, outside the scope or of another level; all look alike.
    """
    from webapp.regions.service import get_region

    region = get_region(code[:32]) if code else None
    if region is None or not region_in_scope(user, region) or (levels and region.level not in levels):
        raise NotFound()
    return region


def regions_in_scope(user: Any, levels: tuple[str, ...] | None = None) -> list[Region]:
    """Regions the user may pick (e.g. in a form), in tree order."""
    stmt = within_scope(select(Region), user, Region.id).order_by(Region.path)
    if levels:
        stmt = stmt.where(Region.level.in_(levels))
    return list(db.session.execute(stmt).scalars())
