"""Training forms (Flask-WTF). Lengths, numbers and roles are checked by the service, for site and API alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import Form, MultiCheckboxField, select_choices
from webapp.training.labels import UNIT_KIND_LABELS


class UnitForm(Form):
    name = StringField(_l("Name of the unit"), validators=[DataRequired()])
    kind = SelectField(_l("Kind of unit"), choices=select_choices(UNIT_KIND_LABELS.items()))
    key_unit = BooleanField(_l("Key fire-safety unit (消防安全重点单位)"))
    #: choices: the streets, communities and villages in the user's scope, set by the view
    region = SelectField(_l("Street, community or village"))


class MemberForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired()])
    phone = StringField(_l("Mobile phone"), validators=[DataRequired()], render_kw={"inputmode": "tel"})
    #: choices: the taxonomy's roles, set by the view
    role = SelectField(_l("Post"))
    joined_on = DateField(_l("On the roster since"), validators=[Optional()])


class ImportForm(Form):
    file = FileField(_l("CSV or XLSX file"))


class ManagerForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name shown to colleagues"), validators=[Optional(), Length(max=100)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class InvitationCodeForm(Form):
    code = StringField(_l("Invitation code"), validators=[DataRequired(), Length(max=40)])


class OfflineForm(Form):
    #: choices: training activities in the user's scope, set by the view
    activity = SelectField(_l("Training activity"))
    #: choices: the unit's courses that count offline, set by the view
    course = SelectField(_l("Course"))
    #: choices: the unit's current roster, set by the view
    members = MultiCheckboxField(_l("Who attended"))
