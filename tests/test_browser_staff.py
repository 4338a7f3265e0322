"""Street staff in real Chromium on a phone: volunteers, their review, and a community's QR poster.

A resident registers as a volunteer on the public page; the street's staff register another
one, see only masked phones in the list, approve the resident and open the community poster.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from tests.browser_support import assert_usable_on_a_phone, h1, phone, screenshot, sign_in
from tests.conftest import COMMUNITY, PASSWORD
from webapp.accounts.service import create_user
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.volunteers.models import Volunteer

pytestmark = pytest.mark.browser

#: a community of the same street as COMMUNITY (翠竹社区), where the resident lives
RESIDENT_COMMUNITY = "DEMO010102"


def test_staff_register_review_and_print_a_poster_on_a_phone(chromium: Browser | None, live_server: str) -> None:
    staff = create_user("guiyuan", "桂园街道王芳", PASSWORD, "staff", get_region("DEMO0101"))
    db.session.commit()
    home = get_region(RESIDENT_COMMUNITY).name("zh_Hans")

    # a resident who scanned their community's QR code registers on the public page
    with phone(chromium, live_server) as page:
        page.goto(f"/c/{RESIDENT_COMMUNITY}")
        expect(page).to_have_url(f"{live_server}/")
        page.goto("/volunteer")
        expect(h1(page)).to_have_text("成为消防志愿者")
        expect(page.locator(".community")).to_contain_text("您的社区：")
        expect(page.locator(".community strong")).to_have_text(home)
        page.get_by_label("姓名", exact=True).fill("李秀兰")
        page.get_by_label("手机号", exact=True).fill("139-0013-9000")
        page.get_by_label(re.compile(r"^我同意社区保存我的姓名")).check()
        page.get_by_role("button", name="报名当志愿者").click()
        expect(page).to_have_url(f"{live_server}/volunteer/thanks")
        expect(h1(page)).to_have_text("感谢您报名")
        expect(page.get_by_role("status")).to_contain_text("正在等待审核。社区工作人员核实后会打电话联系您。")

    with phone(chromium, live_server) as page:
        # signs in and opens the volunteers from the workspace
        sign_in(page, "guiyuan")
        expect(h1(page)).to_have_text("工作台")
        page.locator("a.tile").get_by_text("志愿者", exact=True).click()
        expect(h1(page)).to_have_text("志愿者")
        expect(page.get_by_role("link", name="1 位志愿者报名待审核")).to_be_visible()
        assert_usable_on_a_phone(page)

        # registers a volunteer, typing the number as people say it
        page.get_by_role("link", name="登记志愿者").click()
        expect(h1(page)).to_have_text("登记志愿者")
        assert_usable_on_a_phone(page)
        screenshot(page, "volunteer-form")
        page.get_by_label("姓名", exact=True).fill("张建国")
        page.get_by_label("手机号", exact=True).fill("138 0013 8000")
        page.get_by_label("社区", exact=True).select_option(label=f"翠竹社区 ({COMMUNITY})")
        page.get_by_label("志愿者本人已同意我们保存并使用这些信息来组织志愿服务").check()
        page.get_by_role("button", name="登记", exact=True).click()

        # the detail page shows the whole number, and says that this view is logged
        expect(h1(page)).to_contain_text("张建国")
        expect(h1(page)).to_contain_text("在册")
        expect(page.get_by_role("status")).to_have_text("已登记志愿者 张建国。")
        whole = page.locator("dl.facts a[href^='tel:']")
        expect(whole).to_have_text("13800138000")
        expect(page.get_by_text("（本次查看已记入审计日志）")).to_be_visible()

        # the list shows phones masked, never whole
        page.get_by_role("link", name="返回志愿者列表").click()
        expect(h1(page)).to_have_text("志愿者")
        expect(page.get_by_role("status")).to_have_text("共 2 位志愿者符合条件")
        row = page.locator("tbody tr").filter(has_text="张建国")
        expect(row).to_contain_text("138****8000")
        expect(row).to_contain_text("翠竹社区")
        expect(row).to_contain_text("在册")
        resident = page.locator("tbody tr").filter(has_text="李秀兰")
        expect(resident).to_contain_text("139****9000")
        expect(resident).to_contain_text(home)
        expect(resident).to_contain_text("待审核")
        html = page.content()
        for number in ("13800138000", "138 0013 8000", "13900139000", "139-0013-9000"):
            assert number not in html, f"the list shows the whole number {number}"
        assert_usable_on_a_phone(page)
        screenshot(page, "volunteers-list")

        # reviews the self-registration from the pending link
        page.get_by_role("link", name="1 位志愿者报名待审核").click()
        expect(page).to_have_url(re.compile(r"/staff/volunteers\?status=pending$"))
        expect(page.get_by_label("状态", exact=True)).to_have_value("pending")
        expect(page.locator("tbody tr")).to_have_count(1)
        page.get_by_role("button", name="通过 · 李秀兰", exact=True).click()
        expect(page.get_by_role("status").first).to_have_text("李秀兰 的状态已改为：在册。")
        expect(page.get_by_text("没有符合这些条件的志愿者。")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("报名待审核"))).to_have_count(0)

        # and finds her among the active volunteers
        page.get_by_label("状态", exact=True).select_option(label="在册")
        page.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"status=active"))
        approved = page.locator("tbody tr").filter(has_text="李秀兰")
        expect(approved.locator(".tag")).to_have_text("在册")
        expect(page.locator("tbody tr")).to_have_count(2)

        # the QR poster of 翠竹社区, from the workspace
        page.locator("nav.main-nav").get_by_role("link", name="工作台").click()
        page.locator("a.tile").get_by_text("二维码海报", exact=True).click()
        expect(h1(page)).to_have_text("二维码海报")
        page.locator("li.item").filter(has_text="翠竹社区").get_by_role("link", name="海报", exact=True).click()
        expect(page).to_have_url(f"{live_server}/staff/posters/community/{COMMUNITY}")
        poster = page.locator("article.poster")
        expect(poster.locator("h1")).to_have_text("翠竹社区")
        expect(poster.locator(".poster-sub")).to_have_text("桂园街道")
        expect(poster.locator(".poster-cta")).to_have_text("扫码学消防，测一测您的消防安全知识")
        qr = poster.locator(".poster-qr > svg.qr-code")
        expect(qr).to_be_visible()
        expect(qr.locator("title")).to_have_text("翠竹社区的二维码")
        expect(poster.locator(".poster-url")).to_have_text(f"{live_server}/c/{COMMUNITY}")
        box = qr.bounding_box()
        assert box and box["width"] >= 150 and box["width"] <= 390, f"the QR code is {box} on a phone"
        screenshot(page, "poster")

    # stored: the number normalized; the statuses; and the audit log holds what the pages audit
    db.session.expire_all()
    registered = db.session.execute(select(Volunteer).where(Volunteer.name == "张建国")).scalar_one()
    assert registered.phone == "13800138000"
    assert (registered.status, registered.source, registered.community.code) == ("active", "staff", COMMUNITY)
    assert registered.created_by_id == staff.id
    signed_up = db.session.execute(select(Volunteer).where(Volunteer.name == "李秀兰")).scalar_one()
    assert signed_up.phone == "13900139000"
    assert (signed_up.status, signed_up.source, signed_up.community.code) == ("active", "self", RESIDENT_COMMUNITY)
    assert signed_up.decided_by_id == staff.id

    entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert [(e.user_id, e.action, e.object_id) for e in entries] == [
        (None, "volunteer.create", str(signed_up.id)),
        (staff.id, "user.login", None),
        (staff.id, "volunteer.create", str(registered.id)),
        (staff.id, "volunteer.view_phone", str(registered.id)),
        (staff.id, "volunteer.approve", str(signed_up.id)),
    ]
    approve = entries[-1]
    assert approve.details == {"from": "pending", "to": "active"}
    # the whole number was seen once, on the new volunteer's page; never the resident's
    views = [e for e in entries if e.action == "volunteer.view_phone"]
    assert [(e.object_type, e.object_id) for e in views] == [("volunteers", str(registered.id))]


def test_a_printed_page_keeps_its_content_and_a_poster_prints_alone(chromium: Browser | None, live_server: str) -> None:
    # regression: the poster's print rule hid everything but a poster on every page, so a
    # printed volunteer list or workspace came out blank
    create_user("guiyuan", "桂园街道王芳", PASSWORD, "staff", get_region("DEMO0101"))
    db.session.commit()
    with phone(chromium, live_server) as page:
        sign_in(page, "guiyuan")
        for path, heading in (("/staff", "工作台"), ("/staff/volunteers", "志愿者")):
            page.goto(path)
            page.emulate_media(media="print")
            expect(h1(page)).to_have_text(heading)
            expect(h1(page)).to_be_visible()
            expect(page.locator("nav.main-nav")).to_be_hidden()
            page.emulate_media(media="screen")

        page.goto(f"/staff/posters/community/{COMMUNITY}")
        page.emulate_media(media="print")
        expect(page.locator("article.poster h1")).to_be_visible()
        expect(page.get_by_text("只打印海报本身，一张 A4 纸。")).to_be_hidden()
