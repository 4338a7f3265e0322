"""Monitoring pages: organizers set up waves and read their progress and estimates; interviewers
run interviews on a phone; a person sampled for the online mode answers with an invitation code."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from quizzes.service import served_questions
from webapp.accounts.permissions import find_region, public, regions_in_scope, requires
from webapp.errors import message, on_refusal
from webapp.extensions import db, limiter
from webapp.forms import select_choices
from webapp.i18n import current_lang
from webapp.learn.views import library, parse_choices
from webapp.monitoring import interviews as fieldwork
from webapp.monitoring import labels
from webapp.monitoring import waves as setup
from webapp.monitoring.estimates import wave_estimates
from webapp.monitoring.forms import InterviewForm, InvitationsForm, InvitedForm, WaveForm
from webapp.monitoring.models import Interview, Interviewer
from webapp.monitoring.progress import wave_progress
from webapp.monitoring.quality import QualityRules
from webapp.regions.margins import age_bands, margins_of
from webapp.regions.models import Region

bp = Blueprint("monitoring", __name__, template_folder="templates")

#: regions a wave may survey: a whole city, district or street
WAVE_LEVELS = ("city", "district", "street")


@bp.context_processor
def _labels() -> dict:
    return {"labels": labels, "part_label": _part_label, "message": message}


def _part_label(key: str) -> str:
    """ "dimension:escape" or "topic:e-bikes" in the reader's language."""
    kind, _sep, slug = key.partition(":")
    taxonomy = library().catalog.taxonomy
    tags = taxonomy.dimensions if kind == "dimension" else taxonomy.topics
    return tags[slug].name(current_lang()) if slug in tags else slug


def _region_choices(regions: list[Region]) -> list[tuple[str, str]]:
    return [(r.code, f"{r.name(current_lang())} ({r.code})") for r in regions]


# --- organizers --------------------------------------------------------------------


@bp.get("/staff/waves")
@requires("waves.manage")
def waves() -> str:
    found = list(db.session.execute(setup.waves_in_scope(current_user)).scalars())
    return render_template("monitoring/waves.html", waves=found)


@bp.route("/staff/waves/new", methods=["GET", "POST"])
@requires("waves.manage")
def new_wave() -> Response | str:
    form = WaveForm()
    form.region.choices = select_choices(_region_choices(regions_in_scope(current_user, WAVE_LEVELS)))
    if request.method == "GET":
        form.allocation.data, form.modes.data = "proportional", ["door", "street", "phone"]
    if not form.validate_on_submit():
        return render_template("monitoring/wave_form.html", form=form)
    on_refusal(lambda refusal: (render_template("monitoring/wave_form.html", form=form, refusal=refusal), 200), form)
    plan = setup.WavePlan(
        title=form.title.data or "",
        period=form.period.data or "",
        target_size=form.target_size.data or 0,
        allocation=form.allocation.data or "",
        modes=form.modes.data or [],
        method=form.method.data or "rake",
        chosen=form.chosen_allocation(),
    )
    wave = setup.create_wave(current_user, find_region(current_user, form.region.data, WAVE_LEVELS), plan)
    flash(
        _(
            "Wave set up: %(n)s interviews allocated over %(c)s communities.",
            n=wave.target_size,
            c=len(wave.communities),
        )
    )
    return redirect(url_for(".wave", wave_id=wave.id))


@bp.get("/staff/waves/<int:wave_id>")
@requires("waves.manage")
def wave(wave_id: int) -> str:
    found = setup.get_wave(current_user, wave_id)
    invitations = InvitationsForm()
    invitations.community.choices = select_choices(_region_choices(setup.sampled_communities(found)))
    return render_template(
        "monitoring/wave.html",
        wave=found,
        progress=wave_progress(found),
        estimates=wave_estimates(found),
        interviewers=setup.interviewers(found),
        candidates=setup.interviewer_candidates(current_user, found),
        volunteers=setup.volunteer_candidates(current_user, found),
        invitations=invitations,
    )


