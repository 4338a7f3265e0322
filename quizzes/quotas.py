"""Which questions one sitting of a quiz draws, meeting its topic and dimension quotas.

A survey has two margins: questions per topic (its strata) and questions per dimension
(prevention, escape, …). The sittings are exactly the topic-stratified draws that meet the
dimension quotas, each as likely as any other: every question of a topic as likely as its cell
allows, and no thin (topic, dimension) cell served more often than chance would serve it.

Such a sitting is drawn in two steps, without trial and error: first how many questions each
(topic, dimension) cell gives, a table chosen with probability proportional to the sittings it
holds (the product over its cells of "n choose k"), then which questions within each cell.
The tables' weights are counted once per quiz by a small dynamic programme over the topics.

Whether the quotas can be met at all is a small transport problem, solved as a maximum flow
from topics to dimensions, each edge capped by the questions the cell holds; the content check
refuses quotas it cannot meet.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from math import comb
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


def pick_questions(quiz: QuizDefinition, bank: Bank, rng: random.Random) -> list[str]:
    """Question ids for one sitting: per topic its quota (a thin topic gives what it has),
    meeting the dimension quotas when the quiz sets them."""
    plan = _sitting_plan(quiz, bank)
    if plan.total == 0:  # quotas the pool cannot meet: the content check refuses them
        return []
    return [q for cell, k in plan.table(rng).items() for q in rng.sample(plan.pools[cell], k)]


class _SittingPlan:
    """How one quiz's sittings are drawn: the pool by cell, and for each topic in turn, how many
    ways there are to fill the dimensions' counts so far (``ways[i][counts]``, over topics < i)."""

    def __init__(self, quiz: QuizDefinition, bank: Bank) -> None:
        self.pools = cell_pools(quiz, bank)
        self.dimensions = tuple(d for d, k in quiz.dimension_quotas.items() if k)
        self.wanted = tuple(quiz.dimension_quotas[d] for d in self.dimensions)
        by_topic: Counter[str] = Counter()
        for (topic, _), ids in self.pools.items():
            by_topic[topic] += len(ids)
        self.topics = [(t, min(k, by_topic[t])) for t, k in quiz.topic_quotas.items()]
        self.splits = [self._splits(t, k) for t, k in self.topics]
        self.ways: list[dict[tuple[int, ...], int]] = [{(0,) * len(self.dimensions): 1}]
        for splits in self.splits:
            self.ways.append(self._step(self.ways[-1], splits))
        self.total = self.ways[-1].get(self.wanted, 0) if self.dimensions else 1

    def _splits(self, topic: str, k: int) -> list[tuple[tuple[int, ...], int]]:
        """Each way to spread ``k`` of the topic's questions over the dimensions, with the number
        of question sets it holds."""
        if not self.dimensions:
            return [((), 1)]
        sizes = [len(self.pools.get((topic, d), ())) for d in self.dimensions]
        splits: list[tuple[tuple[int, ...], int]] = [((), 1)]
        for size, most in zip(sizes, self.wanted, strict=True):
            splits = [
                (counts + (m,), ways * comb(size, m)) for counts, ways in splits for m in range(min(size, most) + 1)
            ]
        return [(counts, ways) for counts, ways in splits if sum(counts) == k]

    def _step(
        self, before: dict[tuple[int, ...], int], splits: list[tuple[tuple[int, ...], int]]
    ) -> dict[tuple[int, ...], int]:
        after: dict[tuple[int, ...], int] = defaultdict(int)
        for counts, ways in before.items():
            for split, split_ways in splits:
                total = tuple(c + s for c, s in zip(counts, split, strict=True))
                if all(c <= w for c, w in zip(total, self.wanted, strict=True)):
                    after[total] += ways * split_ways
        return dict(after)

    def table(self, rng: random.Random) -> dict[Cell, int]:
        """Questions per cell for one sitting, drawn from the last topic back: each topic's split
        with probability proportional to the sittings that complete it."""
        if not self.dimensions:
            return {(t, None): k for t, k in self.topics}
        cells: dict[Cell, int] = {}
        left = self.wanted
        for i in range(len(self.topics) - 1, -1, -1):
            pick = rng.randrange(self.ways[i + 1][left])
            for split, ways in self.splits[i]:
                before = tuple(c - s for c, s in zip(left, split, strict=True))
                weight = ways * self.ways[i].get(before, 0)
                if pick < weight:
                    break
                pick -= weight
            topic = self.topics[i][0]
            cells.update({(topic, d): m for d, m in zip(self.dimensions, split, strict=True) if m})
            left = before
        return cells


#: plans by quiz, kept with the quiz and bank they were counted from (a content reload makes new ones)
_PLANS: dict[int, tuple[QuizDefinition, Bank, _SittingPlan]] = {}


def _sitting_plan(quiz: QuizDefinition, bank: Bank) -> _SittingPlan:
    kept = _PLANS.get(id(quiz))
    if kept is not None and kept[0] is quiz and kept[1] is bank:
        return kept[2]
    if len(_PLANS) > 256:
        _PLANS.clear()
    plan = _SittingPlan(quiz, bank)
    _PLANS[id(quiz)] = (quiz, bank, plan)
    return plan


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
