"""Keeping rollups: each event becomes increments, applied at once or replayed by rebuild.

``survey_increments`` and ``reach_increments`` are the only place that decides what an
event adds; the live path (``record_*``) upserts them in the event's own transaction, and
``rebuild`` replays every stored event through the same functions.
"""

from __future__ import annotations

import functools
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import TextClause, delete, exists, func, select, text, update

from quizzes.models import Answer, Attempt, Draw
from quizzes.signals import quiz_started, quiz_submitted
from webapp.clock import local_month
from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.learn.signals import lesson_completed
from webapp.stats.models import OptionRollup, QuestionRollup, ReachRollup, SurveyRollup, TopicRollup
from webapp.stats.periods import SCOPES, first_scopes

ROLLUPS = (SurveyRollup, TopicRollup, QuestionRollup, OptionRollup, ReachRollup)
#: the rollups made from single answers, which a retention purge removes
ANSWER_ROLLUPS = (TopicRollup, QuestionRollup, OptionRollup)
#: (model, primary-key values, {column: amount to add})
Increment = tuple[type, tuple, dict[str, float]]


@dataclass(frozen=True)
class SurveyFacts:
    """What a handed-in survey contributes, independent of how it is stored."""

    community_id: int
    month: str
    valid: bool
    #: handed in faster than the questions can be read: counted apart, never in the figures
    too_fast: bool
    score: float
    passed: bool
    #: (question id, topic, chosen option keys, correct) per answer
    answers: tuple[AnswerFacts, ...]


def survey_increments(facts: SurveyFacts, firsts: tuple[str, ...]) -> list[Increment]:
    """What one survey adds: to ``firsts`` scopes as a first attempt, elsewhere as a retake."""
    key = (facts.community_id, facts.month)
    if not facts.valid:
        return [(SurveyRollup, (*key, "month"), {"invalid": 1})]
    if facts.too_fast:
        return [(SurveyRollup, (*key, "month"), {"too_fast": 1})]
    increments: list[Increment] = []
    for scope in SCOPES:
        if scope not in firsts:
            increments.append(
                (
                    SurveyRollup,
                    (*key, scope),
                    {
                        "retakes": 1,
                        "retake_score_sum": facts.score,
                        "retake_score_sq_sum": facts.score**2,
                    },
                )
            )
            continue
        increments.append(
            (
                SurveyRollup,
                (*key, scope),
                {
                    "respondents": 1,
                    "score_sum": facts.score,
                    "score_sq_sum": facts.score**2,
                    "passed": int(facts.passed),
                },
            )
        )
        topics: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _question, topic, _chosen, correct in facts.answers:
            topics[topic][0] += 1
            topics[topic][1] += int(correct)
        increments += [
            (TopicRollup, (*key, scope, topic), {"answers": n, "correct": right})
            for topic, (n, right) in topics.items()
        ]
    if "month" in firsts:
        for question, _topic, chosen, correct in facts.answers:
            increments.append(
                (
                    QuestionRollup,
                    (*key, question),
                    {
                        "answers": 1,
                        "correct": int(correct),
                        "total_sum": facts.score,
                        "total_sq_sum": facts.score**2,
                        "total_sum_correct": facts.score if correct else 0.0,
                    },
                )
            )
            increments += [(OptionRollup, (*key, question, option), {"chosen": 1}) for option in chosen]
    return increments


def reach_increments(community_id: int, month: str, firsts: tuple[str, ...], column: str) -> list[Increment]:
    return [(ReachRollup, (community_id, month, scope), {column: 1}) for scope in firsts]


def _advance(respondent: Respondent, attribute: str, month: str) -> tuple[str, ...]:
    """The scopes in which ``month`` is new for this kind of event; remembers the month."""
    previous = getattr(respondent, attribute)
    firsts = first_scopes(previous, month)
    if previous is None or month > previous:
        setattr(respondent, attribute, month)
    return firsts


@functools.cache
def _upsert_statement(model: type) -> TextClause:
    """One INSERT … ON CONFLICT … DO UPDATE per table (the same SQL on SQLite and PostgreSQL),
    built once: constructing it per row cost more than running it."""
    table = model.__table__
    keys = [column.name for column in table.primary_key.columns]
    values = [column.name for column in table.columns if column.name not in keys]
    columns = keys + values
    return text(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in values)
    )


