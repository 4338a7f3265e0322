"""Staff pages for the 五进 campaign log, its exports, QR codes and printable posters."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from webapp.accounts.permissions import can, get_in_scope, region_in_scope, regions_in_scope, require
from webapp.campaigns import qr
from webapp.campaigns import service as campaigns
from webapp.campaigns.forms import ActivityFilterForm, ActivityForm
from webapp.campaigns.labels import channel_label, kind_label
from webapp.campaigns.models import Activity
from webapp.campaigns.service import ActivityError, ActivityFilter
from webapp.clock import local_today
from webapp.errors import message
from webapp.exports import table_response
from webapp.extensions import db
from webapp.forms import select_choices
from webapp.i18n import current_lang
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.regions.service import get_region
from webapp.text import is_whole_number, search_terms
from webapp.volunteers.models import Volunteer

bp = Blueprint("campaigns", __name__, template_folder="templates")

PER_PAGE = 20
POSTERS_PER_PAGE = 30
#: the largest id a database integer holds; anything above is simply not found
MAX_ID = 2**31 - 1


@bp.context_processor
def _labels() -> dict:
    return {"channel_label": channel_label, "kind_label": kind_label}


def _page() -> int:
    value = request.args.get("page", "")
    return int(value) if is_whole_number(value, 6) and int(value) > 0 else 1


def _load_activity(activity_id: int) -> Activity:
    if activity_id > MAX_ID:
        abort(404)
    return get_in_scope(current_user, Activity, activity_id)


def _load_community(code: str) -> Region:
    """A community or village in the user's scope; anything else is not found (404)."""
    region = get_region(code[:32])
    if region is None or not region.is_leaf or not region_in_scope(current_user, region):
        abort(404)
    return region


def _region_label(region: Region, top: int) -> str:
    return f"{'　' * (region.path.count('/') - top)}{region.name(current_lang())}"


def _region_choices(regions: list[Region]) -> list[tuple[str, str]]:
    top = min((r.path.count("/") for r in regions), default=0)
    return [(r.code, _region_label(r, top)) for r in regions]


# --- the list, its filters and exports ---------------------------------------------


def _filter_form() -> tuple[ActivityFilterForm, ActivityFilter, dict[str, str]]:
    """The filter form from the query string, the filter its valid parts make, and those parts as arguments."""
    form = ActivityFilterForm(MultiDict(request.args))
    everywhere = [("", _("Everywhere you are responsible for"))]
    form.community.choices = select_choices(everywhere + _region_choices(regions_in_scope(current_user)))
    form.validate()
    valid = {field.name: field.data for field in form if field.data and not field.errors}
    region = campaigns.filter_region(current_user, valid["community"]) if "community" in valid else None
    filters = ActivityFilter(
        region=region,
        channel=valid.get("channel"),
        kind=valid.get("kind"),
        since=valid.get("since"),
        until=valid.get("until"),
        q=(valid.get("q") or "").strip() or None,
    )
    args = {name: value.isoformat() if isinstance(value, date) else str(value) for name, value in valid.items()}
    return form, filters, args


@bp.get("/staff/activities")
@login_required
def activities() -> str:
    require(current_user, "activities.read")
    form, filters, args = _filter_form()
    stmt = campaigns.activity_query(current_user, filters)
    page = _page()
    return render_template(
        "campaigns/activities.html",
        form=form,
        args=args,
        totals=campaigns.activity_totals(stmt),
        items=campaigns.activity_page(stmt, (page - 1) * PER_PAGE, PER_PAGE),
        page=page,
        per_page=PER_PAGE,
        can_write=can(current_user, "activities.write"),
    )


@bp.get("/staff/activities/export.<any(csv, xlsx):fmt>")
@login_required
def export_activities(fmt: str) -> Response:
    require(current_user, "activities.read")
    form, filters, _args = _filter_form()
    if form.errors:
        abort(400)  # never export more than the user asked for
    headers, rows = campaigns.export_activities(current_user, filters, current_lang())
    db.session.commit()
    return table_response(fmt, f"activities-{local_today().isoformat()}", headers, rows)


# --- create and edit ---------------------------------------------------------------


def _hours_text(hours: float) -> str:
    return f"{hours:g}"


def _read_hours(candidates: list[Volunteer]) -> tuple[dict[int, str], dict[Volunteer, float], dict[int, str]]:
    """What was typed per volunteer, the hours that parse as numbers, and per-volunteer errors."""
    typed: dict[int, str] = {}
    hours: dict[Volunteer, float] = {}
    errors: dict[int, str] = {}
    for volunteer in candidates:
        raw = request.form.get(f"hours-{volunteer.id}", "").strip()[:20]
        typed[volunteer.id] = raw
        if not raw:
            continue
        try:
            hours[volunteer] = float(raw.replace("，", ".").replace(",", "."))
        except ValueError:
            errors[volunteer.id] = _("Enter the hours as a number, e.g. 2 or 1.5.")
    return typed, hours, errors


