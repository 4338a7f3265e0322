"""Sign-in, the staff workspace and account management."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from webapp.accounts import service as accounts
from webapp.accounts.forms import ROLE_NAMES, LoginForm, PasswordChangeForm, UserForm
from webapp.accounts.models import User
from webapp.accounts.permissions import can, requires
from webapp.accounts.redirects import same_site_path
from webapp.accounts.throttle import sign_in_limited
from webapp.errors import on_refusal
from webapp.extensions import db, login_manager
from webapp.forms import Form, select_choices
from webapp.regions import service as regions
from webapp.regions.models import Region

bp = Blueprint("accounts", __name__, template_folder="templates")

#: the workspace tiles: (endpoint, label, ability); a tile shows only if both exist and are allowed
WORKSPACE_LINKS = [
    ("volunteers.index", _l("Volunteers"), "volunteers.read"),
    ("volunteers.teams", _l("Volunteer teams"), "volunteers.read"),
    ("campaigns.activities", _l("Campaign activities"), "activities.read"),
    ("campaigns.posters", _l("QR code posters"), "activities.read"),
    ("training.unit_list", _l("Training units and rosters"), "units.read"),
    ("training.expiring", _l("Certificates expiring soon"), "roster.export"),
    ("stats.dashboard", _l("Figures and targets"), "stats.read"),
    ("monitoring.waves", _l("Monitoring waves"), "waves.manage"),
    ("monitoring.assignments", _l("My interviews"), "interviews.run"),
    ("targets.targets", _l("Set targets"), "targets.write"),
    ("audit.log", _l("Audit log"), "audit.read"),
    ("accounts.users", _l("Accounts"), "users.manage"),
]


def workspace_links() -> list[tuple[str, str, str]]:
    return [
        (endpoint, label, ability)
        for endpoint, label, ability in WORKSPACE_LINKS
        if endpoint in current_app.view_functions and can(current_user, ability)
    ]


def role_label(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def init_accounts(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "strong"
    app.jinja_env.globals.update(workspace_links=workspace_links, role_label=role_label)
    app.register_blueprint(bp)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return accounts.user_for_session(session_id)


def _next_page() -> str:
    return same_site_path(request.args.get("next")) or url_for("accounts.workspace")


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limited(lambda: request.form.get("username"))
def login() -> Response | str:
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.sign_in(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_next_page())
        form.password.errors.append(_("Wrong username or password."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@requires()
def logout() -> Response:
    # the session cookie is signed, not stored: only a new epoch makes copies of it worthless
    current_user.end_sessions()
    logout_user()
    return redirect(url_for("learn.home"))


@bp.get("/staff")
@requires()
def workspace() -> str:
    return render_template("accounts/workspace.html")


def _show_again_if_refused(form: Form, page: Callable[[], str]) -> None:
    """Should the service refuse, ``page()`` is shown again with each message beside its field, answered 200."""
    on_refusal(lambda _error: (page(), 200), form)


@bp.route("/staff/password", methods=["GET", "POST"])
@requires()
def change_password() -> Response | str:
    form = PasswordChangeForm()

    def page() -> str:
        return render_template("accounts/password.html", form=form)

    if form.validate_on_submit():
        _show_again_if_refused(form, page)
        user = current_user._get_current_object()
        accounts.change_own_password(
            user, form.current_password.data, form.new_password.data, form.new_password_again.data
        )
        login_user(user)  # this browser stays signed in under the new epoch; the others do not
        flash(_("Your password was changed. Your other sessions and API tokens have been signed out."))
        return redirect(url_for(".workspace"), code=303)
    return page()


def _scope_choices() -> list[SelectChoice]:
    regions_ = db.session.execute(
        select(Region)
        .where(Region.level.in_(["city", "district", "street", "community", "village"]))
        .order_by(Region.path)
    ).scalars()
    return select_choices(
        [("", "—")] + [(r.code, f"{'　' * (r.path.count('/') - 2)}{r.name_zh} ({r.code})") for r in regions_]
    )


def _account_form(obj: User | None = None) -> UserForm:
    form = UserForm(obj=obj)
    form.scope.choices = _scope_choices()
    return form


def _chosen_scope(form: UserForm) -> Region | None:
    # one of the form's own choices, which list every region an account may be responsible for
    return regions.get_region(form.scope.data) if form.scope.data else None


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("users.manage")
def users() -> Response | str:
    form = _account_form()

    def page() -> str:
        listed = db.session.execute(select(User).order_by(User.role, User.username)).scalars()
        return render_template("accounts/users.html", form=form, users=list(listed))

    if form.validate_on_submit():
        _show_again_if_refused(form, page)
        fields = (form.username.data, form.display_name.data or "", form.password.data or "", form.role.data)
        accounts.open_account(current_user, *fields, _chosen_scope(form))
        flash(_("Account created."))
        return redirect(url_for(".users"))
    return page()


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("users.manage")
def edit_user(user_id: int) -> Response | str:
    user = db.session.get(User, user_id) or abort(404)
    form = _account_form(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.scope.data = user.scope.code if user.scope else ""

    def page() -> str:
        return render_template("accounts/edit_user.html", form=form, user=user)

    if form.validate_on_submit():
        _show_again_if_refused(form, page)
        fields = (form.display_name.data or "", form.role.data, _chosen_scope(form), form.active.data)
        accounts.update_user(user, *fields, form.password.data or None, by=current_user)
        if user.id == current_user.id and user.active:
            login_user(user)  # an admin changing their own password keeps this session
        flash(_("Account saved."))
        return redirect(url_for(".users"))
    return page()


@bp.post("/admin/users/<int:user_id>/sign-out")
@requires("users.manage")
def sign_out_user(user_id: int) -> Response:
    """End every session and API token of an account, e.g. after a lost phone."""
    user = db.session.get(User, user_id) or abort(404)
    accounts.sign_out_everywhere(user, by=current_user)
    flash(_("%(name)s has been signed out on every device.", name=user.username))
    return redirect(url_for(".edit_user", user_id=user.id), code=303)
