"""Mainland mobile numbers: one normalized form (11 digits), shown masked in lists."""

from __future__ import annotations

import re
import unicodedata

from webapp.volunteers.errors import PhoneError

#: 11 digits, 1 then 3–9: every mainland mobile network's numbering
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
#: what people type between digits: spaces, dashes, dots, brackets around the country code
_SEPARATORS = re.compile(r"[\s\-.()\u00a0\u3000]")


def normalize_phone(raw: str | None) -> str:
    """The 11-digit form of a mainland mobile number as people write it.

    Accepts spaces, dashes, full-width digits (Chinese input methods) and the
    country code as +86, 0086 or 86: "+86 138-0013-8000" → "13800138000".

    :raises PhoneError: when what remains is not 11 digits starting with 1[3-9].
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if len(text) > 20:
        raise PhoneError()
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not MOBILE_RE.fullmatch(text) or not text.isascii():
        raise PhoneError()
    return text


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognize a number, not enough to call it."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


__all__ = ["PhoneError", "mask_phone", "normalize_phone"]
