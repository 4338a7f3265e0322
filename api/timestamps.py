"""Timestamps on the wire: RFC 3339 with an explicit offset, whatever the database holds.

The database keeps naive UTC (see webapp/timeutil.py); a client reading a time without an
offset would take it for its own local time, eight hours off in China. So every time leaves
the API in UTC with ``+00:00``, and a time sent to the API may carry any offset: it is turned
into naive UTC before it reaches a service.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC time; a naive one is taken to be UTC already, as stored."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    """The RFC 3339 text of a stored (naive UTC) or aware time, with its offset."""
    return as_utc(value).isoformat()


class DateTime(fields.DateTime):
    """marshmallow's DateTime that always writes an offset and stores naive UTC."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"description": "RFC 3339 with an offset (UTC, +00:00)", **kwargs.pop("metadata", {})}
        super().__init__(format="iso", metadata=metadata, **kwargs)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else rfc3339(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        return as_utc(super()._deserialize(value, attr, data, **kwargs)).replace(tzinfo=None)
