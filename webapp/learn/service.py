"""Residents' operations: who is answering, and which lessons they finished."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard, cast

from flask import current_app
from itsdangerous import BadSignature, Signer
from sqlalchemy import Table, bindparam, insert, or_, select
from sqlalchemy.orm import make_transient_to_detached

from quizzes import service as quizzes
from quizzes.definitions import QuizDefinition
from quizzes.library import Library
from quizzes.models import Attempt, Draw
from quizzes.service import QuizError, Timing
from webapp.campaigns.service import activity_by_code
from webapp.clock import local_month, utcnow
from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.regions.models import Region

#: longer than any token this server issues; anything longer is not looked up
MAX_TOKEN_LENGTH = 128


class RespondentUnknown(QuizError):
    """A respondent token this server did not issue, or one no longer linked to anyone."""

    code, status = "respondent_unknown", 401


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signer() -> Signer:
    # the newest key signs; earlier ones (SECRET_KEY_FALLBACKS) still verify after a rotation
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or ()), current_app.config["SECRET_KEY"]]
    return Signer(keys, salt="respondent-token", digest_method=hashlib.sha256)


def _well_formed(token: str | None) -> TypeGuard[str]:
    return token is not None and 0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii()


def is_ours(token: str | None) -> bool:
    """Whether this server issued ``token``: signed with its key, or (tokens issued before
    they were signed) found among the stored ones. A signed token is trusted without a read."""
    if not _well_formed(token):
        return False
    try:
        _signer().unsign(token)
        return True
    except BadSignature:
        return find_respondent(token) is not None


def find_respondent(token: str | None) -> Respondent | None:
    """The respondent holding ``token``; None for a token never issued, or unlinked by a purge."""
    if not _well_formed(token):
        return None
    return db.session.execute(select(Respondent).where(Respondent.token_hash == hash_token(token))).scalar_one_or_none()


#: built once: every hand-in starts here, and building the statement cost more than running it
_OWN_DRAW = (
    select(Draw)
    .join(Respondent, Respondent.id == Draw.respondent_id)
    .where(Draw.id == bindparam("draw_id"), Respondent.token_hash == bindparam("token_hash"))
)


def own_draw(token: str | None, draw_id: str) -> Draw:
    """The draw ``draw_id`` of the respondent holding ``token``, in one query.

    :raises RespondentUnknown: ``token`` leads to no one.
    :raises DrawNotFound: no such draw, or someone else's (the two look the same from outside).
    """
    if _well_formed(token) and draw_id and len(draw_id) <= 32:
        found = {"draw_id": draw_id, "token_hash": hash_token(token)}
        draw = db.session.execute(_OWN_DRAW, found).scalar_one_or_none()
        if draw is not None:
            return draw
    if find_respondent(token) is None:  # the rare refusal tells which of the two it is
        raise RespondentUnknown()
    raise quizzes.DrawNotFound()


def enroll_respondent(community: Region) -> tuple[Respondent, str]:
    """A new anonymous respondent in ``community``; the token, signed by this server, is
    returned once and only its digest stored."""
    token = _signer().sign(secrets.token_urlsafe(32)).decode()
    columns = {"token_hash": hash_token(token), "community_id": community.id, "created_at": utcnow()}
    # one Core insert, not the unit of work: on the peak's busiest path the flush cost more than the row
    respondent_id = db.session.execute(_INSERT_RESPONDENT, columns).scalar_one()
    respondent = Respondent(id=respondent_id, **columns)
    make_transient_to_detached(respondent)  # as if loaded: nothing of it is written again
    db.session.add(respondent)
    return respondent, token


_INSERT_RESPONDENT = insert(cast(Table, Respondent.__table__)).returning(Respondent.__table__.c.id)


def respondent_for(token: str | None, community: Region) -> tuple[Respondent, str | None]:
    """The respondent holding ``token``, now belonging to ``community``; without a token, a new one.

    Returns the new token when one was issued, else None.

    :raises RespondentUnknown: ``token`` was not issued here (or no longer leads to anyone); a
        client-chosen value never becomes a respondent.
    """
    if not token:
        return enroll_respondent(community)
    respondent = find_respondent(token)
    if respondent is None:
        raise RespondentUnknown()
    respondent.community, respondent.community_id = community, community.id  # later steps read community_id
    return respondent, None


def complete_lesson(respondent: Respondent, lesson_slug: str, now: datetime | None = None) -> None:
    """Record that the respondent finished a lesson; finishing it again changes nothing."""
    if respondent.id is None:  # enrolled in this request: the completion needs its id
        db.session.flush()
    done = db.session.execute(
        select(LessonCompletion.id).where(
            LessonCompletion.respondent_id == respondent.id, LessonCompletion.lesson_slug == lesson_slug
        )
    ).first()
    if done is None:
        completed_at = now or utcnow()
        completion = LessonCompletion(
            respondent_id=respondent.id,
            community_id=respondent.community_id,
            lesson_slug=lesson_slug,
            completed_at=completed_at,
            month=local_month(completed_at),
        )
        db.session.add(completion)


def start_quiz(
    library: Library,
    quiz: QuizDefinition,
    community: Region,
    token: str | None,
    activity_code: str | None = None,
    resume: bool = False,
) -> tuple[Draw, str | None]:
    """The resident holding ``token`` (a new one without it) starts ``quiz`` for ``community``.

    With ``resume``, a sitting of the same quiz begun and not handed in, still within its time, is
    taken up again rather than drawn afresh: on the site a closed tab or a dropped network loses
    nothing. (An API client keeps its own draws and asks for a new one when it wants one.)

    Starting a lesson's check means the lesson was read. ``activity_code`` names the campaign
    activity whose QR code brought the resident, if any. Returns the draw, and the token of a
    respondent enrolled now (None when ``token`` led to one).

    :raises RespondentUnknown: ``token`` was not issued here, or no longer leads to anyone.
    :raises NotACommunity: ``community`` is a larger area than a community or village.
    """
    respondent, new_token = respondent_for(token, community)
    unfinished = open_draw(respondent, quiz.slug) if resume and new_token is None else None
    if unfinished is not None and unfinished.community_id == community.id:
        return unfinished, None
    if quiz.lesson:
        complete_lesson(respondent, quiz.lesson)
    activity = activity_by_code(activity_code) if activity_code else None
    draw = quizzes.start_draw(
        library, quiz, respondent, community, Timing.from_config(current_app.config), activity=activity
    )
    return draw, new_token


def open_draw(respondent: Respondent, quiz_slug: str | None = None, now: datetime | None = None) -> Draw | None:
    """The respondent's latest sitting (of ``quiz_slug``, or any) not handed in and still in time."""
    now = now or utcnow()
    query = select(Draw).where(
        Draw.respondent_id == respondent.id,
        Draw.submitted_at.is_(None),
        Draw.expires_at > now,
        or_(Draw.deadline_at.is_(None), Draw.deadline_at > now),
    )
    if quiz_slug is not None:
        query = query.where(Draw.quiz_slug == quiz_slug)
    return db.session.execute(query.order_by(Draw.served_at.desc()).limit(1)).scalar_one_or_none()


#: how much of a phone's history one page shows
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class History:
    """What one phone's respondent has done: quizzes handed in and lessons read, newest first."""

    attempts: list[Attempt]
    lessons: list[LessonCompletion]
    unfinished: Draw | None


def history_of(respondent: Respondent) -> History:
    attempts = db.session.execute(
        select(Attempt)
        .where(Attempt.respondent_id == respondent.id)
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
        .limit(HISTORY_LIMIT)
    ).scalars()
    lessons = db.session.execute(
        select(LessonCompletion)
        .where(LessonCompletion.respondent_id == respondent.id)
        .order_by(LessonCompletion.completed_at.desc(), LessonCompletion.id.desc())
        .limit(HISTORY_LIMIT)
    ).scalars()
    return History(list(attempts), list(lessons), open_draw(respondent))
