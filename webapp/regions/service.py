"""Operations on the region tree: import, demo seed, search."""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import make_transient_to_detached

from webapp.errors import DomainError
from webapp.extensions import db
from webapp.paging import paginate
from webapp.regions.models import CHILD_LEVELS, LEVELS, Region, path_ids
from webapp.text import is_whole_number

CSV_COLUMNS = ("code", "parent_code", "level", "name_zh", "name_en", "population")


class RegionImportError(DomainError):
    """Rows of ``source`` that cannot be imported, as (line number, reason in English); nothing was written.

    Only the command line imports regions; its refusal lists each bad row, then says so.
    """

    def __init__(self, problems: list[tuple[int, str]], source: str = "regions"):
        self.problems, self.source = problems, source
        super().__init__("unprocessable")

    @property
    def message(self) -> str:
        return f"{len(self.problems)} bad row(s); nothing was imported"

    def field_messages(self) -> dict[str, list[str]]:
        return {f"{self.source}:{line}": [reason] for line, reason in self.problems}


@dataclass(frozen=True)
class RegionRow:
    code: str
    parent_code: str
    level: str
    name_zh: str
    name_en: str
    population: int | None


def get_region(code: str) -> Region | None:
    return db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()


class KeptRegions:
    """Regions as residents' requests look them up (a draw names its community, a result shows
    its code), kept per process for ``seconds``: an evening's thousands of draws look up the same
    few hundred communities, whose code, level and place in the tree do not change (an import
    only adds regions). Each request gets its own session object, made from the kept copy by
    ``merge(load=False)`` without a query."""

    def __init__(self, seconds: float = 300.0, size: int = 20_000):
        self.seconds, self.size = seconds, size
        self._by_code: dict[str, tuple[float, Region]] = {}
        self._by_id: dict[int, tuple[float, Region]] = {}

    def by_code(self, code: str) -> Region | None:
        return self._attached(self._by_code.get(code), lambda: get_region(code))

    def by_id(self, region_id: int) -> Region | None:
        return self._attached(self._by_id.get(region_id), lambda: db.session.get(Region, region_id))

    def code_of(self, region_id: int) -> str | None:
        """The region's code, read from the kept copy without making a session object of it:
        a response that names its community needs nothing more."""
        kept = self._by_id.get(region_id)
        if kept is not None and self._fresh(kept):
            return kept[1].code
        region = self.by_id(region_id)
        return region.code if region is not None else None

    def _fresh(self, kept: tuple[float, Region]) -> bool:
        return time.monotonic() - kept[0] < self.seconds

    def _attached(self, kept: tuple[float, Region] | None, load: Callable[[], Region | None]) -> Region | None:
        if kept is not None and self._fresh(kept):
            return db.session.merge(kept[1], load=False)
        region = load()
        if region is not None:
            self._keep(region)
        return region

    def clear(self) -> None:
        self._by_code.clear()
        self._by_id.clear()

    def _keep(self, region: Region) -> None:
        if len(self._by_id) >= self.size:  # a crawler naming every code: start again
            self.clear()
        copy = Region(**{column.key: getattr(region, column.key) for column in Region.__table__.columns})
        make_transient_to_detached(copy)  # as if loaded, and in no session
        self._by_code[copy.code] = self._by_id[copy.id] = (time.monotonic(), copy)


kept_regions = KeptRegions()


def add_region(row: RegionRow, parent: Region | None, is_demo: bool = False) -> Region:
    region = Region(
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        level=row.level,
        parent=parent,
        population=row.population,
        path="",
        is_demo=is_demo,
    )
    db.session.add(region)
    db.session.flush()  # the id is part of the path
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    if region.is_leaf and row.population:
        region.residents = row.population
        ancestors = path_ids(region.path)[:-1]
        db.session.execute(
            update(Region).where(Region.id.in_(ancestors)).values(residents=Region.residents + row.population)
        )
    return region


def _parse_row(raw: dict[str, str | None]) -> RegionRow:
    values = {key: (raw.get(key) or "").strip() for key in CSV_COLUMNS}
    if not values["code"] or len(values["code"]) > 32 or not values["code"].replace("-", "").isalnum():
        raise ValueError("code must be 1–32 letters, digits or '-'")
    if values["level"] not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    if not values["name_zh"]:
        raise ValueError("name_zh is empty")
    population = None
    if values["population"]:
        if not is_whole_number(values["population"], 12):
            raise ValueError("population must be a whole number")
        population = int(values["population"])
    return RegionRow(
        code=values["code"],
        parent_code=values["parent_code"],
        level=values["level"],
        name_zh=values["name_zh"],
        name_en=values["name_en"] or values["name_zh"],
        population=population,
    )


