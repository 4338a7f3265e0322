"""Indicators on small hand-computed fixtures: the first-attempt rule, invalid surveys,
pooling over the subtree, quarters counting each respondent once, targets and status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from quizzes import service as quizzes
from quizzes.library import Library
from tests.factories import NOV, TIMING
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.stats.indicators import children_indicators, region_indicators, topic_accuracy
from webapp.stats.periods import parse_period
from webapp.stats.targets import set_target, targets_for


def test_first_valid_attempt_counts_and_retakes_show_apart(app, hand_in_survey, make_respondent) -> None:
    r1 = make_respondent("DEMO010101")
    hand_in_survey("DEMO010101", 6, NOV, respondent=r1)
    hand_in_survey("DEMO010101", 10, NOV + timedelta(days=10), respondent=r1)
    db.session.commit()
    figures = region_indicators(get_region("DEMO010101"), parse_period("2026-11"))
    assert figures.awareness.value == pytest.approx(0.6) and figures.awareness.n == 1
    assert figures.after_learning.value == pytest.approx(1.0) and figures.after_learning.n == 1
    assert figures.pass_share.value == 1.0  # 6 of 10 reaches the 60% pass mark


def test_incomplete_surveys_are_excluded_and_counted_apart(app, hand_in_survey, make_respondent) -> None:
    r1, r2 = make_respondent("DEMO010101"), make_respondent("DEMO010101")
    hand_in_survey("DEMO010101", 9, NOV, complete=False, respondent=r1)  # does not count
    hand_in_survey("DEMO010101", 5, NOV + timedelta(days=1), respondent=r1)  # r1's first valid one
    hand_in_survey("DEMO010101", 8, NOV, respondent=r2)
    db.session.commit()
    figures = region_indicators(get_region("DEMO010101"), parse_period("2026-11"))
    assert figures.awareness.n == 2 and figures.awareness.value == pytest.approx(0.65)
    assert figures.invalid_surveys == 1
    assert figures.pass_share.value == pytest.approx(0.5)


def test_rates_are_pooled_not_averaged(app, hand_in_survey) -> None:
    hand_in_survey("DEMO010101", 6, NOV)
    for correct in (10, 10, 8):
        hand_in_survey("DEMO010102", correct, NOV)
    db.session.commit()
    street = region_indicators(get_region("DEMO0101"), parse_period("2026-11"))
    assert street.awareness.n == 4
    assert street.awareness.value == pytest.approx((0.6 + 1.0 + 1.0 + 0.8) / 4)  # 0.85, not 0.767
    children = dict(children_indicators(get_region("DEMO0101"), parse_period("2026-11")))
    assert children[get_region("DEMO010102")].awareness.value == pytest.approx(2.8 / 3)
    assert children[get_region("DEMO010103")].awareness.n == 0


def test_a_quarter_counts_each_respondent_once(app, hand_in_survey, make_respondent) -> None:
    r1 = make_respondent("DEMO010101")
    hand_in_survey("DEMO010101", 5, datetime(2026, 10, 10, 4), respondent=r1)
    hand_in_survey("DEMO010101", 9, NOV, respondent=r1)
    db.session.commit()
    community = get_region("DEMO010101")
    quarter = region_indicators(community, parse_period("2026Q4"))
    assert quarter.awareness.n == 1 and quarter.awareness.value == pytest.approx(0.5)
    assert quarter.after_learning.value == pytest.approx(0.9)
    november = region_indicators(community, parse_period("2026-11"))
    assert november.awareness.value == pytest.approx(0.9)  # first valid survey of November
    assert region_indicators(community, parse_period("2026-2030")).awareness.n == 1


def test_topic_accuracy_uses_the_same_first_attempts(app, library: Library, hand_in_survey, make_respondent) -> None:
    r1 = make_respondent("DEMO010101")
    hand_in_survey("DEMO010101", 10, NOV, respondent=r1)
    hand_in_survey("DEMO010101", 0, NOV + timedelta(days=1), respondent=r1)  # a retake: not in topic accuracy
    db.session.commit()
    topics = topic_accuracy(get_region("DEMO01"), parse_period("2026-11"))
    assert set(topics) == set(library.catalog.taxonomy.topics)
    assert all(figure.value == 1.0 and figure.n == 1 for figure in topics.values())


def test_usage_and_education_over_population(app, library: Library, hand_in_survey, make_respondent) -> None:
    community = get_region("DEMO010101")
    r1, r2 = make_respondent("DEMO010101"), make_respondent("DEMO010101")
    hand_in_survey("DEMO010101", 7, NOV, respondent=r1)
    quizzes.start_draw(library, library.survey, r2, community, TIMING, now=NOV)  # active, not reached
    db.session.commit()
    figures = region_indicators(community, parse_period("2026-11"))
    assert figures.usage.count == 2 and figures.usage.n == community.population
    assert figures.education.count == 1


def test_targets_inherit_from_the_nearest_ancestor(app) -> None:
    plan = parse_period("2026-2030")
    set_target(get_region("DEMO"), "awareness", "2026-2030", 0.8, None)
    set_target(get_region("DEMO02"), "awareness", "2026-2030", 0.9, None)
    set_target(get_region("DEMO010101"), "awareness", "2026Q4", 0.85, None)
    db.session.commit()
    assert targets_for(get_region("DEMO020101"), plan)["awareness"].value == 0.9
    assert targets_for(get_region("DEMO010102"), parse_period("2026-11"))["awareness"].value == 0.8
    own = targets_for(get_region("DEMO010101"), parse_period("2026-11"))["awareness"]
    assert own.value == 0.85 and own.period == "2026Q4"
    assert targets_for(get_region("DEMO010101"), parse_period("2027-01"))["awareness"].value == 0.8
    assert "usage" not in targets_for(get_region("DEMO010101"), plan)


def test_status_against_the_inherited_target(app, hand_in_survey) -> None:
    set_target(get_region("DEMO"), "awareness", "2026-2030", 0.8, None)
    for _ in range(30):
        hand_in_survey("DEMO010101", 10, NOV)
    for _ in range(30):
        hand_in_survey("DEMO010102", 4, NOV)
    db.session.commit()
    period = parse_period("2026-11")
    assert region_indicators(get_region("DEMO010101"), period).awareness.status == "met"
    assert region_indicators(get_region("DEMO010102"), period).awareness.status == "not_met"
    assert region_indicators(get_region("DEMO010103"), period).awareness.status == "no_data"


def test_item_analysis_finds_the_misconception(app, library: Library, hand_in_survey) -> None:
    from webapp.stats.items import item_analysis, point_biserial

    # everyone answers all but the last question right; the last one they all get wrong
    for correct in (9, 9, 9, 10, 10):
        hand_in_survey("DEMO010101", correct, NOV)
    db.session.commit()
    items = item_analysis(get_region("DEMO01"), parse_period("2026-11"), library)
    assert sum(item.correct.n for item in items) == 50
    weakest = items[0]
    assert weakest.correct.value < 1.0 and weakest.common_wrong is not None
    question = library.bank.questions[weakest.question_id]
    assert weakest.common_wrong[0] not in question.correct_keys
    # those who got an item right scored higher overall: positive discrimination
    assert point_biserial(5, 2, 4.8, 4.62, 2.0) > 0
    assert point_biserial(5, 0, 4.0, 3.2, 0.0) is None
