"""The rollup applier: folds the events the requests wrote into the rollups, a batch at a time.

A request writes only its raw rows (a draw; an attempt and its answers; a lesson read), each
waiting with ``rollup_batch`` unset. A batch takes the waiting events in time order, finds for
each the scopes in which it is its respondent's first of its kind, marks it with the batch's id,
and adds the whole batch to the rollups of the community and of every region above it, with one
``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` per rollup table. All of it is one
transaction under one lock: two appliers take turns, one killed halfway leaves nothing behind,
and the mark says which batch counted an event, so each event counts exactly once.

This module is the one definition of what an event adds: ``rebuild`` replays every stored event
through the same batches.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import g, has_request_context
from sqlalchemy import Connection, Table, TextClause, bindparam, delete, exists, insert, select, text, update
from sqlalchemy.exc import OperationalError

from quizzes.bank import OPTION_KEYS
from quizzes.models import Attempt, Draw
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.learn.models import LessonCompletion, Respondent
from webapp.regions.models import Region, RegionAncestor, path_ids
from webapp.stats.models import RollupBatch
from webapp.stats.periods import SCOPES, first_scopes, scope_bits

log = logging.getLogger(__name__)

#: the tables as Core sees them: the applier writes no objects, only rows
BATCHES = cast(Table, RollupBatch.__table__)
DRAWS = cast(Table, Draw.__table__)
LESSONS = cast(Table, LessonCompletion.__table__)
ATTEMPTS = cast(Table, Attempt.__table__)
RESPONDENTS = cast(Table, Respondent.__table__)

#: events per batch: large enough that a statement's cost is spread, small enough to hold the
#: lock for well under a second
BATCH_EVENTS = 2000
#: how the follower names itself to PostgreSQL (application_name)
APPLICATION_NAME = "xiaofang-applier"
#: the advisory lock PostgreSQL appliers take turns on (SQLite's single writer serializes them)
APPLIER_LOCK = 0x726F6C6C  # "roll"
#: ids per IN (…) list, below every database's limit on bound parameters
_CHUNK = 500
#: the order events of the same moment are taken in: served, read, handed in
_RANK = {"draw": 0, "lesson": 1, "attempt": 2}


@dataclass(frozen=True)
class Event:
    """A waiting event, as much of it as deciding its firsts needs."""

    when: datetime
    kind: str
    id: int | str
    respondent_id: int
    community_id: int
    month: str
    #: an attempt that counts for awareness: a survey, valid, at a plausible pace
    counts_as_survey: bool = False

    @property
    def order(self) -> tuple:
        return (self.when, _RANK[self.kind], self.id)


def anything_pending(connection: Connection) -> bool:
    """Whether some event waits: three index look-ups, cheap enough to ask before every read."""
    return any(
        connection.execute(select(exists().where(table.c.rollup_batch.is_(None)))).scalar()
        for table in (ATTEMPTS, DRAWS, LESSONS)
    )


def apply_batch(connection: Connection, limit: int = BATCH_EVENTS, answers_after: str = "") -> int:
    """Count up to ``limit`` waiting events, the earliest first; returns how many were counted.

    Runs in the caller's transaction on ``connection``, which must commit it (or roll it back:
    then nothing of the batch remains). ``answers_after``: during a rebuild, the last month whose
    answers a retention purge removed; the answer rollups up to it are kept as they were.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLIER_LOCK})
    # the first write: on SQLite it takes the database's write lock before anything is read
    batch = connection.execute(
        insert(BATCHES).values(started_at=utcnow(), events=0).returning(BATCHES.c.id)
    ).scalar_one()
    events = waiting_events(connection, limit)
    if not events:
        connection.execute(delete(BATCHES).where(BATCHES.c.id == batch))
        return 0
    _mark(connection, batch, events, _firsts(connection, events))
    record_lineage(connection, {event.community_id for event in events})
    fold(connection, batch, answers_after)
    connection.execute(update(BATCHES).where(BATCHES.c.id == batch).values(applied_at=utcnow(), events=len(events)))
    return len(events)


