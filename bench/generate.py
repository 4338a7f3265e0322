"""A large invented city for the load benchmark, written in bulk in a few minutes.

    .venv/bin/python bench/generate.py --database sqlite:///bench/.data/city.db
    .venv/bin/python bench/generate.py --database postgresql://postgres@127.0.0.1/bench_city

One city → 16 districts → ~300 streets → 5,200 communities and villages, each with a
population; 1,000,000 respondents hand in ~1.2 million awareness surveys (~12 million
answers) between March and November 2026, most in November (fire-safety month): mostly
valid first sittings, some retakes after reading a lesson, some sittings abandoned, and a
few invalid surveys (incomplete or late). Questions, topics and options are the project's
own question bank; how often an answer is right depends on the community, the resident,
the topic, the question's difficulty and how far the campaign has come.

The schema comes from the migrations. Everything is planned first — who lives where, and
when each sitting, hand-in and lesson happens — and ids are given in time order, as the
database would have given them. The replay is then split by ranges of communities over one
forked process per CPU (Linux): each turns its events into rows, replaying every event in
time order as the rollup applier does to find the scopes each is a respondent's first in, so
each respondent's ``last_*_month`` is what a rebuild leaves and live submissions continue from
there. The rows are written as counted, in one batch that the applier's own statements then fold
into the rollups of every region level, so the rollups equal a rebuild. Rows are written in
bulk — executemany on SQLite (by the parent, the only writer),
with journalling off during the load, COPY on PostgreSQL (by each process) — with secondary
indexes and foreign keys dropped during the load and recreated from their own definitions
afterwards, then ANALYZE.

Deterministic: the same sizes and seed give the same rows (ids, draw ids and respondents'
tokens too), however many processes replay them.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import functools
import gc
import itertools
import json
import multiprocessing
import multiprocessing.queues
import os
import queue
import re
import secrets
import sqlite3
import sys
import threading
import time
from abc import ABC, abstractmethod
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import MetaData, create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from quizzes.definitions import QuizDefinition  # noqa: E402
from quizzes.engine import draw_question_ids  # noqa: E402
from quizzes.library import Library  # noqa: E402
from quizzes.service import Timing  # noqa: E402
from quizzes.service import _digest as answers_digest  # noqa: E402  (the digest a retry is compared with)
from webapp.clock import local_month  # noqa: E402
from webapp.config import database_url  # noqa: E402
from webapp.demo import TOPIC_DIFFICULTY  # noqa: E402
from webapp.learn.service import hash_token  # noqa: E402
from webapp.stats.periods import first_scopes, scope_bits  # noqa: E402

#: bump when the generated rows change, so a kept database is regenerated
VERSION = 4
CITY_CODE = "BENCH"
DEFAULT_COMMUNITIES = 5200
DEFAULT_RESPONDENTS = 1_000_000
DEFAULT_SEED = 2026
DISTRICTS = 16
COMMUNITIES_PER_STREET = 17
#: surveys per month of 2026, relative: a campaign building up to November, fire-safety month
MONTH_WEIGHTS = {3: 3, 4: 4, 5: 5, 6: 5, 7: 4, 8: 5, 9: 7, 10: 10, 11: 26}
#: the last day with data: fixed, so the city does not depend on the day it is generated
LAST_DAY = date(2026, 11, 21)
#: November's busiest day: 11月9日, the national fire-safety day
PEAK_DAY = 9
#: local hours residents answer in, relative: evenings after work are busiest
HOUR_WEIGHTS = dict(zip(range(7, 23), (1, 2, 3, 3, 3, 4, 3, 3, 3, 3, 4, 5, 6, 6, 4, 2), strict=True))
#: shares of respondents who only opened the survey, or abandoned one sitting before handing one in
ONLY_ABANDONED, ABANDONED_FIRST = 0.03, 0.04
#: shares of handed-in surveys that miss an answer, or arrive after the deadline
INCOMPLETE, LATE = 0.04, 0.01
#: how many respondents retake the survey 0, 1 or 2 times
RETAKES = (0.78, 0.17, 0.05)
#: retakers who read a lesson first
LESSON_BEFORE_RETAKE = 0.7
#: rows per batch handed to the database
BATCH = 100_000
#: batches a replaying process may have waiting: a month's rows come at once, and the process
#: goes on with the next month while they are written
QUEUED_BATCHES = 256

VALID, INCOMPLETE_SITTING, LATE_SITTING, ABANDONED = "valid", "incomplete", "late", "abandoned"
SITTING, HAND_IN, LESSON = 0, 1, 2
#: a respondent's sittings and lessons are numbered index * this + 0, 1, …
ORDERS_PER_RESPONDENT = 8

#: two of these make a place name: 东 + 湖 → 东湖, Dong + hu → Donghu
SYLLABLES = list(
    zip(
        "东西南北新长安和兴永宁华金青云湖山江林桥园阳平福康乐泰丰明光春桂",
        re.findall(
            "[A-Z][a-z]*",
            "DongXiNanBeiXinChangAnHeXingYongNingHuaJinQingYunHuShanJiangLinQiaoYuanYangPingFu"
            "KangLeTaiFengMingGuangChunGui",
        ),
        strict=True,
    )
)

LOADED_TABLES = (
    "regions",
    "respondents",
    "draws",
    "attempts",
    "answers",
    "lesson_completions",
)
#: the loaded tables whose ids are integers from a sequence
ID_TABLES = ("regions", "respondents", "attempts", "answers", "lesson_completions")
#: the last, each region's residents over its subtree, is its population as summed (_sum_populations)
REGION_COLUMNS = (
    *("id", "code", "name_zh", "name_en", "level", "parent_id", "population", "path", "is_demo"),
    "residents",
)
RESPONDENT_COLUMNS = (
    "id",
    "token_hash",
    "community_id",
    "created_at",
    "last_active_month",
    "last_reached_month",
    "last_survey_month",
)
DRAW_COLUMNS = (
    "id",
    "quiz_slug",
    "kind",
    "respondent_id",
    "community_id",
    "activity_id",
    "content_version",
    "items",
    "served_at",
    "deadline_at",
    "expires_at",
    "submitted_at",
    "month",
    "rollup_batch",
    "active_firsts",
)
ATTEMPT_COLUMNS = (
    "id",
    "draw_id",
    "respondent_id",
    "community_id",
    "activity_id",
    "quiz_slug",
    "kind",
    "served_at",
    "submitted_at",
    "n_questions",
    "n_answered",
    "n_correct",
    "score",
    "valid",
    "too_fast",
    "passed",
    "answers_digest",
    "idempotency_key",
    "month",
    "rollup_batch",
    "reached_firsts",
    "survey_firsts",
)
ANSWER_COLUMNS = ("id", "attempt_id", "position", "question_id", "topic", "chosen", "correct")
LESSON_COLUMNS = (
    "id",
    "respondent_id",
    "community_id",
    "lesson_slug",
    "completed_at",
    "month",
    "rollup_batch",
    "active_firsts",
    "reached_firsts",
)
#: the batch every generated event is written as counted by
GENERATED_BATCH = 0
COLUMNS = {
    "draws": DRAW_COLUMNS,
    "attempts": ATTEMPT_COLUMNS,
    "answers": ANSWER_COLUMNS,
    "lesson_completions": LESSON_COLUMNS,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def respondent_token(respondent_id: int) -> str:
    """The token of a generated respondent: known, so a benchmark may act as one of them."""
    return f"bench-city-respondent-{respondent_id}"


def stamp(moment: int) -> str:
    """A UTC epoch second as SQLAlchemy stores a naive DateTime (also what COPY reads)."""
    return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(moment))


#: the scopes an event is first in, as bits, memoised: the same few (previous, month) pairs recur
_firsts = functools.cache(lambda previous, month: scope_bits(first_scopes(previous, month)))


class AnswerFacts(NamedTuple):
    question_id: str
    topic: str
    chosen: tuple[str, ...]
    correct: bool


# --- the region tree ---------------------------------------------------------------


@dataclass(slots=True)
class Leaf:
    """A community or village, with what makes its residents' answers differ from others'."""

    id: int
    code: str
    population: int
    #: how well its residents know the material (the share of right answers, roughly)
    skill: float
    #: how keen its residents are to take part, relative
    keenness: float


@dataclass
class City:
    regions: list[tuple]
    leaves: list[Leaf]
    #: the street with the most communities, for a street dashboard
    street: str


def split(total: int, parts: int, rng: Random) -> list[int]:
    """``total`` split into ``parts`` sizes of at least 1 that vary around the mean."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    sizes = [1 + int(weight * scale) for weight in weights]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def place_name(rng: Random) -> tuple[str, str]:
    (zh1, en1), (zh2, en2) = rng.sample(SYLLABLES, 2)
    return zh1 + zh2, en1 + en2.lower()


