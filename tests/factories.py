"""Builders of what tests need: fixtures that return a function (Indico's ``create_user`` style).

``make_volunteer(phone="13900000001", status="inactive")`` reads as the domain does; every
builder goes through the service the application uses (so its rules and audit entries hold),
names regions by code, and commits, so that what it built is there for the next request
(each request of a test client has a database session of its own). They work in whatever
app context the test is in, which is why they are session-wide: the permission tables'
module-wide worlds use them too. Registered by ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from quizzes import service as quizzes
from quizzes.library import Library
from quizzes.service import Timing
from tests.conftest import COMMUNITY, PASSWORD
from tests.helpers import authorization, right_choices, token_for
from webapp.accounts.models import User
from webapp.accounts.service import create_user
from webapp.campaigns import service as campaigns
from webapp.campaigns.models import Activity
from webapp.clock import local_today
from webapp.extensions import db
from webapp.learn import service as learn
from webapp.learn.models import Respondent
from webapp.regions.models import Region
from webapp.regions.service import get_region
from webapp.volunteers import service as volunteers
from webapp.volunteers.models import Volunteer

#: the day an activity is held unless a test says otherwise: two months back, so that a test
#: can place others weeks after it that still lie in the past
ACTIVITY_DAY = local_today() - timedelta(days=60)
#: a moment in November 2026 (noon in Beijing) to hand surveys in at
NOV = datetime(2026, 11, 3, 4, 0)
#: sittings that stay open long enough for any moment a test names
TIMING = Timing(submit_grace=timedelta(minutes=1), expiry=timedelta(days=400))

#: what staff type into the new-volunteer form unless a test says otherwise
VOLUNTEER_FORM = {"name": "李强", "phone": "139 1234 5678", "community": COMMUNITY}
#: the page where residents of the demo community sign up as volunteers, and what they type
SIGNUP_PAGE = f"/volunteer?community={COMMUNITY}"
SIGNUP_FORM = {"community": COMMUNITY, "name": "陈静", "phone": "13712345678", "consent": "y"}
#: what staff type into the activity form unless a test says otherwise
ACTIVITY_FORM = {
    "title": "厨房用火安全讲座",
    "channel": "school",
    "kind": "talk",
    "held_on": ACTIVITY_DAY.isoformat(),
    "community": COMMUNITY,
    "place": "育才小学礼堂",
    "participants": "120",
    "materials": "300",
    "notes": "",
}


def _region(code: str) -> Region:
    found = get_region(code)
    assert found is not None, f"no region {code}"
    return found


@pytest.fixture(scope="session")
def region() -> Callable[[str], Region]:
    """``region("DEMO0101")`` → that demo region; a code that names none fails the test."""
    return _region


@pytest.fixture(scope="session")
def make_account() -> Callable[..., User]:
    """``make_account("alice", "staff", "DEMO0101")`` → a new account (password ``PASSWORD``);
    ``scope`` is a region code, None for an admin."""

    def make(
        username: str, role: str, scope: str | None = None, *, display_name: str | None = None, password: str = PASSWORD
    ) -> User:
        user = create_user(username, display_name or username, password, role, _region(scope) if scope else None)
        db.session.commit()
        return user

    return make


@pytest.fixture()
def bearer(client: FlaskClient, accounts: dict) -> Callable[[str], dict[str, str]]:
    """``bearer("staff")`` → headers carrying a new API token of that test account."""
    return lambda username: authorization(token_for(client, username))


@pytest.fixture(scope="session")
def make_volunteer() -> Callable[..., Volunteer]:
    """``make_volunteer(phone="13900000001", community="DEMO010102", skills=["first_aid"])`` →
    a volunteer registered by staff (``source="self"``: one waiting for review), with any
    other registration field; ``status`` sets the status a test starts from.

    :raises VolunteerError: as registering does, for fields the service refuses.
    """

    def make(
        community: str = COMMUNITY,
        phone: str = "13800138000",
        name: str = "王芳",
        source: str = "staff",
        status: str | None = None,
        **data,
    ) -> Volunteer:
        volunteer = volunteers.register_volunteer(
            {"name": name, "phone": phone, "consent": True, **data}, _region(community), source, None
        )
        if status is not None:
            volunteer.status = status
        db.session.commit()
        return volunteer

    return make


@pytest.fixture(scope="session")
def make_activity() -> Callable[..., Activity]:
    """``make_activity(accounts["staff"], "DEMO010102", participants=30)`` → a 五进 activity
    logged by that account: a talk in the community held on ``ACTIVITY_DAY`` unless told.

    :raises ActivityError: as logging one does.
    """

    def make(by: User, community: str = COMMUNITY, **fields) -> Activity:
        data = {"title": "讲座", "channel": "community", "kind": "talk", "held_on": ACTIVITY_DAY, **fields}
        activity = campaigns.create_activity(data, _region(community), by)
        db.session.commit()
        return activity

    return make


@pytest.fixture(scope="session")
def make_respondent() -> Callable[[str], Respondent]:
    """``make_respondent("DEMO010101")`` → a new anonymous resident of that community."""

    def make(community: str = COMMUNITY) -> Respondent:
        respondent, _token = learn.enroll_respondent(_region(community))
        db.session.commit()
        return respondent

    return make


@pytest.fixture(scope="session")
def hand_in_survey(library: Library, make_respondent: Callable[[str], Respondent]) -> Callable[..., Respondent]:
    """``hand_in_survey("DEMO010101", 7, NOV)`` → who handed in, at ``when``, an awareness
    survey of that community with exactly 7 right answers (a new resident of it unless
    ``respondent`` is given); ``complete=False`` leaves the last question unanswered."""

    def hand_in(
        community: str,
        correct: int,
        when: datetime,
        respondent: Respondent | None = None,
        complete: bool = True,
    ) -> Respondent:
        respondent = respondent or make_respondent(community)
        draw = quizzes.start_draw(library, library.survey, respondent, _region(community), TIMING, now=when)
        choices = {}
        for i, (item, right) in enumerate(zip(draw.items, right_choices(library, draw), strict=True)):
            wrong = [p for p in range(len(item["o"])) if p not in right]
            choices[i] = right if i < correct else wrong[:1]
        if not complete:
            choices.pop(len(choices) - 1)
        quizzes.submit_draw(library, draw, choices, now=when + timedelta(minutes=4))
        db.session.commit()
        return respondent

    return hand_in
