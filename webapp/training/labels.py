"""How unit kinds, roles and courses read on pages and in exports, in the page's language."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.i18n import current_lang

UNIT_KIND_LABELS = {
    "enterprise": _l("Enterprise"),
    "school": _l("School"),
    "university": _l("University or college"),
    "hospital": _l("Hospital"),
    "elderly_care": _l("Care home for older people"),
    "commercial_complex": _l("Shopping or commercial complex"),
    "property": _l("Property management company"),
    "residents_committee": _l("Village or residents' committee"),
    "government": _l("Government office"),
    "other": _l("Other"),
}


def unit_kind_label(kind: str) -> str:
    return str(UNIT_KIND_LABELS.get(kind, kind))


def role_name(role: str) -> str:
    """A roster role's name (from the content taxonomy) in the page's language."""
    tag = current_app.extensions["library"].catalog.taxonomy.roles.get(role)
    return tag.name(current_lang()) if tag is not None else role


def course_title(slug: str) -> str:
    course = current_app.extensions["library"].courses.get(slug)
    return course.title[current_lang()] if course is not None else slug
