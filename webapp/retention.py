"""Retention: what is kept about residents and staff, and for how long.

After RETENTION_YEARS a respondent who has not been active since can no longer be linked
to a device (the digest of their token is removed; they stay a statistic), and the raw
detail of old quizzes goes: each answer, the questions and option order served, the
client's idempotency key, and the name on a certificate (which stays valid without it); a
trainee's old invitations and expired sign-ins go too.
What was handed in stays as one row per attempt (score, valid, passed), and every rollup
stays as it is, so the figures of old periods do not change and ``flask stats rebuild``
can still recompute them (the answer rollups of purged months are kept as they were).
Audit entries go after AUDIT_RETENTION_YEARS.

Cut-offs fall on the first day of a local month, so a month's raw rows go all at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import Text, cast, delete, exists, func, select, update

from quizzes.models import Answer, Attempt, Draw, SavedAnswer
from webapp.audit import service as audit
from webapp.audit.models import AuditEntry
from webapp.certificates.models import Certificate
from webapp.clock import local_midnight_utc, to_local
from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.training.models import TraineeToken, TrainingInvitation


@dataclass(frozen=True)
class Purge:
    """What a purge removes (or, in a dry run, would remove), per kind."""

    raw_before: datetime
    audit_before: datetime
    respondent_tokens: int
    answers: int
    saved_answers: int
    served_questions: int
    idempotency_keys: int
    certificate_names: int
    training_invitations: int
    trainee_tokens: int
    audit_entries: int

    def counts(self) -> dict[str, int]:
        return {name: value for name, value in asdict(self).items() if isinstance(value, int)}


def cutoff(now: datetime, years: int) -> datetime:
    """The start, as naive UTC, of the local month ``years`` years before the month of ``now``."""
    local = to_local(now)
    return local_midnight_utc(date(local.year - years, local.month, 1))


#: for each kind of row: its table, what makes a row old enough, and what it becomes (None: deleted)
Rule = tuple[type, tuple, dict | None]


def _rules(raw_before: datetime, audit_before: datetime) -> dict[str, Rule]:
    old_attempts = select(Attempt.id).where(Attempt.submitted_at < raw_before)
    active_since = exists().where(Draw.respondent_id == Respondent.id, Draw.served_at >= raw_before)
    reading_since = exists().where(
        LessonCompletion.respondent_id == Respondent.id, LessonCompletion.completed_at >= raw_before
    )
    return {
        "respondent_tokens": (
            Respondent,
            (Respondent.token_hash.is_not(None), Respondent.created_at < raw_before, ~active_since, ~reading_since),
            {"token_hash": None},
        ),
        "answers": (Answer, (Answer.attempt_id.in_(old_attempts),), None),
        # answers kept screen by screen of a sitting never handed in, or handed in on one page
        "saved_answers": (SavedAnswer, (SavedAnswer.saved_at < raw_before,), None),
        # JSON has no equality in PostgreSQL; its text does
        "served_questions": (Draw, (Draw.served_at < raw_before, cast(Draw.items, Text) != "[]"), {"items": []}),
        "idempotency_keys": (
            Attempt,
            (Attempt.submitted_at < raw_before, Attempt.idempotency_key.is_not(None)),
            {"idempotency_key": None},
        ),
        # a certificate stays valid and verifiable, without the name its holder once gave
        "certificate_names": (
            Certificate,
            (Certificate.issued_at < raw_before, Certificate.name.is_not(None)),
            {"name": None},
        ),
        # a trainee's invitation and sign-in serve for days: old ones, used or not, link nobody to anything
        "training_invitations": (TrainingInvitation, (TrainingInvitation.issued_at < raw_before,), None),
        "trainee_tokens": (TraineeToken, (TraineeToken.expires_at < raw_before,), None),
        "audit_entries": (AuditEntry, (AuditEntry.at < audit_before,), None),
    }


def _apply(rule: Rule, dry_run: bool) -> int:
    model, criteria, values = rule
    if dry_run:
        return db.session.execute(select(func.count()).select_from(model).where(*criteria)).scalar_one()
    statement = delete(model) if values is None else update(model).values(**values)
    return db.session.execute(statement.where(*criteria).execution_options(synchronize_session=False)).rowcount


def purge(now: datetime, retention_years: int, audit_years: int, dry_run: bool = False) -> Purge:
    """Remove what is older than its retention period, in the caller's transaction.

    ``dry_run`` counts what would go and changes nothing. A real purge is audited.
    """
    raw_before = cutoff(now, retention_years)
    audit_before = cutoff(now, audit_years)
    counts = {kind: _apply(rule, dry_run) for kind, rule in _rules(raw_before, audit_before).items()}
    done = Purge(raw_before=raw_before, audit_before=audit_before, **counts)
    if not dry_run:
        details = {"raw_before": raw_before.isoformat(), "audit_before": audit_before.isoformat(), **done.counts()}
        audit.record(None, "data.purge", details=details)
    return done
