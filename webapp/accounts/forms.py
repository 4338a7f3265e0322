"""Sign-in and account forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.accounts.models import MIN_PASSWORD_LENGTH
from webapp.forms import Form, select_choices

ROLE_LABELS = {
    "staff": _l("Community staff"),
    "organizer": _l("Campaign organizer"),
    "admin": _l("Administrator"),
}
#: every role as shown; unit managers' accounts are opened from their unit's page, not this form
ROLE_NAMES = {**ROLE_LABELS, "unit_manager": _l("Unit manager")}


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class UserForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name shown to colleagues"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=select_choices(ROLE_LABELS.items()))
    scope = SelectField(_l("Responsible for (region)"), validators=[Optional()])
    password = PasswordField(
        _l("Password (at least %(n)s characters)", n=MIN_PASSWORD_LENGTH), validators=[Optional(), Length(max=200)]
    )
    active = BooleanField(_l("Account is active"), default=True)


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(
        _l("New password (at least %(n)s characters)", n=MIN_PASSWORD_LENGTH),
        validators=[DataRequired(), Length(max=200)],
    )
    new_password_again = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=200)])
