"""Account operations: create accounts, judge and check passwords, end sessions, issue and revoke API tokens.

What a person does to an account is announced (``webapp.accounts.signals``) for the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.accounts import signals
from webapp.accounts.models import MIN_PASSWORD_LENGTH, ROLES, SCOPED_ROLES, ApiToken, User
from webapp.clock import utcnow
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.regions.models import Region

#: checked against when the username is unknown, so timing does not reveal which usernames exist
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(DomainError):
    """A refusal tied to one form field: ``code`` (a message code) beside ``field``.

    A username already taken is a conflict (409); anything else is invalid input (422).
    """

    def __init__(self, field: str, code: str):
        self.field = field
        super().__init__(fields={field: code}, status=409 if code == "username_taken" else 422)


#: zxcvbn's score from 0 to 4; below 3 a password falls to fewer than about 10^8 guesses
MIN_PASSWORD_SCORE = 3
#: zxcvbn's cost grows quickly with length, and a password this long is judged well enough by its start
JUDGED_PASSWORD_CHARACTERS = 100
#: shorter usernames ("li") occur inside ordinary words, so only from this length is containing one refused
MIN_USERNAME_IN_PASSWORD = 3


def normalise_username(username: str) -> str:
    """Usernames are stored and looked up trimmed and in lower case."""
    return username.strip().lower()


def _is_text(value: str) -> bool:
    """False for strings no database or hash can take: lone surrogates (possible in JSON)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def find_user(username: str) -> User | None:
    if not _is_text(username):
        return None
    return db.session.execute(select(User).where(User.username == normalise_username(username))).scalar_one_or_none()


def password_problem(password: str, username: str) -> str | None:
    """The message code saying why ``password`` is not good enough for ``username``, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_too_short"
    name, folded = normalise_username(username).casefold(), password.casefold()
    if name and (folded == name or (len(name) >= MIN_USERNAME_IN_PASSWORD and name in folded)):
        return "password_has_username"
    judged = password[:JUDGED_PASSWORD_CHARACTERS]
    # imported here: its word lists take about 20 MB, in every worker, for a rare form
    from zxcvbn import zxcvbn

    if zxcvbn(judged, user_inputs=[name], max_length=JUDGED_PASSWORD_CHARACTERS)["score"] < MIN_PASSWORD_SCORE:
        return "password_common"
    return None


def validate_account(role: str, scope: Region | None, password: str | None, username: str) -> None:
    """:raises AccountError: for an unknown role, a missing scope or a weak password."""
    if role not in ROLES:
        raise AccountError("role", "unknown_role")
    if role in SCOPED_ROLES and scope is None:
        raise AccountError("scope", "scope_required")
    if password is not None and (problem := password_problem(password, username)):
        raise AccountError("password", problem)


def create_user(username: str, display_name: str, password: str, role: str, scope: Region | None) -> User:
    """A new account; usernames are case-insensitive.

    :raises AccountError: duplicate username, unknown role, missing scope, weak password.
    """
    username = normalise_username(username)
    if not username or len(username) > 64 or not _is_text(username):
        raise AccountError("username", "username_invalid")
    if find_user(username) is not None:
        raise AccountError("username", "username_taken")
    validate_account(role, scope, password, username)
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


def open_account(
    by: User | None, username: str, display_name: str, password: str, role: str, scope: Region | None
) -> User:
    """``by`` (an admin; None on the command line) opens a new account, announced for the audit log.

    :raises AccountError: as ``create_user``.
    """
    user = create_user(username, display_name, password, role, scope)
    signals.opened.send(user, by=by)
    return user


def update_user(
    user: User,
    display_name: str,
    role: str,
    scope: Region | None,
    active: bool,
    password: str | None = None,
    *,
    by: User,
) -> None:
    """``by`` changes an account, announced; a new password or deactivation signs it out everywhere.

    :raises AccountError: as ``validate_account``.
    """
    validate_account(role, scope, password or None, user.username)
    deactivated = user.active and not active
    user.role, user.active = role, active
    user.display_name = display_name.strip() or user.username
    user.scope = None if role == "admin" else scope
    if password:
        user.set_password(password)
    if password or deactivated:
        _end_sessions_and_tokens(user)
    signals.changed.send(user, by=by, password_changed=bool(password))


def change_own_password(user: User, current: str, new: str, new_again: str) -> None:
    """A user replaces their own password; every session and API token of theirs ends.

    The caller signs the current session in again if it is to stay.

    :raises AccountError: a wrong current password, two different new ones, or a weak new one.
    """
    if not user.check_password(current):
        raise AccountError("current_password", "password_wrong")
    if new != new_again:
        raise AccountError("new_password_again", "password_mismatch")
    if problem := password_problem(new, user.username):
        raise AccountError("new_password", problem)
    user.set_password(new)
    _end_sessions_and_tokens(user)
    signals.password_changed.send(user)


def sign_out_everywhere(user: User, by: User) -> None:
    """``by`` ends every session of ``user`` on every device and revokes their API tokens, announced."""
    _end_sessions_and_tokens(user)
    signals.signed_out_everywhere.send(user, by=by)


def _end_sessions_and_tokens(user: User) -> None:
    user.end_sessions()
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


_SESSION_ID = re.compile(r"([0-9]{1,18}):([0-9]{1,18})")


def user_for_session(session_id: str) -> User | None:
    """The account a session belongs to, unless that session has been ended since."""
    match = _SESSION_ID.fullmatch(session_id or "")
    if match is None:
        return None  # also sessions from before epochs existed: signing in once more is enough
    user = db.session.get(User, int(match.group(1)))
    return user if user is not None and user.session_epoch == int(match.group(2)) else None


def sign_in(username: str, password: str) -> User | None:
    """The active user with these credentials signing in on the site (announced), else None."""
    user = authenticate(username, password)
    if user is not None:
        signals.signed_in.send(user)
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, else None (the same time either way)."""
    user = find_user(username or "")
    if user is None or not _is_text(password or ""):
        check_password_hash(_DUMMY_HASH, "")
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
