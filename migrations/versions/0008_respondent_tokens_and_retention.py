"""respondent tokens can be unlinked by a retention purge

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("respondents", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=True)


def downgrade():
    # a purged respondent has no token left to restore: give them one nobody holds
    op.execute(
        "UPDATE respondents SET token_hash = 'purged-' || CAST(id AS VARCHAR(20)) WHERE token_hash IS NULL"
    )
    with op.batch_alter_table("respondents", schema=None) as batch_op:
        batch_op.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
