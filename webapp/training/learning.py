"""A trainee's course: the lessons read in order, then an exam under the survey's integrity rules.

The exam is drawn on the server (questions and option order stored with the sitting), answered by
position, and scored against the stored draw; the client never sees a key before handing in.
Sittings per day are limited, and a sitting closes at its time limit. Passing issues the
certificate (webapp.training.certificates).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, func, select, update

from quizzes.courses import Course, courses_for_role
from quizzes.engine import AnswerError, DrawnItem, draw_questions, score_items
from quizzes.library import Library
from webapp.clock import local_midnight_utc, local_today, utcnow
from webapp.extensions import db
from webapp.training.certificates import current_certificate, issue_certificate, renewable
from webapp.training.errors import CourseNotFound, ExamClosed, ExamNotFound, ExamRefused, TrainingError
from webapp.training.models import Enrollment, ExamAttempt, ExamDraw, RosterMember, TrainingCertificate

#: a sitting may be handed in this long after its time limit (a slow network, a last tap)
SUBMIT_GRACE = timedelta(minutes=2)


def courses_of(library: Library, member: RosterMember) -> list[Course]:
    """The courses that train the member's role."""
    return courses_for_role(library.courses, member.role)


def course_for(library: Library, member: RosterMember, slug: str) -> Course:
    """:raises CourseNotFound: no such course, or not one for the member's role."""
    course = library.courses.get(slug)
    if course is None or member.role not in course.roles:
        raise CourseNotFound()
    return course


def _enrollment(member: RosterMember, course: Course) -> Enrollment | None:
    return db.session.execute(
        select(Enrollment).where(Enrollment.member_id == member.id, Enrollment.course_slug == course.slug)
    ).scalar_one_or_none()


def enrollment_in(member: RosterMember, course: Course) -> Enrollment:
    """The member's progress in ``course``, begun on first use."""
    found = _enrollment(member, course)
    if found is None:
        found = Enrollment(member=member, course_slug=course.slug, lessons_done=[])
        db.session.add(found)
        db.session.flush()
    return found


def mark_lesson_read(member: RosterMember, course: Course, lesson_slug: str) -> Enrollment:
    """Note that the member read ``lesson_slug`` of ``course`` to the end; reading it again changes nothing.

    :raises CourseNotFound: the lesson is not part of the course.
    """
    if lesson_slug not in course.lessons:
        raise CourseNotFound()
    enrollment = enrollment_in(member, course)
    if lesson_slug not in enrollment.lessons_done:
        # a new list, so the JSON column is seen as changed
        enrollment.lessons_done = [*enrollment.lessons_done, lesson_slug]
    return enrollment


@dataclass(frozen=True)
class Progress:
    course: Course
    lessons_done: tuple[str, ...]
    certificate: TrainingCertificate | None
    sittings_today: int
    open_exam: ExamDraw | None

    @property
    def lessons_left(self) -> list[str]:
        return [slug for slug in self.course.lessons if slug not in self.lessons_done]

    @property
    def next_lesson(self) -> str | None:
        left = self.lessons_left
        return left[0] if left else None

    @property
    def ready_for_exam(self) -> bool:
        return not self.lessons_left


def _sittings_today(enrollment: Enrollment, now: datetime) -> int:
    since = local_midnight_utc(local_today())
    return db.session.execute(
        select(func.count())
        .select_from(ExamDraw)
        .where(ExamDraw.enrollment_id == enrollment.id, ExamDraw.served_at >= since, ExamDraw.served_at <= now)
    ).scalar_one()


