"""Drawing and scoring, on the real question bank."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.engine import AnswerError, DrawnItem, draw_questions, score_items
from quizzes.library import Library


def correct_positions(library: Library, item: DrawnItem) -> list[int]:
    question = library.bank.questions[item.question_id]
    return [i for i, key in enumerate(item.option_keys) if question.option(key).correct]


def test_survey_draws_one_question_per_topic(library: Library) -> None:
    items = draw_questions(library.survey, library.bank, random.Random(1))
    topics = Counter(library.bank.questions[item.question_id].topic for item in items)
    assert len(items) == 10
    assert set(topics) == set(library.catalog.taxonomy.topics)
    assert set(topics.values()) == {1}


def test_draws_differ_and_options_are_shuffled(library: Library) -> None:
    rng = random.Random(7)
    draws = [draw_questions(library.survey, library.bank, rng) for _ in range(20)]
    assert len({tuple(i.question_id for i in d) for d in draws}) > 1
    served_orders = [item.option_keys for d in draws for item in d if len(item.option_keys) > 2]
    natural = [tuple(sorted(order)) for order in served_orders]
    assert any(order != nat for order, nat in zip(served_orders, natural, strict=True))


def test_true_false_keeps_true_first(library: Library) -> None:
    for _ in range(10):
        for item in draw_questions(library.survey, library.bank):
            if library.bank.questions[item.question_id].type == "truefalse":
                assert item.option_keys == ("true", "false")


def test_lesson_check_draws_only_that_lessons_questions(library: Library) -> None:
    quiz = library.quizzes["check-oil-pan-fire"]
    items = draw_questions(quiz, library.bank, random.Random(3))
    assert 3 <= len(items) <= 5
    assert {library.bank.questions[i.question_id].lesson for i in items} == {"oil-pan-fire"}


def test_practice_quiz_stays_in_its_topic(library: Library) -> None:
    quiz = library.quizzes["practice-escape"]
    items = draw_questions(quiz, library.bank, random.Random(5))
    assert len(items) == quiz.n_questions
    assert {library.bank.questions[i.question_id].topic for i in items} == {"escape"}


def test_all_correct_scores_full(library: Library) -> None:
    items = draw_questions(library.survey, library.bank, random.Random(11))
    choices = {i: correct_positions(library, item) for i, item in enumerate(items)}
    results = score_items(items, choices, library.bank)
    assert all(r.correct for r in results)


def test_unanswered_is_wrong_and_not_answered(library: Library) -> None:
    items = draw_questions(library.survey, library.bank, random.Random(12))
    results = score_items(items, {}, library.bank)
    assert not any(r.correct or r.answered for r in results)


def test_multiple_choice_needs_exactly_the_right_set(library: Library) -> None:
    question = next(q for q in library.bank.questions.values() if q.type == "multiple")
    item = DrawnItem(question.id, tuple(o.key for o in question.options))
    right = [i for i, o in enumerate(question.options) if o.correct]
    assert score_items([item], {0: right}, library.bank)[0].correct
    assert not score_items([item], {0: right[:1]}, library.bank)[0].correct
    assert not score_items([item], {0: list(range(len(question.options)))}, library.bank)[0].correct


@pytest.mark.parametrize(
    "choices",
    [{10: [0]}, {-1: [0]}, {0: [9]}, {0: [-1]}],
    ids=["question past the end", "negative question", "option past the end", "negative option"],
)
def test_answers_outside_the_draw_are_refused(library: Library, choices) -> None:
    items = draw_questions(library.survey, library.bank, random.Random(2))
    with pytest.raises(AnswerError):
        score_items(items, choices, library.bank)


def test_two_answers_to_a_single_choice_question_are_refused(library: Library) -> None:
    question = next(q for q in library.bank.questions.values() if q.type == "single")
    item = DrawnItem(question.id, tuple(o.key for o in question.options))
    with pytest.raises(AnswerError):
        score_items([item], {0: [0, 1]}, library.bank)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), data=st.data())
def test_score_is_the_number_of_exactly_right_answers(library: Library, seed: int, data: st.DataObject) -> None:
    items = draw_questions(library.survey, library.bank, random.Random(seed))
    choices = {}
    expected = 0
    for i, item in enumerate(items):
        question = library.bank.questions[item.question_id]
        n = len(item.option_keys)
        if question.type == "multiple":
            picked = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
        else:
            picked = data.draw(st.lists(st.integers(0, n - 1), max_size=1))
        if picked:
            choices[i] = picked
        expected += bool(picked) and sorted(picked) == correct_positions(library, item)
    results = score_items(items, choices, library.bank)
    assert sum(r.correct for r in results) == expected
    assert sum(r.answered for r in results) == len(choices)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), shuffle_seed=st.integers(0, 2**32))
def test_scoring_does_not_depend_on_served_order(library: Library, seed: int, shuffle_seed: int) -> None:
    """The same chosen options score the same however the options were shuffled."""
    items = draw_questions(library.survey, library.bank, random.Random(seed))
    rng = random.Random(shuffle_seed)
    reshuffled, choices_a, choices_b = [], {}, {}
    for i, item in enumerate(items):
        keys = list(item.option_keys)
        rng.shuffle(keys)
        reshuffled.append(DrawnItem(item.question_id, tuple(keys)))
        picked_key = item.option_keys[rng.randrange(len(keys))]
        choices_a[i] = [item.option_keys.index(picked_key)]
        choices_b[i] = [keys.index(picked_key)]
    a = score_items(items, choices_a, library.bank)
    b = score_items(reshuffled, choices_b, library.bank)
    assert [r.correct for r in a] == [r.correct for r in b]
