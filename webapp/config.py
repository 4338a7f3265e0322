"""Settings, all read from the environment when the app is created (never at import)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


#: seconds to wait for PostgreSQL to answer a new connection (unless the URL sets connect_timeout)
CONNECT_TIMEOUT_SECONDS = 5


def database_url(url: str | None = None) -> str:
    """The SQLAlchemy URL for ``url`` (default: $DATABASE_URL, else SQLite in instance/);
    PostgreSQL through psycopg 3, giving up on a connection after CONNECT_TIMEOUT_SECONDS."""
    url = url or os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'xiaofang.db'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one installed
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgresql+psycopg://"):
        parsed = make_url(url)
        # libpq waits for ever by default: a database host that is down or unreachable (rather
        # than refusing) would hold every worker until gunicorn kills it, instead of a 503
        if "connect_timeout" not in parsed.query:
            parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})
            url = parsed.render_as_string(hide_password=False)
    return url


def instance_secret_key() -> str:
    """A key generated once and kept in instance/, so every worker and restart agrees on it."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        draft = path.with_name(f"secret_key.{os.getpid()}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        # link is atomic and refuses to overwrite: workers starting together agree on one key
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


def from_environment() -> dict[str, Any]:
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        # an error's text then never quotes the values of a statement: they hold what people typed
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SECURE_COOKIES"),
        #: counts shared by every worker of this machine; redis://… shares them across machines
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", f"sqlite:///{INSTANCE_DIR / 'ratelimits.db'}"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", ""),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        #: sign-in attempts per client address, and per account tried (from any address)
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 5 minutes"),
        #: how long an API bearer token lives
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", "12")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("SECURE_COOKIES"),
        #: submissions and draws per respondent (or address) — generous for a class on one Wi-Fi
        "QUIZ_RATE_LIMIT": os.environ.get("QUIZ_RATE_LIMIT", "30 per minute"),
        #: respondents enrolled per address: a school class on one Wi-Fi must fit
        "NEW_RESPONDENT_RATE_LIMIT": os.environ.get("NEW_RESPONDENT_RATE_LIMIT", "60 per hour"),
        "VOLUNTEER_SIGNUP_RATE_LIMIT": os.environ.get("VOLUNTEER_SIGNUP_RATE_LIMIT", "20 per hour"),
        #: a late answer within this many seconds of the time limit still counts (network delay)
        "SUBMIT_GRACE_SECONDS": int(os.environ.get("SUBMIT_GRACE_SECONDS", "60")),
        #: after the time limit plus this, a draw is closed and a submission is refused
        "DRAW_EXPIRY_SECONDS": int(os.environ.get("DRAW_EXPIRY_SECONDS", "7200")),
        #: a dashboard read less than this many seconds ago is shown again as it was (0: always read)
        "DASHBOARD_MAX_AGE_SECONDS": int(os.environ.get("DASHBOARD_MAX_AGE_SECONDS", "60")),
        #: respondents' tokens and raw answers are purged after this many years (rollups stay)
        "RETENTION_YEARS": int(os.environ.get("RETENTION_YEARS", "3")),
        "AUDIT_RETENTION_YEARS": int(os.environ.get("AUDIT_RETENTION_YEARS", "5")),
        "API_TITLE": "消防宣传 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        #: json (one object per line) or text
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        #: whether request lines carry the client's address
        "LOG_REMOTE_ADDR": _flag("LOG_REMOTE_ADDR", True),
        #: /metrics answers only requests carrying "Authorization: Bearer <this>" (unset: nobody)
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }
