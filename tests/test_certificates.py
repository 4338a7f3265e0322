"""E-certificates of a passed survey, the public check of one, and share posters of any result."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from quizzes.library import Library
from quizzes.models import Attempt, Draw
from tests.conftest import COMMUNITY, csrf_token, seeded_app
from tests.helpers import right_form, start_quiz
from webapp.campaigns import qr
from webapp.certificates import images
from webapp.certificates import service as certificates
from webapp.certificates.models import CODE_ALPHABET, CODE_LENGTH, Certificate
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.retention import purge

NAME = "张小明"


def submit(client: FlaskClient, draw_id: str, form: dict) -> None:
    response = client.post(f"/draws/{draw_id}", data={"csrf_token": csrf_token(client), **form})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def wrong_form(library: Library, draw_id: str) -> dict[str, list[str]]:
    draw = db.session.get(Draw, draw_id)
    right = right_form(library, draw_id)
    return {
        key: [str(next(p for p in range(len(item["o"])) if str(p) not in right[key]))]
        for key, item in zip(right, draw.items, strict=True)
    }


def hand_in(client: FlaskClient, library: Library, slug: str = "awareness-survey", passing: bool = True) -> str:
    """A quiz taken on the site, every answer right (or wrong): its draw id."""
    draw_id = start_quiz(client, slug)
    submit(client, draw_id, right_form(library, draw_id) if passing else wrong_form(library, draw_id))
    return draw_id


def attempt_of(draw_id: str) -> Attempt:
    return db.session.execute(select(Attempt).where(Attempt.draw_id == draw_id)).scalar_one()


def claim(client: FlaskClient, draw_id: str, name: str = "", lang: str | None = None):
    query = f"?lang={lang}" if lang else ""
    token = csrf_token(client, f"/draws/{draw_id}/certificate{query}")
    return client.post(f"/draws/{draw_id}/certificate{query}", data={"csrf_token": token, "name": name})


def count_certificates() -> int:
    return db.session.execute(select(func.count(Certificate.id))).scalar_one()


def served_texts(library: Library, draw_id: str) -> list[str]:
    """Every question stem, option text and explanation of a draw, in both languages (but the
    options short enough to occur anywhere, such as 对 and 错)."""
    draw = db.session.get(Draw, draw_id)
    texts = []
    for item in draw.items:
        question = library.bank.questions[item["q"]]
        for lang in ("zh_Hans", "en"):
            texts += [question.stem[lang], question.explanation[lang]]
            texts += [question.option(key).text[lang] for key in item["o"]]
    return [text for text in texts if len(text) >= 4]


@pytest.fixture()
def passed(resident: FlaskClient, library: Library) -> str:
    return hand_in(resident, library)


@pytest.fixture()
def certified(resident: FlaskClient, passed: str) -> Certificate:
    response = claim(resident, passed, NAME)
    assert response.status_code == 303
    return certificates.certificate_for(attempt_of(passed))


# --- the domain --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("  张小明 ", "张小明"),
        ("Li   Xiao ming", "Li Xiao ming"),
        ("x" * 20, "x" * 20),
    ],
)
def test_a_name_is_trimmed_and_empty_is_none(raw: str | None, clean: str | None) -> None:
    assert certificates.clean_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("一" * 21, "certificate_name_too_long"),
        ("<b>张</b>", "certificate_name_markup"),
        ("{{ 7*7 }}", "certificate_name_markup"),
        ("张&amp;", "certificate_name_markup"),
        ("张\x07三", "control_characters"),
        ("张\u202e三", "control_characters"),  # a right-to-left override
        ("张\u200b三", "control_characters"),  # a zero-width space
    ],
)
def test_a_refused_name_says_why(raw: str, reason: str) -> None:
    with pytest.raises(certificates.InvalidName) as refused:
        certificates.clean_name(raw)
    assert refused.value.fields == {"name": reason}


def test_codes_are_short_unambiguous_and_typed_loosely(
    app: Flask, resident: FlaskClient, certified: Certificate
) -> None:
    code = certified.code
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert certified.display_code == f"{code[:5]}-{code[5:]}"
    for typed in (code, code.lower(), certified.display_code, f" {code[:5]} {code[5:]} "):
        assert certificates.find_certificate(typed) is certified
    for typed in (None, "", code[:-1], code + "2", "0" * CODE_LENGTH, "x" * 500):
        assert certificates.find_certificate(typed) is None


def test_only_a_passed_survey_earns_a_certificate(app: Flask, resident: FlaskClient, library: Library) -> None:
    failed = attempt_of(hand_in(resident, library, passing=False))
    practice = attempt_of(hand_in(resident, library, "practice-electricity"))
    survey = attempt_of(hand_in(resident, library))
    assert not failed.passed and practice.passed and survey.passed
    for attempt in (failed, practice):
        assert not certificates.earns_certificate(attempt)
        with pytest.raises(certificates.CertificateNotEarned):
            certificates.issue_certificate(attempt, NAME)
    certificate = certificates.issue_certificate(survey, NAME)
    assert (certificate.attempt_id, certificate.respondent_id, certificate.community_id) == (
        survey.id,
        survey.respondent_id,
        get_region(COMMUNITY).id,
    )
    assert certificate.quiz_slug == "awareness-survey" and certificate.name == NAME


def test_claiming_twice_gives_the_same_certificate_with_the_new_name(app: Flask, resident: FlaskClient, passed: str):
    attempt = attempt_of(passed)
    first = certificates.issue_certificate(attempt, NAME)
    again = certificates.issue_certificate(attempt, " 李四 ")
    assert again.id == first.id and again.code == first.code and again.name == "李四"
    assert certificates.issue_certificate(attempt, None).name is None
    assert count_certificates() == 1


def test_two_claims_at_once_make_one_certificate(
    app: Flask, resident: FlaskClient, passed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt = attempt_of(passed)
    first = certificates.issue_certificate(attempt, NAME)
    db.session.commit()
    # the second claim looked before the first was written, and finds it only on inserting its own
    looked = []
    real = certificates.certificate_for

    def not_yet(attempt: Attempt) -> Certificate | None:
        looked.append(attempt.id)
        return None if len(looked) == 1 else real(attempt)

    monkeypatch.setattr(certificates, "certificate_for", not_yet)
    again = certificates.issue_certificate(attempt, "李四")
    db.session.commit()
    assert len(looked) == 2 and again.code == first.code and again.name == "李四"
    assert count_certificates() == 1


def test_a_residents_certificates_newest_first(app: Flask, resident: FlaskClient, library: Library) -> None:
    older = certificates.issue_certificate(attempt_of(hand_in(resident, library)), None)
    db.session.commit()
    newer = certificates.issue_certificate(attempt_of(hand_in(resident, library)), None)
    older.issued_at = utcnow() - timedelta(days=3)
    db.session.commit()
    respondent = db.session.get(Draw, older.attempt.draw_id).respondent
    assert certificates.certificates_of(respondent) == [newer, older]


# --- claiming on the site ----------------------------------------------------------------------


def test_a_passed_survey_is_claimed_and_its_page_shows_the_picture(
    resident: FlaskClient, passed: str, library: Library
) -> None:
    page = resident.get(f"/draws/{passed}/certificate").get_data(as_text=True)
    assert "领取电子证书" in page and "证书上的姓名（选填）" in page
    response = claim(resident, passed, NAME)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/draws/{passed}/certificate")
    certificate = certificates.certificate_for(attempt_of(passed))
    page = resident.get(f"/draws/{passed}/certificate").get_data(as_text=True)
    assert f'src="/certificates/{certificate.code}.png?' in page
    assert f"/certificates/{certificate.code}.pdf?download=1" in page
    assert f"/verify/{certificate.code}" in page and NAME in page and "删除我的姓名" in page
    assert not [text for text in served_texts(library, passed) if text in page]
    # a second claim, from the result page pressed twice, keeps the one certificate
    assert claim(resident, passed, NAME).status_code == 303
    assert count_certificates() == 1


def test_changing_the_name_changes_the_picture_address(resident: FlaskClient, certified: Certificate) -> None:
    draw_id = certified.attempt.draw_id
    before = re.search(r'src="(/certificates/[^"]+)"', resident.get(f"/draws/{draw_id}/certificate").get_data(True))[1]
    assert claim(resident, draw_id, "李四").status_code == 303
    after = re.search(r'src="(/certificates/[^"]+)"', resident.get(f"/draws/{draw_id}/certificate").get_data(True))[1]
    assert before != after and NAME not in after and "李四" not in after
    assert certificates.find_certificate(certified.code).name == "李四"


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("一" * 21, "证书上的姓名最多20个字", "at most 20 characters"),
        ("<script>x</script>", "请只填写姓名", "Please type just the name"),
        ("张\x07三", "控制字符", "control characters"),
    ],
)
def test_a_refused_name_is_explained_beside_the_field_in_either_language(
    resident: FlaskClient, passed: str, name: str, zh: str, en: str
) -> None:
    for lang, expected in (("zh_Hans", zh), ("en", en)):
        response = claim(resident, passed, name, lang=lang)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert expected in page, page
        assert 'aria-invalid="true"' in page and "<script>x" not in page
    assert count_certificates() == 0


def test_a_failed_survey_or_a_practice_quiz_earns_no_certificate(resident: FlaskClient, library: Library) -> None:
    for draw_id in (hand_in(resident, library, passing=False), hand_in(resident, library, "practice-e-bikes")):
        page = resident.get(f"/draws/{draw_id}/certificate")
        assert page.status_code == 403 and "只有消防安全知晓率测评成绩合格才能领取证书" in page.get_data(True)
        assert claim_refused(resident, draw_id).status_code == 403
    assert count_certificates() == 0


def claim_refused(client: FlaskClient, draw_id: str):
    return client.post(f"/draws/{draw_id}/certificate", data={"csrf_token": csrf_token(client), "name": NAME})


def test_a_draw_not_handed_in_has_no_certificate_or_poster_yet(resident: FlaskClient) -> None:
    draw_id = start_quiz(resident)
    for path in ("certificate", "poster", "poster.png"):
        response = resident.get(f"/draws/{draw_id}/{path}")
        assert response.status_code == 303 and response.headers["Location"].endswith(f"/draws/{draw_id}")
    assert claim_refused(resident, draw_id).status_code == 303
    assert count_certificates() == 0


def test_someone_elses_draw_and_certificate_look_missing(
    app: Flask, resident: FlaskClient, certified: Certificate
) -> None:
    draw_id = certified.attempt.draw_id
    stranger = app.test_client()
    stranger.get(f"/c/{COMMUNITY}")
    start_quiz(stranger)  # a respondent of their own
    for path in (
        f"/draws/{draw_id}/certificate",
        f"/draws/{draw_id}/poster",
        f"/draws/{draw_id}/poster.png",
        f"/certificates/{certified.code}.png",
        f"/certificates/{certified.code}.pdf",
    ):
        assert stranger.get(path).status_code == 404, path
        assert app.test_client().get(path).status_code == 404, path
    token = csrf_token(stranger)
    for path in (f"/draws/{draw_id}/certificate", f"/draws/{draw_id}/certificate/remove-name"):
        assert stranger.post(path, data={"csrf_token": token, "name": "冒名"}).status_code == 404
    assert certificates.find_certificate(certified.code).name == NAME


# --- downloads -------------------------------------------------------------------------------


def test_the_certificate_picture_is_a_png_for_its_holder(resident: FlaskClient, certified: Certificate) -> None:
    response = resident.get(f"/certificates/{certified.code}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"].startswith("private, max-age=")
    assert response.headers["Content-Disposition"] == f'inline; filename="certificate-{certified.code}.png"'
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == images.CERTIFICATE_SIZE
    download = resident.get(f"/certificates/{certified.code}.png?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_the_pdf_is_one_a4_page_with_the_code(resident: FlaskClient, certified: Certificate) -> None:
    response = resident.get(f"/certificates/{certified.code}.pdf?download=1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificate-{certified.code}.pdf"'
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert certified.display_code in text
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297
    english = resident.get(f"/certificates/{certified.code}.pdf?lang=en")
    assert "Fire Safety Knowledge Certificate" in PdfReader(io.BytesIO(english.data)).pages[0].extract_text()


def test_the_qr_codes_lead_to_the_check_and_to_the_community(app: Flask, certified: Certificate) -> None:
    with app.test_request_context("/"):
        assert images.verification_url(certified) == f"http://localhost/verify/{certified.code}"
        facts = images.certificate_facts(certified, app.extensions["library"], "zh_Hans")
        assert facts.verify_url == images.verification_url(certified)
        draw = certified.attempt.draw
        poster = images.poster_facts(draw, certified.attempt, app.extensions["library"], "zh_Hans")
        assert poster.community_url == qr.community_url(draw.community) == f"http://localhost/c/{COMMUNITY}"
    app.config["PUBLIC_BASE_URL"] = "https://xf.example.gov.cn"
    with app.test_request_context("/", base_url="http://10.0.0.7"):
        assert images.verification_url(certified) == f"https://xf.example.gov.cn/verify/{certified.code}"


def test_without_a_chinese_font_pictures_are_refused_clearly(
    database_uri: str, resident: FlaskClient, certified: Certificate
) -> None:
    resident.application.config["CJK_FONT_PATH"] = "/nonexistent/font.ttc"
    response = resident.get(f"/certificates/{certified.code}.png")
    assert response.status_code == 503 and "暂时无法生成图片" in response.get_data(as_text=True)


# --- the public check --------------------------------------------------------------------------


def test_the_check_shows_what_the_certificate_shows_and_no_answers(
    app: Flask, resident: FlaskClient, certified: Certificate, library: Library
) -> None:
    visitor = app.test_client()
    response = visitor.get(f"/verify/{certified.code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["X-Robots-Tag"].startswith("noindex")
    for shown in (NAME, "翠竹社区", "桂园街道", certified.display_code, "消防安全知晓率测评", "这是一张真实有效的证书"):
        assert shown in page, shown
    with app.test_request_context("/"):
        assert images.certificate_facts(certified, library, "zh_Hans").date in page
    assert not [text for text in served_texts(library, certified.attempt.draw_id) if text in page]
    english = visitor.get(f"/verify/{certified.display_code.lower()}?lang=en").get_data(as_text=True)
    assert "This certificate is genuine." in english and "Cuizhu Community" in english


@pytest.mark.parametrize("code", ["ZZZZZ22222", "abc", "x" * 500, "ABCDE%3Cscript%3E", "0O1IL0O1IL", "%E4%B8%AD" * 4])
def test_an_unknown_or_malformed_code_is_a_404_page(client: FlaskClient, code: str) -> None:
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404 and "text/html" in response.content_type
    page = response.get_data(as_text=True)
    assert "没有找到这个编号的证书" in page and 'name="code"' in page and "<script>" not in page


def test_a_typed_code_is_looked_up(client: FlaskClient, resident: FlaskClient, certified: Certificate) -> None:
    assert "证书编号" in client.get("/verify").get_data(as_text=True)
    response = client.get(f"/verify?code={certified.display_code.lower()}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/verify/{certified.code}")


def test_checks_are_rate_limited_per_address(database_uri: str) -> None:
    with seeded_app(database_uri, RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute") as app:
        client = app.test_client()
        statuses = [client.get(f"/verify/{code}").status_code for code in ("A", "B", "C", "D", "E")]
        assert statuses == [404, 404, 404, 429, 429]


def test_removing_the_name_erases_it_from_the_check(app: Flask, resident: FlaskClient, certified: Certificate) -> None:
    draw_id = certified.attempt.draw_id
    token = csrf_token(resident, f"/draws/{draw_id}/certificate")
    response = resident.post(f"/draws/{draw_id}/certificate/remove-name", data={"csrf_token": token})
    assert response.status_code == 303
    page = app.test_client().get(f"/verify/{certified.code}").get_data(as_text=True)
    assert NAME not in page and certified.display_code in page
    assert certificates.find_certificate(certified.code).name is None
    assert resident.get(f"/certificates/{certified.code}.png").status_code == 200


def test_retention_blanks_old_names_and_keeps_the_certificates(app: Flask, hand_in_survey) -> None:
    now = utcnow()
    long_ago = now - timedelta(days=4 * 365)
    made = []
    for when in (long_ago, now - timedelta(days=30)):
        respondent = hand_in_survey(COMMUNITY, 10, when)
        attempt = db.session.execute(select(Attempt).where(Attempt.respondent_id == respondent.id)).scalar_one()
        certificate = certificates.issue_certificate(attempt, NAME)
        certificate.issued_at = when + timedelta(minutes=5)
        made.append(certificate)
    db.session.commit()
    assert purge(now, 3, 5, dry_run=True).certificate_names == 1
    done = purge(now, 3, 5)
    db.session.commit()
    assert done.certificate_names == 1
    old, recent = (certificates.find_certificate(c.code) for c in made)
    assert old is not None and old.name is None and recent.name == NAME
    assert NAME not in app.test_client().get(f"/verify/{old.code}").get_data(as_text=True)


# --- share posters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "passing"), [("awareness-survey", True), ("awareness-survey", False), ("practice-electricity", True)]
)
def test_any_result_has_a_phone_sized_poster_without_questions_or_answers(
    resident: FlaskClient, library: Library, slug: str, passing: bool
) -> None:
    draw_id = hand_in(resident, library, slug, passing)
    page = resident.get(f"/draws/{draw_id}/poster")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "长按图片保存，分享给邻居" in text
    assert f'src="/draws/{draw_id}/poster.png?lang=zh_Hans"' in text
    attempt = attempt_of(draw_id)
    assert f"共{attempt.n_questions}题，答对{attempt.n_correct}题" in text
    assert not [served for served in served_texts(library, draw_id) if served in text]
    picture = resident.get(f"/draws/{draw_id}/poster.png")
    assert picture.mimetype == "image/png" and picture.headers["Cache-Control"].startswith("private, max-age=")
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "PNG" and image.size == (750, 1334)


def test_the_poster_is_in_the_readers_language(resident: FlaskClient, passed: str) -> None:
    zh = resident.get(f"/draws/{passed}/poster.png?lang=zh_Hans").data
    en = resident.get(f"/draws/{passed}/poster.png?lang=en").data
    assert zh != en
    assert "Press and hold the picture" in resident.get(f"/draws/{passed}/poster?lang=en").get_data(as_text=True)


# --- the result page's macro -----------------------------------------------------------------

MACRO = (
    '{% from "certificates/_result_actions.html" import result_actions %}'
    "{{ result_actions(draw, attempt, certificate) }}"
)


def test_the_result_actions_offer_what_the_attempt_allows(
    app: Flask, resident: FlaskClient, library: Library, passed: str
) -> None:
    failed = hand_in(resident, library, passing=False)
    with app.test_request_context("/"):
        draw = db.session.get(Draw, passed)
        offer = render_template_string(MACRO, draw=draw, attempt=draw.attempt, certificate=None)
        assert "领取电子证书" in offer and 'for="certificate-name"' in offer and "csrf_token" in offer
        assert f"/draws/{passed}/poster" in offer and "生成分享海报" in offer
        certificate = certificates.issue_certificate(draw.attempt, None)
        claimed = render_template_string(MACRO, draw=draw, attempt=draw.attempt, certificate=certificate)
        assert "领取电子证书" not in claimed and f"/certificates/{certificate.code}.pdf" in claimed
        assert f"/draws/{passed}/certificate" in claimed and "生成分享海报" in claimed
        other = db.session.get(Draw, failed)
        none = render_template_string(MACRO, draw=other, attempt=other.attempt, certificate=None)
        assert "领取电子证书" not in none and "生成分享海报" in none
        db.session.rollback()


def test_the_verification_code_stays_out_of_the_logs(
    resident: FlaskClient, certified: Certificate, caplog: pytest.LogCaptureFixture
) -> None:
    """The code opens a page with the holder's name: the access log writes the route, not the code."""
    caplog.set_level(logging.INFO, logger="webapp.access")
    assert resident.get(f"/verify/{certified.code}").status_code == 200
    assert resident.get(f"/certificates/{certified.code}.png").status_code == 200
    assert certified.code not in caplog.text
    assert "GET /verify/<code> 200" in caplog.text and "GET /certificates/<code>.png 200" in caplog.text
