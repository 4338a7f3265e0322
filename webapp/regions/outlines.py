"""Region outlines: GeoJSON boundaries imported beside the region tree, drawn as a choropleth.

An outline file is a GeoJSON FeatureCollection whose features carry the region's ``code`` in
their properties and a Polygon or MultiPolygon in longitude and latitude (RFC 7946). The
import is all or nothing and replaces the outlines of the regions it names. The desk draws
a region's children as a map only when every child has an outline; otherwise as tiles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.regions.models import Region, RegionOutline
from webapp.regions.service import RegionImportError, get_region

#: a file larger than this is refused before it is parsed
MAX_FILE_BYTES = 64 * 1024 * 1024
#: positions one region's outline may hold; a street's boundary needs a few thousand
MAX_POSITIONS = 200_000
#: the drawn map's width in SVG units; its height follows the region's shape, up to MAX_HEIGHT
WIDTH, MAX_HEIGHT = 600.0, 480.0
#: points closer than this (SVG units) to the last one drawn add nothing visible
MIN_STEP = 0.5
#: an area narrower than this (SVG units) is too small to carry its name on the map
MIN_LABEL_WIDTH = 48.0

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class OutlineMap:
    """Children of a region drawn to one scale: SVG path data and a label point per region id."""

    width: float
    height: float
    areas: dict[int, str]
    #: where an area's name goes, for areas wide enough to carry it
    labels: dict[int, tuple[float, float]]


def _position(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError("a position must be [longitude, latitude]")
    lon, lat = value[0], value[1]
    for number in (lon, lat):
        # bool is an int to Python, never a coordinate
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise ValueError("coordinates must be numbers")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("coordinates must be longitude (-180 to 180) and latitude (-90 to 90)")
    return float(lon), float(lat)


def _polygon(value: Any) -> list[Ring]:
    if not isinstance(value, list) or not value:
        raise ValueError("a polygon must be a list of rings")
    rings = []
    for ring in value:
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValueError("a ring needs at least four positions")
        points = [_position(p) for p in ring]
        if points[0] != points[-1]:
            raise ValueError("a ring must end where it starts")
        rings.append(points)
    return rings


def parse_geometry(geometry: Any) -> dict[str, Any]:
    """A valid Polygon or MultiPolygon, coordinates rounded to about ten centimetres.

    :raises ValueError: anything else, in English.
    """
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("the geometry must be a Polygon or a MultiPolygon")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        coordinates = [coordinates]
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError("a MultiPolygon must be a list of polygons")
    polygons = [_polygon(polygon) for polygon in coordinates]
    if sum(len(ring) for polygon in polygons for ring in polygon) > MAX_POSITIONS:
        raise ValueError(f"an outline may hold at most {MAX_POSITIONS:,} positions; simplify it")
    rounded = [[[[round(lon, 6), round(lat, 6)] for lon, lat in ring] for ring in polygon] for polygon in polygons]
    return {"type": "MultiPolygon", "coordinates": rounded}


def read_outlines_geojson(text: str, source: str) -> list[tuple[int, Any]]:
    """The features of a GeoJSON FeatureCollection, numbered from 1.

    :raises RegionImportError: not JSON, or not a FeatureCollection.
    """
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise RegionImportError([(1, "the file is not valid JSON")], source) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise RegionImportError([(1, "the file must be a GeoJSON FeatureCollection")], source)
    features = document.get("features")
    if not isinstance(features, list):
        raise RegionImportError([(1, "the FeatureCollection has no list of features")], source)
    return list(enumerate(features, start=1))


def import_outlines_file(path: Path) -> list[str]:
    """:raises RegionImportError: too large, not UTF-8, not GeoJSON, or every bad feature by number."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RegionImportError([(1, f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")], path.name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RegionImportError([(1, "the file is not UTF-8 text")], path.name) from None
    return import_outlines(read_outlines_geojson(text, path.name), path.name)


def import_outlines(features: Iterable[tuple[int, Any]], source: str = "outlines") -> list[str]:
    """Replace the outline of every region the features name, all or nothing; their codes.

    The number a problem carries is the feature's place in the file, counted from 1.

    :raises RegionImportError: every bad feature with its number.
    """
    problems: list[tuple[int, str]] = []
    found: dict[str, tuple[Region, dict[str, Any]]] = {}
    for number, feature in features:
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise ValueError("not a GeoJSON Feature")
            properties = feature.get("properties")
            code = properties.get("code") if isinstance(properties, dict) else None
            if not isinstance(code, str) or not code.strip():
                raise ValueError("the feature's properties have no region code")
            code = code.strip()
            region = get_region(code)
            if region is None:
                raise ValueError(f"no region has the code {code!r}")
            if code in found:
                raise ValueError(f"{code} has a second outline")
            found[code] = (region, parse_geometry(feature.get("geometry")))
        except ValueError as exc:
            problems.append((number, f"feature {number}: {exc}"))
    if problems:
        raise RegionImportError(problems, source)
    for region, geometry in found.values():
        db.session.execute(delete(RegionOutline).where(RegionOutline.region_id == region.id))
        db.session.add(RegionOutline(region_id=region.id, geometry=geometry))
    db.session.flush()
    return list(found)


