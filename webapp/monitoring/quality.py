"""Quality flags from an interview's paradata: what keeps it out of the estimate until reviewed.

Monitoring surveys check their fieldwork the same ways: an interview finished faster than its
questions can be read aloud, answers that follow a pattern instead of the questions (the same
position every time, "straight-lining"), and an interviewer whose pace is not possible (two
interviews at once, or more in an hour than can be done). A phone survey counts only when
every question is answered, so an incomplete interview is flagged too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

INCOMPLETE, TOO_FAST, STRAIGHT_LINING, INTERVIEWER_PACE = "incomplete", "too_fast", "straight_lining", "pace"
FLAGS = (INCOMPLETE, TOO_FAST, STRAIGHT_LINING, INTERVIEWER_PACE)


@dataclass(frozen=True)
class QualityRules:
    #: reading a question and its options aloud, and hearing the answer, takes longer than this
    min_seconds_per_question: float = 5.0
    #: more interviews than this ending within one hour is not a pace one interviewer can keep
    max_per_hour: int = 6
    #: straight-lining is judged only with at least this many shuffled (single-choice) questions
    straight_min_items: int = 5


@dataclass(frozen=True)
class Sitting:
    """What the flags look at: the positions chosen per question (None: unanswered), whether each
    question's options were shuffled, and when it started and ended."""

    positions: Sequence[tuple[int, ...]]
    shuffled: Sequence[bool]
    started_at: datetime
    ended_at: datetime


def quality_flags(
    sitting: Sitting, earlier: Sequence[tuple[datetime, datetime]], rules: QualityRules = QualityRules()
) -> list[str]:
    """The flags of one interview; ``earlier`` holds (start, end) of its interviewer's other interviews."""
    flags = []
    if any(not chosen for chosen in sitting.positions):
        flags.append(INCOMPLETE)
    reading = timedelta(seconds=rules.min_seconds_per_question * len(sitting.positions))
    if sitting.ended_at - sitting.started_at < reading:
        flags.append(TOO_FAST)
    single = [
        chosen for chosen, shuffled in zip(sitting.positions, sitting.shuffled, strict=True) if shuffled and chosen
    ]
    if len(single) >= rules.straight_min_items and len(set(single)) == 1:
        flags.append(STRAIGHT_LINING)
    if _implausible_pace(sitting, earlier, rules):
        flags.append(INTERVIEWER_PACE)
    return flags


def _implausible_pace(sitting: Sitting, earlier: Sequence[tuple[datetime, datetime]], rules: QualityRules) -> bool:
    start, end = sitting.started_at, sitting.ended_at
    overlapping = any(other_start < end and start < other_end for other_start, other_end in earlier)
    hour_before = end - timedelta(hours=1)
    in_the_hour = sum(1 for _, other_end in earlier if hour_before < other_end <= end) + 1
    return overlapping or in_the_hour > rules.max_per_hour