def waiting_events(connection: Connection, limit: int) -> list[Event]:
    """Up to ``limit`` waiting events of each kind, merged in time order and cut where the
    earliest full list ends: what comes after that may still be preceded by events not read."""
    draws, lessons, attempts = DRAWS.c, LESSONS.c, ATTEMPTS.c
    lists = [
        [
            Event(row.served_at, "draw", row.id, row.respondent_id, row.community_id, row.month)
            for row in _earliest(connection, draws, draws.served_at, limit)
        ],
        [
            Event(row.completed_at, "lesson", row.id, row.respondent_id, row.community_id, row.month)
            for row in _earliest(connection, lessons, lessons.completed_at, limit)
        ],
        [
            Event(
                row.submitted_at,
                "attempt",
                row.id,
                row.respondent_id,
                row.community_id,
                row.month,
                row.kind == "survey" and bool(row.valid) and not row.too_fast,
            )
            for row in _earliest(
                connection, attempts, attempts.submitted_at, limit, attempts.kind, attempts.valid, attempts.too_fast
            )
        ],
    ]
    merged = list(heapq.merge(*lists, key=lambda event: event.order))
    full = [events[-1].order for events in lists if len(events) >= limit]
    if not full:
        return merged
    cut = [event for event in merged if event.order <= min(full)]
    return cut


def _earliest(connection: Connection, columns, when, limit: int, *extra) -> Iterable:
    return connection.execute(
        select(columns.id, columns.respondent_id, columns.community_id, columns.month, when, *extra)
        .where(columns.rollup_batch.is_(None))
        .order_by(when, columns.id)
        .limit(limit)
    )


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


#: the respondent's kept month for each kind of first, by the event-row column that records it
_KEPT_MONTH = {"active": "last_active_month", "reached": "last_reached_month", "survey": "last_survey_month"}
#: the kinds of first each kind of event can be
_FIRSTS_OF = {"draw": ("active",), "lesson": ("active", "reached"), "attempt": ("reached", "survey")}


def _firsts(connection: Connection, events: list[Event]) -> list[dict[str, int]]:
    """For each event in order, the scope bits in which it is its respondent's first of each
    kind; the respondents' kept months move on with it."""
    table = RESPONDENTS.c
    ids = sorted({event.respondent_id for event in events})
    kept: dict[int, dict[str, str | None]] = {}
    for chunk in _chunks(ids):
        for row in connection.execute(
            select(table.id, *(table[column] for column in _KEPT_MONTH.values())).where(table.id.in_(chunk))
        ):
            kept[row.id] = {kind: row._mapping[column] for kind, column in _KEPT_MONTH.items()}
    before = {respondent: dict(months) for respondent, months in kept.items()}
    found = []
    for event in events:
        months = kept.setdefault(event.respondent_id, dict.fromkeys(_KEPT_MONTH))
        bits = {}
        for kind in _FIRSTS_OF[event.kind]:
            if kind == "survey" and not event.counts_as_survey:
                bits[kind] = 0
                continue
            last = months[kind]
            bits[kind] = scope_bits(first_scopes(last, event.month))
            if last is None or event.month > last:
                months[kind] = event.month
        found.append(bits)
    moved = [
        {"rid": respondent, **{column: months[kind] for kind, column in _KEPT_MONTH.items()}}
        for respondent, months in kept.items()
        if before.get(respondent) != months
    ]
    if moved:
        connection.execute(
            update(RESPONDENTS)
            .where(table.id == bindparam("rid"))
            .values({column: bindparam(column) for column in _KEPT_MONTH.values()}),
            moved,
        )
    return found


#: the event table of each kind, and the row column each kind of first is kept in
_TABLES = {"draw": DRAWS, "lesson": LESSONS, "attempt": ATTEMPTS}


def _mark(connection: Connection, batch: int, events: list[Event], firsts: list[dict[str, int]]) -> None:
    """Each event names the batch that counts it, with the firsts it was found to be."""
    by_kind: dict[str, list[dict]] = {kind: [] for kind in _TABLES}
    for event, bits in zip(events, firsts, strict=True):
        by_kind[event.kind].append({"eid": event.id, **{f"{kind}_firsts": value for kind, value in bits.items()}})
    for kind, rows in by_kind.items():
        if not rows:
            continue
        table = _TABLES[kind]
        columns = [f"{first}_firsts" for first in _FIRSTS_OF[kind]]
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("eid"))
            .values(rollup_batch=batch, **{column: bindparam(column) for column in columns}),
            rows,
        )


def record_lineage(connection: Connection, community_ids: set[int]) -> None:
    """Every community of the batch with its chain of regions, written the first time it counts."""
    lineage = cast(Table, RegionAncestor.__table__)
    regions = cast(Table, Region.__table__).c
    for chunk in _chunks(sorted(community_ids)):
        missing = connection.execute(
            select(regions.id, regions.path).where(
                regions.id.in_(chunk), ~exists().where(lineage.c.region_id == regions.id)
            )
        ).all()
        rows = [{"region_id": rid, "ancestor_id": up} for rid, path in missing for up in path_ids(path)]
        if rows:
            connection.execute(insert(lineage), rows)


