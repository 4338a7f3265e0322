"""Where a sign-in may send the browser next: pages of this site only.

An open redirect would let a phishing link borrow our sign-in page, so a target is judged
the way a browser will read it, not the way it looks: browsers drop tabs and newlines,
read a backslash as a slash and take ``//host`` as another site.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

#: longer targets are not something our own pages produce
MAX_TARGET_LENGTH = 2000


def _stays_on_site(url: str) -> bool:
    if any(unicodedata.category(char) == "Cc" for char in url):
        return False  # tab, newline, NUL…: browsers drop some, headers break on others
    url = url.replace("\\", "/")
    parts = urlsplit(url)
    return url.startswith("/") and not url.startswith("//") and not parts.scheme and not parts.netloc


def same_site_path(target: object) -> str | None:
    """``target`` as a path of this site, or None when it could lead anywhere else.

    Percent-encoded forms are judged once decoded as well, so that a proxy or a browser
    decoding them cannot turn a harmless-looking path into another host.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH:
        return None
    if not (_stays_on_site(target) and _stays_on_site(unquote(target))):
        return None
    return target.replace("\\", "/")