@bp.post("/staff/waves/<int:wave_id>/interviewers")
@requires("waves.manage")
def assign(wave_id: int) -> Response:
    found = setup.get_wave(current_user, wave_id)
    account_id = request.form.get("user_id", "")
    interviewer = setup.assign_interviewer(current_user, found, int(account_id) if account_id.isdigit() else 0)
    flash(_("%(name)s can now interview for this wave.", name=interviewer.name))
    return redirect(url_for(".wave", wave_id=found.id))


@bp.post("/staff/waves/<int:wave_id>/volunteers")
@requires("waves.manage")
def assign_volunteer(wave_id: int) -> str:
    found = setup.get_wave(current_user, wave_id)
    volunteer_id = request.form.get("volunteer_id", "")
    interviewer, key = setup.assign_volunteer(current_user, found, int(volunteer_id) if volunteer_id.isdigit() else 0)
    link = url_for(".volunteer_sign_in", key=key, _external=True)
    return render_template("monitoring/volunteer_link.html", wave=found, interviewer=interviewer, link=link)


@bp.post("/staff/waves/<int:wave_id>/invitations")
@requires("waves.manage")
def invite(wave_id: int) -> str:
    found = setup.get_wave(current_user, wave_id)
    form = InvitationsForm()
    form.community.choices = select_choices(_region_choices(setup.sampled_communities(found)))
    community = find_region(current_user, form.community.data)
    codes = fieldwork.issue_invitations(current_user, found, community, form.count.data or 0)
    return render_template("monitoring/invitations.html", wave=found, community=community, codes=codes)


@bp.post("/staff/waves/<int:wave_id>/interviews/<int:interview_id>/review")
@requires("waves.manage")
def review(wave_id: int, interview_id: int) -> Response:
    found = setup.get_wave(current_user, wave_id)
    fieldwork.review(current_user, fieldwork.wave_interview(found, interview_id), request.form.get("decision", ""))
    return redirect(url_for(".wave", wave_id=found.id, _anchor="flagged"))


@bp.post("/staff/waves/<int:wave_id>/close")
@requires("waves.manage")
def close(wave_id: int) -> Response:
    setup.close_wave(current_user, setup.get_wave(current_user, wave_id))
    flash(_("The wave is closed: no more interviews can be added."))
    return redirect(url_for(".wave", wave_id=wave_id))


# --- interviewers ------------------------------------------------------------------


@bp.get("/interview")
@requires("interviews.run")
def assignments() -> str:
    return render_template("monitoring/assignments.html", assignments=setup.my_assignments(current_user))


@bp.get("/interview/key/<key>")
@public
def volunteer_sign_in(key: str) -> Response:
    """A volunteer's personal link: this browser interviews for the wave in their name."""
    interviewer = setup.interviewer_by_key(key[:64])
    # the digest too: a new link for the volunteer ends what the old one opened
    session["interviewer"] = [interviewer.id, interviewer.key_digest]
    return redirect(url_for(".start", wave_id=interviewer.wave_id))


def _volunteer_interviewer() -> Interviewer | None:
    """The volunteer this browser signed in as with a link, while the link still works."""
    signed = session.get("interviewer")
    if not isinstance(signed, list) or len(signed) != 2 or not isinstance(signed[0], int):
        return None
    interviewer = db.session.get(Interviewer, signed[0])
    if interviewer is None or not interviewer.may_sign_in_by_link or interviewer.key_digest != signed[1]:
        return None
    return interviewer


def _interviewer_for(wave_id: int) -> Interviewer:
    """The signed-in account's assignment, else the linked volunteer's; :raises NotFound: neither."""
    if current_user.is_authenticated:
        return setup.assignment_of(current_user, wave_id)
    volunteer = _volunteer_interviewer()
    if volunteer is None or volunteer.wave_id != wave_id:
        raise NotFound()
    return volunteer


def _own(interview_id: int) -> Interview:
    user = current_user if current_user.is_authenticated else None
    return fieldwork.own_interview(user, interview_id, _volunteer_interviewer())


def _respondent_choices(form: InterviewForm | InvitedForm, region: Region) -> None:
    form.age_band.choices = select_choices((band, band) for band in age_bands(margins_of(region)))


