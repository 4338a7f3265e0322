"""The demo command gives the dashboard varied, believable numbers."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from quizzes.models import Attempt
from webapp.campaigns.models import Activity
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.stats.indicators import children_indicators, region_indicators
from webapp.stats.periods import parse_period
from webapp.volunteers.models import Volunteer


def test_seed_demo_with_attempts(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo", "--attempts", "150"])
    assert result.exit_code == 0, result.output
    assert "demo account demo-organizer (organizer, DEMO01) password:" in result.output
    kinds = dict(db.session.execute(select(Attempt.kind, func.count()).group_by(Attempt.kind)).all())
    assert kinds["survey"] > 50 and kinds.get("check", 0) > 5
    assert db.session.execute(select(func.count()).where(Attempt.valid.is_(False))).scalar_one() >= 1
    assert db.session.execute(select(func.count(Volunteer.id))).scalar_one() > 100
    assert db.session.execute(select(func.count(Activity.id))).scalar_one() > 70
    year = parse_period(f"{max(db.session.execute(select(Attempt.submitted_at)).scalars()).year}")
    city = region_indicators(get_region("DEMO"), year)
    assert 0.4 < city.awareness.value < 0.95 and city.awareness.target == 0.8
    rates = [f.awareness.value for _, f in children_indicators(get_region("DEMO"), year) if f.awareness.n]
    assert len(rates) == 3 and max(rates) - min(rates) > 0.005  # districts differ
    # some residents open the survey and never hand it in: active (usage), not reached (education)
    assert city.usage.count > city.education.count > 0
    assert "completed monitoring wave in Binjiang District" in result.output
    again = app.test_cli_runner().invoke(args=["seed-demo", "--attempts", "150"])
    assert "already there" in again.output


def test_seed_demo_trains_key_groups_unevenly(app: Flask) -> None:
    from webapp.clock import local_today
    from webapp.training.desk import training_desk
    from webapp.training.models import TrainingCertificate, Unit

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "demo account demo-unit (unit_manager," in result.output
    library = app.extensions["library"]
    year = parse_period(str(local_today().year))
    districts = [training_desk(library, get_region(f"DEMO0{d}"), year).figure for d in (1, 2, 3)]
    assert all(f.n > 50 for f in districts)
    assert max(f.value for f in districts) - min(f.value for f in districts) > 0.2  # districts differ
    city = training_desk(library, get_region("DEMO"), year)
    assert city.target is not None and city.target.value == 1.0 and city.figure.status == "not_met"
    assert city.growth is not None and city.growth > 0 and city.behind
    offline = db.session.execute(select(func.count()).where(TrainingCertificate.offline.is_(True))).scalar_one()
    assert offline > 0
    units_before = db.session.execute(select(func.count(Unit.id))).scalar_one()
    app.test_cli_runner().invoke(args=["seed-demo"])
    assert db.session.execute(select(func.count(Unit.id))).scalar_one() == units_before
