"""The ✅ and ❌ of the lessons' do-and-don't lists, given words.

A mark alone is read differently by different people (and by screen readers as "check mark
button"); older readers are told in words what to do and what not to do. The mark stays,
hidden from screen readers, in front of a label in the page's language.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from markupsafe import Markup, escape

MARKS = re.compile(r"[✅✔]\ufe0f?|[❌✘]\ufe0f?")
DO = frozenset("✅✔")


def label_marks(html: str) -> Markup:
    """A lesson's HTML with every ✅ / ❌ followed by "Do" / "Don't" in words."""
    do, dont = escape(_("Do")), escape(_("Don't"))

    def labelled(match: re.Match[str]) -> str:
        mark = match.group(0)
        kind, label = ("do", do) if mark[0] in DO else ("dont", dont)
        return f'<strong class="mark mark-{kind}"><span aria-hidden="true">{mark}</span> {label}</strong>'

    return Markup(MARKS.sub(labelled, html))
