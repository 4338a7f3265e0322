"""Weights and design-based estimates for a sampled monitoring wave (抽样调查).

A wave interviews a stratified sample of residents: every community of the wave's region is a
stratum, and its interviewees are a simple random sample of its residents. An interview first
weighs N_c / n_c (the community's residents over its interviews); the weights are then adjusted
to what is known of the region's population, either raked to the age-band totals, the sex
totals and the community totals together, or post-stratified to the joint age-band × sex
cells. The committee's figures are the weighted means with 95% design-based intervals.

Variance: Taylor linearisation over the design: communities are the strata, interviews the
units, drawn with replacement (a few interviews per thousand residents make the finite
population correction negligible, and leaving it out errs towards wider intervals). The
linearisation credits the adjustment: svy records the raking or post-stratification on the
design and takes each margin's cell means out of the linearised scores (the residual method of
Deville and Särndal, as R's survey package does after rake() and postStratify()), so an interval
knows that the age, sex and community totals are not estimated but given. We prefer it to a
stratified jackknife because the community totals are a raking margin: a delete-one replicate
cannot drop a community's only interview, or an age band's, without leaving residents nobody
speaks for, so the jackknife would refuse exactly the thin waves that most need an honest
interval. Where every community and every age band, sex or cell has two interviews,
``replicates="jackknife"`` gives the stratified jackknife instead, created before the adjustment
so that every replicate is adjusted the same way; on such samples the two agree closely.

A community with a single interview is a stratum whose variance cannot be estimated from within;
raked to its own total, its interview would even be fitted exactly and add nothing to the
variance. For the variance only, such a community is merged with a neighbour (collapsed strata):
of the communities sharing its most local area (its street before its district), the one with
the fewest interviews beyond one, and the raking's community classes follow the merge. Its
interview is then compared with its neighbour's, and differences between the two communities
count as sampling variance, which errs towards wider intervals. The weights still meet every
community's own total.

svy and polars are imported inside the functions that use them, so importing this module costs
a web worker nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from webapp.errors import DomainError
from webapp.stats.figures import Figure

if TYPE_CHECKING:
    import polars as pl
    import svy

Method = Literal["rake", "poststratify"]
Replicates = Literal["jackknife"] | None
#: a group of one margin: a community, age band or sex, or an (age band, sex) cell
Key = str | tuple[str, str]

#: an area's figures are shown only when both rest on at least this many effective interviews
MIN_EFFECTIVE_N = 30
#: how far apart (relative) the age-sex table and the communities' populations may be
MARGIN_TOLERANCE = 0.01
#: raking stops when every margin is met to this relative error
RAKE_TOLERANCE = 1e-10
RAKE_MAX_ITERATIONS = 1000
#: 95% intervals
ALPHA = 0.05

#: the margins each method adjusts to; "community" is checked for both, as the strata
_MARGINS: dict[str, tuple[str, ...]] = {
    "rake": ("community", "age_band", "sex"),
    "poststratify": ("community", "cell"),
}


@dataclass(frozen=True)
class Interview:
    """One completed, accepted interview of a wave."""

    #: community code, e.g. "BJ010101": the design's stratum
    community: str
    #: the larger regions it lies in, by level: {"street": "BJ0101", "district": "BJ01"}
    areas: Mapping[str, str]
    #: e.g. "15-29" or "60+"; the labels are the population table's
    age_band: str
    #: "female" or "male"
    sex: str
    #: share of the survey's questions answered right (or the composite index), in [0, 1]
    score: float
    passed: bool
    #: score per dimension or topic, e.g. {"dimension:escape": 1.0, "topic:e-bikes": 0.0}
    parts: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        scores = [self.score, *self.parts.values()]
        if not all(0.0 <= value <= 1.0 for value in scores):
            raise ValueError(f"interview scores lie in [0, 1], got {scores}")


@dataclass(frozen=True)
class Population:
    """What is known of the wave region's residents (常住人口)."""

    #: residents per sampled community
    communities: Mapping[str, int]
    #: residents per (age_band, sex) cell, for the whole wave region
    margins: Mapping[tuple[str, str], float]