def build_city(communities: int, rng: Random, first_id: int) -> City:
    """City → districts → streets → communities (and villages in towns), ids in tree order."""
    n_streets = max(1, round(communities / COMMUNITIES_PER_STREET))
    streets_per_district = split(n_streets, min(DISTRICTS, n_streets), rng)
    leaves_per_street = iter(split(communities, n_streets, rng))
    # codes as in the demo city (DEMO, DEMO01, DEMO0101, DEMO010101), wider where the counts need it
    widths = (max(2, len(str(len(streets_per_district)))), max(2, len(str(max(streets_per_district)))))
    rows: list[list] = []
    leaves: list[Leaf] = []
    ids = itertools.count(first_id)

    def add(code: str, zh: str, en: str, level: str, parent: list | None, population: int | None = None) -> list:
        region_id = next(ids)
        path = f"{parent[7] if parent else '/'}{region_id}/"
        row = [region_id, code, zh, en, level, parent[0] if parent else None, population, path, True]
        rows.append(row)
        return row

    city = add(CITY_CODE, "基准市（压测数据）", "Bench City (load-test data)", "city", None)
    biggest = (0, "")
    for d, n_streets_here in enumerate(streets_per_district, start=1):
        zh, en = place_name(rng)
        district = add(f"{CITY_CODE}{d:0{widths[0]}d}", f"{zh}区", f"{en} District", "district", city)
        for s in range(1, n_streets_here + 1):
            town = rng.random() < 0.2
            zh, en = place_name(rng)
            street = add(
                f"{district[1]}{s:0{widths[1]}d}",
                f"{zh}{'镇' if town else '街道'}",
                f"{en} {'Town' if town else 'Subdistrict'}",
                "street",
                district,
            )
            n_leaves = next(leaves_per_street)
            biggest = max(biggest, (n_leaves, street[1]))
            width = max(2, len(str(n_leaves)))
            for c in range(1, n_leaves + 1):
                leaves.append(add_leaf(add, street, f"{street[1]}{c:0{width}d}", town and rng.random() < 0.7, rng))
    _sum_populations(rows)
    return City([(*row, row[6]) for row in rows], leaves, biggest[1])


