"""How audit actions read in the log; an action missing here shows its code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "user.login": _l("Signed in"),
    "user.create": _l("Created an account"),
    "user.update": _l("Changed an account"),
}


def audit_action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