class WeightingError(DomainError):
    """The interviews cannot be weighted to these population figures; ``groups`` says where."""

    code = "survey_not_converged"

    def __init__(self, code: str, groups: Sequence[str] = ()) -> None:
        super().__init__(code)
        self.groups = tuple(groups)

    def details(self, user: Any) -> dict[str, Any]:
        return {"groups": list(self.groups)} if self.groups else {}


@dataclass(frozen=True)
class Estimate:
    """A weighted mean or share with its 95% design-based interval."""

    value: float | None
    low: float | None
    high: float | None
    se: float | None
    #: interviews the estimate rests on
    n: int
    #: n / deff: the simple random sample that would be as precise
    n_effective: float | None
    #: variance under the design over the variance of a simple random sample of the same n
    deff: float | None

    def figure(self, target: float | None = None) -> Figure:
        """The dashboard's figure: value, interviews and interval (a weighted share has no plain count)."""
        return Figure(self.value, self.n, self.low, self.high, None, target)


@dataclass(frozen=True)
class WaveEstimates:
    #: the awareness rate 知晓率: weighted mean score
    awareness: Estimate
    #: the pass share 达标率: weighted share of interviews passed
    pass_share: Estimate
    #: 1 + CV² of the weights: what weighting alone costs in precision
    kish_deff: float
    #: (level, code) → (awareness, pass share), only for areas both of whose figures rest on MIN_EFFECTIVE_N
    by_area: Mapping[tuple[str, str], tuple[Estimate, Estimate]]
    #: awareness per dimension or topic key of Interview.parts, among the interviews that have it
    parts: Mapping[str, Estimate]
    #: the plain mean score, for comparison
    unweighted: Estimate


def weigh(interviews: Sequence[Interview], population: Population, method: Method = "rake") -> list[float]:
    """The final weight of each interview, in order: positive, summing to the region's residents.

    :raises WeightingError: when the population figures cannot be met with these interviews.
    """
    sample, _ = _weighted_sample(interviews, population, method, jackknife=False, for_estimates=False)
    return [float(weight) for weight in _data(sample).get_column(_WEIGHT).to_list()]


def estimate_wave(
    interviews: Sequence[Interview],
    population: Population,
    method: Method = "rake",
    replicates: Replicates = None,
) -> WaveEstimates:
    """The wave's weighted figures: awareness, pass share, per area and per part.

    ``replicates=None`` gives linearised intervals; ``"jackknife"`` the stratified jackknife,
    which needs two interviews in every community and every level or cell adjusted to.

    :raises WeightingError: when the population figures cannot be met with these interviews,
        or the jackknife is asked of a wave too thin for it.
    """
    import svy

    jackknife = replicates == "jackknife"
    sample, layout = _weighted_sample(interviews, population, method, jackknife, for_estimates=True)
    by_area: dict[tuple[str, str], tuple[Estimate, Estimate]] = {}
    for column, level in layout.areas.items():
        awareness = _means(sample, "score", by=column, replicated=jackknife)
        passed = _means(sample, "passed", by=column, replicated=jackknife)
        by_area.update(
            ((level, str(code)), (awareness[code], passed[code]))
            for code in awareness
            if _enough(awareness[code]) and _enough(passed[code])
        )
    parts = {
        key: _means(sample, column, where=svy.col(f"has_{column}"), replicated=jackknife)[None]
        for column, key in layout.parts.items()
    }
    return WaveEstimates(
        awareness=_means(sample, "score", replicated=jackknife)[None],
        pass_share=_means(sample, "passed", replicated=jackknife)[None],
        kish_deff=float(sample.deff_w),  # type: ignore[arg-type]
        by_area=by_area,
        parts=parts,
        unweighted=_means(svy.Sample(_data(sample).select("score")), "score")[None],
    )


# ── the sample and its weights ──────────────────────────────────────────────────────────────

_WEIGHT = "weight"


@dataclass(frozen=True)
class _Layout:
    """Which frame column holds which area level and which part (their names are data)."""

    areas: dict[str, str]
    parts: dict[str, str]


