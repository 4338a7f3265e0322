"""Monitoring waves: margins, allocation, quotas, interviews and their quality flags."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask

from quizzes.library import Library
from webapp.accounts.models import User
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.monitoring import interviews as fieldwork
from webapp.monitoring import waves
from webapp.monitoring.allocation import SamplingUnit, cell_quotas, equal_per_street, largest_remainder, proportional
from webapp.monitoring.errors import InterviewHandedIn, InvitationUnknown, WaveClosed, WaveError
from webapp.monitoring.progress import wave_progress
from webapp.monitoring.quality import (
    INCOMPLETE,
    INTERVIEWER_PACE,
    STRAIGHT_LINING,
    TOO_FAST,
    QualityRules,
    Sitting,
    quality_flags,
)
from webapp.regions.margins import import_margins, margins_of
from webapp.regions.models import PopulationMargin, Region
from webapp.regions.service import RegionImportError

BANDS = ("15-29", "30-44", "45-59", "60+")


def margin_rows(code: str, populations: dict[tuple[str, str], int]) -> list[tuple[int, dict[str, str | None]]]:
    return [
        (line, {"region_code": code, "age_band": band, "sex": sex, "population": str(n)})
        for line, ((band, sex), n) in enumerate(populations.items(), start=2)
    ]


def even_margins(total: int) -> dict[tuple[str, str], int]:
    return {(band, sex): total // 8 for band in BANDS for sex in ("female", "male")}


@pytest.fixture()
def district(app: Flask, region: Callable[[str], Region]) -> Region:
    """DEMO01 with population margins that add up to its residents."""
    district = region("DEMO01")
    cells = even_margins(district.population or 0)
    import_margins(margin_rows("DEMO01", cells))
    db.session.commit()
    return district


def plan(**changes) -> waves.WavePlan:
    fields = {
        "title": "2026年度知晓率抽样调查",
        "period": "2026",
        "target_size": 120,
        "allocation": "proportional",
        "modes": ["door", "street", "phone", "online"],
    }
    return waves.WavePlan(**{**fields, **changes})


# --- allocation and quotas -----------------------------------------------------------


def test_largest_remainder_adds_up_and_stays_within_one_of_the_exact_share() -> None:
    assert largest_remainder(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    # the exact shares are 4.6, 2.9, 2.5: the whole parts 4, 2, 2, then the two largest fractions
    assert largest_remainder(10, {"a": 46, "b": 29, "c": 25}) == {"a": 5, "b": 3, "c": 2}
    rng = random.Random(3)
    for _ in range(200):
        sizes = {k: rng.randint(0, 10_000) for k in range(rng.randint(1, 30))}
        total = rng.randint(0, 2_000)
        shares = largest_remainder(total, sizes)
        whole = sum(sizes.values())
        assert sum(shares.values()) == (total if whole else 0)
        assert all(abs(shares[k] - total * sizes[k] / whole) < 1 for k in sizes if whole)


def test_equal_per_street_gives_each_street_the_same_and_proportional_inside() -> None:
    units = [SamplingUnit(1, 10, 9_000), SamplingUnit(2, 10, 1_000), SamplingUnit(3, 20, 500)]
    # exact shares 85.71, 9.52, 4.76: whole parts 85, 9, 4, then the two largest fractions (3, then 1)
    assert proportional(100, units) == {1: 86, 2: 9, 3: 5}
    assert equal_per_street(100, units) == {1: 45, 2: 5, 3: 50}


def test_cell_quotas_follow_the_margins() -> None:
    quotas = cell_quotas(600, {("15-29", "female"): 100, ("15-29", "male"): 100, ("60+", "female"): 400})
    assert quotas == {("15-29", "female"): 100, ("15-29", "male"): 100, ("60+", "female"): 400}


# --- population margins ------------------------------------------------------------


def test_margins_import_replaces_a_regions_table(district: Region) -> None:
    assert sum(margins_of(district).values()) == (district.population or 0) // 8 * 8
    imported = import_margins(margin_rows("DEMO01", {("0-59", "female"): 10, ("0-59", "male"): 12}))
    assert (imported.regions, imported.cells) == (1, 2)
    assert margins_of(district) == {("0-59", "female"): 10, ("0-59", "male"): 12}
    assert imported.warnings == [
        f"DEMO01: the margins add up to 22, the region's resident population is {district.population:,}"
    ]


def test_bad_margins_are_refused_with_their_lines_and_nothing_is_written(app: Flask) -> None:
    rows = [
        (2, {"region_code": "DEMO01", "age_band": "15-29", "sex": "female", "population": "100"}),
        (3, {"region_code": "DEMO01", "age_band": "15-29", "sex": "男", "population": "1e3"}),
        (4, {"region_code": "NOWHERE", "age_band": "30-44", "sex": "male", "population": "5"}),
        (5, {"region_code": "DEMO02", "age_band": "20-40", "sex": "female", "population": "5"}),
        (6, {"region_code": "DEMO02", "age_band": "40-60", "sex": "female", "population": "5"}),
        (7, {"region_code": "DEMO02", "age_band": "sixty", "sex": "female", "population": "5"}),
        (8, {"region_code": "DEMO02", "age_band": "20-40", "sex": "other", "population": "5"}),
    ]
    with pytest.raises(RegionImportError) as refused:
        import_margins(rows)
    problems = dict(refused.value.problems)
    assert problems[3] == "population must be a whole number"
    assert problems[4] == "no region has the code 'NOWHERE'"
    assert problems[7] == "age_band 'sixty' must look like 15-29 or 60+"
    assert problems[8] == "sex must be female or male (or 女 / 男)"
    reasons = [reason for _, reason in refused.value.problems]
    assert "DEMO01: age band 15-29 lacks male" in reasons
    assert "DEMO02: age bands 20-40 and 40-60 overlap" in reasons
    assert db.session.query(PopulationMargin).count() == 0


def test_margins_command_imports_a_file_and_refuses_a_bad_one_whole(app: Flask, tmp_path: Path) -> None:
    good = tmp_path / "margins.csv"
    good.write_text("region_code,age_band,sex,population\nDEMO02,0-49,女,100\nDEMO02,0-49,男,90\n", encoding="utf-8")
    result: Result = app.test_cli_runner().invoke(args=["regions", "margins", str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 2 cells of population margins for 1 region(s)" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("region_code,age_band,population\nDEMO02,0-49,100\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["regions", "margins", str(bad)])
    assert result.exit_code == 1
    assert "bad.csv:1: header lacks columns: sex" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("region_code,age_band,sex,population\nDEMO02,0-49,男,1\n".encode("gb18030"))
    result = app.test_cli_runner().invoke(args=["regions", "margins", str(latin)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    db.session.expire_all()
    assert sum(margins_of(Region.query.filter_by(code="DEMO02").one()).values()) == 190


# --- setting up a wave -----------------------------------------------------------


def test_a_wave_needs_margins_and_valid_fields(app: Flask, accounts: dict[str, User], region) -> None:
    with pytest.raises(WaveError) as refused:
        waves.create_wave(accounts["organizer"], region("DEMO01"), plan())
    assert refused.value.code == "margins_missing"
    with pytest.raises(WaveError) as refused:
        waves.create_wave(accounts["organizer"], region("DEMO01"), plan(target_size=5, modes=["fax"], period="2026-13"))
    assert refused.value.fields == {"period": "unknown_period", "target_size": "wave_size", "modes": "wave_modes"}


def test_a_wave_allocates_its_whole_sample_over_the_communities(district: Region, accounts: dict[str, User]) -> None:
    wave = waves.create_wave(accounts["organizer"], district, plan(target_size=300))
    db.session.commit()
    targets = {entry.community.code: entry.target for entry in wave.communities}
    assert sum(targets.values()) == wave.target_size == 300
    assert all(code.startswith("DEMO01") for code in targets)
    populations = {entry.community.code: entry.community.population for entry in wave.communities}
    largest = max(populations, key=lambda code: populations[code])
    smallest = min(populations, key=lambda code: populations[code])
    assert targets[largest] > targets[smallest]
    assert wave.modes == ["phone", "street", "door", "online"]


def test_a_chosen_allocation_names_communities_of_the_region(district: Region, accounts: dict[str, User]) -> None:
    chosen = waves.create_wave(
        accounts["organizer"], district, plan(allocation="chosen", chosen={"DEMO010101": 40, "DEMO010102": 20})
    )
    assert sorted((e.community.code, e.target) for e in chosen.communities) == [("DEMO010101", 40), ("DEMO010102", 20)]
    with pytest.raises(WaveError) as refused:
        waves.create_wave(accounts["organizer"], district, plan(allocation="chosen", chosen={"DEMO020101": 40}))
    assert refused.value.fields == {"chosen": "chosen_allocation"}


# --- interviews ------------------------------------------------------------------


@pytest.fixture()
def wave(district: Region, accounts: dict[str, User]):
    wave = waves.create_wave(accounts["organizer"], district, plan())
    db.session.commit()
    return wave


def person(**changes) -> fieldwork.Respondent:
    return fieldwork.Respondent(**{"age_band": "60+", "sex": "female", "area_type": "urban", "mode": "door", **changes})


def right_choices(library: Library, interview) -> dict[int, list[int]]:
    choices = {}
    for i, item in enumerate(interview.items):
        question = library.bank.questions[item["q"]]
        choices[i] = [p for p, key in enumerate(item["o"]) if question.option(key).correct]
    return choices


def test_only_accounts_working_in_the_region_can_be_assigned(wave, accounts: dict[str, User]) -> None:
    organizer = accounts["organizer"]
    candidates = {a.username for a in waves.interviewer_candidates(organizer, wave)}
    assert {"staff", "other_staff"} <= candidates and "other_organizer" not in candidates
    with pytest.raises(WaveError) as refused:
        waves.assign_interviewer(organizer, wave, accounts["other_organizer"].id)
    assert refused.value.code == "interviewer_out_of_scope"
    first = waves.assign_interviewer(organizer, wave, accounts["staff"].id)
    assert waves.assign_interviewer(organizer, wave, accounts["staff"].id) is first
    assert [a.wave for a in waves.my_assignments(accounts["staff"])] == [wave]


def test_an_interview_is_scored_on_the_server_and_flagged_by_its_pace(
    wave, accounts: dict[str, User], library: Library
) -> None:
    interviewer = waves.assign_interviewer(accounts["organizer"], wave, accounts["staff"].id)
    communities = [c.code for c in waves.sampled_communities(wave, interviewer)]
    assert communities and all(code.startswith("DEMO0101") for code in communities)
    with pytest.raises(WaveError) as refused:
        fieldwork.start_interview(library, interviewer, "DEMO010201", person())
    assert refused.value.code == "community_not_in_wave"
    with pytest.raises(WaveError) as refused:
        fieldwork.start_interview(library, interviewer, communities[0], person(mode="online", age_band="99-120"))
    assert refused.value.fields == {"mode": "unknown_mode", "age_band": "unknown_age_band"}

    start = utcnow() - timedelta(hours=3)
    careful = fieldwork.start_interview(library, interviewer, communities[0], person(), now=start)
    assert len(careful.items) == library.survey.n_questions
    fieldwork.hand_in(
        library, careful, right_choices(library, careful), QualityRules(), now=start + timedelta(minutes=8)
    )
    assert (careful.score, careful.passed, careful.flags, careful.counts) == (1.0, True, [], True)
    assert careful.parts and all(value == 1.0 for value in careful.parts.values())
    with pytest.raises(InterviewHandedIn):
        fieldwork.hand_in(library, careful, {}, QualityRules())

    hasty = fieldwork.start_interview(library, interviewer, communities[0], person(sex="male"), now=start)
    fieldwork.hand_in(library, hasty, {0: [0]}, QualityRules(), now=start + timedelta(seconds=20))
    assert set(hasty.flags) == {INCOMPLETE, TOO_FAST, INTERVIEWER_PACE} and not hasty.counts
    # one question of ten answered: the score is a tenth if that answer was right, else nothing
    assert hasty.score == (right_choices(library, hasty)[0] == [0]) / 10

    fieldwork.review(accounts["organizer"], hasty, "rejected")
    assert not hasty.counts
    with pytest.raises(WaveError):
        fieldwork.review(accounts["organizer"], hasty, "maybe")

    progress = wave_progress(wave)
    assert (progress.total.completed, progress.total.counted) == (2, 1)
    assert progress.cells[("60+", "female")].completed == 1
    assert progress.cells[("60+", "male")].completed == 1
    assert progress.modes == {"door": 2}
    assert [i.id for i in progress.flagged] == [hasty.id]
    assert progress.interviewers == {"staff": (2, 1)}


def test_quality_flags_catch_patterns_and_paces() -> None:
    start = utcnow()
    shuffled = [True] * 6 + [False] * 4

    def flags(positions, minutes=6.0, earlier=()):
        sitting = Sitting(positions, shuffled, start, start + timedelta(minutes=minutes))
        return quality_flags(sitting, list(earlier), QualityRules())

    varied = [(0,), (1,), (2,), (0,), (3,), (1,), (0,), (1,), (0,), (0,)]
    assert flags(varied) == []
    assert flags([(2,)] * 6 + [(0,), (1,), (0,), (1,)]) == [STRAIGHT_LINING]
    assert flags(varied, minutes=0.5) == [TOO_FAST]
    assert flags(varied[:9] + [()]) == [INCOMPLETE]
    overlapping = [(start + timedelta(minutes=2), start + timedelta(minutes=9))]
    assert flags(varied, earlier=overlapping) == [INTERVIEWER_PACE]
    six_before = [(start - timedelta(minutes=10 * k + 8), start - timedelta(minutes=10 * k)) for k in range(6)]
    assert flags(varied, earlier=six_before) == [INTERVIEWER_PACE]
    assert flags(varied, earlier=six_before[1:]) == []


def test_invitations_are_single_use_and_end_with_the_wave(wave, accounts: dict[str, User], library: Library) -> None:
    community = waves.sampled_communities(wave)[0]
    codes = fieldwork.issue_invitations(accounts["organizer"], wave, community, 3)
    assert len(set(codes)) == 3 and all(len(code) == 10 for code in codes)
    interview = fieldwork.start_invited(library, codes[0].upper(), person(mode="phone"))
    assert (interview.mode, interview.community, interview.interviewer) == ("online", community, None)
    with pytest.raises(InvitationUnknown):
        fieldwork.start_invited(library, codes[0], person())
    with pytest.raises(InvitationUnknown):
        fieldwork.start_invited(library, "notacode00", person())
    waves.close_wave(accounts["organizer"], wave)
    with pytest.raises(InvitationUnknown):
        fieldwork.start_invited(library, codes[1], person())
    with pytest.raises(WaveClosed):
        fieldwork.issue_invitations(accounts["organizer"], wave, community, 1)
