"""The 五进 activity log on the site: forms, filters and totals, exports, QR codes and posters."""

from __future__ import annotations

import csv
import io
import re
import struct
from datetime import date, timedelta

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import ACTIVITY_DAY, ACTIVITY_FORM
from tests.helpers import audit_entries, form_data, png_modules, qr_matrix, svg_modules
from webapp.campaigns import qr
from webapp.campaigns import service as campaigns
from webapp.campaigns.labels import CHANNEL_LABELS, KIND_LABELS
from webapp.campaigns.models import CHANNELS, KINDS, Activity, ServiceRecord
from webapp.campaigns.service import ActivityError, ActivityFilter
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.volunteers.models import Volunteer

TODAY = utcnow().date()
BASE = ACTIVITY_DAY


# --- create and edit -----------------------------------------------------------------


@pytest.fixture()
def helpers(accounts: dict, make_volunteer) -> dict[str, Volunteer]:
    """Volunteers around street DEMO0101: two active, one inactive, one in the next street."""
    found = {
        "li": make_volunteer(name="李红", phone="13800138001", community="DEMO010101"),
        "zhao": make_volunteer(name="赵强", phone="13800138002", community="DEMO010103"),
        "sun": make_volunteer(name="孙静", phone="13800138003", community="DEMO010102", status="inactive"),
        "zhou": make_volunteer(name="周涛", phone="13800138004", community="DEMO010201"),
    }
    db.session.commit()
    return found


def test_staff_log_an_activity_with_the_volunteers_who_served(as_user, helpers: dict) -> None:
    staff = as_user("staff")
    page = staff.get("/staff/activities/new").get_data(as_text=True)
    assert "李红" in page and "138****8001" in page and "赵强" in page
    assert "13800138001" not in page  # phones are masked in the list of volunteers
    assert "孙静" not in page and "周涛" not in page  # inactive, and another street
    data = form_data(staff, "/staff/activities/new", ACTIVITY_FORM)
    data[f"hours-{helpers['li'].id}"] = "2.5"
    data[f"hours-{helpers['zhao'].id}"] = "3"
    response = staff.post("/staff/activities/new", data=data)
    assert response.status_code == 302
    detail = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "厨房用火安全讲座" in detail and "进学校" in detail and "育才小学礼堂" in detail
    assert "138****8002" in detail and "服务时长合计 5.5 小时" in detail
    saved = db.session.execute(select(Activity)).scalar_one()
    assert (saved.participants, saved.materials, saved.community.code) == (120, 300, "DEMO010101")
    assert len(saved.code) == campaigns.CODE_LENGTH
    assert {s.volunteer.name: s.hours for s in saved.services} == {"李红": 2.5, "赵强": 3.0}
    assert audit_entries("activity.create")[0].object_id == str(saved.id)
    assert audit_entries("activity.update")[0].details == {
        "services": {str(helpers["li"].id): 2.5, str(helpers["zhao"].id): 3.0}
    }


