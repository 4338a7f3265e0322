"""Is the survey fair to a resident who knows nothing? Test-wise strategies against blind guessing.

A question leaks its key when the key can be told from its form: the longest option, the
statement that is usually false, the middle value. For the survey's pool and quotas this module
computes the expected score of a respondent who follows one such rule on every question, in each
language, and compares it with blind guessing. The content check refuses a survey on which any
rule beats blind guessing by more than ``MAX_ADVANTAGE``.

Options are shuffled in every sitting, so rules based on position are blind guessing by
construction; the rules here use only what the shuffle keeps: the texts.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from content.taxonomy import LANGUAGES
from quizzes.bank import Bank, Question
from quizzes.definitions import QuizDefinition
from quizzes.engine import draw_question_ids

#: the largest lead over blind guessing a strategy may have, as a share of the score
MAX_ADVANTAGE = 0.05
#: sittings simulated to learn how often each (topic, dimension) cell is drawn
SITTINGS = 2000

Rule = Callable[[Question, str], float]


def blind(question: Question, lang: str) -> float:
    """Any option (any non-empty set of options on a multiple-choice question) with equal chance."""
    k = len(question.options)
    return 1 / (2**k - 1) if question.type == "multiple" else 1 / k


def _chance_among(question: Question, picked: Sequence[int]) -> float:
    """Picking one of ``picked`` (option indices) at random: the chance it is the key."""
    return sum(question.options[i].correct for i in picked) / len(picked)


def _lengths(question: Question, lang: str) -> list[int]:
    return [len(option.text[lang]) for option in question.options]


def longest(question: Question, lang: str) -> float:
    """The longest option; on a multiple-choice question, every option longer than the average."""
    if question.type == "truefalse":
        return blind(question, lang)
    lengths = _lengths(question, lang)
    if question.type == "multiple":
        mean = sum(lengths) / len(lengths)
        chosen = {question.options[i].key for i, n in enumerate(lengths) if n > mean}
        return float(chosen == question.correct_keys)
    return _chance_among(question, [i for i, n in enumerate(lengths) if n == max(lengths)])


def shortest(question: Question, lang: str) -> float:
    if question.type != "single":
        return blind(question, lang)
    lengths = _lengths(question, lang)
    return _chance_among(question, [i for i, n in enumerate(lengths) if n == min(lengths)])


def _number(text: str) -> float | None:
    found = re.search(r"\d+(?:\.\d+)?", text)
    return float(found.group()) if found else None


def middle(question: Question, lang: str) -> float:
    """The middle value when every option is a number, else the option of middle length."""
    if question.type != "single":
        return blind(question, lang)
    numbers = [_number(option.text[lang]) for option in question.options]
    if all(n is not None for n in numbers):
        ranks = sorted(range(len(numbers)), key=lambda i: numbers[i] or 0.0)
    else:
        lengths = _lengths(question, lang)
        ranks = sorted(range(len(lengths)), key=lambda i: lengths[i])
    k = len(ranks)
    return _chance_among(question, ranks[(k - 1) // 2 : k // 2 + 1])


def _always(answer: str) -> Rule:
    def rule(question: Question, lang: str) -> float:
        if question.type != "truefalse":
            return blind(question, lang)
        return float(question.correct_keys == {answer})

    return rule


def all_options(question: Question, lang: str) -> float:
    """Tick every option of a multiple-choice question."""
    if question.type != "multiple":
        return blind(question, lang)
    return float(len(question.correct_keys) == len(question.options))


STRATEGIES: dict[str, Rule] = {
    "longest option": longest,
    "shortest option": shortest,
    "middle option": middle,
    "always true": _always("true"),
    "always false": _always("false"),
    "all options of a multiple choice": all_options,
}


@dataclass(frozen=True)
class StrategyScore:
    strategy: str
    lang: str
    expected: float
    blind: float

    @property
    def advantage(self) -> float:
        return self.expected - self.blind

    @property
    def fair(self) -> bool:
        return self.advantage <= MAX_ADVANTAGE


def inclusion_shares(quiz: QuizDefinition, bank: Bank, sittings: int = SITTINGS) -> dict[str, float]:
    """How often each question is drawn, over ``n_questions`` per sitting: the weight its score
    carries in the expected survey score. Simulated with a fixed seed, so the check is repeatable."""
    rng = random.Random(0)
    counts: Counter[str] = Counter()
    for _ in range(sittings):
        counts.update(draw_question_ids(quiz, bank, rng))
    return {question_id: n / (sittings * quiz.n_questions) for question_id, n in counts.items()}


def expected_score(rule: Rule, lang: str, bank: Bank, shares: dict[str, float]) -> float:
    """The survey score a respondent following ``rule`` on every question can expect."""
    return sum(share * rule(bank.questions[q], lang) for q, share in shares.items())


def strategy_scores(quiz: QuizDefinition, bank: Bank) -> list[StrategyScore]:
    """Every strategy in every language against blind guessing, for the quiz's pool and quotas."""
    shares = inclusion_shares(quiz, bank)
    scores = []
    for lang in LANGUAGES:
        chance = expected_score(blind, lang, bank, shares)
        scores += [
            StrategyScore(name, lang, expected_score(rule, lang, bank, shares), chance)
            for name, rule in STRATEGIES.items()
        ]
    return scores
