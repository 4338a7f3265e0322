"""Certificates of a passed awareness survey: claim one, name it or not, find it by its code.

A certificate is the resident's own: only they see its picture and may change its name
(webapp.certificates.views checks the respondent). Its code is printed on it, and anyone holding
the code may check that it is genuine on the public verification page.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quizzes.models import Attempt
from webapp.certificates.models import CODE_ALPHABET, CODE_LENGTH, MAX_NAME, Certificate
from webapp.clock import utcnow
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.learn.models import Respondent
from webapp.text import CONTROL_CHARACTERS, has_control_characters

#: what a name must not hold: it is printed on pictures and pages, never interpreted as markup
_MARKUP = re.compile(r"[<>&\"`{}\\]")
_SPACES = re.compile(r"\s+")
#: what a person may type around a code: spaces and the dash it is printed with
_CODE_SEPARATORS = re.compile(r"[\s\-‐-―－]")
#: tries at a fresh code before giving up; with 31**10 codes a clash is already a rarity
_CODE_TRIES = 5


class CertificateError(DomainError):
    code, status = "certificate_error", 400


class CertificateNotEarned(CertificateError):
    """Only a passed survey earns a certificate (a practice quiz or a failed survey does not)."""

    code, status = "certificate_not_earned", 403


class CertificateNotFound(CertificateError):
    """No certificate has this code, or it is not the asking resident's: the two look the same."""

    code, status = "certificate_not_found", 404


class InvalidName(CertificateError):
    """The name typed for the certificate is refused; ``fields["name"]`` says why."""

    code, status = "certificate_name_too_long", 422

    def __init__(self, reason: str):
        super().__init__(fields={"name": reason})


def earns_certificate(attempt: Attempt) -> bool:
    """Whether ``attempt`` earns a certificate: a survey handed in at or above its pass mark."""
    return attempt.kind == "survey" and attempt.passed


def clean_name(raw: str | None) -> str | None:
    """The name as the certificate shows it: trimmed, inner spaces collapsed; None when empty.

    :raises InvalidName: for invisible control or formatting characters, markup characters,
        or more than MAX_NAME characters.
    """
    if raw is None:
        return None
    # invisible formatting (zero-width spaces, right-to-left overrides) could make a name read otherwise
    if has_control_characters(raw) or any(unicodedata.category(char) == "Cf" for char in raw):
        raise InvalidName(CONTROL_CHARACTERS)
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if _MARKUP.search(name):
        raise InvalidName("certificate_name_markup")
    if len(name) > MAX_NAME:
        raise InvalidName("certificate_name_too_long")
    return name or None


def new_code() -> str:
    """A fresh code of CODE_ALPHABET (about 50 bits), for printing and typing back."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str | None) -> str | None:
    """A code as typed or linked (any case, with its dash or spaces) as stored; None if it cannot be one."""
    if not raw or len(raw) > 4 * CODE_LENGTH:
        return None
    code = _CODE_SEPARATORS.sub("", raw).upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def certificate_for(attempt: Attempt) -> Certificate | None:
    """The certificate claimed for ``attempt``, if any."""
    return db.session.execute(select(Certificate).where(Certificate.attempt_id == attempt.id)).scalar_one_or_none()


def issue_certificate(attempt: Attempt, name: str | None) -> Certificate:
    """The certificate of ``attempt``, issued now unless it was before, showing ``name``.

    Claiming again is safe: the same certificate (and code) comes back, with the name now given
    (none given: no name). Two claims at once still make one certificate.

    :raises CertificateNotEarned: unless the attempt is a passed survey.
    :raises InvalidName: see :func:`clean_name`; nothing is issued then.
    """
    if not earns_certificate(attempt):
        raise CertificateNotEarned()
    cleaned = clean_name(name)
    existing = certificate_for(attempt)
    if existing is not None:
        existing.name = cleaned
        db.session.flush()
        return existing
    for _try in range(_CODE_TRIES):
        certificate = Certificate(
            code=new_code(),
            attempt_id=attempt.id,
            respondent_id=attempt.respondent_id,
            community_id=attempt.community_id,
            quiz_slug=attempt.quiz_slug,
            name=cleaned,
            issued_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            # another request claimed this attempt a moment ago, or (rarely) the code is taken
            claimed = certificate_for(attempt)
            if claimed is not None:
                claimed.name = cleaned
                db.session.flush()
                return claimed
            continue
        return certificate
    raise RuntimeError("no free certificate code found")


def certificates_of(respondent: Respondent) -> list[Certificate]:
    """Every certificate of ``respondent``, newest first."""
    statement = (
        select(Certificate)
        .where(Certificate.respondent_id == respondent.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return list(db.session.execute(statement).scalars())


def find_certificate(code: str | None) -> Certificate | None:
    """The certificate with ``code`` (as typed: any case, dash or spaces); None for an unknown or
    malformed code."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return db.session.execute(select(Certificate).where(Certificate.code == normalised)).scalar_one_or_none()


def owned_certificate(code: str | None, respondent: Respondent | None) -> Certificate:
    """The certificate with ``code`` if it is ``respondent``'s.

    :raises CertificateNotFound: for an unknown code, or someone else's certificate.
    """
    certificate = find_certificate(code)
    if certificate is None or respondent is None or certificate.respondent_id != respondent.id:
        raise CertificateNotFound()
    return certificate


def remove_name(certificate: Certificate) -> None:
    """Erase the name from ``certificate`` on its holder's request; the certificate stays valid."""
    certificate.name = None
    db.session.flush()
