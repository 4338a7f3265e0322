"""How channels and kinds of activities read on pages and in exports (one place for every label)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: 五进 (into communities, enterprises, schools, rural areas, families) plus 机关 and 网络
CHANNEL_LABELS = {
    "community": _l("In communities"),
    "enterprise": _l("In enterprises"),
    "school": _l("In schools"),
    "rural": _l("In rural areas"),
    "family": _l("In families"),
    "organ": _l("In government offices"),
    "online": _l("Online"),
}

KIND_LABELS = {
    "talk": _l("Talk"),
    "drill": _l("Evacuation drill"),
    "open_day": _l("Fire station open day"),
    "door_to_door": _l("Door-to-door visits"),
    "exhibition": _l("Exhibition"),
    "training": _l("Training"),
    "other": _l("Other"),
}


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))