def add_leaf(add: Callable[..., list], street: list, code: str, village: bool, rng: Random) -> Leaf:
    zh, en = place_name(rng)
    if village:
        row = add(code, f"{zh}村", f"{en} Village", "village", street, rng.randrange(500, 2500, 10))
    else:
        row = add(code, f"{zh}社区", f"{en} Community", "community", street, rng.randrange(2000, 9000, 10))
    skill = rng.uniform(0.66, 0.93) - (0.05 if village else 0.0)
    return Leaf(row[0], code, row[6], skill, rng.lognormvariate(0, 0.5))


def _sum_populations(rows: list[list]) -> None:
    """Streets, districts and the city get the sum of their communities' populations."""
    by_id = {row[0]: row for row in rows}
    for row in rows:
        if row[4] in ("community", "village"):
            for ancestor in row[7].strip("/").split("/")[:-1]:
                parent = by_id[int(ancestor)]
                parent[6] = (parent[6] or 0) + row[6]


# --- who answers when --------------------------------------------------------------


class Calendar:
    """Moments (UTC epoch seconds) when residents sit the survey, in the campaign's local time."""

    def __init__(self, zone: ZoneInfo):
        self.midnights: list[int] = []
        weights: list[float] = []
        for month, weight in MONTH_WEIGHTS.items():
            first = date(LAST_DAY.year, month, 1)
            days = LAST_DAY.day if month == LAST_DAY.month else (date(first.year, month + 1, 1) - first).days
            # fire-safety month builds up to 11月9日 and eases off after it
            shape = [
                1 + 3 * max(0.0, 1 - abs(day - PEAK_DAY) / 7) if month == LAST_DAY.month else 1.0
                for day in range(1, days + 1)
            ]
            for day, share in enumerate(shape, start=1):
                self.midnights.append(int(datetime(first.year, month, day, tzinfo=zone).timestamp()))
                weights.append(weight * share / sum(shape))
        self.day_weights = list(itertools.accumulate(weights))
        self.hours = list(HOUR_WEIGHTS)
        self.hour_weights = list(itertools.accumulate(HOUR_WEIGHTS.values()))
        self.start = self.midnights[0]
        self.end = self.midnights[-1] + 86400

    def moment(self, rng: Random) -> int:
        """A day by the months' weights, an hour of the day by the hours' (the hour may be off by
        one on a daylight-saving day: still a moment of that day)."""
        random = rng.random
        day = self.midnights[bisect.bisect(self.day_weights, random() * self.day_weights[-1])]
        hour = self.hours[bisect.bisect(self.hour_weights, random() * self.hour_weights[-1])]
        return day + hour * 3600 + int(random() * 3600)

    def progress(self, moment: int) -> float:
        """How far the campaign has come, 0 at the start and 1 at the end."""
        return (moment - self.start) / (self.end - self.start)


@dataclass(frozen=True)
class Durations:
    """Seconds from serving a survey to its deadline and to its expiry, from the configuration."""

    deadline: int
    expiry: int

    @classmethod
    def of(cls, quiz: QuizDefinition, timing: Timing) -> Durations:
        limit = quiz.time_limit_seconds or 0
        deadline = limit + int(timing.submit_grace.total_seconds()) if limit else 10**9
        return cls(deadline, limit + int(timing.expiry.total_seconds()))

    @property
    def can_be_late(self) -> bool:
        """Whether a survey can arrive after its deadline yet before it expires."""
        return self.deadline < self.expiry

    def taken(self, outcome: str, rng: Random) -> int:
        if outcome == LATE_SITTING:
            return rng.randint(self.deadline + 1, min(self.expiry, self.deadline + 3600))
        return rng.randint(120, min(720, self.deadline))


def plan_events(
    community_of: Sequence[int], leaves: list[Leaf], calendar: Calendar, durations: Durations, lessons: list[str], rng
) -> list[tuple]:
    """Every event of every respondent, in time order: (when, order, kind, respondent index, …).

    A sitting (SITTING, outcome, seconds taken, skill) is handed in later (HAND_IN, outcome)
    unless abandoned; a lesson is (LESSON, lesson slug). ``order`` numbers a respondent's
    sittings and lessons (a hand-in shares its sitting's), so (when, order) is unique and the
    sort is deterministic.
    """
    events: list[tuple] = []
    for index, leaf in enumerate(community_of):
        _plan_respondent(index, leaves[leaf].skill + rng.gauss(0, 0.1), calendar, durations, lessons, rng, events)
    shift = (ORDERS_PER_RESPONDENT * len(community_of)).bit_length()
    events.sort(key=lambda event: event[0] << shift | event[1])  # one int per event: a fast sort
    return events


