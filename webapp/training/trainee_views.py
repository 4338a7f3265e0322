"""A trainee's pages: sign in with the invitation, read the course's lessons, sit the exam, get
the certificate. The sign-in is a token kept in the session; nothing here needs an account."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from quizzes.courses import Course
from quizzes.library import Library
from quizzes.service import feedback_on, lessons_to_read, served_questions
from webapp.certificates import images
from webapp.certificates.views import image_response
from webapp.clock import local_today
from webapp.errors import on_refusal
from webapp.extensions import limiter, login_rate_limit, quiz_rate_limit
from webapp.i18n import current_lang
from webapp.learn.views import parse_choices
from webapp.ops.logs import path_kept_out_of_logs
from webapp.training import certificates, learning, trainees
from webapp.training.errors import CertificateUnknown, TraineeUnknown
from webapp.training.forms import InvitationCodeForm
from webapp.training.models import RosterMember, TrainingCertificate
from webapp.training.pictures import training_certificate_facts

bp = Blueprint("trainee", __name__, template_folder="templates")

#: where the session keeps the trainee's sign-in
SESSION_KEY = "trainee"


def library() -> Library:
    return current_app.extensions["library"]


def current_trainee() -> RosterMember | None:
    return trainees.find_trainee(session.get(SESSION_KEY))


def _trainee() -> RosterMember:
    """:raises TraineeUnknown: nobody is signed in for training in this browser."""
    member = current_trainee()
    if member is None:
        raise TraineeUnknown()
    return member


# --- signing in -----------------------------------------------------------------------------------


def _join_page(form: InvitationCodeForm, status: int = 200) -> tuple[str, int]:
    return render_template("training/join.html", form=form), status


@bp.get("/training")
def start() -> Response | tuple[str, int]:
    if current_trainee() is not None:
        return redirect(url_for(".courses"))
    return _join_page(InvitationCodeForm())


@bp.get("/training/join/<code>")
@path_kept_out_of_logs
def join(code: str) -> tuple[str, int]:
    """The invitation's link: the code filled in. Using it up takes a tap, so a link preview or a
    virus scanner that opens the link does not spend the invitation."""
    form = InvitationCodeForm()
    form.code.data = trainees.display_code(code[:10].upper()) if len(code) >= 10 else code[:40]
    return _join_page(form)


@bp.post("/training")
@limiter.shared_limit(login_rate_limit, "invitation-address", key_func=lambda: f"invitation:{get_remote_address()}")
def redeem() -> Response | tuple[str, int]:
    form = InvitationCodeForm()
    on_refusal(lambda _error: _join_page(form, 404), form, code="code")
    if not form.validate_on_submit():
        return _join_page(form, 422)
    token, _member = trainees.redeem_invitation(form.code.data)
    session[SESSION_KEY] = token
    return redirect(url_for(".courses"), code=303)


@bp.post("/training/sign-out")
def sign_out() -> Response:
    trainees.sign_out(session.pop(SESSION_KEY, None))
    return redirect(url_for(".start"), code=303)


# --- courses and lessons -------------------------------------------------------------------------------


@bp.get("/training/courses")
def courses() -> str:
    member = _trainee()
    found = learning.courses_of(library(), member)
    return render_template(
        "training/trainee_courses.html",
        member=member,
        progress=[learning.progress_in(member, course) for course in found],
        held=certificates.certificates_of(member),
        today=local_today(),
    )


def _course(slug: str) -> tuple[RosterMember, Course]:
    member = _trainee()
    return member, learning.course_for(library(), member, slug)


@bp.get("/training/courses/<course>")
def course(course: str) -> str:
    member, found = _course(course)
    progress = learning.progress_in(member, found)
    lessons = [library().catalog.lesson(slug, current_lang()) for slug in found.lessons]
    return render_template(
        "training/trainee_course.html",
        member=member,
        course=found,
        progress=progress,
        lessons=lessons,
        renewable=progress.certificate is not None
        and certificates.renewable(progress.certificate, found, local_today()),
        today=local_today(),
    )


@bp.get("/training/courses/<course>/lessons/<slug>")
def lesson(course: str, slug: str) -> str:
    member, found = _course(course)
    if slug not in found.lessons:
        abort(404)
    text = library().catalog.lesson(slug, current_lang())
    position = found.lessons.index(slug)
    return render_template(
        "training/trainee_lesson.html",
        course=found,
        lesson=text,
        number=position + 1,
        read=slug in learning.progress_in(member, found).lessons_done,
    )


@bp.post("/training/courses/<course>/lessons/<slug>")
def lesson_read(course: str, slug: str) -> Response:
    member, found = _course(course)
    enrollment = learning.mark_lesson_read(member, found, slug)
    left = [lesson for lesson in found.lessons if lesson not in enrollment.lessons_done]
    if left:
        return redirect(url_for(".lesson", course=found.slug, slug=left[0]), code=303)
    return redirect(url_for(".course", course=found.slug), code=303)


# --- the exam ------------------------------------------------------------------------------------


@bp.post("/training/courses/<course>/exam")
@limiter.limit(quiz_rate_limit)
def start_exam(course: str) -> Response:
    member, found = _course(course)
    draw = learning.start_exam(library(), member, found)
    return redirect(url_for(".exam", draw_id=draw.id), code=303)


@bp.get("/training/exams/<draw_id>")
def exam(draw_id: str) -> Response | str:
    member = _trainee()
    draw = learning.own_exam(member, draw_id)
    if draw.submitted_at is not None:
        return redirect(url_for(".exam_result", draw_id=draw.id))
    found = learning.course_for(library(), member, draw.enrollment.course_slug)
    return render_template(
        "training/trainee_exam.html",
        course=found,
        draw=draw,
        questions=served_questions(library(), draw, current_lang()),
    )


@bp.post("/training/exams/<draw_id>")
@limiter.limit(quiz_rate_limit)
def hand_in_exam(draw_id: str) -> Response:
    member = _trainee()
    draw = learning.own_exam(member, draw_id)
    choices = parse_choices(request.form, len(draw.items))
    learning.submit_exam(library(), member, draw, choices)
    return redirect(url_for(".exam_result", draw_id=draw.id), code=303)


@bp.get("/training/exams/<draw_id>/result")
def exam_result(draw_id: str) -> Response | str:
    member = _trainee()
    draw = learning.own_exam(member, draw_id)
    attempt = learning.attempt_of(draw)
    if attempt is None:
        return redirect(url_for(".exam", draw_id=draw.id))
    found = learning.course_for(library(), member, draw.enrollment.course_slug)
    items = feedback_on(library(), draw, learning.marked(attempt), current_lang())
    return render_template(
        "training/trainee_result.html",
        course=found,
        attempt=attempt,
        items=items,
        next_lessons=lessons_to_read(items),
        certificate=certificates.certificate_of_attempt(attempt),
        progress=learning.progress_in(member, found),
    )


# --- the certificate -----------------------------------------------------------------------------


def _own_certificate(code: str) -> TrainingCertificate:
    """:raises CertificateUnknown: an unknown code, or another person's certificate."""
    member = _trainee()
    certificate = certificates.find_training_certificate(code)
    if certificate is None or certificate.member_id != member.id:
        raise CertificateUnknown()
    return certificate


@bp.get("/training/certificates/<code>")
@path_kept_out_of_logs
def certificate(code: str) -> str:
    found = _own_certificate(code)
    return render_template(
        "training/trainee_certificate.html",
        certificate=found,
        facts=training_certificate_facts(found, library(), current_lang()),
    )


@bp.get("/training/certificates/<code>.<any(png, pdf):fmt>")
@path_kept_out_of_logs
def certificate_picture(code: str, fmt: str) -> Response:
    """The certificate as a picture or an A4 PDF, for its holder only."""
    found = _own_certificate(code)
    facts = training_certificate_facts(found, library(), current_lang())
    body, mimetype = (
        (images.certificate_png(facts), "image/png")
        if fmt == "png"
        else (images.certificate_pdf(facts), "application/pdf")
    )
    return image_response(body, mimetype, f"training-certificate-{found.code}.{fmt}")