# --- what a batch adds --------------------------------------------------------------------------

#: (scope, bit) as a table the folds join to
_SCOPES = "scopes(scope, bit) AS (VALUES " + ", ".join(f"('{s}', {1 << i})" for i, s in enumerate(SCOPES)) + ")"
_OPTION_KEYS = "option_keys(option_key) AS (VALUES " + ", ".join(f"('{key}')" for key in OPTION_KEYS) + ")"


def _fold(table: str, keys: dict[str, str], sums: dict[str, str], source: str, table_of: str = _SCOPES) -> TextClause:
    """``INSERT INTO table`` what ``source`` adds to each community, and so to every region it
    lies in, adding to the rows already there.

    ``keys`` and ``sums``: each column's expression over ``source``; ``keys`` begins with the
    community's. The batch is summed per community first and only those sums are spread over
    the lineage: the lineage multiplies a few hundred rows, not every answer.
    """
    community, *rest = keys.values()
    names, key_names, sum_names = [*keys, *sums], list(keys)[1:], list(sums)
    per_community = (
        f"SELECT {community} AS community_id, "
        + ", ".join(f"{expression} AS {name}" for name, expression in [*list(keys.items())[1:], *sums.items()])
        + f" {source} GROUP BY {', '.join([community, *rest])}"
    )
    spread = ", ".join(f"c.{name}" for name in key_names)
    return text(
        f"WITH {table_of} INSERT INTO {table} ({', '.join(names)}) "
        f"SELECT l.ancestor_id, {spread}, {', '.join(f'SUM(c.{name})' for name in sum_names)} "
        f"FROM ({per_community}) c JOIN region_ancestors l ON l.region_id = c.community_id WHERE true "
        f"GROUP BY l.ancestor_id, {spread} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in sum_names)
    )


def _sum_if(condition: str, value: str = "1") -> str:
    return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"


#: in the scope joined as ``s``: a respondent's first survey, and a later one that counts
_FIRST = "(a.survey_firsts & s.bit) <> 0"
_RETAKE = "a.valid AND NOT a.too_fast AND (a.survey_firsts & s.bit) = 0"


def _of_batch(table: str, live: bool) -> str:
    """The rows of ``table`` counted by the batch ``:batch``. A live batch is found through the
    index of counted events, which holds batches from 1 on: the rows counted before batches
    existed (batch 0, migrated or generated in bulk) would make it useless to the planner."""
    return f"{table}.rollup_batch = :batch" + (f" AND {table}.rollup_batch > 0" if live else "")


#: the option key ``k`` is among the answer's chosen keys (stored joined by ",")
_CHOSEN = "(',' || n.chosen || ',') LIKE ('%,' || k.option_key || ',%')"


