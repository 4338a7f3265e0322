"""Helpers every domain's forms share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice


def select_choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select options; labels may be lazy translations."""
    return [SelectChoice(value, label) for value, label in pairs]