def _plan_respondent(
    index: int, skill: float, calendar: Calendar, durations: Durations, lessons: list[str], rng: Random, out: list
) -> None:
    order = index * ORDERS_PER_RESPONDENT
    when = calendar.moment(rng)
    chance = rng.random()
    if chance < ONLY_ABANDONED + ABANDONED_FIRST:
        out.append((when, order, SITTING, index, ABANDONED, 0, 0.0))
        order += 1
        if chance < ONLY_ABANDONED:
            return
        when += rng.randint(300, 3 * 3600)
    chance = rng.random()
    retakes = 0 if chance < RETAKES[0] else 1 if chance < RETAKES[0] + RETAKES[1] else 2
    read: list[str] = []
    for sitting in range(retakes + 1):
        if sitting:
            # the same evening after a lesson, or weeks later
            when += rng.randint(3 * 3600, 8 * 3600) if rng.random() < 0.6 else rng.randint(86400, 45 * 86400)
            if when >= calendar.end:
                return
            if rng.random() < LESSON_BEFORE_RETAKE:  # each lesson is finished once
                read.append(rng.choice([lesson for lesson in lessons if lesson not in read]))
                out.append((when - rng.randint(900, 3600), order, LESSON, index, read[-1], 0, 0.0))
                order += 1
        elif when >= calendar.end:
            return
        chance = rng.random()
        late = INCOMPLETE + (LATE if durations.can_be_late else 0.0)
        outcome = INCOMPLETE_SITTING if chance < INCOMPLETE else LATE_SITTING if chance < late else VALID
        # knowledge grows over the campaign, and after a lesson
        ability = skill + 0.06 * calendar.progress(when) + 0.07 * sitting
        taken = durations.taken(outcome, rng)
        out.append((when, order, SITTING, index, outcome, taken, ability))
        out.append((when + taken, order, HAND_IN, index, outcome, 0, 0.0))
        order += 1


# --- questions and answers ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """A question of the bank, with everything answering it needs precomputed."""

    id: str
    topic: str
    #: added to a resident's skill: the topic's and the question's difficulty
    ease: float
    #: the item of a draw's JSON for each option order it may be served in (true/false
    #: keeps its natural order), made once: serialising each draw's items cost the most
    served: tuple[str, ...]
    #: the right answer as sorted option keys
    right: tuple[str, ...]
    #: the tempting wrong option, the others, and (multiple choice) right but one short
    tempting: tuple[str, ...]
    wrongs: tuple[tuple[str, ...], ...]
    partial: tuple[tuple[str, ...], ...]


def bank_items(library: Library) -> dict[str, Item]:
    items = {}
    for question in library.bank.questions.values():
        keys = tuple(option.key for option in question.options)
        right = tuple(sorted(question.correct_keys))
        wrong = sorted(key for key in keys if key not in question.correct_keys)
        orders = [keys] if question.type == "truefalse" else itertools.permutations(keys)
        served = tuple(json.dumps({"q": question.id, "o": list(order)}) for order in orders)
        partial = tuple(tuple(k for k in right if k != left) for left in right) if len(right) > 1 else ()
        items[question.id] = Item(
            question.id,
            question.topic,
            TOPIC_DIFFICULTY.get(question.topic, 0.0) - 0.05 * (question.difficulty - 1),
            served,
            right,
            (wrong[0],),
            tuple((key,) for key in wrong),
            partial,
        )
    return items


class Picker:
    """Draws a survey's questions as quizzes.engine does (topic and dimension quotas met), fast:
    a few thousand sittings are drawn by the engine once, and each generated sitting takes one of
    them at random and shuffles it."""

    SITTINGS = 4096

    def __init__(self, quiz: QuizDefinition, library: Library, items: dict[str, Item]):
        rng = Random(0)
        self.sittings = [[items[q] for q in draw_question_ids(quiz, library.bank, rng)] for _ in range(self.SITTINGS)]

    def pick(self, rng: Random) -> list[Item]:
        random = rng.random
        chosen = list(self.sittings[int(random() * len(self.sittings))])
        chosen.sort(key=lambda _item: random())  # a shuffle, without shuffle's slower draws
        return chosen


def answer(items: list[Item], skill: float, incomplete: bool, rng: Random) -> list[AnswerFacts]:
    """Right with a probability from the skill and the question; a wrong answer is most often
    the same tempting option (a common misconception); an incomplete survey skips one."""
    answers = []
    random = rng.random
    for item in items:
        p = skill + item.ease
        if random() < (0.98 if p > 0.98 else 0.05 if p < 0.05 else p):
            chosen = item.right
        elif item.partial and random() < 0.5:
            chosen = rng.choice(item.partial)
        elif random() < 0.6:
            chosen = item.tempting
        else:
            chosen = rng.choice(item.wrongs)
        answers.append(AnswerFacts(item.id, item.topic, chosen, chosen == item.right))
    if incomplete:
        skipped = rng.randrange(len(answers))
        answers[skipped] = answers[skipped]._replace(chosen=(), correct=False)
    return answers


# --- ids ---------------------------------------------------------------------------


class Ids:
    """Every id, given over the whole city in time order before the work is split, as the
    database would have given them: respondents on enrolment, attempts and lessons when
    handed in or finished; each attempt's answers follow each other."""

    def __init__(self, events: list[tuple], first: dict[str, int], respondents: int, questions: int):
        self.respondent = array("q", bytes(8 * respondents))
        #: the attempt's or lesson's id, by the event's order number
        self.by_order = array("q", bytes(8 * ORDERS_PER_RESPONDENT * respondents))
        self.first_attempt, self.first_answer, self.questions = first["attempts"], first["answers"], questions
        next_respondent = itertools.count(first["respondents"])
        counts = {SITTING: 0, HAND_IN: 0, LESSON: 0}
        next_id = {HAND_IN: itertools.count(first["attempts"]), LESSON: itertools.count(first["lesson_completions"])}
        for _when, order, kind, index, *_ in events:
            if not self.respondent[index]:
                self.respondent[index] = next(next_respondent)
            counts[kind] += 1
            if kind != SITTING:
                self.by_order[order] = next(next_id[kind])
        self.sittings, self.attempts, self.lessons = counts[SITTING], counts[HAND_IN], counts[LESSON]

    def answer(self, attempt_id: int, position: int) -> int:
        return self.first_answer + (attempt_id - self.first_attempt) * self.questions + position


