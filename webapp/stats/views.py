"""The organizers' dashboard, item analysis, exports and the printable report."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.accounts.permissions import find_region, region_in_scope, requires
from webapp.audit.service import record
from webapp.campaigns.labels import channel_label, kind_label
from webapp.clock import utcnow
from webapp.exports import FORMATS, table_response
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.regions.models import Region
from webapp.stats import tables
from webapp.stats.bulletin import build_bulletin, bulletin_docx, bulletin_pdf, ranked
from webapp.stats.coverage import (
    ENOUGH,
    default_period,
    periods_with_data,
    respondents_by_month,
    respondents_in,
    too_few,
)
from webapp.stats.dashboard import LAGGING_MIN_RESPONDENTS, SORT_KEYS, recent_dashboard, sort_children
from webapp.stats.figures import change
from webapp.stats.items import item_analysis, review_list
from webapp.stats.labels import (
    INDICATOR_NOTES,
    indicator_label,
    interval,
    percent,
    period_label,
    review_label,
    status_label,
    target_source,
)
from webapp.stats.periods import Period, shown_period
from webapp.training.desk import training_desk

bp = Blueprint("stats", __name__, template_folder="templates")


def stats_helpers() -> dict:
    library = current_app.extensions["library"]
    return {
        "library": library,
        "topics": library.catalog.taxonomy.topics,
        "lagging_min": LAGGING_MIN_RESPONDENTS,
        "percent": percent,
        "interval": interval,
        "status_label": status_label,
        "review_label": review_label,
        "period_label": period_label,
        "indicator_label": indicator_label,
        "indicator_note": lambda key: str(INDICATOR_NOTES[key]),
        "channel_label": channel_label,
        "kind_label": kind_label,
        "too_few": too_few,
        "change": change,
        "target_source": target_source,
    }


def chosen_region() -> Region:
    """The region asked for, if in scope (404 otherwise); else the user's own scope."""
    code = request.args.get("region")
    if code:
        return find_region(current_user, code)
    if current_user.scope is not None:
        return current_user.scope
    root = db.session.execute(db.select(Region).where(Region.parent_id.is_(None)).order_by(Region.id)).scalars().first()
    return root or abort(404)


def chosen_period(region: Region) -> tuple[Period, bool]:
    """The period asked for, and whether the request named a bad one (then this month is shown);
    asked for none, the latest period with enough responses in the region."""
    key = request.args.get("period")
    return shown_period(key) if key else (default_period(region), False)


@bp.get("/staff/stats")
@requires("stats.read")
def dashboard() -> str:
    region = chosen_region()
    counts = respondents_by_month(region)
    key = request.args.get("period")
    period, bad_period = shown_period(key) if key else (default_period(region, counts), False)
    sort = request.args.get("sort") if request.args.get("sort") in SORT_KEYS else "name"
    board = recent_dashboard(region, period)
    children = sort_children(board.children, sort, current_lang(), board.children_volunteers)
    places = [child for child, _figures in board.children]
    return render_template(
        "stats/dashboard.html",
        board=board,
        training=training_desk(current_app.extensions["library"], region, period, places),
        children=children,
        sort=sort,
        bad_period=bad_period,
        defaulted="period" not in request.args,
        enough=respondents_in(period, counts) >= ENOUGH,
        picker=periods_with_data(region, counts),
        in_scope=lambda r: region_in_scope(current_user, r),
    )


@bp.get("/staff/stats/questions")
@requires("stats.read")
def questions() -> str:
    region = chosen_region()
    period, bad_period = chosen_period(region)
    library = current_app.extensions["library"]
    return render_template(
        "stats/questions.html",
        region=region,
        period=period,
        bad_period=bad_period,
        items=item_analysis(region, period, library),
        library=library,
    )


@bp.get("/staff/stats/questions/review.csv")
@requires("stats.read")
def review_csv() -> Response:
    """The questions the item analysis marks for review, for `flask content check --review`."""
    region = chosen_region()
    period, _bad = chosen_period(region)
    headers, rows = review_list(region, period, current_app.extensions["library"])
    record(
        current_user, "stats.export", region, details={"period": period.key, "format": "review"}, row_count=len(rows)
    )
    return table_response("csv", f"review-{region.code}-{period.key}", headers, rows)


@bp.get("/staff/stats/export.<fmt>")
@requires("stats.read")
def export(fmt: str) -> Response:
    """A table of the desk as shown: the areas (in the order chosen by ``sort``), the trend or the topics."""
    if fmt not in FORMATS:
        abort(404)
    region = chosen_region()
    period, _bad = chosen_period(region)
    board = recent_dashboard(region, period)
    table = request.args.get("table", "children")
    if table == "trend":
        headers, rows = tables.trend_table(board)
    elif table == "topics":
        topics = current_app.extensions["library"].catalog.taxonomy.topics
        headers, rows = tables.topics_table(board, topics, current_lang())
    elif table == "activities":
        headers, rows = tables.activities_table(board)
    else:
        table = "children"
        sort = request.args.get("sort") if request.args.get("sort") in SORT_KEYS else "name"
        ordered = sort_children(board.children, sort, current_lang(), board.children_volunteers)
        headers, rows = tables.children_table(board, current_lang(), ordered)
    details = {"period": period.key, "format": fmt, "table": table}
    record(current_user, "stats.export", region, details=details, row_count=len(rows))
    name = "indicators" if table == "children" else table
    return table_response(fmt, f"{name}-{region.code}-{period.key}", headers, rows)


@bp.get("/staff/stats/bulletin.<any(pdf, docx):fmt>")
@requires("stats.read")
def bulletin(fmt: str) -> Response:
    """The bulletin (通报) as a PDF to send or a Word document to edit; audited as an export."""
    region = chosen_region()
    period, _bad = chosen_period(region)
    board = recent_dashboard(region, period)
    places = [child for child, _figures in board.children]
    training = training_desk(current_app.extensions["library"], region, period, places)
    content = build_bulletin(board, current_lang(), training)
    record(
        current_user,
        "stats.export",
        region,
        details={"period": period.key, "format": fmt},
        row_count=len(content.ranking),
    )
    body, mimetype = (
        (bulletin_pdf(board, content), "application/pdf")
        if fmt == "pdf"
        else (bulletin_docx(content), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    )
    response = Response(body, mimetype=mimetype)
    name = quote(f"bulletin-{region.code}-{period.key}.{fmt}")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    response.headers["Cache-Control"] = "no-store"
    return response


#: the big screen may reload itself, at most this often and at least this rarely (seconds)
SCREEN_REFRESH = (30, 3600)


@bp.get("/staff/stats/screen")
@requires("stats.read")
def screen() -> str:
    """The big screen (大屏) for a meeting room: dark, large type, the region's headline figures
    against targets, the ranking, the trend and the weakest questions; ``refresh`` reloads it."""
    region = chosen_region()
    period, _bad = chosen_period(region)
    board = recent_dashboard(region, period)
    raw = request.args.get("refresh", "")
    refresh = min(max(int(raw), SCREEN_REFRESH[0]), SCREEN_REFRESH[1]) if raw.isdigit() and len(raw) < 6 else None
    return render_template("stats/screen.html", board=board, ranking=ranked(board.children), refresh=refresh)


@bp.get("/staff/stats/report")
@requires("stats.read")
def report() -> str:
    region = chosen_region()
    period, bad_period = chosen_period(region)
    board = recent_dashboard(region, period)
    return render_template(
        "stats/report.html",
        board=board,
        children=sort_children(board.children, "name", current_lang()),
        bad_period=bad_period,
        generated=utcnow(),
    )


bp.context_processor(stats_helpers)
