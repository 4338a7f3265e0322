"""Translated names of the volunteer enums, in one place for forms, templates and exports."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "pending": _l("Waiting for review"),
    "active": _l("Active"),
    "inactive": _l("Inactive"),
    "rejected": _l("Rejected"),
    "erased": _l("Erased"),
}
#: the buttons that move a volunteer between statuses
ACTION_LABELS = {
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "deactivate": _l("Deactivate"),
    "reactivate": _l("Reactivate"),
}
SKILL_LABELS = {
    "first_aid": _l("First aid"),
    "electrician": _l("Electrician"),
    "driver": _l("Driver"),
    "bilingual": _l("Bilingual"),
    "sign_language": _l("Sign language"),
    "publicity": _l("Publicity and writing"),
    "drill_guide": _l("Evacuation drill guide"),
    "other": _l("Other skills"),
}
LANGUAGE_LABELS = {
    "putonghua": _l("Putonghua"),
    "local_dialect": _l("Local dialect"),
    "english": _l("English"),
    "minority_language": _l("An ethnic minority language"),
    "sign_language": _l("Sign language"),
}
AVAILABILITY_LABELS = {
    "weekdays": _l("Weekdays"),
    "evenings": _l("Evenings"),
    "weekends": _l("Weekends"),
    "any_time": _l("Any time"),
}
GENDER_LABELS = {
    "female": _l("Female"),
    "male": _l("Male"),
}
SOURCE_LABELS = {
    "staff": _l("registered by staff"),
    "self": _l("self-registered"),
    "import": _l("imported from a file"),
    "api": _l("registered through the API"),
}

#: everything a template needs, as one ``labels`` variable
LABELS = {
    "status": STATUS_LABELS,
    "action": ACTION_LABELS,
    "skill": SKILL_LABELS,
    "language": LANGUAGE_LABELS,
    "availability": AVAILABILITY_LABELS,
    "gender": GENDER_LABELS,
    "source": SOURCE_LABELS,
}


def label(kind: str, value: str | None) -> str:
    """The translated name of ``value``; unknown values show as they are."""
    if value is None:
        return ""
    return str(LABELS[kind].get(value, value))


def labels_of(kind: str, values: list | None) -> str:
    """Several values in one cell or line, e.g. 急救、驾驶."""
    # Translators: the separator between items of a short list
    return gettext(", ").join(label(kind, value) for value in values or [])
