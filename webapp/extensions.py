"""Extension instances, created once here and bound to an app in ``create_app``."""

from typing import TYPE_CHECKING

from flask import current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

import webapp.ratelimit  # noqa: F401  (registers the sqlite:// rate-limit storage before init_app)


class Base(DeclarativeBase):
    pass


def _respondent_token() -> str | None:
    return request.headers.get("X-Respondent-Token") or request.cookies.get("respondent")


def rate_limit_key() -> str:
    """A respondent is limited by their token, so a classroom behind one address is not; a
    token this server did not issue counts for its address, so made-up ones buy nothing."""
    from webapp.learn.service import hash_token, is_ours

    token = _respondent_token()
    if token is not None and is_ours(token):
        # a digest, not the token: the counts' storage is no place for credentials
        return f"respondent:{hash_token(token)[:32]}"
    return f"addr:{get_remote_address()}"


def new_respondent_rate_limit() -> str:
    """Respondents enrolled per address, from NEW_RESPONDENT_RATE_LIMIT."""
    return current_app.config["NEW_RESPONDENT_RATE_LIMIT"]


def _brings_a_token() -> bool:
    # only a request without a token enrols anyone; one with a token is served or refused
    return bool(_respondent_token())


def login_rate_limit() -> str:
    """Sign-in attempts per address, from LOGIN_RATE_LIMIT."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def quiz_rate_limit() -> str:
    """Quiz starts and submissions per respondent, from QUIZ_RATE_LIMIT."""
    return current_app.config["QUIZ_RATE_LIMIT"]


def answer_rate_limit() -> str:
    """Answers saved one screen at a time per respondent, from ANSWER_RATE_LIMIT."""
    return current_app.config["ANSWER_RATE_LIMIT"]


def volunteer_signup_rate_limit() -> str:
    """Residents' volunteer self-registrations per address, from VOLUNTEER_SIGNUP_RATE_LIMIT."""
    return current_app.config["VOLUNTEER_SIGNUP_RATE_LIMIT"]


db = SQLAlchemy(model_class=Base)

# the base of every table: Flask-SQLAlchemy's ``db.Model``, which type checkers cannot follow,
# so they are shown the declarative base it is made from
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=rate_limit_key)
#: on every path that may enrol a respondent: new respondents per address
enrolment_limit = limiter.shared_limit(
    new_respondent_rate_limit,
    scope="new-respondent",
    key_func=get_remote_address,
    exempt_when=_brings_a_token,
    error_message="too_many_new_respondents",
)


class _LoginManager(LoginManager):
    def _session_protection_failed(self) -> bool:
        # Strong protection empties a session whose address or browser changed. Applied to an
        # anonymous session (only a CSRF token) it protects nothing but rewrites the cookie on
        # every request; a response to a request sent just before signing in would then land
        # after the signed-in cookie and replace it.
        if "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


login_manager = _LoginManager()
