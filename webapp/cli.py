"""Command-line verbs: `flask regions import`, `flask seed-demo`, `flask content check`, `flask data purge`."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TextIO, TypeVar, cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from quizzes.library import run_check
from webapp.accounts import service as accounts
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.regions import service as regions
from webapp.transactions import transaction

Command = TypeVar("Command", bound=Callable[..., Any])


def refusals_exit(command: Command) -> Command:
    """A command the domain may refuse: the refusal is told, then the command exits with status 1.

    Its transaction was rolled back (``transaction``), so nothing was saved. There is no request
    to choose a language from: messages are in the site's default one, each field's first.
    """

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                for name, texts in error.field_messages().items():
                    for text in texts:
                        if text != error.message:
                            click.echo(f"{name}: {text}", err=True)
                reason = error.message
            raise click.ClickException(reason) from None

    return cast(Command, run)


regions_cli = AppGroup("regions", help="The region tree.")
users_cli = AppGroup("users", help="Staff, organizer and admin accounts.")
stats_cli = AppGroup("stats", help="Indicators and their rollups.")


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup from the stored draws, lesson completions and attempts."""
    from webapp.stats.rollups import answers_purged_through, rebuild

    with transaction():
        events = rebuild()
    click.echo(f"rollups rebuilt from {events} events")
    if purged := answers_purged_through():
        click.echo(f"topic, question and option rollups up to {purged} kept as they were: their answers were purged")


@stats_cli.command("apply")
def apply_command() -> None:
    """Count every event waiting for the rollups now, then stop."""
    from webapp.stats.applier import catch_up

    click.echo(f"{catch_up()} events counted")


@stats_cli.command("follow")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between looks when nothing waits.")
def follow_command(interval: float) -> None:
    """Keep the rollups a few seconds behind the events, and the dashboards someone looks at
    fresh, until stopped (SIGTERM or Ctrl-C)."""
    import signal
    import threading

    from webapp.stats.applier import APPLICATION_NAME, follow
    from webapp.stats.dashboard import refresh_watched_dashboards

    # PostgreSQL's own views (pg_stat_activity) then tell the applier's connections from the
    # workers'; libpq reads it when it connects, and nothing has connected yet
    os.environ.setdefault("PGAPPNAME", APPLICATION_NAME)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"following the events every {interval:g} s")
    follow(interval, stop, after_round=refresh_watched_dashboards)


content_cli = AppGroup("content", help="Lessons and the question bank.")
data_cli = AppGroup("data", help="Personal data: retention.")


@data_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would go; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Remove respondents' tokens and raw answers older than RETENTION_YEARS, and audit entries
    older than AUDIT_RETENTION_YEARS; the rollups keep every figure."""
    from flask import current_app

    from webapp.clock import utcnow
    from webapp.retention import purge

    config = current_app.config
    with transaction():  # a dry run only counts, so committing it changes nothing
        done = purge(utcnow(), config["RETENTION_YEARS"], config["AUDIT_RETENTION_YEARS"], dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"raw rows from before {done.raw_before:%Y-%m-%d %H:%M} UTC, audit entries from before "
        f"{done.audit_before:%Y-%m-%d %H:%M} UTC"
    )
    for kind, count in done.counts().items():
        click.echo(f"{verb} {count} {kind.replace('_', ' ')}")


@regions_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--outlines",
    "outlines_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A GeoJSON FeatureCollection of the regions' boundaries (see `flask regions outlines`).",
)
@refusals_exit
def import_regions_command(csv_file: Path, outlines_file: Path | None) -> None:
    """Import regions from CSV_FILE (columns: code,parent_code,level,name_zh,name_en,population).

    With --outlines, their boundaries too, in the same all-or-nothing import.
    """
    with transaction():
        count = regions.import_regions_file(csv_file)
        outlined = _import_outlines(outlines_file) if outlines_file else None
    click.echo(f"imported {count} regions")
    if outlined is not None:
        _report_outlines(*outlined)


@regions_cli.command("outlines")
@click.argument("geojson_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@refusals_exit
def import_outlines_command(geojson_file: Path) -> None:
    """Import region boundaries from GEOJSON_FILE, a GeoJSON FeatureCollection.

    Each feature names its region by the "code" property and holds a Polygon or MultiPolygon in
    longitude and latitude. The import replaces the outlines of the regions it names, all or
    nothing. The desk draws a region's children as a map once every child has an outline.
    """
    with transaction():
        outlined = _import_outlines(geojson_file)
    _report_outlines(*outlined)


def _import_outlines(path: Path) -> tuple[int, list[str]]:
    from webapp.regions.outlines import import_outlines_file, regions_left_as_tiles

    codes = import_outlines_file(path)
    return len(codes), regions_left_as_tiles(codes)


def _report_outlines(count: int, left_as_tiles: list[str]) -> None:
    click.echo(f"imported {count} region outlines")
    for code in left_as_tiles:
        click.echo(f"warning: some regions under {code} have no outline; {code} is still drawn as tiles", err=True)


@regions_cli.command("margins")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@refusals_exit
def import_margins_command(csv_file: Path) -> None:
    """Import population margins from CSV_FILE (columns: region_code,age_band,sex,population).

    One row per region, age band (15-29 or 60+) and sex (female or male); every band of a region
    needs both sexes. The import replaces the margins of the regions it names, all or nothing.
    """
    from webapp.regions.margins import import_margins_file

    with transaction():
        imported = import_margins_file(csv_file)
    click.echo(f"imported {imported.cells} cells of population margins for {imported.regions} region(s)")
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command("seed-demo")
@click.option(
    "--attempts",
    type=click.IntRange(0, 1_000_000),
    default=0,
    show_default=True,
    help="Also generate about this many quiz attempts over the last twelve months.",
)
def seed_demo_command(attempts: int) -> None:
    """Create the demo city (marked as demo data) and its plan targets; optionally residents' answers."""
    from quizzes.library import load_library
    from webapp.demo import seed_demo_attempts
    from webapp.monitoring.demo import seed_demo_monitoring
    from webapp.regions.outlines import demo_outlines, import_outlines
    from webapp.stats.targets import seed_demo_targets

    with transaction():
        city = regions.seed_demo_regions()
        import_outlines(demo_outlines(city), "demo outlines")
        seed_demo_targets(city)
        created = _demo_accounts(city)
    click.echo(f"demo region tree and targets ready under {city.code} ({city.name_en})")
    with transaction():
        wave = seed_demo_monitoring(load_library(), city)
    if wave is not None:
        click.echo(f"demo population margins and a completed monitoring wave in {wave.region.name_en}: {wave.title}")
    with transaction():
        trained = _demo_training(city)
    if trained:
        click.echo(trained)
    for username, role, scope, password in created + _demo_unit_manager(city):
        click.echo(f"demo account {username} ({role}, {scope}) password: {password}")
    if attempts and _has_attempts(city):
        click.echo("demo residents' answers are already there; nothing added")
    elif attempts:
        with click.progressbar(length=attempts, label="generating attempts") as bar:
            done = [0]

            def progress(made: int) -> None:
                bar.update(made - done[0])
                done[0] = made

            with transaction():
                made = seed_demo_attempts(load_library(), city, attempts, progress=progress)
            bar.update(attempts - done[0])
        click.echo(f"{made} attempts generated")
        from webapp.demo import seed_demo_volunteers_and_activities

        with transaction():
            people, events = seed_demo_volunteers_and_activities(city, accounts.find_user("demo-admin"))
        click.echo(f"{people} volunteers and {events} activities generated")


