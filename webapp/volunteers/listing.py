"""Listing volunteers with their filters: the staff list and the API's list and exports, one way.

The site reads the filters from the query string as typed, the API from its checked query; both
get the same filter, the same list with service hours and ambassadors, and the same audited
search by phone digits, whose audit entry outlives the refusal of a search a role may not make.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from webapp.accounts.models import User
from webapp.extensions import db
from webapp.paging import Page
from webapp.regions import service as regions
from webapp.text import is_whole_number, search_terms
from webapp.volunteers import service as volunteers
from webapp.volunteers.models import SKILLS, STATUSES, Volunteer
from webapp.volunteers.service import Table, VolunteerError, VolunteerFilter

#: the query values a list of volunteers is filtered by, on the site and in the API
FILTER_ARGS = ("region", "team", "status", "skill", "trained", "q")
#: how long a search may be (the list's search box and the API's ``q``)
SEARCH_LENGTH = 50
#: the site's select says yes or no; the API's query is a boolean
_TRAINED = {"yes": True, "no": False}


@dataclass(frozen=True)
class VolunteerList:
    """One page of a filtered list, with what each row shows besides the volunteer."""

    filters: VolunteerFilter
    page: Page[Volunteer]
    #: hours served at campaign activities, by volunteer id
    hours: dict[int, float]
    #: the ids of community ambassadors on this page
    ambassadors: set[int]


def _region_code(values: Mapping[str, Any]) -> str:
    return str(values.get("region") or "").strip()[:32]


def _team_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").strip()
    return int(text) if is_whole_number(text) else None


def _trained(value: Any) -> bool | None:
    return value if isinstance(value, bool) else _TRAINED.get(str(value or ""))


def asked_filter(values: Mapping[str, Any]) -> VolunteerFilter:
    """The filter that query values ask for, leaving out what is not one of the listed choices.

    ``values`` are the site's query string as typed or the API's checked query (whose schema
    refused the unlisted choices first). A region code that no region has is left out here;
    ``filter_from`` refuses it.
    """
    code = _region_code(values)
    status, skill = values.get("status"), values.get("skill")
    return VolunteerFilter(
        region=regions.get_region(code) if code else None,
        team_id=_team_id(values.get("team")),
        status=status if status in STATUSES else None,
        skill=skill if skill in SKILLS else None,
        trained=_trained(values.get("trained")),
        q=search_terms(values.get("q"), SEARCH_LENGTH) or None,
    )


def filter_from(values: Mapping[str, Any]) -> VolunteerFilter:
    """``asked_filter``, refusing an unknown region so that a list or export is never wider than asked.

    A region outside the user's scope is taken: the list is within the scope anyway, so it
    simply matches nobody there.

    :raises VolunteerError: region — no region has this code.
    """
    filters = asked_filter(values)
    if filters.region is None and _region_code(values):
        raise VolunteerError({"region": "community_unknown"})
    return filters


@contextmanager
def _refused_search_kept() -> Iterator[None]:
    """Keep the audit entry of a refused search by phone digits, which the refusal's rollback would undo."""
    try:
        yield
    except VolunteerError:
        db.session.commit()  # a run of refused searches is how numbers are guessed: the log keeps each
        raise


def list_volunteers(user: User, values: Mapping[str, Any], number: int, per_page: int) -> VolunteerList:
    """Page ``number`` of the volunteers ``user`` may see under the filters ``values`` ask for.

    A search by phone digits is written to the audit log, a refused one too (and kept).

    :raises VolunteerError: region — unknown; q — a longer run of digits than the role may search.
    """
    filters = filter_from(values)
    with _refused_search_kept():
        items, total = volunteers.list_volunteers(user, filters, number, per_page)
    ids = [v.id for v in items]
    page = Page(items, total, number, per_page)
    return VolunteerList(filters, page, volunteers.service_hours(ids), volunteers.ambassador_ids(ids))


def nobody(filters: VolunteerFilter, per_page: int) -> VolunteerList:
    """The empty list a refused search shows, under the filters that were asked for."""
    return VolunteerList(filters, Page([], 0, 1, per_page), {}, set())


def export_table(user: User, values: Mapping[str, Any], fmt: str, lang: str = "zh_Hans") -> Table:
    """The list under the filters ``values`` ask for as a table in ``fmt``, written to the audit log.

    :raises VolunteerError: as ``list_volunteers``; a refused search's audit entry is kept.
    """
    filters = filter_from(values)
    with _refused_search_kept():
        return volunteers.export_volunteers(user, filters, fmt, lang)
