"""Intervals and statuses against values computed by hand."""

from __future__ import annotations

import pytest

from webapp.stats.figures import MET, NO_DATA, NOT_MET, UNCLEAR, mean_score, ratio, share


def test_wilson_interval_matches_known_values() -> None:
    # 8 of 10: the textbook Wilson interval is 0.4902 to 0.9433
    figure = share(8, 10)
    assert figure.value == 0.8
    assert figure.low == pytest.approx(0.4902, abs=1e-4)
    assert figure.high == pytest.approx(0.9433, abs=1e-4)
    # 0 of 20 still has an upper bound: 0.1611
    assert share(0, 20).high == pytest.approx(0.1611, abs=1e-4)
    assert share(0, 0).value is None


def test_mean_score_interval_from_sums() -> None:
    scores = [0.6, 0.8, 1.0, 0.9, 0.7]
    figure = mean_score(len(scores), sum(scores), sum(s * s for s in scores))
    # mean 0.8, sample sd 0.1581, se 0.0707, half-width 1.96 * se = 0.1386
    assert figure.value == pytest.approx(0.8)
    assert figure.low == pytest.approx(0.8 - 0.13859, abs=1e-4)
    assert figure.high == pytest.approx(0.8 + 0.13859, abs=1e-4)
    assert mean_score(1, 0.9, 0.81).low == 0.0


@pytest.mark.parametrize(
    ("figure", "target", "status"),
    [
        (share(95, 100), 0.8, MET),  # low 0.888
        (share(60, 100), 0.8, NOT_MET),  # high 0.692
        (share(8, 10), 0.8, UNCLEAR),
        (share(0, 0), 0.8, NO_DATA),
    ],
)
def test_status_against_target(figure, target: float, status: str) -> None:
    assert figure.against(target).status == status


def test_no_target_no_status() -> None:
    assert share(5, 10).status is None


def test_ratio_over_population() -> None:
    assert ratio(50, 1000).value == 0.05
    assert ratio(5, None).value is None
