"""e-certificates of passed surveys

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("quiz_slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["regions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"],
            ["respondents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attempt_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_certificates_respondent_id", "certificates", ["respondent_id"], unique=False)


def downgrade():
    op.drop_index("ix_certificates_respondent_id", table_name="certificates")
    op.drop_table("certificates")
