"""Bearer tokens for staff and organizers: issue, revoke, and the current API user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, cast

from flask import abort, current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.docs import errors
from api.schemas import Text
from api.timestamps import DateTime
from webapp.accounts import service as accounts
from webapp.accounts.models import User
from webapp.accounts.permissions import ABILITIES, SIGNED_IN, View, declare, public, require
from webapp.accounts.throttle import sign_in_limited
from webapp.clock import utcnow

PREFIX = "/auth"
blp = Blueprint("api_auth", __name__, description="Bearer tokens for staff and organizers")


class CredentialsSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=64))
    password = Text(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "send as 'Authorization: Bearer <token>'"})
    expires_at = DateTime(required=True)
    username = fields.String(required=True)
    role = fields.String(required=True)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def requires_token(ability: str | None = None) -> Callable[[View], View]:
    """An endpoint for a valid bearer token whose user's role may ``ability`` (any role when None).

    ``g.api_user`` is the token's user. No token, or an expired or revoked one: 401; a role
    without the ability: 403. Checked before the request's body or query is read.
    """
    if ability is not None and ability not in ABILITIES:
        raise KeyError(f"unknown ability {ability!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            record = accounts.find_token(_bearer())
            if record is None:
                abort(401)
            g.api_user, g.api_token = record.user, record
            if ability is not None:
                require(record.user, ability)
            return view(*args, **kwargs)

        return declare(ability or SIGNED_IN, cast(View, checked))

    return decorate


def api_user() -> User:
    return g.api_user


def _username_tried() -> object:
    body = request.get_json(silent=True)
    return body.get("username") if isinstance(body, dict) else None


@blp.post("/tokens")
@public
@sign_in_limited(_username_tried)
@blp.arguments(CredentialsSchema)
@blp.response(201, TokenSchema)
@errors((401, "Wrong username or password"), (429, "Too many sign-in attempts"))
def create_token(credentials: dict) -> dict:
    """Exchange a username and password for a bearer token that expires."""
    user = accounts.authenticate(credentials["username"], credentials["password"])
    if user is None or user.role == "resident":
        abort(401)
    lifetime = timedelta(hours=current_app.config["API_TOKEN_HOURS"])
    token, record = accounts.issue_token(user, lifetime)
    return {"token": token, "expires_at": record.expires_at, "username": user.username, "role": user.role}


@blp.delete("/tokens")
@requires_token()
@blp.response(204)
@errors((401, "No valid bearer token"), bearer=True)
def revoke_token() -> None:
    """Revoke the token this request was made with."""
    g.api_token.revoke(utcnow())