def regions_left_as_tiles(codes: Iterable[str]) -> list[str]:
    """Parents of the named regions some of whose children still lack an outline, by code."""
    named = select(Region.parent_id).where(Region.code.in_(list(codes)), Region.parent_id.is_not(None))
    parent_ids = set(db.session.execute(named).scalars())
    if not parent_ids:
        return []
    children = db.session.execute(select(Region.id, Region.parent_id).where(Region.parent_id.in_(parent_ids))).all()
    outlined = set(
        db.session.execute(
            select(RegionOutline.region_id).where(RegionOutline.region_id.in_([c.id for c in children]))
        ).scalars()
    )
    lacking = {c.parent_id for c in children if c.id not in outlined}
    return sorted(db.session.execute(select(Region.code).where(Region.id.in_(lacking))).scalars())


def _project(lon: float, lat: float, cos_lat: float) -> tuple[float, float]:
    # equirectangular around the map's middle latitude: true to shape at a city's scale
    return lon * cos_lat, -lat


def _ring_path(ring: Ring) -> tuple[str, int]:
    kept = [ring[0]]
    for point in ring[1:]:
        if math.dist(point, kept[-1]) >= MIN_STEP:
            kept.append(point)
    if len(kept) < 3:
        return "", 0
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in kept) + "Z", len(kept)


def _label_point(rings: Sequence[Ring]) -> tuple[float, float, float]:
    """The middle of the widest outer ring's bounding box, and that box's width."""
    best = max(rings, key=lambda ring: max(x for x, _ in ring) - min(x for x, _ in ring))
    xs, ys = [x for x, _ in best], [y for _, y in best]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs)


def outline_map(regions: Sequence[Region]) -> OutlineMap | None:
    """The regions drawn to one scale, or None unless every one of them has an outline."""
    if not regions:
        return None
    ids = [r.id for r in regions]
    rows = db.session.execute(select(RegionOutline).where(RegionOutline.region_id.in_(ids))).scalars().all()
    geometries = {row.region_id: row.geometry for row in rows}
    if len(geometries) < len(ids):
        return None
    lats = [lat for g in geometries.values() for poly in g["coordinates"] for ring in poly for _, lat in ring]
    cos_lat = math.cos(math.radians((min(lats) + max(lats)) / 2))
    projected = {
        region_id: [
            [[_project(lon, lat, cos_lat) for lon, lat in ring] for ring in polygon] for polygon in g["coordinates"]
        ]
        for region_id, g in geometries.items()
    }
    xs = [x for polys in projected.values() for poly in polys for ring in poly for x, _ in ring]
    ys = [y for polys in projected.values() for poly in polys for ring in poly for _, y in ring]
    span_x, span_y = max(xs) - min(xs) or 1e-9, max(ys) - min(ys) or 1e-9
    scale = min(WIDTH / span_x, MAX_HEIGHT / span_y)
    left, top = min(xs), min(ys)
    areas, labels = {}, {}
    for region_id, polygons in projected.items():
        drawn = [[[((x - left) * scale, (y - top) * scale) for x, y in ring] for ring in poly] for poly in polygons]
        areas[region_id] = "".join(_ring_path(ring)[0] for poly in drawn for ring in poly)
        x, y, width = _label_point([poly[0] for poly in drawn])
        if width >= MIN_LABEL_WIDTH:
            labels[region_id] = (round(x, 1), round(y, 1))
    return OutlineMap(round(span_x * scale, 1), round(span_y * scale, 1), areas, labels)


# --- the demo city ---------------------------------------------------------------

#: where the invented demo city is drawn: an arbitrary box of about 85 by 40 km
DEMO_BOX = (113.0, 30.0, 113.9, 30.36)


def _split(box: tuple[float, float, float, float], weights: list[int], across: bool) -> list[tuple]:
    """``box`` cut into strips sized by ``weights``, side by side or one above the other."""
    west, south, east, north = box
    total, done, strips = sum(weights) or 1, 0, []
    for weight in weights:
        start, done = done, done + weight
        if across:
            strips.append((west + (east - west) * start / total, south, west + (east - west) * done / total, north))
        else:
            strips.append((west, south + (north - south) * start / total, east, south + (north - south) * done / total))
    return strips


def demo_outlines(city: Region) -> list[tuple[int, Any]]:
    """Invented outlines for the demo city: every level a strip of its parent, sized by population."""
    regions = db.session.execute(select(Region).where(Region.path.like(f"{city.path}%"))).scalars().all()
    children: dict[int, list[Region]] = {}
    for region in sorted(regions, key=lambda r: r.code):
        if region.parent_id is not None:
            children.setdefault(region.parent_id, []).append(region)
    features = []

    def draw(region: Region, box: tuple, across: bool) -> None:
        west, south, east, north = box
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": region.code},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
        below = children.get(region.id, [])
        for child, strip in zip(below, _split(box, [c.population or 1 for c in below], across), strict=True):
            draw(child, strip, not across)

    draw(city, DEMO_BOX, True)
    return list(enumerate(features, start=1))
