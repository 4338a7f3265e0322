"""answers no longer indexed by question: every figure per question comes from the rollups

Nothing reads answers by question any more, and the index cost each hand-in ten insertions
into the largest table's largest index.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_answers_question_id", table_name="answers")


def downgrade():
    op.create_index("ix_answers_question_id", "answers", ["question_id"])
