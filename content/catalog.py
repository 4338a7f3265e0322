"""Lessons: Markdown files with front matter, validated into an immutable catalog.

The catalog is built once at start-up. Rendering and sanitizing happen here, so a
request only looks HTML up; a broken file stops start-up with its name and reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import nh3
import yaml
from markdown_it import MarkdownIt

from content.errors import ContentError
from content.taxonomy import LANGUAGES, Taxonomy, load_taxonomy
from content.yamlfile import load_yaml

CONTENT_DIR = Path(__file__).resolve().parent
SHARED_FIELDS = ("slug", "topic", "audiences", "reading_minutes")
ALLOWED_TAGS = {"h2", "h3", "p", "ul", "ol", "li", "strong", "em", "blockquote", "code", "br", "hr"}
#: summaries longer than this do not fit the lesson card on a phone
SUMMARY_LIMITS = {"zh_Hans": 80, "en": 160}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


@dataclass(frozen=True)
class Lesson:
    """One lesson in one language."""

    slug: str
    lang: str
    title: str
    topic: str
    audiences: tuple[str, ...]
    summary: str
    reading_minutes: int
    html: str


@dataclass(frozen=True)
class Catalog:
    taxonomy: Taxonomy
    #: slug -> {lang -> Lesson}
    lessons: Mapping[str, Mapping[str, Lesson]]
    #: a hash of every content file, so a draw can say which content it was served from
    version: str

    def lesson(self, slug: str, lang: str) -> Lesson | None:
        versions = self.lessons.get(slug)
        if versions is None:
            return None
        return versions.get(lang) or versions["zh_Hans"]

    def find_lessons(self, lang: str, topic: str | None = None, audience: str | None = None) -> list[Lesson]:
        found = [self.lesson(slug, lang) for slug in self.lessons]
        return [
            lesson
            for lesson in found
            if lesson is not None
            and (topic is None or lesson.topic == topic)
            and (audience is None or audience in lesson.audiences)
        ]


def render_markdown(text: str) -> str:
    """Markdown to HTML that is safe to embed: raw HTML off, then an allow-list sanitizer."""
    return nh3.clean(_markdown.render(text), tags=ALLOWED_TAGS, attributes={})


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        raise ValueError("missing front matter (the file must start with a '---' line)")
    end = text.find("\n---\n", 4)
    if end == -1:
        raise ValueError("front matter is not closed by a '---' line")
    meta = load_yaml(text[4:end])
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    return meta, text[end + 5 :]


def _parse_lesson(path: Path, lang: str, taxonomy: Taxonomy) -> Lesson:
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    missing = [key for key in ("slug", "title", "topic", "audiences", "summary", "reading_minutes") if key not in meta]
    if missing:
        raise ValueError(f"front matter lacks {', '.join(missing)}")
    if meta["slug"] != path.parent.name:
        raise ValueError(f"slug {meta['slug']!r} differs from its folder name {path.parent.name!r}")
    if meta["topic"] not in taxonomy.topics:
        raise ValueError(f"unknown topic {meta['topic']!r}")
    audiences = meta["audiences"]
    if not isinstance(audiences, list) or not audiences:
        raise ValueError("audiences must be a non-empty list")
    unknown = [a for a in audiences if a not in taxonomy.audiences]
    if unknown:
        raise ValueError(f"unknown audiences {unknown}")
    minutes = meta["reading_minutes"]
    if not isinstance(minutes, int) or not 1 <= minutes <= 10:
        raise ValueError("reading_minutes must be a whole number from 1 to 10")
    summary = str(meta["summary"]).strip()
    if not summary or len(summary) > SUMMARY_LIMITS[lang]:
        raise ValueError(f"summary must be 1–{SUMMARY_LIMITS[lang]} characters")
    if "<" in body:
        raise ValueError("raw HTML is not allowed in lessons")
    html = render_markdown(body)
    if html.count("<h2>") < 2:
        raise ValueError("a lesson needs at least two '##' sections")
    return Lesson(
        slug=meta["slug"],
        lang=lang,
        title=str(meta["title"]).strip(),
        topic=meta["topic"],
        audiences=tuple(audiences),
        summary=summary,
        reading_minutes=minutes,
        html=html,
    )


def _check_languages_agree(slug: str, versions: dict[str, Lesson], folder: Path) -> list[tuple[Path, str]]:
    zh, en = versions["zh_Hans"], versions["en"]
    return [
        (folder, f"{field} differs between zh_Hans and en")
        for field in SHARED_FIELDS
        if getattr(zh, field) != getattr(en, field)
    ]


def content_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_catalog(root: Path = CONTENT_DIR) -> Catalog:
    """Read the taxonomy and every lesson under ``root``.

    :raises ContentError: listing every broken file with its reason.
    """
    taxonomy = load_taxonomy(root / "taxonomy.yaml")
    problems: list[tuple[Path, str]] = []
    lessons: dict[str, Mapping[str, Lesson]] = {}
    files: list[Path] = [root / "taxonomy.yaml"]
    for folder in sorted(p for p in (root / "lessons").iterdir() if p.is_dir()):
        versions: dict[str, Lesson] = {}
        for lang in LANGUAGES:
            path = folder / f"{lang}.md"
            if not path.exists():
                problems.append((path, "missing: every lesson needs zh_Hans.md and en.md"))
                continue
            files.append(path)
            try:
                versions[lang] = _parse_lesson(path, lang, taxonomy)
            except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
                problems.append((path, str(exc)))
        if len(versions) == len(LANGUAGES):
            problems.extend(_check_languages_agree(folder.name, versions, folder))
            lessons[folder.name] = MappingProxyType(versions)
    if problems:
        raise ContentError(problems)
    return Catalog(taxonomy=taxonomy, lessons=MappingProxyType(lessons), version=content_hash(files))
