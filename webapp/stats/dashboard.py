"""What the dashboard shows for one region and period, gathered in one place for the page,
the report and the API."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from quizzes.library import Library
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.monitoring.headline import MonitoringFigure, monitoring_figure
from webapp.regions.models import Region, RegionView
from webapp.regions.outlines import OutlineMap, outline_map
from webapp.regions.service import ancestors
from webapp.stats.figures import Figure
from webapp.stats.indicators import (
    Indicators,
    VolunteerFigures,
    activity_counts,
    children_indicators,
    children_volunteers,
    furthest_below_target,
    indicators_from,
    month_sums,
    region_indicators,
    region_sums,
    topic_accuracy,
    volunteer_figures,
    with_targets,
)
from webapp.stats.items import ItemStats, weakest_points
from webapp.stats.models import DashboardSnapshot
from webapp.stats.periods import Period, parse_period
from webapp.stats.snapshots import plain, revive
from webapp.stats.targets import TargetValue, targets_for, targets_for_many

#: a community needs this many respondents before it can be called lagging
LAGGING_MIN_RESPONDENTS = 30
SORT_KEYS = ("name", "awareness", "pass_share", "usage", "education", "respondents", "volunteers")


@dataclass(frozen=True)
class Dashboard:
    """Plain values and region copies only, so one can be kept and shown in later requests."""

    region: RegionView
    period: Period
    path: list[RegionView]
    figures: Indicators
    targets: dict[str, TargetValue]
    children: list[tuple[RegionView, Indicators]]
    trend: list[tuple[str, Figure, Figure]]
    topics: dict[str, Figure]
    volunteers: VolunteerFigures
    activities: dict[tuple[str, str], tuple[int, int]]
    lagging: list[tuple[RegionView, Indicators, float]]
    weakest: list[ItemStats]
    #: the latest monitoring wave's estimate covering the region and period: what targets are checked against
    monitoring: MonitoringFigure | None
    #: active volunteers under each child, by the child's id
    children_volunteers: dict[int, int]
    #: the same figures for the same period a year earlier, to compare with
    year_earlier: Indicators
    #: the children drawn as a map, when every one of them has an imported outline
    outlines: OutlineMap | None
    #: when the figures were read (UTC)
    computed_at: datetime


def trend(region: Region, period: Period, months: int = 12) -> list[tuple[str, Figure, Figure]]:
    """(month, awareness, usage) for the ``months`` months ending with the period's last."""
    keys = [period.last_month]
    while len(keys) < months:
        keys.append(parse_period(keys[-1]).previous().key)
    keys.reverse()
    by_month = month_sums(region, keys, region.residents)
    result = []
    for key in keys:
        figures = indicators_from(by_month[key])
        result.append((key, figures.awareness, figures.usage))
    return result


def lagging(region: Region, period: Period, how_many: int = 10) -> list[tuple[RegionView, Indicators, float]]:
    """Communities furthest below their awareness target, among those with enough respondents."""
    listed = furthest_below_target(region, period, LAGGING_MIN_RESPONDENTS, how_many)
    found = db.session.execute(select(Region).where(Region.id.in_([i for i, _gap in listed]))).scalars()
    places = {place.id: place for place in found}
    sums = region_sums(places.values(), period)
    targets = targets_for_many(list(places.values()), period)
    return [(RegionView.of(places[i]), with_targets(indicators_from(sums[i]), targets[i]), gap) for i, gap in listed]


def sort_children(
    children: list[tuple[RegionView, Indicators]], key: str | None, lang: str, volunteers: dict[int, int] | None = None
) -> list[tuple[RegionView, Indicators]]:
    def value(row: tuple[RegionView, Indicators]):
        region, figures = row
        if key is None or key == "name":
            return (0, region.name(lang))
        if key == "respondents":
            return (0, -figures.awareness.n)
        if key == "volunteers":
            return (0, -(volunteers or {}).get(region.id, 0))
        figure = getattr(figures, key)
        return (figure.value is None, figure.value if figure.value is not None else 0)

    return sorted(children, key=value)


