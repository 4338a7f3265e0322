"""Sign-in attempts are limited twice, on the site and the API together.

Per client address (LOGIN_RATE_LIMIT), so one machine cannot try password after password, and
per account tried (LOGIN_ACCOUNT_RATE_LIMIT), so one account cannot be guessed from many
addresses. Neither alone is enough: behind one shared key an attacker locks out every colleague;
per address only, a botnet guesses at leisure.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request

from webapp.accounts.service import normalise_username
from webapp.extensions import limiter, login_rate_limit

F = TypeVar("F", bound=Callable)


def login_account_rate_limit() -> str:
    """Sign-in attempts per account tried, from LOGIN_ACCOUNT_RATE_LIMIT."""
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _address_key() -> str:
    return f"sign-in-address:{request.remote_addr}"


def account_key(username: object) -> str:
    """The limiter's key for sign-ins to ``username``: keyed hash, since keys may sit in Redis."""
    name = normalise_username(username) if isinstance(username, str) else ""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    digest = hmac.new(secret, name.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"sign-in-account:{digest[:32]}"


def sign_in_limited(username: Callable[[], object]) -> Callable[[F], F]:
    """Limit POSTs to a sign-in view by address and by the account ``username()`` names."""
    by_address = limiter.shared_limit(login_rate_limit, "sign-in-address", key_func=_address_key, methods=["POST"])
    by_account = limiter.shared_limit(
        login_account_rate_limit, "sign-in-account", key_func=lambda: account_key(username()), methods=["POST"]
    )

    def decorate(view: F) -> F:
        return by_address(by_account(view))

    return decorate
