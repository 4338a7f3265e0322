"""The question bank: YAML files validated into immutable questions at start-up."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from content.catalog import Catalog
from content.errors import ContentError
from content.taxonomy import LANGUAGES
from content.yamlfile import load_yaml

BANK_DIR = Path(__file__).resolve().parent / "bank"
QUESTION_TYPES = ("single", "multiple", "truefalse")
#: how a true/false statement's two choices read; content, so it lives with the content
TRUE_FALSE_LABELS = {
    "true": {"zh_Hans": "正确", "en": "True"},
    "false": {"zh_Hans": "错误", "en": "False"},
}
#: every key an option can have: a–e for up to five choices (see _options), true and false
OPTION_KEYS = ("a", "b", "c", "d", "e", *TRUE_FALSE_LABELS)


@dataclass(frozen=True)
class Option:
    key: str
    text: Mapping[str, str]
    correct: bool


@dataclass(frozen=True)
class Question:
    id: str
    lesson: str
    topic: str
    #: what the question measures across topics (prevention, escape, …): the survey's second quota
    dimension: str
    audiences: tuple[str, ...]
    type: str
    difficulty: int
    misconception: str | None
    stem: Mapping[str, str]
    options: tuple[Option, ...]
    explanation: Mapping[str, str]
    #: False for questions on statistics, article numbers or news: practice only, never the survey
    in_survey: bool = True

    @property
    def correct_keys(self) -> frozenset[str]:
        return frozenset(option.key for option in self.options if option.correct)

    @property
    def fingerprint(self) -> str:
        """A digest of what a respondent reads and what counts as right: changes when the question is rewritten."""
        texts = [self.stem[lang] for lang in LANGUAGES] + [
            f"{o.key}{o.correct}{o.text[lang]}" for o in self.options for lang in LANGUAGES
        ]
        return hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:16]

    def option(self, key: str) -> Option:
        return next(option for option in self.options if option.key == key)


@dataclass(frozen=True)
class Bank:
    questions: Mapping[str, Question]
    by_topic: Mapping[str, tuple[str, ...]]
    by_lesson: Mapping[str, tuple[str, ...]]


def _texts(raw: Any, what: str) -> Mapping[str, str]:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} must give zh_Hans and en")
    missing = [lang for lang in LANGUAGES if not str(raw.get(lang) or "").strip()]
    if missing:
        raise ValueError(f"{what} lacks {', '.join(missing)}")
    return MappingProxyType({lang: str(raw[lang]).strip() for lang in LANGUAGES})


def _options(raw: dict) -> tuple[Option, ...]:
    kind = raw["type"]
    if kind == "truefalse":
        if raw.get("options") is not None:
            raise ValueError("a truefalse question has 'answer', not 'options'")
        if not isinstance(raw.get("answer"), bool):
            raise ValueError("a truefalse question needs 'answer: true' or 'answer: false'")
        return tuple(
            Option(key, MappingProxyType(TRUE_FALSE_LABELS[key]), (key == "true") == raw["answer"])
            for key in ("true", "false")
        )
    items = raw.get("options")
    if not isinstance(items, list):
        raise ValueError("options must be a list")
    options = tuple(
        Option(chr(ord("a") + i), _texts(item, f"option {i + 1}"), item.get("correct") is True)
        for i, item in enumerate(items)
    )
    n_correct = sum(option.correct for option in options)
    if kind == "single" and not (3 <= len(options) <= 4 and n_correct == 1):
        raise ValueError("a single-choice question has 3–4 options, exactly one correct")
    if kind == "multiple" and not (4 <= len(options) <= 5 and 2 <= n_correct < len(options)):
        raise ValueError("a multiple-choice question has 4–5 options, at least two correct and one wrong")
    if len({option.text["zh_Hans"] for option in options}) != len(options):
        raise ValueError("options repeat")
    return options


def parse_question(raw: Any, catalog: Catalog, file_lesson: str) -> Question:
    if not isinstance(raw, dict):
        raise ValueError("each question is a mapping")
    qid = str(raw.get("id") or "")
    if not qid.startswith(f"{file_lesson}-"):
        raise ValueError(f"id {qid!r} must start with '{file_lesson}-'")
    if raw.get("lesson") not in catalog.lessons:
        raise ValueError(f"{qid}: unknown lesson {raw.get('lesson')!r}")
    if raw.get("topic") not in catalog.taxonomy.topics:
        raise ValueError(f"{qid}: unknown topic {raw.get('topic')!r}")
    if raw.get("dimension") not in catalog.taxonomy.dimensions:
        raise ValueError(f"{qid}: dimension must be one of {', '.join(catalog.taxonomy.dimensions)}")
    if not isinstance(raw.get("survey", True), bool):
        raise ValueError(f"{qid}: survey must be true or false")
    if raw.get("type") not in QUESTION_TYPES:
        raise ValueError(f"{qid}: type must be one of {', '.join(QUESTION_TYPES)}")
    if raw.get("difficulty") not in (1, 2, 3):
        raise ValueError(f"{qid}: difficulty must be 1, 2 or 3")
    audiences = raw.get("audiences") or []
    if not isinstance(audiences, list) or any(a not in catalog.taxonomy.audiences for a in audiences):
        raise ValueError(f"{qid}: audiences must be a list of known audience slugs")
    try:
        return Question(
            id=qid,
            lesson=raw["lesson"],
            topic=raw["topic"],
            dimension=raw["dimension"],
            audiences=tuple(audiences),
            type=raw["type"],
            difficulty=raw["difficulty"],
            misconception=raw.get("misconception"),
            stem=_texts(raw.get("stem"), "stem"),
            options=_options(raw),
            explanation=_texts(raw.get("explanation"), "explanation"),
            in_survey=raw.get("survey", True),
        )
    except ValueError as exc:
        raise ValueError(f"{qid}: {exc}") from exc


def load_bank(catalog: Catalog, root: Path = BANK_DIR) -> Bank:
    """Read every ``<lesson>.yaml`` under ``root``.

    :raises ContentError: listing every broken question with its file and reason.
    """
    problems: list[tuple[Path, str]] = []
    questions: dict[str, Question] = {}
    for path in sorted(root.glob("*.yaml")):
        try:
            items = load_yaml(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append((path, f"not valid YAML: {exc}"))
            continue
        if not isinstance(items, list):
            problems.append((path, "the file must be a list of questions"))
            continue
        for raw in items:
            try:
                question = parse_question(raw, catalog, path.stem)
            except ValueError as exc:
                problems.append((path, str(exc)))
                continue
            if question.id in questions:
                problems.append((path, f"duplicate id {question.id}"))
            questions[question.id] = question
    if problems:
        raise ContentError(problems)
    by_topic: dict[str, list[str]] = defaultdict(list)
    by_lesson: dict[str, list[str]] = defaultdict(list)
    for question in questions.values():
        by_topic[question.topic].append(question.id)
        by_lesson[question.lesson].append(question.id)
    return Bank(
        questions=MappingProxyType(questions),
        by_topic=MappingProxyType({k: tuple(v) for k, v in by_topic.items()}),
        by_lesson=MappingProxyType({k: tuple(v) for k, v in by_lesson.items()}),
    )