# --- replaying the events ----------------------------------------------------------


@dataclass
class Shared:
    """What every replaying process reads; handed over by fork, so nothing is copied."""

    city: City
    community_of: list[int]
    library: Library
    ids: Ids
    seed: int
    timezone: str
    durations: Durations
    database: Database
    #: each process's events: those of one contiguous range of communities, in time order
    shards: list[list[tuple]]


class Replay:
    """Turns one range of communities' events into rows.

    Events are replayed a month at a time and, within the month, one community after the
    other, each community's in time order. Each month's rows are written in id order, as the
    database would have received them. Randomness comes
    from one generator per community, so the rows do not depend on how the communities
    were split between processes.
    """

    def __init__(self, shared: Shared, sink: Sink, progress: Callable[[int], None]):
        self.shared, self.sink, self.progress = shared, sink, progress
        self.leaves, self.community_of, self.ids = shared.city.leaves, shared.community_of, shared.ids
        self.quiz = shared.library.survey
        self.version = shared.library.catalog.version
        self.picker = Picker(self.quiz, shared.library, bank_items(shared.library))
        self.durations = shared.durations
        self.rngs: dict[int, Random] = {}
        n = len(self.community_of)
        self.created = [0] * n
        self.active: list[str | None] = [None] * n
        self.reached: list[str | None] = [None] * n
        self.surveyed: list[str | None] = [None] * n
        self.seen: list[int] = []
        #: sittings waiting to be handed in, by order number
        self.open: dict[int, tuple] = {}
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.months: dict[int, str] = {}
        self.attempts = 0
        self.handlers = {SITTING: self.sitting, HAND_IN: self.hand_in, LESSON: self.lesson}

    def run(self, events: list[tuple]) -> None:
        for month, window in itertools.groupby(events, key=lambda event: self.month_of(event[0])):
            by_community: dict[int, list[tuple]] = defaultdict(list)
            for event in window:
                by_community[self.community_of[event[3]]].append(event)
            for leaf in sorted(by_community):
                for event in by_community[leaf]:
                    self.handlers[event[2]](month, *event)
            self.write_rows()
        rows = sorted(self.respondent_rows())
        for start in range(0, len(rows), BATCH):
            self.sink.write("respondents", RESPONDENT_COLUMNS, rows[start : start + BATCH])

    def month_of(self, moment: int) -> str:
        key = moment // 900  # every time zone's offset is a whole number of quarter hours
        month = self.months.get(key)
        if month is None:
            utc = datetime(1970, 1, 1) + timedelta(seconds=moment)
            month = self.months[key] = local_month(utc, ZoneInfo(self.shared.timezone))
        return month

    def rng(self, leaf: int) -> Random:
        rng = self.rngs.get(leaf)
        if rng is None:
            rng = self.rngs[leaf] = Random(f"{self.shared.seed}:{self.leaves[leaf].code}")
        return rng

    def respondent(self, index: int, moment: int) -> int:
        if not self.created[index]:
            self.created[index] = moment
            self.seen.append(index)
        return self.ids.respondent[index]

    def advance(self, last: list[str | None], index: int, month: str) -> int:
        """As the applier: the scopes (bits) ``month`` is new in for this kind of event."""
        previous = last[index]
        if previous is None or month > previous:
            last[index] = month
        return _firsts(previous, month)

    def sitting(self, month: str, when: int, order: int, _: int, index: int, outcome: str, taken: int, skill: float):
        leaf = self.community_of[index]
        community = self.leaves[leaf].id
        respondent = self.respondent(index, when)
        active = self.advance(self.active, index, month)
        rng = self.rng(leaf)
        items = self.picker.pick(rng)
        random = rng.random
        served = ", ".join(item.served[int(random() * len(item.served))] for item in items)
        draw_id = base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode()
        served_at = stamp(when)
        submitted_at = None if outcome == ABANDONED else stamp(when + taken)
        deadline = stamp(when + self.durations.deadline) if self.quiz.time_limit_seconds else None
        self.rows["draws"].append(
            (draw_id, self.quiz.slug, self.quiz.kind, respondent, community, None, self.version, f"[{served}]")
            + (served_at, deadline, stamp(when + self.durations.expiry), submitted_at, month, GENERATED_BATCH, active)
        )
        if submitted_at is not None:
            answers = answer(items, skill, outcome == INCOMPLETE_SITTING, rng)
            self.open[order] = (respondent, community, draw_id, served_at, submitted_at, answers)

    def hand_in(self, month: str, _when: int, order: int, _kind: int, index: int, outcome: str, *_: Any) -> None:
        respondent, community, draw_id, served_at, submitted_at, answers = self.open.pop(order)
        attempt_id = self.ids.by_order[order]
        n, answered = len(answers), sum(1 for a in answers if a.chosen)
        correct = sum(a.correct for a in answers)
        valid = answered == n and outcome != LATE_SITTING
        passed = valid and correct >= self.quiz.pass_mark * n
        digest = answers_digest([a.chosen for a in answers])
        reached = self.advance(self.reached, index, month)
        surveyed = self.advance(self.surveyed, index, month) if valid else 0
        self.rows["attempts"].append(
            (attempt_id, draw_id, respondent, community, None, self.quiz.slug, self.quiz.kind)
            + (served_at, submitted_at, n, answered, correct, correct / n, valid, False, passed, digest, None)
            + (month, GENERATED_BATCH, reached, surveyed)
        )
        first = self.ids.answer(attempt_id, 0)
        self.rows["answers"] += [
            (first + position, attempt_id, position, a.question_id, a.topic, ",".join(a.chosen), a.correct)
            for position, a in enumerate(answers)
        ]
        self.attempts += 1
        if self.attempts % 10_000 == 0:
            self.progress(self.attempts)

    def lesson(self, month: str, when: int, order: int, _kind: int, index: int, slug: str, *_: Any) -> None:
        community = self.leaves[self.community_of[index]].id
        respondent = self.respondent(index, when)
        active = self.advance(self.active, index, month)
        reached = self.advance(self.reached, index, month)
        lesson_id = self.ids.by_order[order]
        self.rows["lesson_completions"].append(
            (lesson_id, respondent, community, slug, stamp(when), month, GENERATED_BATCH, active, reached)
        )

    def write_rows(self) -> None:
        """The month's rows in id order, draws in the order they were served."""
        for table, rows in self.rows.items():
            if table == "draws":
                rows.sort(key=lambda row: row[8])
            elif table in ID_TABLES:
                rows.sort()
            columns = COLUMNS[table]
            for start in range(0, len(rows), BATCH):
                self.sink.write(table, columns, rows[start : start + BATCH])
        self.rows = defaultdict(list)

    def respondent_rows(self) -> Iterator[tuple]:
        """Each respondent as enrolled, with the months the replay left (as rebuild leaves them)."""
        for index in self.seen:
            respondent_id = self.ids.respondent[index]
            yield (
                respondent_id,
                hash_token(respondent_token(respondent_id)),
                self.leaves[self.community_of[index]].id,
                stamp(self.created[index]),
                self.active[index],
                self.reached[index],
                self.surveyed[index],
            )