def _open_exam(enrollment: Enrollment, now: datetime) -> ExamDraw | None:
    return db.session.execute(
        select(ExamDraw)
        .where(ExamDraw.enrollment_id == enrollment.id, ExamDraw.submitted_at.is_(None), ExamDraw.expires_at > now)
        .order_by(ExamDraw.served_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def progress_in(member: RosterMember, course: Course, now: datetime | None = None) -> Progress:
    """Where the member stands in ``course``; reading it writes nothing (a course not begun has no row)."""
    now = now or utcnow()
    enrollment = _enrollment(member, course)
    return Progress(
        course=course,
        lessons_done=tuple(enrollment.lessons_done) if enrollment else (),
        certificate=current_certificate(member, course.slug),
        sittings_today=_sittings_today(enrollment, now) if enrollment else 0,
        open_exam=_open_exam(enrollment, now) if enrollment else None,
    )


def start_exam(library: Library, member: RosterMember, course: Course, now: datetime | None = None) -> ExamDraw:
    """The member's open sitting of ``course``'s exam, or a freshly drawn one.

    :raises ExamRefused: ``exam_lessons_unread`` before every lesson was read; ``exam_limit`` once
        today's sittings are used; ``exam_certified`` while a certificate is valid and not yet
        renewable.
    """
    now = now or utcnow()
    progress = progress_in(member, course, now)
    if progress.open_exam is not None:
        return progress.open_exam
    if not progress.ready_for_exam:
        raise ExamRefused("exam_lessons_unread")
    if progress.certificate is not None and not renewable(progress.certificate, course, local_today()):
        raise ExamRefused("exam_certified")
    if progress.sittings_today >= course.attempts_per_day:
        raise ExamRefused("exam_limit")
    limit = timedelta(seconds=course.exam.time_limit_seconds or 0)
    drawn = draw_questions(course.exam, library.bank)
    draw = ExamDraw(
        id=secrets.token_urlsafe(16),
        enrollment=enrollment_in(member, course),
        content_version=library.catalog.version,
        items=[{"q": item.question_id, "o": list(item.option_keys)} for item in drawn],
        served_at=now,
        expires_at=now + limit + SUBMIT_GRACE,
    )
    db.session.add(draw)
    db.session.flush()
    return draw


def own_exam(member: RosterMember, draw_id: str) -> ExamDraw:
    """:raises ExamNotFound: no such sitting, or another person's (the two look the same)."""
    draw = db.session.get(ExamDraw, str(draw_id)[:32])
    if draw is None or draw.enrollment.member_id != member.id:
        raise ExamNotFound()
    return draw


def attempt_of(draw: ExamDraw) -> ExamAttempt | None:
    return db.session.execute(select(ExamAttempt).where(ExamAttempt.draw_id == draw.id)).scalar_one_or_none()


@dataclass(frozen=True)
class ExamResult:
    attempt: ExamAttempt
    certificate: TrainingCertificate | None


def submit_exam(
    library: Library,
    member: RosterMember,
    draw: ExamDraw,
    choices: Mapping[int, Sequence[int]],
    now: datetime | None = None,
) -> ExamResult:
    """Score the sitting and keep the result; a pass issues (or renews) the certificate.

    :raises ExamClosed: handed in already, or past its time limit.
    :raises TrainingError: an answer the sitting does not have (invalid_answers).
    """
    now = now or utcnow()
    course = course_for(library, member, draw.enrollment.course_slug)
    if draw.submitted_at is not None:
        raise ExamClosed("exam_submitted")
    if now > draw.expires_at:
        raise ExamClosed("exam_expired")
    items = [DrawnItem(item["q"], tuple(item["o"])) for item in draw.items]
    try:
        results = score_items(items, choices, library.bank)
    except AnswerError:
        raise TrainingError(code="invalid_answers") from None
    # the claim is one UPDATE: of two hand-ins of the same sitting, only one is scored
    claim = (
        update(ExamDraw)
        .where(ExamDraw.id == draw.id, ExamDraw.submitted_at.is_(None))
        .values(submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = cast(CursorResult, db.session.execute(claim)).rowcount
    if not claimed:
        raise ExamClosed("exam_submitted")
    n_correct = sum(result.correct for result in results)
    score = n_correct / len(results)
    attempt = ExamAttempt(
        draw_id=draw.id,
        enrollment_id=draw.enrollment_id,
        submitted_at=now,
        n_questions=len(results),
        n_correct=n_correct,
        score=score,
        passed=score >= course.exam.pass_mark,
        results=[{"q": r.question_id, "chosen": list(r.chosen), "correct": r.correct} for r in results],
    )
    db.session.add(attempt)
    db.session.flush()
    certificate = issue_certificate(member, course, local_today(), attempt=attempt) if attempt.passed else None
    return ExamResult(attempt, certificate)


def marked(attempt: ExamAttempt) -> list[tuple[list[str], bool]]:
    """(chosen option keys, correct) per question, in the order served: what feedback reads."""
    return [(result["chosen"], result["correct"]) for result in attempt.results]
