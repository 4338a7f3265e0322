"""Training on the site: the staff pages keep to their scope and audit what they show, and a
trainee goes from invitation to certificate without ever being sent an answer key early."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from quizzes.library import Library
from tests.conftest import COMMUNITY, OTHER_STREET_COMMUNITY, csrf_token
from tests.helpers import assert_error, audit_entries, form_data, read_csv
from webapp.accounts.models import User
from webapp.extensions import db
from webapp.training import roster, trainees, units
from webapp.training.models import ExamDraw, RosterMember, TrainingCertificate, Unit

COURSE = "control-room"
CODE_ON_PAGE = re.compile(r'class="score" translate="no">([A-Z0-9]{5}-[A-Z0-9]{5})<')


@pytest.fixture()
def unit(accounts: dict) -> Unit:
    made = units.create_unit(accounts["staff"], {"name": "翠竹大厦", "kind": "commercial_complex", "region": COMMUNITY})
    db.session.commit()
    return made


@pytest.fixture()
def operator(accounts: dict, unit: Unit) -> RosterMember:
    data = {"name": "刘洋", "phone": "13912345678", "role": "control-room-operator"}
    member = roster.add_member(accounts["staff"], unit, data)
    db.session.commit()
    return member


def _invitation_code(staff: FlaskClient, member: RosterMember) -> str:
    page = f"/staff/roster/{member.id}"
    response = staff.post(f"{page}/invitation", data={"csrf_token": csrf_token(staff, page)})
    assert response.status_code == 200
    found = CODE_ON_PAGE.search(response.get_data(as_text=True))
    assert found, "the invitation shows its code"
    return found.group(1)


def _signed_in_trainee(client: FlaskClient, code: str) -> FlaskClient:
    response = client.post("/training", data=form_data(client, "/training", code=code))
    assert response.status_code == 303 and response.headers["Location"].endswith("/training/courses")
    return client


def _post(client: FlaskClient, url: str, page: str, **fields) -> object:
    return client.post(url, data=form_data(client, page, **fields))


def _read_the_course(client: FlaskClient, library: Library) -> None:
    for lesson in library.courses[COURSE].lessons:
        page = f"/training/courses/{COURSE}/lessons/{lesson}"
        assert client.get(page).status_code == 200
        assert _post(client, page, page).status_code == 303


def _right_form(library: Library, draw_id: str) -> dict[str, list[str]]:
    draw = db.session.get(ExamDraw, draw_id)
    return {
        f"q{i}": [str(p) for p, key in enumerate(item["o"]) if key in library.bank.questions[item["q"]].correct_keys]
        for i, item in enumerate(draw.items)
    }


def test_a_trainee_goes_from_invitation_to_a_checkable_certificate(
    app, as_user, library: Library, operator: RosterMember
) -> None:
    staff = as_user("staff")
    code = _invitation_code(staff, operator)
    trainee = _signed_in_trainee(app.test_client(), code)
    courses = trainee.get("/training/courses").get_data(as_text=True)
    assert "消防控制室值班操作人员培训" in courses and "刘洋" in courses

    # the exam opens only once every lesson is read
    first_lesson = f"/training/courses/{COURSE}/lessons/{library.courses[COURSE].lessons[0]}"
    refused = _post(trainee, f"/training/courses/{COURSE}/exam", first_lesson)
    assert refused.status_code == 409 and "请先读完" in refused.get_data(as_text=True)
    _read_the_course(trainee, library)
    started = _post(trainee, f"/training/courses/{COURSE}/exam", f"/training/courses/{COURSE}")
    assert started.status_code == 303
    exam_url = started.headers["Location"]
    draw_id = exam_url.rsplit("/", 1)[1]
    paper = trainee.get(exam_url).get_data(as_text=True)
    draw = db.session.get(ExamDraw, draw_id)
    for item in draw.items:
        question = library.bank.questions[item["q"]]
        assert question.stem["zh_Hans"] in paper
        assert question.explanation["zh_Hans"] not in paper  # no key, no reason, before handing in
    handed_in = trainee.post(
        exam_url, data={"csrf_token": csrf_token(trainee, exam_url), **_right_form(library, draw_id)}
    )
    assert handed_in.status_code == 303
    result = trainee.get(handed_in.headers["Location"]).get_data(as_text=True)
    assert "100%" in result and "合格" in result

    certificate = db.session.query(TrainingCertificate).one()
    page = trainee.get(f"/training/certificates/{certificate.code}").get_data(as_text=True)
    assert "有效期至" in page
    pdf = trainee.get(f"/training/certificates/{certificate.code}.pdf")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    for shown in ("刘洋", "翠竹大厦", "消防控制室值班操作人员", certificate.display_code):
        assert shown in text, shown
    assert trainee.get(f"/training/certificates/{certificate.code}.png").mimetype == "image/png"

    # anyone may check it; only the holder may open its picture
    stranger = app.test_client()
    check = stranger.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "这是一张真实有效的证书" in check and "翠竹大厦" in check and "13912345678" not in check
    assert stranger.get(f"/training/certificates/{certificate.code}.png").status_code == 401


def test_an_invitation_works_once_and_a_wrong_code_says_so(app, as_user, operator: RosterMember) -> None:
    code = _invitation_code(as_user("staff"), operator)
    _signed_in_trainee(app.test_client(), code)
    again = app.test_client()
    response = again.post("/training", data=form_data(again, "/training", code=code))
    assert response.status_code == 404
    assert "邀请码无效" in response.get_data(as_text=True)


def test_opening_the_link_does_not_spend_the_invitation(app, as_user, operator: RosterMember) -> None:
    code = _invitation_code(as_user("staff"), operator)
    preview = app.test_client().get(f"/training/join/{code.replace('-', '')}")
    assert preview.status_code == 200 and code in preview.get_data(as_text=True)
    _signed_in_trainee(app.test_client(), code)


def test_another_trainees_exam_is_a_404(app, as_user, library: Library, accounts: dict, unit: Unit) -> None:
    staff = as_user("staff")
    first, second = (
        roster.add_member(accounts["staff"], unit, {"name": name, "phone": phone, "role": "control-room-operator"})
        for name, phone in (("甲", "13900000001"), ("乙", "13900000002"))
    )
    db.session.commit()
    one = _signed_in_trainee(app.test_client(), _invitation_code(staff, first))
    other = _signed_in_trainee(app.test_client(), _invitation_code(staff, second))
    _read_the_course(one, library)
    exam_url = _post(one, f"/training/courses/{COURSE}/exam", f"/training/courses/{COURSE}").headers["Location"]
    assert other.get(exam_url).status_code == 404
    assert other.get(f"{exam_url}/result").status_code == 404


def test_staff_of_another_street_cannot_open_the_unit(as_user, unit: Unit, operator: RosterMember) -> None:
    other = as_user("other_staff")
    assert other.get(f"/staff/units/{unit.id}").status_code == 404
    assert other.get(f"/staff/roster/{operator.id}").status_code == 404
    assert unit.name not in other.get("/staff/units").get_data(as_text=True)


def test_a_unit_manager_keeps_their_own_roster_only(app, accounts: dict, unit: Unit, make_account) -> None:
    other = units.create_unit(accounts["staff"], {"name": "翠竹小学", "kind": "school", "region": COMMUNITY})
    units.open_manager_account(accounts["staff"], unit, "dasha-manager", "大厦消防主管", "long enough passphrase 7")
    db.session.commit()
    manager = app.test_client()
    signed = manager.post(
        "/login", data=form_data(manager, "/login", username="dasha-manager", password="long enough passphrase 7")
    )
    assert signed.status_code == 302
    listing = manager.get("/staff/units").get_data(as_text=True)
    assert "翠竹大厦" in listing and "翠竹小学" not in listing
    assert manager.get(f"/staff/units/{other.id}").status_code == 404
    assert manager.get("/staff/volunteers").status_code == 403
    page = f"/staff/units/{unit.id}/roster/new"
    added = _post(manager, page, page, name="陈晨", phone="13700000001", role="employee")
    assert added.status_code == 303
    assert db.session.query(RosterMember).filter_by(source="manager").count() == 1
    assert manager.get(f"/staff/units/{unit.id}/edit").status_code == 403


def test_a_refused_roster_file_lists_each_line_and_adds_nobody(as_user, unit: Unit) -> None:
    staff = as_user("staff")
    page = f"/staff/units/{unit.id}/roster/import"
    body = "姓名,手机号码,岗位\n张伟,13800000001,员工\n李娜,123,员工\n".encode()
    response = staff.post(page, data={"csrf_token": csrf_token(staff, page), "file": (io.BytesIO(body), "名册.csv")})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 3 行" in text and "11 位" in text
    assert db.session.query(RosterMember).count() == 0


def test_the_roster_lists_masked_numbers_and_its_export_is_audited(as_user, unit: Unit, operator: RosterMember) -> None:
    staff = as_user("staff")
    listing = staff.get(f"/staff/units/{unit.id}").get_data(as_text=True)
    assert "139****5678" in listing and "13912345678" not in listing
    exported = staff.get(f"/staff/units/{unit.id}/roster.csv")
    rows = read_csv(exported.data)
    assert rows[1][:3] == ["翠竹大厦", "刘洋", "13912345678"]
    [entry] = audit_entries("roster.export")
    assert entry.row_count == 1 and entry.details["whole_phone"] is True
    organizer = as_user("organizer")
    masked = read_csv(organizer.get(f"/staff/units/{unit.id}/roster.csv").data)
    assert masked[1][2] == "139****5678"


def test_viewing_a_whole_number_is_audited(as_user, operator: RosterMember) -> None:
    page = as_user("staff").get(f"/staff/roster/{operator.id}").get_data(as_text=True)
    assert "13912345678" in page
    assert len(audit_entries("roster.view_phone")) == 1


def test_an_erased_person_loses_their_sign_in(app, as_user, operator: RosterMember) -> None:
    staff = as_user("staff")
    trainee = _signed_in_trainee(app.test_client(), _invitation_code(staff, operator))
    page = f"/staff/roster/{operator.id}"
    assert _post(staff, f"{page}/erase", page).status_code == 303
    assert trainee.get("/training/courses").status_code == 401
    assert db.session.get(RosterMember, operator.id).phone is None


def test_pages_in_english(app, as_user, operator: RosterMember) -> None:
    staff = as_user("staff")
    page = staff.get("/staff/units?lang=en").get_data(as_text=True)
    assert "Training units" in page
    trainee = _signed_in_trainee(app.test_client(), _invitation_code(staff, operator))
    english = trainee.get("/training/courses?lang=en").get_data(as_text=True)
    assert "Training for fire control room operators" in english and "My training" in english


def test_a_trainee_code_in_an_address_stays_out_of_the_logs(app, caplog) -> None:
    with caplog.at_level("INFO", logger="webapp.access"):
        app.test_client().get("/training/join/ABCDE23456")
    assert "ABCDE23456" not in caplog.text


def test_staff_pages_need_an_account(app) -> None:
    visitor = app.test_client()
    assert visitor.get("/staff/units").status_code == 302
    assert visitor.get("/training/courses").status_code == 401


def test_invitations_for_erased_people_are_refused(accounts: dict, operator: RosterMember) -> None:
    staff: User = accounts["staff"]
    roster.erase_member(staff, operator)
    with pytest.raises(Exception) as refused:
        trainees.issue_invitation(staff, operator)
    assert getattr(refused.value, "code", None) == "roster_member_erased"


def test_a_unit_in_another_street_cannot_be_registered_from_the_form(as_user) -> None:
    staff = as_user("staff")
    page = "/staff/units/new"
    response = _post(staff, page, page, name="外街工厂", kind="enterprise", region=OTHER_STREET_COMMUNITY)
    assert response.status_code == 422
    assert db.session.query(Unit).count() == 0


def test_the_desk_shows_training_against_its_targets(
    as_user, accounts: dict, unit: Unit, operator: RosterMember, library: Library, region
) -> None:
    from webapp.stats.targets import set_target
    from webapp.training import certificates

    set_target(region("DEMO01"), "training:control-room-operator", "2026-2030", 1.0, None)
    set_target(region("DEMO01"), "training_growth", "2026-2030", 0.2, None)
    db.session.commit()
    desk = as_user("organizer")
    page = desk.get("/staff/stats?region=DEMO0101&period=2026").get_data(as_text=True)
    assert "重点人群培训" in page and "消防控制室值班操作人员" in page
    assert "未达目标的单位" in page and "翠竹大厦" in page and "还需培训 1 人" in page
    certificates.issue_certificate(operator, library.courses[COURSE], operator.joined_on)
    db.session.commit()
    after = desk.get("/staff/stats?region=DEMO0101&period=2026").get_data(as_text=True)
    assert "还需培训" not in after
    bulletin = desk.get("/staff/stats/bulletin.docx?region=DEMO0101&period=2026")
    assert bulletin.status_code == 200
    from docx import Document

    text = "\n".join(
        cell.text for table in Document(io.BytesIO(bulletin.data)).tables for row in table.rows for cell in row.cells
    )
    assert "重点人群消防安全培训率" in text and "100.0%" in text


def test_a_role_target_is_set_on_the_targets_page(as_user, region) -> None:
    from webapp.stats.models import Target

    organizer = as_user("organizer")
    page = "/staff/targets?region=DEMO01"
    assert "培训率：网格员" in organizer.get(page).get_data(as_text=True)
    response = _post(organizer, page, page, indicator="training:grid-worker", period="2026", value="100%")
    assert response.status_code == 302
    target = db.session.query(Target).one()
    assert (target.indicator, target.value) == ("training:grid-worker", 1.0)


# --- a person's export ----------------------------------------------------------------------


def test_a_trainee_s_export_holds_everything_and_is_audited(
    app, as_user, accounts: dict, library: Library, operator: RosterMember
) -> None:
    staff = as_user("staff")
    trainee = _signed_in_trainee(app.test_client(), _invitation_code(staff, operator))
    _read_the_course(trainee, library)
    exam_url = _post(trainee, f"/training/courses/{COURSE}/exam", f"/training/courses/{COURSE}").headers["Location"]
    draw_id = exam_url.rsplit("/", 1)[1]
    trainee.post(exam_url, data={"csrf_token": csrf_token(trainee, exam_url), **_right_form(library, draw_id)})
    certificate = db.session.query(TrainingCertificate).one()

    page = f"/staff/roster/{operator.id}"
    assert f"{page}/export?format=json" in staff.get(page).get_data(as_text=True)
    response = staff.get(f"{page}/export?format=json")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["person"]["name"] == "刘洋" and data["person"]["phone"] == "13912345678"
    assert data["person"]["unit"] == "翠竹大厦" and data["person"]["post"] == "消防控制室值班操作人员"
    [invitation] = data["invitations"]
    assert invitation["used_at"] is not None and "code" not in invitation
    assert len(data["sign_ins"]) == 1
    [course] = data["courses"]
    assert course["course"] == "消防控制室值班操作人员培训"
    assert course["lessons_read"] == list(library.courses[COURSE].lessons)
    [exam] = data["exams"]
    assert exam["passed"] is True and exam["correct"] == exam["questions"]
    assert [c["code"] for c in data["certificates"]] == [certificate.code]
    assert {"roster.add", "roster.invite", "roster.view_phone"} <= {e["action"] for e in data["audit"]}
    [entry] = audit_entries("roster.person_export")
    assert entry.user_id == accounts["staff"].id and entry.object_id == str(operator.id)
    assert entry.details == {"format": "json", "unit": operator.unit_id}  # what was asked, not the data

    sheet = staff.get(f"{page}/export?format=xlsx")
    cells = {c for row in load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True) for c in row}
    assert {"刘洋", "13912345678", certificate.code} <= cells
    assert staff.get(f"{page}/export?format=pdf").status_code == 400
    organizer = as_user("organizer")
    assert organizer.get(f"{page}/export").status_code == 403
    assert f"{page}/export" not in organizer.get(page).get_data(as_text=True)
    assert as_user("other_staff").get(f"{page}/export").status_code == 404


def test_a_trainee_s_export_by_api(client: FlaskClient, bearer, operator: RosterMember) -> None:
    url = f"/api/v1/training/roster/{operator.id}/export"
    response = client.get(f"{url}?format=xlsx", headers=bearer("staff"))
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    body = json.loads(client.get(url, headers=bearer("admin")).data)
    assert body["person"]["phone"] == "13912345678" and body["exams"] == []
    assert len(audit_entries("roster.person_export")) == 2
    assert_error(client.get(url, headers=bearer("organizer")), 403)
    assert_error(client.get(url, headers=bearer("other_staff")), 404)
    assert_error(client.get(f"{url}?format=pdf", headers=bearer("staff")), 422)
