"""Running interviews: who was asked, how, what they answered, and whether it may count.

An interviewer starts an interview by recording the respondent's age band, sex, urban or rural
area and the mode; the survey is drawn exactly as online (same quotas, shuffled options, no keys
sent) and scored on the server when handed in, with the paradata flags computed then. A person
sampled for the online mode answers by a single-use invitation code instead of an interviewer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from werkzeug.exceptions import NotFound

from quizzes.engine import AnswerError, DrawnItem, composite_score, draw_questions, score_items
from quizzes.library import Library
from webapp.accounts.models import User
from webapp.audit.service import record
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.monitoring.errors import InterviewHandedIn, InvitationUnknown, WaveError
from webapp.monitoring.models import AREA_TYPES, Interview, Interviewer, Invitation, Wave
from webapp.monitoring.quality import QualityRules, Sitting, quality_flags
from webapp.monitoring.waves import require_open, sampled_communities
from webapp.regions.margins import age_bands, margins_of
from webapp.regions.models import SEXES, Region

#: invitation codes: no 0/o, 1/l, so a printed code is typed without doubt
CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"
CODE_LENGTH = 10
MAX_INVITATIONS = 500


@dataclass(frozen=True)
class Respondent:
    """What an interview records of the person: nothing that identifies them."""

    age_band: str
    sex: str
    area_type: str
    mode: str


def _checked_respondent(wave: Wave, person: Respondent, modes: Sequence[str]) -> None:
    problems = {}
    if person.mode not in modes:
        problems["mode"] = "unknown_mode"
    if person.age_band not in age_bands(margins_of(wave.region)):
        problems["age_band"] = "unknown_age_band"
    if person.sex not in SEXES:
        problems["sex"] = "unknown_sex"
    if person.area_type not in AREA_TYPES:
        problems["area_type"] = "unknown_area_type"
    if problems:
        raise WaveError(next(iter(problems.values())), problems)


def new_interview(library: Library, wave: Wave, community: Region, person: Respondent, now: datetime) -> Interview:
    items = draw_questions(library.survey, library.bank)
    return Interview(
        wave=wave,
        community=community,
        mode=person.mode,
        age_band=person.age_band,
        sex=person.sex,
        area_type=person.area_type,
        items=[{"q": item.question_id, "o": list(item.option_keys)} for item in items],
        started_at=now,
        flags=[],
    )


def start_interview(
    library: Library,
    interviewer: Interviewer,
    community_code: str,
    person: Respondent,
    now: datetime | None = None,
) -> Interview:
    """:raises WaveError: a community outside the interviewer's part of the sample, or bad answers
    about the person; :raises WaveClosed: the wave is closed."""
    wave = interviewer.wave
    require_open(wave)
    community = next((c for c in sampled_communities(wave, interviewer) if c.code == community_code), None)
    if community is None:
        raise WaveError("community_not_in_wave", {"community": "community_not_in_wave"})
    _checked_respondent(wave, person, [mode for mode in wave.modes if mode != "online"])
    interview = new_interview(library, wave, community, person, now or utcnow())
    interview.interviewer = interviewer
    db.session.add(interview)
    db.session.flush()
    record(
        interviewer.user,
        "interview.start",
        interview,
        details={"wave": wave.id, "community": community.code, "interviewer": interviewer.key},
    )
    return interview


def own_interview(user: User | None, interview_id: int, interviewer: Interviewer | None = None) -> Interview:
    """:raises NotFound: unless the account ran this interview (for any of its waves), or
    ``interviewer`` (a volunteer signed in with their link) did."""
    interview = db.session.get(Interview, interview_id)
    ran = interview.interviewer if interview is not None else None
    if interview is None or ran is None or not ((user is not None and ran.user_id == user.id) or ran is interviewer):
        raise NotFound()
    return interview


def wave_interview(wave: Wave, interview_id: int) -> Interview:
    """:raises NotFound: unless the interview belongs to ``wave`` (already loaded in the reader's scope)."""
    interview = db.session.get(Interview, interview_id)
    if interview is None or interview.wave_id != wave.id:
        raise NotFound()
    return interview


def parts_of(library: Library, items: Sequence[DrawnItem], correct: Sequence[bool]) -> dict[str, float]:
    """The share right per dimension and per topic: what the estimate breaks down by."""
    tally: dict[str, list[int]] = {}
    for item, right in zip(items, correct, strict=True):
        question = library.bank.questions[item.question_id]
        for key in (f"dimension:{question.dimension}", f"topic:{question.topic}"):
            tally.setdefault(key, []).append(int(right))
    return {key: sum(values) / len(values) for key, values in tally.items()}


def hand_in(
    library: Library,
    interview: Interview,
    choices: Mapping[int, Sequence[int]],
    rules: QualityRules,
    now: datetime | None = None,
) -> Interview:
    """Score the answers (option positions per question position), flag the paradata, keep both.

    :raises InterviewHandedIn: it was handed in before; :raises WaveError: answers that do not fit.
    """
    if interview.completed:
        raise InterviewHandedIn()
    now = now or utcnow()
    items = [DrawnItem(item["q"], tuple(item["o"])) for item in interview.items]
    try:
        results = score_items(items, choices, library.bank)
    except AnswerError:
        raise WaveError("invalid_answers", {"answers": "invalid_answers"}) from None
    sitting = Sitting(
        positions=[tuple(sorted(set(choices.get(i) or ()))) for i in range(len(items))],
        shuffled=[library.bank.questions[item.question_id].type == "single" for item in items],
        started_at=interview.started_at,
        ended_at=now,
    )
    interview.answers = [list(r.chosen) for r in results]
    interview.ended_at = now
    interview.n_questions, interview.n_answered = len(results), sum(r.answered for r in results)
    interview.score = composite_score(results, library.survey, library.bank)
    interview.passed = interview.n_answered == len(results) and interview.score >= library.survey.pass_mark - 1e-9
    interview.parts = parts_of(library, items, [r.correct for r in results])
    interview.flags = quality_flags(sitting, _earlier_sittings(interview), rules)
    who = interview.interviewer
    record(who.user if who else None, "interview.hand_in", interview, details={"interviewer": who.key if who else None})
    return interview


def _earlier_sittings(interview: Interview) -> list[tuple[datetime, datetime]]:
    if interview.interviewer_id is None:
        return []
    rows = db.session.execute(
        select(Interview.started_at, Interview.ended_at).where(
            Interview.interviewer_id == interview.interviewer_id,
            Interview.id != interview.id,
            Interview.ended_at.is_not(None),
        )
    )
    return [(start, end) for start, end in rows if end is not None]


def review(user: User, interview: Interview, decision: str) -> None:
    """A reviewer lets a flagged interview count after all, or keeps it out for good."""
    if decision not in ("accepted", "rejected"):
        raise WaveError("review_choice", {"decision": "review_choice"})
    interview.review, interview.reviewed_by_id = decision, user.id
    record(user, "interview.review", interview, details={"decision": decision, "flags": interview.flags})


# --- online by invitation ----------------------------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def issue_invitations(user: User, wave: Wave, community: Region, count: int) -> list[str]:
    """Single-use codes for people sampled in ``community``; shown once, only their digests kept."""
    require_open(wave)
    if "online" not in wave.modes:
        raise WaveError("unknown_mode", {"mode": "unknown_mode"})
    if community not in sampled_communities(wave):
        raise WaveError("community_not_in_wave", {"community": "community_not_in_wave"})
    if not 1 <= count <= MAX_INVITATIONS:
        raise WaveError("invitation_count", {"count": "invitation_count"})
    codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)]
    db.session.add_all(Invitation(wave=wave, community=community, code_digest=_digest(c)) for c in codes)
    record(user, "wave.invite", wave, details={"community": community.code}, row_count=count)
    return codes


def find_invitation(code: str) -> Invitation:
    """:raises InvitationUnknown: a code never issued, already used, or of a closed wave."""
    invitation = db.session.execute(
        select(Invitation).where(Invitation.code_digest == _digest(code or ""))
    ).scalar_one_or_none()
    if invitation is None or invitation.used_at is not None or not invitation.wave.is_open:
        raise InvitationUnknown()
    return invitation


def start_invited(library: Library, code: str, person: Respondent, now: datetime | None = None) -> Interview:
    """The invited person starts answering online; the code is spent at once."""
    invitation = find_invitation(code)
    online = Respondent(person.age_band, person.sex, person.area_type, "online")
    _checked_respondent(invitation.wave, online, ["online"])
    now = now or utcnow()
    interview = new_interview(library, invitation.wave, invitation.community, online, now)
    interview.invitation_id = invitation.id
    invitation.used_at = now
    db.session.add(interview)
    db.session.flush()
    return interview
