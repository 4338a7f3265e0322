"""All content, loaded and validated together: lessons, the question bank, quizzes and courses.

The library sits with the quizzes, which are built over the lessons; ``content`` itself knows
nothing of quizzes. ``python -m quizzes.library`` (and ``flask content check``) prints a
summary, or every problem with its file, and exits non-zero when anything is broken.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from content.catalog import Catalog, load_catalog
from content.errors import ContentError
from quizzes.bank import Bank, load_bank
from quizzes.courses import Course, load_courses
from quizzes.definitions import QuizDefinition, load_quizzes
from quizzes.fairness import MAX_ADVANTAGE, inclusion_shares, strategy_scores


@dataclass(frozen=True)
class Library:
    """Everything residents read and answer, loaded once per process."""

    catalog: Catalog
    bank: Bank
    quizzes: Mapping[str, QuizDefinition]
    courses: Mapping[str, Course]

    @property
    def survey(self) -> QuizDefinition:
        return next(quiz for quiz in self.quizzes.values() if quiz.counts_for_awareness)


def load_library() -> Library:
    """:raises ContentError: naming each broken file and why."""
    catalog = load_catalog()
    bank = load_bank(catalog)
    return Library(catalog, bank, load_quizzes(catalog, bank), load_courses(catalog, bank))


def summarize(library: Library) -> list[str]:
    bank, courses = library.bank, library.courses.values()
    types = Counter(q.type for q in bank.questions.values())
    misconceptions = sorted({q.misconception for q in bank.questions.values() if q.misconception})
    lines = [
        f"content version {library.catalog.version}",
        f"{len(library.catalog.lessons)} lessons in zh_Hans and en",
        f"{len(bank.questions)} questions: " + ", ".join(f"{n} {t}" for t, n in sorted(types.items())),
        "questions per dimension: "
        + ", ".join(
            f"{d} {sum(q.dimension == d for q in bank.questions.values())}" for d in library.catalog.taxonomy.dimensions
        ),
        f"practice only (not in the survey): {sum(not q.in_survey for q in bank.questions.values())}",
        f"{len(library.quizzes)} quizzes",
        f"{len(library.courses)} courses: "
        + ", ".join(f"{c.slug} ({len(c.lessons)} lessons, {len(c.exam.pool)} exam questions)" for c in courses),
        "questions per topic: "
        + ", ".join(f"{t} {len(bank.by_topic.get(t, ()))}" for t in library.catalog.taxonomy.topics),
        f"misconceptions covered: {', '.join(misconceptions) or 'none'}",
    ]
    return lines


def coverage_problems(library: Library) -> list[str]:
    """Content that loads but leaves a gap a resident would notice."""
    problems = []
    topics_taught = {lesson["zh_Hans"].topic for lesson in library.catalog.lessons.values()}
    for topic in library.catalog.taxonomy.topics:
        if topic not in topics_taught:
            problems.append(f"no lesson teaches topic {topic}")
    for slug in library.catalog.lessons:
        if not library.bank.by_lesson.get(slug):
            problems.append(f"lesson {slug} has no questions")
    return problems


def _strategy_report(quiz: QuizDefinition, bank: Bank, what: str) -> tuple[list[str], list[str]]:
    """Lines on a quiz's test-wise strategies, and the problems among them."""
    scores = strategy_scores(quiz, bank)
    chance = {score.lang: score.blind for score in scores}
    lines = [
        f"{what} pool: {len(quiz.pool)} questions; blind guessing scores "
        + ", ".join(f"{p:.1%} ({lang})" for lang, p in chance.items())
    ]
    problems = []
    for score in scores:
        line = f"  {score.strategy} [{score.lang}]: {score.expected:.1%} ({score.advantage * 100:+.1f} points)"
        lines.append(line)
        if not score.fair:
            problems.append(
                f"the {what} leaks its keys: '{score.strategy}' [{score.lang}] beats blind guessing by "
                f"{score.advantage * 100:.1f} points (at most {MAX_ADVANTAGE * 100:.0f})"
            )
    return lines, problems


def fairness_report(library: Library) -> tuple[list[str], list[str]]:
    """Lines on the test-wise strategies of the survey and of every course's exam, and the problems."""
    survey = library.survey
    lines, problems = _strategy_report(survey, library.bank, "survey")
    never = sorted(set(survey.pool) - set(inclusion_shares(survey, library.bank)))
    if never:
        lines.insert(1, f"{len(never)} survey question(s) the quotas never draw: {', '.join(never)}")
    for course in library.courses.values():
        exam_lines, exam_problems = _strategy_report(course.exam, library.bank, f"exam of {course.slug}")
        lines += exam_lines
        problems += exam_problems
    return lines, problems


def review_problems(library: Library, review: Sequence[Mapping[str, str]]) -> list[str]:
    """Questions the item analysis flagged that are still in the survey, unchanged since flagged."""
    problems = []
    for row in review:
        question = library.bank.questions.get(row.get("question_id", ""))
        if question is None:
            problems.append(f"review list: no question {row.get('question_id')!r}")
        elif question.in_survey and row.get("fingerprint") in (None, "", question.fingerprint):
            problems.append(
                f"review list: {question.id} ({row.get('reasons') or 'flagged'}) is still in the survey unchanged; "
                "rewrite it or mark it 'survey: false'"
            )
    return problems


def run_check(out: Callable[[str], None], err: Callable[[str], None], review: Sequence[Mapping[str, str]] = ()) -> int:
    """Load everything, report the summary or the problems; the exit status to use.

    ``review`` holds the rows of an item-analysis review list (question_id, fingerprint, reasons).
    """
    try:
        library = load_library()
    except ContentError as exc:
        for path, reason in exc.problems:
            err(f"{path}: {reason}")
        err(f"{len(exc.problems)} problem(s) found")
        return 1
    for line in summarize(library):
        out(line)
    fairness, unfair = fairness_report(library)
    for line in fairness:
        out(line)
    problems = [f"gap: {gap}" for gap in coverage_problems(library)] + unfair + review_problems(library, review)
    for problem in problems:
        err(problem)
    return 1 if problems else 0


def main() -> int:
    return run_check(print, lambda line: print(line, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
