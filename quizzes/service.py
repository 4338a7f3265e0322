"""The quiz operations residents perform: draw a quiz, submit it, read the feedback.

Shared by the site and the API; neither touches the engine or the tables directly.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypedDict, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from quizzes.definitions import QuizDefinition
from quizzes.engine import AnswerError, DrawnItem, ItemResult, composite_score, draw_questions, score_items
from quizzes.library import Library
from quizzes.models import Answer, Attempt, Draw, SavedAnswer
from webapp.campaigns.models import Activity
from webapp.clock import local_month, utcnow
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.learn.models import Respondent
from webapp.regions.models import Region


class QuizError(DomainError):
    """A refusal the resident should understand; ``code`` selects the message shown."""

    code = "quiz_error"
    status = 400


class QuizNotFound(QuizError):
    code, status = "quiz_not_found", 404


class DrawNotFound(QuizError):
    """Missing, or belonging to someone else: the two look the same from outside."""

    code, status = "draw_not_found", 404


class DrawExpired(QuizError):
    code, status = "draw_expired", 409


class AlreadySubmitted(QuizError):
    """Submitted before with different answers; an identical retry is not an error."""

    code, status = "already_submitted", 409


class InvalidAnswers(QuizError):
    code, status = "invalid_answers", 422


class NotACommunity(QuizError):
    code, status = "not_a_community", 422


@dataclass(frozen=True)
class Timing:
    """How long a draw stays answerable; from configuration."""

    submit_grace: timedelta
    expiry: timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Timing:
        return cls(
            submit_grace=timedelta(seconds=config["SUBMIT_GRACE_SECONDS"]),
            expiry=timedelta(seconds=config["DRAW_EXPIRY_SECONDS"]),
        )


def get_quiz(library: Library, slug: str) -> QuizDefinition:
    quiz = library.quizzes.get(slug)
    if quiz is None:
        raise QuizNotFound()
    return quiz


def start_draw(
    library: Library,
    quiz: QuizDefinition,
    respondent: Respondent,
    community: Region,
    timing: Timing,
    now: datetime | None = None,
    activity: Activity | None = None,
) -> Draw:
    """Serve a fresh set of questions of ``quiz`` to ``respondent`` on behalf of ``community``.

    ``activity`` is the campaign activity whose QR code brought the respondent; it is
    kept only when it took place in that community.

    :raises NotACommunity: answers must count for a community or village, not a street or city.
    """
    if not community.is_leaf:
        raise NotACommunity()
    if activity is not None and activity.community_id != community.id:
        activity = None
    now = now or utcnow()
    limit = timedelta(seconds=quiz.time_limit_seconds) if quiz.time_limit_seconds else None
    if respondent.id is None:  # enrolled through the unit of work (the demo's bulk seeding)
        db.session.flush()
    columns = {
        "id": secrets.token_urlsafe(16),
        "quiz_slug": quiz.slug,
        "kind": quiz.kind,
        "respondent_id": respondent.id,
        "community_id": community.id,
        "activity_id": activity.id if activity else None,
        "content_version": library.catalog.version,
        "items": [{"q": item.question_id, "o": list(item.option_keys)} for item in draw_questions(quiz, library.bank)],
        "served_at": now,
        "month": local_month(now),
        "deadline_at": now + limit + timing.submit_grace if limit else None,
        "expires_at": now + (limit or timedelta()) + timing.expiry,
        "submitted_at": None,
    }
    # a Core insert: the row is written once, and the unit of work cost more than the statement
    db.session.execute(_INSERT_DRAW, columns)
    draw = Draw(**columns)
    make_transient_to_detached(draw)  # as if loaded: nothing of it is written again
    db.session.add(draw)
    set_committed_value(draw, "respondent", respondent)
    set_committed_value(draw, "attempt", None)
    return draw


def load_draw(draw_id: str, respondent: Respondent | None) -> Draw:
    """:raises DrawNotFound: unless the draw exists and belongs to ``respondent``."""
    draw = db.session.get(Draw, draw_id) if draw_id and len(draw_id) <= 32 else None
    if draw is None or respondent is None or draw.respondent_id != respondent.id:
        raise DrawNotFound()
    return draw


def drawn_items(draw: Draw) -> list[DrawnItem]:
    return [DrawnItem(item["q"], tuple(item["o"])) for item in draw.items]


def save_answer(
    library: Library, draw: Draw, position: int, options: Sequence[int], now: datetime | None = None
) -> None:
    """Keep the answer to one question of an open draw (option positions; none clears it).

    Answers saved after the deadline are kept too: handing in then makes the survey not count,
    as a late paper would, but nothing the resident gave is lost.

    :raises InvalidAnswers: a question or option the draw does not have.
    :raises AlreadySubmitted: the draw was handed in; its answers no longer change.
    :raises DrawExpired: the draw closed.
    """
    now = now or utcnow()
    if draw.submitted_at is not None:
        raise AlreadySubmitted()
    if now > draw.expires_at:
        raise DrawExpired()
    if not 0 <= position < len(draw.items):
        raise InvalidAnswers()
    try:  # the engine's check of a whole submission, on this one question
        score_items(drawn_items(draw)[position : position + 1], {0: options}, library.bank)
    except AnswerError as exc:
        raise InvalidAnswers() from exc
    if not options:
        db.session.execute(delete(SavedAnswer).where(SavedAnswer.draw_id == draw.id, SavedAnswer.position == position))
        return
    chosen = ",".join(str(option) for option in sorted(set(options)))
    # an upsert: two tabs saving the same question at once must not collide on the key
    upsert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = upsert(SavedAnswer).values(draw_id=draw.id, position=position, chosen=chosen, saved_at=now)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["draw_id", "position"], set_={"chosen": chosen, "saved_at": now}
        )
    )


def saved_choices(draw: Draw) -> dict[int, list[int]]:
    """The answers saved so far, as option positions per question position."""
    rows = db.session.execute(
        select(SavedAnswer.position, SavedAnswer.chosen).where(SavedAnswer.draw_id == draw.id)
    ).all()
    return {position: [int(option) for option in chosen.split(",")] for position, chosen in rows}


def _digest(chosen: Sequence[Sequence[str]]) -> str:
    return hashlib.sha256(json.dumps([list(c) for c in chosen]).encode()).hexdigest()


class Submission(NamedTuple):
    #: as stored, with its draw and answers
    attempt: Attempt
    #: False when an earlier identical submission (or the same idempotency key) was found
    created: bool
    #: (chosen option keys, correct) per question in served order, for feedback_on
    marked: list[tuple[tuple[str, ...], bool]]


def stored_submission(attempt: Attempt) -> Submission:
    """An attempt handed in earlier, marked for feedback."""
    marked = [(tuple(filter(None, a.chosen.split(","))), a.correct) for a in attempt.answers]
    return Submission(attempt, False, marked)


# The hand-in's statements, built once: building them on every request cost more than running
# them. Plain Core inserts, not the unit of work: the rows are written once and never changed.
_CLAIM_DRAW = (
    update(Draw)
    .where(Draw.id == bindparam("draw_id"), Draw.submitted_at.is_(None))
    .values(submitted_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_INSERT_ATTEMPT = insert(cast(Table, Attempt.__table__))
_INSERT_DRAW = insert(cast(Table, Draw.__table__))
_INSERT_ANSWERS = insert(cast(Table, Answer.__table__))


def submit_draw(
    library: Library,
    draw: Draw,
    choices: Mapping[int, Sequence[int]],
    now: datetime | None = None,
    idempotency_key: str | None = None,
    clear_saved: bool = False,
) -> Submission:
    """Score ``choices`` (option positions per question position) and store the attempt.

    ``clear_saved`` drops the answers kept screen by screen (:func:`save_answer`) once they are
    the attempt's; a sitting handed in all at once has none to look for (retention purges any).

    Submitting the same answers again returns the stored attempt, so a retry after a
    dropped connection is safe; so does a retry carrying the ``idempotency_key`` of the
    stored attempt, whatever it sends.

    :raises InvalidAnswers: a position the draw does not have.
    :raises AlreadySubmitted: the draw was submitted before with other answers.
    :raises DrawExpired: the draw closed before this submission arrived.
    """
    now = now or utcnow()
    # submitted_at is set with the attempt, so an open draw needs no look for a stored attempt
    stored = draw.attempt if draw.submitted_at is not None else None
    if stored is not None and idempotency_key and stored.idempotency_key == idempotency_key:
        return stored_submission(stored)
    try:
        results = score_items(drawn_items(draw), choices, library.bank)
    except AnswerError as exc:
        raise InvalidAnswers() from exc
    digest = _digest([r.chosen for r in results])
    if stored is not None:
        return stored_submission(_same_or_refuse(stored, digest))
    if now > draw.expires_at:
        raise DrawExpired()
    attempt = _scored_attempt(library, draw, results, now, digest, idempotency_key)
    # Claiming the draw is the first write: a concurrent submission of the same draw waits
    # for it and then finds the draw taken (and SQLite takes its write lock before reading).
    claimed = db.session.execute(_CLAIM_DRAW, {"draw_id": draw.id, "now": now}).rowcount
    if not claimed:
        stored = db.session.execute(select(Attempt).where(Attempt.draw_id == draw.id)).scalar_one()
        if idempotency_key and stored.idempotency_key == idempotency_key:
            return stored_submission(stored)
        return stored_submission(_same_or_refuse(stored, digest))
    set_committed_value(draw, "submitted_at", now)
    if clear_saved:  # what was kept screen by screen is now the attempt's answers
        db.session.execute(delete(SavedAnswer).where(SavedAnswer.draw_id == draw.id))
    # the rollup applier counts them later (webapp.stats.applier)
    inserted = db.session.execute(_INSERT_ATTEMPT, {"draw_id": draw.id, **attempt})
    attempt = _adopt(draw, inserted.inserted_primary_key[0], attempt)
    questions = library.bank.questions
    db.session.execute(
        _INSERT_ANSWERS,
        [
            {
                "attempt_id": attempt.id,
                "position": i,
                "question_id": r.question_id,
                "topic": questions[r.question_id].topic,
                "chosen": ",".join(r.chosen),
                "correct": r.correct,
            }
            for i, r in enumerate(results)
        ],
    )
    return Submission(attempt, True, [(r.chosen, r.correct) for r in results])


def _scored_attempt(
    library: Library, draw: Draw, results: Sequence[ItemResult], now: datetime, digest: str, key: str | None
) -> dict[str, Any]:
    """The attempt's columns, but for its id and draw."""
    quiz = library.quizzes.get(draw.quiz_slug)
    n_correct = sum(r.correct for r in results)
    score = composite_score(results, quiz, library.bank) if quiz else n_correct / max(1, len(results))
    valid = all(r.answered for r in results) and (draw.deadline_at is None or now <= draw.deadline_at)
    reading = timedelta(seconds=quiz.min_seconds_per_question * len(results)) if quiz else timedelta()
    return dict(
        respondent_id=draw.respondent_id,
        community_id=draw.community_id,
        activity_id=draw.activity_id,
        quiz_slug=draw.quiz_slug,
        kind=draw.kind,
        served_at=draw.served_at,
        submitted_at=now,
        month=local_month(now),
        n_questions=len(results),
        n_answered=sum(r.answered for r in results),
        n_correct=n_correct,
        score=score,
        valid=valid,
        too_fast=now - draw.served_at < reading,
        # a hair below the mark still passes: 3 of 5 against 0.6 must not fail on rounding
        passed=valid and quiz is not None and score >= quiz.pass_mark - 1e-9,
        answers_digest=digest,
        idempotency_key=key,
    )


