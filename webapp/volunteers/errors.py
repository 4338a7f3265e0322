"""The volunteers domain's refusals, each a DomainError answered in one place (webapp.errors).

``VolunteerError`` names the fields at fault (a form shows each message beside its input,
the API lists them in ``fields``); a phone that is not a mobile number and a status change
the current status does not allow are kinds of it. An import refuses a whole file at once:
``VolunteerImportError`` lists every faulty line, ``ImportFileError`` a file that cannot be
read at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from webapp.accounts.permissions import region_in_scope
from webapp.errors import DomainError
from webapp.imports import ImportFileError, ImportRefused

if TYPE_CHECKING:
    from webapp.volunteers.models import Volunteer

#: error codes answered with 409 Conflict; every other refusal is 422
CONFLICT_CODES = ("phone_taken", "invalid_transition", "team_exists")


class VolunteerError(DomainError):
    """Input the domain refuses: ``problems`` maps a field to a message code.

    A conflict (a duplicate phone, an impossible status change) is answered 409, anything
    else 422. For a duplicate phone, ``existing`` is the volunteer already registered with it.
    """

    def __init__(self, problems: Mapping[str, str], existing: Volunteer | None = None):
        self.problems = dict(problems)
        self.existing = existing
        conflict = any(code in CONFLICT_CODES for code in self.problems.values())
        super().__init__(fields=self.problems, status=409 if conflict else 422)

    @property
    def conflict(self) -> bool:
        return self.status == 409

    def details(self, user: Any) -> dict[str, Any]:
        # the duplicate's id only to a caller whose scope holds it, so ids elsewhere stay unknown
        if self.existing is not None and user is not None and region_in_scope(user, self.existing.community):
            return {"existing_id": self.existing.id}
        return {}


class PhoneError(VolunteerError):
    """Not a mainland mobile number; ``code`` selects the translated message.

    The number itself is not kept: an error's text may reach a log, a phone number must not.
    """

    code = "phone_invalid"

    def __init__(self) -> None:
        super().__init__({"phone": "phone_invalid"})


class InvalidTransition(VolunteerError):
    """A status change the volunteer's current status does not allow (409).

    ``action`` is the change asked for, ``volunteer_status`` the status it was refused from.
    """

    def __init__(self, action: str, volunteer_status: str):
        self.action, self.volunteer_status = action, volunteer_status
        super().__init__({"action": "invalid_transition"})


#: a refused import lists every faulty line; every list's import refuses the same way
VolunteerImportError = ImportRefused

__all__ = ["ImportFileError", "VolunteerImportError"]
