"""Targets: organizers in scope set them per region, indicator and period, or import a CSV."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.accounts.permissions import requires
from webapp.errors import DomainError, message, on_refusal
from webapp.extensions import db
from webapp.forms import Form, select_choices
from webapp.regions.models import Region
from webapp.stats import targets as target_service
from webapp.stats.labels import indicator_label
from webapp.stats.models import Target
from webapp.stats.periods import current_period
from webapp.stats.views import chosen_region, stats_helpers

bp = Blueprint("targets", __name__, template_folder="templates")
bp.context_processor(stats_helpers)


class TargetForm(Form):
    #: choices: every target indicator, the roles' training rates among them, set by ``target_form``
    indicator = SelectField(_l("Indicator"))
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=9)])
    value = StringField(
        _l("Target (a percentage such as 80%, or a number of volunteers)"), validators=[DataRequired(), Length(max=20)]
    )


def target_form() -> TargetForm:
    form = TargetForm()
    form.indicator.choices = select_choices((k, indicator_label(k)) for k in target_service.target_indicators())
    return form


class TargetImportForm(Form):
    file = FileField(_l("CSV file"))


def _targets_page(
    region: Region, form: TargetForm, import_form: TargetImportForm, problems: Sequence[tuple[int, str]] = ()
) -> str:
    """The region's targets, in force and its own, with the form and the import form."""
    own = db.session.execute(
        select(Target).where(Target.region_id == region.id).order_by(Target.period, Target.indicator)
    ).scalars()
    return render_template(
        "stats/targets.html",
        region=region,
        form=form,
        own=list(own),
        effective=target_service.targets_for(region, current_period()),
        import_form=import_form,
        problems=[(line, message(reason)) for line, reason in problems],
    )


@bp.route("/staff/targets", methods=["GET", "POST"])
@requires("targets.write")
def targets() -> Response | str:
    region = chosen_region()
    form = target_form()
    if request.method == "GET":
        form.period.data = current_period("plan").key

    if form.validate_on_submit():
        # a refused target is shown beside its field and answered 200, as a form WTForms refuses is
        on_refusal(lambda _error: (_targets_page(region, form, TargetImportForm()), 200), form)
        value = target_service.parse_value(form.indicator.data, form.value.data)
        target_service.set_target_by(current_user, region, form.indicator.data, form.period.data, value)
        flash(_("Target saved."))
        return redirect(url_for(".targets", region=region.code))
    return _targets_page(region, form, TargetImportForm())


@bp.post("/staff/targets/import")
@requires("targets.write")
def import_targets() -> Response | str:
    region = chosen_region()
    form = TargetImportForm()

    def page(error: DomainError) -> str:
        problems = error.problems if isinstance(error, target_service.TargetImportError) else [(1, error.code)]
        return _targets_page(region, target_form(), form, problems)

    on_refusal(page)
    upload = request.files.get("file") if form.validate_on_submit() else None
    count = target_service.import_targets_file(upload.read() if upload else None, current_user, region)
    flash(_("%(num)s targets imported.", num=count))
    return redirect(url_for(".targets", region=region.code))
