"""Staff pages for volunteers, teams and ambassadors, and residents' own registration.

Thin views: declare the ability, load through the user's scope, say which page shows a
refusal, call one service function, render; the request commits. Lists show masked phones
only; the whole number appears on the detail page for roles allowed to see it, and every
such view is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.accounts.models import User
from webapp.accounts.permissions import can, find_region, regions_in_scope, requires
from webapp.errors import DomainError, message, on_refusal
from webapp.exports import FORMATS, table_response
from webapp.extensions import db, limiter, volunteer_signup_rate_limit
from webapp.forms import select_choices
from webapp.i18n import current_lang
from webapp.learn.views import chosen_community
from webapp.paging import page_number
from webapp.person_data import person_download
from webapp.regions import service as regions
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.text import search_terms
from webapp.volunteers import importer, listing
from webapp.volunteers import service as volunteers
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

bp = Blueprint("volunteers", __name__, template_folder="templates")

PER_PAGE = 25


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {"labels": LABELS, "label": label, "labels_of": labels_of, "can": can, "consent_version": CONSENT_VERSION}


def _me() -> User:
    return current_user._get_current_object()


def _volunteer(volunteer_id: int) -> Volunteer:
    return volunteers.get_volunteer(_me(), volunteer_id)


# --- the list, filters and exports -------------------------------------------------


def _filter_args(args: MultiDict) -> dict[str, str]:
    """The filters a list keeps in its links (pages, exports)."""
    return {name: args[name] for name in listing.FILTER_ARGS if args.get(name)}


def _render_index(me: User, found: listing.VolunteerList, refusals: list[str] | None = None) -> str:
    """The list page; a refused search shows its reasons above an empty list."""
    filters, page = found.filters, found.page
    return render_template(
        "volunteers/index.html",
        volunteers=page.items,
        total=page.total,
        page=page.number,
        pages=page.pages,
        hours=found.hours,
        ambassadors=found.ambassadors,
        filters=filters,
        args=_filter_args(request.args),
        region_options=regions_in_scope(me, ("street", *LEAF_LEVELS)),
        teams=db.session.execute(volunteers.teams_query(me)).scalars().all(),
        pending=volunteers.count_pending(me),
        skills=SKILLS,
        statuses=STATUSES,
        review=filters.status == "pending" and can(me, "volunteers.write"),
        refusals=refusals or [],
    )


def _list_page_on_refusal(me: User) -> None:
    """A refused search (or an unknown area) shows the list page, empty, with the reason (422)."""

    def render(error: DomainError) -> str:
        return _render_index(me, listing.nobody(listing.asked_filter(request.args), PER_PAGE), error.loose)

    on_refusal(render)


@bp.get("/staff/volunteers")
@requires("volunteers.read")
def index() -> str:
    me = _me()
    _list_page_on_refusal(me)
    return _render_index(me, listing.list_volunteers(me, request.args, page_number(request.args.get("page")), PER_PAGE))


@bp.get("/staff/volunteers/export")
@requires("volunteers.export")
def export() -> Response:
    me = _me()
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400)
    _list_page_on_refusal(me)
    table = listing.export_table(me, request.args, fmt, current_lang())
    return table_response(fmt, _("volunteers"), table.headers, table.rows)


# --- one volunteer -----------------------------------------------------------------


def _render_detail(
    volunteer: Volunteer,
    training_form: TrainingForm | None = None,
    refusals: list[str] | None = None,
    erase_form: EraseForm | None = None,
) -> str:
    me = _me()
    phone = volunteers.view_whole_phone(me, volunteer)
    if phone is not None:
        db.session.commit()  # the view's audit entry stays when this page answers a refusal (rolled back)
    records = volunteers.service_records(volunteer)
    ambassador = volunteers.ambassador_of(volunteer.community)
    return render_template(
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
        refusals=refusals or [],
        may_write=can(me, "volunteers.write"),
        erase_form=erase_form or EraseForm(formdata=None),
    )


@bp.get("/staff/volunteers/<int:volunteer_id>")
@requires("volunteers.read")
def detail(volunteer_id: int) -> str:
    return _render_detail(_volunteer(volunteer_id))


@bp.post("/staff/volunteers/<int:volunteer_id>/status")
@requires("volunteers.write")
def change_status(volunteer_id: int) -> Response:
    volunteer = _volunteer(volunteer_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    # every refused move is a conflict with the volunteer's current status, as the page has shown it
    on_refusal(lambda error: (_render_detail(volunteer, refusals=error.loose), 409))
    volunteers.change_status(volunteer, form.action.data or "", _me())
    flash(_("%(name)s is now %(status)s.", name=volunteer.name, status=label("status", volunteer.status)))
    if request.args.get("back") == "pending":
        return redirect(url_for(".index", status="pending"), code=303)
    return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)


@bp.post("/staff/volunteers/<int:volunteer_id>/trainings")
@requires("volunteers.write")
def add_training(volunteer_id: int) -> Response | tuple[str, int]:
    volunteer = _volunteer(volunteer_id)
    form = TrainingForm()
    on_refusal(lambda error: _render_detail(volunteer, training_form=form), form)
    if form.validate_on_submit():
        volunteers.add_training(
            volunteer, form.course.data, float(form.hours.data), form.held_on.data, form.certified.data, _me()
        )
        flash(_("Training recorded."))
        return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)
    return _render_detail(volunteer, training_form=form), 422


@bp.post("/staff/volunteers/<int:volunteer_id>/ambassador")
@requires("volunteers.write")
def designate(volunteer_id: int) -> Response:
    volunteer = _volunteer(volunteer_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda error: _render_detail(volunteer, refusals=error.loose))
    volunteers.designate_ambassador(volunteer.community, volunteer, _me())
    community = volunteer.community.name(current_lang())
    flash(_("%(name)s is now the fire-safety ambassador of %(community)s.", name=volunteer.name, community=community))
    return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)


# --- personal data: erasure and a person's export ------------------------------------


@bp.post("/staff/volunteers/<int:volunteer_id>/erase")
@requires("volunteers.erase")
def erase(volunteer_id: int) -> Response | tuple[str, int]:
    volunteer = _volunteer(volunteer_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _render_detail(volunteer, erase_form=form), 422
    volunteers.erase_volunteer(volunteer, _me(), form.reason.data or "")
    flash(_("The volunteer's personal data was erased; their trainings and service hours still count."))
    return redirect(url_for(".index"), code=303)


@bp.get("/staff/volunteers/<int:volunteer_id>/export")
@requires("volunteers.person_export")
def person_export(volunteer_id: int) -> Response:
    volunteer = _volunteer(volunteer_id)
    fmt = request.args.get("format", "json")
    if fmt not in volunteers.PERSON_EXPORT_FORMATS:
        abort(400)
    data = volunteers.person_export(_me(), volunteer, fmt, current_lang())
    return person_download(fmt, data, f"volunteer-{volunteer.id}")


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
    # the choices are the user's communities, so a chosen one is in scope; none chosen is the service's to refuse
    return find_region(me, form.community.data, LEAF_LEVELS) if form.community.data else None


def _duplicate(me: User, error: DomainError | None) -> dict[str, Any] | None:
    """What the page may say about the volunteer already registered with this phone."""
    existing = getattr(error, "existing", None)
    if error is None or existing is None:
        return None
    # named only to a user whose scope holds them, as the API names their id
    inside = "existing_id" in error.details(me)
    return {"volunteer": existing if inside else None, "community": existing.community.name(current_lang())}


def _render_form(
    me: User, form: VolunteerForm, volunteer: Volunteer | None, error: DomainError | None = None
) -> tuple[str, int]:
    # a refused form answers 200 like one the form itself refused: the person corrects it there
    page = render_template("volunteers/form.html", form=form, volunteer=volunteer, duplicate=_duplicate(me, error))
    return page, 200


@bp.route("/staff/volunteers/new", methods=["GET", "POST"])
@requires("volunteers.write")
def new() -> Response | tuple[str, int]:
    me = _me()
    form = _staff_form(me)
    on_refusal(lambda error: _render_form(me, form, None, error), form, team_id="team")
    if form.validate_on_submit():
        volunteer = volunteers.register_volunteer(form.volunteer_data(), _form_community(me, form), "staff", me)
        flash(_("Volunteer %(name)s registered.", name=volunteer.name))
        return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)
    return _render_form(me, form, None)


@bp.route("/staff/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@requires("volunteers.write")
def edit(volunteer_id: int) -> Response | tuple[str, int]:
    me = _me()
    volunteer = _volunteer(volunteer_id)
    form = _staff_form(me, volunteer)
    if request.method == "GET":
        # the form shows the whole number, so this is a view of it like the detail page
        volunteers.view_whole_phone(me, volunteer)
    on_refusal(lambda error: _render_form(me, form, volunteer, error), form, team_id="team")
    if form.validate_on_submit():
        volunteers.update_volunteer(volunteer, form.volunteer_data(), _form_community(me, form), me)
        flash(_("Changes saved."))
        return redirect(url_for(".detail", volunteer_id=volunteer.id), code=303)
    return _render_form(me, form, volunteer)


# --- teams ---------------------------------------------------------------------------


def _team_form(me: User) -> TeamForm:
    form = TeamForm()
    form.region.choices = select_choices(
        [("", "—")]
        + [(r.code, f"{r.name(current_lang())} ({r.code})") for r in regions_in_scope(me, volunteers.TEAM_LEVELS)]
    )
    return form


def _render_teams(me: User, form: TeamForm) -> tuple[str, int]:
    listed = db.session.execute(volunteers.teams_query(me).options(selectinload(Team.region))).scalars().all()
    page = render_template(
        "volunteers/teams.html",
        form=form,
        teams=listed,
        sizes=volunteers.team_sizes(t.id for t in listed),
        may_write=can(me, "volunteers.write"),
    )
    # a refused team answers 200 like a form the form itself refused: the person corrects it there
    return page, 200


@bp.get("/staff/teams")
@requires("volunteers.read")
def teams() -> tuple[str, int]:
    me = _me()
    return _render_teams(me, _team_form(me))


@bp.post("/staff/teams")
@requires("volunteers.write")
def create_team() -> Response | tuple[str, int]:
    me = _me()
    form = _team_form(me)
    on_refusal(lambda error: _render_teams(me, form), form)
    if form.validate_on_submit():
        # the choices are the user's streets and communities, so the chosen one is in scope
        team = volunteers.create_team(
            form.name.data or "", find_region(me, form.region.data, volunteers.TEAM_LEVELS), me
        )
        flash(_("Team %(name)s created.", name=team.name))
        return redirect(url_for(".teams"), code=303)
    return _render_teams(me, form)


# --- import --------------------------------------------------------------------------


def _render_import(form: ImportForm, error: DomainError | None = None) -> str:
    """The import page; a refused file lists every faulty line (the file's own faults on line 1)."""
    names = {key: str(name) for key, name in importer.COLUMNS}
    faults = error.problems if isinstance(error, volunteers.VolunteerImportError) else []
    missing = getattr(error, "columns", [])
    return render_template(
        "volunteers/import.html",
        form=form,
        problems=[(line, names.get(field, ""), message(code)) for line, field, code in faults],
        missing=[name for key, name in names.items() if key in missing],
        columns=importer.COLUMNS,
        required=importer.REQUIRED,
    )


@bp.route("/staff/volunteers/import", methods=["GET", "POST"])
@requires("volunteers.write")
def import_file() -> Response | tuple[str, int]:
    form = ImportForm()
    on_refusal(lambda error: _render_import(form, error))
    if form.validate_on_submit():
        upload = form.file.data
        added = volunteers.import_file(upload.filename or "", upload.read(), _me())
        flash(ngettext("%(num)s volunteer imported.", "%(num)s volunteers imported.", len(added)))
        return redirect(url_for(".index"), code=303)
    return _render_import(form), 422 if form.errors else 200


@bp.get("/staff/volunteers/import/template.csv")
@requires("volunteers.write")
def import_template() -> Response:
    return table_response("csv", _("volunteer-import-template"), importer.template_headers(), [])


# --- residents register themselves ---------------------------------------------------


def _signup_community(form: SignupForm) -> Region | None:
    code = (form.community.data if request.method == "POST" else request.args.get("community")) or ""
    region = regions.get_region(code.strip()[:32]) if code else None
    if region is not None and region.is_leaf:
        return region
    return chosen_community() if request.method == "GET" or not code else None


def _render_signup(form: SignupForm, community: Region | None, error: DomainError | None = None) -> tuple[str, int]:
    query = search_terms(request.args.get("q"), 50)
    found, total = regions.search_regions(query, LEAF_LEVELS, limit=20) if query else ([], 0)
    if community is not None:
        form.community.data = community.code
    page = render_template(
        "volunteers/signup.html",
        form=form,
        community=community,
        query=query,
        found=found,
        total=total,
        refusal=message("community_required") if error is not None and "community" in error.fields else None,
        changing=bool(request.args.get("change")),
    )
    # a refused registration answers 200 like a form the form itself refused: the resident corrects it there
    return page, 200


@bp.route("/volunteer", methods=["GET", "POST"])
@limiter.limit(
    volunteer_signup_rate_limit, methods=["POST"], key_func=lambda: f"volunteer-signup:{get_remote_address()}"
)
def signup() -> Response | tuple[str, int]:
    """A resident registers as a volunteer; staff of their community review it."""
    form = SignupForm()
    community = _signup_community(form)
    on_refusal(lambda error: _render_signup(form, community, error), form)
    if form.validate_on_submit():
        # a phone registered already is answered like a new one (see sign_up)
        volunteers.sign_up(form.volunteer_data(), community)
        return redirect(url_for(".signup_done"), code=303)
    return _render_signup(form, community)


@bp.get("/volunteer/thanks")
def signup_done() -> str:
    return render_template("volunteers/signup_done.html")
