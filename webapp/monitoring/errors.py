"""Refusals of the monitoring domain; each code has its message in ``webapp.errors.MESSAGES``."""

from __future__ import annotations

from webapp.errors import DomainError


class WaveError(DomainError):
    """A wave, assignment or interview that cannot be set up as asked; ``fields`` says where."""

    code, status = "unprocessable", 422


class WaveClosed(WaveError):
    code, status = "wave_closed", 409


class InterviewHandedIn(WaveError):
    code, status = "interview_handed_in", 409


class InvitationUnknown(WaveError):
    """Unknown, or used already: from outside the two look the same."""

    code, status = "invitation_unknown", 404
