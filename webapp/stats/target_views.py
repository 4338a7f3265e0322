"""Targets: organizers in scope set them per region, indicator and period, or import a CSV."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.accounts.permissions import region_in_scope, require
from webapp.audit.service import record
from webapp.clock import local_today
from webapp.errors import message
from webapp.extensions import db
from webapp.forms import Form, select_choices
from webapp.stats import targets as target_service
from webapp.stats.labels import INDICATOR_LABELS
from webapp.stats.models import Target
from webapp.stats.periods import period_of
from webapp.stats.views import chosen_region, stats_helpers

bp = Blueprint("targets", __name__, template_folder="templates")
bp.context_processor(stats_helpers)


class TargetForm(Form):
    indicator = SelectField(
        _l("Indicator"), choices=select_choices((k, INDICATOR_LABELS[k]) for k in target_service.TARGET_INDICATORS)
    )
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=9)])
    value = StringField(
        _l("Target (a percentage such as 80%, or a number of volunteers)"), validators=[DataRequired(), Length(max=20)]
    )


class TargetImportForm(Form):
    file = FileField(_l("CSV file"))


@bp.route("/staff/targets", methods=["GET", "POST"])
@login_required
def targets() -> Response | str:
    require(current_user, "targets.write")
    region = chosen_region()
    form = TargetForm()
    if request.method == "GET":
        form.period.data = period_of(local_today(), "plan").key
    if form.validate_on_submit():
        try:
            value = target_service.parse_value(form.indicator.data, form.value.data)
            target = target_service.set_target(region, form.indicator.data, form.period.data, value, current_user.id)
        except target_service.TargetError as exc:
            field = {"unknown_period": form.period}.get(exc.code, form.value)
            field.errors.append(message(exc.code))
        except ValueError:
            form.value.errors.append(message("bad_number"))
        else:
            record(
                current_user,
                "target.set",
                target,
                details={
                    "region": region.code,
                    "indicator": target.indicator,
                    "period": target.period,
                    "value": target.value,
                },
            )
            db.session.commit()
            flash(_("Target saved."))
            return redirect(url_for(".targets", region=region.code))
    own = (
        db.session.execute(
            select(Target).where(Target.region_id == region.id).order_by(Target.period, Target.indicator)
        )
        .scalars()
        .all()
    )
    effective = target_service.targets_for(region, period_of(local_today(), "month"))
    return render_template(
        "stats/targets.html",
        region=region,
        form=form,
        own=own,
        effective=effective,
        import_form=TargetImportForm(),
        problems=[],
    )


@bp.post("/staff/targets/import")
@login_required
def import_targets() -> Response | str:
    require(current_user, "targets.write")
    region = chosen_region()
    form = TargetImportForm()
    problems: list[tuple[int, str]] = []
    upload = request.files.get("file")
    if form.validate_on_submit() and upload:
        try:
            rows = target_service.read_targets_csv(upload.read().decode("utf-8-sig"))
            count = target_service.import_targets(rows, lambda r: region_in_scope(current_user, r), current_user.id)
        except UnicodeDecodeError:
            problems = [(1, message("not_utf8"))]
        except target_service.TargetImportError as exc:
            db.session.rollback()
            problems = [(line, message(reason)) for line, reason in exc.problems]
        else:
            record(current_user, "target.import", details={"region": region.code}, row_count=count)
            db.session.commit()
            flash(_("%(num)s targets imported.", num=count))
            return redirect(url_for(".targets", region=region.code))
    else:
        problems = [(1, message("file_required"))]
    own = db.session.execute(select(Target).where(Target.region_id == region.id)).scalars().all()
    effective = target_service.targets_for(region, period_of(local_today(), "month"))
    return render_template(
        "stats/targets.html",
        region=region,
        form=TargetForm(),
        own=own,
        effective=effective,
        import_form=form,
        problems=problems,
    ), 422
