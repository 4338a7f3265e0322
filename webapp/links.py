"""Absolute links that leave the site (QR codes, posters, printed and shared addresses)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` as residents reach it.

    With PUBLIC_BASE_URL set it is built on that address alone: a poster printed from a request
    that came in by a machine's own name or IP, or with a forged Host, still leads to the site.
    Without it (a single machine, the demo) the request's host is used.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
