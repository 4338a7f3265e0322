"""Figures as JSON and back, guided by their dataclasses' type hints, so that a dashboard one
worker read can be stored in the database and shown by any other worker or machine.

JSON has no tuples, no keys other than strings, no dates and no decimals (PostgreSQL's sums
of integers come back as ``Decimal``): mappings become lists of pairs, dates ISO strings,
numbers plain JSON numbers, and :func:`revive` turns each back into the type its field names.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from webapp.regions.models import Region, RegionView


def plain(value: Any) -> Any:
    """``value`` as JSON-ready lists, dicts, strings, numbers and None."""
    if isinstance(value, Region):
        value = RegionView.of(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return [[plain(key), plain(item)] for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in a snapshot")


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass's fields and their hints, resolved once: resolving the postponed annotations
    took most of the time of showing a kept dashboard."""
    hints = typing.get_type_hints(cls)
    return tuple((field.name, hints[field.name]) for field in dataclasses.fields(cls))


def revive(hint: Any, data: Any) -> Any:
    """The value of type ``hint`` that :func:`plain` turned into ``data``.

    A region model becomes its :class:`RegionView` copy: a snapshot outlives any session.
    """
    if data is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (hint,) = [arg for arg in args if arg is not type(None)]
        return revive(hint, data)
    if hint is Region:
        hint = RegionView
    if dataclasses.is_dataclass(hint):
        return hint(**{name: revive(field_hint, data[name]) for name, field_hint in _fields(cast(type, hint))})
    if origin is list:
        return [revive(args[0], item) for item in data]
    if origin is tuple:
        return tuple(revive(arg, item) for arg, item in zip(args, data, strict=True))
    if origin is dict:
        return {revive(args[0], key): revive(args[1], item) for key, item in data}
    if hint is datetime:
        return datetime.fromisoformat(data)
    if hint is date:
        return date.fromisoformat(data)
    if hint in (int, float, str, bool):
        return hint(data)
    raise TypeError(f"cannot revive a {hint!r} from a snapshot")