@bp.route("/interview/waves/<int:wave_id>/new", methods=["GET", "POST"])
@public  # an assigned account, or a volunteer signed in with their link (checked by _interviewer_for)
def start(wave_id: int) -> Response | str:
    interviewer = _interviewer_for(wave_id)
    wave = interviewer.wave
    form = InterviewForm()
    form.community.choices = select_choices(_region_choices(setup.sampled_communities(wave, interviewer)))
    form.mode.choices = select_choices((m, labels.label(labels.MODE_LABELS, m)) for m in wave.modes if m != "online")
    _respondent_choices(form, wave.region)
    page = lambda refusal=None: render_template("monitoring/start.html", wave=wave, form=form, refusal=refusal)  # noqa: E731
    if not form.validate_on_submit():
        return page()
    on_refusal(lambda refusal: (page(refusal), 200), form)
    person = fieldwork.Respondent(form.age_band.data, form.sex.data, form.area_type.data, form.mode.data)
    interview = fieldwork.start_interview(library(), interviewer, form.community.data, person)
    return redirect(url_for(".questions", interview_id=interview.id))


@bp.route("/interview/<int:interview_id>", methods=["GET", "POST"])
@public  # the interviewer who started it, account or linked volunteer (checked by _own)
def questions(interview_id: int) -> Response | str:
    interview = _own(interview_id)
    return _sitting(interview, url_for(".done", interview_id=interview.id))


def _sitting(interview: Interview, done_url: str) -> Response | str:
    """The questions of an interview, or, posted, its answers handed in."""
    if interview.completed:
        return redirect(done_url)
    questions = served_questions(library(), interview, current_lang())
    if request.method == "GET":
        return render_template("monitoring/questions.html", interview=interview, questions=questions, chosen={})
    choices = parse_choices(request.form, len(interview.items))
    missing = [i for i in range(len(interview.items)) if i not in choices]
    if missing and not request.form.get("confirm_incomplete"):
        numbers = ", ".join(str(i + 1) for i in missing)
        return render_template(
            "monitoring/questions.html",
            interview=interview,
            questions=questions,
            chosen=choices,
            missing=missing,
            missing_numbers=numbers,
        )
    fieldwork.hand_in(library(), interview, choices, QualityRules())
    return redirect(done_url, code=303)


@bp.get("/interview/<int:interview_id>/done")
@public  # as above
def done(interview_id: int) -> str:
    interview = _own(interview_id)
    return render_template("monitoring/done.html", interview=interview, invited=False)


# --- online by invitation ------------------------------------------------------------


#: guessing invitation codes from one address is slowed to this
INVITATION_LIMIT = "20 per hour"


@bp.route("/invited", methods=["GET", "POST"])
@public
@limiter.limit(INVITATION_LIMIT, methods=["POST"])
def invited() -> Response | str:
    """A sampled person types or scans the code on their invitation, says who they are, and answers."""
    code = (request.values.get("code") or "").strip()[:20]
    invitation = fieldwork.find_invitation(code) if code else None
    if invitation is None:
        return render_template("monitoring/invited.html", form=None, code="")
    # with the code alone, ask who they are without calling questions not yet seen wrong
    answered = "area_type" in request.form
    form = InvitedForm() if answered else InvitedForm(formdata=None)
    _respondent_choices(form, invitation.wave.region)
    if not answered or not form.validate_on_submit():
        return render_template("monitoring/invited.html", form=form, code=code)
    person = fieldwork.Respondent(form.age_band.data, form.sex.data, form.area_type.data, "online")
    interview = fieldwork.start_invited(library(), code, person)
    # the sitting is this browser's: the code is spent, and only the session leads back to it
    session["invited_interview"] = interview.id
    return redirect(url_for(".invited_questions"))


def _invited_interview() -> Interview:
    interview = db.session.get(Interview, session.get("invited_interview") or 0)
    if interview is None:
        raise NotFound()
    return interview


@bp.route("/invited/questions", methods=["GET", "POST"])
@public
def invited_questions() -> Response | str:
    return _sitting(_invited_interview(), url_for(".invited_done"))


@bp.get("/invited/done")
@public
def invited_done() -> str:
    return render_template("monitoring/done.html", interview=_invited_interview(), invited=True)
