"""Item analysis marks questions for review, and `flask content check --review` reads the list."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from quizzes.library import Library
from tests.helpers import audit_entries, read_csv
from webapp.extensions import db
from webapp.regions.models import Region, path_ids
from webapp.stats.figures import share
from webapp.stats.items import ItemStats
from webapp.stats.models import QuestionRollup


def item(right: int, n: int, discrimination: float | None = 0.4) -> ItemStats:
    return ItemStats("q", "escape", "escape-basics", share(right, n), discrimination, None)


def test_review_marks_need_a_hundred_answers_and_name_their_reason() -> None:
    assert item(99, 99).review_reasons == []  # too few answers to judge
    assert item(97, 100).review_reasons == ["too_easy"]
    assert item(95, 100).review_reasons == []  # exactly 95% is not above it
    assert item(19, 100).review_reasons == ["too_hard"]
    assert item(60, 100, discrimination=0.05).review_reasons == ["low_discrimination"]
    assert item(60, 100, discrimination=None).review_reasons == []


def rollup(community: Region, question_id: str, answers: int, correct: int) -> list[QuestionRollup]:
    """The community's row and, as the applier keeps them, the same row for every region above it."""
    # scores spread so that those who got it right score higher: discrimination well above 0.1
    return [
        QuestionRollup(
            region_id=region_id,
            month="2026-11",
            question_id=question_id,
            answers=answers,
            correct=correct,
            total_sum=answers * 0.6,
            total_sq_sum=answers * 0.4,
            total_sum_correct=correct * 0.75,
        )
        for region_id in path_ids(community.path)
    ]


def test_the_review_list_downloads_and_the_content_check_refuses_an_unchanged_question(
    app: Flask, as_user, library: Library, region, tmp_path: Path
) -> None:
    easy, fine = "escape-basics-02", "escape-basics-03"
    community = region("DEMO010101")
    db.session.add_all([*rollup(community, easy, 150, 149), *rollup(community, fine, 150, 90)])
    db.session.commit()
    organizer = as_user("organizer")
    page = organizer.get("/staff/stats/questions?region=DEMO01&period=2026-11").get_data(as_text=True)
    assert "过于简单：几乎人人答对" in page  # marked in the table, in the reader's language
    response = organizer.get("/staff/stats/questions/review.csv?region=DEMO01&period=2026-11")
    assert response.status_code == 200 and audit_entries("stats.export")
    header, *rows = read_csv(response.data)
    assert header[:3] == ["question_id", "fingerprint", "reasons"]
    assert [row[:3] for row in rows] == [[easy, library.bank.questions[easy].fingerprint, "too_easy"]]

    review = tmp_path / "review.csv"
    review.write_bytes(response.data)
    result = app.test_cli_runner().invoke(args=["content", "check", "--review", str(review)])
    assert result.exit_code == 1
    assert f"review list: {easy} (too_easy) is still in the survey unchanged" in result.output
    # once rewritten (another fingerprint) the flag has been dealt with
    review.write_text(f"question_id,fingerprint,reasons\n{easy},0000000000000000,too_easy\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["content", "check", "--review", str(review)])
    assert result.exit_code == 0, result.output
