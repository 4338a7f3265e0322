"""The resident's pages: choose a community, read lessons, take quizzes, see feedback."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf as csrf_token
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.models import Draw
from webapp.campaigns import service as campaigns
from webapp.certificates import service as certificates
from webapp.clock import utcnow
from webapp.errors import DomainError, on_refusal
from webapp.extensions import answer_rate_limit, enrolment_limit, limiter, quiz_rate_limit
from webapp.i18n import current_lang
from webapp.learn import service as learn
from webapp.ops.metrics import count_submission
from webapp.preferences import text_size
from webapp.regions import service as regions
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.text import is_whole_number, search_terms

bp = Blueprint("learn", __name__, template_folder="templates")

COMMUNITY_COOKIE = "community"
#: the activity whose QR code was scanned; attempts in the next hours count for it
ACTIVITY_COOKIE = "activity"
ACTIVITY_HOURS = 12
RESPONDENT_COOKIE = "respondent"
YEAR = 365 * 24 * 3600


def library() -> Library:
    return current_app.extensions["library"]


def chosen_community() -> Region | None:
    code = request.cookies.get(COMMUNITY_COOKIE)
    region = regions.kept_regions.by_code(code) if code and len(code) <= 32 else None
    return region if region is not None and region.is_leaf else None


def _remember(response: Response, name: str, value: str, max_age: int = YEAR) -> Response:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"]
    )
    return response


@bp.after_request
def _drop_unknown_respondent(response: Response) -> Response:
    """A respondent cookie this server did not issue (or no longer links) goes, so the next
    quiz starts afresh instead of failing again."""
    if g.get("respondent_unknown"):
        response.delete_cookie(RESPONDENT_COOKIE, httponly=True, samesite="Lax")
    return response


def cookie_respondent():
    """The respondent of this browser's cookie; None without one. An unknown cookie is
    noted, to be dropped from the response."""
    token = request.cookies.get(RESPONDENT_COOKIE)
    respondent = learn.find_respondent(token) if token else None
    g.respondent_unknown = bool(token) and respondent is None
    return respondent


@bp.get("/")
def home() -> str:
    return _render_home()


def _render_home(unknown_code: str | None = None) -> str:
    query = search_terms(request.args.get("q"), 50)
    found, total = regions.search_regions(query, LEAF_LEVELS, limit=20) if query else ([], 0)
    regions.load_parents(found)  # each result names its street: same-named communities differ
    respondent = cookie_respondent() if request.cookies.get(RESPONDENT_COOKIE) else None
    unfinished = learn.open_draw(respondent, library().survey.slug) if respondent else None
    return render_template(
        "learn/home.html",
        community=None if unknown_code else chosen_community(),
        query=query,
        found=found,
        total=total,
        unknown_code=unknown_code,
        unfinished=unfinished,
        answered=len(quizzes.saved_choices(unfinished)) if unfinished else 0,
        resume_url=where_to_answer(unfinished) if unfinished else None,
        topics=library().catalog.taxonomy.topics.values(),
        survey=library().survey,
    )


@bp.get("/c/<code>")
def community_entry(code: str) -> Response | tuple[str, int]:
    """Where a community's QR code points: remember the community, go home. A code that leads
    nowhere (mistyped, or a poster of a community since merged) opens the chooser instead."""
    region = regions.get_region(code[:32])
    if region is None or not region.is_leaf:
        return _render_home(unknown_code=code[:32]), 404
    return _remember(redirect(url_for(".home")), COMMUNITY_COOKIE, region.code)


@bp.get("/a/<code>")
def activity_entry(code: str) -> Response:
    """Where an activity's QR code points: its community, and quizzes count for the activity."""
    activity = campaigns.activity_by_code(code)
    if activity is None:
        abort(404)
    response = _remember(redirect(url_for(".home")), COMMUNITY_COOKIE, activity.community.code)
    return _remember(response, ACTIVITY_COOKIE, activity.code, max_age=ACTIVITY_HOURS * 3600)


