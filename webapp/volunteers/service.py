"""The volunteers domain's operations in one namespace, for the site and the API alike.

Register, review, edit, train, team up, designate ambassadors, import, list and export;
each lives in the module of its job, named below. Plain functions over objects and
validated data: they flush at most, the request handler (or CLI command) commits.
Refusals are ``VolunteerError`` (a DomainError) with one message code per field, so a
form can show each next to its input and the API can list them in ``fields``.

- ``validation``: checking a volunteer's fields, one check per rule
- ``registration``: registering, editing, status changes, trainings, erasure
- ``teams``, ``ambassadors``: service teams and each community's ambassador
- ``queries``: finding and listing volunteers, searching by phone digits
- ``served``: the hours and activities volunteers served (asked of campaigns by signal)
- ``exports``: the list as a table, a person's own data
- ``imports``: registering many from a file
"""

from __future__ import annotations

from webapp.person_data import PERSON_EXPORT_FORMATS
from webapp.volunteers.ambassadors import ambassador_ids, ambassador_of, designate_ambassador
from webapp.volunteers.errors import (
    CONFLICT_CODES,
    ImportFileError,
    InvalidTransition,
    PhoneError,
    VolunteerError,
    VolunteerImportError,
)
from webapp.volunteers.exports import (
    EXPORT_COLUMNS,
    Table,
    export_volunteers,
    person_export,
)
from webapp.volunteers.imports import MAX_IMPORT_ROWS, import_file, import_volunteers
from webapp.volunteers.queries import (
    LAST_DIGITS,
    VolunteerFilter,
    count_pending,
    find_by_phone,
    get_volunteer,
    list_volunteers,
    mask_phone_search,
    paginate,
    phone_digits,
    phone_search_hash,
    view_whole_phone,
    volunteer_query,
)
from webapp.volunteers.registration import (
    add_training,
    change_status,
    erase_volunteer,
    insert_volunteer,
    new_volunteer,
    register_volunteer,
    sign_up,
    update_volunteer,
)
from webapp.volunteers.served import service_hours, service_records
from webapp.volunteers.teams import create_team, team_sizes, teams_query
from webapp.volunteers.validation import (
    MAX_TRAINING_HOURS,
    OLDEST_AGE,
    TEAM_LEVELS,
    YOUNGEST_AGE,
    clean_volunteer,
    is_minor,
)

# the names these two had before registration.py made them public (tests build a late duplicate by hand)
_build, _insert = new_volunteer, insert_volunteer

__all__ = [
    "CONFLICT_CODES",
    "EXPORT_COLUMNS",
    "LAST_DIGITS",
    "MAX_IMPORT_ROWS",
    "MAX_TRAINING_HOURS",
    "OLDEST_AGE",
    "PERSON_EXPORT_FORMATS",
    "TEAM_LEVELS",
    "YOUNGEST_AGE",
    "ImportFileError",
    "InvalidTransition",
    "PhoneError",
    "Table",
    "VolunteerError",
    "VolunteerFilter",
    "VolunteerImportError",
    "add_training",
    "ambassador_ids",
    "ambassador_of",
    "change_status",
    "clean_volunteer",
    "count_pending",
    "create_team",
    "designate_ambassador",
    "erase_volunteer",
    "export_volunteers",
    "find_by_phone",
    "get_volunteer",
    "import_file",
    "import_volunteers",
    "insert_volunteer",
    "is_minor",
    "list_volunteers",
    "mask_phone_search",
    "new_volunteer",
    "paginate",
    "person_export",
    "phone_digits",
    "phone_search_hash",
    "register_volunteer",
    "service_hours",
    "service_records",
    "sign_up",
    "team_sizes",
    "teams_query",
    "update_volunteer",
    "view_whole_phone",
    "volunteer_query",
]
