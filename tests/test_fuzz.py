"""Schemathesis against /api/v1/openapi.json: whatever it sends, no 5xx, and every answer
matches the documented schema and content type. Bounded examples keep it quick."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.conftest import PASSWORD, make_app
from webapp.accounts.service import create_user, issue_token
from webapp.extensions import db
from webapp.regions.service import get_region, seed_demo_regions

# its own database: the fuzzer creates volunteers and activities at random
_DB = Path(tempfile.mkdtemp(prefix="fuzz-")) / "fuzz.db"
APP = make_app(f"sqlite:///{_DB}")
with APP.app_context():
    db.create_all()
    seed_demo_regions()
    staff = create_user("fuzz-staff", "fuzz", PASSWORD, "staff", get_region("DEMO0101"))
    TOKEN, _record = issue_token(staff, timedelta(days=1))
    db.session.commit()

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_answers_as_documented(case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)