def _adopt(draw: Draw, attempt_id: int, columns: Mapping[str, Any]) -> Attempt:
    """The attempt row just inserted, as the session's own object, without reading it back:
    it is the draw's attempt, and its answers load from their table when read."""
    attempt = Attempt(id=attempt_id, draw_id=draw.id, **columns)
    make_transient_to_detached(attempt)  # as if loaded: nothing of it is written again
    db.session.add(attempt)
    set_committed_value(attempt, "draw", draw)
    set_committed_value(draw, "attempt", attempt)
    return attempt


def _same_or_refuse(stored: Attempt, digest: str) -> Attempt:
    if stored.answers_digest != digest:
        raise AlreadySubmitted()
    return stored


class ServedOption(TypedDict):
    position: int
    text: str


class ServedQuestion(TypedDict):
    """A question as the resident sees it before answering: no keys, no correctness."""

    position: int
    type: str
    stem: str
    options: list[ServedOption]


# Plain dicts rather than dataclasses: templates read them the same way, and the API sends
# them as they are, where converting dataclasses cost more than the rest of a draw.


class ServedItems(Protocol):
    """Anything that keeps the questions it served as a draw does (a draw, a monitoring interview)."""

    items: list


def served_questions(library: Library, draw: ServedItems, lang: str) -> list[ServedQuestion]:
    questions = []
    for position, item in enumerate(draw.items):
        question = library.bank.questions[item["q"]]
        options = [{"position": i, "text": question.option(key).text[lang]} for i, key in enumerate(item["o"])]
        questions.append({"position": position, "type": question.type, "stem": question.stem[lang], "options": options})
    return questions


