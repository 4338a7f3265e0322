"""Key-population training in the domain: units, rosters, invitations, exams, certificates, rates.

Rates are checked against a history written out by hand: who was on which roster from when, who
passed which course when, and what the rate therefore is on a given day.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound

from quizzes.library import Library
from tests.conftest import COMMUNITY, OTHER_STREET_COMMUNITY
from webapp.accounts.models import User
from webapp.clock import local_today
from webapp.extensions import db
from webapp.imports import ImportFileError, ImportRefused
from webapp.stats.periods import parse_period
from webapp.training import certificates, learning, rates, roster, trainees, units
from webapp.training.errors import ExamClosed, ExamRefused, InvitationUnknown, RosterPhoneTaken, TrainingError
from webapp.training.models import RosterMember, TrainingCertificate, Unit

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture()
def staff(accounts: dict) -> User:
    return accounts["staff"]


@pytest.fixture()
def unit(staff: User) -> Unit:
    data = {"name": "翠竹养老院", "kind": "elderly_care", "key_unit": True, "region": COMMUNITY}
    made = units.create_unit(staff, data)
    db.session.commit()
    return made


def _member(staff: User, unit: Unit, phone: str, role: str = "employee", joined_on: str | None = None) -> RosterMember:
    data = {"name": "王芳", "phone": phone, "role": role}
    if joined_on:
        data["joined_on"] = joined_on
    return roster.add_member(staff, unit, data)


# --- units and rosters ---------------------------------------------------------------------------


def test_a_unit_outside_the_staff_members_scope_cannot_be_made_or_seen(staff: User, accounts: dict) -> None:
    with pytest.raises(TrainingError) as refused:
        units.create_unit(staff, {"name": "外街工厂", "kind": "enterprise", "region": OTHER_STREET_COMMUNITY})
    assert refused.value.fields == {"region": "unit_region_invalid"}
    theirs = units.create_unit(
        accounts["other_staff"], {"name": "外街工厂", "kind": "enterprise", "region": OTHER_STREET_COMMUNITY}
    )
    db.session.commit()
    with pytest.raises(NotFound):
        units.get_unit(staff, theirs.id)
    listed = units.list_units(staff, units.UnitFilter(), 1, 50)
    assert theirs.id not in [u.id for u in listed.items]


def test_a_unit_refuses_every_wrong_field_at_once(staff: User) -> None:
    with pytest.raises(TrainingError) as refused:
        units.create_unit(staff, {"name": " ", "kind": "castle", "region": COMMUNITY})
    assert refused.value.fields == {"name": "unit_name_invalid", "kind": "unit_kind_invalid"}


def test_a_roster_keeps_the_number_whole_and_lists_it_masked(staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "+86 139-1234-5678", "micro-station-lead")
    db.session.commit()
    assert member.phone == "13912345678"
    assert member.masked_phone == "139****5678"
    with pytest.raises(RosterPhoneTaken):
        _member(staff, unit, "13912345678")


def test_a_roster_refuses_a_role_the_plans_do_not_name(staff: User, unit: Unit) -> None:
    with pytest.raises(TrainingError) as refused:
        roster.add_member(staff, unit, {"name": "王芳", "phone": "1391234567", "role": "chef"})
    assert refused.value.fields == {"phone": "phone_invalid", "role": "unknown_role"}


def test_a_unit_manager_sees_their_own_unit_only(app: Flask, staff: User, unit: Unit) -> None:
    other = units.create_unit(staff, {"name": "翠竹小学", "kind": "school", "region": COMMUNITY})
    manager = units.open_manager_account(staff, unit, "cuizhu-manager", "养老院管理员", "long enough passphrase 7")
    db.session.commit()
    assert units.get_unit(manager, unit.id) is unit
    with pytest.raises(NotFound):
        units.get_unit(manager, other.id)
    assert [u.id for u in units.list_units(manager, units.UnitFilter(), 1, 50).items] == [unit.id]


CSV_HEADER = "姓名,手机号码,岗位,列入名册日期\n"


def test_an_import_adds_every_row_or_none_and_names_each_faulty_line(staff: User, unit: Unit) -> None:
    body = (
        (
            CSV_HEADER + "张伟,13800000001,微型消防站站长,2026-01-05\n"
            "李娜,12345,员工,\n"  # line 3: not a mobile number
            "赵敏,13800000001,员工,\n"  # line 4: the phone of line 2 again
            "孙丽,13800000004,厨师,\n"  # line 5: no such role
            "周杰,13800000005,employee,2999-01-01\n"  # line 6: joined in the future
        ).encode()
    )
    with pytest.raises(ImportRefused) as refused:
        roster.import_roster(staff, unit, "roster.csv", body)
    assert refused.value.problems == [
        (3, "phone", "phone_invalid"),
        (4, "phone", "roster_phone_taken"),
        (5, "role", "unknown_role"),
        (6, "joined_on", "date_invalid"),
    ]
    assert db.session.query(RosterMember).count() == 0

    good = (CSV_HEADER + "张伟,13800000001,微型消防站站长,2026-01-05\n李娜,13800000002,Employee,\n").encode()
    added = roster.import_roster(staff, unit, "roster.csv", body=good)
    assert [(m.role, m.joined_on) for m in added] == [
        ("micro-station-lead", date(2026, 1, 5)),
        ("employee", local_today()),
    ]


def test_an_xlsx_roster_reads_like_a_csv(staff: User, unit: Unit) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Mobile phone", "Role"])
    sheet.append(["Li Na", 13800000002.0, "Grid worker"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    added = roster.import_roster(staff, unit, "list.xlsx", buffer.getvalue())
    assert [(m.phone, m.role) for m in added] == [("13800000002", "grid-worker")]


def test_an_import_without_a_required_column_says_which(staff: User, unit: Unit) -> None:
    with pytest.raises(ImportFileError) as refused:
        roster.import_roster(staff, unit, "roster.csv", "姓名,手机号码\n张伟,13800000001\n".encode())
    assert refused.value.columns == ["role"]


# --- invitations and exams --------------------------------------------------------------------------


def _read_all(member: RosterMember, course) -> None:
    for lesson in course.lessons:
        learning.mark_lesson_read(member, course, lesson)


def _right_choices(library: Library, draw) -> dict[int, list[int]]:
    choices = {}
    for position, item in enumerate(draw.items):
        question = library.bank.questions[item["q"]]
        choices[position] = [i for i, key in enumerate(item["o"]) if key in question.correct_keys]
    return choices


def test_an_invitation_signs_in_once(staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001")
    code = trainees.issue_invitation(staff, member).code
    db.session.commit()
    token, found = trainees.redeem_invitation(code.lower()[:5] + "-" + code[5:])
    assert found is member
    assert trainees.find_trainee(token) is member
    with pytest.raises(InvitationUnknown):
        trainees.redeem_invitation(code)


def test_an_erased_trainee_is_signed_out_and_invitations_die(staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001")
    token, _member_again = trainees.redeem_invitation(trainees.issue_invitation(staff, member).code)
    unused = trainees.issue_invitation(staff, member).code
    roster.erase_member(staff, member)
    db.session.commit()
    assert member.phone is None and member.name == ""
    assert trainees.find_trainee(token) is None
    with pytest.raises(InvitationUnknown):
        trainees.redeem_invitation(unused)


def test_the_exam_waits_for_the_lessons_and_is_drawn_from_the_course(library: Library, staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001", "control-room-operator")
    course = library.courses["control-room"]
    with pytest.raises(ExamRefused) as refused:
        learning.start_exam(library, member, course)
    assert refused.value.code == "exam_lessons_unread"
    _read_all(member, course)
    draw = learning.start_exam(library, member, course)
    assert len(draw.items) == course.exam.n_questions
    assert {item["q"] for item in draw.items} <= set(course.exam.pool)
    assert learning.start_exam(library, member, course) is draw  # an open sitting is resumed
    assert all(set(item) == {"q", "o"} for item in draw.items)  # which option is right stays in the bank


def test_a_pass_issues_a_certificate_and_a_sitting_counts_once(library: Library, staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001", "control-room-operator")
    course = library.courses["control-room"]
    _read_all(member, course)
    draw = learning.start_exam(library, member, course)
    result = learning.submit_exam(library, member, draw, _right_choices(library, draw))
    assert result.attempt.passed and result.attempt.score == 1.0
    certificate = result.certificate
    assert certificate is not None and not certificate.offline
    assert certificate.hours == course.hours
    assert certificate.expires_on == certificates.add_months(local_today(), course.validity_months)
    with pytest.raises(ExamClosed):
        learning.submit_exam(library, member, draw, {})
    # a valid certificate far from expiry: no new sitting
    with pytest.raises(ExamRefused) as refused:
        learning.start_exam(library, member, course)
    assert refused.value.code == "exam_certified"


def test_a_failed_exam_may_be_sat_again_until_the_days_sittings_are_used(
    library: Library, staff: User, unit: Unit
) -> None:
    member = _member(staff, unit, "13800000001", "control-room-operator")
    course = library.courses["control-room"]
    _read_all(member, course)
    for _sitting in range(course.attempts_per_day):
        draw = learning.start_exam(library, member, course)
        assert not learning.submit_exam(library, member, draw, {}).attempt.passed
    with pytest.raises(ExamRefused) as refused:
        learning.start_exam(library, member, course)
    assert refused.value.code == "exam_limit"


def test_a_sitting_handed_in_after_its_time_limit_is_refused(library: Library, staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001", "control-room-operator")
    course = library.courses["control-room"]
    _read_all(member, course)
    draw = learning.start_exam(library, member, course)
    late = draw.expires_at + timedelta(seconds=1)
    with pytest.raises(ExamClosed) as refused:
        learning.submit_exam(library, member, draw, _right_choices(library, draw), now=late)
    assert refused.value.code == "exam_expired"


def test_a_renewal_starts_where_the_old_certificate_ends(library: Library, staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001", "grid-worker")
    course = library.courses["hazard-visits"]
    first = certificates.issue_certificate(member, course, date(2026, 1, 20))
    assert first.expires_on == date(2027, 1, 20)
    assert not certificates.renewable(first, course, date(2026, 11, 20))
    assert certificates.renewable(first, course, date(2026, 11, 21))  # 60 days before
    renewal = certificates.issue_certificate(member, course, date(2026, 12, 1))
    assert (renewal.issued_on, renewal.expires_on) == (date(2026, 12, 1), date(2028, 1, 20))
    assert renewal.renews_id == first.id
    lapsed = certificates.issue_certificate(member, course, date(2028, 3, 1))
    assert lapsed.expires_on == date(2029, 3, 1)


def test_offline_training_certifies_the_attendance_list(
    library: Library, staff: User, unit: Unit, make_activity
) -> None:
    activity = make_activity(staff, kind="training", channel="enterprise")
    grid = _member(staff, unit, "13800000001", "grid-worker")
    employee = _member(staff, unit, "13800000002", "employee")
    course = library.courses["hazard-visits"]
    with pytest.raises(TrainingError) as refused:
        certificates.log_offline_training(staff, activity, course, [grid, employee])
    assert refused.value.fields == {"members": "offline_role_mismatch"}
    [issued] = certificates.log_offline_training(staff, activity, course, [grid])
    assert issued.offline and issued.activity_id == activity.id and issued.issued_on == activity.held_on


# --- the rate -------------------------------------------------------------------------------------------


def test_the_training_rate_follows_a_hand_written_history(library: Library, staff: User, unit: Unit) -> None:
    """Five people on one roster over 2025 and 2026:

    - A (grid worker) from 2025-01-01, certified 2025-03-01 (to 2026-03-01), renewed 2026-02-01
      (to 2027-03-01): trained at the end of 2025 and of 2026.
    - B (grid worker) from 2025-01-01, certified 2025-02-01 (to 2026-02-01), never renewed: trained
      at the end of 2025, not of 2026.
    - C (employee) from 2025-06-01, holding only a grid-worker certificate: never trained for their role.
    - D (employee) from 2026-03-01, certified 2026-04-01: counts only in 2026, trained.
    - E (employee) from 2025-01-01, left 2026-06-30: counts in 2025 only, untrained.

    End of 2025: A, B, C, E on the roster, A and B trained: 2 of 4 = 50%.
    End of 2026: A, B, C, D, trained A and D: 2 of 4 = 50%; grid workers 1 of 2, employees 1 of 2.
    """
    grid, employees = library.courses["hazard-visits"], library.courses["employees"]
    a = _member(staff, unit, "13800000001", "grid-worker", "2025-01-01")
    b = _member(staff, unit, "13800000002", "grid-worker", "2025-01-01")
    c = _member(staff, unit, "13800000003", "employee", "2025-06-01")
    d = _member(staff, unit, "13800000004", "employee", "2026-03-01")
    e = _member(staff, unit, "13800000005", "employee", "2025-01-01")
    roster.member_leaves(staff, e, date(2026, 6, 30))
    certificates.issue_certificate(a, grid, date(2025, 3, 1))
    certificates.issue_certificate(a, grid, date(2026, 2, 1))
    certificates.issue_certificate(b, grid, date(2025, 2, 1))
    certificates.issue_certificate(c, grid, date(2025, 7, 1))
    certificates.issue_certificate(d, employees, date(2026, 4, 1))
    db.session.commit()

    courses = list(library.courses.values())
    total, by_role = rates.unit_rate(courses, unit, date(2026, 12, 31))
    assert total == rates.Tally(4, 2)
    assert by_role == {"grid-worker": rates.Tally(2, 1), "employee": rates.Tally(2, 1)}
    year = rates.training_rates(courses, unit.region, parse_period("2025"))
    assert (year.day, year.total, year.year_before) == (date(2025, 12, 31), rates.Tally(4, 2), rates.Tally(0, 0))
    assert year.growth is None  # nobody was on a roster a year before
    # a month on its own: end of March 2026, A (renewed) trained, B lapsed, D joined untrained yet
    march = rates.training_rates(courses, unit.region, parse_period("2026-03"))
    assert march.total == rates.Tally(5, 1)
    assert march.year_before == rates.Tally(3, 2)  # A, B trained and E on 31 March 2025
    assert march.growth == pytest.approx(0.2 - 2 / 3)
    assert march.total.figure(1.0).status == "not_met"


def test_a_certificate_counts_until_the_day_it_expires(library: Library, staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001", "grid-worker", "2025-01-01")
    certificates.issue_certificate(member, library.courses["hazard-visits"], date(2025, 5, 31))
    db.session.commit()
    courses = list(library.courses.values())
    assert rates.unit_rate(courses, unit, date(2026, 5, 30))[0] == rates.Tally(1, 1)
    assert rates.unit_rate(courses, unit, date(2026, 5, 31))[0] == rates.Tally(1, 0)


def test_the_expiring_list_holds_certificates_due_and_not_renewed(
    library: Library, staff: User, unit: Unit, accounts: dict
) -> None:
    course = library.courses["hazard-visits"]
    today = local_today()
    soon = _member(staff, unit, "13800000001", "grid-worker", "2025-01-01")
    renewed = _member(staff, unit, "13800000002", "grid-worker", "2025-01-01")
    later = _member(staff, unit, "13800000003", "grid-worker", "2025-01-01")
    year_ago = certificates.add_months(today, -course.validity_months)
    certificates.issue_certificate(soon, course, year_ago + timedelta(days=10))
    certificates.issue_certificate(renewed, course, year_ago + timedelta(days=5))
    certificates.issue_certificate(renewed, course, today)
    certificates.issue_certificate(later, course, year_ago + timedelta(days=200))
    db.session.commit()
    due = certificates.expiring(staff, today, 30)
    assert [(row.member.id, row.certificate.expires_on) for row in due] == [(soon.id, today + timedelta(days=10))]
    assert certificates.expiring(accounts["other_staff"], today, 30) == []


def test_a_member_erased_on_request_keeps_counting_for_past_days(library: Library, staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13800000001", "grid-worker", "2025-01-01")
    certificates.issue_certificate(member, library.courses["hazard-visits"], date(2025, 3, 1))
    roster.erase_member(staff, member, now=datetime(2026, 12, 1, 2, 0))
    db.session.commit()
    courses = list(library.courses.values())
    assert rates.unit_rate(courses, unit, date(2025, 12, 31))[0] == rates.Tally(1, 1)
    assert db.session.get(TrainingCertificate, 1) is not None


def test_a_roster_search_finds_a_number_by_its_last_four_digits_only(staff: User, unit: Unit) -> None:
    member = _member(staff, unit, "13912345678")
    db.session.commit()
    found = lambda q: [m.id for m in roster.list_roster(staff, roster.RosterFilter(unit, search=q), 1, 20).items]  # noqa: E731
    assert found("5678") == [member.id]
    assert found("1234") == []  # the middle digits are masked in the list, so they find nothing
    assert found("王") == [member.id]
