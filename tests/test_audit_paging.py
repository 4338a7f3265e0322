"""The audit log is paged one way on the site and in the API."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from webapp.audit.service import audit_page, record
from webapp.extensions import db


@pytest.fixture()
def many_entries(accounts: dict) -> None:
    for number in range(55):
        record(accounts["staff"], "volunteer.export", details={"entry_number": number}, row_count=number)
    db.session.commit()


def test_the_service_pages_what_the_viewer_may_read(accounts: dict, many_entries) -> None:
    page = audit_page(accounts["admin"], 2, 50)
    assert (page.total, page.pages, page.number, len(page.items)) == (55, 2, 2, 5)
    assert page.items[-1].details == {"entry_number": 0}  # newest first
    assert audit_page(accounts["other_organizer"], 1, 50).total == 0


def test_the_site_pages_fifty_entries(as_user, many_entries) -> None:
    admin = as_user("admin")
    first = admin.get("/staff/audit?action=volunteer.export").get_data(as_text=True)
    assert first.count("entry_number=") == 50 and "page=2" in first and "共 55 条" in first
    last = admin.get("/staff/audit?action=volunteer.export&page=2").get_data(as_text=True)
    assert last.count("entry_number=") == 5 and "page=1" in last and "page=3" not in last
    assert (
        admin.get("/staff/audit?action=volunteer.export&page=abc").get_data(as_text=True).count("entry_number=") == 50
    )


def test_the_api_pages_with_the_same_helper(client: FlaskClient, accounts: dict, many_entries, bearer) -> None:
    headers = bearer("admin")
    body = client.get("/api/v1/audit?action=volunteer.export&page=3&per_page=20", headers=headers).get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (3, 20, 55, 15)
    assert body["items"][0]["username"] == "staff"
