"""dashboards kept in the database, shared by every worker and machine

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dashboard_snapshots',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('dashboard_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_snapshots_computed_at'), ['computed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('dashboard_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_snapshots_computed_at'))

    op.drop_table('dashboard_snapshots')
