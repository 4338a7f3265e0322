"""Refusals of the campaign log, answered in one place: nothing half-saved, the message where it belongs."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import ACTIVITY_FORM
from tests.helpers import form_data
from webapp.audit.models import AuditEntry
from webapp.campaigns import service as campaigns
from webapp.campaigns.service import ActivityError
from webapp.errors import DomainError
from webapp.extensions import db


def _audited() -> list[tuple[str, dict]]:
    """What the audit log says about activities."""
    stmt = select(AuditEntry).where(AuditEntry.action.like("activity.%")).order_by(AuditEntry.id)
    return [(e.action, e.details) for e in db.session.execute(stmt).scalars()]


def test_an_activity_refusal_is_a_domain_error_answered_422() -> None:
    refusal = ActivityError("services", "hours_range", 7)
    assert isinstance(refusal, DomainError) and refusal.status == 422 and refusal.code == "hours_range"
    assert (refusal.field, refusal.volunteer_id, refusal.fields) == ("services", 7, {"services": "hours_range"})
    assert set(refusal.field_messages()["services"]) == {"7"}
    assert list(ActivityError("title", "activity_title").field_messages()) == ["title"]


def test_refused_hours_leave_the_changed_fields_unsaved(as_user, accounts: dict, make_activity, make_volunteer) -> None:
    # the fields are changed (and audited) before the hours are refused: the whole edit is undone
    saved = make_activity(accounts["staff"], "DEMO010101", participants=10)
    li = make_volunteer(name="李红", phone="13800138001", community="DEMO010102")
    db.session.commit()
    before = _audited()
    staff = as_user("staff")
    page = f"/staff/activities/{saved.id}/edit"
    response = staff.post(page, data={**form_data(staff, page, ACTIVITY_FORM), f"hours-{li.id}": "25"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="hours-{li.id}-error"' in text
    assert "服务时长须大于 0 且不超过 24 小时" in text and 'value="厨房用火安全讲座"' in text
    db.session.expire_all()
    assert (saved.title, saved.participants, saved.services) == ("讲座", 10, [])
    assert _audited() == before


def test_moving_an_activity_with_volunteers_is_explained_beside_the_community(
    as_user, accounts: dict, make_activity, make_volunteer
) -> None:
    admin = accounts["admin"]
    saved = make_activity(admin, "DEMO010101")
    li = make_volunteer(name="李红", phone="13800138001", community="DEMO010101")
    campaigns.set_service(saved, {li: 2}, admin)
    db.session.commit()
    client = as_user("admin")
    page = f"/staff/activities/{saved.id}/edit"
    response = client.post(
        page, data={**form_data(client, page, ACTIVITY_FORM, community="DEMO010201"), f"hours-{li.id}": "2"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    community = text[text.index('for="community"') : text.index('for="place"')]
    assert "已有其他街道（乡镇）的志愿者登记在本活动" in community  # beside the community field
    assert 'role="alert"' not in text  # and not a second time above the form
    db.session.expire_all()
    assert saved.community.code == "DEMO010101" and saved.title == "讲座"
