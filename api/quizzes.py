from __future__ import annotations

from flask import abort, current_app
from flask_smorest import Blueprint

from api.docs import errors, json_response
from api.schemas import (
    DrawRequestSchema,
    DrawSchema,
    LangArgsSchema,
    QuizListSchema,
    RespondentHeaderSchema,
    ResultSchema,
    SavedAnswerSchema,
    SavedAnswersSchema,
    SavedChoicesSchema,
    SubmissionHeaderSchema,
    SubmissionSchema,
    answer_choices,
)
from quizzes import service as quizzes
from quizzes.models import Draw
from webapp.accounts.permissions import public
from webapp.extensions import answer_rate_limit, enrolment_limit, limiter, quiz_rate_limit
from webapp.learn import service as learn
from webapp.ops.metrics import count_submission
from webapp.regions import service as regions

PREFIX = ""
#: the 401 answers of endpoints that need the respondent's token
UNKNOWN = "No respondent token (`unauthorized`), or one not issued by this server (`respondent_unknown`)"
blp = Blueprint("api_quizzes", __name__, description="Quizzes: draw questions, submit answers, read feedback")


def _library():
    return current_app.extensions["library"]


def _quiz_dict(quiz) -> dict:
    return {
        "slug": quiz.slug,
        "kind": quiz.kind,
        "title": dict(quiz.title),
        "n_questions": quiz.n_questions,
        "pass_mark": quiz.pass_mark,
        "time_limit_seconds": quiz.time_limit_seconds,
        "topic": quiz.topic,
        "lesson": quiz.lesson,
    }


def _draw_dict(draw: Draw, lang: str, token: str | None = None) -> dict:
    return {
        "id": draw.id,
        "quiz": draw.quiz_slug,
        "kind": draw.kind,
        "community": _community_code(draw),
        "served_at": draw.served_at,
        "deadline_at": draw.deadline_at,
        "expires_at": draw.expires_at,
        "submitted": draw.submitted_at is not None,
        "questions": quizzes.served_questions(_library(), draw, lang),
        "respondent_token": token,
    }


def _community_code(draw: Draw) -> str:
    return regions.kept_regions.code_of(draw.community_id) or ""


def _result_dict(draw: Draw, submission: quizzes.Submission, lang: str) -> dict:
    attempt = submission.attempt
    return {
        "draw_id": draw.id,
        "quiz": draw.quiz_slug,
        "kind": draw.kind,
        "community": _community_code(draw),
        "n_questions": attempt.n_questions,
        "n_answered": attempt.n_answered,
        "n_correct": attempt.n_correct,
        "score": attempt.score,
        "valid": attempt.valid,
        "passed": attempt.passed,
        "items": quizzes.feedback_on(_library(), draw, submission.marked, lang),
    }


def _own_draw(draw_id: str, headers: dict) -> Draw:
    if not headers.get("token"):
        abort(401)
    return learn.own_draw(headers["token"], draw_id)


@blp.get("/quizzes")
@public
@blp.response(200, QuizListSchema)
@errors()
def list_quizzes() -> dict:
    """The awareness survey, a practice quiz per topic and a check per lesson."""
    return {"items": [_quiz_dict(quiz) for quiz in _library().quizzes.values()]}


@blp.post("/quizzes/<slug>/draws")
@public
@limiter.limit(quiz_rate_limit)
@enrolment_limit
@blp.arguments(RespondentHeaderSchema, location="headers")
@blp.arguments(DrawRequestSchema)
@blp.arguments(LangArgsSchema, location="query")
@blp.response(201, DrawSchema)
@errors(
    (401, "`respondent_unknown`: the token was not issued by this server, or no longer leads to a respondent"),
    (404, "No such quiz or community"),
    (422, "Invalid input, or the region is not a community"),
    (429, "Too many requests; `too_many_new_respondents` when too many were enrolled from this address"),
)
def create_draw(headers: dict, body: dict, args: dict, slug: str) -> dict:
    """Serve a fresh set of questions; answers are never part of it.

    Without `X-Respondent-Token` a new anonymous respondent is created and its token
    returned once in `respondent_token` (new respondents per address are limited). A token
    this server did not issue is refused with 401 `respondent_unknown`; it never creates a
    respondent.
    """
    quiz = quizzes.get_quiz(_library(), slug)
    community = regions.kept_regions.by_code(body["community"])
    if community is None:
        abort(404)
    draw, token = learn.start_quiz(_library(), quiz, community, headers.get("token"), body.get("activity"))
    return json_response(_draw_dict(draw, args["lang"], token), 201)


