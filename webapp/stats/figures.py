"""A figure is a number with what it counts, its sample size, a 95% interval and a status.

Shares use the Wilson score interval; the awareness rate, a mean of respondents' scores,
uses the normal interval from the standard error of those scores. Against a target a
figure is *met* when its lower bound reaches it, *not met* when its upper bound falls
short, and *not yet clear* in between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054

MET, NOT_MET, UNCLEAR, NO_DATA = "met", "not_met", "unclear", "no_data"


@dataclass(frozen=True)
class Figure:
    value: float | None
    #: the sample size or denominator the value rests on
    n: int
    low: float | None
    high: float | None
    #: the numerator for shares (e.g. respondents who passed); None for means
    count: float | None = None
    target: float | None = None

    @property
    def status(self) -> str | None:
        if self.target is None:
            return None
        if self.value is None or self.low is None or self.high is None:
            return NO_DATA
        if self.low >= self.target:
            return MET
        if self.high < self.target:
            return NOT_MET
        return UNCLEAR

    def against(self, target: float | None) -> Figure:
        return Figure(self.value, self.n, self.low, self.high, self.count, target)


def share(count: float, n: int) -> Figure:
    """``count`` of ``n`` with the Wilson score interval."""
    if n <= 0:
        return Figure(None, 0, None, None, count)
    p = count / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return Figure(p, n, max(0.0, centre - half), min(1.0, centre + half), count)


def mean_score(n: int, total: float, total_sq: float) -> Figure:
    """The mean of ``n`` scores in [0, 1] from their sum and sum of squares."""
    if n <= 0:
        return Figure(None, 0, None, None)
    mean = total / n
    if n == 1:
        return Figure(mean, 1, 0.0, 1.0)  # one respondent says nothing about the spread
    variance = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = Z95 * math.sqrt(variance / n)
    return Figure(mean, n, max(0.0, mean - half), min(1.0, mean + half))


def ratio(count: float, population: int | None) -> Figure:
    """A count over a resident population (usage, reach): a share of the population."""
    if not population:
        return Figure(None, 0, None, None, count)
    return share(min(count, population), population)


@dataclass(frozen=True)
class Change:
    """A figure against the same figure a year earlier: the difference, and whether it is beyond
    the noise of the two (their 95% intervals combined as independent samples)."""

    difference: float
    beyond_noise: bool


def change(now: Figure, before: Figure) -> Change | None:
    """None when either figure has no value or no interval to judge the noise by."""
    if now.value is None or now.low is None or now.high is None:
        return None
    if before.value is None or before.low is None or before.high is None:
        return None
    se_now = (now.high - now.low) / (2 * Z95)
    se_before = (before.high - before.low) / (2 * Z95)
    difference = now.value - before.value
    return Change(difference, abs(difference) > Z95 * math.sqrt(se_now**2 + se_before**2))
