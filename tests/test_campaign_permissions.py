"""Who may open which activity, QR and poster page or API endpoint: role × endpoint × object.

An object is inside the scope of street DEMO0101 (and district DEMO01), outside every
scoped account (district DEMO03), or missing. Outside answers exactly like missing (404),
a role that may never do something gets 403, the anonymous visitor is sent to sign in (site)
or gets 401 (API).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ACCOUNTS, csrf_token, seeded_app, sign_in
from tests.helpers import assert_error, authorization
from webapp.accounts.service import issue_token
from webapp.extensions import db

ROLES = ["anonymous", "staff", "other_staff", "organizer", "other_organizer", "admin"]
#: community codes by object; DEMO030101 lies outside every scoped test account
COMMUNITIES = {"inside": "DEMO010101", "outside": "DEMO030101", "missing": "NOPE99"}
#: who sees an object (besides nobody for a missing one)
VISIBLE = {"inside": {"staff", "organizer", "admin"}, "outside": {"admin"}, "missing": set()}
WRITERS = {"staff", "other_staff", "admin"}
DAY = (date.today() - timedelta(days=3)).isoformat()


@dataclass
class World:
    app: Flask
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    csrf: dict[str, str]
    activities: dict[str, int]


@pytest.fixture(scope="module")
def world(database_uri: str, make_account, make_activity) -> Iterator[World]:
    """One app, accounts and activities for the whole table (signing in is slow on purpose)."""
    with seeded_app(database_uri) as app:
        users = {name: make_account(name, role, scope) for name, (role, scope) in ACCOUNTS.items()}
        activities = {
            where: make_activity(users["admin"], COMMUNITIES[where], held_on=date.fromisoformat(DAY)).id
            for where in ("inside", "outside")
        }
        activities["missing"] = 999_999
        tokens = {name: issue_token(user, timedelta(hours=1))[0] for name, user in users.items()}
        db.session.commit()
        clients = {"anonymous": app.test_client()}
        for name in users:
            clients[name] = app.test_client()
            assert sign_in(clients[name], name).status_code == 302
        csrf = {
            name: csrf_token(client, "/login" if name == "anonymous" else "/staff") for name, client in clients.items()
        }
        yield World(app, clients, tokens, csrf, activities)


def _form(world: World, role: str, obj: str) -> dict[str, str]:
    return {
        "csrf_token": world.csrf[role],
        "title": "讲座",
        "channel": "community",
        "kind": "talk",
        "held_on": DAY,
        "community": COMMUNITIES[obj],
        "participants": "12",
        "materials": "0",
    }


def _expected(role: str, site: bool, write: bool, obj: str | None, ok: int, hidden: int = 404) -> int:
    if role == "anonymous":
        return 302 if site else 401
    if write and role not in WRITERS:
        return 403
    if obj is None or role in VISIBLE[obj]:
        return ok
    return hidden


# (method, path, write?, ok status); {a} = an activity id, {c} = a community code
SITE_LISTS = [
    ("GET", "/staff/activities", False, 200),
    ("GET", "/staff/activities?channel=community&q=讲", False, 200),
    ("GET", "/staff/activities/export.csv", False, 200),
    ("GET", "/staff/activities/export.xlsx", False, 200),
    ("GET", "/staff/posters", False, 200),
    ("GET", "/staff/activities/new", True, 200),
]
SITE_ACTIVITY = [
    ("GET", "/staff/activities/{a}", False, 200),
    ("GET", "/staff/activities/{a}/poster", False, 200),
    ("GET", "/staff/qr/activity/{a}.svg", False, 200),
    ("GET", "/staff/qr/activity/{a}.png", False, 200),
    ("GET", "/staff/activities/{a}/edit", True, 200),
    ("POST", "/staff/activities/{a}/edit", True, 302),
]
SITE_COMMUNITY = [
    ("GET", "/staff/posters/community/{c}", False, 200),
    ("GET", "/staff/qr/community/{c}.svg", False, 200),
    ("GET", "/staff/qr/community/{c}.png", False, 200),
]
API_LISTS = [
    ("GET", "/api/v1/activities", False, 200),
    ("GET", "/api/v1/activities?channel=community&q=讲&page=2&per_page=5", False, 200),
    ("GET", "/api/v1/activities/export?format=csv", False, 200),
    ("GET", "/api/v1/activities/export?format=xlsx", False, 200),
]
API_ACTIVITY = [
    ("GET", "/api/v1/activities/{a}", False, 200),
    ("PATCH", "/api/v1/activities/{a}", True, 200),
    ("PUT", "/api/v1/activities/{a}/services", True, 200),
]
OBJECTS = ["inside", "outside", "missing"]


def _site(world: World, role: str, method: str, path: str, obj: str | None):
    client = world.clients[role]
    if method == "GET":
        return client.get(path)
    return client.post(path, data=_form(world, role, obj or "inside"))


def _api(world: World, role: str, method: str, path: str, body: dict | None = None):
    headers = authorization(world.tokens[role]) if role != "anonymous" else {}
    return world.clients["anonymous"].open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "write", "ok"), SITE_LISTS)
def test_site_lists(world: World, role: str, method: str, path: str, write: bool, ok: int) -> None:
    response = _site(world, role, method, path, None)
    assert response.status_code == _expected(role, True, write, None, ok)
    if role == "anonymous":
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize(("method", "path", "write", "ok"), SITE_ACTIVITY)
def test_site_activity_pages(world: World, role: str, obj: str, method: str, path: str, write: bool, ok: int) -> None:
    response = _site(world, role, method, path.format(a=world.activities[obj]), obj)
    assert response.status_code == _expected(role, True, write, obj, ok)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize(("method", "path", "write", "ok"), SITE_COMMUNITY)
def test_site_community_pages(world: World, role: str, obj: str, method: str, path: str, write: bool, ok: int) -> None:
    response = _site(world, role, method, path.format(c=COMMUNITIES[obj]), obj)
    assert response.status_code == _expected(role, True, write, obj, ok)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
def test_site_create_in_a_community(world: World, role: str, obj: str) -> None:
    # a community outside the scope is not among the choices: the form comes back with an error
    response = _site(world, role, "POST", "/staff/activities/new", obj)
    assert response.status_code == _expected(role, True, True, obj, 302, hidden=200)
    if response.status_code == 200:
        assert 'class="error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "write", "ok"), API_LISTS)
def test_api_lists(world: World, role: str, method: str, path: str, write: bool, ok: int) -> None:
    response = _api(world, role, method, path)
    assert response.status_code == _expected(role, False, write, None, ok)
    if response.status_code >= 400:
        assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize(("method", "path", "write", "ok"), API_ACTIVITY)
def test_api_activity(world: World, role: str, obj: str, method: str, path: str, write: bool, ok: int) -> None:
    body = {"PATCH": {"participants": 12}, "PUT": {"services": []}}.get(method)
    response = _api(world, role, method, path.format(a=world.activities[obj]), body)
    assert response.status_code == _expected(role, False, write, obj, ok)
    if response.status_code == 404:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
def test_api_create_in_a_community(world: World, role: str, obj: str) -> None:
    body = {"title": "演练", "channel": "school", "kind": "drill", "held_on": DAY, "community": COMMUNITIES[obj]}
    response = _api(world, role, "POST", "/api/v1/activities", body)
    # an unknown and a foreign community are refused alike, so codes cannot be probed
    assert response.status_code == _expected(role, False, True, obj, 201, hidden=422)
    if response.status_code == 422:
        assert_error(response, 422, "community_unknown")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize("path", ["/api/v1/activities?community={c}", "/api/v1/activities/export?community={c}"])
def test_api_filter_by_a_community(world: World, role: str, obj: str, path: str) -> None:
    response = _api(world, role, "GET", path.format(c=COMMUNITIES[obj]))
    assert response.status_code == _expected(role, False, False, obj, 200, hidden=422)


def test_ids_beyond_any_integer_are_simply_missing(world: World) -> None:
    huge = 10**12
    assert world.clients["admin"].get(f"/staff/activities/{huge}").status_code == 404
    assert world.clients["admin"].get(f"/staff/qr/activity/{huge}.png").status_code == 404
    assert _api(world, "admin", "GET", f"/api/v1/activities/{huge}").status_code == 404
    assert _api(world, "admin", "PATCH", f"/api/v1/activities/{huge}", {"title": "x"}).status_code == 404
