"""A fair instrument: quotas by topic and dimension, practice-only questions, a composite index,
the test-wise strategies of the content check, and too-fast surveys kept out of the figures."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import datetime, timedelta
from itertools import chain, combinations, product
from types import MappingProxyType

import pytest
from flask import Flask
from scipy.stats import chisquare

from quizzes import service as quizzes
from quizzes.bank import Bank, Option, Question
from quizzes.definitions import QuizDefinition
from quizzes.engine import ItemResult, composite_score, draw_questions
from quizzes.fairness import MAX_ADVANTAGE, inclusion_shares, strategy_scores
from quizzes.library import Library, fairness_report
from quizzes.quotas import pick_questions
from tests.factories import TIMING
from webapp.clock import local_midnight_utc
from webapp.extensions import db
from webapp.stats.indicators import region_indicators
from webapp.stats.periods import parse_period


def test_every_sitting_meets_the_topic_and_the_dimension_quotas(library: Library) -> None:
    survey, bank = library.survey, library.bank
    assert sum(survey.dimension_quotas.values()) == survey.n_questions
    rng = random.Random(5)
    for _ in range(300):
        served = [bank.questions[item.question_id] for item in draw_questions(survey, bank, rng)]
        assert Counter(q.dimension for q in served) == Counter(survey.dimension_quotas)
        assert Counter(q.topic for q in served) == Counter(survey.topic_quotas)
        assert all(q.in_survey for q in served)


def _small_survey(library: Library) -> tuple[QuizDefinition, Bank]:
    """Three topics of real questions relabelled into two dimensions, cells of 1 to 4 questions:
    small enough to count every sitting, uneven enough that a wrong weighting would show."""
    template = next(iter(library.bank.questions.values()))
    cells = {("t1", "d1"): 3, ("t1", "d2"): 1, ("t2", "d1"): 2, ("t2", "d2"): 3, ("t3", "d1"): 1, ("t3", "d2"): 4}
    questions = {
        f"{topic}-{dimension}-{i}": dataclasses.replace(
            template, id=f"{topic}-{dimension}-{i}", topic=topic, dimension=dimension
        )
        for (topic, dimension), size in cells.items()
        for i in range(size)
    }
    bank = dataclasses.replace(library.bank, questions=MappingProxyType(questions))
    survey = dataclasses.replace(
        library.survey,
        pool=tuple(questions),
        n_questions=6,
        topic_quotas=MappingProxyType({"t1": 2, "t2": 2, "t3": 2}),
        dimension_quotas=MappingProxyType({"d1": 3, "d2": 3}),
    )
    return survey, bank


def test_every_sitting_that_meets_the_quotas_is_equally_likely(library: Library) -> None:
    survey, bank = _small_survey(library)
    by_topic = {t: [q for q in survey.pool if bank.questions[q].topic == t] for t in survey.topic_quotas}
    valid = [
        frozenset(chain(*picks))
        for picks in product(*(combinations(by_topic[t], k) for t, k in survey.topic_quotas.items()))
        if Counter(bank.questions[q].dimension for q in chain(*picks)) == Counter(survey.dimension_quotas)
    ]
    # by hand, per the d1 questions of (t1, t2, t3): (2,1,0) 3·6·6, (2,0,1) 3·3·4, (1,2,0) 3·1·6, (1,1,1) 3·6·4
    assert len(valid) == 108 + 36 + 18 + 72
    rng = random.Random(11)
    seen = Counter(frozenset(pick_questions(survey, bank, rng)) for _ in range(23_400))
    assert set(seen) == set(valid)  # none outside the quotas, and every one of them drawn
    observed = [seen[sitting] for sitting in valid]
    assert chisquare(observed).pvalue > 0.001, observed


def test_practice_only_questions_stay_out_of_the_survey(library: Library) -> None:
    practice_only = [q for q in library.bank.questions.values() if not q.in_survey]
    assert len(practice_only) >= 10
    assert not set(library.survey.pool) & {q.id for q in practice_only}
    for question in practice_only:
        assert question.id in library.quizzes[f"practice-{question.topic}"].pool
    # and every survey question can be drawn under the quotas
    assert set(inclusion_shares(library.survey, library.bank, 1000)) == set(library.survey.pool)


def result(question_id: str, correct: bool) -> ItemResult:
    return ItemResult(question_id, ("a",), correct)


def test_a_composite_index_weighs_dimensions_and_equal_weights_give_the_plain_share(library: Library) -> None:
    bank = library.bank
    by_dimension = {d: [q.id for q in bank.questions.values() if q.dimension == d] for d in ("prevention", "escape")}
    results = [result(by_dimension["prevention"][i], i < 3) for i in range(4)]  # 3 of 4 right
    results += [result(by_dimension["escape"][0], False)]  # 0 of 1 right
    plain = library.survey
    assert composite_score(results, plain, bank) == pytest.approx(3 / 5)
    weighted = dataclasses.replace(plain, dimension_weights=MappingProxyType({"prevention": 0.4, "escape": 0.6}))
    assert composite_score(results, weighted, bank) == pytest.approx(0.4 * 3 / 4 + 0.6 * 0)
    equal = dataclasses.replace(plain, dimension_weights=MappingProxyType({"prevention": 4, "escape": 1}))
    assert composite_score(results, equal, bank) == pytest.approx(3 / 5)  # weights as the quotas: the plain share


def test_the_bank_gives_no_test_wise_rule_more_than_five_points(library: Library) -> None:
    scores = strategy_scores(library.survey, library.bank)
    assert {s.lang for s in scores} == {"zh_Hans", "en"}
    assert all(s.advantage <= MAX_ADVANTAGE for s in scores), [(s.strategy, s.lang, s.advantage) for s in scores]


def _longest_key(question: Question) -> Question:
    """The question with its key padded to be the longest option in both languages."""
    if question.type != "single":
        return question
    options = tuple(
        dataclasses.replace(o, text=MappingProxyType({k: v + "，而且要记住这一点" * 3 for k, v in o.text.items()}))
        if o.correct
        else o
        for o in question.options
    )
    return dataclasses.replace(question, options=options)


def test_a_bank_whose_keys_are_the_longest_is_refused(library: Library) -> None:
    leaky = Bank(
        questions=MappingProxyType({qid: _longest_key(q) for qid, q in library.bank.questions.items()}),
        by_topic=library.bank.by_topic,
        by_lesson=library.bank.by_lesson,
    )
    lines, problems = fairness_report(dataclasses.replace(library, bank=leaky))
    assert any("'longest option' [zh_Hans] beats blind guessing" in p for p in problems)
    assert any("'longest option' [en] beats blind guessing" in p for p in problems)
    assert lines[0].startswith("survey pool:")


def test_a_course_exam_whose_keys_are_the_longest_is_refused(library: Library) -> None:
    """Only the control-room course's questions are made leaky: its exam is refused, a course sharing none is not."""
    course = library.courses["control-room"]
    leaky = Bank(
        questions=MappingProxyType(
            {qid: _longest_key(q) if qid in course.exam.pool else q for qid, q in library.bank.questions.items()}
        ),
        by_topic=library.bank.by_topic,
        by_lesson=library.bank.by_lesson,
    )
    _lines, problems = fairness_report(dataclasses.replace(library, bank=leaky))
    assert any(p.startswith("the exam of control-room leaks its keys: 'longest option'") for p in problems)
    assert not any("the exam of micro-station" in p for p in problems)
    _fair_lines, none = fairness_report(library)
    assert none == []


