"""answers saved one screen at a time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 19:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_answers",
        sa.Column("draw_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.String(length=40), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"],
            ["draws.id"],
        ),
        sa.PrimaryKeyConstraint("draw_id", "position"),
    )


def downgrade():
    op.drop_table("saved_answers")