class FeedbackOption(TypedDict):
    position: int
    text: str
    chosen: bool
    correct: bool


class Feedback(TypedDict):
    """One question after submission: what was chosen, what was right, and why."""

    position: int
    question_id: str
    topic: str
    type: str
    stem: str
    options: list[FeedbackOption]
    answered: bool
    correct: bool
    explanation: str
    lesson_slug: str
    lesson_title: str


def feedback(library: Library, attempt: Attempt, lang: str) -> list[Feedback]:
    """The feedback on a stored attempt."""
    return feedback_on(library, attempt.draw, stored_submission(attempt).marked, lang)


def feedback_on(
    library: Library, draw: ServedItems, marked: Sequence[tuple[Sequence[str], bool]], lang: str
) -> list[Feedback]:
    """Feedback per served question, given (chosen option keys, correct) for each in order."""
    result = []
    for position, (item, (chosen, correct)) in enumerate(zip(draw.items, marked, strict=True)):
        question = library.bank.questions[item["q"]]
        lesson = library.catalog.lesson(question.lesson, lang)
        options = []
        for i, key in enumerate(item["o"]):
            option = question.option(key)
            chosen_here = key in chosen
            options.append({"position": i, "text": option.text[lang], "chosen": chosen_here, "correct": option.correct})
        result.append(
            {
                "position": position,
                "question_id": question.id,
                "topic": question.topic,
                "type": question.type,
                "stem": question.stem[lang],
                "options": options,
                "answered": bool(chosen),
                "correct": correct,
                "explanation": question.explanation[lang],
                "lesson_slug": question.lesson,
                "lesson_title": lesson.title if lesson else question.lesson,
            }
        )
    return result


class TopicResult(NamedTuple):
    topic: str
    correct: int
    total: int


def topic_summary(items: Sequence[Feedback]) -> list[TopicResult]:
    """Right answers per topic, in the order the topics first came up."""
    counts: dict[str, list[int]] = {}
    for item in items:
        tally = counts.setdefault(item["topic"], [0, 0])
        tally[0] += item["correct"]
        tally[1] += 1
    return [TopicResult(topic, correct, total) for topic, (correct, total) in counts.items()]


class LessonLink(NamedTuple):
    slug: str
    title: str


def lessons_to_read(items: Sequence[Feedback], limit: int = 3) -> list[LessonLink]:
    """The lessons that teach what was missed, those behind the most missed questions first."""
    missed: dict[str, list] = {}
    for item in items:
        if not item["correct"]:
            missed.setdefault(item["lesson_slug"], [0, item["lesson_title"]])[0] += 1
    ranked = sorted(missed.items(), key=lambda pair: -pair[1][0])  # stable: ties keep question order
    return [LessonLink(slug, title) for slug, (_count, title) in ranked[:limit]]
