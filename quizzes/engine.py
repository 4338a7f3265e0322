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
from quizzes.quotas import pick_questions


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


def draw_question_ids(quiz: QuizDefinition, bank: Bank, rng: random.Random) -> list[str]:
    """The ids of one sitting's questions, in the order they will be served."""
    if not quiz.topic_quotas:
        return rng.sample(list(quiz.pool), quiz.n_questions)
    chosen = pick_questions(quiz, bank, rng)
    # a thin topic (only when no dimension quotas are set) leaves a gap: fill it from the rest
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
    for question_id in draw_question_ids(quiz, bank, rng):
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


def composite_score(results: Sequence[ItemResult], quiz: QuizDefinition, bank: Bank) -> float:
    """The share answered right; with dimension weights, the weighted mean of each dimension's share.

    Equal weights per question give the plain share, so a composite index stays comparable with it.
    """
    if not results:
        return 0.0
    if not quiz.dimension_weights:
        return sum(r.correct for r in results) / len(results)
    by_dimension: dict[str, list[bool]] = {}
    for r in results:
        by_dimension.setdefault(bank.questions[r.question_id].dimension, []).append(r.correct)
    weights = {d: w for d, w in quiz.dimension_weights.items() if d in by_dimension}
    total = sum(weights.values())
    return sum(w * sum(by_dimension[d]) / len(by_dimension[d]) for d, w in weights.items()) / total
