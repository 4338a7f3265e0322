"""Response headers that keep the site safe and fast: CSP and friends, and caching; NUL refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from wsgiref.headers import Headers

from flask import Flask, Response, abort, current_app, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import Headers as ResponseHeaders
from whitenoise import WhiteNoise

#: no inline script or style anywhere: the pages work without JavaScript and keep CSS in files
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "manifest-src 'self'",
        "worker-src 'self'",
    ]
)
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: static URLs carry a hash of their content, so browsers may keep them for a year
STATIC_MAX_AGE = 365 * 24 * 3600
#: with secure cookies the site is served over HTTPS only; browsers then refuse plain HTTP for a year
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


#: the bodies Flask parses into request.form
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _headers_for_every_response(secure: bool) -> dict[str, str]:
    """What pages, API answers and static files all carry."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if secure:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


_EVERY_RESPONSE = {secure: tuple(_headers_for_every_response(secure).items()) for secure in (False, True)}


def _missing(headers: ResponseHeaders, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    # one pass over the few headers set, not a lookup per name: a missing name costs werkzeug
    # an exception each time, and this runs on every response
    present = {name.lower() for name, _value in headers.items()}
    return [(name, value) for name, value in wanted if name.lower() not in present]


def _security_headers(response: Response) -> Response:
    headers = response.headers
    wanted = _EVERY_RESPONSE[current_app.config["SESSION_COOKIE_SECURE"]]
    if request.endpoint == "learn.lesson" and response.status_code == 200:
        # lessons change only with a deploy; personal bits (the community, the text size) ride
        # in cookies, so a browser's kept copy is not used once they change
        wanted = (*wanted, ("Cache-Control", "private, max-age=300"))
        response.vary.add("Cookie")
    elif request.path.startswith(("/staff", "/admin", "/api/v1/")):
        wanted = (*wanted, ("Cache-Control", "no-store"))
    else:
        wanted = (*wanted, ("Cache-Control", "no-cache"))
    headers.extend(_missing(headers, wanted))
    return response


@cache
def _fingerprint(filename: str) -> str | None:
    path = STATIC_DIR / filename
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def _versioned_static(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = _fingerprint(values["filename"])
        if version:
            values["v"] = version


def _refuse_nul() -> None:
    # no person types a NUL; PostgreSQL cannot store one and a page must not echo it. No page or
    # object has one in its address. The API refuses it per field (422, api.schemas.Text); the
    # site's form fields refuse the other control characters next to the field (webapp.forms).
    if "\x00" in request.path:
        abort(404)
    if request.path.startswith("/api/"):
        return
    values = [*request.args.keys(), *request.args.values()] if request.query_string else []
    if request.mimetype in FORM_TYPES:  # a GET or a JSON body has no form to parse
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in value for value in values):
        abort(400)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signer made once per key rather than twice a request:
    making one serialises an empty dict to learn its output type, a cost every request paid."""

    _kept: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:  # a rotated key takes effect at once
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


def init_security(app: Flask) -> None:
    app.session_interface = SessionCookies()
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.url_defaults(_versioned_static)
    static_headers = _headers_for_every_response(app.config["SESSION_COOKIE_SECURE"])

    def add_static_headers(headers: Headers, _path: str, _url: str) -> None:
        for name, value in static_headers.items():
            headers.setdefault(name, value)

    # whitenoise serves /static/ itself, with gzip/brotli variants made by the install step,
    # long cache lifetimes (URLs are fingerprinted) and no trip through Flask
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(STATIC_DIR),
        prefix="static/",
        max_age=STATIC_MAX_AGE,
        add_headers_function=add_static_headers,
    )
