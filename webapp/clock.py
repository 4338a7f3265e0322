"""The one owner of time: "now" as stored, and every local date, month and moment.

Moments are stored as naive UTC, the same in SQLite and PostgreSQL. Everything a person
reads as a date — "today", this month, the month an answer is booked in — is taken in the
campaign's time zone (``TIMEZONE``, Asia/Shanghai by default). Nothing else in the code
converts: between 00:00 and 08:00 Shanghai time a UTC date is still yesterday's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

#: the zone when there is no application (pure functions, scripts)
DEFAULT_TIMEZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    """Now, as stored: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_zone() -> ZoneInfo:
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def to_local(moment_utc: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A stored (naive UTC) or aware moment as an aware local time (in ``zone`` when given)."""
    aware = moment_utc.replace(tzinfo=UTC) if moment_utc.tzinfo is None else moment_utc
    return aware.astimezone(zone or local_zone())


def local_now() -> datetime:
    return to_local(utcnow())


def local_today() -> date:
    return local_now().date()


def local_date(moment_utc: datetime) -> date:
    """The local calendar date of a stored moment."""
    return to_local(moment_utc).date()


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def local_month(moment_utc: datetime | None = None, zone: ZoneInfo | None = None) -> str:
    """The local month (``2026-12``) of a stored moment, or of now; ``zone`` outside an app."""
    return month_key(to_local(moment_utc if moment_utc is not None else utcnow(), zone).date())


def local_midnight_utc(day: date) -> datetime:
    """The stored (naive UTC) moment at which the local ``day`` begins."""
    start = datetime(day.year, day.month, day.day, tzinfo=local_zone())
    return start.astimezone(UTC).replace(tzinfo=None)
