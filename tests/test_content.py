"""The lessons and the question bank: complete, bilingual, validated, sanitized."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from content.catalog import CONTENT_DIR, load_catalog, render_markdown, split_front_matter
from content.errors import ContentError
from content.yamlfile import load_yaml
from quizzes.bank import BANK_DIR, load_bank
from quizzes.library import Library


def test_content_check_command_passes(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "lessons in zh_Hans and en" in result.output


def test_enough_lessons_in_both_languages_covering_every_topic(library: Library) -> None:
    lessons = library.catalog.lessons
    assert len(lessons) >= 24
    assert all(set(versions) == {"zh_Hans", "en"} for versions in lessons.values())
    assert {v["zh_Hans"].topic for v in lessons.values()} == set(library.catalog.taxonomy.topics)
    for audience in ("community", "enterprise", "school", "rural", "family", "elderly", "children"):
        assert library.catalog.find_lessons("zh_Hans", audience=audience), audience


def test_question_bank_size_types_and_misconceptions(library: Library) -> None:
    questions = library.bank.questions.values()
    assert len(questions) >= 150
    assert set(Counter(q.type for q in questions)) == {"single", "multiple", "truefalse"}
    tags = {q.misconception for q in questions}
    for needed in ("bathroom-hiding", "fight-before-calling", "water-on-oil", "lift-in-fire", "charge-ebike-indoors"):
        assert needed in tags, needed
    assert all(q.explanation["zh_Hans"] and q.explanation["en"] for q in questions)
    assert all(q.lesson in library.catalog.lessons for q in questions)


def test_every_lesson_has_a_three_to_five_question_check(library: Library) -> None:
    for slug in library.catalog.lessons:
        assert 3 <= library.quizzes[f"check-{slug}"].n_questions <= 5


def test_no_lesson_recommends_hiding_in_the_bathroom(library: Library) -> None:
    for versions in library.catalog.lessons.values():
        html = versions["zh_Hans"].html
        for phrase in ("躲进卫生间", "躲到卫生间", "退到卫生间避难"):
            assert phrase not in html or "不要" in html


@pytest.fixture()
def content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def test_a_broken_lesson_names_its_file_and_reason(content_copy: Path) -> None:
    path = content_copy / "lessons" / "oil-pan-fire" / "en.md"
    path.write_text(path.read_text(encoding="utf-8").replace("topic: kitchen-gas", "topic: cooking"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_catalog(content_copy)
    assert any(
        str(p).endswith("oil-pan-fire/en.md") and "unknown topic 'cooking'" in r for p, r in caught.value.problems
    )


def test_a_lesson_missing_its_english_version_is_refused(content_copy: Path) -> None:
    (content_copy / "lessons" / "gas-leak" / "en.md").unlink()
    with pytest.raises(ContentError, match="gas-leak/en.md: missing"):
        load_catalog(content_copy)


def test_raw_html_in_a_lesson_is_refused(content_copy: Path) -> None:
    path = content_copy / "lessons" / "gas-leak" / "zh_Hans.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n<script>alert(1)</script>\n", encoding="utf-8")
    with pytest.raises(ContentError, match="raw HTML"):
        load_catalog(content_copy)


def test_rendering_drops_links_and_scripts() -> None:
    html = render_markdown("## 标题\n\n[点我](javascript:alert(1)) and ![x](http://x/y.png)\n")
    assert "<h2>标题</h2>" in html
    assert "href" not in html and "<img" not in html and "<a" not in html and "src=" not in html


def test_a_broken_question_names_its_file(tmp_path: Path, library: Library) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(BANK_DIR, bank)
    path = bank / "gas-leak.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("type: truefalse", "type: essay", 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_bank(library.catalog, bank)
    assert any(str(p).endswith("gas-leak.yaml") and "type must be one of" in r for p, r in caught.value.problems)


def test_broken_content_stops_start_up(monkeypatch: pytest.MonkeyPatch, content_copy: Path) -> None:
    import content.catalog as catalog_module
    from webapp import create_app

    (content_copy / "lessons" / "gas-leak" / "zh_Hans.md").write_text("no front matter", encoding="utf-8")
    monkeypatch.setattr(catalog_module, "CONTENT_DIR", content_copy)
    monkeypatch.setattr(catalog_module.load_catalog, "__defaults__", (content_copy,))
    with pytest.raises(ContentError, match="gas-leak/zh_Hans.md: missing front matter"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


#: ASCII quotation marks; Chinese text quotes with “…” and ‘…’
ASCII_QUOTES = ('"', "'")
#: a ✅ or ❌ says in words what it means, so older readers and screen readers need not guess
MARK_LABELS = {"zh_Hans": {"✅": "要：", "❌": "不要："}, "en": {"✅": "Do: ", "❌": "Don't: "}}
#: words that, right after "don't", make a double negative
NEGATIVE_START = {
    "zh_Hans": re.compile(r"(不|别|勿|禁止|严禁|没|莫|未)"),
    "en": re.compile(r"(don't|never|do not|not|no)\b", re.IGNORECASE),
}


def _lesson_files(lang: str) -> list[Path]:
    files = sorted((CONTENT_DIR / "lessons").glob(f"*/{lang}.md"))
    assert files
    return files


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    return enumerate(path.read_text(encoding="utf-8").split("\n"), start=1)


def test_chinese_lessons_quote_with_chinese_quotation_marks() -> None:
    problems = []
    for path in _lesson_files("zh_Hans"):
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        closing = next(n for n, line in _numbered_lines(path) if n > 1 and line == "---")
        for number, line in _numbered_lines(path):
            if number == 1 or number == closing:
                continue
            if number < closing:
                value = meta.get(line.partition(":")[0].strip())
                text = value if isinstance(value, str) else ""
            else:
                text = line
            if any(quote in text for quote in ASCII_QUOTES):
                problems.append(f"{path.relative_to(CONTENT_DIR)}:{number}: {line}")
    assert not problems, "ASCII quotation marks in Chinese lessons:\n" + "\n".join(problems)


def test_do_and_dont_marks_are_labelled_in_words_without_double_negatives() -> None:
    problems = []
    for lang, labels in MARK_LABELS.items():
        for path in _lesson_files(lang):
            for number, line in _numbered_lines(path):
                for found in re.finditer("[✅❌]", line):
                    mark, label = found.group(), labels[found.group()]
                    rest = line[found.end() :].lstrip()
                    where = f"{path.relative_to(CONTENT_DIR)}:{number}: {line}"
                    if not rest.startswith(label):
                        problems.append(f"{where}  (needs the label {label.strip()!r} after {mark})")
                    elif mark == "❌" and NEGATIVE_START[lang].match(rest[len(label) :].lstrip()):
                        problems.append(f"{where}  (a double negative: say what not to do positively)")
    assert not problems, "\n".join(problems)


def _chinese_texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        where = f"{where} {node['id']}" if "id" in node else where
        for key, value in node.items():
            if key == "zh_Hans" and isinstance(value, str):
                yield where, value
            else:
                yield from _chinese_texts(value, where)
    elif isinstance(node, list):
        for item in node:
            yield from _chinese_texts(item, where)


def test_chinese_questions_quote_with_chinese_quotation_marks() -> None:
    files = sorted(BANK_DIR.glob("*.yaml"))
    assert files
    problems = [
        f"{where}: {text}"
        for path in files
        for where, text in _chinese_texts(load_yaml(path.read_text(encoding="utf-8")), path.name)
        if any(quote in text for quote in ASCII_QUOTES)
    ]
    assert not problems, "ASCII quotation marks in Chinese questions:\n" + "\n".join(problems)