def _weighted_sample(
    interviews: Sequence[Interview], population: Population, method: Method, jackknife: bool, *, for_estimates: bool
) -> tuple[svy.Sample, _Layout]:
    import svy

    if method not in _MARGINS:
        raise ValueError(f"unknown weighting method {method!r}")
    targets = _targets(interviews, population, method)
    if jackknife:
        _refuse_too_thin_for_jackknife(interviews, method)
        strata = {community: community for community in targets["community"]}
    else:
        strata = _variance_strata(interviews)
    frame, layout = _frame(interviews, population, strata)
    # "center" only ever meets a wave of one community with one interview, which has no interval
    sample = svy.Sample(frame, svy.Design(stratum="stratum", psu="interview", wgt="base_weight", singleton="center"))
    if jackknife:
        # before the adjustment, so that every replicate is raked or post-stratified as the weights are
        sample = sample.weighting.create_jk_wgts()
    try:
        sample = _adjusted(sample, targets, method, jackknife)
        if for_estimates and method == "rake" and any(code != stratum for code, stratum in strata.items()):
            sample = _raked_per_stratum(frame, sample, targets, strata)
    except svy.errors.WeightingError as error:
        if error.code == "CONVERGENCE_FAILED":
            raise WeightingError("survey_not_converged") from error
        raise
    return sample, layout


def _adjusted(sample: svy.Sample, targets: dict[str, dict[Any, float]], method: Method, jackknife: bool) -> svy.Sample:
    import svy

    if method == "poststratify":
        return sample.weighting.poststratify(controls=targets["cell"], cells=["age_band", "sex"], wgt_name=_WEIGHT)
    return sample.weighting.rake(
        controls={margin: targets[margin] for margin in _MARGINS["rake"]},
        wgt_name=_WEIGHT,
        tol=RAKE_TOLERANCE,
        max_iter=RAKE_MAX_ITERATIONS,
        # svy 0.35 hands replicate weights to its raking kernel in column-major order, which rakes
        # them wrongly (their margins are then far off); its scoped path copies them in the order
        # the kernel expects, so the replicates are scoped to every interview
        where=svy.col("interview") >= 0 if jackknife else None,
    )


def _raked_per_stratum(
    frame: pl.DataFrame, raked: svy.Sample, targets: dict[str, dict[Any, float]], strata: Mapping[str, str]
) -> svy.Sample:
    """The raked weights, recorded as raked to the variance strata's totals instead of the communities'.

    Raked to its own community's total, a lone interview is fitted exactly, and the linearisation
    (which sweeps the recorded margins out of the scores) would see no variance in it at all. The
    weights meet the merged strata's totals as they are, so raking them again changes nothing
    but the record: the lone interview is now compared with its neighbours'.
    """
    import svy

    totals: dict[Any, float] = {}
    for community, residents in targets["community"].items():
        totals[strata[community]] = totals.get(strata[community], 0.0) + residents
    data = frame.with_columns(_data(raked).get_column(_WEIGHT).alias("raked_weight"))
    again = svy.Sample(data, svy.Design(stratum="stratum", psu="interview", wgt="raked_weight", singleton="center"))
    return again.weighting.rake(
        controls={"age_band": targets["age_band"], "sex": targets["sex"], "stratum": totals},
        wgt_name=_WEIGHT,
        tol=RAKE_TOLERANCE,
        max_iter=RAKE_MAX_ITERATIONS,
    )


def _variance_strata(interviews: Sequence[Interview]) -> dict[str, str]:
    """Each community's variance stratum: its own, or for a community of one interview a neighbour's."""
    counts = Counter(interview.community for interview in interviews)
    areas = {interview.community: interview.areas for interview in reversed(interviews)}
    strata = {community: community for community in counts}
    for lone in sorted(community for community, n in counts.items() if n == 1):
        strata[lone] = _neighbour(lone, counts, areas)
    return strata


def _neighbour(lone: str, counts: Mapping[str, int], areas: Mapping[str, Mapping[str, str]]) -> str:
    """The stratum a community of one interview joins.

    Among the communities sharing its most local area (the one fewest others share; the whole
    region when none does), the one with the fewest interviews beyond one; when all of them have
    one, they all meet in the first by code.
    """
    others = [community for community in counts if community != lone]
    shared = [[c for c in others if areas[c].get(level) == code] for level, code in areas[lone].items()]
    nearest = min((group for group in shared if group), key=len, default=others)
    several = [community for community in nearest if counts[community] > 1]
    if several:
        return min(several, key=lambda community: (counts[community], community))
    return min([*nearest, lone])


def _data(sample: svy.Sample) -> pl.DataFrame:
    import polars as pl

    data = sample.data
    return data.collect() if isinstance(data, pl.LazyFrame) else data


