"""What residents' operations announce, for whoever keeps count of it (the rollups) to subscribe.

Receivers run inside the event's own transaction: one that raises makes the event fail.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a respondent finished a lesson for the first time: the sender is the new LessonCompletion,
#: with its ``respondent``
lesson_completed = _signals.signal("lesson-completed")
