"""The benchmark's city generator: the sizes asked for, rollups equal to a rebuild, and live
submissions carrying on from the generated rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bench.generate import CITY_CODE, generate, respondent_token
from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.models import Answer, Attempt, Draw
from tests.conftest import make_app
from tests.helpers import assert_rollups_equal_a_rebuild
from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.learn.service import find_respondent
from webapp.regions.models import LEAF_LEVELS, Region
from webapp.regions.service import get_region

COMMUNITIES, RESPONDENTS = 20, 600


def count(*what) -> int:
    return db.session.execute(select(func.count()).select_from(*what)).scalar_one()


def test_generated_city_matches_its_summary_and_a_rebuild(fresh_database: str, library: Library) -> None:
    summary = generate(fresh_database, communities=COMMUNITIES, respondents=RESPONDENTS, processes=2)
    app = make_app(fresh_database)
    with app.app_context():
        city = get_region(CITY_CODE)
        levels = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
        assert sum(levels[level] for level in LEAF_LEVELS if level in levels) == COMMUNITIES == summary["communities"]
        assert levels["city"] == 1 and levels["district"] >= 1 and levels["street"] >= 1
        assert (
            city.population
            == db.session.execute(select(func.sum(Region.population)).where(Region.level.in_(LEAF_LEVELS))).scalar_one()
        )
        assert count(Respondent) == RESPONDENTS == summary["respondents"]
        assert count(Attempt) == summary["attempts"] > RESPONDENTS  # some retake the survey
        assert count(Answer) == summary["answers"] == 10 * summary["attempts"]
        assert count(Draw) == summary["draws"] > summary["attempts"]  # some are abandoned
        assert count(LessonCompletion) == summary["lesson_completions"] > 0
        handed_in = select(Draw).where(Draw.submitted_at.is_not(None)).subquery()
        assert count(handed_in) == summary["attempts"]
        valid = db.session.execute(select(func.avg(Attempt.valid.cast(db.Integer)))).scalar_one()
        assert 0.9 < valid < 1  # mostly valid, some incomplete or late
        score = db.session.execute(select(func.avg(1.0 * Attempt.n_correct / Attempt.n_questions))).scalar_one()
        assert 0.6 < score < 0.9

        # a generated respondent hands in another survey: ids and months carry on from the
        # generated rows, and the rollups (generated, then kept live) equal a rebuild
        respondent = find_respondent(respondent_token(1))
        community = respondent.community
        timing = quizzes.Timing(submit_grace=timedelta(minutes=1), expiry=timedelta(hours=2))
        draw = quizzes.start_draw(library, library.survey, respondent, community, timing)
        quizzes.submit_draw(library, draw, {i: [0] for i in range(len(draw.items))})
        db.session.commit()
        assert_rollups_equal_a_rebuild()
        db.session.rollback()
        db.engine.dispose()
