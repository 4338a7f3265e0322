"""The campaign outside its own pages: the home-screen manifest, link previews, robots.txt.

The image files (favicon, home-screen icons, the share picture) live in webapp/static under
the names below; pages and the manifest only point at them.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from webapp.i18n import current_lang
from webapp.links import public_url

bp = Blueprint("identity", __name__)

#: the header's red, the colour a phone paints around the installed app
THEME_COLOR = "#b3261e"
#: the page background, shown while the installed app starts
BACKGROUND_COLOR = "#f4f1ec"
FAVICON = "favicon.svg"
APPLE_TOUCH_ICON = "icons/apple-touch-icon.png"
SHARE_IMAGE = "share.png"
#: (file, size, purpose) of each home-screen icon
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)
#: what a page says of itself in search results and link previews, unless it says more
DESCRIPTION = _l(
    "Short fire-safety lessons and quizzes for residents: how to prevent a fire at home, "
    "how to get out, and when to call 119."
)
#: the resident's pages that search engines may list, and the query arguments that make a page
INDEXED = {
    "learn.home": (),
    "learn.lessons": ("topic", "audience"),
    "learn.lesson": (),
    "learn.quiz_list": (),
    "volunteers.signup": (),
}
#: where crawlers have nothing to read: staff pages, the API, sign-in and personal quiz sittings
NOT_CRAWLED = ("/staff", "/admin", "/api/", "/login", "/draws/", "/quizzes/", "/text-size/")


def html_lang() -> str:
    return "en" if current_lang() == "en" else "zh-Hans"


@bp.app_template_global()
def canonical_url() -> str | None:
    """The public address of this page in its language, for pages search engines may list."""
    endpoint = request.endpoint
    if endpoint not in INDEXED or request.method != "GET":
        return None
    values: dict[str, Any] = dict(request.view_args or {})
    values.update({name: request.args[name] for name in INDEXED[endpoint] if request.args.get(name)})
    if current_lang() == "en":
        values["lang"] = "en"
    return public_url(endpoint, **values)


@bp.app_template_global()
def share_image_url() -> str:
    """The picture of a link preview: an absolute address, as link previews need."""
    return public_url("static", filename=SHARE_IMAGE)


@bp.app_context_processor
def _identity_in_templates() -> dict[str, Any]:
    return {
        "theme_color": THEME_COLOR,
        "favicon": FAVICON,
        "apple_touch_icon": APPLE_TOUCH_ICON,
        "default_description": DESCRIPTION,
    }


def manifest_data() -> dict[str, Any]:
    """The web app manifest in the request's language: installable to a phone's home screen."""
    return {
        "id": "/",
        "name": _("Fire Safety for Everyone"),
        "short_name": _("Fire safety"),
        "description": str(DESCRIPTION),
        "lang": html_lang(),
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": url_for("static", filename=path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    body = json.dumps(manifest_data(), ensure_ascii=False, indent=1)
    return current_app.response_class(body, mimetype="application/manifest+json")


@bp.get("/robots.txt")
def robots() -> Response:
    """Residents' pages may be listed; staff pages, the API and personal pages may not."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in NOT_CRAWLED), "Allow: /", ""]
    return current_app.response_class("\n".join(lines), mimetype="text/plain")
