"""Region outlines: the GeoJSON import (all or nothing) and the choropleth it turns the tile map into."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.regions.models import RegionOutline
from webapp.regions.outlines import outline_map
from webapp.regions.service import get_region
from webapp.stats.targets import seed_demo_targets

STREETS = ["DEMO0101", "DEMO0102", "DEMO0103", "DEMO0104", "DEMO0105"]


def square(code: str, west: float, south: float, size: float = 0.02) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def run_outlines(app: Flask, tmp_path: Path, text: str):
    path = tmp_path / "outlines.geojson"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["regions", "outlines", str(path)])


def outline_count() -> int:
    return db.session.execute(select(func.count()).select_from(RegionOutline)).scalar_one()


def test_every_street_outlined_turns_the_tiles_into_a_map_coloured_by_status(
    app: Flask, tmp_path: Path, as_user, hand_in_survey
) -> None:
    streets = [square(code, 113.0 + 0.02 * i, 30.0) for i, code in enumerate(STREETS)]
    result = run_outlines(app, tmp_path, collection(*streets))
    assert result.exit_code == 0, result.output
    assert "imported 5 region outlines" in result.output and "warning" not in result.output
    seed_demo_targets(get_region("DEMO"))
    hand_in_survey("DEMO010101", 9, datetime(2026, 11, 5))
    page = as_user("organizer").get("/staff/stats?region=DEMO01&period=2026-11").get_data(as_text=True)
    assert 'class="choropleth"' in page and 'class="tiles"' not in page
    areas = re.findall(r'<path class="area status-([a-z_]+)" d="(M[^"]+Z)"[^>]*><title>([^<]+)</title>', page)
    assert len(areas) == 5
    statuses = {status for status, _, _ in areas}
    assert statuses == {"unclear", "no_data"}  # one street answered, four have no data yet
    assert any("桂园街道" in title and "尚不能确定" in title for _, _, title in areas)  # the words beside the colour
    assert "桂园街道</text>" in page  # wide enough to carry its name


def test_one_street_without_an_outline_keeps_the_tiles_and_the_import_says_so(
    app: Flask, tmp_path: Path, as_user
) -> None:
    streets = [square(code, 113.0 + 0.02 * i, 30.0) for i, code in enumerate(STREETS[:4])]
    result = run_outlines(app, tmp_path, collection(*streets))
    assert result.exit_code == 0, result.output
    assert "some regions under DEMO01 have no outline" in result.output
    page = as_user("organizer").get("/staff/stats?region=DEMO01&period=2026-11").get_data(as_text=True)
    assert 'class="tiles"' in page and 'class="choropleth"' not in page


def test_bad_features_are_listed_by_number_and_nothing_is_imported(app: Flask, tmp_path: Path) -> None:
    good = square("DEMO0101", 113.0, 30.0)
    open_ring = square("DEMO0102", 113.0, 30.0)
    open_ring["geometry"]["coordinates"][0].pop()
    open_ring["geometry"]["coordinates"][0].append([113.5, 30.5])
    flagged = square("DEMO0103", 113.0, 30.0)
    flagged["geometry"]["coordinates"][0][1] = [True, 30.0]
    result = run_outlines(
        app,
        tmp_path,
        collection(good, square("NOPE", 1, 1), open_ring, flagged, square("DEMO0101", 113.1, 30.0), {"type": "x"}),
    )
    assert result.exit_code != 0
    assert "feature 2: no region has the code 'NOPE'" in result.output
    assert "feature 3: a ring must end where it starts" in result.output
    assert "feature 4: coordinates must be numbers" in result.output
    assert "feature 5: DEMO0101 has a second outline" in result.output
    assert "feature 6: not a GeoJSON Feature" in result.output
    assert outline_count() == 0


def test_a_file_that_is_not_geojson_is_refused_with_a_reason(app: Flask, tmp_path: Path) -> None:
    assert "not valid JSON" in run_outlines(app, tmp_path, "{").output
    assert "not valid JSON" in run_outlines(app, tmp_path, "[" * 100_000).output  # nested past Python's limit
    assert "FeatureCollection" in run_outlines(app, tmp_path, '{"type": "Feature"}').output
    assert outline_count() == 0


def test_the_region_import_takes_outlines_in_the_same_all_or_nothing_step(app: Flask, tmp_path: Path) -> None:
    csv_path = tmp_path / "regions.csv"
    csv_path.write_text("code,parent_code,level,name_zh,name_en,population\nDEMO0106,DEMO01,street,新街道,New,\n")
    bad = tmp_path / "bad.geojson"
    bad.write_text(collection(square("DEMO0106", 113.0, 30.0), square("NOPE", 1, 1)))
    refused = app.test_cli_runner().invoke(args=["regions", "import", str(csv_path), "--outlines", str(bad)])
    assert refused.exit_code != 0, refused.output
    assert "no region has the code" in refused.output, refused.output
    assert get_region("DEMO0106") is None  # the regions went with the outlines
    good = tmp_path / "good.geojson"
    good.write_text(collection(square("DEMO0106", 113.0, 30.0)))
    done = app.test_cli_runner().invoke(args=["regions", "import", str(csv_path), "--outlines", str(good)])
    assert done.exit_code == 0, done.output
    assert "imported 1 regions" in done.output and "imported 1 region outlines" in done.output
    assert outline_count() == 1


def test_the_map_keeps_the_regions_shape_and_places_each_name_inside_its_area(app: Flask, tmp_path: Path) -> None:
    # two squares side by side at 30° north: twice as wide as tall once longitude is shrunk by cos(30°)
    run_outlines(app, tmp_path, collection(square("DEMO0101", 113.0, 30.0), square("DEMO0102", 113.02, 30.0)))
    drawn = outline_map([get_region("DEMO0101"), get_region("DEMO0102")])
    assert drawn is not None
    assert drawn.width == 600 and abs(drawn.height - 600 / 2 / 0.866) < 2
    left, right = (drawn.labels[get_region(code).id] for code in ("DEMO0101", "DEMO0102"))
    assert left[0] < 300 < right[0] and left[1] == right[1]
    assert outline_map([get_region("DEMO0101"), get_region("DEMO0103")]) is None  # one of the two has none