# --- bulk loading ------------------------------------------------------------------


class Sink(Protocol):
    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None: ...

    def close(self) -> None: ...


class Writer(Protocol):
    """Inserts batches of rows over one connection of its own."""

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None: ...

    def close(self) -> None: ...


class SqliteWriter:
    def __init__(self, path: str):
        self.connection = sqlite_connection(path)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        self.connection.execute("BEGIN")
        self.connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
        )
        self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()


class CopyWriter:
    def __init__(self, conninfo: str):
        import psycopg

        self.connection = psycopg.connect(conninfo)
        self.connection.execute("SET synchronous_commit = off")  # this session only

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        with self.connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()


class ThreadedSink:
    """Writes on a thread of its own, so the database works while the next rows are made."""

    def __init__(self, opener: Callable[[], Writer], written: Callable[[int], None]):
        self.opener, self.written = opener, written
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUED_BATCHES)
        self.thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self.thread.start()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if self.error:
            raise RuntimeError("writing failed") from self.error
        self.queue.put((table, columns, rows))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error:
            raise RuntimeError("writing failed") from self.error

    def _run(self) -> None:
        try:
            writer = self.opener()
            while (item := self.queue.get()) is not None:
                writer.insert(*item)
                self.written(len(item[2]))
            writer.close()
        except BaseException as exc:  # handed to the generating thread at its next write
            self.error = exc
            while self.queue.get() is not None:  # keep taking batches, so the generator never blocks
                pass


class QueueSink:
    """Hands rows to the parent process, SQLite's only writer."""

    def __init__(self, channel: multiprocessing.queues.Queue):
        self.channel = channel

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        self.channel.put((table, columns, rows))

    def close(self) -> None:
        self.channel.put(None)


def sqlite_connection(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    # nothing to protect while loading: a failed load is generated again
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


class Database(ABC):
    """Preparing a database for the load and putting it back in order afterwards.

    Secondary indexes (and on PostgreSQL foreign keys) of the loaded tables are dropped
    during the load and recreated afterwards from the definitions the migrations gave them.
    """

    #: SQLite has one writer: rows go to the parent process; PostgreSQL takes a COPY per process
    single_writer: bool

    @abstractmethod
    def prepare(self) -> None: ...

    @abstractmethod
    def writer(self) -> Writer: ...

    @abstractmethod
    def finish(self) -> None: ...

    @abstractmethod
    def size_mb(self) -> float: ...


class SqliteDatabase(Database):
    single_writer = True

    def __init__(self, url: str):
        self.path = make_url(url).database

    def prepare(self) -> None:
        connection = sqlite_connection(self.path)
        names = ", ".join("?" * len(LOADED_TABLES))
        self.indexes = connection.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({names})",
            LOADED_TABLES,
        ).fetchall()
        for name, _sql in self.indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.close()

    def writer(self) -> Writer:
        return SqliteWriter(self.path)

    def finish(self) -> None:
        connection = sqlite_connection(self.path)
        for name, sql in self.indexes:
            started = time.monotonic()
            connection.execute(sql)
            log(f"  index {name}: {time.monotonic() - started:.1f} s")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode=WAL")  # as the app runs it
        connection.close()

    def size_mb(self) -> float:
        return sum(os.path.getsize(p) for p in (self.path, f"{self.path}-wal") if os.path.exists(p)) / 2**20