def _folds(live: bool) -> tuple[TextClause, ...]:
    """One statement per rollup table, adding what the batch's events add."""
    of_batch = f"{_of_batch('a', live)} AND a.kind = 'survey'"
    # the answers ``n`` of the surveys that were a respondent's first of the month
    month_first_answers = (
        "FROM attempts a JOIN answers n ON n.attempt_id = a.id "
        f"WHERE {of_batch} AND (a.survey_firsts & 1) <> 0 AND a.month > :answers_after"
    )
    return (
        _fold(
            "survey_rollups",
            {"region_id": "a.community_id", "month": "a.month", "scope": "s.scope"},
            {
                "respondents": _sum_if(_FIRST),
                "score_sum": _sum_if(_FIRST, "a.score"),
                "score_sq_sum": _sum_if(_FIRST, "a.score * a.score"),
                "passed": _sum_if(f"{_FIRST} AND a.passed"),
                "retakes": _sum_if(_RETAKE),
                "retake_score_sum": _sum_if(_RETAKE, "a.score"),
                "retake_score_sq_sum": _sum_if(_RETAKE, "a.score * a.score"),
                # surveys kept out of the figures are counted on the month scope only
                "invalid": _sum_if("s.bit = 1 AND NOT a.valid"),
                "too_fast": _sum_if("s.bit = 1 AND a.valid AND a.too_fast"),
            },
            f"FROM attempts a JOIN scopes s ON s.bit = 1 OR (a.valid AND NOT a.too_fast) WHERE {of_batch}",
        ),
        _fold(
            "topic_rollups",
            {"region_id": "a.community_id", "month": "a.month", "scope": "s.scope", "topic": "n.topic"},
            {"answers": "COUNT(*)", "correct": _sum_if("n.correct")},
            f"FROM attempts a JOIN scopes s ON {_FIRST} JOIN answers n ON n.attempt_id = a.id "
            f"WHERE {of_batch} AND a.month > :answers_after",
        ),
        _fold(
            "question_rollups",
            {"region_id": "a.community_id", "month": "a.month", "question_id": "n.question_id"},
            {
                "answers": "COUNT(*)",
                "correct": _sum_if("n.correct"),
                "total_sum": "SUM(a.score)",
                "total_sq_sum": "SUM(a.score * a.score)",
                "total_sum_correct": _sum_if("n.correct", "a.score"),
            },
            month_first_answers,
        ),
        _fold(
            "option_rollups",
            {"region_id": "a.community_id", "month": "a.month", "question_id": "n.question_id"}
            | {"option_key": "k.option_key"},
            {"chosen": "COUNT(*)"},
            month_first_answers.replace(" WHERE ", f" JOIN option_keys k ON {_CHOSEN} WHERE ", 1),
            table_of=_OPTION_KEYS,
        ),
        _fold(
            "reach_rollups",
            {"region_id": "e.community_id", "month": "e.month", "scope": "s.scope"},
            {"active": _sum_if("(e.active & s.bit) <> 0"), "reached": _sum_if("(e.reached & s.bit) <> 0")},
            "FROM (SELECT community_id, month, active_firsts AS active, 0 AS reached FROM draws"
            f" WHERE {_of_batch('draws', live)}"
            " UNION ALL SELECT community_id, month, active_firsts, reached_firsts FROM lesson_completions"
            f" WHERE {_of_batch('lesson_completions', live)}"
            " UNION ALL SELECT community_id, month, 0, reached_firsts FROM attempts"
            f" WHERE {_of_batch('attempts', live)}) e"
            " JOIN scopes s ON ((e.active | e.reached) & s.bit) <> 0",
        ),
    )


FOLDS = _folds(live=True)
#: for the events counted in bulk, before batches existed (batch 0)
BULK_FOLDS = _folds(live=False)


def fold(connection: Connection, batch: int, answers_after: str = "") -> None:
    """Add the events marked with ``batch`` to the rollups of every level (their communities'
    lineage recorded first)."""
    for statement in FOLDS if batch > 0 else BULK_FOLDS:
        connection.execute(statement, {"batch": batch, "answers_after": answers_after})


# --- running it ---------------------------------------------------------------------------------


def catch_up(limit: int = BATCH_EVENTS) -> int:
    """Count every waiting event, a committed batch at a time; returns how many were counted.

    Called before figures are read. A database busy beyond its lock timeout is left for the
    follower or the next read: the figures then lag by as much, and the page says when they
    were read.
    """
    if has_request_context():
        if g.get("rollups_caught_up"):
            return 0  # a page reads many figures: the first read catches up for all of them
        g.rollups_caught_up = True
    total = 0
    try:
        if _session_holds_write_lock():
            # SQLite: another connection would wait for this one; count within its transaction
            connection = db.session.connection()
            while counted := apply_batch(connection, limit):
                total += counted
            return total
        with db.engine.connect() as connection:
            if not anything_pending(connection):
                return 0
        while True:
            with db.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # a row the reader's own transaction holds would otherwise make it wait on itself
                    connection.execute(text("SET LOCAL lock_timeout = '2s'"))
                counted = apply_batch(connection, limit)
            total += counted
            if counted == 0:
                return total
    except OperationalError as error:
        log.warning("rollups not caught up: %s", error.orig)
        return total


def _session_holds_write_lock() -> bool:
    if not db.session().in_transaction():
        return False
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return False
    return bool(getattr(connection.connection.dbapi_connection, "in_transaction", False))


def follow(interval: float, stop: threading.Event, after_round: Callable[[], object] | None = None) -> None:
    """Catch up, then look again every ``interval`` seconds, until ``stop`` is set.

    ``after_round`` runs after each round (the dashboards someone looks at are read again);
    what it raises is logged and the applier goes on: counting must not stop for a figure.
    """
    while not stop.is_set():
        counted = catch_up()
        if after_round is not None:
            try:
                after_round()
            except Exception:
                log.exception("after counting %s events", counted)
                db.session.rollback()
        if not counted:
            stop.wait(interval)
