"""Every model module, imported in one place so the metadata (and Alembic) sees all tables."""

from quizzes.models import Answer, Attempt, Draw
from webapp.accounts.models import ApiToken, User
from webapp.audit.models import AuditEntry
from webapp.campaigns.models import Activity, ServiceRecord
from webapp.learn.models import LessonCompletion, Respondent
from webapp.regions.models import Region
from webapp.stats.models import OptionRollup, QuestionRollup, ReachRollup, SurveyRollup, Target, TopicRollup
from webapp.volunteers.models import Ambassador, Team, Training, Volunteer

__all__ = [
    "Activity",
    "Ambassador",
    "Answer",
    "ApiToken",
    "Attempt",
    "AuditEntry",
    "Draw",
    "LessonCompletion",
    "OptionRollup",
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
]
