"""Training courses: lessons in order, an exam over their questions, the hours and validity.

Loaded with the rest of the content (``quizzes.library``) and checked as strictly: a course names
lessons and roles that exist, its exam bank holds at least ``MIN_EXAM_BANK`` questions, and every
role is trained by some course, so no roster member is left without one.
"""

from __future__ import annotations

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
from quizzes.bank import Bank
from quizzes.definitions import QuizDefinition

COURSES_FILE = Path(__file__).resolve().parent / "courses.yaml"
EXAM = "exam"
#: the fewest questions an exam may be drawn from: a trainee who sits it again meets new ones
MIN_EXAM_BANK = 20


@dataclass(frozen=True)
class Course:
    slug: str
    title: Mapping[str, str]
    summary: Mapping[str, str]
    #: role slugs of the taxonomy this course trains
    roles: tuple[str, ...]
    #: lesson slugs, in the order they are read
    lessons: tuple[str, ...]
    #: study hours (学时) the certificate states
    hours: float
    exam: QuizDefinition
    attempts_per_day: int
    validity_months: int
    renew_within_days: int
    #: whether offline training logged by staff earns the certificate too
    offline: bool


def _texts(raw: Mapping[str, Any]) -> Mapping[str, str]:
    return MappingProxyType({lang: str(raw[lang]) for lang in LANGUAGES})


def _course(raw: Mapping[str, Any], defaults: Mapping[str, Any], bank: Bank) -> Course:
    settings = {**defaults, **raw}
    exam = {**defaults.get("exam", {}), **raw.get("exam", {})}
    lessons = tuple(str(slug) for slug in raw["lessons"])
    title = _texts(raw["title"])
    return Course(
        slug=str(raw["slug"]),
        title=title,
        summary=_texts(raw["summary"]),
        roles=tuple(str(role) for role in raw["roles"]),
        lessons=lessons,
        hours=float(raw["hours"]),
        exam=QuizDefinition(
            slug=f"exam-{raw['slug']}",
            kind=EXAM,
            title=title,
            n_questions=int(exam["questions"]),
            pool=tuple(q for lesson in lessons for q in bank.by_lesson.get(lesson, ())),
            pass_mark=float(exam["pass_mark"]),
            time_limit_seconds=int(exam["time_limit_minutes"]) * 60,
        ),
        attempts_per_day=int(settings["attempts_per_day"]),
        validity_months=int(settings["validity_months"]),
        renew_within_days=int(settings["renew_within_days"]),
        offline=bool(settings["offline"]),
    )


def course_problems(course: Course, catalog: Catalog) -> list[str]:
    """What keeps ``course`` from being taught and examined as written."""
    problems = [f"{course.slug}: no lesson {slug}" for slug in course.lessons if slug not in catalog.lessons]
    problems += [f"{course.slug}: no role {role}" for role in course.roles if role not in catalog.taxonomy.roles]
    if len(set(course.lessons)) != len(course.lessons):
        problems.append(f"{course.slug}: a lesson is listed twice")
    if len(course.exam.pool) < MIN_EXAM_BANK:
        problems.append(f"{course.slug}: the exam bank has {len(course.exam.pool)} questions, needs {MIN_EXAM_BANK}")
    if not 0 < course.exam.n_questions <= len(course.exam.pool):
        problems.append(f"{course.slug}: an exam of {course.exam.n_questions} questions cannot be drawn")
    if not 0 < course.exam.pass_mark <= 1:
        problems.append(f"{course.slug}: pass_mark must be a share between 0 and 1")
    if course.hours <= 0 or course.validity_months < 1 or course.attempts_per_day < 1:
        problems.append(f"{course.slug}: hours, validity_months and attempts_per_day must be positive")
    if not 0 <= course.renew_within_days < course.validity_months * 28:
        problems.append(f"{course.slug}: renew_within_days must be shorter than the validity")
    return problems


def _problems(courses: Mapping[str, Course], catalog: Catalog) -> list[str]:
    problems = [problem for course in courses.values() for problem in course_problems(course, catalog)]
    trained = {role for course in courses.values() for role in course.roles}
    problems += [f"no course trains role {role}" for role in catalog.taxonomy.roles if role not in trained]
    return problems


def load_courses(catalog: Catalog, bank: Bank, path: Path = COURSES_FILE) -> Mapping[str, Course]:
    """Every course of the courses file, in its order.

    :raises ContentError: when the file is malformed or a course cannot be taught or examined.
    """
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
        courses: dict[str, Course] = {}
        for entry in raw["courses"]:
            course = _course(entry, raw.get("defaults") or {}, bank)
            if course.slug in courses:
                raise ValueError(f"course {course.slug} is defined twice")
            courses[course.slug] = course
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ContentError([(path, f"malformed courses: {exc!r}")]) from exc
    problems = _problems(courses, catalog)
    if problems:
        raise ContentError([(path, problem) for problem in problems])
    return MappingProxyType(courses)


def courses_for_role(courses: Mapping[str, Course], role: str) -> list[Course]:
    """The courses that train ``role``, in the file's order."""
    return [course for course in courses.values() if role in course.roles]
