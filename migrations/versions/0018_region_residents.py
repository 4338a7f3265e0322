"""each region's residents over its whole subtree, so no figure adds up the communities

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 11:00:00

"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("residents", sa.Integer(), server_default="0", nullable=False))
    connection = op.get_bind()
    leaves = connection.execute(
        sa.text("SELECT path, population FROM regions WHERE level IN ('community', 'village') AND population > 0")
    )
    residents: dict[int, int] = defaultdict(int)
    for path, population in leaves:
        for part in path.strip("/").split("/"):
            residents[int(part)] += population
    if residents:
        connection.execute(
            sa.text("UPDATE regions SET residents = :residents WHERE id = :id"),
            [{"id": region_id, "residents": total} for region_id, total in residents.items()],
        )


def downgrade():
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_column("residents")
