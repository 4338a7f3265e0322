"""The region tree: city → district → street → community or village."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import Model

LEVELS = ("city", "district", "street", "community", "village")
#: the level a child must have, by its parent's level
CHILD_LEVELS = {"city": ("district",), "district": ("street",), "street": ("community", "village")}
LEAF_LEVELS = ("community", "village")


class RegionNames:
    """What a region says of itself, for the model and for copies of it alike."""

    name_zh: str
    name_en: str
    level: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    @property
    def is_leaf(self) -> bool:
        return self.level in LEAF_LEVELS


class Region(RegionNames, Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    #: resident population (常住人口); the denominator of usage and reach rates
    population: Mapped[int | None]
    #: the resident population of the whole subtree: a community's or village's own, and above
    #: them the sum over every one of them below; the denominator of the region's usage and reach
    #: rates, kept as regions are added (add_region) so no figure adds up the communities
    residents: Mapped[int] = mapped_column(default=0, server_default="0")
    #: ids from the root down, "/1/4/17/": a subtree is one prefix query
    path: Mapped[str] = mapped_column(String(255))
    #: invented by `flask seed-demo`, shown with a demo banner
    is_demo: Mapped[bool] = mapped_column(default=False)

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    __table_args__ = (
        Index("ix_regions_path", "path"),
        Index("ix_regions_parent_id", "parent_id"),
        Index("ix_regions_level", "level"),
    )

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name_zh}>"


class RegionAncestor(Model):
    """A region and each region it lies in, itself included: the rows a community's events are
    added to, so the rollups of every level are written in one statement."""

    __tablename__ = "region_ancestors"
    # the regions below one: every region's lineage read from the top
    __table_args__ = (Index("ix_region_ancestors_ancestor", "ancestor_id", "region_id"),)

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    ancestor_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)


def path_ids(path: str) -> list[int]:
    """The ids on a region's path, from the root down to the region itself."""
    return [int(part) for part in path.strip("/").split("/") if part]


@dataclass(frozen=True)
class RegionView(RegionNames):
    """A region's columns copied out of the session, for figures kept beyond one request."""

    id: int
    code: str
    name_zh: str
    name_en: str
    level: str
    parent_id: int | None
    population: int | None
    path: str
    is_demo: bool

    @classmethod
    def of(cls, region: Region) -> RegionView:
        return cls(**{name: getattr(region, name) for name in cls.__dataclass_fields__})


#: the sexes population margins and interviews record
SEXES = ("female", "male")


class PopulationMargin(Model):
    """Residents of a region in one age band and sex (from the census or the statistics bureau):
    the margins a monitoring wave's interviews are weighted to."""

    __tablename__ = "population_margins"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    #: "15-29", "60+": labels are data, chosen by whoever supplies the figures
    age_band: Mapped[str] = mapped_column(String(16), primary_key=True)
    sex: Mapped[str] = mapped_column(String(8), primary_key=True)
    population: Mapped[int]


class RegionOutline(Model):
    """A region's boundary as a GeoJSON geometry (Polygon or MultiPolygon, longitude and latitude),
    supplied with the region import: once every child of a region has one, the desk draws the
    children as a map coloured by status instead of a grid of tiles.

    Kept apart from the region row, which is read on every request, while outlines are read
    only when a map is drawn and may be large.
    """

    __tablename__ = "region_outlines"

    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    geometry: Mapped[dict] = mapped_column(JSON)
