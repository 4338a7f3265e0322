"""Activity forms (Flask-WTF). Ranges and lengths are checked by the service, for site and API alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from webapp.campaigns.labels import CHANNEL_LABELS, KIND_LABELS
from webapp.forms import Form, select_choices


class ActivityForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired()])
    channel = SelectField(_l("Channel"), choices=select_choices(CHANNEL_LABELS.items()))
    kind = SelectField(_l("Kind of activity"), choices=select_choices(KIND_LABELS.items()))
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    #: choices: the communities and villages in the user's scope, set by the view
    community = SelectField(_l("Community or village"))
    place = StringField(_l("Place"), validators=[Optional()])
    participants = IntegerField(_l("Participants (people reached in person)"), default=0, validators=[Optional()])
    materials = IntegerField(_l("Materials handed out (leaflets, booklets…)"), default=0, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional()])

    def activity_data(self) -> dict:
        """The fields the service takes; an empty count means none."""
        return {
            "title": self.title.data,
            "channel": self.channel.data,
            "kind": self.kind.data,
            "held_on": self.held_on.data,
            "place": self.place.data,
            "participants": self.participants.data or 0,
            "materials": self.materials.data or 0,
            "notes": self.notes.data,
        }


class ActivityFilterForm(Form):
    """The list's filters, read from the query string (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    community = SelectField(_l("Region"), validators=[Optional()])
    channel = SelectField(
        _l("Channel"), choices=select_choices([("", _l("All channels")), *CHANNEL_LABELS.items()]), default=""
    )
    kind = SelectField(
        _l("Kind of activity"), choices=select_choices([("", _l("All kinds")), *KIND_LABELS.items()]), default=""
    )
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    q = StringField(_l("Title or place contains"), validators=[Optional(), Length(max=100)])
