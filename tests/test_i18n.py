"""Language choice, complete Chinese catalogs, and no untranslated text in templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from webapp.i18n import select_locale

ROOT = Path(__file__).resolve().parent.parent
#: language names are written in their own language on purpose (the switch link)
ENDONYMS = {"中文", "English"}


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, "", "zh_Hans"),
        ("?lang=en", None, "zh-CN", "en"),
        ("?lang=zh_Hans", "en", "en-US", "zh_Hans"),
        ("", "en", "zh-CN", "en"),
        ("", None, "en-GB,en;q=0.9", "en"),
        ("", None, "zh-TW,zh;q=0.9,en;q=0.5", "zh_Hans"),
        ("", None, "fr-FR,en;q=0.5", "en"),
        ("", None, "fr-FR", "zh_Hans"),
        ("?lang=xx", "yy", "de", "zh_Hans"),
    ],
)
def test_locale_choice_order(app: Flask, query: str, cookie: str | None, accept: str, expected: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    if cookie:
        headers["Cookie"] = f"lang={cookie}"
    with app.test_request_context(f"/{query}", headers=headers):
        assert select_locale() == expected


def extracted_messages() -> set[str | tuple[str, ...]]:
    method_map = [("webapp/**.py", "python"), ("api/**.py", "python"), ("webapp/**/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "lazy_gettext": None, "gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message)
    return found


def test_every_ui_string_has_a_chinese_translation() -> None:
    with open(ROOT / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    translated = {}
    for message in catalog:
        if message.id:
            key = message.id if isinstance(message.id, str) else tuple(message.id)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated[key] = all(strings) and not message.fuzzy
    extracted = extracted_messages()
    assert len(extracted) > 50
    missing = [m for m in extracted if not translated.get(m)]
    assert not missing, f"strings without a zh_Hans translation (run pybabel update): {missing}"


def visible_text_outside_translation(template: str) -> list[str]:
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    attributes = re.findall(r'\b(?:placeholder|title|alt|aria-label)="([^"]*)"', text)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", text, flags=re.S)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    leftovers = [word for word in text.split() if re.search(r"[A-Za-z\u4e00-\u9fff]", word)]
    leftovers += [a for a in attributes if re.search(r"[A-Za-z\u4e00-\u9fff]", re.sub(r"\{\{.*?\}\}", "", a))]
    return [word for word in leftovers if word not in ENDONYMS]


def test_templates_hold_no_text_outside_translation_functions() -> None:
    templates = list((ROOT / "webapp").rglob("templates/**/*.html"))
    assert templates
    problems = {
        str(path.relative_to(ROOT)): found
        for path in templates
        if (found := visible_text_outside_translation(path.read_text(encoding="utf-8")))
    }
    assert not problems


def test_the_checker_catches_hard_coded_text() -> None:
    assert visible_text_outside_translation("<p>开始测评</p>") == ["开始测评"]
    assert visible_text_outside_translation('<input placeholder="Search">') == ["Search"]
    assert visible_text_outside_translation("<p>{{ _('Start') }}</p>") == []


def test_pages_are_translated_both_ways(client) -> None:
    zh = client.get("/lessons").get_data(as_text=True)
    en = client.get("/lessons?lang=en").get_data(as_text=True)
    assert "全部主题" in zh and "All topics" not in zh
    assert "All topics" in en and "全部主题" not in en


def test_every_catalog_compiles_without_placeholder_errors() -> None:
    # the install step compiles the catalogs and stops on an error such as a translation that
    # drops a %(name)s, or a python-format "%" the translation does not carry
    from babel.messages.pofile import read_po

    for po in sorted((Path(__file__).resolve().parents[1] / "translations").glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
        assert problems == [], f"{po}: {problems[:3]}"
