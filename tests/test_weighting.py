"""Weights and design-based estimates of a sampled monitoring wave, against numbers known beforehand."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict
from itertools import product
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.errors import DomainError
from webapp.monitoring.weighting import (
    MIN_EFFECTIVE_N,
    Estimate,
    Interview,
    Population,
    WeightingError,
    estimate_wave,
    weigh,
)
from webapp.stats.figures import MET, NOT_MET

AGE_BANDS = ("15-29", "30-44", "45-59", "60+")


def interview(
    community: str = "C1",
    age_band: str = "30-44",
    sex: str = "female",
    score: float = 0.5,
    passed: bool = False,
    street: str = "S1",
    parts: dict[str, float] | None = None,
) -> Interview:
    return Interview(community, {"street": street, "district": "D1"}, age_band, sex, score, passed, parts or {})


def totals(interviews: list[Interview], weights: list[float], key) -> dict:
    summed: dict = defaultdict(float)
    for one, weight in zip(interviews, weights, strict=True):
        summed[key(one)] += weight
    return dict(summed)


def estimates_of(wave) -> list[Estimate]:
    by_area = [estimate for pair in wave.by_area.values() for estimate in pair]
    return [wave.awareness, wave.pass_share, wave.unweighted, *wave.parts.values(), *by_area]


# ── a published raking example ──────────────────────────────────────────────────────────────

#: the worked example of Wikipedia's "Iterative proportional fitting" page: a 4 × 4 seed table
#: with row targets 150, 300, 400, 150 and column targets 200, 300, 400, 100
SEED = ((40, 30, 20, 10), (35, 50, 100, 75), (30, 80, 70, 120), (20, 30, 40, 50))
ROW_TARGETS = (150, 300, 400, 150)
COLUMN_TARGETS = (200, 300, 400, 100)
#: its fitted table as printed (6 significant digits) in the `ipf` docstring of
#: vankesteren/ProportionalFitting.jl, src/ipf.jl
PUBLISHED_FIT = (
    ("64.5585", "46.2325", "35.3843", "3.82473"),
    ("49.9679", "68.1594", "156.499", "25.3742"),
    ("56.7219", "144.428", "145.082", "53.7673"),
    ("28.7516", "41.18", "63.0347", "17.0337"),
)


def test_raking_reproduces_the_published_iterative_proportional_fitting_example() -> None:
    """Wikipedia's worked IPF example, raked as a wave: rows are age bands, columns communities.

    Each seed cell holds that many interviews; the base weights N_c / n_c only rescale the
    columns, which does not change the fit. The fitted cell totals are compared with the table
    printed in ProportionalFitting.jl's documentation (github.com/vankesteren/ProportionalFitting.jl,
    src/ipf.jl, the `ipf` docstring example), to its six significant digits.
    """
    communities = [f"C{j + 1}" for j in range(4)]
    interviews = [
        interview(communities[j], AGE_BANDS[i])
        for i, row in enumerate(SEED)
        for j, count in enumerate(row)
        for _ in range(count)
    ]
    population = Population(
        communities=dict(zip(communities, COLUMN_TARGETS, strict=True)),
        margins={(band, "female"): target for band, target in zip(AGE_BANDS, ROW_TARGETS, strict=True)},
    )
    fitted = totals(interviews, weigh(interviews, population), lambda one: (one.age_band, one.community))
    table = [[f"{fitted[(band, community)]:.6g}" for community in communities] for band in AGE_BANDS]
    assert table == [list(row) for row in PUBLISHED_FIT]


# ── samples whose answer is known ───────────────────────────────────────────────────────────


@pytest.mark.parametrize("method", ["rake", "poststratify"])
def test_a_sample_that_matches_its_population_keeps_equal_weights(method: str) -> None:
    # two communities, every age band and sex equally often, and the same scores in each cell
    scores = (0.2, 0.5, 0.8, 1.0)
    interviews = [
        interview(community, band, sex, score, score >= 0.8)
        for community, band, sex, score in product(("C1", "C2"), AGE_BANDS, ("female", "male"), scores)
    ]
    # margins that total the sample size: every interview stands for one resident
    population = Population({"C1": 32, "C2": 32}, {(band, sex): 8 for band in AGE_BANDS for sex in ("female", "male")})

    assert weigh(interviews, population, method) == pytest.approx([1.0] * len(interviews), rel=1e-9)
    wave = estimate_wave(interviews, population, method)
    assert wave.awareness.value == pytest.approx(wave.unweighted.value, abs=1e-12)
    assert wave.awareness.value == pytest.approx(sum(scores) / len(scores), abs=1e-12)
    assert wave.kish_deff == pytest.approx(1.0, abs=1e-9)
    assert wave.awareness.deff == pytest.approx(1.0, abs=0.05)


def test_post_stratification_equals_the_hand_computation() -> None:
    # 600 young and 400 old residents; the young score 1.0 and 0.5, the old 0.0, 0.5, 1.0, 0.5
    young = [interview("C1", "15-29", score=1.0, passed=True), interview("C1", "15-29", score=0.5)]
    old = [interview("C1", "60+", score=s, passed=s == 1.0) for s in (0.0, 0.5, 1.0, 0.5)]
    population = Population({"C1": 1000}, {("15-29", "female"): 600, ("60+", "female"): 400})

    assert weigh(young + old, population, "poststratify") == pytest.approx([300, 300, 100, 100, 100, 100])
    wave = estimate_wave(young + old, population, "poststratify")
    # 0.6 × 0.75 + 0.4 × 0.5, and 0.6 × 1/2 + 0.4 × 1/4 passed
    assert wave.awareness.value == pytest.approx(0.65, abs=1e-12)
    assert wave.pass_share.value == pytest.approx(0.40, abs=1e-12)
    assert wave.unweighted.value == pytest.approx(3.5 / 6, abs=1e-12)


def skewed_wave() -> tuple[list[Interview], Population, float]:
    """Door-to-door interviewing: older women are home, and they know less about e-bike fires."""
    # of 24 interviews per community, 10 are women of 60 and over (an eighth of the residents)
    per_community = {(band, sex): 2 for band in AGE_BANDS for sex in ("female", "male")} | {("60+", "female"): 10}
    # scores spread within every group far more than the groups differ, as knowledge scores do
    mean_of = {cell: 0.5 if cell == ("60+", "female") else 0.75 for cell in per_community}
    interviews = [
        interview(community, band, sex, score, score >= 0.6)
        for community in ("C1", "C2", "C3")
        for (band, sex), count in per_community.items()
        for k in range(count)
        for score in [mean_of[(band, sex)] + (0.25, -0.25)[k % 2]]
    ]
    population = Population({"C1": 1000, "C2": 1000, "C3": 1000}, dict.fromkeys(per_community, 375))
    # in the population every cell is an eighth: the mean the weights should lead towards
    truth = sum(mean_of.values()) / len(mean_of)
    return interviews, population, truth


@pytest.mark.parametrize("method", ["rake", "poststratify"])
def test_a_skewed_sample_is_moved_towards_the_population_and_costs_precision(method: str) -> None:
    interviews, population, truth = skewed_wave()
    wave = estimate_wave(interviews, population, method)

    # too many older women pull the plain mean down; the weights lift it towards the truth
    assert wave.unweighted.value is not None and wave.awareness.value is not None
    assert wave.awareness.value > wave.unweighted.value + 0.05
    assert abs(wave.awareness.value - truth) < abs(wave.unweighted.value - truth) / 2
    # the weights spread, so 72 interviews are worth fewer than 72
    assert wave.kish_deff > 1.2
    assert wave.awareness.deff is not None and wave.awareness.deff > 1
    assert wave.awareness.n_effective is not None and wave.awareness.n_effective < wave.awareness.n == 72


def test_the_figure_is_judged_against_the_plan_target() -> None:
    interviews, population, _ = skewed_wave()
    wave = estimate_wave(interviews, population)
    figure = wave.awareness.figure(0.9)
    assert (figure.value, figure.n, figure.low, figure.high) == (
        wave.awareness.value,
        72,
        wave.awareness.low,
        wave.awareness.high,
    )
    assert figure.status == NOT_MET  # the whole interval lies below 90%
    assert wave.awareness.figure(0.5).status == MET


# ── for any sample that can meet its margins ────────────────────────────────────────────────


@st.composite
def waves(draw: st.DrawFn) -> tuple[list[Interview], Population]:
    """A small wave whose every population cell (community × age band × sex) has an interview.

    That is more than every margin level having one, and it is what guarantees that positive
    weights meeting all margins exist; waves where none do are refused (see the refusals below).
    """
    communities = [f"C{k}" for k in range(draw(st.integers(1, 4)))]
    bands = AGE_BANDS[: draw(st.integers(1, 3))]
    sexes = ("female", "male")[: draw(st.integers(1, 2))]
    cells = list(product(communities, bands, sexes))
    residents = {cell: draw(st.integers(20, 2000)) for cell in cells}
    score = st.integers(0, 10).map(lambda tenths: tenths / 10)
    interviews = [
        interview(
            community,
            band,
            sex,
            (value := draw(score)),
            value >= 0.6,
            street=f"S{int(community[1:]) % 2}",
            parts={"topic:e-bikes": draw(score)} if draw(st.booleans()) else {},
        )
        for community, band, sex in cells
        for _ in range(draw(st.integers(1, 3)))
    ]
    population = Population(
        communities={c: sum(n for (community, _, _), n in residents.items() if community == c) for c in communities},
        margins={
            (band, sex): sum(n for (_, b, s), n in residents.items() if (b, s) == (band, sex))
            for band in bands
            for sex in sexes
        },
    )
    return interviews, population


@settings(max_examples=30, deadline=None)
@given(waves())
def test_raked_weights_meet_every_margin_and_every_estimate_is_a_share(
    wave: tuple[list[Interview], Population],
) -> None:
    interviews, population = wave
    weights = weigh(interviews, population)

    assert all(weight > 0 for weight in weights)
    ages = {band: 0.0 for band, _ in population.margins}
    sexes = {sex: 0.0 for _, sex in population.margins}
    for (band, sex), residents in population.margins.items():
        ages[band] += residents
        sexes[sex] += residents
    for key, expected in (
        (lambda one: one.community, population.communities),
        (lambda one: one.age_band, ages),
        (lambda one: one.sex, sexes),
    ):
        met = totals(interviews, weights, key)
        assert met == pytest.approx(expected, rel=1e-8)

    for method in ("rake", "poststratify"):
        wave_estimates = estimate_wave(interviews, population, method)
        if len(interviews) > 1:  # one interview has no interval
            assert wave_estimates.awareness.low is not None and wave_estimates.pass_share.high is not None
        for estimate in estimates_of(wave_estimates):
            assert estimate.value is not None and 0.0 <= estimate.value <= 1.0
            if estimate.low is not None and estimate.high is not None:
                assert 0.0 <= estimate.low <= estimate.value <= estimate.high <= 1.0


@settings(max_examples=20, deadline=None)
@given(waves())
def test_post_stratified_weights_meet_every_cell(wave: tuple[list[Interview], Population]) -> None:
    interviews, population = wave
    weights = weigh(interviews, population, "poststratify")
    assert all(weight > 0 for weight in weights)
    met = totals(interviews, weights, lambda one: (one.age_band, one.sex))
    assert met == pytest.approx(dict(population.margins), rel=1e-8)


# ── refusals ────────────────────────────────────────────────────────────────────────────────


def small_wave() -> tuple[list[Interview], Population]:
    interviews = [
        interview(community, band, sex, score, score > 0.5)
        for community in ("C1", "C2")
        for band in ("15-29", "60+")
        for sex, score in (("female", 0.4), ("male", 0.8))
    ]
    margins = {(band, sex): 250.0 for band in ("15-29", "60+") for sex in ("female", "male")}
    return interviews, Population({"C1": 500, "C2": 500}, margins)


def refusal(interviews: list[Interview], population: Population, method: str = "rake", **options) -> WeightingError:
    with pytest.raises(WeightingError) as caught:
        estimate_wave(interviews, population, method, **options)
    assert isinstance(caught.value, DomainError) and caught.value.status == 422
    return caught.value


def test_no_interviews_are_refused() -> None:
    _, population = small_wave()
    assert refusal([], population).code == "survey_no_interviews"


@pytest.mark.parametrize("method", ["rake", "poststratify"])
def test_residents_nobody_was_interviewed_for_are_refused(method: str) -> None:
    interviews, population = small_wave()
    margins = {**population.margins, ("45-59", "female"): 100.0, ("15-29", "female"): 150.0}
    error = refusal(interviews, Population(population.communities, margins), method)
    assert error.code == "survey_group_not_interviewed"
    assert error.groups == (("age_band=45-59",) if method == "rake" else ("age_band=45-59, sex=female",))
    assert error.details(None) == {"groups": list(error.groups)}


def test_a_cell_without_interviews_is_refused_by_post_stratification_but_not_by_raking() -> None:
    interviews, _ = small_wave()
    # nobody old and male was interviewed; raking needs only the age and sex totals
    interviews = [one for one in interviews if (one.age_band, one.sex) != ("60+", "male")]
    margins = {("15-29", "female"): 300, ("15-29", "male"): 200, ("60+", "female"): 300, ("60+", "male"): 200}
    population = Population({"C1": 500, "C2": 500}, margins)
    error = refusal(interviews, population, "poststratify")
    assert (error.code, error.groups) == ("survey_group_not_interviewed", ("age_band=60+, sex=male",))
    weights = weigh(interviews, population, "rake")
    assert totals(interviews, weights, lambda one: one.sex) == pytest.approx({"female": 600, "male": 400})


def test_a_community_without_interviews_is_refused() -> None:
    interviews, population = small_wave()
    error = refusal(interviews, Population({**population.communities, "C3": 100}, population.margins))
    assert (error.code, error.groups) == ("survey_group_not_interviewed", ("community=C3",))


@pytest.mark.parametrize(
    ("stranger", "group"),
    [
        (interview("C1", "90+", "female"), "age_band=90+"),
        (interview("C9", "60+", "female"), "community=C9"),
        (interview("C1", "60+", "unknown"), "sex=unknown"),
    ],
)
def test_interviews_the_population_figures_do_not_have_are_refused(stranger: Interview, group: str) -> None:
    interviews, population = small_wave()
    error = refusal([*interviews, stranger], population)
    assert (error.code, error.groups) == ("survey_group_unknown", (group,))


def test_margins_that_disagree_with_the_communities_are_refused_beyond_one_percent() -> None:
    interviews, population = small_wave()
    five_percent_more = {cell: residents * 1.05 for cell, residents in population.margins.items()}
    assert refusal(interviews, Population(population.communities, five_percent_more)).code == "survey_margins_disagree"

    # half a percent is counting noise: the communities' total stands
    slightly_more = {cell: residents * 1.005 for cell, residents in population.margins.items()}
    for method in ("rake", "poststratify"):
        weights = weigh(interviews, Population(population.communities, slightly_more), method)
        assert sum(weights) == pytest.approx(1000, rel=1e-9)


def test_margins_no_weights_can_meet_are_refused() -> None:
    # C1 interviewed only men, yet its 800 residents outnumber the region's 500 men
    interviews = [interview("C1", sex="male"), interview("C1", sex="male")]
    interviews += [interview("C2", sex="female"), interview("C2", sex="male")]
    population = Population({"C1": 800, "C2": 200}, {("30-44", "female"): 500, ("30-44", "male"): 500})
    assert refusal(interviews, population).code == "survey_not_converged"


def test_negative_populations_are_refused() -> None:
    interviews, population = small_wave()
    assert refusal(interviews, Population({"C1": 500, "C2": -1}, population.margins)).code == (
        "survey_population_invalid"
    )


def test_a_community_with_one_interview_widens_the_interval_and_is_refused_by_the_jackknife() -> None:
    interviews, population = small_wave()
    # in the small wave sex alone decides the score, so the raking leaves no other variance; the
    # lone interview of C3, raked to C3's own total, would be fitted exactly and count for nothing
    interviews = [*interviews, interview("C3", "60+", "male", 1.0, True)]
    margins = {cell: residents * 1.1 for cell, residents in population.margins.items()}
    population = Population({**population.communities, "C3": 100}, margins)

    awareness = estimate_wave(interviews, population).awareness
    weights = weigh(interviews, population)
    assert weights[-1] == pytest.approx(100)
    assert awareness.value == pytest.approx(
        sum(w * one.score for w, one in zip(weights, interviews, strict=True)) / sum(weights)
    )
    # merged with a neighbour for the variance, C3's interview is compared with theirs
    assert awareness.se is not None and awareness.se > 0.01
    assert awareness.low is not None and awareness.high is not None
    assert awareness.low < awareness.value < awareness.high
    error = refusal(interviews, population, replicates="jackknife")
    assert (error.code, error.groups) == ("survey_jackknife_too_thin", ("community=C3",))


# ── areas, parts and the variance ───────────────────────────────────────────────────────────


def two_street_wave(big: int, small: int) -> tuple[list[Interview], Population]:
    interviews = []
    for community, street, count in (("C1", "S1", big), ("C2", "S2", small)):
        for k in range(count):
            band, sex = AGE_BANDS[k % 4], ("female", "male")[k // 4 % 2]
            score = (0.3, 0.6, 0.9)[k % 3]
            interviews.append(interview(community, band, sex, score, score > 0.5, street, {"dimension:escape": score}))
    margins = {(band, sex): 250.0 for band in AGE_BANDS for sex in ("female", "male")}
    return interviews, Population({"C1": 1000, "C2": 1000}, margins)


def test_areas_are_shown_only_where_the_effective_sample_allows() -> None:
    interviews, population = two_street_wave(big=48, small=16)
    wave = estimate_wave(interviews, population)

    assert set(wave.by_area) == {("street", "S1"), ("district", "D1")}
    awareness, pass_share = wave.by_area[("street", "S1")]
    assert awareness.n == pass_share.n == 48
    assert min(awareness.n_effective or 0, pass_share.n_effective or 0) >= MIN_EFFECTIVE_N
    assert wave.by_area[("district", "D1")][0].value == pytest.approx(wave.awareness.value)
    # every interview answered the escape dimension, so its part is the awareness itself
    assert wave.parts["dimension:escape"].value == pytest.approx(wave.awareness.value)


def test_a_part_is_estimated_among_those_who_answered_it() -> None:
    interviews, population = small_wave()
    interviews = [
        interview(one.community, one.age_band, one.sex, one.score, parts={"topic:e-bikes": 1.0} if k % 2 else {})
        for k, one in enumerate(interviews)
    ]
    part = estimate_wave(interviews, population).parts["topic:e-bikes"]
    assert (part.value, part.n) == (pytest.approx(1.0), 4)


@pytest.mark.parametrize("method", ["rake", "poststratify"])
def test_the_jackknife_agrees_with_the_linearised_intervals(method: str) -> None:
    interviews = [
        interview(f"C{c}", AGE_BANDS[k % 4], ("female", "male")[(k + c) % 2], ((k * 7 + c) % 11) / 10, k % 3 > 0)
        for c in range(8)
        for k in range(12 + c % 3)
    ]
    margins = {(band, sex): 1000.0 for band in AGE_BANDS for sex in ("female", "male")}
    population = Population({f"C{c}": 1000 for c in range(8)}, margins)

    linearised = estimate_wave(interviews, population, method)
    jackknife = estimate_wave(interviews, population, method, replicates="jackknife")
    for ours, theirs in ((linearised.awareness, jackknife.awareness), (linearised.pass_share, jackknife.pass_share)):
        assert ours.value == pytest.approx(theirs.value)
        assert ours.se == pytest.approx(theirs.se, rel=0.1)
        assert ours.deff == pytest.approx(theirs.deff, rel=0.2)


def test_a_city_wave_estimates_quickly_and_imports_nothing_until_asked() -> None:
    program = "import sys, webapp.monitoring.weighting; print('svy' in sys.modules, 'polars' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    imported = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, check=True)
    assert imported.stdout.split() == ["False", "False"]

    # about 600 interviews in 40 communities of 8 streets
    interviews = [
        interview(
            f"C{c:02d}",
            AGE_BANDS[k % 4],
            ("female", "male")[k % 7 % 2],
            ((k * 3 + c) % 11) / 10,
            k % 4 > 0,
            f"S{c // 5}",
        )
        for c in range(40)
        for k in range(12 + c % 7)
    ]
    margins = {(band, sex): 5000.0 for band in AGE_BANDS for sex in ("female", "male")}
    population = Population({f"C{c:02d}": 1000 for c in range(40)}, margins)
    estimate_wave(*small_wave())  # svy and polars loaded
    started = time.perf_counter()
    wave = estimate_wave(interviews, population)
    assert time.perf_counter() - started < 2.0
    assert len(interviews) > 550 and {level for level, _ in wave.by_area} == {"street", "district"}
