"""Volunteer forms (Flask-WTF: every form carries a CSRF token).

The forms only turn text into values; what a valid volunteer is, the service decides,
and its refusals are shown next to the fields they concern.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from webapp.errors import MESSAGES
from webapp.forms import Form, MultiCheckboxField, select_choices
from webapp.text import is_whole_number
from webapp.volunteers.labels import AVAILABILITY_LABELS, GENDER_LABELS, LANGUAGE_LABELS, SKILL_LABELS
from webapp.volunteers.validation import MAX_COURSE, MAX_GUARDIAN_NAME, MAX_NAME, MAX_NOTES, MAX_TEAM_NAME

NONE_CHOSEN = [("", "—")]


class LocalDateField(DateField):
    """A date input whose parse error is ours, in the page's language."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Enter the date as year-month-day, e.g. 2026-05-20.")) from None


def _phone_field() -> StringField:
    return StringField(
        _l("Mobile phone"),
        validators=[Length(max=30)],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 30},
    )


def _birth_year_field() -> StringField:
    return StringField(
        _l("Birth year (optional)"),
        validators=[Optional(), Regexp(r"^\d{4}$", message=_l("Enter a four-digit year, e.g. 1975."))],
        render_kw={"inputmode": "numeric", "maxlength": 4},
    )


class _PersonForm(Form):
    name = StringField(
        _l("Name"),
        validators=[Length(max=MAX_NAME)],
        render_kw={"maxlength": MAX_NAME, "autocomplete": "name"},
    )
    phone = _phone_field()
    gender = SelectField(
        _l("Gender (optional)"), choices=select_choices(NONE_CHOSEN + list(GENDER_LABELS.items())), default=""
    )
    birth_year = _birth_year_field()
    skills = MultiCheckboxField(_l("Skills"), choices=select_choices(SKILL_LABELS.items()))
    languages = MultiCheckboxField(_l("Languages"), choices=select_choices(LANGUAGE_LABELS.items()))
    availability = SelectField(
        _l("Usually available"), choices=select_choices(NONE_CHOSEN + list(AVAILABILITY_LABELS.items())), default=""
    )
    guardian_name = StringField(
        _l("Guardian's name"), validators=[Length(max=MAX_GUARDIAN_NAME)], render_kw={"maxlength": MAX_GUARDIAN_NAME}
    )
    guardian_consent = BooleanField(_l("The guardian agrees to this registration"))

    def volunteer_data(self) -> dict[str, Any]:
        """The form as the data ``register_volunteer`` and ``update_volunteer`` take."""
        return {
            "name": self.name.data,
            "phone": self.phone.data,
            "gender": self.gender.data or None,
            "birth_year": int(self.birth_year.data) if self.birth_year.data else None,
            "skills": self.skills.data or [],
            "languages": self.languages.data or [],
            "availability": self.availability.data or None,
            "guardian_name": self.guardian_name.data,
            "guardian_consent": self.guardian_consent.data,
        }


class VolunteerForm(_PersonForm):
    """Staff register or edit a volunteer; ``community`` and ``team`` choices come from the scope."""

    community = SelectField(_l("Community"))
    team = SelectField(_l("Team (optional)"), validators=[Optional()], default="")
    notes = TextAreaField(_l("Notes for staff (optional)"), validators=[Length(max=MAX_NOTES)])
    consent = BooleanField(_l("The volunteer agreed that we keep and use these details to organize volunteer work"))

    def volunteer_data(self) -> dict[str, Any]:
        data = super().volunteer_data()
        data["team_id"] = int(self.team.data) if is_whole_number(self.team.data) else None
        data["notes"] = self.notes.data
        data["consent"] = self.consent.data
        return data


class SignupForm(_PersonForm):
    """A resident registers themself; the community comes from their choice, not from a list."""

    community = HiddenField()
    consent = BooleanField(
        _l(
            "I agree that the community keeps my name, phone number and the details above to contact me "
            "about fire-safety volunteer work, and for nothing else. I can ask for them to be deleted."
        )
    )

    def volunteer_data(self) -> dict[str, Any]:
        data = super().volunteer_data()
        data["consent"] = self.consent.data
        return data


class TrainingForm(Form):
    course = StringField(_l("Course"), validators=[Length(max=MAX_COURSE)], render_kw={"maxlength": MAX_COURSE})
    hours = StringField(
        _l("Hours"),
        validators=[Regexp(r"^\d{1,3}(\.\d{1,2})?$", message=_l("Enter the hours as a number, e.g. 2 or 1.5."))],
        render_kw={"inputmode": "decimal", "maxlength": 6},
    )
    held_on = LocalDateField(_l("Date"))
    certified = BooleanField(_l("Certificate awarded"))


class TeamForm(Form):
    name = StringField(_l("Team name"), validators=[Length(max=MAX_TEAM_NAME)], render_kw={"maxlength": MAX_TEAM_NAME})
    #: the choices are the streets and communities in the user's scope
    region = SelectField(
        _l("Belongs to (street or community)"), validators=[DataRequired(message=MESSAGES["team_region_level"])]
    )


class ActionForm(Form):
    """A button that changes something: the CSRF token and, for status changes, the action."""

    action = HiddenField()


class EraseForm(Form):
    """Erase a volunteer's personal data: why, and a tick that it is meant (it cannot be undone)."""

    reason = RadioField(
        _l("Why"),
        choices=select_choices(
            [
                ("request", _l("The volunteer asked for their data to be deleted")),
                ("consent_withdrawn", _l("The volunteer withdrew their consent")),
            ]
        ),
        default="request",
        validators=[InputRequired(message=MESSAGES["erase_reason"])],
    )
    confirm = BooleanField(
        _l("I understand that the name, phone number and other details are erased for good"),
        validators=[
            DataRequired(message=_l("Tick the box to confirm that the volunteer's personal data is to be erased."))
        ],
    )


class ImportForm(Form):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(message=_l("Choose a file to upload."))])
