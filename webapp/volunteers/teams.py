"""Volunteer service teams (志愿服务队) of a street, community or village."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select

from webapp.accounts.models import User
from webapp.accounts.permissions import within_scope
from webapp.audit.service import record
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.volunteers.errors import VolunteerError
from webapp.volunteers.models import Team, Volunteer
from webapp.volunteers.validation import clean_team


def create_team(name: str, region: Region, by: User | None = None) -> Team:
    """A volunteer service team (志愿服务队) of a street, community or village.

    :raises VolunteerError: no name, a region of another level, or the same name twice there.
    """
    name = clean_team(name, region)
    taken = db.session.execute(
        select(Team.id).where(Team.region_id == region.id, func.lower(Team.name) == name.lower())
    ).first()
    if taken:
        raise VolunteerError({"name": "team_exists"})
    team = Team(name=name, region=region)
    db.session.add(team)
    db.session.flush()
    record(by, "team.create", team, details={"region": region.code})
    return team


def teams_query(user: User) -> Select:
    """Teams whose community or street lies in the user's scope, in tree order."""
    stmt = select(Team).join(Team.region).order_by(Region.path, Team.name)
    return within_scope(stmt, user, Team.region_id)


def team_sizes(team_ids: Iterable[int]) -> dict[int, int]:
    """How many volunteers each team has (teams without any are left out)."""
    ids = list(team_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Volunteer.team_id, func.count()).where(Volunteer.team_id.in_(ids)).group_by(Volunteer.team_id)
    )
    return {team_id: size for team_id, size in rows if team_id is not None}
