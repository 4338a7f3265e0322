"""Response headers that keep the site safe and fast: CSP and friends, and caching."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, request
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


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint == "learn.lesson" and response.status_code == 200:
        # lessons change only with a deploy; personal bits (the community) ride in a cookie
        headers.setdefault("Cache-Control", "private, max-age=300")
    elif "Cache-Control" not in headers:
        headers["Cache-Control"] = (
            "no-store" if request.path.startswith(("/staff", "/admin", "/api/v1/")) else "no-cache"
        )
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


def init_security(app: Flask) -> None:
    app.after_request(_security_headers)
    app.url_defaults(_versioned_static)
    # whitenoise serves /static/ itself, with gzip/brotli variants made by the install step,
    # long cache lifetimes (URLs are fingerprinted) and no trip through Flask
    app.wsgi_app = WhiteNoise(app.wsgi_app, root=str(STATIC_DIR), prefix="static/", max_age=STATIC_MAX_AGE)
