"""The training domain's refusals, each a DomainError answered in one place (webapp.errors)."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.errors import DomainError


class TrainingError(DomainError):
    """Input the domain refuses: ``fields`` maps a field to a message code (422)."""

    code, status = "unprocessable", 422

    def __init__(self, fields: Mapping[str, str] | None = None, code: str | None = None, status: int | None = None):
        super().__init__(code=code, fields=fields, status=status)


class RosterPhoneTaken(TrainingError):
    """The unit's roster already lists this mobile number (409)."""

    def __init__(self) -> None:
        super().__init__({"phone": "roster_phone_taken"}, status=409)


class InvitationUnknown(TrainingError):
    """A code never issued, already used or expired: the three look the same (404)."""

    def __init__(self) -> None:
        super().__init__({"code": "training_invitation_unknown"}, status=404)


class TraineeUnknown(TrainingError):
    """No trainee sign-in, or one revoked, expired or of a person erased (401)."""

    def __init__(self) -> None:
        super().__init__(code="trainee_unknown", status=401)


class CourseNotFound(TrainingError):
    """No such course, or none that trains the person's role (404)."""

    def __init__(self) -> None:
        super().__init__(code="course_not_found", status=404)


class ExamRefused(TrainingError):
    """An exam cannot be started now: lessons unread, today's sittings used, a certificate still
    valid and not yet renewable (409); ``code`` says which."""

    def __init__(self, code: str):
        super().__init__(code=code, status=409)


class ExamClosed(TrainingError):
    """The sitting was handed in already or has expired (409)."""

    def __init__(self, code: str = "exam_closed"):
        super().__init__(code=code, status=409)


class ExamNotFound(TrainingError):
    def __init__(self) -> None:
        super().__init__(code="exam_not_found", status=404)


class CertificateUnknown(TrainingError):
    def __init__(self) -> None:
        super().__init__(code="training_certificate_unknown", status=404)
