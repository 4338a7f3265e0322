"""How the monitoring domain's codes read on pages, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MODE_LABELS = {
    "phone": _l("Telephone interview"),
    "street": _l("Street intercept"),
    "door": _l("Door-to-door"),
    "online": _l("Online by invitation"),
}
ALLOCATION_LABELS = {
    "proportional": _l("In proportion to each community's population"),
    "equal_per_street": _l("The same number per street"),
    "chosen": _l("Communities and numbers I choose"),
}
METHOD_LABELS = {
    "rake": _l("Raking to age, sex and community totals"),
    "poststratify": _l("Post-stratification to age-by-sex cells"),
}
SEX_LABELS = {"female": _l("Female"), "male": _l("Male")}
AREA_LABELS = {"urban": _l("Urban"), "rural": _l("Rural")}
FLAG_LABELS = {
    "incomplete": _l("Not every question answered"),
    "too_fast": _l("Faster than the questions can be read"),
    "straight_lining": _l("The same option position every time"),
    "pace": _l("Interviewer's pace not possible (overlapping or too many in an hour)"),
}
STATUS_LABELS = {"open": _l("In the field"), "closed": _l("Closed")}


def label(table: dict, code: str | None) -> str:
    return str(table.get(code, code or ""))
