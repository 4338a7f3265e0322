"""Which characters text may hold, for every form, API field, search box and export.

Invisible control characters arrive by copying from other programs or on purpose; stored, they
break spreadsheets (XML forbids most of them), PostgreSQL refuses NUL outright, and lone
surrogates cannot even be encoded as UTF-8. Input refuses them, so the person can correct what
they typed; output removes whatever older rows may still hold.
"""

from __future__ import annotations

import re

#: refused in a single line of text: C0 controls (tab and line breaks too), DEL, C1 controls,
#: and surrogate halves, which are no characters at all
_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: the same, but tab and line breaks are the point of a field of several lines (browsers send CR LF)
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: what XML 1.0, hence an XLSX cell, cannot hold at all, plus the controls nobody meant to keep
_NOT_EXPORTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
#: the same rules as JSON Schema patterns, for the OpenAPI document (surrogates cannot travel in UTF-8 JSON)
SINGLE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
MULTI_LINE_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"

#: the code in webapp.errors.MESSAGES of the refusal
CONTROL_CHARACTERS = "control_characters"


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a character a person cannot see or mean to send."""
    return bool((_MULTI_LINE if multiline else _SINGLE_LINE).search(value))


def without_control_characters(value: str, *, multiline: bool = False) -> str:
    """``value`` with those characters removed: what a form shows back beside the refusal."""
    return (_MULTI_LINE if multiline else _SINGLE_LINE).sub("", value)


def search_terms(value: str | None, max_length: int) -> str:
    """A search box's text as a query: controls dropped, spaces collapsed, at most ``max_length``.

    Searching refuses nothing: whatever remains of odd input is still a fair question.
    """
    # whitespace controls (tab, line breaks) separate words; the others vanish without a trace
    cleaned = _SINGLE_LINE.sub("", _SPACES.sub(" ", value or "")).strip()
    return cleaned[:max_length].strip()


def exportable(value: object) -> object:
    """A stored value as a spreadsheet or CSV cell can hold it; text only loses illegal characters."""
    return _NOT_EXPORTABLE.sub("", value) if isinstance(value, str) else value


def is_whole_number(value: str | None, max_digits: int = 9) -> bool:
    """Whether ``value`` is a plain whole number of at most ``max_digits`` ASCII digits.

    ``str.isdigit`` also says yes to "²" or "①", which ``int`` then refuses: form and query
    values are checked with this instead, so odd digits are an invalid value, never an error.
    """
    return value is not None and value.isascii() and value.isdigit() and len(value) <= max_digits
