"""How a trainee signs in: a personal single-use invitation, redeemed once for a sign-in token.

Staff (or the unit's manager) issue an invitation for one roster member; its code is printed or
sent once and only its digest is kept. Redeeming it uses it up and returns a token that the site
keeps in the session and an API client sends as ``X-Trainee-Token``; a lost phone gets a new
invitation, which ends nothing else.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update

from webapp.accounts.models import User
from webapp.audit.service import record
from webapp.certificates.service import new_code, normalise_code
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.training.errors import InvitationUnknown, TrainingError
from webapp.training.models import RosterMember, TraineeToken, TrainingInvitation

INVITATION_DAYS = 30
TOKEN_DAYS = 365


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def display_code(code: str) -> str:
    """A code as printed, in two groups of five (typed back with or without the dash)."""
    return f"{code[:5]}-{code[5:]}"


def void_invitations(member: RosterMember, now: datetime) -> None:
    """Every unused invitation of ``member`` stops working."""
    unused = (TrainingInvitation.member_id == member.id, TrainingInvitation.used_at.is_(None))
    db.session.execute(update(TrainingInvitation).where(*unused).values(used_at=now))


def end_sign_ins(member: RosterMember, now: datetime) -> None:
    """Every sign-in of ``member`` ends (they were erased, or lost their phone)."""
    active = (TraineeToken.member_id == member.id, TraineeToken.revoked_at.is_(None))
    db.session.execute(update(TraineeToken).where(*active).values(revoked_at=now))


class Issued(NamedTuple):
    #: the code as generated (print it with ``display_code``); it is kept nowhere
    code: str
    expires_at: datetime


def issue_invitation(user: User, member: RosterMember, now: datetime | None = None) -> Issued:
    """A new single-use code for ``member``; earlier unused ones stop working.

    :raises TrainingError: the person left the roster or was erased.
    """
    now = now or utcnow()
    if member.erased:
        raise TrainingError(code="roster_member_erased", status=409)
    code = new_code()
    void_invitations(member, now)
    expires_at = now + timedelta(days=INVITATION_DAYS)
    db.session.add(
        TrainingInvitation(
            member=member, code_digest=_digest(code), issued_at=now, expires_at=expires_at, issued_by_id=user.id
        )
    )
    record(user, "roster.invite", member, details={"unit": member.unit_id})
    return Issued(code, expires_at)


def redeem_invitation(code: str | None, now: datetime | None = None) -> tuple[str, RosterMember]:
    """Use up an invitation: the sign-in token (returned once) and whose it is.

    :raises InvitationUnknown: a code never issued, used already, expired, or of a person erased.
    """
    now = now or utcnow()
    normalised = normalise_code(code)
    if normalised is None:
        raise InvitationUnknown()
    # the claim is one UPDATE, so two phones redeeming the same code cannot both succeed
    claimed = db.session.execute(
        update(TrainingInvitation)
        .where(
            TrainingInvitation.code_digest == _digest(normalised),
            TrainingInvitation.used_at.is_(None),
            TrainingInvitation.expires_at > now,
        )
        .values(used_at=now)
        .returning(TrainingInvitation.member_id)
    ).scalar_one_or_none()
    member = db.session.get(RosterMember, claimed) if claimed is not None else None
    if member is None or member.erased:
        raise InvitationUnknown()
    token = secrets.token_urlsafe(32)
    db.session.add(
        TraineeToken(
            member=member, token_digest=_digest(token), created_at=now, expires_at=now + timedelta(days=TOKEN_DAYS)
        )
    )
    db.session.flush()
    return token, member


def find_trainee(token: str | None, now: datetime | None = None) -> RosterMember | None:
    """The roster member a sign-in token belongs to; None for no token, a foreign, revoked or
    expired one, or a person erased since."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    found = db.session.execute(
        select(TraineeToken).where(TraineeToken.token_digest == _digest(token))
    ).scalar_one_or_none()
    if found is None or found.revoked_at is not None or found.expires_at <= now or found.member.erased:
        return None
    return found.member


def sign_out(token: str | None, now: datetime | None = None) -> None:
    if token:
        db.session.execute(
            update(TraineeToken).where(TraineeToken.token_digest == _digest(token)).values(revoked_at=now or utcnow())
        )