def _has_attempts(city) -> bool:
    from sqlalchemy import select

    from quizzes.models import Attempt
    from webapp.regions.models import Region

    in_city = select(Region.id).where(Region.path.like(f"{city.path}%"))
    return db.session.execute(select(Attempt.id).where(Attempt.community_id.in_(in_city)).limit(1)).first() is not None


def _demo_training(city) -> str:
    """Units, rosters and certificates of the demo city, once; what was made, or nothing."""
    from quizzes.library import load_library
    from webapp.training.demo import seed_demo_training

    admin = accounts.find_user("demo-admin")
    if admin is None:  # the demo accounts are made first; someone removed this one
        return ""
    made_units, people, certified = seed_demo_training(load_library(), city, admin)
    return (
        f"{made_units} training units, {people} people on their rosters, {certified} certificates" if made_units else ""
    )


def _demo_unit_manager(city) -> list[tuple[str, str, str, str]]:
    """A manager account for the demo staff street's first unit, so the unit's own view can be seen."""
    import secrets

    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.regions.models import Region
    from webapp.training import units
    from webapp.training.models import Unit

    admin, street = accounts.find_user("demo-admin"), regions.get_region(f"{city.code}0101")
    if accounts.find_user("demo-unit") is not None or admin is None or street is None:
        return []
    unit = db.session.execute(
        select(Unit).join(Region).where(Region.path.like(f"{street.path}%")).order_by(Unit.id).limit(1)
    ).scalar_one_or_none()
    if unit is None:
        return []
    password = secrets.token_urlsafe(9)
    with transaction():
        units.open_manager_account(admin, unit, "demo-unit", unit.name, password)
    return [("demo-unit", "unit_manager", unit.name, password)]


def _demo_accounts(city) -> list[tuple[str, str, str, str]]:
    """One account per role over the demo city, each with a fresh random password (shown once)."""
    import secrets

    wanted = [
        ("demo-admin", "admin", city.code),
        ("demo-organizer", "organizer", f"{city.code}01"),
        ("demo-staff", "staff", f"{city.code}0101"),
    ]
    created = []
    for username, role, scope in wanted:
        if accounts.find_user(username) is None:
            password = secrets.token_urlsafe(9)
            accounts.create_user(username, username, password, role, regions.get_region(scope))
            created.append((username, role, scope, password))
    return created


@content_cli.command("check")
@click.option(
    "--review",
    "review_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="A review list exported from the item analysis (CSV: question_id, fingerprint, reasons).",
)
def content_check_command(review_file: TextIO | None) -> None:
    """Validate lessons, the question bank and quiz definitions, and the survey's fairness."""
    review = list(csv.DictReader(review_file)) if review_file else []
    if review_file and review and "question_id" not in review[0]:
        raise click.UsageError("the review list needs a question_id column")
    sys.exit(run_check(click.echo, lambda line: click.echo(line, err=True), review))


@users_cli.command("create-admin")
@click.argument("username")
@click.password_option(envvar="ADMIN_PASSWORD", help="Prompted for when not given (or set ADMIN_PASSWORD).")
@refusals_exit
def create_admin_command(username: str, password: str) -> None:
    """Create an administrator account, who can then create staff and organizers on the site."""
    with transaction():
        user = accounts.open_account(None, username, username, password, "admin", None)
    click.echo(f"administrator {user.username} created")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(regions_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(data_cli)
    app.cli.add_command(seed_demo_command)
