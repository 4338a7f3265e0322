"""Spreading a wave's sample over communities and over the age-by-sex cells of its population.

Whole interviews are shared out by the largest-remainder (Hamilton) method: each unit gets the
whole part of its exact share, and the interviews left go to the largest fractions, so the
parts always add up to the total and no unit is more than one interview from its exact share.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class SamplingUnit:
    """A community that may be sampled: its id, the street it lies in, its residents."""

    community_id: int
    street_id: int
    population: int


def largest_remainder(total: int, sizes: Mapping[K, float]) -> dict[K, int]:
    """``total`` shared out in proportion to ``sizes``; ties go to the unit listed first."""
    whole = sum(sizes.values())
    if total <= 0 or whole <= 0:
        return dict.fromkeys(sizes, 0)
    exact = {key: total * size / whole for key, size in sizes.items()}
    shares = {key: math.floor(value) for key, value in exact.items()}
    left = total - sum(shares.values())
    order = sorted(exact, key=lambda key: shares[key] - exact[key])  # largest fraction first, stable
    for key in order[:left]:
        shares[key] += 1
    return shares


def proportional(total: int, units: Sequence[SamplingUnit]) -> dict[int, int]:
    """In proportion to the communities' resident populations."""
    return largest_remainder(total, {u.community_id: u.population for u in units})


def equal_per_street(total: int, units: Sequence[SamplingUnit]) -> dict[int, int]:
    """The same number per street (so small streets can be read on their own), then in
    proportion to population inside each street; the weights undo the unequal chances."""
    by_street: dict[int, list[SamplingUnit]] = defaultdict(list)
    for unit in units:
        by_street[unit.street_id].append(unit)
    per_street = largest_remainder(total, dict.fromkeys(by_street, 1.0))
    allocation: dict[int, int] = {}
    for street, members in by_street.items():
        allocation.update(proportional(per_street[street], members))
    return allocation


def cell_quotas(total: int, margins: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], int]:
    """Interviews per (age band, sex) cell in proportion to the population margins."""
    return largest_remainder(total, margins)