class PostgresDatabase(Database):
    single_writer = False

    def __init__(self, url: str):
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def connect(self):
        import psycopg

        connection = psycopg.connect(self.conninfo)
        # session settings only: the server's configuration is left alone
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET maintenance_work_mem = '512MB'")
        return connection

    def prepare(self) -> None:
        with self.connect() as connection:
            tables = list(LOADED_TABLES)
            self.foreign_keys = connection.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [tables],
            ).fetchall()
            self.indexes = connection.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [tables],
            ).fetchall()
            for table, name, _definition in self.foreign_keys:
                connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in self.indexes:
                connection.execute(f'DROP INDEX "{name}"')

    def writer(self) -> Writer:
        return CopyWriter(self.conninfo)

    def finish(self) -> None:
        with self.connect() as connection:
            for name, definition in self.indexes:
                started = time.monotonic()
                connection.execute(definition)
                connection.commit()
                log(f"  index {name}: {time.monotonic() - started:.1f} s")
            started = time.monotonic()
            for table, name, definition in self.foreign_keys:
                connection.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            connection.commit()
            log(f"  foreign keys checked and restored: {time.monotonic() - started:.1f} s")
            for table in ID_TABLES:
                # ids were given here, not by the sequences: start them after the highest
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} HAVING count(*) > 0"
                )
            connection.commit()
            connection.autocommit = True
            connection.execute("ANALYZE")
            self.size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20

    def size_mb(self) -> float:
        return self.size


def open_database(url: str) -> Database:
    return SqliteDatabase(url) if url.startswith("sqlite") else PostgresDatabase(url)


# --- processes ---------------------------------------------------------------------

#: set just before the replaying processes are forked, which read it
_SHARED: Shared | None = None


