"""Drawing and scoring: pure functions, no database and no request.

A draw fixes which questions were served and in which option order; the client
answers by position, so the served page never carries an option's key or whether
it is correct. Scoring maps positions back through the stored order.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quizzes.bank import Bank
from quizzes.definitions import QuizDefinition


@dataclass(frozen=True)
class DrawnItem:
    question_id: str
    #: option keys in the order they were shown
    option_keys: tuple[str, ...]


@dataclass(frozen=True)
class ItemResult:
    question_id: str
    chosen: tuple[str, ...]
    correct: bool

    @property
    def answered(self) -> bool:
        return bool(self.chosen)


class AnswerError(ValueError):
    """The submitted answers do not fit the draw (unknown question or option)."""


def _quotas(strata: Sequence[str], n: int, rng: random.Random) -> dict[str, int]:
    base, extra = divmod(n, len(strata))
    lucky = set(rng.sample(list(strata), extra))
    return {topic: base + (topic in lucky) for topic in strata}


def _pick(quiz: QuizDefinition, bank: Bank, rng: random.Random) -> list[str]:
    if not quiz.strata:
        return rng.sample(list(quiz.pool), quiz.n_questions)
    chosen: list[str] = []
    pool = frozenset(quiz.pool)
    for topic, quota in _quotas(quiz.strata, quiz.n_questions, rng).items():
        available = [q for q in bank.by_topic.get(topic, ()) if q in pool]
        chosen.extend(rng.sample(available, min(quota, len(available))))
    # a thin topic leaves a gap: fill it from the rest of the pool
    taken = set(chosen)
    rest = [q for q in quiz.pool if q not in taken]
    chosen.extend(rng.sample(rest, quiz.n_questions - len(chosen)))
    rng.shuffle(chosen)
    return chosen


def draw_questions(quiz: QuizDefinition, bank: Bank, rng: random.Random | None = None) -> list[DrawnItem]:
    """Choose the questions for one sitting and shuffle each question's options.

    True/false choices keep their natural order (true, then false).
    """
    # seeded from the system's randomness once per sitting, not a system call per choice
    rng = rng or random.Random(secrets.randbits(128))
    items = []
    for question_id in _pick(quiz, bank, rng):
        keys = [option.key for option in bank.questions[question_id].options]
        if bank.questions[question_id].type != "truefalse":
            rng.shuffle(keys)
        items.append(DrawnItem(question_id, tuple(keys)))
    return items


def score_items(items: Sequence[DrawnItem], choices: Mapping[int, Sequence[int]], bank: Bank) -> list[ItemResult]:
    """Score answers given as option positions per item position.

    An item missing from ``choices`` (or with an empty list) is unanswered. A
    multiple-choice question is right only when exactly the correct options are chosen.

    :raises AnswerError: for an item or option position the draw does not have, or
        several choices on a single-answer question.
    """
    unknown = [i for i in choices if not 0 <= i < len(items)]
    if unknown:
        raise AnswerError(f"no question at position {unknown[0]}")
    results = []
    for i, item in enumerate(items):
        positions = sorted(set(choices.get(i) or ()))
        if any(not 0 <= p < len(item.option_keys) for p in positions):
            raise AnswerError(f"question {i}: no such option")
        question = bank.questions[item.question_id]
        if question.type != "multiple" and len(positions) > 1:
            raise AnswerError(f"question {i}: only one answer allowed")
        chosen = tuple(sorted(item.option_keys[p] for p in positions))
        results.append(ItemResult(item.question_id, chosen, bool(chosen) and set(chosen) == question.correct_keys))
    return results
