"""What volunteers served: hours and activities, asked of the domains that record service.

Service is recorded where it happens: a campaign activity lists the volunteers who served
at it (webapp.campaigns). So campaigns know volunteers, and volunteers must not know
campaigns; the volunteers domain asks through these two signals instead, and each domain
that records service connects a receiver (webapp.campaigns.served). No receiver: no service.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from blinker import Namespace

from webapp.volunteers.models import Volunteer

_signals = Namespace()
#: sent with ``volunteer_ids`` (a list); a receiver returns {volunteer id: hours served}
hours_asked = _signals.signal("volunteers.hours-served")
#: sent with ``volunteer``; a receiver returns their service, a list of ``Service``, latest first
service_asked = _signals.signal("volunteers.service")


class ServedActivity(Protocol):
    """What a volunteer's pages and exports show of an activity they served at."""

    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def held_on(self) -> date: ...
    @property
    def channel(self) -> str: ...
    @property
    def kind(self) -> str: ...


class Service(Protocol):
    """A volunteer's hours at one activity."""

    @property
    def hours(self) -> float: ...
    @property
    def activity(self) -> ServedActivity: ...


def service_hours(volunteer_ids: Iterable[int]) -> dict[int, float]:
    """Total hours each volunteer served (at campaign activities); volunteers who never served are left out."""
    ids = list(volunteer_ids)
    totals: dict[int, float] = {}
    if not ids:
        return totals
    for _receiver, hours in hours_asked.send(volunteer_ids=ids):
        for volunteer_id, served in hours.items():
            totals[volunteer_id] = totals.get(volunteer_id, 0.0) + served
    return totals


def service_records(volunteer: Volunteer) -> list[Service]:
    """The activities the volunteer served at, with the hours, latest first."""
    records: list[Service] = []
    for _receiver, service in service_asked.send(volunteer=volunteer):
        records.extend(service)
    # each receiver's order stands among records of one day (sorting is stable)
    return sorted(records, key=lambda record: record.activity.held_on, reverse=True)
