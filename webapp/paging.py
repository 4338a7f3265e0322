"""One way to cut a list into pages, for the site's lists and the API's page envelopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from webapp.extensions import db
from webapp.text import is_whole_number

T = TypeVar("T")

#: no list is paged further than this; a larger page number shows the last page's neighbourhood
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def page_number(value: str | None) -> int:
    """The page a query parameter asks for; 1 when it is missing or not a page number."""
    text = (value or "").strip()
    return min(int(text), MAX_PAGE) if is_whole_number(text, 6) and int(text) > 0 else 1


def paginate(stmt: Select, number: int, per_page: int, options: tuple[Any, ...] = ()) -> Page[Any]:
    """Page ``number`` of ``stmt``'s rows (each loaded with ``options``) and how many rows there are."""
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    window = stmt.options(*options).offset((number - 1) * per_page).limit(per_page)
    return Page(list(db.session.execute(window).scalars()), int(total), number, per_page)
