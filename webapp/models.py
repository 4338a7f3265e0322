"""Every model module, imported in one place so the metadata (and Alembic) sees all tables."""

from quizzes.models import Answer, Attempt, Draw
from webapp.accounts.models import ApiToken, User
from webapp.audit.models import AuditEntry
from webapp.campaigns.models import Activity, ServiceRecord
from webapp.certificates.models import Certificate
from webapp.learn.models import LessonCompletion, Respondent
from webapp.monitoring.models import Interview, Interviewer, Invitation, Wave, WaveCommunity, WaveEstimate
from webapp.regions.models import PopulationMargin, Region
from webapp.stats.models import OptionRollup, QuestionRollup, ReachRollup, SurveyRollup, Target, TopicRollup
from webapp.training.models import (
    Enrollment,
    ExamAttempt,
    ExamDraw,
    RosterMember,
    TraineeToken,
    TrainingCertificate,
    TrainingInvitation,
    Unit,
)
from webapp.volunteers.models import Ambassador, Team, Training, Volunteer

__all__ = [
    "Unit",
    "TrainingInvitation",
    "TrainingCertificate",
    "TraineeToken",
    "RosterMember",
    "ExamDraw",
    "ExamAttempt",
    "Enrollment",
    "Activity",
    "Ambassador",
    "Answer",
    "ApiToken",
    "Attempt",
    "AuditEntry",
    "Certificate",
    "Draw",
    "Interview",
    "Interviewer",
    "Invitation",
    "LessonCompletion",
    "OptionRollup",
    "PopulationMargin",
    "QuestionRollup",
    "ReachRollup",
    "SurveyRollup",
    "Target",
    "TopicRollup",
    "Region",
    "Respondent",
    "ServiceRecord",
    "Team",
    "Training",
    "User",
    "Volunteer",
    "Wave",
    "WaveCommunity",
    "WaveEstimate",
]
