"""Indicators on small hand-computed fixtures: the first-attempt rule, invalid surveys,
pooling over the subtree, quarters counting each respondent once, targets and status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.service import Timing
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.service import get_region
from webapp.stats.indicators import children_indicators, region_indicators, topic_accuracy
from webapp.stats.periods import parse_period
from webapp.stats.targets import set_target, targets_for

TIMING = Timing(submit_grace=timedelta(minutes=1), expiry=timedelta(days=400))


def survey(
    library: Library, respondent: Respondent, community: str, correct: int, when: datetime, complete: bool = True
) -> None:
    """Hand in a survey with exactly ``correct`` right answers."""
    region = get_region(community)
    draw = quizzes.start_draw(library, library.survey, respondent, region, TIMING, now=when)
    choices = {}
    for i, item in enumerate(draw.items):
        question = library.bank.questions[item["q"]]
        right = [p for p, key in enumerate(item["o"]) if question.option(key).correct]
        wrong = [p for p, key in enumerate(item["o"]) if not question.option(key).correct]
        choices[i] = right if i < correct else wrong[:1]
    if not complete:
        choices.pop(9)
    quizzes.submit_draw(library, draw, choices, now=when + timedelta(minutes=4))


def person(community: str) -> Respondent:
    return learn.enroll_respondent(get_region(community))[0]


NOV = datetime(2026, 11, 3, 4, 0)  # noon in Beijing


def test_first_valid_attempt_counts_and_retakes_show_apart(app, library: Library) -> None:
    r1 = person("DEMO010101")
    survey(library, r1, "DEMO010101", 6, NOV)
    survey(library, r1, "DEMO010101", 10, NOV + timedelta(days=10))
    db.session.commit()
    figures = region_indicators(get_region("DEMO010101"), parse_period("2026-11"))
    assert figures.awareness.value == pytest.approx(0.6) and figures.awareness.n == 1
    assert figures.after_learning.value == pytest.approx(1.0) and figures.after_learning.n == 1
    assert figures.pass_share.value == 1.0  # 6 of 10 reaches the 60% pass mark


def test_incomplete_surveys_are_excluded_and_counted_apart(app, library: Library) -> None:
    r1, r2 = person("DEMO010101"), person("DEMO010101")
    survey(library, r1, "DEMO010101", 9, NOV, complete=False)  # does not count
    survey(library, r1, "DEMO010101", 5, NOV + timedelta(days=1))  # r1's first valid one
    survey(library, r2, "DEMO010101", 8, NOV)
    db.session.commit()
    figures = region_indicators(get_region("DEMO010101"), parse_period("2026-11"))
    assert figures.awareness.n == 2 and figures.awareness.value == pytest.approx(0.65)
    assert figures.invalid_surveys == 1
    assert figures.pass_share.value == pytest.approx(0.5)


def test_rates_are_pooled_not_averaged(app, library: Library) -> None:
    survey(library, person("DEMO010101"), "DEMO010101", 6, NOV)
    for correct in (10, 10, 8):
        survey(library, person("DEMO010102"), "DEMO010102", correct, NOV)
    db.session.commit()
    street = region_indicators(get_region("DEMO0101"), parse_period("2026-11"))
    assert street.awareness.n == 4
    assert street.awareness.value == pytest.approx((0.6 + 1.0 + 1.0 + 0.8) / 4)  # 0.85, not 0.767
    children = dict(children_indicators(get_region("DEMO0101"), parse_period("2026-11")))
    assert children[get_region("DEMO010102")].awareness.value == pytest.approx(2.8 / 3)
    assert children[get_region("DEMO010103")].awareness.n == 0


def test_a_quarter_counts_each_respondent_once(app, library: Library) -> None:
    r1 = person("DEMO010101")
    survey(library, r1, "DEMO010101", 5, datetime(2026, 10, 10, 4))
    survey(library, r1, "DEMO010101", 9, NOV)
    db.session.commit()
    community = get_region("DEMO010101")
    quarter = region_indicators(community, parse_period("2026Q4"))
    assert quarter.awareness.n == 1 and quarter.awareness.value == pytest.approx(0.5)
    assert quarter.after_learning.value == pytest.approx(0.9)
    november = region_indicators(community, parse_period("2026-11"))
    assert november.awareness.value == pytest.approx(0.9)  # first valid survey of November
    assert region_indicators(community, parse_period("2026-2030")).awareness.n == 1


def test_topic_accuracy_uses_the_same_first_attempts(app, library: Library) -> None:
    r1 = person("DEMO010101")
    survey(library, r1, "DEMO010101", 10, NOV)
    survey(library, r1, "DEMO010101", 0, NOV + timedelta(days=1))  # a retake: not in topic accuracy
    db.session.commit()
    topics = topic_accuracy(get_region("DEMO01"), parse_period("2026-11"))
    assert set(topics) == set(library.catalog.taxonomy.topics)
    assert all(figure.value == 1.0 and figure.n == 1 for figure in topics.values())


def test_usage_and_education_over_population(app, library: Library) -> None:
    community = get_region("DEMO010101")
    r1, r2 = person("DEMO010101"), person("DEMO010101")
    survey(library, r1, "DEMO010101", 7, NOV)
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


def test_status_against_the_inherited_target(app, library: Library) -> None:
    set_target(get_region("DEMO"), "awareness", "2026-2030", 0.8, None)
    for _ in range(30):
        survey(library, person("DEMO010101"), "DEMO010101", 10, NOV)
    for _ in range(30):
        survey(library, person("DEMO010102"), "DEMO010102", 4, NOV)
    db.session.commit()
    period = parse_period("2026-11")
    assert region_indicators(get_region("DEMO010101"), period).awareness.status == "met"
    assert region_indicators(get_region("DEMO010102"), period).awareness.status == "not_met"
    assert region_indicators(get_region("DEMO010103"), period).awareness.status == "no_data"


def test_item_analysis_finds_the_misconception(app, library: Library) -> None:
    from webapp.stats.items import item_analysis, point_biserial

    # everyone answers all but the last question right; the last one they all get wrong
    for correct in (9, 9, 9, 10, 10):
        survey(library, person("DEMO010101"), "DEMO010101", correct, NOV)
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