def split_communities(community_of: list[int], leaves: int, parts: int) -> list[int]:
    """The shard of each community: contiguous ranges (so each process's rollup rows are one
    range of keys) with about as many respondents each."""
    respondents = [0] * leaves
    for leaf in community_of:
        respondents[leaf] += 1
    total, running, shard_of = len(community_of), 0, []
    for count in respondents:
        shard_of.append(min(parts - 1, running * parts // max(total, 1)))
        running += count
    return shard_of


def _replay_shard(number: int, channel: Any, counters: Any) -> None:
    """The body of one replaying process: counters[number] counts its attempts,
    counters[processes + number] the rows it wrote itself."""
    shared = _SHARED
    database = shared.database
    processes = len(counters) // 2

    def progress(attempts: int) -> None:
        counters[number] = attempts

    def written(rows: int) -> None:
        counters[processes + number] += rows

    sink: Sink = QueueSink(channel) if database.single_writer else ThreadedSink(database.writer, written)
    replay = Replay(shared, sink, progress)
    replay.run(shared.shards[number])
    sink.close()
    counters[number] = replay.attempts


def replay_in_processes(shared: Shared, processes: int) -> None:
    """Fork one process per shard; SQLite's rows come back here to be written by this process."""
    global _SHARED
    _SHARED = shared
    context = multiprocessing.get_context("fork")
    channel = context.Queue(maxsize=QUEUED_BATCHES) if shared.database.single_writer else None
    counters = context.Array("q", 2 * processes, lock=False)
    workers = [context.Process(target=_replay_shard, args=(n, channel, counters)) for n in range(processes)]
    for worker in workers:
        worker.start()
    progress = Progress(workers, counters)
    try:
        if channel is not None:
            _write_from(channel, shared.database.writer(), progress)
        else:
            while any(worker.is_alive() for worker in workers):
                progress.check()
                time.sleep(1)
                progress.report()
        for worker in workers:
            worker.join()
        progress.check()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        _SHARED = None


def _write_from(channel: Any, writer: Writer, progress: Progress) -> None:
    """Write what the processes send until each has said it is done (None)."""
    finished = 0
    while finished < len(progress.workers):
        try:
            item = channel.get(timeout=1)
        except queue.Empty:
            progress.check()
            continue
        if item is None:
            finished += 1
            continue
        writer.insert(*item)
        progress.written += len(item[2])
        progress.report()
    writer.close()


class Progress:
    """Attempts replayed and rows written so far, on stderr every few seconds."""

    def __init__(self, workers: list, counters: Any):
        self.workers, self.counters = workers, counters
        self.started = self.shown = time.monotonic()
        #: rows written by this process (SQLite); the replaying processes count their own
        self.written = 0

    def check(self) -> None:
        failed = [worker.exitcode for worker in self.workers if worker.exitcode not in (None, 0)]
        if failed:
            raise RuntimeError(f"a replaying process failed (exit code {failed[0]})")

    def report(self) -> None:
        now = time.monotonic()
        if now - self.shown < 5:
            return
        self.shown = now
        n = len(self.workers)
        attempts = ", ".join(
            f"{self.counters[i]:,}{'' if worker.is_alive() else ' (done)'}" for i, worker in enumerate(self.workers)
        )
        rows = self.written + sum(self.counters[n:])
        log(f"  attempts per process: {attempts}; {rows:,} rows written, {rows / (now - self.started):,.0f} rows/s")


# --- the whole generation ----------------------------------------------------------


@contextmanager
def no_garbage_collection() -> Iterator[None]:
    """Millions of long-lived tuples would make the cyclic collector run again and again."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def absolute_url(database: str) -> str:
    """The SQLAlchemy URL, a SQLite path made absolute (Flask-SQLAlchemy would take a relative
    one as inside the instance folder, sqlite3 as inside the current one) and its folder made."""
    url = database_url(database)
    if not url.startswith("sqlite"):
        return url
    path = Path(make_url(url).database).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def has_city(database: str) -> bool:
    """Whether ``database`` holds the generated city (False when it does not exist yet)."""
    url = absolute_url(database)
    if url.startswith("sqlite") and not Path(make_url(url).database).exists():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM regions WHERE code = :code"), {"code": CITY_CODE})
            return found.first() is not None
    except DBAPIError:  # no tables yet
        return False
    finally:
        engine.dispose()


def reset(url: str) -> None:
    """Remove everything from the database: the SQLite file, or every table on PostgreSQL."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
            Path(name).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def migrated_app(url: str):
    """The app over ``url``, its schema upgraded by the migrations."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db

    # it serves no request: any key passes the start-up check
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    return app


def starting_ids(app) -> dict[str, int]:
    """The first free id of each table rows are added to (a database may hold other data)."""
    from webapp.extensions import db
    from webapp.regions.service import get_region

    with app.app_context():
        if get_region(CITY_CODE) is not None:
            raise SystemExit(f"the database already holds the city {CITY_CODE}; pass --replace to start afresh")
        metadata = db.metadata.tables
        ids = {t: db.session.execute(select(func.max(metadata[t].c.id))).scalar_one() or 0 for t in ID_TABLES}
        db.session.remove()
        db.engine.dispose()
    return {table: value + 1 for table, value in ids.items()}


def fold_generated(app, communities: list[int]) -> None:
    """The applier's own statements add the generated batch to the rollups of every level."""
    from webapp.extensions import db
    from webapp.stats.applier import fold, record_lineage

    with app.app_context(), db.engine.begin() as connection:
        record_lineage(connection, set(communities))
        fold(connection, GENERATED_BATCH)
        connection.execute(text("ANALYZE"))
    with app.app_context():
        db.engine.dispose()


def add_targets(app) -> None:
    """The demo plan's targets on the city, so the dashboard compares and lists lagging places."""
    from webapp.extensions import db
    from webapp.regions.service import get_region
    from webapp.stats.targets import seed_demo_targets

    with app.app_context():
        seed_demo_targets(get_region(CITY_CODE))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def plan(city: City, respondents: int, library: Library, calendar: Calendar, durations: Durations, seed: int):
    """Who lives where, and every sitting and lesson in time order."""
    rng = Random(f"{seed}:plan")
    weights = list(itertools.accumulate(leaf.population * leaf.keenness for leaf in city.leaves))
    community_of = [bisect.bisect(weights, rng.random() * weights[-1]) for _ in range(respondents)]
    events = plan_events(community_of, city.leaves, calendar, durations, list(library.catalog.lessons), rng)
    return community_of, events


def generate(
    database: str,
    communities: int = DEFAULT_COMMUNITIES,
    respondents: int = DEFAULT_RESPONDENTS,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    processes: int | None = None,
) -> dict[str, Any]:
    """Generate the city into ``database`` (migrated first); returns what was made, with the
    codes of the city and of a street to look at. ``replace`` empties the database first.

    The rows depend only on the sizes and the seed, not on ``processes`` (default: one per CPU).
    """
    started = time.monotonic()
    url = absolute_url(database)
    if replace:
        reset(url)
    app = migrated_app(url)
    first_ids = starting_ids(app)
    library: Library = app.extensions["library"]
    timezone = app.config["BABEL_DEFAULT_TIMEZONE"]
    durations = Durations.of(library.survey, Timing.from_config(app.config))
    city = build_city(communities, Random(f"{seed}:city"), first_ids["regions"])
    target = open_database(url)
    with no_garbage_collection():
        community_of, events = plan(city, respondents, library, Calendar(ZoneInfo(timezone)), durations, seed)
        ids = Ids(events, first_ids, respondents, library.survey.n_questions)
        log(f"planned {len(city.leaves):,} communities, {len(events):,} sittings and lessons: {_since(started)}")
        processes = max(1, min(processes or os.cpu_count() or 1, len(city.leaves)))
        shard_of = split_communities(community_of, len(city.leaves), processes)
        shards: list[list[tuple]] = [[] for _ in range(processes)]
        for event in events:
            shards[shard_of[community_of[event[3]]]].append(event)
        del events
        target.prepare()
        writer = target.writer()
        writer.insert("regions", REGION_COLUMNS, city.regions)
        writer.close()
        shared = Shared(city, community_of, library, ids, seed, timezone, durations, target, shards)
        replay_in_processes(shared, processes)
    log(f"rows written: {_since(started)}; indexes, keys and statistics …")
    target.finish()
    fold_generated(app, [leaf.id for leaf in city.leaves])
    log(f"rollups folded: {_since(started)}")
    add_targets(app)
    summary = {
        "city": CITY_CODE,
        "street": city.street,
        "regions": len(city.regions),
        "communities": len(city.leaves),
        "respondents": respondents,
        "draws": ids.sittings,
        "attempts": ids.attempts,
        "answers": ids.attempts * ids.questions,
        "lesson_completions": ids.lessons,
        "seed": seed,
        "seconds": round(time.monotonic() - started, 1),
        "size_mb": round(target.size_mb(), 1),
    }
    log(f"done in {summary['seconds']:.0f} s, {summary['size_mb']:,.0f} MB")
    return summary


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.0f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL, e.g. sqlite:///bench/.data/city.db")
    parser.add_argument("--communities", type=int, default=DEFAULT_COMMUNITIES)
    parser.add_argument("--respondents", type=int, default=DEFAULT_RESPONDENTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--processes", type=int, help="replaying processes (default: one per CPU)")
    parser.add_argument("--replace", action="store_true", help="empty the database first")
    options = parser.parse_args()
    summary = generate(
        options.database, options.communities, options.respondents, options.seed, options.replace, options.processes
    )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
