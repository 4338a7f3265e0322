"""The bulletin (通报) made on the server, as PDF and as Word, says what the desk shows."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
from docx import Document

from tests.helpers import audit_entries
from webapp.clock import utcnow
from webapp.regions.service import get_region
from webapp.stats.targets import seed_demo_targets


def pdf_text(body: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    # the extractor may break a line of Chinese into runs with spaces between: compare without them
    text = "".join(page.extract_text() for page in reader.pages)
    return "".join(text.split()), len(reader.pages)


def docx_text(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_bulletin_prints_its_headline_ranking_and_method_as_pdf_and_word(as_user, hand_in_survey) -> None:
    seed_demo_targets(get_region("DEMO"))
    when = utcnow() - timedelta(minutes=30)
    for community, correct in (("DEMO010101", 9), ("DEMO010101", 8), ("DEMO010203", 6)):
        hand_in_survey(community, correct, when)
    organizer = as_user("organizer")
    period = f"{when:%Y-%m}"

    pdf = organizer.get(f"/staff/stats/bulletin.pdf?region=DEMO01&period={period}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text, pages = pdf_text(pdf.data)
    assert "滨江区消防安全委员会" in text and "消防安全宣传教育工作通报" in text
    assert "76.7%" in text  # the district's awareness rate, pooled: (0.9 + 0.8 + 0.6) / 3
    assert "桂园街道" in text and "排名" in text  # the ranking table names the streets
    assert "指标说明" in text  # the method note
    assert f"1/{pages}" in text  # page numbers

    word = organizer.get(f"/staff/stats/bulletin.docx?region=DEMO01&period={period}")
    assert word.status_code == 200
    text = docx_text(word.data)
    assert "滨江区消防安全委员会" in text and "76.7%" in text and "桂园街道" in text and "指标说明" in text
    assert [e.details["format"] for e in audit_entries("stats.export")] == ["pdf", "docx"]


def test_the_bulletin_stays_in_scope(as_user) -> None:
    assert as_user("organizer").get("/staff/stats/bulletin.pdf?region=DEMO02").status_code == 404
