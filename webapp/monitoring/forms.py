"""Monitoring forms (Flask-WTF); ranges and codes are checked by the domain, for site and API alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from webapp.forms import Form, MultiCheckboxField, select_choices
from webapp.monitoring.labels import ALLOCATION_LABELS, AREA_LABELS, METHOD_LABELS, MODE_LABELS, SEX_LABELS


class WaveForm(Form):
    #: choices: the city, districts and streets in the organizer's scope, set by the view
    region = SelectField(_l("Region surveyed"))
    title = StringField(_l("Title"), validators=[DataRequired()])
    period = StringField(_l("Period measured"), validators=[DataRequired()])
    target_size = IntegerField(_l("Sample size (completed interviews)"), validators=[InputRequired()])
    allocation = RadioField(_l("Allocation over communities"), choices=select_choices(ALLOCATION_LABELS.items()))
    chosen = TextAreaField(_l("Communities and interviews (for a chosen allocation)"), validators=[Optional()])
    modes = MultiCheckboxField(_l("Interview modes"), choices=select_choices(MODE_LABELS.items()))
    method = RadioField(
        _l("Weighting"), choices=select_choices(METHOD_LABELS.items()), default="rake", validators=[Optional()]
    )

    def chosen_allocation(self) -> dict[str, int] | None:
        """``CODE=NUMBER`` lines as a mapping; a line that is not one gives None (the domain refuses it)."""
        chosen: dict[str, int] = {}
        for line in (self.chosen.data or "").splitlines():
            if not line.strip():
                continue
            code, _, number = line.replace("＝", "=").partition("=")
            if not number.strip().isdigit() or len(number.strip()) > 6:
                return {"": 0}
            chosen[code.strip()] = int(number.strip())
        return chosen or None


class InterviewForm(Form):
    """Who the interviewer is speaking to: never a name or a number, only what the weights need."""

    community = SelectField(_l("Community or village"))
    mode = RadioField(_l("Mode"))
    age_band = RadioField(_l("Age group"))
    sex = RadioField(_l("Sex"), choices=select_choices(SEX_LABELS.items()))
    area_type = RadioField(_l("Lives in"), choices=select_choices(AREA_LABELS.items()))


class InvitedForm(Form):
    age_band = RadioField(_l("Your age group"))
    sex = RadioField(_l("Sex"), choices=select_choices(SEX_LABELS.items()))
    area_type = RadioField(_l("You live in"), choices=select_choices(AREA_LABELS.items()))


class InvitationsForm(Form):
    community = SelectField(_l("Community or village"))
    count = IntegerField(_l("Number of codes"), default=10, validators=[InputRequired()])
