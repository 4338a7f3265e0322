"""Where a community stands among its street's: what a resident is told of their community's
participation, read from the same kept dashboard figures organizers see."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.regions.models import Region, RegionView
from webapp.stats.dashboard import recent_dashboard
from webapp.stats.periods import Period, current_period


@dataclass(frozen=True)
class Standing:
    community: RegionView
    street: RegionView
    period: Period
    #: respondents whose first complete survey of the period counts for the community
    respondents: int
    population: int
    #: respondents ÷ resident population; None without a population
    participation: float | None
    #: 1 for the highest participation in the street; shared by equal shares
    rank: int
    #: communities in the street
    among: int


def community_standing(community: Region, period: Period | None = None) -> Standing | None:
    """The community's participation this year and its rank in its street; None at the top of a tree."""
    if community.parent is None:
        return None
    period = period or current_period("year")
    board = recent_dashboard(community.parent, period)
    shares = {view.id: _participation(figures.awareness.n, figures.population) for view, figures in board.children}
    mine = next(((view, figures) for view, figures in board.children if view.id == community.id), None)
    if mine is None:
        return None
    view, figures = mine
    own = shares[view.id]
    ahead = sum(1 for share in shares.values() if share is not None and (own is None or share > own))
    return Standing(
        community=view,
        street=board.region,
        period=period,
        respondents=figures.awareness.n,
        population=figures.population,
        participation=own,
        rank=ahead + 1,
        among=len(shares),
    )


def _participation(respondents: int, population: int) -> float | None:
    return respondents / population if population else None