def _upsert(increments: list[Increment]) -> None:
    """Add the increments, one statement per table; rows carry 0 for columns they do not touch."""
    by_model: dict[type, dict[tuple, dict[str, float]]] = defaultdict(dict)
    for model, key, amounts in increments:
        row = by_model[model].setdefault(key, {})
        for column, amount in amounts.items():
            row[column] = row.get(column, 0) + amount
    for model, rows in by_model.items():
        table = model.__table__
        keys = [column.name for column in table.primary_key.columns]
        zeros = {column.name: 0 for column in table.columns if column.name not in keys}
        params = [{**zeros, **dict(zip(keys, key, strict=True)), **amounts} for key, amounts in rows.items()]
        db.session.execute(_upsert_statement(model), params)


def record_draw(draw: Draw) -> None:
    """A respondent started a quiz: they are active in the draw's community."""
    month = local_month(draw.served_at)
    _upsert(reach_increments(draw.community_id, month, _advance(draw.respondent, "last_active_month", month), "active"))


def record_lesson_completion(completion: LessonCompletion, respondent: Respondent) -> None:
    month = local_month(completion.completed_at)
    increments = reach_increments(
        completion.community_id, month, _advance(respondent, "last_active_month", month), "active"
    )
    increments += reach_increments(
        completion.community_id, month, _advance(respondent, "last_reached_month", month), "reached"
    )
    _upsert(increments)


class AnswerFacts(NamedTuple):
    """What one answer contributes: read from a stored answer, or from a fresh submission."""

    question_id: str
    topic: str
    chosen: tuple[str, ...]
    correct: bool


def stored_answer_facts(answer: Any) -> AnswerFacts:
    return AnswerFacts(answer.question_id, answer.topic, tuple(filter(None, answer.chosen.split(","))), answer.correct)


def attempt_facts(attempt: Attempt, answers: Iterable[AnswerFacts], month: str) -> SurveyFacts:
    return SurveyFacts(
        community_id=attempt.community_id,
        month=month,
        valid=attempt.valid,
        too_fast=attempt.too_fast,
        score=attempt.score,
        passed=attempt.passed,
        answers=tuple(answers),
    )


def record_attempt(attempt: Attempt, respondent: Respondent, answers: Iterable[AnswerFacts]) -> None:
    """A quiz was handed in: the respondent is reached; a survey also counts for awareness."""
    month = local_month(attempt.submitted_at)
    increments = reach_increments(
        attempt.community_id, month, _advance(respondent, "last_reached_month", month), "reached"
    )
    if attempt.kind == "survey":
        facts = attempt_facts(attempt, answers, month)
        firsts = _advance(respondent, "last_survey_month", month) if attempt.counts else ()
        increments += survey_increments(facts, firsts)
    _upsert(increments)


def subscribe() -> None:
    """Keep the rollups live: each draw, hand-in and lesson read is counted as it is announced."""
    quiz_started.connect(record_draw)
    quiz_submitted.connect(record_attempt)
    lesson_completed.connect(record_lesson_completion)


# --- rebuild ---------------------------------------------------------------------


def _events() -> Iterator[tuple[datetime, int, str, Any]]:
    """Every stored event in time order: (when, respondent id, kind, row)."""
    draws = db.session.execute(
        select(Draw.served_at, Draw.respondent_id, Draw.community_id).order_by(Draw.served_at, Draw.id)
    )
    lessons = db.session.execute(
        select(LessonCompletion.completed_at, LessonCompletion.respondent_id, LessonCompletion.community_id).order_by(
            LessonCompletion.completed_at, LessonCompletion.id
        )
    )
    attempts = db.session.execute(select(Attempt).order_by(Attempt.submitted_at, Attempt.id)).scalars()
    yield from heapq.merge(
        ((row[0], row[1], "draw", row) for row in draws),
        ((row[0], row[1], "lesson", row) for row in lessons),
        ((a.submitted_at, a.respondent_id, "attempt", a) for a in attempts),
        key=lambda event: event[0],
    )