@bp.get("/offline")
def offline() -> str:
    """Shown by the service worker when a page that needs the network is opened offline."""
    return render_template("learn/offline.html")


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, from the site root so that it may look after every page."""
    script = (Path(__file__).parent / "sw.js").read_text(encoding="utf-8")
    css = url_for("static", filename="site.css")
    script = script.replace("__CSS__", css).replace("__VERSION__", css.rsplit("=", 1)[-1])
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/lessons")
def lessons() -> str:
    taxonomy = library().catalog.taxonomy
    topic = request.args.get("topic") if request.args.get("topic") in taxonomy.topics else None
    audience = request.args.get("audience") if request.args.get("audience") in taxonomy.audiences else None
    return render_template(
        "learn/lessons.html",
        lessons=library().catalog.find_lessons(current_lang(), topic, audience),
        taxonomy=taxonomy,
        topic=topic,
        audience=audience,
    )


@bp.get("/lessons/<slug>")
def lesson(slug: str) -> str:
    found = library().catalog.lesson(slug, current_lang())
    if found is None:
        abort(404)
    community = chosen_community()
    if current_user.is_authenticated or set(request.args) - {"lang"}:  # staff see their own menu
        return _render_lesson(found, community is not None, csrf_token)
    # Signed out, a lesson page is the same for every reader but for the form's token: the
    # catalog is fixed at start-up, so each worker renders it once and fills the token in.
    key = (slug, current_lang(), request.args.get("lang"), community is not None, text_size())
    kept = current_app.extensions.setdefault("lesson_pages", {})
    if key not in kept:
        kept[key] = _render_lesson(found, community is not None, lambda: FORM_TOKEN_MARK)
    page = kept[key]
    return page.replace(FORM_TOKEN_MARK, csrf_token()) if FORM_TOKEN_MARK in page else page


#: stands for the CSRF token in a kept lesson page; not something a token can contain
FORM_TOKEN_MARK = "{{form-token}}"


def _render_lesson(found, has_community: bool, form_token) -> str:
    catalog = library().catalog
    related = [other for other in catalog.find_lessons(current_lang(), topic=found.topic) if other.slug != found.slug]
    return render_template(
        "learn/lesson.html",
        lesson=found,
        topic=catalog.taxonomy.topics[found.topic],
        related=related,
        check_slug=f"check-{found.slug}",
        community=has_community,
        csrf_token=form_token,
    )


@bp.get("/quizzes")
def quiz_list() -> str:
    return render_template(
        "learn/quizzes.html",
        survey=library().survey,
        practice=[quiz for quiz in library().quizzes.values() if quiz.kind == "practice"],
        community=chosen_community(),
    )


@bp.post("/quizzes/<slug>/start")
@limiter.limit(quiz_rate_limit)
@enrolment_limit
def start_quiz(slug: str) -> Response | tuple[str, int]:
    quiz = quizzes.get_quiz(library(), slug)
    community = chosen_community()
    if community is None:
        return render_template("learn/choose_first.html"), 400
    on_refusal(_start_afresh(slug))
    draw, new_token = learn.start_quiz(
        library(),
        quiz,
        community,
        request.cookies.get(RESPONDENT_COOKIE),
        request.cookies.get(ACTIVITY_COOKIE),
        resume=True,
    )
    response = redirect(where_to_answer(draw), code=303)
    return _remember(response, RESPONDENT_COOKIE, new_token) if new_token else response


def where_to_answer(draw: Draw) -> str:
    """A survey is answered one question per screen, from the first not yet answered; a short
    practice quiz on one page."""
    if draw.kind != "survey":
        return url_for("learn.take_draw", draw_id=draw.id)
    saved = quizzes.saved_choices(draw)
    first_open = next((i for i in range(len(draw.items)) if i not in saved), None)
    if first_open is None:
        return url_for("learn.review_draw", draw_id=draw.id)
    return url_for("learn.draw_question", draw_id=draw.id, number=first_open + 1)


def _start_afresh(slug: str) -> Callable[[DomainError], ResponseReturnValue]:
    """How the site answers a refused start: a respondent cookie it did not issue is dropped."""

    def render(error: DomainError) -> ResponseReturnValue:
        if not isinstance(error, learn.RespondentUnknown):
            return render_template("error.html", status=error.status, message=error.message), error.status
        # nothing is made of a cookie we did not issue: it is dropped, and the browser sends
        # the same start again without it, as a new resident (whose enrolment is limited)
        g.respondent_unknown = True
        return redirect(url_for(".start_quiz", slug=slug), code=307), 307

    return render


def _current_draw(draw_id: str) -> Draw:
    return quizzes.load_draw(draw_id, cookie_respondent())


def _render_draw(draw: Draw, chosen: dict[int, list[int]] | None = None, missing: list[int] | None = None):
    quiz = library().quizzes.get(draw.quiz_slug)
    return render_template(
        "learn/draw.html",
        draw=draw,
        quiz=quiz,
        questions=quizzes.served_questions(library(), draw, current_lang()),
        chosen=chosen or {},
        missing=missing or [],
        missing_numbers=", ".join(str(i + 1) for i in missing or []),
        # one key per rendered form: pressing "hand in" twice counts once
        idempotency_key=request.form.get("idempotency_key") or secrets.token_urlsafe(16),
    )


@bp.get("/draws/<draw_id>")
def take_draw(draw_id: str) -> Response | str:
    """Every question on one page, with the answers saved so far already ticked."""
    draw = _current_draw(draw_id)
    if draw.attempt is not None:
        return redirect(url_for(".draw_result", draw_id=draw.id))
    return _render_draw(draw, quizzes.saved_choices(draw))


def parse_choices(form: MultiDict, n_questions: int) -> dict[int, list[int]]:
    """Form fields q0…qN hold option positions; anything else is an invalid answer."""
    choices = {i: parse_options(form, i) for i in range(n_questions)}
    return {i: options for i, options in choices.items() if options}


def parse_options(form: MultiDict, position: int) -> list[int]:
    """The option positions posted for the question at ``position`` (field q<position>)."""
    values = form.getlist(f"q{position}")
    if not all(is_whole_number(value, 3) for value in values):
        raise quizzes.InvalidAnswers()
    return [int(value) for value in values]


@bp.post("/draws/<draw_id>")
@limiter.limit(quiz_rate_limit)
def submit_draw(draw_id: str) -> Response | str:
    draw = _current_draw(draw_id)
    choices = parse_choices(request.form, len(draw.items))
    return _hand_in(draw, choices, lambda missing: _render_draw(draw, choices, missing))


def _hand_in(
    draw: Draw, choices: dict[int, list[int]], ask_again: Callable[[list[int]], str], kept: bool = False
) -> Response | str:
    """Score and store ``choices`` (``kept``: the answers saved screen by screen); with questions
    unanswered, first ``ask_again`` once."""
    missing = [i for i in range(len(draw.items)) if i not in choices]
    if missing and draw.attempt is None and not request.form.get("confirm_incomplete"):
        # one chance to finish: an unanswered survey question makes the attempt not count
        return ask_again(missing)
    key = request.form.get("idempotency_key", "")[:64] or None
    submission = quizzes.submit_draw(library(), draw, choices, idempotency_key=key, clear_saved=kept)
    count_submission(submission)
    return redirect(url_for(".draw_result", draw_id=draw.id), code=303)


# --- one question per screen -------------------------------------------------------------------


def _open_draw_or_result(draw_id: str) -> Draw | Response:
    draw = _current_draw(draw_id)
    return redirect(url_for(".draw_result", draw_id=draw.id), code=303) if draw.attempt is not None else draw


def _position(draw: Draw, number: int) -> int:
    """The position of question ``number`` (counted from 1, as the resident reads it)."""
    if not 1 <= number <= len(draw.items):
        abort(404)
    return number - 1


@bp.get("/draws/<draw_id>/q/<int:number>")
def draw_question(draw_id: str, number: int) -> Response | str:
    draw = _open_draw_or_result(draw_id)
    if isinstance(draw, Response):
        return draw
    position = _position(draw, number)
    saved = quizzes.saved_choices(draw)
    return render_template(
        "learn/step.html",
        draw=draw,
        quiz=library().quizzes.get(draw.quiz_slug),
        number=number,
        question=quizzes.served_questions(library(), draw, current_lang())[position],
        saved=saved,
        clock=_clock(draw),
    )


@bp.post("/draws/<draw_id>/q/<int:number>")
@limiter.limit(answer_rate_limit)
def answer_question(draw_id: str, number: int) -> Response | tuple[str, int]:
    """Keep this screen's answer, then go on: to the next question, back one, or past the last
    to the review. ``go=skip`` moves on without keeping anything; ``go=save`` only keeps."""
    draw = _open_draw_or_result(draw_id)
    if isinstance(draw, Response):
        return draw
    position = _position(draw, number)
    go = request.form.get("go", "next")
    if go != "skip":
        quizzes.save_answer(library(), draw, position, parse_options(request.form, position))
    if go == "save":
        return "", 204
    target = max(1, number - 1) if go == "back" else number + 1
    if target > len(draw.items):
        return redirect(url_for(".review_draw", draw_id=draw.id), code=303)
    return redirect(url_for(".draw_question", draw_id=draw.id, number=target), code=303)


@bp.get("/draws/<draw_id>/review")
def review_draw(draw_id: str) -> Response | str:
    draw = _open_draw_or_result(draw_id)
    if isinstance(draw, Response):
        return draw
    return _render_review(draw)


@bp.post("/draws/<draw_id>/hand-in")
@limiter.limit(quiz_rate_limit)
def hand_in_draw(draw_id: str) -> Response | str:
    """Hand in the answers saved screen by screen."""
    draw = _current_draw(draw_id)
    return _hand_in(draw, quizzes.saved_choices(draw), lambda missing: _render_review(draw, asked=True), kept=True)


def _render_review(draw: Draw, asked: bool = False) -> str:
    saved = quizzes.saved_choices(draw)
    missing = [i for i in range(len(draw.items)) if i not in saved]
    return render_template(
        "learn/review.html",
        draw=draw,
        quiz=library().quizzes.get(draw.quiz_slug),
        saved=saved,
        missing=missing,
        missing_numbers=", ".join(str(i + 1) for i in missing),
        asked=asked,
        clock=_clock(draw),
        idempotency_key=request.form.get("idempotency_key") or secrets.token_urlsafe(16),
    )


def _clock(draw: Draw) -> dict | None:
    """The time left to hand in, for the countdown (seconds from now: the phone's clock may be wrong)."""
    if draw.deadline_at is None:
        return None
    return {"deadline": draw.deadline_at, "seconds_left": max(0, int((draw.deadline_at - utcnow()).total_seconds()))}


@bp.get("/draws/<draw_id>/result")
def draw_result(draw_id: str) -> Response | str:
    draw = _current_draw(draw_id)
    if draw.attempt is None:
        return redirect(url_for(".take_draw", draw_id=draw.id))
    quiz = library().quizzes.get(draw.quiz_slug)
    items = quizzes.feedback(library(), draw.attempt, current_lang())
    return render_template(
        "learn/result.html",
        draw=draw,
        quiz=quiz,
        attempt=draw.attempt,
        items=items,
        topics=quizzes.topic_summary(items),
        taxonomy=library().catalog.taxonomy,
        next_lessons=quizzes.lessons_to_read(items),
        certificate=certificates.certificate_for(draw.attempt),
    )