def _resolve_parent(row: RegionRow, added: dict[str, Region]) -> Region | None:
    if not row.parent_code:
        if row.level != "city":
            raise ValueError("only a city may have no parent_code")
        return None
    parent = added.get(row.parent_code) or get_region(row.parent_code)
    if parent is None:
        raise ValueError(f"parent {row.parent_code} is neither earlier in the file nor in the database")
    if row.level not in CHILD_LEVELS.get(parent.level, ()):
        raise ValueError(f"a {row.level} cannot sit under a {parent.level}")
    return parent


def import_regions_file(path: Path) -> int:
    """Add the regions of a CSV file (UTF-8), all or nothing.

    :raises RegionImportError: not UTF-8, a missing column, or every bad row with its line number.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        not_utf8 = "the file is not UTF-8 text; save it as CSV UTF-8 and try again"
        raise RegionImportError([(1, not_utf8)], path.name) from None
    return import_regions(read_regions_csv(text, path.name), path.name)


def import_regions(rows: Iterable[tuple[int, dict[str, str | None]]], source: str = "regions") -> int:
    """Add regions from (line number, row) pairs of ``source``, parents before children.

    All or nothing: any bad row aborts the whole import.

    :raises RegionImportError: every bad row with its line number.
    """
    problems: list[tuple[int, str]] = []
    added: dict[str, Region] = {}
    with db.session.begin_nested() as savepoint:
        for line, raw in rows:
            try:
                row = _parse_row(raw)
                if row.code in added or get_region(row.code) is not None:
                    raise ValueError(f"code {row.code} already exists")
                added[row.code] = add_region(row, _resolve_parent(row, added))
            except ValueError as exc:
                problems.append((line, str(exc)))
        if problems:
            savepoint.rollback()
            raise RegionImportError(problems, source)
    return len(added)


def read_regions_csv(text: str, source: str = "regions") -> list[tuple[int, dict[str, str | None]]]:
    """Rows of a regions CSV with their line numbers (the header is line 1).

    :raises RegionImportError: when the header lacks a required column.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegionImportError([(1, f"header lacks columns: {', '.join(missing)}")], source)
    return [(reader.line_num, row) for row in reader]


def matching_regions(query: str | None = None, levels: Iterable[str] | None = None) -> Select:
    """Regions whose name (zh or en) or code contains ``query`` (at ``levels``), in tree order."""
    stmt = select(Region)
    if query:
        # LIKE wildcards typed by a user are taken literally
        escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                Region.name_zh.ilike(pattern, escape="\\"),
                Region.name_en.ilike(pattern, escape="\\"),
                Region.code.ilike(pattern, escape="\\"),
            )
        )
    if levels:
        stmt = stmt.where(Region.level.in_(list(levels)))
    return stmt.order_by(Region.path)


def search_regions(
    query: str | None = None, levels: Iterable[str] | None = None, limit: int = 20
) -> tuple[list[Region], int]:
    """The first ``limit`` regions matching ``query`` (see ``matching_regions``), and how many match."""
    first = paginate(matching_regions(query, levels), 1, limit)
    return first.items, first.total


def load_parents(found: Iterable[Region]) -> None:
    """Load the parents of ``found`` in one query, so that reading ``region.parent`` costs none."""
    ids = {region.parent_id for region in found if region.parent_id is not None}
    if ids:
        db.session.execute(select(Region).where(Region.id.in_(ids))).scalars().all()


