"""The page envelope every list endpoint returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def page_of(items: Sequence[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"items": list(items), "page": page, "per_page": per_page, "total": total}


def offset(args: dict[str, Any]) -> int:
    return (args["page"] - 1) * args["per_page"]
