"""Settings, all read from the environment when the app is created (never at import)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


#: a key shorter than this is refused outside tests: it could be guessed, and sessions forged
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """A setting the operator must fix before the application can start."""


def _words(name: str) -> list[str]:
    return [word for word in os.environ.get(name, "").replace(",", " ").split() if word]


def _count(name: str) -> int:
    raw = os.environ.get(name, "0").strip() or "0"
    if not raw.isdigit():
        raise ConfigurationError(f"{name} must be a whole number of proxies (0 when not behind a proxy), not {raw!r}.")
    return int(raw)


def check_deployment(config: dict[str, Any]) -> None:
    """Refuse to start on settings that would be unsafe or would differ between machines.

    :raises ConfigurationError: with what the operator must set.
    """
    key = config.get("SECRET_KEY")
    if not config.get("TESTING"):
        if not key:
            raise ConfigurationError(
                "SECRET_KEY is not set. It signs sessions and form tokens and must be the same on every machine: "
                "generate one with  python -c 'import secrets; print(secrets.token_hex(32))'  and set it in the "
                "environment of every server and command (scripts/demo.sh makes one for the demo)."
            )
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"SECRET_KEY is too short ({len(key)} characters): use at least {MIN_SECRET_KEY_LENGTH} random "
                "characters, e.g. python -c 'import secrets; print(secrets.token_hex(32))'."
            )
    base = config.get("PUBLIC_BASE_URL")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
            raise ConfigurationError(
                f"PUBLIC_BASE_URL must be an absolute http(s) address such as https://xf.example.gov.cn, not {base!r}."
            )


def trusted_hosts(config: dict[str, Any]) -> list[str] | None:
    """The Host names requests may name: the public base URL's and ALLOWED_HOSTS (None: any)."""
    base = config.get("PUBLIC_BASE_URL")
    hosts = [urlsplit(base).hostname] if base else []
    hosts += config.get("ALLOWED_HOSTS") or []
    return hosts or None


def from_environment() -> dict[str, Any]:
    return {
        #: required outside tests (check_deployment): every machine must sign with the same key
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        #: reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES"),
        #: the address residents reach the site at, e.g. https://xf.example.gov.cn: links and QR codes use it
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or None,
        #: further Host names accepted besides the base URL's (a load balancer's health checks)
        "ALLOWED_HOSTS": _words("ALLOWED_HOSTS"),
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
        #: keeps the counts apart when one Redis serves other applications (or another city) too
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
        #: answers saved screen by screen: a survey of ten questions, with changes of mind
        "ANSWER_RATE_LIMIT": os.environ.get("ANSWER_RATE_LIMIT", "120 per minute"),
        #: respondents enrolled per address: a school class on one Wi-Fi must fit
        "NEW_RESPONDENT_RATE_LIMIT": os.environ.get("NEW_RESPONDENT_RATE_LIMIT", "60 per hour"),
        "VOLUNTEER_SIGNUP_RATE_LIMIT": os.environ.get("VOLUNTEER_SIGNUP_RATE_LIMIT", "20 per hour"),
        #: certificate verification pages per address: a few to check, far too few to guess codes
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "20 per minute;200 per day"),
        #: the font certificates and posters are drawn with (default: WenQuanYi Micro Hei via fontconfig)
        "CJK_FONT_PATH": os.environ.get("CJK_FONT_PATH", "").strip() or None,
        #: a late answer within this many seconds of the time limit still counts (network delay)
        "SUBMIT_GRACE_SECONDS": int(os.environ.get("SUBMIT_GRACE_SECONDS", "60")),
        #: after the time limit plus this, a draw is closed and a submission is refused
        "DRAW_EXPIRY_SECONDS": int(os.environ.get("DRAW_EXPIRY_SECONDS", "7200")),
        #: a dashboard read less than this many seconds ago is shown again as it was (0: always read)
        "DASHBOARD_MAX_AGE_SECONDS": int(os.environ.get("DASHBOARD_MAX_AGE_SECONDS", "60")),
        #: how often the rollup applier reads again a kept dashboard that someone looks at
        "DASHBOARD_REFRESH_SECONDS": int(os.environ.get("DASHBOARD_REFRESH_SECONDS", "15")),
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
