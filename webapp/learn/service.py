"""Residents' operations: who is answering, and which lessons they finished."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.regions.models import Region
from webapp.stats import rollups
from webapp.timeutil import utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_respondent(token: str | None) -> Respondent | None:
    if not token or len(token) > 128:
        return None
    return db.session.execute(select(Respondent).where(Respondent.token_hash == hash_token(token))).scalar_one_or_none()


def enroll_respondent(community: Region) -> tuple[Respondent, str]:
    """A new anonymous respondent in ``community``; the token is returned once, never stored."""
    token = secrets.token_urlsafe(32)
    # stored with whatever the request adds next, in one flush
    respondent = Respondent(token_hash=hash_token(token), community=community, community_id=community.id)
    db.session.add(respondent)
    return respondent, token


def respondent_for(token: str | None, community: Region) -> tuple[Respondent, str | None]:
    """The respondent holding ``token``, now belonging to ``community``; or a new one.

    Returns the new token when one was issued, else None.
    """
    respondent = find_respondent(token)
    if respondent is None:
        return enroll_respondent(community)
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
        completion = LessonCompletion(
            respondent_id=respondent.id,
            community_id=respondent.community_id,
            lesson_slug=lesson_slug,
            completed_at=now or utcnow(),
        )
        db.session.add(completion)
        rollups.record_lesson_completion(completion, respondent)
