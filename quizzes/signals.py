"""What the quiz service announces, for whoever keeps count of it (the rollups) to subscribe.

Receivers run inside the event's own transaction: one that raises makes the event fail.
"""

from __future__ import annotations

from typing import NamedTuple

from blinker import Namespace

_signals = Namespace()

#: a respondent was served a draw (the sender), before it is written
quiz_started = _signals.signal("quiz-started")
#: a draw was handed in for the first time: the sender is the stored attempt, with its
#: ``respondent`` and ``answers``, one AnsweredQuestion per served question in order
quiz_submitted = _signals.signal("quiz-submitted")


class AnsweredQuestion(NamedTuple):
    """One served question as handed in."""

    question_id: str
    topic: str
    #: the chosen option keys, empty when unanswered
    chosen: tuple[str, ...]
    correct: bool