def _answers_by_attempt(attempt_ids: list[int]) -> dict[int, list[Answer]]:
    answers: dict[int, list[Answer]] = defaultdict(list)
    for start in range(0, len(attempt_ids), 500):
        chunk = attempt_ids[start : start + 500]
        for answer in db.session.execute(
            select(Answer).where(Answer.attempt_id.in_(chunk)).order_by(Answer.attempt_id, Answer.position)
        ).scalars():
            answers[answer.attempt_id].append(answer)
    return answers


def answers_purged_through() -> str | None:
    """The last month whose answers a retention purge removed (attempts stay, answers go)."""
    last = db.session.execute(
        select(func.max(Attempt.submitted_at)).where(~exists().where(Answer.attempt_id == Attempt.id))
    ).scalar_one()
    return local_month(last) if last else None


def rebuild() -> int:
    """Recompute every rollup from the raw rows; returns the number of events replayed.

    The answer rollups of months whose answers were purged are kept as they are: the
    attempts left there still give every other rollup, but not what each answer was.
    """
    purged_through = answers_purged_through()
    for model in ROLLUPS:
        statement = delete(model)
        if purged_through and model in ANSWER_ROLLUPS:
            statement = statement.where(model.month > purged_through)
        db.session.execute(statement)
    last: dict[int, dict[str, str | None]] = defaultdict(
        lambda: {"last_active_month": None, "last_reached_month": None, "last_survey_month": None}
    )

    def advance(respondent_id: int, attribute: str, month: str) -> tuple[str, ...]:
        state = last[respondent_id]
        firsts = first_scopes(state[attribute], month)
        if state[attribute] is None or month > state[attribute]:
            state[attribute] = month
        return firsts

    totals: dict[tuple[type, tuple], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    events = list(_events())
    survey_ids = [row.id for _when, _who, kind, row in events if kind == "attempt" and row.kind == "survey"]
    answers = _answers_by_attempt(survey_ids)
    for when, respondent_id, kind, row in events:
        month = local_month(when)
        increments: list[Increment] = []
        if kind in ("draw", "lesson"):
            increments += reach_increments(row[2], month, advance(respondent_id, "last_active_month", month), "active")
        if kind in ("lesson", "attempt"):
            community_id = row[2] if kind == "lesson" else row.community_id
            increments += reach_increments(
                community_id, month, advance(respondent_id, "last_reached_month", month), "reached"
            )
        if kind == "attempt" and row.kind == "survey":
            firsts = advance(respondent_id, "last_survey_month", month) if row.counts else ()
            facts = attempt_facts(row, map(stored_answer_facts, answers.get(row.id, [])), month)
            increments += survey_increments(facts, firsts)
        for model, key, amounts in increments:
            if purged_through and model in ANSWER_ROLLUPS and key[1] <= purged_through:
                continue  # kept from before the purge
            for column, amount in amounts.items():
                totals[(model, key)][column] += amount
    _write_totals(totals)
    _write_respondent_months(last)
    return len(events)


def _write_totals(totals: dict[tuple[type, tuple], dict[str, float]]) -> None:
    rows: dict[type, list[dict]] = defaultdict(list)
    for (model, key), amounts in totals.items():
        columns = model.__table__.columns
        names = [column.name for column in model.__table__.primary_key.columns]
        # counts were summed as floats; integer columns get integers back
        row = {column.name: 0 for column in columns if column.name not in names}
        row.update(
            {
                name: (value if columns[name].type.python_type is float else round(value))
                for name, value in amounts.items()
            }
        )
        rows[model].append({**dict(zip(names, key, strict=True)), **row})
    for model, batch in rows.items():
        db.session.execute(model.__table__.insert(), batch)


def _write_respondent_months(last: dict[int, dict[str, str | None]]) -> None:
    db.session.execute(
        update(Respondent).values(last_active_month=None, last_reached_month=None, last_survey_month=None)
    )
    if last:
        db.session.execute(
            update(Respondent),
            [{"id": respondent_id, **months} for respondent_id, months in last.items()],
        )
