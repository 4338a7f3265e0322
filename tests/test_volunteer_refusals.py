"""The volunteers domain's refusals are DomainErrors, answered in one place; its operations
never commit (the request does); what volunteers served is asked for by signal."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import COMMUNITY
from webapp.audit.models import AuditEntry
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.regions.service import get_region
from webapp.volunteers import importer, service
from webapp.volunteers.errors import (
    ImportFileError,
    InvalidTransition,
    PhoneError,
    VolunteerError,
    VolunteerImportError,
)
from webapp.volunteers.models import Team, Training, Volunteer
from webapp.volunteers.phones import normalize_phone
from webapp.volunteers.served import hours_asked, service_hours

VOLUNTEER = {"name": "王芳", "phone": "13800138000", "consent": True}


def count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# --- one hierarchy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (VolunteerError({"name": "name_required"}), 422, "name_required"),
        (VolunteerError({"phone": "phone_taken"}), 409, "phone_taken"),
        (PhoneError(), 422, "phone_invalid"),
        (InvalidTransition("approve", "active"), 409, "invalid_transition"),
        (VolunteerImportError([(3, "phone", "phone_invalid"), (4, "name", "name_required")]), 422, "unprocessable"),
        (VolunteerImportError([(1, "file", "import_empty")]), 422, "import_empty"),
        (ImportFileError("import_columns", ["phone"]), 422, "import_columns"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_every_refusal_is_a_domain_error_with_its_status(error: DomainError, status: int, code: str) -> None:
    assert isinstance(error, DomainError)
    assert (error.status, error.code) == (status, code)


def test_a_phone_error_names_the_field_but_not_the_number() -> None:
    with pytest.raises(PhoneError) as caught:
        normalize_phone("12345678901")
    assert caught.value.problems == {"phone": "phone_invalid"} and caught.value.code == "phone_invalid"
    assert "12345678901" not in str(caught.value) and "12345678901" not in repr(caught.value.args)


def test_an_impossible_status_change_says_from_which_status(app: Flask) -> None:
    volunteer = service.register_volunteer(VOLUNTEER, get_region(COMMUNITY), "staff", None)
    with pytest.raises(InvalidTransition) as caught:
        service.change_status(volunteer, "approve", None)
    assert (caught.value.action, caught.value.volunteer_status) == ("approve", "active")
    assert caught.value.problems == {"action": "invalid_transition"} and caught.value.conflict


def test_an_unreadable_file_is_one_problem_on_line_one_with_the_missing_columns() -> None:
    with pytest.raises(ImportFileError) as caught:
        importer.read_file("list.csv", "name,phone\n王芳,13800138000\n".encode())
    assert isinstance(caught.value, VolunteerImportError)
    assert caught.value.problems == [(1, "file", "import_columns")]
    assert caught.value.columns == ["community_code", "consent"]


def test_an_import_refusal_reaches_the_api_as_json(app: Flask) -> None:
    @app.get("/api/v1/test-import-refusal")
    def refuse() -> str:
        raise ImportFileError("import_format")

    response = app.test_client().get("/api/v1/test-import-refusal")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "import_format"


def test_a_file_is_read_and_imported_in_one_call(app: Flask, accounts: dict) -> None:
    body = f"name,phone,community_code,consent\n王芳,13800138000,{COMMUNITY},是\n".encode()
    added = service.import_file("list.csv", body, accounts["staff"])
    assert [(v.name, v.phone, v.source, v.status) for v in added] == [("王芳", "13800138000", "import", "active")]


# --- no commits in the domain ------------------------------------------------------------


def test_operations_flush_but_never_commit(app: Flask, accounts: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = accounts["staff"]
    entries_before = count(AuditEntry)

    def refuse_commit() -> None:
        raise AssertionError("a domain operation committed")

    monkeypatch.setattr(db.session, "commit", refuse_commit)
    community = get_region(COMMUNITY)
    team = service.create_team("消防志愿服务队", community, staff)
    volunteer = service.register_volunteer({**VOLUNTEER, "team_id": team.id}, community, "staff", staff)
    service.update_volunteer(volunteer, {**VOLUNTEER, "name": "王芳芳", "team_id": team.id}, community, staff)
    service.add_training(volunteer, "灭火器使用", 2, volunteer.created_at.date(), True, staff)
    service.designate_ambassador(community, volunteer, staff)
    service.sign_up({**VOLUNTEER, "phone": "13900139000"}, community)
    service.import_volunteers([(2, {**VOLUNTEER, "phone": "13700137000", "community_code": COMMUNITY})], staff)
    service.list_volunteers(staff, service.VolunteerFilter(q="8000"), 1, 20)
    with app.test_request_context():  # the export's labels are translated
        service.export_volunteers(staff, service.VolunteerFilter(), "csv")
        service.person_export(staff, volunteer, "json")
    service.change_status(volunteer, "deactivate", staff)
    service.erase_volunteer(volunteer, staff)
    monkeypatch.undo()

    db.session.rollback()
    assert (count(Volunteer), count(Team), count(Training)) == (0, 0, 0)
    assert count(AuditEntry) == entries_before


# --- what volunteers served, by signal ----------------------------------------------------


def test_service_hours_add_up_what_every_recording_domain_answers(app: Flask) -> None:
    volunteer = service.register_volunteer(VOLUNTEER, get_region(COMMUNITY), "staff", None)

    def elsewhere(_sender: Any, volunteer_ids: list[int]) -> dict[int, float]:
        return {volunteer_id: 1.5 for volunteer_id in volunteer_ids}

    assert service_hours([volunteer.id]) == {}  # campaigns answer: no activity served yet
    with hours_asked.connected_to(elsewhere):
        assert service_hours([volunteer.id]) == {volunteer.id: 1.5}
