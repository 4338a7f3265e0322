"""Schemathesis against /api/v1/openapi.json, on the suite's database (SQLite, or PostgreSQL
when TEST_DATABASE_URL is set): whatever it sends, no 5xx, and every answer as documented —
status code, headers, content type and body schema — with every check schemathesis has.
Bounded examples keep it quick."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import PASSWORD, empty_database, make_app
from tests.helpers import authorization
from webapp.accounts.service import create_user, issue_token
from webapp.extensions import db
from webapp.monitoring.waves import WavePlan, create_wave
from webapp.regions.margins import import_margins
from webapp.regions.service import get_region, seed_demo_regions

# the schema is read when the module is collected, so its database is made then too: its own,
# because the fuzzer creates volunteers and activities at random
KIND = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
_DATABASE = ExitStack()
_URI = _DATABASE.enter_context(empty_database(KIND, Path(tempfile.mkdtemp(prefix="fuzz-")), "fuzz"))
APP = make_app(_URI)
with APP.app_context():
    db.create_all()
    seed_demo_regions()
    staff = create_user("fuzz-staff", "fuzz", PASSWORD, "staff", get_region("DEMO0101"))
    TOKEN, _record = issue_token(staff, timedelta(days=1))
    # an organizer with a district that has population margins and a wave, for the monitoring endpoints
    organizer = create_user("fuzz-organizer", "fuzz", PASSWORD, "organizer", get_region("DEMO01"))
    ORGANIZER_TOKEN, _record = issue_token(organizer, timedelta(days=1))
    cells = [(band, sex) for band in ("15-39", "40-59", "60+") for sex in ("female", "male")]
    import_margins(
        [
            (i, {"region_code": "DEMO01", "age_band": b, "sex": s, "population": "1000"})
            for i, (b, s) in enumerate(cells)
        ]
    )
    create_wave(organizer, get_region("DEMO01"), WavePlan("fuzz", "2026", 60, "proportional", ["door", "online"]))
    db.session.commit()

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
#: schemathesis's WSGI calls ask for gzip but do not decode it; compressed answers are tested
#: in tests/test_identity.py
UNCOMPRESSED = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module", autouse=True)
def _drop_the_database() -> Iterator[None]:
    yield
    with APP.app_context():
        db.session.remove()
        db.engine.dispose()
    _DATABASE.close()


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_answers_as_documented(case: schemathesis.Case) -> None:
    # no `checks=`: every check schemathesis registers runs
    case.call_and_validate(headers={**authorization(TOKEN), **UNCOMPRESSED})


@schema.include(path_regex="waves|margins|interview").parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_monitoring_never_fails_for_an_organizer(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={**authorization(ORGANIZER_TOKEN), **UNCOMPRESSED})
