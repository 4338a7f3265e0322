"""rollups folded in batches by the applier, kept for every region level

Events (draws, lesson completions, attempts) get the month they are booked in, the batch that
counted them and the firsts it found; the rollups are keyed by region and gain a row for every
street, district and city, added up from the community rows already there.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00

"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: (event table, its moment, its firsts columns)
EVENTS = (
    ("draws", "served_at", ("active_firsts",)),
    ("lesson_completions", "completed_at", ("active_firsts", "reached_firsts")),
    ("attempts", "submitted_at", ("reached_firsts", "survey_firsts")),
)
#: (rollup table, its keys after region_id, its sums)
ROLLUPS = (
    (
        "survey_rollups",
        ("month", "scope"),
        (
            "respondents",
            "score_sum",
            "score_sq_sum",
            "passed",
            "retakes",
            "retake_score_sum",
            "retake_score_sq_sum",
            "invalid",
            "too_fast",
        ),
    ),
    ("topic_rollups", ("month", "scope", "topic"), ("answers", "correct")),
    (
        "question_rollups",
        ("month", "question_id"),
        ("answers", "correct", "total_sum", "total_sq_sum", "total_sum_correct"),
    ),
    ("option_rollups", ("month", "question_id", "option_key"), ("chosen",)),
    ("reach_rollups", ("month", "scope"), ("active", "reached")),
)
WAITING = sa.text("rollup_batch IS NULL")
#: the events a batch counted, from batch 1 on (those counted before batches existed are batch 0)
BATCHED = sa.text("rollup_batch > 0")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Asia/Shanghai")


def _book_months(table: str, moment: str) -> None:
    """Each stored event's local month, one UPDATE per month between the first and the last."""
    connection = op.get_bind()
    first, last = connection.execute(sa.text(f"SELECT min({moment}), max({moment}) FROM {table}")).one()
    if first is None:
        return
    zone = _zone()
    local = first.replace(tzinfo=UTC).astimezone(zone)
    year, month = local.year, local.month
    end_utc = last.replace(tzinfo=UTC)
    while True:
        start = datetime(year, month, 1, tzinfo=zone)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        after = datetime(year, month, 1, tzinfo=zone)
        connection.execute(
            sa.text(f"UPDATE {table} SET month = :month WHERE {moment} >= :start AND {moment} < :after"),
            {
                "month": f"{start.year:04d}-{start.month:02d}",
                "start": start.astimezone(UTC).replace(tzinfo=None),
                "after": after.astimezone(UTC).replace(tzinfo=None),
            },
        )
        if after > end_utc:
            return


def upgrade():
    for table, moment, firsts in EVENTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("month", sa.String(length=7), nullable=True))
            batch_op.add_column(sa.Column("rollup_batch", sa.Integer(), nullable=True))
            for column in firsts:
                batch_op.add_column(sa.Column(column, sa.SmallInteger(), server_default="0", nullable=False))
        _book_months(table, moment)
        # every stored event was counted by the rollups kept so far, in a batch "0"
        op.execute(f"UPDATE {table} SET rollup_batch = 0")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("month", existing_type=sa.String(length=7), nullable=False)
            batch_op.create_index(
                f"ix_{table}_rollup_batch", ["rollup_batch"], unique=False, sqlite_where=BATCHED, postgresql_where=BATCHED
            )
            batch_op.create_index(
                f"ix_{table}_pending", [moment, "id"], unique=False, sqlite_where=WAITING, postgresql_where=WAITING
            )

    op.create_table(
        "rollup_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rollup_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollup_batches_applied_at"), ["applied_at"], unique=False)

    op.create_table(
        "region_ancestors",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ancestor_id"], ["regions.id"]),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"]),
        sa.PrimaryKeyConstraint("region_id", "ancestor_id"),
    )
    connection = op.get_bind()
    leaves = connection.execute(sa.text("SELECT id, path FROM regions WHERE level IN ('community', 'village')"))
    lineage = [
        {"region_id": region_id, "ancestor_id": int(part)}
        for region_id, path in leaves
        for part in path.strip("/").split("/")
        if part
    ]
    if lineage:
        connection.execute(
            sa.text("INSERT INTO region_ancestors (region_id, ancestor_id) VALUES (:region_id, :ancestor_id)"), lineage
        )

    for table, keys, sums in ROLLUPS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("community_id", new_column_name="region_id", existing_type=sa.Integer())
        # the streets', districts' and city's rows: what their communities' rows add up to
        columns = ", ".join(("region_id", *keys, *sums))
        op.execute(
            f"INSERT INTO {table} ({columns}) "
            f"SELECT l.ancestor_id, {', '.join('t.' + k for k in keys)}, {', '.join(f'SUM(t.{s})' for s in sums)} "
            f"FROM {table} t JOIN region_ancestors l ON l.region_id = t.region_id "
            f"WHERE l.ancestor_id <> l.region_id GROUP BY l.ancestor_id, {', '.join('t.' + k for k in keys)}"
        )


def downgrade():
    for table, _keys, _sums in ROLLUPS:
        op.execute(
            f"DELETE FROM {table} WHERE region_id IN (SELECT id FROM regions WHERE level NOT IN ('community', 'village'))"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("region_id", new_column_name="community_id", existing_type=sa.Integer())
    op.drop_table("region_ancestors")
    with op.batch_alter_table("rollup_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollup_batches_applied_at"))
    op.drop_table("rollup_batches")
    for table, _moment, firsts in EVENTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_pending")
            batch_op.drop_index(f"ix_{table}_rollup_batch")
            for column in firsts:
                batch_op.drop_column(column)
            batch_op.drop_column("rollup_batch")
            batch_op.drop_column("month")
