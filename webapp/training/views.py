"""Staff pages of key-population training: units, their rosters and managers, invitations,
offline training, and the list of certificates about to expire."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from quizzes.library import Library
from webapp.accounts.models import User
from webapp.accounts.permissions import can, find_region, get_in_scope, regions_in_scope, requires, within_scope
from webapp.campaigns import qr
from webapp.campaigns.models import Activity
from webapp.clock import local_today
from webapp.errors import DomainError, message, on_refusal
from webapp.exports import table_response
from webapp.extensions import db
from webapp.forms import select_choices
from webapp.i18n import current_lang
from webapp.imports import ImportRefused
from webapp.links import public_url
from webapp.paging import page_number
from webapp.person_data import PERSON_EXPORT_FORMATS, person_download
from webapp.training import certificates, exports, rates, roster, trainees, units
from webapp.training.forms import ImportForm, ManagerForm, MemberForm, OfflineForm, UnitForm
from webapp.training.labels import UNIT_KIND_LABELS, course_title, role_name, unit_kind_label
from webapp.training.models import UNIT_LEVELS, RosterMember, Unit

bp = Blueprint("training", __name__, template_folder="templates")

PER_PAGE = 30
#: the reminder list's default and longest horizon, in days
EXPIRING_DAYS, MAX_EXPIRING_DAYS = 60, 366


@bp.app_context_processor
def _labels() -> dict:
    return {
        "unit_kind_label": unit_kind_label,
        "role_name": role_name,
        "course_title": course_title,
        "display_code": trainees.display_code,
        "can": can,
    }


def library() -> Library:
    return current_app.extensions["library"]


def _me() -> User:
    return current_user


def _region_choices(user: User) -> list[tuple[str, str]]:
    regions = regions_in_scope(user, UNIT_LEVELS)
    top = min((r.path.count("/") for r in regions), default=0)
    return [(r.code, f"{'　' * (r.path.count('/') - top)}{r.name(current_lang())}") for r in regions]


def _role_choices() -> list[tuple[str, str]]:
    return [(slug, tag.name(current_lang())) for slug, tag in library().catalog.taxonomy.roles.items()]


# --- units -------------------------------------------------------------------------------------


def _unit_filter() -> tuple[units.UnitFilter, dict[str, str]]:
    """The list's filters from the query string; a region outside the scope is a 404."""
    args = {k: v[:100] for k, v in request.args.items() if k in ("region", "kind", "key", "q") and v}
    region = find_region(_me(), args["region"]) if "region" in args else None
    kind = args.get("kind") if args.get("kind") in UNIT_KIND_LABELS else None
    key = {"1": True, "0": False}.get(args.get("key", ""))
    return units.UnitFilter(region, kind, key, args.get("q", "")), args


@bp.get("/staff/units")
@requires("units.read")
def unit_list() -> str:
    filters, args = _unit_filter()
    page = units.list_units(_me(), filters, page_number(request.args.get("page")), PER_PAGE)
    day = local_today()
    tallies = {u.id: rates.Tally() for u in page.items}
    if page.items:
        for tally in rates.unit_tallies(library().courses.values(), day, unit_ids=list(tallies)):
            tallies[tally.unit_id] += tally.tally
    return render_template(
        "training/units.html",
        page=page,
        args=args,
        filters=filters,
        tallies=tallies,
        kinds=UNIT_KIND_LABELS,
        regions=_region_choices(_me()),
        can_write=can(_me(), "units.write"),
        day=day,
    )


def _unit_form(unit: Unit | None = None) -> UnitForm:
    form = UnitForm(obj=unit) if unit is not None else UnitForm()
    form.region.choices = select_choices(_region_choices(_me()))
    if unit is not None and request.method == "GET":
        form.region.data = unit.region.code
    return form


def _unit_data(form: UnitForm) -> dict:
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "key_unit": bool(form.key_unit.data),
        "region": form.region.data,
    }