def _frame(
    interviews: Sequence[Interview], population: Population, strata: Mapping[str, str]
) -> tuple[pl.DataFrame, _Layout]:
    import polars as pl

    interviewed = Counter(interview.community for interview in interviews)
    columns: dict[str, list[Any]] = {
        "interview": list(range(len(interviews))),
        "community": [interview.community for interview in interviews],
        "stratum": [strata[interview.community] for interview in interviews],
        "age_band": [interview.age_band for interview in interviews],
        "sex": [interview.sex for interview in interviews],
        "score": [float(interview.score) for interview in interviews],
        "passed": [1.0 if interview.passed else 0.0 for interview in interviews],
        "base_weight": [population.communities[i.community] / interviewed[i.community] for i in interviews],
    }
    levels = sorted({level for interview in interviews for level in interview.areas})
    keys = sorted({key for interview in interviews for key in interview.parts})
    layout = _Layout(
        areas={f"area_{k}": level for k, level in enumerate(levels)},
        parts={f"part_{k}": key for k, key in enumerate(keys)},
    )
    for column, level in layout.areas.items():
        columns[column] = [interview.areas.get(level) for interview in interviews]
    for column, key in layout.parts.items():
        # outside its interviews a part is out of the domain; the 0.0 is never read
        columns[column] = [float(interview.parts.get(key, 0.0)) for interview in interviews]
        columns[f"has_{column}"] = [key in interview.parts for interview in interviews]
    return pl.DataFrame(columns, schema_overrides=dict.fromkeys(layout.areas, pl.String)), layout


# ── what the population figures allow ───────────────────────────────────────────────────────


def _targets(interviews: Sequence[Interview], population: Population, method: Method) -> dict[str, dict[Any, float]]:
    """The totals each margin is adjusted to, once the interviews are shown to be able to meet them."""
    if not interviews:
        raise WeightingError("survey_no_interviews")
    _refuse_invalid_population(population)
    _refuse_groups_out_of_reach(interviews, _margin_totals(population, 1.0), _MARGINS[method])
    return _margin_totals(population, _scale_to_communities(population))


def _refuse_invalid_population(population: Population) -> None:
    residents = list(population.communities.values())
    counts = list(population.margins.values())
    if (
        not all(math.isfinite(value) and value > 0 for value in residents)
        or not all(math.isfinite(value) and value >= 0 for value in counts)
        or sum(counts) <= 0
    ):
        raise WeightingError("survey_population_invalid")


def _refuse_groups_out_of_reach(
    interviews: Sequence[Interview], targets: dict[str, dict[Any, float]], margins: Sequence[str]
) -> None:
    """Interviews the figures have no residents for, and residents no interview can speak for."""
    met = {margin: {_key(interview, margin) for interview in interviews} for margin in margins}
    unknown = [_group(m, key) for m in margins for key in sorted(met[m] - targets[m].keys(), key=str)]
    if unknown:
        raise WeightingError("survey_group_unknown", unknown)
    uninterviewed = [_group(m, key) for m in margins for key in sorted(targets[m].keys() - met[m], key=str)]
    if uninterviewed:
        raise WeightingError("survey_group_not_interviewed", uninterviewed)


def _scale_to_communities(population: Population) -> float:
    """What brings the age-sex table to the communities' total, when the two agree to MARGIN_TOLERANCE.

    The table and the community populations come from different counts (a census or register
    extract against the communities' own resident figures, usually of different dates), so they
    seldom add up to the very same resident. Raking cannot meet margins of different totals,
    and post-stratifying to the table would move the total away from the communities'. Within
    1% the difference is counting noise, so the communities' total, the frame the sample was
    drawn from, is kept and the table only lends its composition; beyond it the table is
    probably of another area or year.
    """
    communities_total = float(sum(population.communities.values()))
    margins_total = float(sum(population.margins.values()))
    if abs(margins_total - communities_total) > MARGIN_TOLERANCE * communities_total:
        raise WeightingError("survey_margins_disagree")
    return communities_total / margins_total


