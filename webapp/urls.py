"""Numbers in URLs name database rows, so only numbers a row can have match a route."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

#: ids are 32-bit integers in PostgreSQL (int4); a larger number would fail the query, not miss
MAX_ID = 2**31 - 1


def numbers_up_to(limit: int) -> str:
    """A regular expression for exactly the decimal numbers 1 to ``limit``, without leading zeros."""
    text = str(limit)
    alternatives = [f"[1-9][0-9]{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    for i, digit in enumerate(int(d) for d in text):
        # the same leading digits, then a smaller one, then any digits
        lowest = 1 if i == 0 else 0
        rest = len(text) - i - 1
        if digit > lowest:
            alternatives.append(f"{text[:i]}[{lowest}-{digit - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(text)
    return "(?:" + "|".join(alternatives) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` for ids: 1 to MAX_ID, and anything else matches no route, so answers 404.

    The range is in the pattern, not only in the conversion: Werkzeug picks a rule by pattern and
    method before converting, so a number refused only when converted would answer 405 for some
    methods and 404 for others.
    """

    regex = numbers_up_to(MAX_ID)

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


#: the most questions a sitting can have, and so the highest question position
MAX_POSITION = 99


class PositionConverter(IntegerConverter):
    """``<position:…>``: a question's place in a sitting, 0 to MAX_POSITION; nothing else matches."""

    regex = "(?:0|" + numbers_up_to(MAX_POSITION) + ")"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_POSITION)
        super().__init__(map, *args, **kwargs)
