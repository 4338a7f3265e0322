"""Staff pages for the 五进 campaign log, its exports, QR codes and printable posters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.accounts.permissions import can, find_region, get_in_scope, regions_in_scope, requires
from webapp.campaigns import qr
from webapp.campaigns import service as campaigns
from webapp.campaigns.forms import ActivityFilterForm, ActivityForm
from webapp.campaigns.labels import channel_label, kind_label
from webapp.campaigns.models import Activity
from webapp.clock import local_today
from webapp.errors import DomainError, on_refusal
from webapp.exports import table_response
from webapp.forms import select_choices
from webapp.i18n import current_lang
from webapp.paging import page_number
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.text import search_terms
from webapp.volunteers.models import Volunteer

bp = Blueprint("campaigns", __name__, template_folder="templates")

PER_PAGE = 20
POSTERS_PER_PAGE = 30


@bp.context_processor
def _labels() -> dict:
    return {"channel_label": channel_label, "kind_label": kind_label}


def _region_label(region: Region, top: int) -> str:
    return f"{'　' * (region.path.count('/') - top)}{region.name(current_lang())}"


def _region_choices(regions: list[Region]) -> list[tuple[str, str]]:
    top = min((r.path.count("/") for r in regions), default=0)
    return [(r.code, _region_label(r, top)) for r in regions]


def _qr_svg(url: str, name: str) -> Markup:
    return Markup(qr.svg_inline(url, _("QR code of %(name)s", name=name)))


# --- the list, its filters and exports ---------------------------------------------


def _filter_form() -> tuple[ActivityFilterForm, dict, dict[str, str]]:
    """The filter form from the query string, its valid parts (the service's criteria), and those as arguments."""
    form = ActivityFilterForm(MultiDict(request.args))
    everywhere = [("", _("Everywhere you are responsible for"))]
    form.community.choices = select_choices(everywhere + _region_choices(regions_in_scope(current_user)))
    form.validate()
    valid = {part.name: part.data for part in form if part.data and not part.errors}
    args = {name: value.isoformat() if isinstance(value, date) else str(value) for name, value in valid.items()}
    return form, valid, args


@bp.get("/staff/activities")
@requires("activities.read")
def activities() -> str:
    form, criteria, args = _filter_form()
    found = campaigns.find_activities(current_user, criteria, page_number(request.args.get("page")), PER_PAGE)
    return render_template(
        "campaigns/activities.html",
        form=form,
        args=args,
        totals=found.totals,
        page=found.page,
        can_write=can(current_user, "activities.write"),
    )


@bp.get("/staff/activities/export.<any(csv, xlsx):fmt>")
@requires("activities.read")
def export_activities(fmt: str) -> Response:
    form, criteria, _args = _filter_form()
    if form.errors:
        abort(400)  # never export more than the user asked for
    return table_response(fmt, *campaigns.export_activities(current_user, criteria, current_lang()))


# --- create and edit ---------------------------------------------------------------


@dataclass
class HoursSheet:
    """The hours column of the activity form: what was typed per volunteer, and what it means."""

    #: the text in each volunteer's box, by volunteer id
    typed: dict[int, str] = field(default_factory=dict)
    #: (volunteer id, hours) for each box holding a number
    hours: list[tuple[int, float]] = field(default_factory=list)
    #: the message beside a volunteer's box, by volunteer id
    errors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def recorded(cls, activity: Activity | None) -> HoursSheet:
        """The hours already recorded at ``activity``, as the form first shows them."""
        services = activity.services if activity else []
        return cls(typed={s.volunteer_id: f"{s.hours:g}" for s in services})

    @classmethod
    def posted(cls, candidates: list[Volunteer]) -> HoursSheet:
        """What the form sent for each of ``candidates``; an empty box means the volunteer did not serve."""
        sheet = cls()
        for volunteer in candidates:
            raw = request.form.get(f"hours-{volunteer.id}", "").strip()[:20]
            sheet.typed[volunteer.id] = raw
            if not raw:
                continue
            try:
                sheet.hours.append((volunteer.id, float(raw.replace("，", ".").replace(",", "."))))
            except ValueError:
                sheet.errors[volunteer.id] = _("Enter the hours as a number, e.g. 2 or 1.5.")
        return sheet


def _street(form: ActivityForm, communities: list[Region], activity: Activity | None) -> Region | None:
    """The street whose volunteers the form lists: of the community chosen, else the activity's, else the user's."""
    chosen = next((r for r in communities if r.code == form.community.data), None)
    if chosen is not None:
        return campaigns.street_of(chosen)
    if activity is not None:
        return campaigns.street_of(activity.community)
    return campaigns.default_street(current_user)


def _form_page(
    form: ActivityForm,
    activity: Activity | None,
    street: Region | None,
    candidates: list[Volunteer],
    sheet: HoursSheet,
    refusal: DomainError | None = None,
) -> str:
    """The activity form; a refusal of the service is shown beside the volunteer's hours it concerns."""
    hour_errors, problems = dict(sheet.errors), []
    if refusal is not None:
        volunteer_id = getattr(refusal, "volunteer_id", None)
        if volunteer_id in sheet.typed:
            hour_errors[volunteer_id] = refusal.message
        else:
            problems = refusal.loose  # the form's own fields already show theirs
    return render_template(
        "campaigns/activity_form.html",
        form=form,
        activity=activity,
        street=street,
        candidates=candidates,
        typed=sheet.typed,
        hour_errors=hour_errors,
        problems=problems,
    )


def _edit(activity: Activity | None) -> Response | str:
    form = ActivityForm(obj=activity if request.method == "GET" else None)
    communities = regions_in_scope(current_user, LEAF_LEVELS)
    form.community.choices = select_choices(_region_choices(communities))
    if request.method == "GET" and activity is not None:
        form.community.data = activity.community.code
    elif request.method == "GET":
        form.held_on.data = local_today()
    street = _street(form, communities, activity)
    candidates = campaigns.service_candidates(current_user, street, activity) if street else []
    sheet = HoursSheet.posted(candidates) if request.method == "POST" else HoursSheet.recorded(activity)
    page = partial(_form_page, form, activity, street, candidates, sheet)
    if not form.validate_on_submit() or sheet.errors:
        return page()
    # refused, the form comes back with 200 like one WTForms refused: nothing typed is lost
    on_refusal(lambda refusal: (page(refusal), 200), form)
    if activity is None:
        activity = campaigns.log_activity(form.activity_data(), form.community.data, current_user, sheet.hours)
    else:
        campaigns.change_activity(activity, form.activity_data(), current_user, form.community.data, sheet.hours)
    flash(_("Activity saved."))
    return redirect(url_for(".activity", activity_id=activity.id))


@bp.route("/staff/activities/new", methods=["GET", "POST"])
@requires("activities.write")
def new_activity() -> Response | str:
    return _edit(None)


@bp.route("/staff/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@requires("activities.write")
def edit_activity(activity_id: int) -> Response | str:
    return _edit(get_in_scope(current_user, Activity, activity_id))


@bp.get("/staff/activities/<int:activity_id>")
@requires("activities.read")
def activity(activity_id: int) -> str:
    found = get_in_scope(current_user, Activity, activity_id)
    url = qr.activity_url(found)
    return render_template(
        "campaigns/activity.html",
        activity=found,
        entry_url=url,
        qr_svg=_qr_svg(url, found.title),
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
@requires("activities.read")
def community_qr(code: str, fmt: str) -> Response:
    community = find_region(current_user, code, LEAF_LEVELS)
    title = _("QR code of %(name)s", name=community.name(current_lang()))
    return _qr_response(qr.community_url(community), fmt, f"qr-{community.code}", title)


@bp.get("/staff/qr/activity/<int:activity_id>.<any(svg, png):fmt>")
@requires("activities.read")
def activity_qr(activity_id: int, fmt: str) -> Response:
    found = get_in_scope(current_user, Activity, activity_id)
    title = _("QR code of %(name)s", name=found.title)
    return _qr_response(qr.activity_url(found), fmt, f"qr-activity-{found.code}", title)


@bp.get("/staff/posters")
@requires("activities.read")
def posters() -> str:
    query = search_terms(request.args.get("q"), 50)
    number = page_number(request.args.get("page"))
    page = campaigns.poster_communities(current_user, query, number, POSTERS_PER_PAGE)
    return render_template("campaigns/posters.html", page=page, query=query)


@bp.get("/staff/posters/community/<code>")
@requires("activities.read")
def community_poster(code: str) -> str:
    community = find_region(current_user, code, LEAF_LEVELS)
    name, street = community.name(current_lang()), campaigns.street_of(community)
    url = qr.community_url(community)
    return render_template(
        "campaigns/poster.html",
        heading=name,
        subheading=street.name(current_lang()) if street else "",
        call_to_action=_("Scan to learn fire safety and test what you know"),
        entry_url=url,
        qr_svg=_qr_svg(url, name),
        back=url_for(".posters"),
    )


@bp.get("/staff/activities/<int:activity_id>/poster")
@requires("activities.read")
def activity_poster(activity_id: int) -> str:
    found = get_in_scope(current_user, Activity, activity_id)
    url = qr.activity_url(found)
    return render_template(
        "campaigns/poster.html",
        heading=found.title,
        subheading=found.community.name(current_lang()),
        held_on=found.held_on,
        call_to_action=_("Scan to take part: learn fire safety and test what you know"),
        entry_url=url,
        qr_svg=_qr_svg(url, found.title),
        back=url_for(".activity", activity_id=found.id),
    )
