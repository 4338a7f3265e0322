"""How a reader likes the pages shown, kept in their own browser: the size of the text.

Larger text is one tap away on every page, as China's age-friendly web rules (适老化) ask.
Without JavaScript the control is a link to ``set_text_size``, which remembers the choice in a
cookie and sends the reader back; with JavaScript, app.js sets the same cookie and switches
the page at once. The cookie is readable by scripts on purpose: it holds nothing private.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, request, url_for
from werkzeug.wrappers import Response

from webapp.accounts.redirects import same_site_path

bp = Blueprint("preferences", __name__)

TEXT_SIZE_COOKIE = "text_size"
TEXT_SIZES = ("standard", "large")
YEAR = 365 * 24 * 3600


def text_size() -> str:
    """The reader's text size: "large" when they chose it, else "standard"."""
    return "large" if request and request.cookies.get(TEXT_SIZE_COOKIE) == "large" else "standard"


@bp.app_template_global()
def text_size_url(size: str) -> str:
    """The link that switches to ``size`` and comes back to this page.

    The way back is this page's path and query without ``lang`` (the language is remembered
    already), so a kept lesson page links back the same way for every reader.
    """
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "lang"]
    here = request.path + (f"?{urlencode(args)}" if args else "")
    return url_for("preferences.set_text_size", size=size, next=here)


@bp.get("/text-size/<any(large, standard):size>")
def set_text_size(size: str) -> Response:
    """Remember the text size in this browser and go back to the page the reader was on."""
    target = same_site_path(request.args.get("next")) or url_for("learn.home")
    response = redirect(target, code=303)
    response.set_cookie(
        TEXT_SIZE_COOKIE,
        size,
        max_age=YEAR,
        samesite="Lax",
        httponly=False,  # app.js switches the size without a reload and sets this cookie too
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.app_context_processor
def _text_size_in_templates() -> dict[str, str]:
    return {"text_size": text_size()}
