"""Quiz definitions: the awareness survey, a practice quiz per topic, a check per lesson."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from content.catalog import Catalog
from content.errors import ContentError
from content.taxonomy import LANGUAGES
from content.yamlfile import load_yaml
from quizzes.bank import Bank

DEFINITIONS_FILE = Path(__file__).resolve().parent / "definitions.yaml"

SURVEY, PRACTICE, CHECK = "survey", "practice", "check"


@dataclass(frozen=True)
class QuizDefinition:
    slug: str
    kind: str
    title: Mapping[str, str]
    n_questions: int
    #: the question ids this quiz may draw from
    pool: tuple[str, ...]
    #: draw the same number of questions from each of these topics
    strata: tuple[str, ...]
    pass_mark: float
    time_limit_seconds: int | None
    topic: str | None = None
    lesson: str | None = None

    @property
    def counts_for_awareness(self) -> bool:
        return self.kind == SURVEY


def _title(template: Mapping[str, str], names: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({lang: template[lang].format(name=names[lang]) for lang in LANGUAGES})


def _build(raw: dict, catalog: Catalog, bank: Bank) -> dict[str, QuizDefinition]:
    survey = raw["survey"]
    topics = tuple(catalog.taxonomy.topics)
    quizzes = {
        survey["slug"]: QuizDefinition(
            slug=survey["slug"],
            kind=SURVEY,
            title=MappingProxyType({lang: survey["title"][lang] for lang in LANGUAGES}),
            n_questions=int(survey["questions"]),
            pool=tuple(bank.questions),
            strata=topics,
            pass_mark=float(survey["pass_mark"]),
            time_limit_seconds=int(survey["time_limit_minutes"]) * 60,
        )
    }
    practice = raw["practice"]
    for slug, tag in catalog.taxonomy.topics.items():
        quizzes[f"practice-{slug}"] = QuizDefinition(
            slug=f"practice-{slug}",
            kind=PRACTICE,
            title=_title(practice["title"], tag.names),
            n_questions=int(practice["questions"]),
            pool=bank.by_topic.get(slug, ()),
            strata=(),
            pass_mark=float(practice["pass_mark"]),
            time_limit_seconds=None,
            topic=slug,
        )
    check = raw["check"]
    for slug, versions in catalog.lessons.items():
        pool = bank.by_lesson.get(slug, ())
        quizzes[f"check-{slug}"] = QuizDefinition(
            slug=f"check-{slug}",
            kind=CHECK,
            title=_title(check["title"], {lang: versions[lang].title for lang in LANGUAGES}),
            n_questions=min(len(pool), int(check["max_questions"])),
            pool=pool,
            strata=(),
            pass_mark=float(check["pass_mark"]),
            time_limit_seconds=None,
            lesson=slug,
            topic=versions["zh_Hans"].topic,
        )
    return quizzes


def _problems(quizzes: Mapping[str, QuizDefinition], raw: dict, bank: Bank) -> list[str]:
    problems = []
    minimum = int(raw["check"]["min_questions"])
    for quiz in quizzes.values():
        if quiz.kind == CHECK and len(quiz.pool) < minimum:
            problems.append(f"{quiz.slug}: lesson {quiz.lesson} has {len(quiz.pool)} questions, needs {minimum}")
        elif quiz.kind == PRACTICE and len(quiz.pool) < quiz.n_questions:
            problems.append(f"{quiz.slug}: topic {quiz.topic} has {len(quiz.pool)} questions, needs {quiz.n_questions}")
        elif quiz.kind == SURVEY:
            empty = [t for t in quiz.strata if not bank.by_topic.get(t)]
            if empty:
                problems.append(f"{quiz.slug}: no questions for topics {', '.join(empty)}")
        if not 0 < quiz.pass_mark <= 1:
            problems.append(f"{quiz.slug}: pass_mark must be a share between 0 and 1")
    return problems


def load_quizzes(catalog: Catalog, bank: Bank, path: Path = DEFINITIONS_FILE) -> Mapping[str, QuizDefinition]:
    """Build every quiz from the definitions file.

    :raises ContentError: when the file is malformed or a quiz cannot be drawn.
    """
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
        quizzes = _build(raw, catalog, bank)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ContentError([(path, f"malformed quiz definitions: {exc!r}")]) from exc
    problems = _problems(quizzes, raw, bank)
    if problems:
        raise ContentError([(path, problem) for problem in problems])
    return MappingProxyType(quizzes)
