"""The region tree: CSV import (all or nothing), the demo city, search."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.regions.models import Region
from webapp.regions.service import ancestors, get_region, search_regions

GOOD_CSV = """code,parent_code,level,name_zh,name_en,population
T,,city,测试市,Test City,
T01,T,district,一区,District One,
T0101,T01,street,一街道,Street One,
T010101,T0101,community,一社区,Community One,5200
T010102,T0101,village,一村,Village One,1300
"""


def region_count() -> int:
    return db.session.execute(select(func.count(Region.id))).scalar_one()


def run_import(app: Flask, tmp_path: Path, text: str):
    path = tmp_path / "regions.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["regions", "import", str(path)])


def test_import_builds_the_tree_with_paths(app: Flask, tmp_path: Path) -> None:
    result = run_import(app, tmp_path, GOOD_CSV)
    assert result.exit_code == 0, result.output
    assert "imported 5 regions" in result.output
    community = get_region("T010101")
    assert community.population == 5200
    assert [r.code for r in ancestors(community)] == ["T", "T01", "T0101"]
    assert community.path.startswith(get_region("T0101").path)


def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(app: Flask, tmp_path: Path) -> None:
    before = region_count()
    bad = GOOD_CSV.replace("T010102,T0101,village,一村,Village One,1300", "T010102,T0101,village,一村,Village One,many")
    result = run_import(app, tmp_path, bad)
    assert result.exit_code != 0
    assert "regions.csv:6: population must be a whole number" in result.output
    assert "nothing was imported" in result.output
    assert region_count() == before
    assert get_region("T") is None


def test_unknown_parent_and_wrong_level_are_reported(app: Flask, tmp_path: Path) -> None:
    text = GOOD_CSV + "X1,NOPE,community,无名,Nameless,10\nX2,T,street,错层,Wrong level,10\n"
    result = run_import(app, tmp_path, text)
    assert ":7: parent NOPE" in result.output
    assert ":8: a street cannot sit under a city" in result.output
    assert get_region("T") is None


def test_missing_columns_are_reported(app: Flask, tmp_path: Path) -> None:
    result = run_import(app, tmp_path, "code,name\nA,甲\n")
    assert result.exit_code != 0
    assert "header lacks columns" in result.output


def test_demo_city_is_large_enough_and_marked(app: Flask) -> None:
    levels = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert levels["district"] >= 3
    assert levels["street"] >= 12
    assert levels["community"] + levels["village"] >= 60
    assert all(r.is_demo for r in db.session.execute(select(Region)).scalars())
    leaves = db.session.execute(select(Region).where(Region.level.in_(["community", "village"]))).scalars().all()
    assert all(r.population and r.population > 0 for r in leaves)
    city = get_region("DEMO")
    assert city.population == sum(r.population for r in leaves)


def test_seed_demo_twice_changes_nothing(app: Flask) -> None:
    before = region_count()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert region_count() == before


def test_search_by_name_and_code_and_wildcards_are_literal(app: Flask) -> None:
    found, total = search_regions("翠竹")
    assert total == 1 and found[0].level == "community"
    found, _ = search_regions("cuizhu")
    assert found[0].code == "DEMO010101"
    assert search_regions("%")[1] == 0
    assert search_regions(None, ["district"])[1] == 3
