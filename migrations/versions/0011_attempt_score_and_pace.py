"""attempts keep their score (a composite index when the survey weighs dimensions) and whether
they were handed in too fast to have been read; rollups count the too-fast surveys kept out

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Double(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('too_fast', sa.Boolean(), nullable=False, server_default=sa.false()))
    # every attempt stored so far weighed each question the same
    op.execute("UPDATE attempts SET score = CAST(n_correct AS FLOAT) / n_questions WHERE n_questions > 0")
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.alter_column('score', server_default=None)
    with op.batch_alter_table('survey_rollups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('too_fast', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('survey_rollups', schema=None) as batch_op:
        batch_op.drop_column('too_fast')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('too_fast')
        batch_op.drop_column('score')
