"""Item analysis: how each question performs, and the misconceptions to teach against.

Over each respondent's first valid survey of each month in the period. Discrimination is
the point-biserial correlation between getting the question right and the attempt's total
score (item included): near zero or negative means the question does not separate those
who know from those who don't.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from quizzes.library import Library
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.stats.applier import catch_up
from webapp.stats.figures import Figure, share
from webapp.stats.models import OptionRollup, QuestionRollup
from webapp.stats.periods import Period

#: fewer answers than this and a question's share correct is too noisy to rank
MIN_ANSWERS = 20
#: a question is marked for review on this many first answers when it is answered right by more
#: than ``TOO_EASY`` or fewer than ``TOO_HARD``, or separates knowers from guessers less than
#: ``LOW_DISCRIMINATION``: it then measures little (or measures its wording) in a survey
REVIEW_MIN_ANSWERS = 100
TOO_EASY, TOO_HARD, LOW_DISCRIMINATION = 0.95, 0.20, 0.1


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    topic: str
    lesson: str
    correct: Figure
    discrimination: float | None
    #: the wrong option chosen most often and how often, or None
    common_wrong: tuple[str, int] | None

    @property
    def review_reasons(self) -> list[str]:
        """Why the question should be reviewed: too_easy, too_hard, low_discrimination (none below 100 answers)."""
        if self.correct.n < REVIEW_MIN_ANSWERS or self.correct.value is None:
            return []
        reasons = []
        if self.correct.value > TOO_EASY:
            reasons.append("too_easy")
        if self.correct.value < TOO_HARD:
            reasons.append("too_hard")
        if self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION:
            reasons.append("low_discrimination")
        return reasons


def point_biserial(n: int, correct: int, total: float, total_sq: float, total_correct: float) -> float | None:
    if n < 2 or correct in (0, n):
        return None
    mean = total / n
    sd = math.sqrt(max(0.0, total_sq / n - mean * mean))
    if sd == 0:
        return None
    mean_right = total_correct / correct
    mean_wrong = (total - total_correct) / (n - correct)
    p = correct / n
    return (mean_right - mean_wrong) / sd * math.sqrt(p * (1 - p))


def _wrong_choices(region: Region, period: Period, library: Library, question_ids=None) -> dict[str, tuple[str, int]]:
    """The wrong option chosen most often per question (of ``question_ids``, or all)."""
    catch_up()
    stmt = (
        select(OptionRollup.question_id, OptionRollup.option_key, func.sum(OptionRollup.chosen))
        .where(OptionRollup.region_id == region.id, OptionRollup.month.in_(period.months))
        .group_by(OptionRollup.question_id, OptionRollup.option_key)
    )
    if question_ids is not None:
        stmt = stmt.where(OptionRollup.question_id.in_(question_ids))
    wrong: dict[str, tuple[str, int]] = {}
    for question_id, key, count in db.session.execute(stmt):
        question = library.bank.questions.get(question_id)
        if question is None or key in question.correct_keys:
            continue
        if count and (question_id not in wrong or count > wrong[question_id][1]):
            wrong[question_id] = (key, int(count))
    return wrong


def _question_stats(region: Region, period: Period, library: Library) -> list[ItemStats]:
    """Every question answered in the subtree and period, weakest first, without common wrong options."""
    catch_up()
    rows = db.session.execute(
        select(
            QuestionRollup.question_id,
            func.sum(QuestionRollup.answers),
            func.sum(QuestionRollup.correct),
            func.sum(QuestionRollup.total_sum),
            func.sum(QuestionRollup.total_sq_sum),
            func.sum(QuestionRollup.total_sum_correct),
        )
        .where(QuestionRollup.region_id == region.id, QuestionRollup.month.in_(period.months))
        .group_by(QuestionRollup.question_id)
    ).all()
    items = []
    for question_id, n, right, total, total_sq, total_right in rows:
        question = library.bank.questions.get(question_id)
        if question is None:  # retired from the bank since
            continue
        n, right = int(n or 0), int(right or 0)
        items.append(
            ItemStats(
                question_id=question_id,
                topic=question.topic,
                lesson=question.lesson,
                correct=share(right, n),
                discrimination=point_biserial(n, right, float(total), float(total_sq), float(total_right)),
                common_wrong=None,
            )
        )
    return sorted(
        items, key=lambda item: (item.correct.value if item.correct.value is not None else 1, item.question_id)
    )


def item_analysis(region: Region, period: Period, library: Library) -> list[ItemStats]:
    """Every question answered in the subtree and period, weakest first."""
    wrong = _wrong_choices(region, period, library)
    items = _question_stats(region, period, library)
    return [replace(item, common_wrong=wrong.get(item.question_id)) for item in items]


def review_list(region: Region, period: Period, library: Library) -> tuple[list[str], list[list]]:
    """The questions marked for review, as the table ``flask content check --review`` reads:
    the fingerprint says which wording was analysed, so a rewritten question is not refused."""
    headers = ["question_id", "fingerprint", "reasons", "answers", "share_correct", "discrimination"]
    rows = [
        [
            item.question_id,
            library.bank.questions[item.question_id].fingerprint,
            " ".join(item.review_reasons),
            item.correct.n,
            round(item.correct.value or 0, 4),
            None if item.discrimination is None else round(item.discrimination, 3),
        ]
        for item in _question_stats(region, period, library)
        if item.review_reasons
    ]
    return headers, rows


def weakest_points(region: Region, period: Period, library: Library, how_many: int = 10) -> list[ItemStats]:
    """The questions answered worst among those with enough answers: what to teach next.

    Common wrong options are looked up for these few only: over a city, the option
    rollups are the largest table the dashboard would otherwise read in full.
    """
    weakest = [item for item in _question_stats(region, period, library) if item.correct.n >= MIN_ANSWERS][:how_many]
    if not weakest:
        return []
    wrong = _wrong_choices(region, period, library, [item.question_id for item in weakest])
    return [replace(item, common_wrong=wrong.get(item.question_id)) for item in weakest]
