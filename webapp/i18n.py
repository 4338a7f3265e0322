"""Which language a page is in: ?lang=, then the remembered cookie, then Accept-Language."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request, url_for

LANGS = ("zh_Hans", "en")
DEFAULT_LANG = "zh_Hans"
LANG_COOKIE = "lang"
#: what ``lang`` may be spelled as: a language tag (BCP 47 or POSIX style) for Chinese or English
LANG_TAG = r"^([zZ][hH]|[eE][nN])([-_][A-Za-z0-9]{1,8}){0,3}$"
_PRIMARY = {"zh": "zh_Hans", "en": "en"}


def normalise_lang(tag: str | None) -> str | None:
    """The content language a tag asks for: ``zh``, ``zh-CN``, ``zh-Hans``, ``zh_Hans`` → zh_Hans;
    ``en``, ``en-US``, ``en_GB`` → en; anything else (or nothing) → None.

    Chinese content is written in simplified characters only, so every Chinese tag gets it.
    """
    if not tag or not re.fullmatch(LANG_TAG, tag):
        return None
    return _PRIMARY[tag[:2].lower()]


def _from_accept_language() -> str:
    for value, _quality in request.accept_languages:
        lang = normalise_lang(value)
        if lang:
            return lang
    return DEFAULT_LANG


def _asked() -> str | None:
    return normalise_lang(request.args.get("lang"))


def select_locale() -> str:
    remembered = request.cookies.get(LANG_COOKIE)
    return _asked() or (remembered if remembered in LANGS else None) or _from_accept_language()


#: where a request keeps its language once worked out
_LANG_KEY = "webapp.lang"


def current_lang() -> str:
    """The content language for this request ("zh_Hans" or "en"), worked out once per request."""
    if not request:
        return DEFAULT_LANG
    # kept in the request's own environ: g belongs to the app context, which several request
    # contexts may share (a command rendering pages in both languages)
    environ = request.environ
    lang = environ.get(_LANG_KEY)
    if lang is None:
        lang = environ[_LANG_KEY] = select_locale()
    return lang


def _remember_choice(response: Response) -> Response:
    asked = _asked()
    if asked and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def switch_url(lang: str) -> str:
    """This page in another language, keeping its query."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), "lang": lang}
    return url_for(request.endpoint or "learn.home", **values)


def init_i18n(app: Flask) -> None:
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(current_lang=current_lang, switch_url=switch_url)