@blp.get("/draws/<draw_id>")
@public
@blp.arguments(RespondentHeaderSchema, location="headers")
@blp.arguments(LangArgsSchema, location="query")
@blp.response(200, DrawSchema)
@errors((401, UNKNOWN), (404, "No such draw for this respondent"), respondent=True)
def get_draw(headers: dict, args: dict, draw_id: str) -> dict:
    """A draw served earlier, e.g. to resume after the app was closed."""
    return _draw_dict(_own_draw(draw_id, headers), args["lang"])


@blp.get("/draws/<draw_id>/answers")
@public
@blp.arguments(RespondentHeaderSchema, location="headers")
@blp.response(200, SavedAnswersSchema)
@errors((401, UNKNOWN), (404, "No such draw for this respondent"), respondent=True, operation_id="getSavedAnswers")
def saved_answers(headers: dict, draw_id: str) -> dict:
    """The answers kept so far, one question at a time, of a draw not yet submitted."""
    saved = quizzes.saved_choices(_own_draw(draw_id, headers))
    return {"items": [{"position": position, "choices": saved[position]} for position in sorted(saved)]}


@blp.put("/draws/<draw_id>/answers/<position:position>")
@public
@limiter.limit(answer_rate_limit)
@blp.arguments(RespondentHeaderSchema, location="headers")
@blp.arguments(SavedChoicesSchema)
@blp.response(200, SavedAnswerSchema)
@errors(
    (401, UNKNOWN),
    (404, "No such draw for this respondent"),
    (409, "Expired, or already submitted"),
    (422, "A question or option the draw does not have"),
    respondent=True,
    operation_id="saveAnswer",
)
def save_answer(headers: dict, body: dict, draw_id: str, position: int) -> dict:
    """Keep the answer to one question as it is given, so a closed app loses nothing; the
    submission still sends every answer. An empty list of choices clears the answer."""
    draw = _own_draw(draw_id, headers)
    quizzes.save_answer(_library(), draw, position, body["choices"])
    return {"position": position, "choices": sorted(set(body["choices"]))}


@blp.post("/draws/<draw_id>/submission")
@public
@limiter.limit(quiz_rate_limit)
@blp.arguments(SubmissionHeaderSchema, location="headers")
@blp.arguments(SubmissionSchema)
@blp.arguments(LangArgsSchema, location="query")
@blp.response(201, ResultSchema)
@blp.alt_response(200, schema=ResultSchema, description="The same answers were stored before: the stored result")
@errors(
    (401, UNKNOWN),
    (404, "No such draw for this respondent"),
    (409, "Expired, or already submitted with other answers"),
    (422, "Answers that do not fit the draw"),
    respondent=True,
    operation_id="submitAnswers",
)
def submit(headers: dict, body: dict, args: dict, draw_id: str):
    """Score the answers on the server and return per-question feedback.

    Answers give option positions as served. Submitting the same answers again returns
    the stored result with status 200, so a retry after a dropped connection is safe.
    """
    draw = _own_draw(draw_id, headers)
    submission = quizzes.submit_draw(
        _library(), draw, answer_choices(body), idempotency_key=headers.get("idempotency_key")
    )
    count_submission(submission)
    return json_response(_result_dict(draw, submission, args["lang"]), 201 if submission.created else 200)


@blp.get("/draws/<draw_id>/submission")
@public
@blp.arguments(RespondentHeaderSchema, location="headers")
@blp.arguments(LangArgsSchema, location="query")
@blp.response(200, ResultSchema)
@errors((401, UNKNOWN), (404, "No such draw, or not submitted yet"), respondent=True, operation_id="getSubmission")
def get_result(headers: dict, args: dict, draw_id: str) -> dict:
    """The scored result of a submitted draw."""
    draw = _own_draw(draw_id, headers)
    if draw.attempt is None:
        abort(404)
    return _result_dict(draw, quizzes.stored_submission(draw.attempt), args["lang"])
