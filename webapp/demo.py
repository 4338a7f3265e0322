"""Believable demo data: residents answering over a year, unevenly by topic, place and time.

Everything generated here lives in the demo city (flagged ``is_demo``) and is produced by
the same services real residents go through, so the rollups are the live ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from content.check import Library
from quizzes import service as quizzes
from quizzes.models import Draw
from quizzes.service import Timing
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.timeutil import utcnow

TIMING = Timing(submit_grace=timedelta(minutes=1), expiry=timedelta(hours=2))
#: how much harder or easier each topic is than average (invented for the demo)
TOPIC_DIFFICULTY = {
    "call-119": 0.08,
    "electricity": -0.06,
    "e-bikes": -0.1,
    "kitchen-gas": 0.0,
    "fire-use": 0.04,
    "extinguishers": -0.14,
    "escape": -0.04,
    "home": 0.02,
    "public-places": 0.05,
    "rural": -0.08,
}


def _answer(draw: Draw, library: Library, skill: float, rng: random.Random) -> dict[int, list[int]]:
    """Right with a probability from the resident's skill and the topic; wrong answers favour
    the first wrong option, as a common misconception would."""
    choices = {}
    for i, item in enumerate(draw.items):
        question = library.bank.questions[item["q"]]
        p = min(0.98, max(0.05, skill + TOPIC_DIFFICULTY.get(question.topic, 0) - 0.05 * (question.difficulty - 1)))
        right = [pos for pos, key in enumerate(item["o"]) if question.option(key).correct]
        wrong = [pos for pos, key in enumerate(item["o"]) if not question.option(key).correct]
        if rng.random() < p:
            choices[i] = right if question.type == "multiple" else right[:1]
        else:
            ordered = sorted(wrong, key=lambda pos: item["o"][pos])  # the same tempting option each time
            choices[i] = [ordered[0] if rng.random() < 0.6 else rng.choice(wrong)]
    return choices


def seed_demo_attempts(
    library: Library, city: Region, attempts: int, seed: int = 2026, progress: Callable[[int], None] | None = None
) -> int:
    """About ``attempts`` quiz attempts by residents of the demo city over the last twelve months.

    Communities differ in how well residents know the material, knowledge improves
    over the year, some residents retake the survey after reading, and a few surveys
    are left incomplete. Returns the number of attempts made.
    """
    rng = random.Random(seed)
    communities = list(
        db.session.execute(
            select(Region).where(Region.path.like(f"{city.path}%"), Region.level.in_(LEAF_LEVELS)).order_by(Region.id)
        ).scalars()
    )
    base = {c.id: rng.uniform(0.55, 0.85) - (0.06 if c.level == "village" else 0) for c in communities}
    weights = [c.population or 1 for c in communities]
    end = utcnow().replace(hour=4, minute=0, second=0, microsecond=0)
    lessons = list(library.catalog.lessons)
    made = 0
    while made < attempts:
        community = rng.choices(communities, weights)[0]
        respondent, _token = learn.enroll_respondent(community)
        days_ago = int(rng.triangular(0, 365, 30))  # more activity recently, as a campaign builds
        when = end - timedelta(days=days_ago, minutes=rng.randrange(600))
        skill = base[community.id] + 0.08 * (365 - days_ago) / 365 + rng.gauss(0, 0.08)
        made += _sitting(
            library, respondent, community, library.survey, when, skill, rng, incomplete=rng.random() < 0.04
        )
        if rng.random() < 0.35:  # read a lesson, check it, and perhaps take the survey again
            lesson = rng.choice(lessons)
            when += timedelta(days=rng.randrange(0, 20), minutes=30)
            if when < end:
                learn.complete_lesson(respondent, lesson, now=when)
                made += _sitting(
                    library, respondent, community, library.quizzes[f"check-{lesson}"], when, skill + 0.1, rng
                )
                if rng.random() < 0.5:
                    made += _sitting(
                        library, respondent, community, library.survey, when + timedelta(hours=1), skill + 0.08, rng
                    )
        if progress and made % 200 < 3:
            progress(made)
    db.session.flush()
    return made


def _sitting(
    library: Library,
    respondent: Respondent,
    community: Region,
    quiz,
    when: datetime,
    skill: float,
    rng: random.Random,
    incomplete: bool = False,
) -> int:
    draw = quizzes.start_draw(library, quiz, respondent, community, TIMING, now=when)
    choices = _answer(draw, library, skill, rng)
    if incomplete:
        choices.pop(len(choices) - 1)
    quizzes.submit_draw(library, draw, choices, now=when + timedelta(minutes=rng.randrange(2, 9)))
    return 1
