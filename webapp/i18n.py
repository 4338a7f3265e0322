"""Which language a page is in: ?lang=, then the remembered cookie, then Accept-Language."""

from __future__ import annotations

from flask import Flask, Response, request, url_for

LANGS = ("zh_Hans", "en")
DEFAULT_LANG = "zh_Hans"
LANG_COOKIE = "lang"


def _from_accept_language() -> str:
    for value, _quality in request.accept_languages:
        tag = value.lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANG


def _asked() -> str | None:
    asked = request.args.get("lang")
    return asked if asked in LANGS else None


def select_locale() -> str:
    remembered = request.cookies.get(LANG_COOKIE)
    return _asked() or (remembered if remembered in LANGS else None) or _from_accept_language()


def current_lang() -> str:
    """The content language for this request ("zh_Hans" or "en")."""
    return select_locale() if request else DEFAULT_LANG


def _remember_choice(response: Response) -> Response:
    asked = _asked()
    if asked and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def switch_url(lang: str) -> str:
    """This page in another language, keeping its query."""
    args = request.args.to_dict()
    args["lang"] = lang
    return url_for(request.endpoint or "learn.home", **(request.view_args or {}), **args)


def init_i18n(app: Flask) -> None:
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(current_lang=current_lang, switch_url=switch_url)
