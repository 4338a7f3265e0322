"""`flask data purge`: old tokens, answers and audit entries go; every figure stays."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from quizzes.library import Library
from quizzes.models import Answer, Attempt, Draw
from tests.conftest import COMMUNITY
from tests.helpers import assert_error, snapshot
from webapp.audit import service as audit
from webapp.audit.models import AuditEntry
from webapp.clock import local_month, utcnow
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.service import get_region
from webapp.retention import cutoff
from webapp.stats import rollups
from webapp.stats.indicators import region_indicators, topic_accuracy
from webapp.stats.items import item_analysis
from webapp.stats.periods import parse_period


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def figures(library: Library, when: datetime) -> list:
    """What the dashboard shows for the year and month of ``when`` in the demo district."""
    district = get_region("DEMO01")
    month = local_month(when)
    result = []
    for period in (parse_period(month[:4]), parse_period(month)):
        result += [
            region_indicators(district, period),
            topic_accuracy(district, period),
            item_analysis(district, period, library),
        ]
    return result


@pytest.fixture()
def history(app: Flask, hand_in_survey) -> dict:
    """A resident gone for four years, one who came back last month, one of last month;
    audit entries of six and four years ago."""
    now = utcnow()
    long_ago, recently = now - timedelta(days=4 * 365), now - timedelta(days=30)
    gone, back = learn.enroll_respondent(get_region(COMMUNITY)), learn.enroll_respondent(get_region(COMMUNITY))
    new = learn.enroll_respondent(get_region("DEMO010102"))
    for (respondent, _token), enrolled in ((gone, long_ago), (back, long_ago), (new, recently)):
        respondent.created_at = enrolled
    db.session.flush()
    hand_in_survey(COMMUNITY, 7, long_ago, respondent=gone[0])
    hand_in_survey(COMMUNITY, 9, long_ago + timedelta(days=2), respondent=gone[0])
    hand_in_survey(COMMUNITY, 4, long_ago + timedelta(days=1), respondent=back[0])
    hand_in_survey(COMMUNITY, 8, recently, respondent=back[0])
    hand_in_survey("DEMO010102", 5, recently, respondent=new[0])
    for years in (6, 4):
        audit.record(None, "volunteer.export", details={"years": years}).at = now - timedelta(days=years * 365)
    db.session.commit()
    return {"gone": gone[1], "back": back[1], "new": new[1], "long_ago": long_ago, "recently": recently}


def test_purge_unlinks_old_respondents_and_keeps_every_figure(app: Flask, library: Library, history) -> None:
    made = history
    before = snapshot()
    shown = figures(library, made["long_ago"]), figures(library, made["recently"])
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["data", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    for line in (
        "would remove 1 respondent tokens",
        "would remove 30 answers",
        "would remove 3 served questions",
        "would remove 1 audit entries",
    ):
        assert line in dry.output
    assert count(Answer) == 50 and count(AuditEntry) == 2 and learn.find_respondent(made["gone"]) is not None

    done = runner.invoke(args=["data", "purge"])
    assert done.exit_code == 0, done.output
    assert "removed 1 respondent tokens" in done.output and "removed 30 answers" in done.output
    # the resident gone for years can no longer be linked to their phone; the others can
    assert learn.find_respondent(made["gone"]) is None
    assert learn.find_respondent(made["back"]) is not None and learn.find_respondent(made["new"]) is not None
    assert count(Respondent) == 3 and count(Attempt) == 5  # still statistics
    old_draws = db.session.execute(select(Draw).where(Draw.served_at < made["long_ago"] + timedelta(days=5)))
    assert all(draw.items == [] for draw in old_draws.scalars())
    assert count(Answer) == 20  # the two recent surveys
    entries = db.session.execute(select(AuditEntry.action, AuditEntry.details)).all()
    assert sorted(action for action, _ in entries) == ["data.purge", "volunteer.export"]
    purge_details = next(details for action, details in entries if action == "data.purge")
    assert purge_details["answers"] == 30 and purge_details["respondent_tokens"] == 1

    assert snapshot() == before
    assert (figures(library, made["long_ago"]), figures(library, made["recently"])) == shown
    # a rebuild from what is left gives the same rollups: old months' answer rollups are kept
    rollups.rebuild()
    db.session.commit()
    assert snapshot() == before
    assert (figures(library, made["long_ago"]), figures(library, made["recently"])) == shown

    again = runner.invoke(args=["data", "purge"])
    assert "removed 0 respondent tokens" in again.output and "removed 0 answers" in again.output


def test_a_purged_token_is_refused_like_an_unknown_one(app: Flask, library: Library, history) -> None:
    made = history
    assert app.test_cli_runner().invoke(args=["data", "purge"]).exit_code == 0
    response = app.test_client().post(
        "/api/v1/quizzes/awareness-survey/draws",
        json={"community": COMMUNITY},
        headers={"X-Respondent-Token": made["gone"]},
    )
    assert_error(response, 401, "respondent_unknown")
    assert count(Respondent) == 3


def test_cutoffs_fall_on_local_month_starts() -> None:
    # 2026-12-01 03:00 in Beijing is still November in UTC
    assert cutoff(datetime(2026, 11, 30, 19, 0), 3) == datetime(2023, 11, 30, 16, 0)
    assert cutoff(datetime(2026, 11, 30, 15, 0), 3) == datetime(2023, 10, 31, 16, 0)


def test_answers_kept_screen_by_screen_go_with_the_other_raw_rows(app: Flask, library: Library) -> None:
    from quizzes import service as quizzes
    from quizzes.models import SavedAnswer
    from quizzes.service import Timing
    from webapp.retention import purge

    now = utcnow()
    timing = Timing.from_config(app.config)
    for when in (now - timedelta(days=4 * 365), now - timedelta(days=30)):
        respondent, _token = learn.enroll_respondent(get_region(COMMUNITY))
        draw = quizzes.start_draw(library, library.survey, respondent, get_region(COMMUNITY), timing, now=when)
        quizzes.save_answer(library, draw, 0, [1], now=when)
        quizzes.save_answer(library, draw, 3, [0], now=when)
    db.session.commit()
    assert purge(now, 3, 5, dry_run=True).saved_answers == 2 and count(SavedAnswer) == 4
    assert purge(now, 3, 5).saved_answers == 2
    assert count(SavedAnswer) == 2  # last month's sitting keeps its answers


def test_old_training_invitations_and_expired_sign_ins_are_purged(app: Flask, accounts: dict) -> None:
    from webapp.retention import purge
    from webapp.training import roster, trainees, units
    from webapp.training.models import TraineeToken, TrainingInvitation

    unit = units.create_unit(accounts["staff"], {"name": "翠竹大厦", "kind": "enterprise", "region": COMMUNITY})
    member = roster.add_member(accounts["staff"], unit, {"name": "刘洋", "phone": "13912345678", "role": "employee"})
    long_ago = utcnow() - timedelta(days=5 * 365)
    trainees.redeem_invitation(trainees.issue_invitation(accounts["staff"], member, now=long_ago).code, now=long_ago)
    fresh = trainees.issue_invitation(accounts["staff"], member).code
    db.session.commit()
    done = purge(utcnow(), 3, 5)
    assert (done.training_invitations, done.trainee_tokens) == (1, 1)
    assert db.session.execute(select(func.count()).select_from(TraineeToken)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(TrainingInvitation)).scalar_one() == 1
    assert trainees.redeem_invitation(fresh)[1].id == member.id  # today's invitation still works
