"""volunteer erasure and consent text version

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:50:00

Erased volunteers keep their row (trainings and service hours still count) without a phone,
so the phone becomes nullable; NULLs do not collide under the unique constraint.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_version", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.alter_column("phone", existing_type=sa.String(length=11), nullable=True)


def downgrade():
    # an erased volunteer's phone cannot come back: a placeholder no mobile number can equal
    # (mobile numbers start with 1), unique by id, lets the column be NOT NULL again
    volunteers = sa.table("volunteers", sa.column("id", sa.Integer), sa.column("phone", sa.String))
    connection = op.get_bind()
    erased = connection.execute(sa.select(volunteers.c.id).where(volunteers.c.phone.is_(None))).scalars().all()
    for volunteer_id in erased:
        placeholder = f"0{volunteer_id:010d}"
        connection.execute(volunteers.update().where(volunteers.c.id == volunteer_id).values(phone=placeholder))
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.alter_column("phone", existing_type=sa.String(length=11), nullable=False)
        batch_op.drop_column("erased_at")
        batch_op.drop_column("consent_version")
