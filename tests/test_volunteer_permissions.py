"""The permission table for volunteer pages and API endpoints.

Every role × every page or endpoint × an object inside or outside the role's scope,
with the status expected. Outside the scope answers exactly like a missing object (404);
a role that may not act at all gets 403 whether the object exists or not; without
signing in the site redirects to /login and the API answers 401.

One app serves the whole table (signing in is slow); each case makes its own volunteer,
so what one case changes cannot change another's answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from tests.conftest import ACCOUNTS, csrf_token, seeded_app, sign_in
from tests.helpers import authorization, token_for
from webapp.extensions import db
from webapp.volunteers import service
from webapp.volunteers.models import Volunteer

ROLES = ("anonymous", "staff", "other_staff", "organizer", "other_organizer", "admin")
#: a community inside each role's scope, and one outside it (None: a missing object, since admins see all)
INSIDE = {
    "anonymous": "DEMO010101",
    "staff": "DEMO010101",  # staff: street DEMO0101
    "other_staff": "DEMO010201",  # other_staff: street DEMO0102
    "organizer": "DEMO010101",  # organizer: district DEMO01
    "other_organizer": "DEMO020101",  # other_organizer: district DEMO02
    "admin": "DEMO010101",
}
OUTSIDE = {
    "anonymous": "DEMO020101",
    "staff": "DEMO010201",
    "other_staff": "DEMO010101",
    "organizer": "DEMO020101",
    "other_organizer": "DEMO010101",
    "admin": None,
}
MISSING_ID = 999_999
_phones = itertools.count(13700000000)


@pytest.fixture(scope="module")
def world(database_uri: str, make_account) -> Iterator[SimpleNamespace]:
    with seeded_app(database_uri) as app:
        for name, (role, scope) in ACCOUNTS.items():
            make_account(name, role, scope)
        clients, tokens, headers = {"anonymous": app.test_client()}, {}, {"anonymous": {}}
        tokens["anonymous"] = csrf_token(clients["anonymous"], "/login")
        for name in ACCOUNTS:
            clients[name] = app.test_client()
            assert sign_in(clients[name], name).status_code == 302
            tokens[name] = csrf_token(clients[name], "/staff")
            headers[name] = authorization(token_for(clients[name], name))
        yield SimpleNamespace(app=app, clients=clients, tokens=tokens, headers=headers)


@dataclass
class Target:
    """What a case acts on: a volunteer (or a missing id) and a community code."""

    volunteer_id: int
    community: str
    phone: str


@pytest.fixture(scope="session")
def make_target(make_volunteer: Callable[..., Volunteer]) -> Callable[[str | None], Target]:
    """``make_target(community)`` → a case's own volunteer there, its community's ambassador
    (None: a missing volunteer), and a phone no one has."""

    def make(community: str | None) -> Target:
        if community is None:
            return Target(MISSING_ID, "NOPE", str(next(_phones)))
        volunteer = make_volunteer(community, phone=str(next(_phones)), name="测试志愿者")
        service.designate_ambassador(volunteer.community, volunteer, None)
        db.session.commit()
        return Target(volunteer.id, community, str(next(_phones)))

    return make


@dataclass
class Case:
    name: str
    method: str
    url: str
    #: expected status by role (in ROLES order), for an object inside and outside the scope
    inside: tuple[int, ...]
    outside: tuple[int, ...] | None = None
    body: Callable[[Target], dict] | None = None
    api: bool = False


def _edit_form(t: Target) -> dict:
    volunteer = db.session.get(Volunteer, t.volunteer_id)
    if volunteer is None:
        return {"name": "x", "phone": t.phone, "community": t.community}
    return {"name": volunteer.name, "phone": volunteer.phone, "community": volunteer.community.code}


SITE = [
    Case("list", "GET", "/staff/volunteers", (302, 200, 200, 200, 200, 200)),
    Case("pending list", "GET", "/staff/volunteers?status=pending", (302, 200, 200, 200, 200, 200)),
    Case("export csv", "GET", "/staff/volunteers/export?format=csv", (302, 200, 200, 200, 200, 200)),
    Case("export xlsx", "GET", "/staff/volunteers/export?format=xlsx", (302, 200, 200, 200, 200, 200)),
    Case("new form", "GET", "/staff/volunteers/new", (302, 200, 200, 403, 403, 200)),
    Case("import page", "GET", "/staff/volunteers/import", (302, 200, 200, 403, 403, 200)),
    Case("import template", "GET", "/staff/volunteers/import/template.csv", (302, 200, 200, 403, 403, 200)),
    Case("teams", "GET", "/staff/teams", (302, 200, 200, 200, 200, 200)),
    Case(
        "register",
        "POST",
        "/staff/volunteers/new",
        inside=(302, 303, 303, 403, 403, 303),
        outside=(302, 200, 200, 403, 403, 200),  # the community is refused; nothing is registered
        body=lambda t: {"name": "新志愿者", "phone": t.phone, "community": t.community, "consent": "y"},
    ),
    Case(
        "create team",
        "POST",
        "/staff/teams",
        inside=(302, 303, 303, 403, 403, 303),
        outside=(302, 200, 200, 403, 403, 200),
        body=lambda t: {"name": f"队{t.phone}", "region": t.community},
    ),
    Case("detail", "GET", "/staff/volunteers/{id}", (302, 200, 200, 200, 200, 200), (302, 404, 404, 404, 404, 404)),
    Case(
        "edit form",
        "GET",
        "/staff/volunteers/{id}/edit",
        (302, 200, 200, 403, 403, 200),
        (302, 404, 404, 403, 403, 404),
    ),
    Case(
        "edit",
        "POST",
        "/staff/volunteers/{id}/edit",
        (302, 303, 303, 403, 403, 303),
        (302, 404, 404, 403, 403, 404),
        body=_edit_form,
    ),
    Case(
        "status",
        "POST",
        "/staff/volunteers/{id}/status",
        (302, 303, 303, 403, 403, 303),
        (302, 404, 404, 403, 403, 404),
        body=lambda t: {"action": "deactivate"},
    ),
    Case(
        "training",
        "POST",
        "/staff/volunteers/{id}/trainings",
        (302, 303, 303, 403, 403, 303),
        (302, 404, 404, 403, 403, 404),
        body=lambda t: {"course": "灭火器使用", "hours": "2", "held_on": "2026-01-05"},
    ),
    Case(
        "ambassador",
        "POST",
        "/staff/volunteers/{id}/ambassador",
        (302, 303, 303, 403, 403, 303),
        (302, 404, 404, 403, 403, 404),
        body=lambda t: {},
    ),
    Case(
        "person export",
        "GET",
        "/staff/volunteers/{id}/export?format=json",
        (302, 200, 200, 403, 403, 200),
        (302, 404, 404, 403, 403, 404),
    ),
    Case(
        "erase",
        "POST",
        "/staff/volunteers/{id}/erase",
        (302, 303, 303, 403, 403, 303),
        (302, 404, 404, 403, 403, 404),
        body=lambda t: {"reason": "request", "confirm": "y"},
    ),
]

API = [
    Case("api list", "GET", "/api/v1/volunteers", (401, 200, 200, 200, 200, 200), api=True),
    Case("api export", "GET", "/api/v1/volunteers/export?format=csv", (401, 200, 200, 200, 200, 200), api=True),
    Case("api teams", "GET", "/api/v1/teams", (401, 200, 200, 200, 200, 200), api=True),
    Case(
        "api register",
        "POST",
        "/api/v1/volunteers",
        (401, 201, 201, 403, 403, 201),
        (401, 422, 422, 403, 403, 422),  # a community outside the scope is refused like an unknown one
        body=lambda t: {"name": "新志愿者", "phone": t.phone, "community": t.community, "consent": True},
        api=True,
    ),
    Case(
        "api create team",
        "POST",
        "/api/v1/teams",
        (401, 201, 201, 403, 403, 201),
        (401, 422, 422, 403, 403, 422),
        body=lambda t: {"name": f"队{t.phone}", "region": t.community},
        api=True,
    ),
    Case(
        "api detail",
        "GET",
        "/api/v1/volunteers/{id}",
        (401, 200, 200, 200, 200, 200),
        (401, 404, 404, 404, 404, 404),
        api=True,
    ),
    Case(
        "api patch",
        "PATCH",
        "/api/v1/volunteers/{id}",
        (401, 200, 200, 403, 403, 200),
        (401, 404, 404, 403, 403, 404),
        body=lambda t: {"notes": "改了备注"},
        api=True,
    ),
    Case(
        "api status",
        "POST",
        "/api/v1/volunteers/{id}/status",
        (401, 200, 200, 403, 403, 200),
        (401, 404, 404, 403, 403, 404),
        body=lambda t: {"action": "deactivate"},
        api=True,
    ),
    Case(
        "api training",
        "POST",
        "/api/v1/volunteers/{id}/trainings",
        (401, 201, 201, 403, 403, 201),
        (401, 404, 404, 403, 403, 404),
        body=lambda t: {"course": "灭火器使用", "hours": 2, "held_on": "2026-01-05"},
        api=True,
    ),
    Case(
        "api ambassador",
        "GET",
        "/api/v1/ambassadors/{community}",
        (401, 200, 200, 200, 200, 200),
        (401, 404, 404, 404, 404, 404),
        api=True,
    ),
    Case(
        "api designate",
        "PUT",
        "/api/v1/ambassadors/{community}",
        (401, 200, 200, 403, 403, 200),
        (401, 404, 404, 403, 403, 404),
        body=lambda t: {"volunteer_id": t.volunteer_id},
        api=True,
    ),
    Case(
        "api person export",
        "GET",
        "/api/v1/volunteers/{id}/export?format=xlsx",
        (401, 200, 200, 403, 403, 200),
        (401, 404, 404, 403, 403, 404),
        api=True,
    ),
    Case(
        "api erase",
        "DELETE",
        "/api/v1/volunteers/{id}",
        (401, 204, 204, 403, 403, 204),
        (401, 404, 404, 403, 403, 404),
        api=True,
    ),
]


def _params():
    for case in SITE + API:
        for where in ("inside", "outside") if case.outside else ("inside",):
            expected = getattr(case, where)
            for role, status in zip(ROLES, expected, strict=True):
                yield pytest.param(case, role, where, status, id=f"{case.name}-{role}-{where}-{status}")


@pytest.mark.parametrize(("case", "role", "where", "expected"), list(_params()))
def test_permission_table(
    world: SimpleNamespace, case: Case, role: str, where: str, expected: int, make_target
) -> None:
    target = make_target(INSIDE[role] if where == "inside" else OUTSIDE[role])
    url = case.url.format(id=target.volunteer_id, community=target.community)
    client = world.clients[role]
    body = case.body(target) if case.body else None
    if case.api:
        response = client.open(url, method=case.method, json=body, headers=world.headers[role])
    elif case.method == "GET":
        response = client.get(url)
    else:
        response = client.open(url, method=case.method, data={"csrf_token": world.tokens[role], **(body or {})})
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302:
        assert "/login" in response.headers["Location"]
    if case.api and expected >= 400:
        assert response.is_json and response.get_json()["error"]["code"]


def test_an_outside_object_answers_like_a_missing_one(world: SimpleNamespace, make_target) -> None:
    outside = make_target(OUTSIDE["staff"])
    staff = world.clients["staff"]
    foreign = staff.get(f"/staff/volunteers/{outside.volunteer_id}")
    missing = staff.get(f"/staff/volunteers/{MISSING_ID}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data(as_text=True).count("找不到") == missing.get_data(as_text=True).count("找不到") > 0
    headers = world.headers["staff"]
    foreign = staff.get(f"/api/v1/volunteers/{outside.volunteer_id}", headers=headers).get_json()
    missing = staff.get(f"/api/v1/volunteers/{MISSING_ID}", headers=headers).get_json()
    # alike in every word; only the request id, which each answer has of its own, differs
    assert foreign["error"].pop("request_id") != missing["error"].pop("request_id")
    assert foreign == missing


def test_out_of_scope_registrations_change_nothing(world: SimpleNamespace, make_target) -> None:
    before = db.session.execute(db.select(db.func.count(Volunteer.id))).scalar_one()
    target = make_target(OUTSIDE["staff"])
    staff = world.clients["staff"]
    data = {"csrf_token": world.tokens["staff"], "name": "越界", "phone": target.phone, "community": target.community}
    staff.post("/staff/volunteers/new", data={**data, "consent": "y"})
    staff.post(
        "/api/v1/volunteers",
        json={"name": "越界", "phone": target.phone, "community": target.community, "consent": True},
        headers=world.headers["staff"],
    )
    assert db.session.execute(db.select(db.func.count(Volunteer.id))).scalar_one() == before + 1  # the target only