def _monitoring(region: Region, period: Period) -> MonitoringFigure | None:
    found = monitoring_figure(region, period)
    if found is None:
        return None
    targets = targets_for(region, period)
    return replace(
        found,
        awareness=found.awareness.against(targets["awareness"].value if "awareness" in targets else None),
        pass_share=found.pass_share.against(targets["pass_share"].value if "pass_share" in targets else None),
    )


def build_dashboard(region: Region, period: Period, library: Library) -> Dashboard:
    """Every section reads the region's own rollups and its children's: a few rows per region
    shown, whatever the number of communities below."""
    children = children_indicators(region, period) if not region.is_leaf else []
    return Dashboard(
        region=RegionView.of(region),
        period=period,
        path=[RegionView.of(up) for up in ancestors(region)],
        figures=region_indicators(region, period),
        targets={name: replace(t, region=RegionView.of(t.region)) for name, t in targets_for(region, period).items()},
        children=[(RegionView.of(child), figures) for child, figures in children],
        trend=trend(region, period),
        topics=topic_accuracy(region, period),
        volunteers=volunteer_figures(region, period),
        activities=activity_counts(region, period),
        lagging=lagging(region, period),
        weakest=weakest_points(region, period, library),
        monitoring=_monitoring(region, period),
        year_earlier=region_indicators(region, period.year_earlier()),
        children_volunteers=children_volunteers(region) if children else {},
        outlines=outline_map([child for child, _ in children]),
        computed_at=utcnow(),
    )


#: bumped whenever the Dashboard's fields change, so a copy kept by the release before is not revived
SNAPSHOT_SHAPE = 4


def snapshot_key(region: Region, period: Period, library: Library) -> str:
    # new content may drop a question a kept list of weakest points names
    return f"{region.id}:{period.key}:{library.catalog.version}:{SNAPSHOT_SHAPE}"


def recent_dashboard(region: Region, period: Period) -> Dashboard:
    """The region's dashboard as read at most DASHBOARD_MAX_AGE_SECONDS ago, by any worker.

    At a peak evening a city's figures take a good part of a second to read, while figures a
    few seconds old change no decision. One copy is kept in the database, so every worker and
    machine shows the same figures read at the same time, and the page says when; the rollup
    applier reads again the copies someone looks at (:func:`refresh_watched_dashboards`), so a
    view seldom has to read them itself.
    """
    library = current_app.extensions["library"]
    max_age = timedelta(seconds=current_app.config["DASHBOARD_MAX_AGE_SECONDS"])
    if not max_age:
        return build_dashboard(region, period, library)
    key = snapshot_key(region, period, library)
    kept = db.session.execute(
        select(DashboardSnapshot.computed_at, DashboardSnapshot.viewed_at).where(DashboardSnapshot.key == key)
    ).first()
    now = utcnow()
    if kept is not None and timedelta(0) <= now - kept.computed_at < max_age:
        if kept.viewed_at is None or now - kept.viewed_at > MARK_VIEWS_EVERY:
            _mark_viewed(key, now)
        revived = _revived(key, kept.computed_at)
        if revived is not None:
            return revived
    board = build_dashboard(region, period, library)
    payload = _share(key, board, replacing=kept.computed_at if kept else None, max_age=max_age)
    return revive(Dashboard, payload)


#: the kept dashboards this process revived last, by key: (computed_at, dashboard)
_REVIVED: OrderedDict[str, tuple[datetime, Dashboard]] = OrderedDict()
_REVIVED_KEPT = 64


def forget_revived() -> None:
    """Drop the revived copies (tests: the next one's regions may reuse these ids)."""
    _REVIVED.clear()


