"""The lessons and the question bank: complete, bilingual, validated, sanitized."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask

from content.catalog import CONTENT_DIR, load_catalog, render_markdown
from content.errors import ContentError
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
