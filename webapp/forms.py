"""Helpers every domain's forms share, and the base form that keeps control characters out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.errors import message
from webapp.text import CONTROL_CHARACTERS, has_control_characters, without_control_characters


def select_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options; labels may be lazy translations."""
    return [SelectChoice(value, label) for value, label in pairs]


def _guard_text(field: StringField) -> None:
    """Remove control characters as the field reads its input, and refuse it when there were any.

    Removing them first means no view, query or re-rendered page ever sees them (a NUL would make
    PostgreSQL fail, and would be echoed into the page); refusing means the person learns that
    what they sent was not what they saw, and finds the rest of their text kept.
    """
    multiline = isinstance(field, TextAreaField)
    removed = False

    def strip(value: Any) -> Any:
        nonlocal removed
        if isinstance(value, str) and has_control_characters(value, multiline=multiline):
            removed = True
            return without_control_characters(value, multiline=multiline)
        return value

    def refuse(_form: Any, _field: Field) -> None:
        if removed:
            raise StopValidation(message(CONTROL_CHARACTERS))

    field.filters = (strip, *field.filters)
    field.validators = [refuse, *field.validators]


class Form(FlaskForm):
    """Every form of the site: Flask-WTF's CSRF protection, and only printable text in text fields."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Field:
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField) and not isinstance(field, CSRFTokenField):
                _guard_text(field)
            return field


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: easier on a phone than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