def _revived(key: str, computed_at: datetime) -> Dashboard | None:
    """The kept dashboard read at ``computed_at``: revived once per process, as reviving a city's
    took a quarter of a view. Dashboards are frozen, so views share one. None when the copy has
    gone since."""
    held = _REVIVED.get(key)
    if held is not None and held[0] == computed_at:
        _REVIVED.move_to_end(key)
        return held[1]
    row = db.session.execute(
        select(DashboardSnapshot.computed_at, DashboardSnapshot.payload).where(DashboardSnapshot.key == key)
    ).first()
    if row is None:
        return None
    board = revive(Dashboard, row.payload)
    _REVIVED[key] = (row.computed_at, board)
    while len(_REVIVED) > _REVIVED_KEPT:
        _REVIVED.popitem(last=False)
    return board


#: a kept dashboard someone looked at within this long is read again as new events are counted
WATCHED_FOR = timedelta(minutes=10)
#: a view marks its dashboard as watched at most this often: the mark is a write
MARK_VIEWS_EVERY = timedelta(minutes=1)


def refresh_watched_dashboards() -> int:
    """Read again each kept dashboard someone looked at within WATCHED_FOR whose figures are older
    than DASHBOARD_REFRESH_SECONDS; returns how many. The rollup applier runs it after its
    batches: organizers then find figures a few seconds old instead of reading them at a view."""
    config = current_app.config
    max_age = timedelta(seconds=config["DASHBOARD_MAX_AGE_SECONDS"])
    if not max_age:
        return 0
    library = current_app.extensions["library"]
    now = utcnow()
    due = db.session.execute(
        select(DashboardSnapshot.key, DashboardSnapshot.computed_at).where(
            DashboardSnapshot.viewed_at >= now - WATCHED_FOR,
            DashboardSnapshot.computed_at <= now - timedelta(seconds=config["DASHBOARD_REFRESH_SECONDS"]),
        )
    ).all()
    refreshed = 0
    for key, computed_at in due:
        region_id, period_key = key.split(":", 2)[:2]
        region = db.session.get(Region, int(region_id))
        if region is None or snapshot_key(region, parse_period(period_key), library) != key:
            continue  # of content replaced since: it expires unread
        _share(key, build_dashboard(region, parse_period(period_key), library), replacing=computed_at, max_age=max_age)
        refreshed += 1
    db.session.rollback()  # read only: end the transaction, so no snapshot of it lingers
    return refreshed


def _mark_viewed(key: str, now: datetime) -> None:
    """Note that someone looks at the dashboard, on a connection of its own (like :func:`_share`)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(DashboardSnapshot).where(DashboardSnapshot.key == key).values(viewed_at=now))
    except SQLAlchemyError as error:
        current_app.logger.warning("dashboard view not marked: %s", error)


def _share(key: str, board: Dashboard, replacing: datetime | None, max_age: timedelta) -> Any:
    """Store ``board`` unless another worker stored a fresher one first; the payload kept.

    Written on a connection of its own and committed at once: a kept copy does not belong to
    the request's transaction, and must not wait for it or vanish with its rollback.
    """
    payload = plain(board)
    table = DashboardSnapshot.__table__
    try:
        with db.engine.begin() as connection:
            if replacing is None:
                insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
                statement = insert(table).values(
                    key=key, computed_at=board.computed_at, viewed_at=board.computed_at, payload=payload
                )
                stored = connection.execute(statement.on_conflict_do_nothing()).rowcount
            else:
                # only over the copy this worker found stale: another may have replaced it meanwhile
                statement = (
                    update(table)
                    .where(table.c.key == key, table.c.computed_at == replacing)
                    .values(computed_at=board.computed_at, payload=payload)
                )
                stored = connection.execute(statement).rowcount
            if not stored:
                winner = connection.execute(select(table.c.payload).where(table.c.key == key)).scalar()
                payload = winner if winner is not None else payload
            # copies of other regions, periods or content nobody looked at for a while
            connection.execute(delete(table).where(table.c.computed_at < board.computed_at - max_age))
    except SQLAlchemyError as error:
        # the figures were read; a database that cannot keep them (full, read-only) still shows them
        current_app.logger.warning("dashboard not kept: %s", error)
    return payload
