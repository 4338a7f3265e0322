"""Every staff, admin and API route declares what it needs; none is guarded by hand alone."""

from __future__ import annotations

from flask import Flask

from webapp.accounts.permissions import ABILITIES, PUBLIC, SIGNED_IN, declared

#: the prefixes behind which a route must say what it requires
GUARDED = ("/staff", "/admin", "/api/v1")
#: routes flask-smorest serves itself (the OpenAPI document and its viewers)
DOCUMENTATION = ("api-docs.",)


def test_every_guarded_route_declares_what_it_requires(app: Flask) -> None:
    silent, unknown = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(GUARDED) or rule.endpoint.startswith(DOCUMENTATION):
            continue
        requirement = declared(app.view_functions[rule.endpoint])
        if requirement is None:
            silent.append(f"{rule.rule} ({rule.endpoint})")
        elif requirement not in (PUBLIC, SIGNED_IN, *ABILITIES):
            unknown.append(f"{rule.rule}: {requirement}")
    assert not silent, "routes that declare nothing:\n" + "\n".join(sorted(silent))
    assert not unknown, unknown


def test_a_declared_ability_is_enforced_before_the_view_runs(as_user) -> None:
    # an organizer may read volunteers but not register one; an anonymous visitor is sent to sign in
    assert as_user("organizer").get("/staff/volunteers/new").status_code == 403
    assert as_user("organizer").get("/staff/volunteers").status_code == 200
