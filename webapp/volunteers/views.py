"""Staff pages for volunteers, teams and ambassadors, and residents' own registration.

Thin views: check the role, load through the user's scope, call one service
function, commit, render. Lists show masked phones only; the whole number appears on
the detail page for roles allowed to see it, and every such view is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.accounts.models import User
from webapp.accounts.permissions import can, region_in_scope, regions_in_scope, require
from webapp.errors import message
from webapp.exports import FORMATS, table_response
from webapp.extensions import db, limiter, volunteer_signup_rate_limit
from webapp.forms import select_choices
from webapp.i18n import current_lang
from webapp.learn.views import chosen_community
from webapp.regions import service as regions
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.text import is_whole_number, search_terms
from webapp.volunteers import importer
from webapp.volunteers import service as volunteers
from webapp.volunteers.downloads import person_download
from webapp.volunteers.forms import (
    ActionForm,
    EraseForm,
    ImportForm,
    SignupForm,
    TeamForm,
    TrainingForm,
    VolunteerForm,
)
from webapp.volunteers.labels import LABELS, label, labels_of
from webapp.volunteers.models import CONSENT_VERSION, SKILLS, STATUSES, TRANSITIONS, Team, Volunteer
from webapp.volunteers.service import VolunteerError, VolunteerFilter

bp = Blueprint("volunteers", __name__, template_folder="templates")

PER_PAGE = 25
#: filter parameters a list keeps in its links (pages, exports)
FILTER_ARGS = ("region", "team", "status", "skill", "trained", "q")


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"labels": LABELS, "label": label, "labels_of": labels_of, "can": can, "consent_version": CONSENT_VERSION}


def _me() -> User:
    return current_user._get_current_object()


def _volunteer(volunteer_id: int) -> Volunteer:
    return volunteers.get_volunteer(_me(), volunteer_id)


def _show_errors(form: Any, error: VolunteerError, fields: dict[str, str] | None = None) -> list[str]:
    """Put each refusal next to its field; the ones without a field are returned."""
    fields = {"team_id": "team", **(fields or {})}
    loose = []
    for name, code in error.problems.items():
        field = getattr(form, fields.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message(code)] if isinstance(field.errors, list) else [message(code)]
        else:
            loose.append(message(code))
    return loose


# --- the list, filters and exports -------------------------------------------------


def filters_from(args: MultiDict) -> VolunteerFilter:
    """The list filter from query parameters; values that make no sense are ignored."""
    code = (args.get("region") or "").strip()[:32]
    team = args.get("team") or ""
    trained = {"yes": True, "no": False}.get(args.get("trained") or "")
    return VolunteerFilter(
        region=regions.get_region(code) if code else None,
        team_id=int(team) if is_whole_number(team) else None,
        status=args.get("status") if args.get("status") in STATUSES else None,
        skill=args.get("skill") if args.get("skill") in SKILLS else None,
        trained=trained,
        q=search_terms(args.get("q"), 50) or None,
    )


def _filter_args(args: MultiDict) -> dict[str, str]:
    return {name: args[name] for name in FILTER_ARGS if args.get(name)}


def _page() -> int:
    page = request.args.get("page", "1")
    return min(int(page), 100000) if is_whole_number(page) and int(page) > 0 else 1


def _render_index(me: User, filters: VolunteerFilter) -> tuple[str, int]:
    """The list page; a refused search shows its reason above an empty list (and is audited)."""
    page = _page()
    refusal = None
    try:
        items, total = volunteers.list_volunteers(me, filters, page, PER_PAGE)
    except VolunteerError as exc:
        items, total, refusal = [], 0, message(exc.problems["q"])
    db.session.commit()  # the audit entry of a search by phone digits
    ids = [v.id for v in items]
    html = render_template(
        "volunteers/index.html",
        volunteers=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        hours=volunteers.service_hours(ids),
        ambassadors=volunteers.ambassador_ids(ids),
        filters=filters,
        args=_filter_args(request.args),
        region_options=regions_in_scope(me, ("street", *LEAF_LEVELS)),
        teams=db.session.execute(volunteers.teams_query(me)).scalars().all(),
        pending=volunteers.count_pending(me),
        skills=SKILLS,
        statuses=STATUSES,
        review=filters.status == "pending" and can(me, "volunteers.write"),
        refusal=refusal,
    )
    return html, 422 if refusal else 200


@bp.get("/staff/volunteers")
@login_required
def index() -> tuple[str, int]:
    me = _me()
    require(me, "volunteers.read")
    return _render_index(me, filters_from(request.args))


@bp.get("/staff/volunteers/export")
@login_required
def export() -> Response | tuple[str, int]:
    me = _me()
    require(me, "volunteers.export")
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400)
    filters = filters_from(request.args)
    try:
        table = volunteers.export_volunteers(me, filters, fmt, current_lang())
    except VolunteerError:
        return _render_index(me, filters)
    db.session.commit()
    return table_response(fmt, _("volunteers"), table.headers, table.rows)


# --- one volunteer -----------------------------------------------------------------


def _render_detail(
    volunteer: Volunteer,
    training_form: TrainingForm | None = None,
    refusal: str | None = None,
    status: int = 200,
    erase_form: EraseForm | None = None,
) -> tuple[str, int]:
    me = _me()
    phone = volunteers.view_whole_phone(me, volunteer)
    if phone is not None:
        db.session.commit()  # the audit entry of this view
    records = volunteers.service_records(volunteer)
    ambassador = volunteers.ambassador_of(volunteer.community)
    page = render_template(
        "volunteers/detail.html",
        volunteer=volunteer,
        phone=phone,
        records=records,
        service_hours=sum(r.hours for r in records),
        training_hours=sum(t.hours for t in volunteer.trainings),
        ambassador=ambassador,
        is_ambassador=ambassador is not None and ambassador.volunteer_id == volunteer.id,
        actions=[action for action, (before, _after) in TRANSITIONS.items() if before == volunteer.status],
        action_form=ActionForm(formdata=None),
        training_form=training_form or TrainingForm(formdata=None),
        refusal=refusal,
        may_write=can(me, "volunteers.write"),
        erase_form=erase_form or EraseForm(formdata=None),
    )
    return page, status


@bp.get("/staff/volunteers/<int:volunteer_id>")
@login_required
def detail(volunteer_id: int) -> tuple[str, int]:
    require(_me(), "volunteers.read")
    return _render_detail(_volunteer(volunteer_id))


@bp.post("/staff/volunteers/<int:volunteer_id>/status")
@login_required
def change_status(volunteer_id: int) -> Response | tuple[str, int]:
    me = _me()
    require(me, "volunteers.write")
    volunteer = _volunteer(volunteer_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        volunteers.change_status(volunteer, form.action.data or "", me)
    except VolunteerError as exc:
        db.session.rollback()
        return _render_detail(volunteer, refusal=message(next(iter(exc.problems.values()))), status=409)
    db.session.commit()
    flash(_("%(name)s is now %(status)s.", name=volunteer.name, status=label("status", volunteer.status)))
    if request.args.get("back") == "pending":
        return redirect(url_for(".index", status="pending"), code=303)
    return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)


@bp.post("/staff/volunteers/<int:volunteer_id>/trainings")
@login_required
def add_training(volunteer_id: int) -> Response | tuple[str, int]:
    me = _me()
    require(me, "volunteers.write")
    volunteer = _volunteer(volunteer_id)
    form = TrainingForm()
    if form.validate_on_submit():
        try:
            volunteers.add_training(
                volunteer, form.course.data, float(form.hours.data), form.held_on.data, form.certified.data, me
            )
        except VolunteerError as exc:
            db.session.rollback()
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Training recorded."))
            return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)
    return _render_detail(volunteer, training_form=form, status=422)


@bp.post("/staff/volunteers/<int:volunteer_id>/ambassador")
@login_required
def designate(volunteer_id: int) -> Response | tuple[str, int]:
    me = _me()
    require(me, "volunteers.write")
    volunteer = _volunteer(volunteer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        volunteers.designate_ambassador(volunteer.community, volunteer, me)
    except VolunteerError as exc:
        db.session.rollback()
        return _render_detail(volunteer, refusal=message(next(iter(exc.problems.values()))), status=422)
    db.session.commit()
    community = volunteer.community.name(current_lang())
    flash(_("%(name)s is now the fire-safety ambassador of %(community)s.", name=volunteer.name, community=community))
    return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)


# --- personal data: erasure and a person's export ------------------------------------


@bp.post("/staff/volunteers/<int:volunteer_id>/erase")
@login_required
def erase(volunteer_id: int) -> Response | tuple[str, int]:
    me = _me()
    require(me, "volunteers.erase")
    volunteer = _volunteer(volunteer_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _render_detail(volunteer, erase_form=form, status=422)
    volunteers.erase_volunteer(volunteer, me, form.reason.data or "")
    db.session.commit()
    flash(_("The volunteer's personal data was erased; their trainings and service hours still count."))
    return redirect(url_for(".index"), code=303)


@bp.get("/staff/volunteers/<int:volunteer_id>/export")
@login_required
def person_export(volunteer_id: int) -> Response:
    me = _me()
    require(me, "volunteers.person_export")
    volunteer = _volunteer(volunteer_id)
    fmt = request.args.get("format", "json")
    if fmt not in volunteers.PERSON_EXPORT_FORMATS:
        abort(400)
    data = volunteers.person_export(me, volunteer, fmt, current_lang())
    db.session.commit()
    return person_download(fmt, data, volunteer.id)


# --- registering and editing -------------------------------------------------------


def _community_choices(me: User) -> list:
    return select_choices(
        [("", "—")] + [(r.code, f"{r.name(current_lang())} ({r.code})") for r in regions_in_scope(me, LEAF_LEVELS)]
    )


def _team_choices(me: User) -> list:
    teams = db.session.execute(volunteers.teams_query(me)).scalars().all()
    return select_choices([("", "—")] + [(str(t.id), f"{t.name} · {t.region.name(current_lang())}") for t in teams])


def _staff_form(me: User, volunteer: Volunteer | None = None) -> VolunteerForm:
    form = VolunteerForm(obj=volunteer if request.method == "GET" else None)
    form.community.choices = _community_choices(me)
    form.team.choices = _team_choices(me)
    if request.method == "GET" and volunteer is not None:
        form.community.data = volunteer.community.code
        form.team.data = str(volunteer.team_id or "")
        form.gender.data = volunteer.gender or ""
        form.availability.data = volunteer.availability or ""
        form.birth_year.data = str(volunteer.birth_year or "")
        form.guardian_consent.data = volunteer.guardian_consent_at is not None
    return form


def _form_community(me: User, form: VolunteerForm) -> Region | None:
    region = regions.get_region(form.community.data or "")
    return region if region is not None and region_in_scope(me, region) else None


def _duplicate(me: User, error: VolunteerError) -> dict[str, Any] | None:
    """What the page may say about the volunteer already registered with this phone."""
    existing = error.existing
    if existing is None:
        return None
    inside = region_in_scope(me, existing.community)
    return {"volunteer": existing if inside else None, "community": existing.community.name(current_lang())}


@bp.route("/staff/volunteers/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str:
    me = _me()
    require(me, "volunteers.write")
    form = _staff_form(me)
    duplicate = None
    if form.validate_on_submit():
        try:
            volunteer = volunteers.register_volunteer(form.volunteer_data(), _form_community(me, form), "staff", me)
        except VolunteerError as exc:
            db.session.rollback()
            _show_errors(form, exc)
            duplicate = _duplicate(me, exc)
        else:
            db.session.commit()
            flash(_("Volunteer %(name)s registered.", name=volunteer.name))
            return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)
    return render_template("volunteers/form.html", form=form, volunteer=None, duplicate=duplicate)


@bp.route("/staff/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(volunteer_id: int) -> Response | str:
    me = _me()
    require(me, "volunteers.write")
    volunteer = _volunteer(volunteer_id)
    form = _staff_form(me, volunteer)
    duplicate = None
    if request.method == "GET":
        # the form shows the whole number, so this is a view of it like the detail page
        volunteers.view_whole_phone(me, volunteer)
        db.session.commit()
    if form.validate_on_submit():
        try:
            volunteers.update_volunteer(volunteer, form.volunteer_data(), _form_community(me, form), me)
        except VolunteerError as exc:
            db.session.rollback()
            _show_errors(form, exc)
            duplicate = _duplicate(me, exc)
        else:
            db.session.commit()
            flash(_("Changes saved."))
            return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)
    return render_template("volunteers/form.html", form=form, volunteer=volunteer, duplicate=duplicate)


# --- teams ---------------------------------------------------------------------------


@bp.route("/staff/teams", methods=["GET", "POST"])
@login_required
def teams() -> Response | str:
    me = _me()
    require(me, "volunteers.read")
    form = TeamForm()
    form.region.choices = select_choices(
        [("", "—")]
        + [(r.code, f"{r.name(current_lang())} ({r.code})") for r in regions_in_scope(me, volunteers.TEAM_LEVELS)]
    )
    if request.method == "POST":
        require(me, "volunteers.write")
        if form.validate_on_submit():
            region = regions.get_region(form.region.data or "")
            try:
                if region is None or not region_in_scope(me, region):
                    raise VolunteerError({"region": "team_region_level"})
                team = volunteers.create_team(form.name.data or "", region, me)
            except VolunteerError as exc:
                db.session.rollback()
                _show_errors(form, exc)
            else:
                db.session.commit()
                flash(_("Team %(name)s created.", name=team.name))
                return redirect(url_for(".teams"), code=303)
    listed = db.session.execute(volunteers.teams_query(me).options(selectinload(Team.region))).scalars().all()
    return render_template(
        "volunteers/teams.html",
        form=form,
        teams=listed,
        sizes=volunteers.team_sizes(t.id for t in listed),
        may_write=can(me, "volunteers.write"),
    )


# --- import --------------------------------------------------------------------------


@bp.route("/staff/volunteers/import", methods=["GET", "POST"])
@login_required
def import_file() -> Response | tuple[str, int]:
    me = _me()
    require(me, "volunteers.write")
    form = ImportForm()
    problems: list[tuple[int, str, str]] = []
    missing: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = importer.read_file(upload.filename or "", upload.read())
            added = volunteers.import_volunteers(rows, me)
        except importer.ImportFileError as exc:
            db.session.rollback()
            problems = [(1, "", message(exc.code))]
            missing = [str(name) for key, name in importer.COLUMNS if key in exc.columns]
        except volunteers.VolunteerImportError as exc:
            db.session.rollback()
            names = {key: str(name) for key, name in importer.COLUMNS}
            problems = [(line, names.get(field, ""), message(code)) for line, field, code in exc.problems]
        else:
            db.session.commit()
            flash(ngettext("%(num)s volunteer imported.", "%(num)s volunteers imported.", len(added)))
            return redirect(url_for(".index"), code=303)
    status = 422 if problems or form.errors else 200
    page = render_template(
        "volunteers/import.html",
        form=form,
        problems=problems,
        missing=missing,
        columns=importer.COLUMNS,
        required=importer.REQUIRED,
    )
    return page, status


@bp.get("/staff/volunteers/import/template.csv")
@login_required
def import_template() -> Response:
    require(_me(), "volunteers.write")
    return table_response("csv", _("volunteer-import-template"), importer.template_headers(), [])


# --- residents register themselves ---------------------------------------------------


def _signup_community(form: SignupForm) -> Region | None:
    code = (form.community.data if request.method == "POST" else request.args.get("community")) or ""
    region = regions.get_region(code.strip()[:32]) if code else None
    if region is not None and region.is_leaf:
        return region
    return chosen_community() if request.method == "GET" or not code else None


@bp.route("/volunteer", methods=["GET", "POST"])
@limiter.limit(
    volunteer_signup_rate_limit, methods=["POST"], key_func=lambda: f"volunteer-signup:{get_remote_address()}"
)
def signup() -> Response | str:
    """A resident registers as a volunteer; staff of their community review it."""
    form = SignupForm()
    community = _signup_community(form)
    query = search_terms(request.args.get("q"), 50)
    found, total = regions.search_regions(query, LEAF_LEVELS, limit=20) if query else ([], 0)
    refusal = None
    if form.validate_on_submit():
        try:
            # a phone registered already is answered like a new one (see sign_up)
            volunteers.sign_up(form.volunteer_data(), community)
        except VolunteerError as exc:
            db.session.rollback()
            if exc.problems.pop("community", None):
                refusal = message("community_required")
            _show_errors(form, exc)
        else:
            db.session.commit()
            return redirect(url_for(".signup_done"), code=303)
    if community is not None:
        form.community.data = community.code
    return render_template(
        "volunteers/signup.html",
        form=form,
        community=community,
        query=query,
        found=found,
        total=total,
        refusal=refusal,
        changing=bool(request.args.get("change")),
    )


@bp.get("/volunteer/thanks")
def signup_done() -> str:
    return render_template("volunteers/signup_done.html")
