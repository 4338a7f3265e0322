"""Account operations: create accounts, check passwords, issue and revoke API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts.models import MIN_PASSWORD_LENGTH, ROLES, SCOPED_ROLES, ApiToken, User
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.timeutil import utcnow

#: checked against when the username is unknown, so timing does not reveal which usernames exist
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """A refusal tied to one form field; ``code`` selects the translated message."""

    def __init__(self, field: str, code: str):
        self.field, self.code = field, code
        super().__init__(f"{field}: {code}")


def find_user(username: str) -> User | None:
    return db.session.execute(select(User).where(User.username == username.strip().lower())).scalar_one_or_none()


def validate_account(role: str, scope: Region | None, password: str | None) -> None:
    """:raises AccountError: for an unknown role, a missing scope or a short password."""
    if role not in ROLES:
        raise AccountError("role", "unknown_role")
    if role in SCOPED_ROLES and scope is None:
        raise AccountError("scope", "scope_required")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", "password_too_short")


def create_user(username: str, display_name: str, password: str, role: str, scope: Region | None) -> User:
    """A new account; usernames are case-insensitive.

    :raises AccountError: duplicate username, unknown role, missing scope, short password.
    """
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError("username", "username_invalid")
    if find_user(username) is not None:
        raise AccountError("username", "username_taken")
    validate_account(role, scope, password)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        scope=None if role == "admin" else scope,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User, display_name: str, role: str, scope: Region | None, active: bool, password: str | None = None
) -> None:
    """:raises AccountError: as ``validate_account``."""
    validate_account(role, scope, password or None)
    user.role, user.active = role, active
    user.display_name = display_name.strip() or user.username
    user.scope = None if role == "admin" else scope
    if password:
        user.set_password(password)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, else None (the same time either way)."""
    user = find_user(username or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if user.check_password(password or "") and user.active else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, lifetime: timedelta, now: datetime | None = None) -> tuple[str, ApiToken]:
    """A new bearer token; the token itself is returned once and never stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    record = ApiToken(user=user, token_hash=_hash(token), created_at=now, expires_at=now + lifetime)
    db.session.add(record)
    db.session.flush()
    return token, record


def find_token(token: str | None, now: datetime | None = None) -> ApiToken | None:
    """The usable token record for ``token``, or None when unknown, expired or revoked."""
    if not token or len(token) > 128:
        return None
    record = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(token))).scalar_one_or_none()
    return record if record is not None and record.usable(now or utcnow()) else None
