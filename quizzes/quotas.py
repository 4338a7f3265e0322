"""How many questions of each topic and dimension one sitting of a quiz draws.

A survey has two margins: questions per topic (its strata) and questions per dimension
(prevention, escape, …). A sitting must meet both, so the draw first chooses how many questions
come from each (topic, dimension) cell: a small transport problem solved as a maximum flow from
topics to dimensions, each edge capped by the questions the cell holds. Searching the edges in a
random order each sitting spreads the sittings over the feasible tables instead of always
serving the same one.
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
    """Push one question from ``topic`` to a dimension still short, rerouting earlier choices if needed."""
    dimensions = list(dimension_left)
    rng.shuffle(dimensions)
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
