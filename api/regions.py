from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint

from api.docs import errors
from api.pagination import page_of
from api.schemas import RegionPageSchema, RegionQuerySchema, RegionSchema
from webapp.accounts.permissions import public
from webapp.paging import paginate
from webapp.regions import service as regions
from webapp.regions.models import Region

PREFIX = "/regions"
blp = Blueprint("api_regions", __name__, description="The region tree: city, district, street, community")


@blp.get("")
@public
@blp.arguments(RegionQuerySchema, location="query")
@blp.response(200, RegionPageSchema)
@errors()
def list_regions(args: dict) -> dict:
    """Search regions by name or code, optionally at one level."""
    levels = [args["level"]] if args.get("level") else None
    page = paginate(regions.matching_regions(args.get("q"), levels), args["page"], args["per_page"])
    return page_of(page.items, page.total, page.number, page.per_page)


@blp.get("/<code>")
@public
@blp.response(200, RegionSchema)
@errors((404, "No region has this code"))
def get_region(code: str) -> Region:
    """One region by its code."""
    region = regions.get_region(code[:32])
    if region is None:
        abort(404)
    return region
