"""when a kept dashboard was last looked at, so the applier keeps the watched ones fresh

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dashboard_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("viewed_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_dashboard_snapshots_viewed_at"), ["viewed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("dashboard_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_snapshots_viewed_at"))
        batch_op.drop_column("viewed_at")
