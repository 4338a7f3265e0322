"""The ✅ and ❌ of the lessons' do-and-don't lists, kept from screen readers.

The lessons say in words what to do and what not to ("✅ 要：…", "❌ 不要：…"; the content tests
hold every list to it). The mark is a picture beside those words: screen readers would read it
as "check mark button", so it is hidden from them, and coloured for the eye only.
"""

from __future__ import annotations

import re

from markupsafe import Markup

MARKS = re.compile(r"[✅✔]\ufe0f?|[❌✘]\ufe0f?")
DO = frozenset("✅✔")


def quiet_marks(html: str) -> Markup:
    """A lesson's HTML with every ✅ / ❌ hidden from screen readers."""

    def hidden(match: re.Match[str]) -> str:
        mark = match.group(0)
        kind = "do" if mark[0] in DO else "dont"
        return f'<span class="mark mark-{kind}" aria-hidden="true">{mark}</span>'

    return Markup(MARKS.sub(hidden, html))
