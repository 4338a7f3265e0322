"""All content, loaded and validated together: lessons, the question bank and quiz definitions.

The library sits with the quizzes, which are built over the lessons; ``content`` itself knows
nothing of quizzes. ``python -m quizzes.library`` (and ``flask content check``) prints a
summary, or every problem with its file, and exits non-zero when anything is broken.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from content.catalog import Catalog, load_catalog
from content.errors import ContentError
from quizzes.bank import Bank, load_bank
from quizzes.definitions import QuizDefinition, load_quizzes


@dataclass(frozen=True)
class Library:
    """Everything residents read and answer, loaded once per process."""

    catalog: Catalog
    bank: Bank
    quizzes: Mapping[str, QuizDefinition]

    @property
    def survey(self) -> QuizDefinition:
        return next(quiz for quiz in self.quizzes.values() if quiz.counts_for_awareness)


def load_library() -> Library:
    """:raises ContentError: naming each broken file and why."""
    catalog = load_catalog()
    bank = load_bank(catalog)
    return Library(catalog, bank, load_quizzes(catalog, bank))


def summarize(library: Library) -> list[str]:
    bank = library.bank
    types = Counter(q.type for q in bank.questions.values())
    misconceptions = sorted({q.misconception for q in bank.questions.values() if q.misconception})
    lines = [
        f"content version {library.catalog.version}",
        f"{len(library.catalog.lessons)} lessons in zh_Hans and en",
        f"{len(bank.questions)} questions: " + ", ".join(f"{n} {t}" for t, n in sorted(types.items())),
        f"{len(library.quizzes)} quizzes",
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


def run_check(out: Callable[[str], None], err: Callable[[str], None]) -> int:
    """Load everything, report the summary or the problems; the exit status to use."""
    try:
        library = load_library()
    except ContentError as exc:
        for path, reason in exc.problems:
            err(f"{path}: {reason}")
        err(f"{len(exc.problems)} problem(s) found")
        return 1
    for line in summarize(library):
        out(line)
    gaps = coverage_problems(library)
    for gap in gaps:
        err(f"gap: {gap}")
    return 1 if gaps else 0


def main() -> int:
    return run_check(print, lambda line: print(line, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
