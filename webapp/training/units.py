"""Units (企业, 学校, 医院 …): registered by staff in a street or community of their scope, listed
for whoever may see them, and given a manager account that keeps the unit's own roster."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from webapp.accounts import service as accounts
from webapp.accounts.models import User
from webapp.accounts.permissions import find_region, get_unit_in_scope, units_within_scope
from webapp.audit.service import record
from webapp.extensions import db
from webapp.paging import Page, paginate
from webapp.regions.models import Region
from webapp.text import has_control_characters, search_terms
from webapp.training.errors import TrainingError
from webapp.training.models import UNIT_KINDS, UNIT_LEVELS, Unit

MAX_UNIT_NAME = 100


def _clean_name(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not name or len(name) > MAX_UNIT_NAME or has_control_characters(name):
        raise TrainingError({"name": "unit_name_invalid"})
    return name


def clean_unit(data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of a unit from what was sent.

    :raises TrainingError: every field that is wrong at once.
    """
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["name"] = _clean_name(data.get("name"))
    except TrainingError as exc:
        problems.update(exc.fields)
    if data.get("kind") not in UNIT_KINDS:
        problems["kind"] = "unit_kind_invalid"
    values["kind"] = data.get("kind")
    key_unit = data.get("key_unit", False)
    if not isinstance(key_unit, bool):
        problems["key_unit"] = "unprocessable"
    values["key_unit"] = key_unit
    if problems:
        raise TrainingError(problems)
    return values


def _region(user: User, code: Any) -> Region:
    """The street or community a unit is placed in, which must be in the user's scope.

    :raises TrainingError: no such region in scope, or one of another level.
    """
    try:
        return find_region(user, code if isinstance(code, str) else None, UNIT_LEVELS)
    except Exception:  # NotFound: the form says which field is wrong instead of a bare 404
        raise TrainingError({"region": "unit_region_invalid"}) from None


def create_unit(user: User, data: Mapping[str, Any]) -> Unit:
    """A new unit in a street or community of ``user``'s scope, audited.

    :raises TrainingError: a field that is wrong.
    """
    values = clean_unit(data)
    unit = Unit(**values, region=_region(user, data.get("region")))
    db.session.add(unit)
    db.session.flush()
    record(user, "unit.create", unit, details={"kind": unit.kind, "key_unit": unit.key_unit})
    return unit


def update_unit(user: User, unit: Unit, data: Mapping[str, Any]) -> None:
    """:raises TrainingError: a field that is wrong."""
    values = clean_unit(data)
    region = _region(user, data.get("region")) if data.get("region") else unit.region
    for name, value in values.items():
        setattr(unit, name, value)
    unit.region = region
    record(user, "unit.update", unit)


def get_unit(user: User, unit_id: int) -> Unit:
    """:raises NotFound: no such unit, or not the user's."""
    return get_unit_in_scope(user, Unit, unit_id)


@dataclass(frozen=True)
class UnitFilter:
    region: Region | None = None
    kind: str | None = None
    key_unit: bool | None = None
    search: str = ""


def units_query(user: User, filters: UnitFilter) -> Select:
    stmt = units_within_scope(select(Unit), user, Unit.id, Unit.region_id)
    if filters.region is not None:
        stmt = stmt.where(Unit.region_id.in_(select(Region.id).where(Region.path.like(f"{filters.region.path}%"))))
    if filters.kind:
        stmt = stmt.where(Unit.kind == filters.kind)
    if filters.key_unit is not None:
        stmt = stmt.where(Unit.key_unit.is_(filters.key_unit))
    if terms := search_terms(filters.search, MAX_UNIT_NAME):
        stmt = stmt.where(func.lower(Unit.name).contains(terms.lower(), autoescape=True))
    return stmt.order_by(Unit.name, Unit.id)


def list_units(user: User, filters: UnitFilter, number: int, per_page: int) -> Page[Unit]:
    return paginate(units_query(user, filters), number, per_page)


def open_manager_account(user: User, unit: Unit, username: str, display_name: str, password: str) -> User:
    """An account that sees and keeps only ``unit``'s roster; scoped to the unit's region, so the
    audit log places what it does where the unit is.

    :raises AccountError: as ``accounts.create_user``.
    """
    manager = accounts.open_account(user, username, display_name, password, "unit_manager", unit.region)
    manager.unit_id = unit.id
    record(user, "unit.manager", unit, details={"username": manager.username})
    return manager


def managers_of(unit: Unit) -> list[User]:
    stmt = select(User).where(User.unit_id == unit.id, User.role == "unit_manager").order_by(User.username)
    return list(db.session.execute(stmt).scalars())
