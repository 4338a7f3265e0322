"""Registering many volunteers from a file (CSV or XLSX): all of them, or none.

The file is read by ``webapp.volunteers.importer``; each row is checked like a form
(``validation``) plus what only a file has: a community named by its code, a team by its
name, the same phone on two lines. Every faulty line is reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.accounts.models import User
from webapp.accounts.permissions import region_in_scope
from webapp.audit.service import record
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.volunteers.errors import PhoneError, VolunteerError, VolunteerImportError
from webapp.volunteers.importer import read_file
from webapp.volunteers.models import Team, Volunteer
from webapp.volunteers.phones import normalize_phone
from webapp.volunteers.registration import new_volunteer
from webapp.volunteers.teams import teams_query
from webapp.volunteers.validation import clean_volunteer, text

MAX_IMPORT_ROWS = 5000

#: (line number, field, message code)
Problem = tuple[int, str, str]


class _Directory:
    """The communities and teams a file's rows may name, as far as the importer's scope reaches."""

    def __init__(self, by: User):
        self.by = by
        self._communities: dict[str, Region | None] = {}
        self._teams = {(t.region_id, t.name.lower()): t for t in db.session.execute(teams_query(by)).scalars()}

    def community(self, code: Any) -> Region | None:
        """The region of ``code``; one outside the scope is unknown like a missing one."""
        code = text(code)[:32]
        if code not in self._communities:
            region = db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
            self._communities[code] = region if region is not None and region_in_scope(self.by, region) else None
        return self._communities[code]

    def team(self, community: Region, name: str) -> Team | None:
        """The team called ``name`` (in any case) of ``community`` or of its street."""
        return self._teams.get((community.id, name)) or self._teams.get((community.parent_id, name))


def _name_team(data: dict[str, Any], community: Region | None, directory: _Directory) -> dict[str, str]:
    """Replace the row's team name by the team's id; the fault when no such team serves the community."""
    name = text(data.pop("team", None)).lower()
    if not name or community is None:
        return {}
    team = directory.team(community, name)
    if team is None:
        return {"team": "team_elsewhere"}
    data["team_id"] = team.id
    return {}


def _checked_row(
    data: dict[str, Any], community: Region | None, directory: _Directory, now: datetime
) -> tuple[dict[str, Any], dict[str, str]]:
    """The row's column values, and its faults by field (the file's own fields last)."""
    faults = {"community_code": "community_unknown"} if community is None else {}
    faults.update(_name_team(data, community, directory))
    try:
        return clean_volunteer(data, community, now), faults
    except VolunteerError as exc:
        found = dict(exc.problems)
        if "community" in found:  # the file names it by code
            faults.setdefault("community_code", found.pop("community"))
        return {}, {**found, **faults}


def _phone_of(data: Mapping[str, Any]) -> str | None:
    try:
        return normalize_phone(data.get("phone"))
    except PhoneError:
        return None


def _check_repeated_phone(data: Mapping[str, Any], faults: dict[str, str], seen: set[str]) -> None:
    """A phone on an earlier line is a fault of this one, even when that earlier line has other faults."""
    phone = _phone_of(data)
    if phone is None or "phone" in faults:
        return
    if phone in seen:
        faults["phone"] = "phone_twice_in_file"
    seen.add(phone)


def _check_size(rows: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    if not rows:
        raise VolunteerImportError([(1, "file", "import_empty")])
    if len(rows) > MAX_IMPORT_ROWS:
        raise VolunteerImportError([(rows[MAX_IMPORT_ROWS][0], "file", "import_too_many")])


def _add_all(added: list[Volunteer]) -> None:
    try:
        with db.session.begin_nested():
            db.session.add_all(added)
    except IntegrityError:
        # someone registered one of these phones while the file was being read
        raise VolunteerImportError([(1, "phone", "phone_taken")]) from None


def import_volunteers(
    rows: Sequence[tuple[int, Mapping[str, Any]]], by: User, now: datetime | None = None
) -> list[Volunteer]:
    """Register volunteers from (line number, data) pairs; all or nothing.

    Each row's data is as ``register_volunteer``'s plus ``community_code`` and, instead
    of ``team_id``, ``team`` (a team name of that community or its street). A community
    outside the importer's scope is refused like an unknown one. The same phone twice
    in the file is refused on its second line.

    :raises VolunteerImportError: every bad row with its line number; nothing was added.
    """
    now = now or utcnow()
    _check_size(rows)
    directory = _Directory(by)
    seen: set[str] = set()
    problems: list[Problem] = []
    ready: list[tuple[dict[str, Any], Region]] = []
    for line, raw in rows:
        data = dict(raw)
        community = directory.community(data.get("community_code"))
        values, faults = _checked_row(data, community, directory, now)
        _check_repeated_phone(data, faults, seen)
        if faults or community is None:
            problems.extend((line, name, code) for name, code in faults.items())
        else:
            ready.append((values, community))
    if problems:
        raise VolunteerImportError(problems)
    added = [new_volunteer(values, community, "import", by, now) for values, community in ready]
    _add_all(added)
    record(by, "volunteer.import", details={"source": "import"}, row_count=len(added))
    return added


def import_file(filename: str, body: bytes, by: User, now: datetime | None = None) -> list[Volunteer]:
    """Register the volunteers listed in an uploaded CSV or XLSX file; all or nothing.

    :raises ImportFileError: the file cannot be read, or lacks required columns.
    :raises VolunteerImportError: as ``import_volunteers``.
    """
    return import_volunteers(read_file(filename, body), by, now)