@bp.route("/staff/units/new", methods=["GET", "POST"])
@requires("units.write")
def new_unit() -> Response | tuple[str, int]:
    form = _unit_form()
    on_refusal(lambda _error: (render_template("training/unit_form.html", form=form, unit=None), 422), form)
    if form.validate_on_submit():
        unit = units.create_unit(_me(), _unit_data(form))
        flash(_("Unit %(name)s registered.", name=unit.name))
        return redirect(url_for(".unit", unit_id=unit.id), code=303)
    return render_template("training/unit_form.html", form=form, unit=None), 422 if form.errors else 200


@bp.route("/staff/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires("units.write")
def edit_unit(unit_id: int) -> Response | tuple[str, int]:
    unit = units.get_unit(_me(), unit_id)
    form = _unit_form(unit)
    on_refusal(lambda _error: (render_template("training/unit_form.html", form=form, unit=unit), 422), form)
    if form.validate_on_submit():
        units.update_unit(_me(), unit, _unit_data(form))
        flash(_("Changes saved."))
        return redirect(url_for(".unit", unit_id=unit.id), code=303)
    return render_template("training/unit_form.html", form=form, unit=unit), 422 if form.errors else 200


def _roster_filter(unit: Unit) -> tuple[roster.RosterFilter, dict[str, str]]:
    args = {k: v[:60] for k, v in request.args.items() if k in ("role", "status", "q") and v}
    role = args.get("role") if args.get("role") in library().catalog.taxonomy.roles else None
    status = args.get("status", "current") if args.get("status", "current") in ("current", "left", "all") else "current"
    return roster.RosterFilter(unit, role, "" if status == "all" else status, args.get("q", "")), args


@bp.get("/staff/units/<int:unit_id>")
@requires("units.read")
def unit(unit_id: int) -> str:
    unit = units.get_unit(_me(), unit_id)
    filters, args = _roster_filter(unit)
    page = roster.list_roster(_me(), filters, page_number(request.args.get("page")), PER_PAGE)
    day = local_today()
    total, by_role = rates.unit_rate(library().courses.values(), unit, day)
    held = certificates.valid_certificates(page.items, day)
    return render_template(
        "training/unit.html",
        unit=unit,
        page=page,
        args=args,
        filters=filters,
        roles=_role_choices(),
        total=total,
        by_role=by_role,
        held=held,
        day=day,
        managers=units.managers_of(unit),
        manager_form=ManagerForm() if can(_me(), "units.write") else None,
        can_write=can(_me(), "roster.write"),
        can_edit_unit=can(_me(), "units.write"),
        can_offline=can(_me(), "training.offline"),
    )


@bp.post("/staff/units/<int:unit_id>/managers")
@requires("units.write")
def add_manager(unit_id: int) -> Response | tuple[str, int]:
    unit = units.get_unit(_me(), unit_id)
    form = ManagerForm()

    def again(error: DomainError) -> tuple[str, int]:
        return render_template("training/manager_form.html", unit=unit, form=form), 422

    on_refusal(again, form)
    if not form.validate_on_submit():
        return again(DomainError())
    units.open_manager_account(
        _me(), unit, form.username.data or "", form.display_name.data or "", form.password.data or ""
    )
    flash(_("The unit's manager can now sign in."))
    return redirect(url_for(".unit", unit_id=unit.id), code=303)


# --- the roster ----------------------------------------------------------------------------------


def _member_form(member: RosterMember | None = None) -> MemberForm:
    form = MemberForm(obj=member) if member is not None else MemberForm()
    form.role.choices = select_choices(_role_choices())
    return form


def _member_data(form: MemberForm) -> dict:
    return {"name": form.name.data, "phone": form.phone.data, "role": form.role.data, "joined_on": form.joined_on.data}


@bp.route("/staff/units/<int:unit_id>/roster/new", methods=["GET", "POST"])
@requires("roster.write")
def new_member(unit_id: int) -> Response | tuple[str, int]:
    unit = units.get_unit(_me(), unit_id)
    form = _member_form()

    def page(_error: DomainError | None = None) -> tuple[str, int]:
        return render_template("training/member_form.html", form=form, unit=unit, member=None), 422

    on_refusal(page, form)
    if form.validate_on_submit():
        source = "manager" if _me().role == "unit_manager" else "staff"
        member = roster.add_member(_me(), unit, _member_data(form), source)
        flash(_("%(name)s is on the roster.", name=member.name))
        return redirect(url_for(".unit", unit_id=unit.id), code=303)
    return (
        page()
        if form.errors
        else (render_template("training/member_form.html", form=form, unit=unit, member=None), 200)
    )


@bp.get("/staff/roster/<int:member_id>")
@requires("units.read")
def member(member_id: int) -> str:
    found = roster.get_member(_me(), member_id)
    phone = roster.view_whole_phone(_me(), found)
    if phone is not None:
        db.session.commit()  # the view's audit entry stays even if the page fails later
    return render_template(
        "training/member.html",
        member=found,
        phone=phone,
        held=certificates.certificates_of(found),
        courses=[c for c in library().courses.values() if found.role in c.roles],
        can_write=can(_me(), "roster.write") and not found.erased,
        can_export=can(_me(), "roster.person_export"),
    )


@bp.route("/staff/roster/<int:member_id>/edit", methods=["GET", "POST"])
@requires("roster.write")
def edit_member(member_id: int) -> Response | tuple[str, int]:
    found = roster.get_member(_me(), member_id)
    form = _member_form(found)
    if request.method == "GET":
        roster.view_whole_phone(_me(), found)  # the form shows the whole number

    def page(_error: DomainError | None = None) -> tuple[str, int]:
        return render_template("training/member_form.html", form=form, unit=found.unit, member=found), 422

    on_refusal(page, form)
    if form.validate_on_submit():
        roster.update_member(_me(), found, _member_data(form))
        flash(_("Changes saved."))
        return redirect(url_for(".member", member_id=found.id), code=303)
    return (
        page()
        if form.errors
        else (render_template("training/member_form.html", form=form, unit=found.unit, member=found), 200)
    )


@bp.post("/staff/roster/<int:member_id>/leave")
@requires("roster.write")
def member_leaves(member_id: int) -> Response:
    found = roster.get_member(_me(), member_id)
    roster.member_leaves(_me(), found)
    flash(_("%(name)s no longer counts for the unit from today.", name=found.name))
    return redirect(url_for(".member", member_id=found.id), code=303)


@bp.post("/staff/roster/<int:member_id>/erase")
@requires("roster.write")
def erase_member(member_id: int) -> Response:
    found = roster.get_member(_me(), member_id)
    roster.erase_member(_me(), found)
    flash(_("The person's name and number were erased. The unit's past figures still count them."))
    return redirect(url_for(".unit", unit_id=found.unit_id), code=303)


@bp.get("/staff/roster/<int:member_id>/export")
@requires("roster.person_export")
def member_export(member_id: int) -> Response:
    found = roster.get_member(_me(), member_id)
    fmt = request.args.get("format", "json")
    if fmt not in PERSON_EXPORT_FORMATS:
        abort(400)
    return person_download(fmt, exports.member_export(_me(), found, fmt), f"trainee-{found.id}")


@bp.post("/staff/roster/<int:member_id>/invitation")
@requires("roster.write")
def invite(member_id: int) -> str:
    """A new personal invitation, shown once, with its link and QR code to print or send."""
    found = roster.get_member(_me(), member_id)
    code = trainees.issue_invitation(_me(), found).code
    link = public_url("trainee.join", code=code)
    return render_template(
        "training/invitation.html",
        member=found,
        code=trainees.display_code(code),
        link=link,
        qr_svg=Markup(qr.svg_inline(link, _("QR code of the invitation"))),
        days=trainees.INVITATION_DAYS,
    )


# --- import and export ----------------------------------------------------------------------------


def _import_page(unit: Unit, form: ImportForm, error: DomainError | None = None) -> str:
    names = roster.SHEET.names()
    faults = error.problems if isinstance(error, ImportRefused) else []
    return render_template(
        "training/import.html",
        unit=unit,
        form=form,
        problems=[(line, names.get(field, ""), message(code)) for line, field, code in faults],
        missing=[name for key, name in names.items() if key in getattr(error, "columns", [])],
        columns=roster.COLUMNS,
        required=roster.SHEET.required,
        roles=_role_choices(),
    )


@bp.route("/staff/units/<int:unit_id>/roster/import", methods=["GET", "POST"])
@requires("roster.write")
def import_roster(unit_id: int) -> Response | tuple[str, int]:
    unit = units.get_unit(_me(), unit_id)
    form = ImportForm()
    on_refusal(lambda error: (_import_page(unit, form, error), 422))
    if form.validate_on_submit() and form.file.data:
        upload = form.file.data
        added = roster.import_roster(_me(), unit, upload.filename or "", upload.read())
        flash(ngettext("%(num)s person added to the roster.", "%(num)s people added to the roster.", len(added)))
        return redirect(url_for(".unit", unit_id=unit.id), code=303)
    return _import_page(unit, form), 422 if request.method == "POST" else 200


@bp.get("/staff/units/roster-template.csv")
@requires("roster.write")
def roster_template() -> Response:
    return table_response("csv", _("roster-template"), roster.template_headers(), [])


@bp.get("/staff/units/<int:unit_id>/roster.<any(csv, xlsx):fmt>")
@requires("roster.export")
def export_roster(unit_id: int, fmt: str) -> Response:
    unit = units.get_unit(_me(), unit_id)
    filters, _args = _roster_filter(unit)
    return table_response(fmt, *exports.export_roster(_me(), filters, fmt))


# --- offline training -----------------------------------------------------------------------------


def _training_activities(user: User) -> list[Activity]:
    stmt = within_scope(select(Activity), user, Activity.community_id).where(Activity.kind == "training")
    return list(db.session.execute(stmt.order_by(Activity.held_on.desc()).limit(100)).scalars())


@bp.route("/staff/units/<int:unit_id>/offline", methods=["GET", "POST"])
@requires("training.offline")
def offline(unit_id: int) -> Response | tuple[str, int]:
    unit = units.get_unit(_me(), unit_id)
    form = OfflineForm()
    activities = _training_activities(_me())
    form.activity.choices = select_choices((str(a.id), f"{a.held_on} {a.title}") for a in activities)
    form.course.choices = select_choices(
        (c.slug, c.title[current_lang()]) for c in library().courses.values() if c.offline
    )
    people = roster.list_roster(_me(), roster.RosterFilter(unit), 1, roster.MAX_IMPORT_ROWS).items
    form.members.choices = select_choices((str(m.id), f"{m.name} · {role_name(m.role)}") for m in people)

    def page(_error: DomainError | None = None) -> tuple[str, int]:
        return render_template("training/offline.html", unit=unit, form=form, activities=activities), 422

    on_refusal(page, form)
    if form.validate_on_submit():
        activity = get_in_scope(_me(), Activity, int(form.activity.data))
        course = library().courses[form.course.data]
        chosen = {int(i) for i in form.members.data or []}
        issued = certificates.log_offline_training(_me(), activity, course, [m for m in people if m.id in chosen])
        flash(
            ngettext(
                "%(num)s certificate issued for offline training.",
                "%(num)s certificates issued for offline training.",
                len(issued),
            )
        )
        return redirect(url_for(".unit", unit_id=unit.id), code=303)
    return (
        page()
        if form.errors
        else (render_template("training/offline.html", unit=unit, form=form, activities=activities), 200)
    )


# --- reminders -----------------------------------------------------------------------------------


def _horizon() -> int:
    raw = request.args.get("days", "")
    return min(int(raw), MAX_EXPIRING_DAYS) if raw.isdigit() and int(raw) > 0 else EXPIRING_DAYS


@bp.get("/staff/training/expiring")
@requires("roster.export")
def expiring() -> str:
    days, today = _horizon(), local_today()
    rows = certificates.expiring(_me(), today, days)
    return render_template(
        "training/expiring.html", rows=rows, days=days, today=today, until=today + timedelta(days=days)
    )


@bp.get("/staff/training/expiring.<any(csv, xlsx):fmt>")
@requires("roster.export")
def export_expiring(fmt: str) -> Response:
    days = _horizon()
    return table_response(fmt, *exports.export_expiring(_me(), local_today(), days, fmt))
