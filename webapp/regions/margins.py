"""Population margins: residents per age band and sex of a region, imported from a CSV file.

A monitoring wave weights its interviews to these figures, so a region's table must be whole:
every age band with both sexes, bands that do not overlap, whole numbers. An import is all or
nothing and replaces the tables of the regions it names.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.regions.models import SEXES, PopulationMargin, Region
from webapp.regions.service import RegionImportError, get_region
from webapp.text import is_whole_number

MARGIN_COLUMNS = ("region_code", "age_band", "sex", "population")
#: "15-29" (both ends included) or "60+"
AGE_BAND = re.compile(r"^(\d{1,3})(?:-(\d{1,3})|\+)$")
#: what a file may call each sex
SEX_NAMES = {"female": "female", "f": "female", "女": "female", "male": "male", "m": "male", "男": "male"}


@dataclass(frozen=True)
class MarginsImported:
    regions: int
    cells: int
    #: regions whose margins do not add up to their resident population, in English
    warnings: list[str]


def band_range(band: str) -> tuple[int, int]:
    """The ages a band covers, both ends included; "60+" ends at 150."""
    match = AGE_BAND.match(band)
    if match is None:
        raise ValueError(f"age_band {band!r} must look like 15-29 or 60+")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else 150
    if high < low:
        raise ValueError(f"age_band {band!r} ends before it starts")
    return low, high


def _parse(raw: dict[str, str | None]) -> tuple[str, str, str, int]:
    values = {key: (raw.get(key) or "").strip() for key in MARGIN_COLUMNS}
    band_range(values["age_band"])
    sex = SEX_NAMES.get(values["sex"].lower())
    if sex is None:
        raise ValueError("sex must be female or male (or 女 / 男)")
    if not is_whole_number(values["population"], 12):
        raise ValueError("population must be a whole number")
    return values["region_code"], values["age_band"], sex, int(values["population"])


def _table_problems(cells: dict[tuple[str, str], int]) -> list[str]:
    """What keeps one region's cells from being a whole table of age bands by sex."""
    bands = sorted({band for band, _ in cells}, key=band_range)
    problems = [f"age band {band} lacks {sex}" for band in bands for sex in SEXES if (band, sex) not in cells]
    for before, after in zip(bands, bands[1:], strict=False):
        if band_range(after)[0] <= band_range(before)[1]:
            problems.append(f"age bands {before} and {after} overlap")
    if not sum(cells.values()):
        problems.append("the margins add up to no one")
    return problems


def read_margins_csv(text: str, source: str) -> list[tuple[int, dict[str, str | None]]]:
    """:raises RegionImportError: when the header lacks a column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in MARGIN_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegionImportError([(1, f"header lacks columns: {', '.join(missing)}")], source)
    return [(reader.line_num, row) for row in reader]


def import_margins_file(path: Path) -> MarginsImported:
    """:raises RegionImportError: not UTF-8, a missing column, or every bad row with its line number."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RegionImportError([(1, "the file is not UTF-8 text; save it as CSV UTF-8")], path.name) from None
    return import_margins(read_margins_csv(text, path.name), path.name)


def import_margins(rows: Iterable[tuple[int, dict[str, str | None]]], source: str = "margins") -> MarginsImported:
    """Replace the margins of every region the rows name; all or nothing.

    :raises RegionImportError: every bad row (and every incomplete table) with its line number.
    """
    problems: list[tuple[int, str]] = []
    tables: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    first_line: dict[str, int] = {}
    regions: dict[str, Region] = {}
    for line, raw in rows:
        try:
            code, band, sex, population = _parse(raw)
            region = regions.get(code) or get_region(code)
            if region is None:
                raise ValueError(f"no region has the code {code!r}")
            if (band, sex) in tables[code]:
                raise ValueError(f"{code} {band} {sex} appears twice")
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        regions[code] = region
        first_line.setdefault(code, line)
        tables[code][(band, sex)] = population
    for code, cells in tables.items():
        problems += [(first_line[code], f"{code}: {problem}") for problem in _table_problems(cells)]
    if problems:
        raise RegionImportError(sorted(problems), source)
    for code, cells in tables.items():
        _replace(regions[code], cells)
    return MarginsImported(len(tables), sum(map(len, tables.values())), _population_warnings(regions, tables))


def _replace(region: Region, cells: dict[tuple[str, str], int]) -> None:
    db.session.execute(delete(PopulationMargin).where(PopulationMargin.region_id == region.id))
    db.session.add_all(
        PopulationMargin(region_id=region.id, age_band=band, sex=sex, population=n) for (band, sex), n in cells.items()
    )


def _population_warnings(regions: dict[str, Region], tables: dict[str, dict[tuple[str, str], int]]) -> list[str]:
    warnings = []
    for code, cells in tables.items():
        total, population = sum(cells.values()), regions[code].population
        if population and abs(total - population) > 0.05 * population:
            warnings.append(
                f"{code}: the margins add up to {total:,}, the region's resident population is {population:,}"
            )
    return warnings


def margins_of(region: Region) -> dict[tuple[str, str], int]:
    """The region's residents per (age band, sex); empty when none were imported."""
    rows = db.session.execute(select(PopulationMargin).where(PopulationMargin.region_id == region.id)).scalars()
    return {(m.age_band, m.sex): m.population for m in rows}


def age_bands(margins: Iterable[tuple[str, str]]) -> list[str]:
    """The age bands of a table, youngest first."""
    return sorted({band for band, _ in margins}, key=band_range)
