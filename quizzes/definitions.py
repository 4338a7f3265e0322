"""Quiz definitions: the awareness survey, a practice quiz per topic, a check per lesson."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml

from content.catalog import Catalog
from content.errors import ContentError
from content.taxonomy import LANGUAGES, Taxonomy
from content.yamlfile import load_yaml
from quizzes.bank import Bank
from quizzes.quotas import quota_cells

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
    pass_mark: float
    time_limit_seconds: int | None
    topic: str | None = None
    lesson: str | None = None
    #: questions per topic in a sitting (the survey's strata); empty: a plain sample of the pool
    topic_quotas: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: questions per dimension in a sitting, a second margin the draw meets as well
    dimension_quotas: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: a survey handed in faster than this per question cannot have been read: kept out of the figures
    min_seconds_per_question: float = 0.0
    #: a composite index's weight per dimension; empty: every question weighs the same
    dimension_weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def counts_for_awareness(self) -> bool:
        return self.kind == SURVEY

    @property
    def strata(self) -> tuple[str, ...]:
        return tuple(self.topic_quotas)


def _title(template: Mapping[str, str], names: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({lang: template[lang].format(name=names[lang]) for lang in LANGUAGES})


def _even_quotas(topics: tuple[str, ...], n: int) -> dict[str, int]:
    """The same number of questions per topic; a remainder goes to the first topics listed."""
    base, extra = divmod(n, len(topics))
    return {topic: base + (i < extra) for i, topic in enumerate(topics)}


def _survey(survey: dict, catalog: Catalog, bank: Bank) -> QuizDefinition:
    n = int(survey["questions"])
    topic_quotas = survey.get("topics") or _even_quotas(tuple(catalog.taxonomy.topics), n)
    return QuizDefinition(
        slug=survey["slug"],
        kind=SURVEY,
        title=MappingProxyType({lang: survey["title"][lang] for lang in LANGUAGES}),
        n_questions=n,
        pool=tuple(q.id for q in bank.questions.values() if q.in_survey),
        pass_mark=float(survey["pass_mark"]),
        time_limit_seconds=int(survey["time_limit_minutes"]) * 60,
        min_seconds_per_question=float(survey.get("min_seconds_per_question", 0)),
        topic_quotas=MappingProxyType({str(t): int(k) for t, k in topic_quotas.items()}),
        dimension_quotas=MappingProxyType({str(d): int(k) for d, k in (survey.get("dimensions") or {}).items()}),
        dimension_weights=MappingProxyType(
            {str(d): float(w) for d, w in (survey.get("dimension_weights") or {}).items()}
        ),
    )


def _build(raw: dict, catalog: Catalog, bank: Bank) -> dict[str, QuizDefinition]:
    survey = _survey(raw["survey"], catalog, bank)
    quizzes = {survey.slug: survey}
    practice = raw["practice"]
    for slug, tag in catalog.taxonomy.topics.items():
        quizzes[f"practice-{slug}"] = QuizDefinition(
            slug=f"practice-{slug}",
            kind=PRACTICE,
            title=_title(practice["title"], tag.names),
            n_questions=int(practice["questions"]),
            pool=bank.by_topic.get(slug, ()),
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
            pass_mark=float(check["pass_mark"]),
            time_limit_seconds=None,
            lesson=slug,
            topic=versions["zh_Hans"].topic,
        )
    return quizzes


def survey_problems(quiz: QuizDefinition, bank: Bank, taxonomy: Taxonomy) -> list[str]:
    """What keeps the survey's quotas from being met in every sitting."""
    problems = []
    unknown = [t for t in quiz.topic_quotas if t not in taxonomy.topics]
    unknown += [d for d in {**quiz.dimension_quotas, **quiz.dimension_weights} if d not in taxonomy.dimensions]
    if unknown:
        return [f"{quiz.slug}: unknown topics or dimensions {', '.join(unknown)}"]
    for name, quotas in (("topic", quiz.topic_quotas), ("dimension", quiz.dimension_quotas)):
        if quotas and sum(quotas.values()) != quiz.n_questions:
            problems.append(f"{quiz.slug}: {name} quotas add up to {sum(quotas.values())}, not {quiz.n_questions}")
    if any(w <= 0 for w in quiz.dimension_weights.values()) or (
        quiz.dimension_weights and set(quiz.dimension_weights) != {d for d, k in quiz.dimension_quotas.items() if k}
    ):
        problems.append(f"{quiz.slug}: dimension weights must be positive, one for each dimension with a quota")
    if not problems and quota_cells(quiz, bank, random.Random(0)) is None:
        problems.append(f"{quiz.slug}: the pool cannot meet the topic and dimension quotas together")
    return problems


def _problems(quizzes: Mapping[str, QuizDefinition], raw: dict, bank: Bank, taxonomy: Taxonomy) -> list[str]:
    problems = []
    minimum = int(raw["check"]["min_questions"])
    for quiz in quizzes.values():
        if quiz.kind == CHECK and len(quiz.pool) < minimum:
            problems.append(f"{quiz.slug}: lesson {quiz.lesson} has {len(quiz.pool)} questions, needs {minimum}")
        elif quiz.kind == PRACTICE and len(quiz.pool) < quiz.n_questions:
            problems.append(f"{quiz.slug}: topic {quiz.topic} has {len(quiz.pool)} questions, needs {quiz.n_questions}")
        elif quiz.kind == SURVEY:
            problems.extend(survey_problems(quiz, bank, taxonomy))
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
    problems = _problems(quizzes, raw, bank, catalog.taxonomy)
    if problems:
        raise ContentError([(path, problem) for problem in problems])
    return MappingProxyType(quizzes)
