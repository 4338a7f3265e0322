"""Which questions one sitting of a quiz draws, meeting its topic and dimension quotas.

A survey has two margins: questions per topic (its strata) and questions per dimension
(prevention, escape, …). A sitting draws each topic's questions at random and is kept only when
the dimensions come out as the quotas say: the sittings are then exactly the topic-stratified
draws that meet the quotas, every question of a topic as likely as its cell allows, and no thin
(topic, dimension) cell is served more often than chance would serve it.

Whether the quotas can be met at all is a small transport problem, solved as a maximum flow
from topics to dimensions, each edge capped by the questions the cell holds; the content check
refuses quotas it cannot meet, and the same flow serves as a last resort should the random
draws keep missing.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

from quizzes.bank import Bank

if TYPE_CHECKING:
    from quizzes.definitions import QuizDefinition

Cell = tuple[str, str | None]


def cell_pools(quiz: QuizDefinition, bank: Bank) -> dict[Cell, list[str]]:
    """The quiz's pool by (topic, dimension); dimension is None when the quiz sets no dimension quotas."""
    pools: dict[Cell, list[str]] = defaultdict(list)
    for question_id in quiz.pool:
        question = bank.questions[question_id]
        pools[(question.topic, question.dimension if quiz.dimension_quotas else None)].append(question_id)
    return pools


#: random sittings tried before falling back to a sitting built from the flow's cell table
MAX_TRIES = 2000


def pick_questions(quiz: QuizDefinition, bank: Bank, rng: random.Random) -> list[str]:
    """Question ids for one sitting: per topic its quota (a thin topic gives what it has),
    meeting the dimension quotas when the quiz sets them."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for question_id in quiz.pool:
        by_topic[bank.questions[question_id].topic].append(question_id)
    quotas = {t: min(k, len(by_topic[t])) for t, k in quiz.topic_quotas.items()}
    wanted = Counter({d: k for d, k in quiz.dimension_quotas.items() if k})
    for _ in range(MAX_TRIES if wanted else 1):
        chosen = [q for t, k in quotas.items() for q in rng.sample(by_topic[t], k)]
        if not wanted or Counter(bank.questions[q].dimension for q in chosen) == wanted:
            return chosen
    pools = cell_pools(quiz, bank)
    cells = quota_cells(quiz, bank, rng) or {}
    return [q for cell, k in cells.items() for q in rng.sample(pools[cell], k)]


def quota_cells(quiz: QuizDefinition, bank: Bank, rng: random.Random) -> dict[Cell, int] | None:
    """Questions per cell for one sitting, meeting every topic and dimension quota; None if impossible.

    Without dimension quotas a thin topic gives what it has (the draw fills the gap from the rest).
    """
    pools = cell_pools(quiz, bank)
    if not quiz.dimension_quotas:
        return {(t, None): min(k, len(pools.get((t, None), ()))) for t, k in quiz.topic_quotas.items()}
    capacity = {cell: len(ids) for cell, ids in pools.items()}
    flow: Counter[Cell] = Counter()
    topic_left = dict(quiz.topic_quotas)
    dimension_left = {d: k for d, k in quiz.dimension_quotas.items() if k}
    for _ in range(quiz.n_questions):
        starts = [t for t, k in topic_left.items() if k > 0]
        rng.shuffle(starts)
        if not any(_augment(t, flow, capacity, dimension_left, set(), rng) and _took(topic_left, t) for t in starts):
            return None
    return dict(+flow)


def _took(left: dict[str, int], topic: str) -> bool:
    left[topic] -= 1
    return True


def _augment(
    topic: str,
    flow: Counter[Cell],
    capacity: Mapping[Cell, int],
    dimension_left: dict[str, int],
    seen: set[str],
    rng: random.Random,
) -> bool:
    """Push one question from ``topic`` to a dimension still short, rerouting earlier choices if needed.

    Dimensions are tried in a random order weighted by how many questions the cell holds, so a
    cell of one question is not drawn as often as a cell of twenty.
    """
    dimensions = sorted(
        (d for d in dimension_left if capacity.get((topic, d), 0)),
        key=lambda d: rng.random() ** (1 / capacity[(topic, d)]),
        reverse=True,
    )
    for dimension in dimensions:
        cell = (topic, dimension)
        if dimension in seen or flow[cell] >= capacity.get(cell, 0):
            continue
        seen.add(dimension)
        if dimension_left[dimension] > 0:
            dimension_left[dimension] -= 1
            flow[cell] += 1
            return True
        # the dimension is full: move one of another topic's questions out of it, then take its place
        for other, _ in [c for c, units in flow.items() if c[1] == dimension and units > 0 and c[0] != topic]:
            flow[(other, dimension)] -= 1
            if _augment(other, flow, capacity, dimension_left, seen, rng):
                flow[cell] += 1
                return True
            flow[(other, dimension)] += 1
    return False
