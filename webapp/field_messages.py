"""marshmallow's and webargs' per-field messages in the request's language.

They are English literals inside the libraries, formatted before we see them; each is matched
here against the library's own template and rendered again from its translation, so a field
error reads in the same language as the top-level message of the answer.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

#: the libraries' English templates → their translations, with the same placeholders
TEMPLATES: dict[str, Any] = {
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Invalid value.": _l("Invalid value."),
    "Invalid type.": _l("Invalid type."),
    "Invalid input type.": _l("Invalid input type."),
    "Unknown field.": _l("Unknown field."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid utf-8 string."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Special numeric values (nan or infinity) are not permitted.": _l(
        "Special numeric values (nan or infinity) are not permitted."
    ),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    '"{input}" cannot be formatted as a date.': _l('"{input}" cannot be formatted as a date.'),
    '"{input}" cannot be formatted as a datetime.': _l('"{input}" cannot be formatted as a datetime.'),
    "Must be one of: {choices}.": _l("Must be one of: {choices}."),
    "Shorter than minimum length {min}.": _l("Shorter than minimum length {min}."),
    "Longer than maximum length {max}.": _l("Longer than maximum length {max}."),
    "Length must be between {min} and {max}.": _l("Length must be between {min} and {max}."),
    "Length must be {equal}.": _l("Length must be {equal}."),
    "Must be greater than or equal to {min} and less than or equal to {max}.": _l(
        "Must be greater than or equal to {min} and less than or equal to {max}."
    ),
    "Must be greater than {min} and less than or equal to {max}.": _l(
        "Must be greater than {min} and less than or equal to {max}."
    ),
    "Must be greater than or equal to {min} and less than {max}.": _l(
        "Must be greater than or equal to {min} and less than {max}."
    ),
    "Must be greater than {min} and less than {max}.": _l("Must be greater than {min} and less than {max}."),
    "Must be greater than or equal to {min}.": _l("Must be greater than or equal to {min}."),
    "Must be greater than {min}.": _l("Must be greater than {min}."),
    "Must be less than or equal to {max}.": _l("Must be less than or equal to {max}."),
    "Must be less than {max}.": _l("Must be less than {max}."),
    "String does not match expected pattern.": _l("String does not match expected pattern."),
    "Invalid input.": _l("Invalid input."),
    "One or more of the choices you made was not in: {choices}.": _l(
        "One or more of the choices you made was not in: {choices}."
    ),
    "Invalid JSON body.": _l("Invalid JSON body."),
}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    # even parts are literal text, odd parts placeholder names
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*?)" for i, part in enumerate(parts))
    return re.compile(f"{regex}$", re.DOTALL)


_MATCHERS = [(_pattern(english), translated) for english, translated in TEMPLATES.items()]


def translate(message: str) -> str:
    """``message`` in the current locale if it is one of the libraries' messages, else as it is."""
    for pattern, translated in _MATCHERS:
        found = pattern.match(message)
        if found:
            return str(translated).format(**found.groupdict())
    return message


def translate_all(messages: Any) -> Any:
    """Every message in a marshmallow error structure (dicts of lists, nested by field), translated."""
    if isinstance(messages, str):
        return translate(messages)
    if isinstance(messages, dict):
        return {key: translate_all(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [translate_all(value) for value in messages]
    return messages