def test_always_false_is_caught_too(library: Library) -> None:
    def falsified(q: Question) -> Question:
        if q.type != "truefalse":
            return q
        options = tuple(Option(o.key, o.text, o.key == "false") for o in q.options)
        return dataclasses.replace(q, options=options)

    leaky = dataclasses.replace(
        library.bank, questions=MappingProxyType({k: falsified(q) for k, q in library.bank.questions.items()})
    )
    scores = {(s.strategy, s.lang): s for s in strategy_scores(library.survey, leaky)}
    assert not scores[("always false", "en")].fair and scores[("always true", "en")].expected < 0.25


def test_a_survey_handed_in_too_fast_is_kept_and_counted_apart(
    app: Flask, library: Library, make_respondent, region
) -> None:
    community = region("DEMO010101")
    when = local_midnight_utc(datetime(2026, 11, 10).date()) + timedelta(hours=10)
    for seconds in (8, 600):
        respondent = make_respondent("DEMO010101")
        draw = quizzes.start_draw(library, library.survey, respondent, community, TIMING, now=when)
        quizzes.submit_draw(
            library, draw, {i: [0] for i in range(len(draw.items))}, now=when + timedelta(seconds=seconds)
        )
        db.session.commit()
    figures = region_indicators(community, parse_period("2026-11"))
    assert figures.too_fast_surveys == 1
    assert figures.awareness.n == 1  # the one that took ten minutes