def _edit(activity: Activity | None) -> Response | str:
    form = ActivityForm(obj=activity if request.method == "GET" else None)
    communities = regions_in_scope(current_user, LEAF_LEVELS)
    form.community.choices = select_choices(_region_choices(communities))
    if request.method == "GET" and activity is not None:
        form.community.data = activity.community.code
    elif request.method == "GET":
        form.held_on.data = local_today()
    chosen = next((r for r in communities if r.code == form.community.data), None)
    if chosen is not None:
        street = campaigns.street_of(chosen)
    elif activity is not None:
        street = campaigns.street_of(activity.community)
    else:
        street = campaigns.default_street(current_user)
    candidates = campaigns.service_candidates(current_user, street, activity) if street else []
    typed = {s.volunteer_id: _hours_text(s.hours) for s in activity.services} if activity else {}
    hours: dict[Volunteer, float] = {}
    hour_errors: dict[int, str] = {}
    problems: list[str] = []
    if request.method == "POST":
        typed, hours, hour_errors = _read_hours(candidates)
    if form.validate_on_submit() and not hour_errors:
        try:
            community = campaigns.find_community(current_user, form.community.data)
            if activity is None:
                saved = campaigns.create_activity(form.activity_data(), community, current_user)
            else:
                saved = activity
                campaigns.update_activity(saved, form.activity_data(), current_user, community)
            campaigns.set_service(saved, hours, current_user)
        except ActivityError as exc:
            db.session.rollback()
            if exc.volunteer_id in typed:
                hour_errors[exc.volunteer_id] = message(exc.code)
            elif exc.field in form:
                form[exc.field].errors.append(message(exc.code))
            else:
                problems.append(message(exc.code))
        else:
            db.session.commit()
            flash(_("Activity saved."))
            return redirect(url_for(".activity", activity_id=saved.id))
    return render_template(
        "campaigns/activity_form.html",
        form=form,
        activity=activity,
        street=street,
        candidates=candidates,
        typed=typed,
        hour_errors=hour_errors,
        problems=problems,
    )


@bp.route("/staff/activities/new", methods=["GET", "POST"])
@login_required
def new_activity() -> Response | str:
    require(current_user, "activities.write")
    return _edit(None)


@bp.route("/staff/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_activity(activity_id: int) -> Response | str:
    require(current_user, "activities.write")
    return _edit(_load_activity(activity_id))


@bp.get("/staff/activities/<int:activity_id>")
@login_required
def activity(activity_id: int) -> str:
    require(current_user, "activities.read")
    found = _load_activity(activity_id)
    url = qr.activity_url(found)
    return render_template(
        "campaigns/activity.html",
        activity=found,
        entry_url=url,
        qr_svg=Markup(qr.svg_inline(url, _("QR code of %(name)s", name=found.title))),
        total_hours=sum(s.hours for s in found.services),
        services=sorted(found.services, key=lambda s: (s.volunteer.name, s.volunteer_id)),
        can_write=can(current_user, "activities.write"),
    )


# --- QR codes and posters ----------------------------------------------------------


def _qr_response(url: str, fmt: str, filename: str, title: str) -> Response:
    if fmt == "png":
        response = Response(qr.png(url), mimetype="image/png")
    else:
        response = Response(qr.svg_document(url, title), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/staff/qr/community/<code>.<any(svg, png):fmt>")
@login_required
def community_qr(code: str, fmt: str) -> Response:
    require(current_user, "activities.read")
    community = _load_community(code)
    title = _("QR code of %(name)s", name=community.name(current_lang()))
    return _qr_response(qr.community_url(community), fmt, f"qr-{community.code}", title)


@bp.get("/staff/qr/activity/<int:activity_id>.<any(svg, png):fmt>")
@login_required
def activity_qr(activity_id: int, fmt: str) -> Response:
    require(current_user, "activities.read")
    found = _load_activity(activity_id)
    title = _("QR code of %(name)s", name=found.title)
    return _qr_response(qr.activity_url(found), fmt, f"qr-activity-{found.code}", title)


@bp.get("/staff/posters")
@login_required
def posters() -> str:
    require(current_user, "activities.read")
    query = search_terms(request.args.get("q"), 50)
    stmt = campaigns.poster_communities(current_user, query)
    page = _page()
    total, found = campaigns.region_page(stmt, (page - 1) * POSTERS_PER_PAGE, POSTERS_PER_PAGE)
    return render_template(
        "campaigns/posters.html", communities=found, total=total, page=page, per_page=POSTERS_PER_PAGE, query=query
    )


@bp.get("/staff/posters/community/<code>")
@login_required
def community_poster(code: str) -> str:
    require(current_user, "activities.read")
    community = _load_community(code)
    name = community.name(current_lang())
    url = qr.community_url(community)
    return render_template(
        "campaigns/poster.html",
        heading=name,
        subheading=campaigns.street_of(community).name(current_lang()) if campaigns.street_of(community) else "",
        call_to_action=_("Scan to learn fire safety and test what you know"),
        entry_url=url,
        qr_svg=Markup(qr.svg_inline(url, _("QR code of %(name)s", name=name))),
        back=url_for(".posters"),
    )


@bp.get("/staff/activities/<int:activity_id>/poster")
@login_required
def activity_poster(activity_id: int) -> str:
    require(current_user, "activities.read")
    found = _load_activity(activity_id)
    url = qr.activity_url(found)
    return render_template(
        "campaigns/poster.html",
        heading=found.title,
        subheading=found.community.name(current_lang()),
        held_on=found.held_on,
        call_to_action=_("Scan to take part: learn fire safety and test what you know"),
        entry_url=url,
        qr_svg=Markup(qr.svg_inline(url, _("QR code of %(name)s", name=found.title))),
        back=url_for(".activity", activity_id=found.id),
    )
