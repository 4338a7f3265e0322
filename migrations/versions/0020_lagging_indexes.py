"""the regions below a region, and a month's survey rollups, found without reading every rollup

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 23:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_region_ancestors_ancestor", "region_ancestors", ["ancestor_id", "region_id"])
    # covering the two sums the lagging list adds up: a month's rows of every community are then
    # read from a few adjacent index pages instead of one table page each
    op.create_index(
        "ix_survey_rollups_month", "survey_rollups", ["month", "scope", "region_id", "respondents", "score_sum"]
    )


def downgrade():
    op.drop_index("ix_survey_rollups_month", table_name="survey_rollups")
    op.drop_index("ix_region_ancestors_ancestor", table_name="region_ancestors")