def _margin_totals(population: Population, scale: float) -> dict[str, dict[Any, float]]:
    """Residents per level of each margin; the age-sex table scaled by ``scale``, empty levels left out."""
    cells = {cell: residents * scale for cell, residents in population.margins.items() if residents > 0}
    return {
        "community": {code: float(residents) for code, residents in population.communities.items()},
        "cell": cells,
        "age_band": _summed(cells, lambda cell: cell[0]),
        "sex": _summed(cells, lambda cell: cell[1]),
    }


def _summed(cells: Mapping[tuple[str, str], float], level: Any) -> dict[str, float]:
    totals: dict[str, float] = {}
    for cell, residents in cells.items():
        totals[level(cell)] = totals.get(level(cell), 0.0) + residents
    return totals


def _refuse_too_thin_for_jackknife(interviews: Sequence[Interview], method: Method) -> None:
    # deleting the only interview of a group would leave its residents to nobody in that replicate
    counts = {margin: Counter(_key(interview, margin) for interview in interviews) for margin in _MARGINS[method]}
    thin = [_group(margin, key) for margin, count in counts.items() for key, n in count.items() if n < 2]
    if thin:
        raise WeightingError("survey_jackknife_too_thin", thin)


def _key(interview: Interview, margin: str) -> Key:
    if margin == "cell":
        return (interview.age_band, interview.sex)
    return str(getattr(interview, margin))


def _group(margin: str, key: Any) -> str:
    if margin == "cell":
        return f"age_band={key[0]}, sex={key[1]}"
    return f"{margin}={key}"


# ── estimates ───────────────────────────────────────────────────────────────────────────────


def _means(
    sample: svy.Sample, y: str, *, by: str | None = None, where: Any = None, replicated: bool = False
) -> dict[Any, Estimate]:
    """Weighted means of ``y`` on the full design, per level of ``by`` (or under the key None).

    The design effect comes from the linearised estimate; with replicates the jackknife's
    variance replaces the linearised one in it, against the same simple-random-sample variance.
    """
    linearised = _rows(sample, y, by=by, where=where, deff=True)
    if not replicated:
        return {key: _estimate(row) for key, row in linearised.items()}
    jackknifed = _rows(sample, y, by=by, where=where, deff=False, method="replication")
    return {key: _estimate(row, jackknifed[key]) for key, row in linearised.items()}


def _rows(
    sample: svy.Sample, y: str, *, by: str | None, where: Any, deff: bool, method: str | None = None
) -> dict[Any, dict[str, Any]]:
    from svy.errors import MethodError

    # one column per call: svy 0.35's batched form, mean([...]), leaves the adjustment uncredited
    options: dict[str, Any] = {"by": by, "where": where, "method": method, "alpha": ALPHA, "drop_nulls": by is not None}
    try:
        result = sample.estimation.mean(y, deff="wr" if deff else None, **options)
    except MethodError as error:
        if error.code != "DEFF_NOT_COMPUTABLE":
            raise
        # svy refuses when no row has a design effect, which here means nobody's score differs
        # (no variance to compare): the estimates stand, without a design effect
        result = sample.estimation.mean(y, **options)
    rows = result.to_polars().iter_rows(named=True)  # type: ignore[union-attr]
    return {(row[by] if by else None): row for row in rows}


def _estimate(row: Mapping[str, Any], replicate_row: Mapping[str, Any] | None = None) -> Estimate:
    se, low, high = _number(row["se"]), _number(row["lci"]), _number(row["uci"])
    deff = _number(row.get("deff"))
    if replicate_row is not None:
        jackknife_se = _number(replicate_row["se"])
        deff = deff * (jackknife_se / se) ** 2 if deff is not None and se and jackknife_se is not None else None
        se, low, high = jackknife_se, _number(replicate_row["lci"]), _number(replicate_row["uci"])
    deff = deff if deff is not None and deff > 0 else None
    n = int(row["n"])
    return Estimate(
        value=_share(_number(row["est"])),
        low=_share(low),
        high=_share(high),
        se=se,
        n=n,
        n_effective=n / deff if deff else None,
        deff=deff,
    )


def _enough(estimate: Estimate) -> bool:
    # an estimate with no spread has no design effect; never count more than the interviews made
    effective = estimate.n if estimate.n_effective is None else min(estimate.n, estimate.n_effective)
    return effective >= MIN_EFFECTIVE_N


def _number(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _share(value: float | None) -> float | None:
    return None if value is None else min(1.0, max(0.0, value))