def ancestors(region: Region) -> list[Region]:
    """The chain from the root down to ``region``'s parent, in one query."""
    ids = path_ids(region.path)[:-1]
    if not ids:
        return []
    found = {r.id: r for r in db.session.execute(select(Region).where(Region.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


# --- the demo city ---------------------------------------------------------------

DEMO_DISTRICTS = [
    ("滨江区", "Binjiang District"),
    ("青山区", "Qingshan District"),
    ("柳林县", "Liulin County"),
]
DEMO_STREETS = [
    ("桂园街道", "Guiyuan Subdistrict"),
    ("新华街道", "Xinhua Subdistrict"),
    ("望江街道", "Wangjiang Subdistrict"),
    ("东湖街道", "Donghu Subdistrict"),
    ("北关街道", "Beiguan Subdistrict"),
    ("和平街道", "Heping Subdistrict"),
    ("文昌街道", "Wenchang Subdistrict"),
    ("石桥镇", "Shiqiao Town"),
    ("柳河镇", "Liuhe Town"),
    ("南山乡", "Nanshan Township"),
    ("杏花乡", "Xinghua Township"),
    ("龙泉镇", "Longquan Town"),
    ("长乐街道", "Changle Subdistrict"),
    ("清溪镇", "Qingxi Town"),
]
DEMO_COMMUNITIES = [
    ("翠竹", "Cuizhu"),
    ("银杏", "Yinxing"),
    ("丹桂", "Dangui"),
    ("紫荆", "Zijing"),
    ("锦绣", "Jinxiu"),
    ("春晖", "Chunhui"),
    ("阳光", "Yangguang"),
    ("幸福", "Xingfu"),
    ("明珠", "Mingzhu"),
    ("枫林", "Fenglin"),
    ("金桥", "Jinqiao"),
    ("碧水", "Bishui"),
    ("朝阳", "Chaoyang"),
    ("康乐", "Kangle"),
    ("书院", "Shuyuan"),
    ("花园", "Huayuan"),
    ("振兴", "Zhenxing"),
    ("育才", "Yucai"),
    ("安居", "Anju"),
    ("长青", "Changqing"),
    ("光明", "Guangming"),
    ("星火", "Xinghuo"),
    ("鸿福", "Hongfu"),
    ("瑞祥", "Ruixiang"),
    ("松柏", "Songbai"),
    ("海棠", "Haitang"),
    ("清风", "Qingfeng"),
    ("和顺", "Heshun"),
    ("景园", "Jingyuan"),
    ("嘉禾", "Jiahe"),
    ("东升", "Dongsheng"),
    ("西苑", "Xiyuan"),
    ("南湖", "Nanhu"),
    ("北辰", "Beichen"),
    ("德胜", "Desheng"),
    ("华庭", "Huating"),
    ("永安", "Yong'an"),
    ("泰和", "Taihe"),
    ("兰亭", "Lanting"),
    ("青年", "Qingnian"),
    ("铁路", "Tielu"),
    ("电厂", "Dianchang"),
    ("纺织", "Fangzhi"),
    ("新村", "Xincun"),
    ("学府", "Xuefu"),
    ("梧桐", "Wutong"),
    ("荷塘", "Hetang"),
    ("芙蓉", "Furong"),
    ("石榴", "Shiliu"),
    ("玉兰", "Yulan"),
    ("凤凰", "Fenghuang"),
    ("锦江", "Jinjiang"),
    ("滨河", "Binhe"),
    ("润泽", "Runze"),
    ("百合", "Baihe"),
    ("友谊", "Youyi"),
    ("团结", "Tuanjie"),
    ("利民", "Limin"),
    ("建设", "Jianshe"),
    ("胜利", "Shengli"),
]
DEMO_VILLAGES = [
    ("李家", "Lijia"),
    ("王庄", "Wangzhuang"),
    ("张湾", "Zhangwan"),
    ("柳树屯", "Liushutun"),
    ("河口", "Hekou"),
    ("石门", "Shimen"),
    ("杨坪", "Yangping"),
    ("前进", "Qianjin"),
    ("马岭", "Maling"),
    ("桃源", "Taoyuan"),
    ("高家坡", "Gaojiapo"),
    ("赵家沟", "Zhaojiagou"),
]


def seed_demo_regions(seed: int = 2026) -> Region:
    """Build the demo city (3 districts, 14 streets, 70 communities and villages).

    Names are invented and every region is flagged ``is_demo``; populations are
    plausible for Chinese urban communities (3,000–12,000) and villages (800–3,000).
    """
    existing = get_region("DEMO")
    if existing is not None:
        return existing
    rng = random.Random(seed)
    city = add_region(RegionRow("DEMO", "", "city", "示例市（演示数据）", "Demo City (sample data)", None), None, True)
    streets_per_district = (5, 5, 4)
    street_names = iter(DEMO_STREETS)
    community_names = iter(DEMO_COMMUNITIES)
    village_names = iter(DEMO_VILLAGES)
    for d, ((dzh, den), n_streets) in enumerate(zip(DEMO_DISTRICTS, streets_per_district, strict=True), start=1):
        district = add_region(RegionRow(f"DEMO{d:02d}", "DEMO", "district", dzh, den, None), city, True)
        for s in range(1, n_streets + 1):
            szh, sen = next(street_names)
            rural = szh.endswith(("镇", "乡"))
            street = add_region(
                RegionRow(f"{district.code}{s:02d}", district.code, "street", szh, sen, None), district, True
            )
            for c in range(1, 6):
                if rural and c > 3:
                    zh, en = next(village_names)
                    row = RegionRow(
                        f"{street.code}{c:02d}",
                        street.code,
                        "village",
                        f"{zh}村",
                        f"{en} Village",
                        rng.randrange(800, 3000, 10),
                    )
                else:
                    zh, en = next(community_names)
                    row = RegionRow(
                        f"{street.code}{c:02d}",
                        street.code,
                        "community",
                        f"{zh}社区",
                        f"{en} Community",
                        rng.randrange(3000, 12000, 10),
                    )
                add_region(row, street, True)
    _roll_up_populations(city)
    return city


def _roll_up_populations(root: Region) -> None:
    """Give streets, districts and the city the sum of their communities' populations."""
    regions = db.session.execute(select(Region).where(Region.path.like(f"{root.path}%"))).scalars().all()
    for level in ("street", "district", "city"):
        for region in (r for r in regions if r.level == level):
            region.population = sum(r.population or 0 for r in regions if r.parent_id == region.id)