def test_editing_changes_fields_and_hours(as_user, accounts: dict, helpers: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101", participants=10)
    campaigns.set_service(saved, {helpers["li"]: 2}, accounts["staff"])
    db.session.commit()
    staff = as_user("staff")
    page = f"/staff/activities/{saved.id}/edit"
    form = staff.get(page).get_data(as_text=True)
    assert 'value="讲座"' in form and f'name="hours-{helpers["li"].id}"' in form and 'value="2"' in form
    data = form_data(staff, page, ACTIVITY_FORM, title="讲座（改）", participants="45", channel="community")
    data[f"hours-{helpers['zhao'].id}"] = "1"  # Li is left empty: her hours are removed
    assert staff.post(page, data=data).status_code == 302
    db.session.expire_all()
    assert (saved.title, saved.participants) == ("讲座（改）", 45)
    assert [s.volunteer.name for s in saved.services] == ["赵强"]
    changed = [e.details for e in audit_entries("activity.update") if "changed" in e.details]
    assert set(changed[-1]["changed"]) >= {"title", "participants", "place", "materials"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"held_on": (TODAY - timedelta(days=365 * 12)).isoformat()}, "日期须在过去 10 年内或未来一年内"),
        ({"held_on": (TODAY + timedelta(days=400)).isoformat()}, "日期须在过去 10 年内或未来一年内"),
        ({"held_on": "2026-13-45"}, "Not a valid date value"),
        ({"participants": "-5"}, "请填写 0 到 1,000,000 之间的整数"),
        ({"materials": "2000000"}, "请填写 0 到 1,000,000 之间的整数"),
        ({"participants": "many"}, "Not a valid integer value"),
        ({"title": "  "}, "This field is required"),
        ({"title": "长" * 101}, "请填写活动标题，不超过 100 个字"),
        ({"channel": "radio"}, "Not a valid choice"),
        ({"community": "DEMO010201"}, "Not a valid choice"),  # another street's community
    ],
)
def test_bad_input_is_explained_and_nothing_typed_is_lost(as_user, accounts: dict, fields: dict, expected) -> None:
    staff = as_user("staff")
    response = staff.post(
        "/staff/activities/new", data=form_data(staff, "/staff/activities/new", ACTIVITY_FORM, **fields)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # WTForms' own messages are translated by its catalog; compare loosely
    assert expected in page or _wtforms_zh(expected) in page, page[page.find("<form") :][:3000]
    assert 'value="育才小学礼堂"' in page  # what the user typed is still there
    assert db.session.execute(select(func.count(Activity.id))).scalar_one() == 0


def _wtforms_zh(message: str) -> str:
    return {
        "Not a valid date value": "不是有效的日期",
        "Not a valid integer value": "不是有效的整数",
        "This field is required": "该字段是必填字段",
        "Not a valid choice": "不是有效的选择",
    }.get(message, message)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("abc", "请用数字填写小时数"),
        ("0", "服务时长须大于 0 且不超过 24 小时"),
        ("25", "服务时长须大于 0 且不超过 24 小时"),
        ("nan", "服务时长须大于 0 且不超过 24 小时"),
    ],
)
def test_bad_hours_are_explained_next_to_the_volunteer(as_user, helpers: dict, hours: str, expected: str) -> None:
    staff = as_user("staff")
    data = form_data(staff, "/staff/activities/new", ACTIVITY_FORM)
    data[f"hours-{helpers['li'].id}"] = hours
    response = staff.post("/staff/activities/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and expected in page
    assert f'id="hours-{helpers["li"].id}-error"' in page and f'value="{hours}"' in page
    assert db.session.execute(select(func.count(Activity.id))).scalar_one() == 0  # all or nothing


def test_forms_without_csrf_token_are_refused(as_user, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101")
    db.session.commit()
    staff = as_user("staff")
    data = form_data(staff, "/staff/activities/new", ACTIVITY_FORM)
    del data["csrf_token"]
    assert staff.post("/staff/activities/new", data=data).status_code == 400
    assert staff.post(f"/staff/activities/{saved.id}/edit", data=data).status_code == 400
    db.session.expire_all()
    assert db.session.execute(select(func.count(Activity.id))).scalar_one() == 1 and saved.title == "讲座"


def test_organizers_read_but_cannot_log_or_edit(as_user, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101")
    db.session.commit()
    organizer = as_user("organizer")
    listing = organizer.get("/staff/activities").get_data(as_text=True)
    assert "讲座" in listing and "/staff/activities/new" not in listing
    detail = organizer.get(f"/staff/activities/{saved.id}").get_data(as_text=True)
    assert f"/staff/activities/{saved.id}/edit" not in detail
    assert organizer.get("/staff/activities/new").status_code == 403
    data = form_data(organizer, "/staff", ACTIVITY_FORM, title="改掉")
    assert organizer.post("/staff/activities/new", data=data).status_code == 403
    assert organizer.post(f"/staff/activities/{saved.id}/edit", data=data).status_code == 403
    db.session.expire_all()
    assert saved.title == "讲座"


def test_the_workspace_links_to_activities_and_posters(as_user) -> None:
    page = as_user("staff").get("/staff").get_data(as_text=True)
    assert 'href="/staff/activities"' in page and 'href="/staff/posters"' in page


# --- the service's rules ---------------------------------------------------------------


def test_activity_dates_and_counts_have_sane_bounds(accounts: dict) -> None:
    base = {"title": "讲座", "channel": "community", "kind": "talk", "held_on": TODAY}
    today = date(2026, 6, 15)
    for held_on in (date(2016, 1, 1), today + timedelta(days=campaigns.FUTURE_DAYS)):
        campaigns.clean_activity({**base, "held_on": held_on}, today)
    for held_on in (date(2015, 12, 31), today + timedelta(days=campaigns.FUTURE_DAYS + 1), "2026-06-01", None):
        with pytest.raises(ActivityError) as refused:
            campaigns.clean_activity({**base, "held_on": held_on}, today)
        assert refused.value.field == "held_on"
    assert campaigns.clean_activity({**base, "participants": campaigns.MAX_COUNT})["participants"] == 1_000_000
    for bad in (-1, campaigns.MAX_COUNT + 1, True, 2.5, "3"):
        with pytest.raises(ActivityError) as refused:
            campaigns.clean_activity({**base, "participants": bad})
        assert (refused.value.field, refused.value.code) == ("participants", "count_range")
    for field, value in (("channel", "radio"), ("kind", "party"), ("title", ""), ("title", "x" * 101)):
        with pytest.raises(ActivityError) as refused:
            campaigns.clean_activity({**base, field: value})
        assert refused.value.field == field
    cleaned = campaigns.clean_activity({**base, "title": "  讲座  ", "place": "  ", "notes": None})
    assert (cleaned["title"], cleaned["place"], cleaned["notes"]) == ("讲座", None, None)


def test_activities_only_in_communities_of_the_scope(accounts: dict, make_activity) -> None:
    for code in ("DEMO010201", "DEMO0101", "DEMO01"):
        with pytest.raises(ActivityError) as refused:
            make_activity(accounts["staff"], code)
        assert refused.value.code == "community_unknown"
    assert make_activity(accounts["admin"], "DEMO030101").community.code == "DEMO030101"


def test_codes_are_random_and_unique(accounts: dict, make_activity) -> None:
    codes = {make_activity(accounts["staff"], "DEMO010101").code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 10 and set(code) <= set(campaigns.CODE_ALPHABET) for code in codes)
    code = next(iter(codes))
    assert campaigns.activity_by_code(code).code == code
    assert campaigns.activity_by_code(code.upper()).code == code  # typed from a poster in capitals
    assert campaigns.activity_by_code("nope") is None and campaigns.activity_by_code("x" * 500) is None


def test_service_hours_rules(accounts: dict, helpers: dict, make_activity) -> None:
    staff = accounts["staff"]
    saved = make_activity(staff, "DEMO010102")
    refusals = [
        ({helpers["sun"]: 2}, "volunteer_not_active"),
        ({helpers["zhou"]: 2}, "volunteer_unknown"),  # another street is outside the scope: like missing
        ({helpers["li"]: 0}, "hours_range"),
        ({helpers["li"]: 24.01}, "hours_range"),
        ({helpers["li"]: float("inf")}, "hours_range"),
    ]
    for hours, code in refusals:
        with pytest.raises(ActivityError) as refused:
            campaigns.set_service(saved, hours, staff)
        assert refused.value.code == code and refused.value.volunteer_id == next(iter(hours)).id
    # the admin sees every street, but a volunteer serves only in their own street
    with pytest.raises(ActivityError) as refused:
        campaigns.set_service(saved, {helpers["zhou"]: 2}, accounts["admin"])
    assert refused.value.code == "volunteer_other_street"
    assert campaigns.set_service(saved, {helpers["li"]: 24, helpers["zhao"]: 1.5}, staff) is True
    assert campaigns.set_service(saved, {helpers["li"]: 24, helpers["zhao"]: 1.5}, staff) is False  # unchanged
    helpers["li"].change_status("deactivate", staff)
    # Li served before being deactivated: her hours stay and may still be corrected
    assert campaigns.set_service(saved, {helpers["li"]: 20}, staff) is True
    db.session.flush()
    assert [(s.volunteer.name, s.hours) for s in saved.services] == [("李红", 20.0)]
    assert db.session.execute(select(func.count(ServiceRecord.id))).scalar_one() == 1
    assert len([e for e in audit_entries("activity.update") if "services" in e.details]) == 2


def test_an_activity_with_volunteers_cannot_move_to_another_street(
    accounts: dict, helpers: dict, make_activity
) -> None:
    admin = accounts["admin"]
    saved = make_activity(admin, "DEMO010101")
    campaigns.set_service(saved, {helpers["li"]: 2}, admin)
    assert campaigns.update_activity(saved, {}, admin, get_region("DEMO010105")) == ["community"]
    with pytest.raises(ActivityError) as refused:
        campaigns.update_activity(saved, {}, admin, get_region("DEMO010201"))
    assert refused.value.code == "volunteers_elsewhere"
    assert campaigns.update_activity(saved, {"participants": 0}, admin) == []  # nothing changed, nothing audited


def test_every_channel_and_kind_has_a_label() -> None:
    assert set(CHANNEL_LABELS) == set(CHANNELS) and set(KIND_LABELS) == set(KINDS)


# --- filters, totals, pages, exports ---------------------------------------------------


@pytest.fixture()
def logbook(accounts: dict, make_activity) -> dict[str, Activity]:
    """A small hand-made log: three in street DEMO0101, one in DEMO0102, one in district DEMO02."""
    admin = accounts["admin"]
    found = {
        "talk": make_activity(
            admin, "DEMO010101", title="厨房用火讲座", place="社区活动室", participants=30, materials=100
        ),
        "drill": make_activity(
            admin,
            "DEMO010102",
            title="消防疏散演练",
            channel="school",
            kind="drill",
            held_on=BASE + timedelta(days=10),
            place="育才小学",
            participants=200,
        ),
        "visit": make_activity(
            admin,
            "DEMO010101",
            title="入户检查",
            channel="family",
            kind="door_to_door",
            held_on=BASE + timedelta(days=20),
            participants=15,
            materials=40,
        ),
        "training": make_activity(
            admin,
            "DEMO010201",
            title="企业员工培训",
            channel="enterprise",
            kind="training",
            held_on=BASE + timedelta(days=5),
            participants=50,
            materials=10,
        ),
        "percent": make_activity(
            admin, "DEMO020101", title="讲座 100%", held_on=BASE + timedelta(days=1), participants=80
        ),
    }
    db.session.commit()
    return found


@pytest.mark.parametrize(
    ("user", "filters", "expected"),
    [
        ("staff", {}, {"visit", "drill", "talk"}),
        ("organizer", {}, {"visit", "drill", "training", "talk"}),
        ("other_organizer", {}, {"percent"}),
        ("admin", {"channel": "community"}, {"talk", "percent"}),
        ("organizer", {"kind": "drill"}, {"drill"}),
        ("organizer", {"since": 5, "until": 10}, {"drill", "training"}),
        ("organizer", {"q": "讲座"}, {"talk"}),
        ("organizer", {"q": "小学"}, {"drill"}),  # the place counts too
        ("admin", {"q": "%"}, {"percent"}),  # a wildcard typed is a literal
        ("admin", {"region": "DEMO0101"}, {"visit", "drill", "talk"}),
        ("staff", {"region": "DEMO010101"}, {"visit", "talk"}),
    ],
)
def test_filters(logbook: dict, accounts: dict, user: str, filters: dict, expected: set) -> None:
    if "region" in filters:
        filters["region"] = get_region(filters["region"])
    for key in ("since", "until"):
        if key in filters:
            filters[key] = BASE + timedelta(days=filters[key])
    stmt = campaigns.activity_query(accounts[user], ActivityFilter(**filters))
    found = db.session.execute(stmt).scalars().all()
    names = {name for name, a in logbook.items() if a in found}
    assert names == expected
    assert [a.held_on for a in found] == sorted((a.held_on for a in found), reverse=True)
    totals = campaigns.activity_totals(stmt)
    assert totals.activities == len(expected)
    assert totals.participants == sum(logbook[n].participants for n in expected)
    assert totals.materials == sum(logbook[n].materials for n in expected)


def test_the_list_shows_what_the_totals_count(as_user, logbook: dict) -> None:
    staff = as_user("staff")
    page = staff.get("/staff/activities").get_data(as_text=True)
    assert "符合筛选条件的活动：3 场" in page
    assert "现场覆盖人数合计：245 人" in page and "发放宣传资料合计：140 份" in page
    assert "企业员工培训" not in page  # another street
    filtered = staff.get("/staff/activities?community=DEMO010101&channel=family").get_data(as_text=True)
    assert "符合筛选条件的活动：1 场" in filtered and "入户检查" in filtered and "厨房用火讲座" not in filtered
    assert "现场覆盖人数合计：15 人" in filtered
    # the export links carry the same filter
    assert "/staff/activities/export.csv?community=DEMO010101&amp;channel=family" in filtered
    # a region outside the scope is not a choice: explained, and the list stays within the scope
    foreign = staff.get("/staff/activities?community=DEMO010201").get_data(as_text=True)
    assert "不是有效的选择" in foreign or "Not a valid choice" in foreign
    assert "企业员工培训" not in foreign


def test_bad_filter_values_are_explained(as_user, logbook: dict) -> None:
    page = as_user("staff").get("/staff/activities?since=yesterday&kind=party&q=" + "x" * 101).get_data(as_text=True)
    assert page.count('class="error"') == 3
    assert "符合筛选条件的活动：3 场" in page  # the bad parts are ignored, the rest still applies


def test_the_list_is_paginated(as_user, accounts: dict, make_activity) -> None:
    for day in range(25):
        make_activity(accounts["staff"], "DEMO010101", title=f"讲座{day:02d}", held_on=BASE + timedelta(days=day))
    db.session.commit()
    staff = as_user("staff")
    first = staff.get("/staff/activities").get_data(as_text=True)
    assert "讲座24" in first and "讲座05" in first and "讲座04" not in first
    assert "符合筛选条件的活动：25 场" in first and "page=2" in first
    second = staff.get("/staff/activities?page=2").get_data(as_text=True)
    assert "讲座04" in second and "讲座00" in second and "讲座05" not in second
    assert staff.get("/staff/activities?page=abc").status_code == 200


def _csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_exports_are_audited_and_match_the_filter(as_user, accounts: dict, logbook: dict, helpers: dict) -> None:
    campaigns.set_service(logbook["visit"], {helpers["li"]: 2, helpers["zhao"]: 1.5}, accounts["admin"])
    db.session.commit()
    staff = as_user("staff")
    response = staff.get("/staff/activities/export.csv?channel=family")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:5] == ["编码", "日期", "宣传渠道", "活动形式", "标题"]
    assert len(rows) == 2
    assert rows[1][1:] == [
        (BASE + timedelta(days=20)).isoformat(),
        "进家庭",
        "入户宣传",
        "入户检查",
        "DEMO010101",
        "翠竹社区",
        "桂园街道",
        "",
        "15",
        "40",
        "2",
        "3.5",
        "",
    ]
    entry = audit_entries("activity.export")[-1]
    assert (entry.user_id, entry.row_count, entry.details) == (accounts["staff"].id, 1, {"channel": "family"})

    workbook = load_workbook(io.BytesIO(staff.get("/staff/activities/export.xlsx").get_data()))
    sheet = workbook.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 4 and values[0][4] == "标题"
    assert {row[4] for row in values[1:]} == {"厨房用火讲座", "消防疏散演练", "入户检查"}
    assert sum(row[9] for row in values[1:]) == 245
    assert audit_entries("activity.export")[-1].row_count == 3


def test_an_export_with_a_bad_filter_is_refused_not_widened(as_user, logbook: dict) -> None:
    staff = as_user("staff")
    assert staff.get("/staff/activities/export.csv?community=DEMO010201").status_code == 400
    assert staff.get("/staff/activities/export.csv?since=soon").status_code == 400
    assert staff.get("/staff/activities/export.pdf").status_code == 404
    assert audit_entries("activity.export") == []


# --- QR codes and posters ---------------------------------------------------------------


def test_community_qr_codes_encode_the_community_address(as_user) -> None:
    staff = as_user("staff")
    expected = qr_matrix("http://localhost/c/DEMO010101")
    png = staff.get("/staff/qr/community/DEMO010101.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png_modules(png.get_data(), len(expected)) == expected
    (width,) = struct.unpack(">I", png.get_data()[16:20])
    assert width >= 300  # large enough to print
    svg = staff.get("/staff/qr/community/DEMO010101.svg")
    assert svg.mimetype == "image/svg+xml" and svg.get_data(as_text=True).startswith("<?xml")
    assert svg_modules(svg.get_data(as_text=True), len(expected)) == expected
    # not some other community's code
    assert png_modules(png.get_data(), len(expected)) != qr_matrix("http://localhost/c/DEMO010102")


def test_activity_qr_codes_encode_the_activity_address(as_user, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101")
    db.session.commit()
    staff = as_user("staff")
    expected = qr_matrix(f"http://localhost/a/{saved.code}")
    png = staff.get(f"/staff/qr/activity/{saved.id}.png").get_data()
    assert png_modules(png, len(expected)) == expected
    svg = staff.get(f"/staff/qr/activity/{saved.id}.svg").get_data(as_text=True)
    assert svg_modules(svg, len(expected)) == expected


def test_qr_addresses_are_absolute_on_the_site_host(app: Flask, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010101")
    with app.test_request_context("/", base_url="https://xf.example.org/"):
        assert qr.community_url(get_region("DEMO010105")) == "https://xf.example.org/c/DEMO010105"
        assert qr.activity_url(saved) == f"https://xf.example.org/a/{saved.code}"


def test_the_community_poster_is_printable(as_user) -> None:
    staff = as_user("staff")
    page = staff.get("/staff/posters/community/DEMO010101").get_data(as_text=True)
    poster = page[page.index('<article class="poster">') : page.index("</article>")]
    assert "翠竹社区" in poster and "桂园街道" in poster
    assert "扫码学消防，测一测您的消防安全知识" in poster
    assert "<svg" in poster and "http://localhost/c/DEMO010101" in poster
    stylesheet = staff.get("/static/site.css")
    css = stylesheet.get_data(as_text=True)
    stylesheet.close()
    assert re.search(r"@page\s*\{[^}]*A4", css)
    print_rules = css[css.index("@page") :]
    assert "main:has(> .poster) > :not(.poster)" in print_rules  # only the poster prints, and only on its page


def test_the_activity_poster_names_the_activity(as_user, accounts: dict, make_activity) -> None:
    saved = make_activity(accounts["staff"], "DEMO010102", title="消防开放日")
    db.session.commit()
    page = as_user("staff").get(f"/staff/activities/{saved.id}/poster").get_data(as_text=True)
    assert "消防开放日" in page and "银杏社区" in page and "扫码参与" in page
    assert f"/a/{saved.code}" in page


def test_the_poster_index_lists_the_communities_in_scope(as_user) -> None:
    staff = as_user("staff")
    page = staff.get("/staff/posters").get_data(as_text=True)
    assert "5 个社区或村" in page
    assert "/staff/posters/community/DEMO010105" in page and "DEMO010201" not in page
    found = staff.get("/staff/posters?q=银杏").get_data(as_text=True)
    assert "/staff/posters/community/DEMO010102" in found and "DEMO010101" not in found
    admin = as_user("admin").get("/staff/posters?page=3").get_data(as_text=True)
    assert "上一页" in admin and "/staff/posters/community/" in admin


def test_streets_have_no_poster_of_their_own(as_user) -> None:
    # a QR code leads residents to a community; a street or district is not one
    staff = as_user("staff")
    assert staff.get("/staff/posters/community/DEMO0101").status_code == 404
    assert staff.get("/staff/qr/community/DEMO0101.png").status_code == 404
