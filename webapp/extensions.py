"""Extension instances, created once here and bound to an app in ``create_app``."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def rate_limit_key() -> str:
    """A respondent is limited by their token, so a classroom behind one address is not."""
    token = request.headers.get("X-Respondent-Token") or request.cookies.get("respondent")
    return f"respondent:{token[:32]}" if token else f"addr:{get_remote_address()}"


def login_rate_limit() -> str:
    """Sign-in attempts per address, from LOGIN_RATE_LIMIT."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def quiz_rate_limit() -> str:
    """Quiz starts and submissions per respondent, from QUIZ_RATE_LIMIT."""
    return current_app.config["QUIZ_RATE_LIMIT"]


def volunteer_signup_rate_limit() -> str:
    """Residents' volunteer self-registrations per address, from VOLUNTEER_SIGNUP_RATE_LIMIT."""
    return current_app.config["VOLUNTEER_SIGNUP_RATE_LIMIT"]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=rate_limit_key)
login_manager = LoginManager()
