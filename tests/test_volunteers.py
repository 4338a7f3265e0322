"""Volunteers on the site: registering, duplicates, masking, review, training, ambassadors,
teams, exports, imports and residents' own registration."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.conftest import COMMUNITY, OTHER_DISTRICT_COMMUNITY, OTHER_STREET_COMMUNITY, csrf_token, seeded_app
from tests.factories import SIGNUP_FORM, SIGNUP_PAGE, VOLUNTEER_FORM
from tests.helpers import audit_entries, count_volunteers, form_data, read_csv
from webapp.campaigns.models import ServiceRecord
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.volunteers import service
from webapp.volunteers.models import Ambassador, Team, Training, Volunteer
from webapp.volunteers.phones import PhoneError, mask_phone, normalize_phone

# --- phones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "0086 13800138000",
        "8613800138000",
        "（+86）138００１38000",
        "(+86) 138-0013-8000",
    ],
)
def test_mobile_numbers_are_normalized(raw: str) -> None:
    assert normalize_phone(raw) == "13800138000"


@pytest.mark.parametrize(
    "raw", ["", "1380013800", "138001380001", "12800138000", "23800138000", "1380013800x", "+1 138 0013 8000", "9" * 40]
)
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalize_phone(raw)
    assert caught.value.code == "phone_invalid"


def test_masking_keeps_the_first_three_and_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"


# --- registering by form ---------------------------------------------------------------


def test_staff_register_a_volunteer_who_is_active_at_once(as_user) -> None:
    staff = as_user("staff")
    data = form_data(
        staff,
        "/staff/volunteers/new",
        VOLUNTEER_FORM,
        phone="+86 139-1234-5678",
        skills=["first_aid", "driver"],
        consent="y",
    )
    response = staff.post("/staff/volunteers/new", data=data)
    assert response.status_code == 303
    volunteer = db.session.execute(select(Volunteer)).scalar_one()
    assert volunteer.phone == "13912345678" and volunteer.status == "active" and volunteer.source == "staff"
    assert volunteer.skills == ["first_aid", "driver"] and volunteer.consent_at is not None
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "李强" in page and "急救" in page


def test_bad_input_is_explained_next_to_the_fields_and_kept(as_user) -> None:
    staff = as_user("staff")
    data = form_data(staff, "/staff/volunteers/new", VOLUNTEER_FORM, name="", phone="12345", birth_year="1990")
    response = staff.post("/staff/volunteers/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count_volunteers() == 0
    assert "请填写姓名" in page and "11 位" in page and "需要同意" in page
    assert 'value="12345"' in page and 'value="1990"' in page  # nothing typed is lost


def test_under_18_needs_a_guardian(as_user) -> None:
    staff = as_user("staff")
    young = str(utcnow().year - 15)
    data = form_data(staff, "/staff/volunteers/new", VOLUNTEER_FORM, birth_year=young, consent="y")
    page = staff.post("/staff/volunteers/new", data=data).get_data(as_text=True)
    assert "未满 18 岁的志愿者需要填写监护人姓名" in page and count_volunteers() == 0
    data.update(guardian_name="李爸爸", guardian_consent="y")
    assert staff.post("/staff/volunteers/new", data=data).status_code == 303
    volunteer = db.session.execute(select(Volunteer)).scalar_one()
    assert volunteer.guardian_name == "李爸爸" and volunteer.guardian_consent_at is not None


def test_a_guardian_is_not_kept_for_adults(app, make_volunteer) -> None:
    volunteer = make_volunteer(birth_year=1980, guardian_name="someone", guardian_consent=True)
    assert volunteer.guardian_name is None and volunteer.guardian_consent_at is None


def test_a_team_of_another_street_is_refused(app, accounts, make_volunteer) -> None:
    other = service.create_team("新华街道志愿服务队", get_region("DEMO0102"))
    own = service.create_team("翠竹社区志愿服务队", get_region(COMMUNITY))
    street = service.create_team("桂园街道志愿服务队", get_region("DEMO0101"))
    with pytest.raises(service.VolunteerError) as caught:
        make_volunteer(team_id=other.id)
    assert caught.value.problems == {"team_id": "team_elsewhere"}
    assert make_volunteer(team_id=own.id).team is own
    assert make_volunteer(phone="13900000001", team_id=street.id).team is street


def test_a_duplicate_phone_is_refused_and_points_to_the_existing_record(as_user, make_volunteer) -> None:
    existing = make_volunteer(phone="13912345678", name="张伟")
    staff = as_user("staff")
    response = staff.post(
        "/staff/volunteers/new", data=form_data(staff, "/staff/volunteers/new", VOLUNTEER_FORM, consent="y")
    )
    page = response.get_data(as_text=True)
    assert count_volunteers() == 1
    assert "已有志愿者使用这个手机号" in page
    assert f'href="/staff/volunteers/{existing.id}"' in page and "张伟" in page


def test_a_duplicate_outside_the_scope_is_named_by_community_only(as_user, make_volunteer) -> None:
    existing = make_volunteer(community=OTHER_DISTRICT_COMMUNITY, phone="13912345678", name="赵敏")
    staff = as_user("staff")
    page = staff.post(
        "/staff/volunteers/new", data=form_data(staff, "/staff/volunteers/new", VOLUNTEER_FORM, consent="y")
    ).get_data(as_text=True)
    assert "已有志愿者使用这个手机号" in page and "赵敏" not in page and f'/staff/volunteers/{existing.id}"' not in page


def test_the_service_refuses_a_duplicate_and_carries_the_existing_volunteer(app, make_volunteer) -> None:
    first = make_volunteer(phone="13800138000")
    with pytest.raises(service.VolunteerError) as caught:
        make_volunteer(phone="+86 138 0013 8000", name="另一个人")
    assert caught.value.problems == {"phone": "phone_taken"} and caught.value.existing is first


def test_a_form_without_csrf_token_is_refused(as_user, make_volunteer) -> None:
    staff = as_user("staff")
    data = form_data(staff, "/staff/volunteers/new", VOLUNTEER_FORM, consent="y")
    del data["csrf_token"]
    assert staff.post("/staff/volunteers/new", data=data).status_code == 400
    volunteer = make_volunteer()
    assert staff.post(f"/staff/volunteers/{volunteer.id}/status", data={"action": "deactivate"}).status_code == 400
    assert db.session.get(Volunteer, volunteer.id).status == "active" and count_volunteers() == 1


def test_editing_changes_details_and_audits_field_names_only(as_user, make_volunteer) -> None:
    volunteer = make_volunteer(phone="13800138000")
    staff = as_user("staff")
    page = staff.get(f"/staff/volunteers/{volunteer.id}/edit").get_data(as_text=True)
    assert 'value="13800138000"' in page  # staff correct numbers, so the form shows it (and it is audited)
    data = form_data(
        staff, f"/staff/volunteers/{volunteer.id}/edit", VOLUNTEER_FORM, name="王芳芳", phone="13800138000"
    )
    data["languages"] = ["putonghua", "english"]
    assert staff.post(f"/staff/volunteers/{volunteer.id}/edit", data=data).status_code == 303
    volunteer = db.session.get(Volunteer, volunteer.id)
    assert volunteer.name == "王芳芳" and volunteer.languages == ["putonghua", "english"]
    [entry] = audit_entries("volunteer.update")
    assert set(entry.details["fields"]) == {"name", "languages"} and "王芳芳" not in str(entry.details)


# --- lists, masking, search --------------------------------------------------------------


def test_lists_show_masked_phones_only(as_user, make_volunteer) -> None:
    make_volunteer(phone="13812345678")
    for role in ("staff", "organizer", "admin"):
        page = as_user(role).get("/staff/volunteers").get_data(as_text=True)
        assert "138****5678" in page, role
        assert "13812345678" not in page, role


def test_lists_stay_within_the_scope(as_user, make_volunteer) -> None:
    make_volunteer(name="本街道志愿者")
    make_volunteer(community=OTHER_STREET_COMMUNITY, phone="13900000002", name="别的街道志愿者")
    page = as_user("staff").get("/staff/volunteers").get_data(as_text=True)
    assert "本街道志愿者" in page and "别的街道志愿者" not in page
    page = as_user("organizer").get("/staff/volunteers").get_data(as_text=True)
    assert "本街道志愿者" in page and "别的街道志愿者" in page
    page = as_user("other_organizer").get("/staff/volunteers").get_data(as_text=True)
    assert "本街道志愿者" not in page and "0 位志愿者" in page


def test_search_by_name_or_last_four_digits(as_user, make_volunteer) -> None:
    make_volunteer(phone="13812345678", name="王芳")
    make_volunteer(phone="13900001111", name="李强")
    staff = as_user("staff")
    assert "李强" not in staff.get("/staff/volunteers?q=5678").get_data(as_text=True)
    page = staff.get("/staff/volunteers?q=1111").get_data(as_text=True)
    assert "李强" in page and "王芳" not in page
    page = staff.get("/staff/volunteers?q=王").get_data(as_text=True)
    assert "王芳" in page and "李强" not in page


def test_filters_by_status_skill_training_team_and_area(app, accounts, make_volunteer) -> None:
    staff = accounts["staff"]
    team = service.create_team("翠竹队", get_region(COMMUNITY))
    first_aid = make_volunteer(phone="13900000001", skills=["first_aid"], team_id=team.id)
    driver = make_volunteer(phone="13900000002", skills=["driver", "electrician"])
    pending = make_volunteer(phone="13900000003", source="self", community="DEMO010102")
    service.add_training(driver, "灭火器使用", 2, date(2026, 3, 1), True)
    db.session.commit()

    def ids(**filters) -> set[int]:
        stmt = service.volunteer_query(staff, service.VolunteerFilter(**filters))
        return {v.id for v in db.session.execute(stmt).scalars()}

    assert ids() == {first_aid.id, driver.id, pending.id}
    assert ids(status="pending") == {pending.id}
    assert ids(skill="first_aid") == {first_aid.id}
    assert ids(skill="electrician") == {driver.id}
    assert ids(trained=True) == {driver.id}
    assert ids(trained=False) == {first_aid.id, pending.id}
    assert ids(team_id=team.id) == {first_aid.id}
    assert ids(region=get_region("DEMO010102")) == {pending.id}
    assert ids(region=get_region("DEMO0101")) == {first_aid.id, driver.id, pending.id}
    assert ids(region=get_region(OTHER_STREET_COMMUNITY)) == set()


def test_the_list_paginates_and_counts(as_user, make_volunteer) -> None:
    for i in range(30):
        make_volunteer(phone=f"139000000{i:02d}", name=f"志愿者{i:02d}")
    staff = as_user("staff")
    first = staff.get("/staff/volunteers").get_data(as_text=True)
    assert "30 位志愿者" in first and "第 1 / 2 页" in first
    second = staff.get("/staff/volunteers?page=2").get_data(as_text=True)
    assert "志愿者00" in second and "志愿者00" not in first


def test_service_hours_come_from_campaign_activities(as_user, accounts, make_volunteer, make_activity) -> None:
    volunteer = make_volunteer()
    activity = make_activity(accounts["staff"], title="消防安全进社区", held_on=date(2026, 5, 1))
    db.session.add(ServiceRecord(activity=activity, volunteer=volunteer, hours=3.5))
    db.session.commit()
    staff = as_user("staff")
    assert "消防安全进社区" in staff.get(f"/staff/volunteers/{volunteer.id}").get_data(as_text=True)
    assert ">3.5</td>" in staff.get("/staff/volunteers").get_data(as_text=True)


# --- whole phone views and exports ---------------------------------------------------


def test_whole_phone_on_the_detail_page_is_audited_for_staff(as_user, accounts, make_volunteer) -> None:
    volunteer = make_volunteer(phone="13812345678")
    page = as_user("staff").get(f"/staff/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "13812345678" in page
    [entry] = audit_entries("volunteer.view_phone")
    assert entry.user_id == accounts["staff"].id and entry.object_id == str(volunteer.id)


def test_organizers_see_the_masked_phone_and_nothing_is_logged(as_user, make_volunteer) -> None:
    volunteer = make_volunteer(phone="13812345678")
    page = as_user("organizer").get(f"/staff/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "138****5678" in page and "13812345678" not in page
    assert audit_entries("volunteer.view_phone") == []


def test_csv_export_is_audited_with_filter_and_row_count(as_user, accounts, make_volunteer) -> None:
    make_volunteer(phone="13812345678", skills=["first_aid"])
    make_volunteer(phone="13900000002", name="李强")
    response = as_user("staff").get("/staff/volunteers/export?format=csv&skill=first_aid")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_csv(response.data)
    assert len(rows) == 2 and "13812345678" in rows[1]  # staff get whole numbers
    [entry] = audit_entries("volunteer.export")
    assert entry.user_id == accounts["staff"].id and entry.row_count == 1
    assert entry.details["filter"] == {"skill": "first_aid"} and entry.details["format"] == "csv"


def test_organizer_exports_keep_phones_masked(as_user, make_volunteer) -> None:
    make_volunteer(phone="13812345678")
    response = as_user("organizer").get("/staff/volunteers/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row]
    assert "138****5678" in cells and "13812345678" not in cells
    [entry] = audit_entries("volunteer.export")
    assert entry.row_count == 1 and entry.details["format"] == "xlsx" and entry.details["whole_phone"] is False


def test_an_unknown_export_format_is_refused(as_user) -> None:
    assert as_user("staff").get("/staff/volunteers/export?format=pdf").status_code == 400
    assert audit_entries("volunteer.export") == []


# --- status, training, ambassadors --------------------------------------------------------


def test_invalid_status_moves_are_refused(as_user, make_volunteer) -> None:
    volunteer = make_volunteer()
    staff = as_user("staff")
    token = csrf_token(staff, f"/staff/volunteers/{volunteer.id}")
    response = staff.post(f"/staff/volunteers/{volunteer.id}/status", data={"csrf_token": token, "action": "approve"})
    assert response.status_code == 409
    assert "当前状态" in response.get_data(as_text=True)
    assert db.session.get(Volunteer, volunteer.id).status == "active"
    for action in ("reactivate", "reject", "fly"):
        assert (
            staff.post(
                f"/staff/volunteers/{volunteer.id}/status", data={"csrf_token": token, "action": action}
            ).status_code
            == 409
        )
    assert (
        staff.post(
            f"/staff/volunteers/{volunteer.id}/status", data={"csrf_token": token, "action": "deactivate"}
        ).status_code
        == 303
    )
    assert db.session.get(Volunteer, volunteer.id).status == "inactive"
    assert [e.details for e in audit_entries("volunteer.deactivate")] == [{"from": "active", "to": "inactive"}]


def test_a_rejected_self_registration_cannot_be_reactivated(app, accounts, make_volunteer) -> None:
    volunteer = make_volunteer(source="self")
    service.change_status(volunteer, "reject", accounts["staff"])
    with pytest.raises(service.VolunteerError) as caught:
        service.change_status(volunteer, "reactivate", accounts["staff"])
    assert caught.value.problems == {"action": "invalid_transition"} and volunteer.status == "rejected"


def test_training_is_recorded_and_a_future_date_refused(as_user, make_volunteer) -> None:
    volunteer = make_volunteer()
    staff = as_user("staff")
    page = f"/staff/volunteers/{volunteer.id}"
    data = {
        "csrf_token": csrf_token(staff, page),
        "course": "初起火灾扑救",
        "hours": "1.5",
        "held_on": "2026-03-02",
        "certified": "y",
    }
    assert staff.post(f"{page}/trainings", data=data).status_code == 303
    training = db.session.execute(select(Training)).scalar_one()
    assert training.hours == 1.5 and training.certified and training.held_on == date(2026, 3, 2)
    future = (date.today() + timedelta(days=3)).isoformat()
    response = staff.post(f"{page}/trainings", data={**data, "held_on": future, "course": "将来的培训"})
    assert response.status_code == 422 and "不能晚于今天" in response.get_data(as_text=True)
    response = staff.post(f"{page}/trainings", data={**data, "hours": "lots"})
    assert response.status_code == 422 and 'value="lots"' in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(Training.id))).scalar_one() == 1
    english = staff.get(f"{page}?lang=en").get_data(as_text=True)
    assert "1 training" in english and "1.5 hours in all" in english and "初起火灾扑救" in english


def test_designating_another_ambassador_replaces_the_first(as_user, accounts, make_volunteer) -> None:
    first = make_volunteer(phone="13900000001", name="第一位")
    second = make_volunteer(phone="13900000002", name="第二位")
    staff = as_user("staff")
    token = csrf_token(staff, f"/staff/volunteers/{first.id}")
    assert staff.post(f"/staff/volunteers/{first.id}/ambassador", data={"csrf_token": token}).status_code == 303
    assert staff.post(f"/staff/volunteers/{second.id}/ambassador", data={"csrf_token": token}).status_code == 303
    [ambassador] = db.session.execute(select(Ambassador)).scalars().all()
    assert ambassador.volunteer_id == second.id and ambassador.community.code == COMMUNITY
    page = staff.get(f"/staff/volunteers/{first.id}").get_data(as_text=True)
    assert "第二位" in page  # the community's current ambassador is shown on the others' pages
    entries = audit_entries("ambassador.designate")
    assert [e.details["replaced"] for e in entries] == [None, first.id]


def test_only_active_volunteers_of_the_community_can_be_ambassadors(app, accounts, make_volunteer) -> None:
    pending = make_volunteer(source="self")
    elsewhere = make_volunteer(phone="13900000002", community="DEMO010102")
    for volunteer in (pending, elsewhere):
        with pytest.raises(service.VolunteerError):
            service.designate_ambassador(get_region(COMMUNITY), volunteer, accounts["staff"])
    assert db.session.execute(select(Ambassador)).first() is None


def test_deactivating_the_ambassador_leaves_the_community_without_one(app, accounts, make_volunteer) -> None:
    volunteer = make_volunteer()
    service.designate_ambassador(volunteer.community, volunteer, accounts["staff"])
    service.change_status(volunteer, "deactivate", accounts["staff"])
    db.session.commit()
    assert service.ambassador_of(volunteer.community) is None


# --- teams -----------------------------------------------------------------------------


def test_staff_create_teams_in_their_area(as_user) -> None:
    staff = as_user("staff")
    token = csrf_token(staff, "/staff/teams")
    data = {"csrf_token": token, "name": "桂园街道志愿服务队", "region": "DEMO0101"}
    assert staff.post("/staff/teams", data=data).status_code == 303
    page = staff.get("/staff/teams").get_data(as_text=True)
    assert "桂园街道志愿服务队" in page and "1 支队伍" in page
    again = staff.post("/staff/teams", data={"csrf_token": token, "name": "桂园街道志愿服务队", "region": "DEMO0101"})
    assert "已有同名" in again.get_data(as_text=True)
    outside = staff.post("/staff/teams", data={"csrf_token": token, "name": "外区队", "region": "DEMO0201"})
    assert outside.status_code == 200
    assert db.session.execute(select(func.count(Team.id))).scalar_one() == 1
    assert "外区队" not in as_user("other_staff").get("/staff/teams").get_data(as_text=True)


# --- import ----------------------------------------------------------------------------

HEADER = "姓名,手机号,社区编码,已同意,技能,出生年份,监护人姓名,监护人已同意\n"


def upload(client: FlaskClient, body: bytes, filename: str = "volunteers.csv"):
    data = {"csrf_token": csrf_token(client, "/staff/volunteers/import"), "file": (io.BytesIO(body), filename)}
    return client.post("/staff/volunteers/import", data=data, content_type="multipart/form-data")


def test_a_good_csv_imports_every_row(as_user) -> None:
    body = (
        HEADER + f"张三,138 0013 8001,{COMMUNITY},是,急救、驾驶员,1980,,\n"
        f"李四,+86 13800138002,DEMO010102,yes,first_aid,,,\n"
    ).encode()
    response = upload(as_user("staff"), body)
    assert response.status_code == 303
    volunteers = db.session.execute(select(Volunteer).order_by(Volunteer.phone)).scalars().all()
    assert [v.phone for v in volunteers] == ["13800138001", "13800138002"]
    assert volunteers[0].skills == ["first_aid", "driver"] and volunteers[0].status == "active"
    assert {v.source for v in volunteers} == {"import"}
    [entry] = audit_entries("volunteer.import")
    assert entry.row_count == 2


def test_an_import_with_one_bad_row_changes_nothing_and_names_the_line(as_user) -> None:
    body = (
        HEADER + f"张三,13800138001,{COMMUNITY},是,,,,\n"
        f"李四,1380013,{COMMUNITY},是,,,,\n"
        f"王五,13800138003,{COMMUNITY},是,,,,\n"
    ).encode()
    response = upload(as_user("staff"), body)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and count_volunteers() == 0
    assert "没有导入任何志愿者" in page and "第 3 行" in page and "手机号" in page
    assert "第 2 行" not in page and "第 4 行" not in page


def test_import_reports_every_bad_row(as_user, make_volunteer) -> None:
    make_volunteer(phone="13800138009")
    young = utcnow().year - 12
    body = (
        HEADER + f"张三,13800138001,{OTHER_STREET_COMMUNITY},是,,,,\n"  # outside the importer's area
        f"李四,13800138002,{COMMUNITY},否,,,,\n"  # no consent
        f"王五,13800138003,{COMMUNITY},是,cooking,,,\n"  # unknown skill
        f"赵六,13800138004,{COMMUNITY},是,,{young},,\n"  # a minor without guardian
        f"钱七,13800138009,{COMMUNITY},是,,,,\n"  # registered before
        f"孙八,13800138004,{COMMUNITY},是,,,,\n"  # the same phone as line 5
        f"周九,13800138010,NOPE,是,,,,\n"
    ).encode()
    page = upload(as_user("staff"), body).get_data(as_text=True)
    for line in range(2, 9):
        assert f"第 {line} 行" in page, line
    assert count_volunteers() == 1


def test_xlsx_import_with_numbers_as_cells(as_user) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "community_code", "consent", "birth_year", "gender"])
    sheet.append(["张三", 13800138001, COMMUNITY, "yes", 1985, "女"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["李四", "13800138002", COMMUNITY, "是", None, "male"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(as_user("staff"), buffer.getvalue(), "名单.xlsx").status_code == 303
    volunteers = db.session.execute(select(Volunteer).order_by(Volunteer.phone)).scalars().all()
    assert [(v.phone, v.gender, v.birth_year) for v in volunteers] == [
        ("13800138001", "female", 1985),
        ("13800138002", "male", None),
    ]


@pytest.mark.parametrize(
    ("body", "filename", "expected"),
    [
        (b"name,phone\n", "a.csv", "缺少必填的列"),
        (b"", "a.csv", "文件里没有可以导入的人员"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "无法读取"),
        (b"\xff\xfe\x00garbage", "a.csv", "无法读取"),
    ],
)
def test_unreadable_files_are_explained(as_user, body: bytes, filename: str, expected: str) -> None:
    response = upload(as_user("staff"), body, filename)
    assert response.status_code == 422 and expected in response.get_data(as_text=True)
    assert count_volunteers() == 0


def test_gbk_csv_from_excel_is_read(as_user) -> None:
    body = (HEADER + f"张三,13800138001,{COMMUNITY},是,急救,,,\n").encode("gbk")
    assert upload(as_user("staff"), body).status_code == 303
    assert db.session.execute(select(Volunteer.name)).scalar_one() == "张三"


def test_the_import_page_documents_columns_and_offers_a_template(as_user) -> None:
    staff = as_user("staff")
    page = staff.get("/staff/volunteers/import").get_data(as_text=True)
    assert "community_code" in page and "社区编码" in page
    template = staff.get("/staff/volunteers/import/template.csv")
    assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
    header = read_csv(template.data)[0]
    assert header[:4] == ["姓名", "手机号", "社区编码", "已同意"]


# --- residents register themselves -------------------------------------------------------


def test_a_resident_registers_and_waits_for_review(resident: FlaskClient) -> None:
    page = resident.get("/volunteer").get_data(as_text=True)
    assert "翠竹社区" in page and "同意" in page  # the community comes from the QR code cookie
    response = resident.post("/volunteer", data=form_data(resident, SIGNUP_PAGE, SIGNUP_FORM))
    assert response.status_code == 303
    thanks = resident.get(response.headers["Location"]).get_data(as_text=True)
    assert "审核" in thanks
    volunteer = db.session.execute(select(Volunteer)).scalar_one()
    assert volunteer.status == "pending" and volunteer.source == "self" and volunteer.community.code == COMMUNITY


def test_without_a_remembered_community_the_resident_searches(client: FlaskClient) -> None:
    page = client.get("/volunteer").get_data(as_text=True)
    assert 'name="q"' in page and 'name="phone"' not in page
    page = client.get("/volunteer?q=翠竹").get_data(as_text=True)
    assert f"/volunteer?community={COMMUNITY}" in page
    page = client.get(f"/volunteer?community={COMMUNITY}").get_data(as_text=True)
    assert 'name="phone"' in page and f'value="{COMMUNITY}"' in page


def test_a_larger_area_cannot_be_chosen(client: FlaskClient) -> None:
    response = client.post("/volunteer", data=form_data(client, SIGNUP_PAGE, SIGNUP_FORM, community="DEMO0101"))
    assert response.status_code == 200 and count_volunteers() == 0


def test_self_registration_requires_consent_and_a_guardian_under_18(resident: FlaskClient) -> None:
    page = resident.post("/volunteer", data=form_data(resident, SIGNUP_PAGE, SIGNUP_FORM, consent="")).get_data(
        as_text=True
    )
    assert "需要同意" in page and 'value="陈静"' in page
    young = str(utcnow().year - 16)
    page = resident.post("/volunteer", data=form_data(resident, SIGNUP_PAGE, SIGNUP_FORM, birth_year=young)).get_data(
        as_text=True
    )
    assert "未满 18 岁的志愿者需要填写监护人姓名" in page and count_volunteers() == 0


def test_a_registered_phone_is_thanked_without_revealing_the_record(resident: FlaskClient, make_volunteer) -> None:
    make_volunteer(phone="13712345678", name="隐私姓名", community="DEMO010102")
    response = resident.post("/volunteer", data=form_data(resident, SIGNUP_PAGE, SIGNUP_FORM))
    assert response.status_code == 303
    page = resident.get(response.headers["Location"]).get_data(as_text=True)
    assert "审核" in page and "隐私姓名" not in page and "DEMO010102" not in page and "/staff/volunteers/" not in page
    assert count_volunteers() == 1


def test_a_self_registration_is_approved_by_staff_in_scope_only(resident: FlaskClient, as_user) -> None:
    resident.post("/volunteer", data=form_data(resident, SIGNUP_PAGE, SIGNUP_FORM))
    volunteer = db.session.execute(select(Volunteer)).scalar_one()
    staff = as_user("staff")
    listed = staff.get("/staff/volunteers").get_data(as_text=True)
    assert "1 位志愿者报名待审核" in listed
    pending = staff.get("/staff/volunteers?status=pending").get_data(as_text=True)
    assert "陈静" in pending and f"/staff/volunteers/{volunteer.id}/status?back=pending" in pending
    assert "/status?back=pending" not in as_user("organizer").get("/staff/volunteers?status=pending").get_data(
        as_text=True
    )

    other = as_user("other_staff")
    assert "陈静" not in other.get("/staff/volunteers?status=pending").get_data(as_text=True)
    assert other.get(f"/staff/volunteers/{volunteer.id}").status_code == 404
    token = csrf_token(other, "/staff/volunteers")
    response = other.post(f"/staff/volunteers/{volunteer.id}/status", data={"csrf_token": token, "action": "approve"})
    assert response.status_code == 404
    assert db.session.get(Volunteer, volunteer.id).status == "pending"
    organizer = as_user("organizer")
    token = csrf_token(organizer, "/staff/volunteers")
    response = organizer.post(
        f"/staff/volunteers/{volunteer.id}/status", data={"csrf_token": token, "action": "approve"}
    )
    assert response.status_code == 403 and db.session.get(Volunteer, volunteer.id).status == "pending"

    token = csrf_token(staff, f"/staff/volunteers/{volunteer.id}")
    response = staff.post(
        f"/staff/volunteers/{volunteer.id}/status?back=pending", data={"csrf_token": token, "action": "approve"}
    )
    assert response.status_code == 303 and "status=pending" in response.headers["Location"]
    volunteer = db.session.get(Volunteer, volunteer.id)
    assert volunteer.status == "active" and volunteer.decided_by.username == "staff"
    assert "位志愿者报名待审核" not in staff.get("/staff/volunteers").get_data(as_text=True)
    assert [e.details for e in audit_entries("volunteer.approve")] == [{"from": "pending", "to": "active"}]


def test_self_registration_is_rate_limited_per_address(database_uri: str) -> None:
    with seeded_app(database_uri, RATELIMIT_ENABLED=True, VOLUNTEER_SIGNUP_RATE_LIMIT="2 per hour") as app:
        client = app.test_client()
        statuses = [
            client.post(
                "/volunteer", data=form_data(client, SIGNUP_PAGE, SIGNUP_FORM, phone=f"1371234567{i}")
            ).status_code
            for i in range(3)
        ]
        assert statuses == [303, 303, 429]
        assert client.get("/volunteer").status_code == 200  # reading the form is not limited


def test_a_phone_registered_meanwhile_is_a_duplicate_not_a_crash(app, make_volunteer) -> None:
    first = make_volunteer(phone="13800138000")
    # as if another request registered the number between the check and the insert
    late = service._build(
        {"name": "晚到", "phone": "13800138000", "skills": [], "languages": []},
        get_region(COMMUNITY),
        "staff",
        None,
        utcnow(),
    )
    with pytest.raises(service.VolunteerError) as caught:
        service._insert(late)
    assert caught.value.existing is first
    db.session.commit()  # the session is still usable
    assert count_volunteers() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"birth_year": "19x0"},
        {"birth_year": "٣٣٣٣"},
        {"team": "99999999999"},
        {"community": "x" * 300},
        {"skills": ["juggling"]},
        {"gender": "robot"},
        {"phone": "1" * 500},
    ],
)
def test_garbage_in_the_form_is_refused_without_an_error_page(as_user, fields: dict) -> None:
    staff = as_user("staff")
    response = staff.post(
        "/staff/volunteers/new", data=form_data(staff, "/staff/volunteers/new", VOLUNTEER_FORM, consent="y", **fields)
    )
    assert response.status_code == 200 and count_volunteers() == 0
    assert 'class="error"' in response.get_data(as_text=True)
