"""The monitoring pages: an organizer sets up a wave, an interviewer runs interviews on a phone,
an invited person answers online; scopes hold and keys never reach the page before hand-in."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from quizzes.library import Library
from tests.helpers import audit_entries, form_data
from webapp.extensions import db
from webapp.monitoring.models import Interview, Wave
from webapp.regions.margins import import_margins

BANDS = ("15-29", "30-44", "45-59", "60+")


@pytest.fixture()
def margins(app: Flask, region) -> None:
    district = region("DEMO01")
    rows = [
        (line, {"region_code": "DEMO01", "age_band": band, "sex": sex, "population": str(district.population // 8)})
        for line, (band, sex) in enumerate(((b, s) for b in BANDS for s in ("female", "male")), start=2)
    ]
    import_margins(rows)
    db.session.commit()


WAVE = {
    "region": "DEMO01",
    "title": "2026年度抽样调查",
    "period": "2026",
    "target_size": "120",
    "allocation": "proportional",
    "method": "rake",
    "modes": ["door", "online"],
}


def set_up_wave(client: FlaskClient, **fields):
    return client.post("/staff/waves/new", data=form_data(client, "/staff/waves/new", WAVE, **fields))


def test_an_organizer_sets_up_a_wave_and_reads_its_allocation(as_user, margins) -> None:
    organizer = as_user("organizer")
    refused = set_up_wave(organizer, target_size="5", period="someday")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "样本量须为30到100,000之间的整数" in page or "整数" in page
    assert "2026年度抽样调查" in page  # nothing typed is lost
    response = set_up_wave(organizer)
    assert response.status_code == 302
    wave = db.session.query(Wave).one()
    assert sum(entry.target for entry in wave.communities) == 120
    page = organizer.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026年度抽样调查" in page and "0 / " in page
    assert audit_entries("wave.create")


def test_waves_stay_in_their_organizers_scope(as_user, margins) -> None:
    set_up_wave(as_user("organizer"))
    wave = db.session.query(Wave).one()
    assert as_user("other_organizer").get(f"/staff/waves/{wave.id}").status_code == 404
    assert as_user("staff").get("/staff/waves").status_code == 403
    assert as_user("staff").get(f"/interview/waves/{wave.id}/new").status_code == 404


def answer_right(library: Library, interview: Interview) -> dict[str, list[str]]:
    form = {}
    for i, item in enumerate(interview.items):
        question = library.bank.questions[item["q"]]
        form[f"q{i}"] = [str(p) for p, key in enumerate(item["o"]) if question.option(key).correct]
    return form


def test_an_interviewer_runs_an_interview_without_seeing_the_keys(as_user, margins, accounts, library: Library) -> None:
    organizer = as_user("organizer")
    set_up_wave(organizer)
    wave = db.session.query(Wave).one()
    data = form_data(organizer, f"/staff/waves/{wave.id}", user_id=str(accounts["staff"].id))
    assert organizer.post(f"/staff/waves/{wave.id}/interviewers", data=data).status_code == 302

    staff = as_user("staff")
    assert "2026年度抽样调查" in staff.get("/interview").get_data(as_text=True)
    start = form_data(
        staff,
        f"/interview/waves/{wave.id}/new",
        community="DEMO010101",
        mode="door",
        age_band="60+",
        sex="female",
        area_type="urban",
    )
    refused = staff.post(f"/interview/waves/{wave.id}/new", data={**start, "age_band": "100-120"})
    assert refused.status_code == 200 and "Not a valid choice" not in refused.get_data(as_text=True)
    response = staff.post(f"/interview/waves/{wave.id}/new", data=start)
    assert response.status_code == 302
    interview = db.session.query(Interview).one()
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert len(re.findall(r'<fieldset class="card question', page)) == len(interview.items)
    assert "correct" not in page.lower() and "explanation" not in page.lower()
    answers = {"csrf_token": start["csrf_token"], **answer_right(library, interview)}
    done = staff.post(f"/interview/{interview.id}", data=answers)
    assert done.status_code == 303
    db.session.expire_all()
    interview = db.session.get(Interview, interview.id)
    assert interview.score == 1.0 and interview.completed
    assert "too_fast" in interview.flags  # handed in within a second of starting
    thanks = staff.get(done.headers["Location"]).get_data(as_text=True)
    assert "答对" in thanks or "answered right" in thanks
    wave_page = organizer.get(f"/staff/waves/{wave.id}").get_data(as_text=True)
    assert "快于正常读题所需时间" in wave_page  # listed for review, in the reader's language
    assert as_user("other_staff").get(f"/interview/{interview.id}").status_code == 404


def test_an_invited_person_answers_once(as_user, margins, client: FlaskClient, library: Library) -> None:
    organizer = as_user("organizer")
    set_up_wave(organizer)
    wave = db.session.query(Wave).one()
    community = wave.communities[0].community.code
    data = form_data(organizer, f"/staff/waves/{wave.id}", community=community, count="2")
    page = organizer.post(f"/staff/waves/{wave.id}/invitations", data=data).get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{10})</code>", page)
    assert len(codes) == 2
    token = form_data(client, "/invited")["csrf_token"]
    asked = client.post("/invited", data={"csrf_token": token, "code": codes[0]})
    assert asked.status_code == 200 and "60+" in asked.get_data(as_text=True)
    assert "不是有效的选择" not in asked.get_data(as_text=True)  # nothing called wrong before it is answered
    started = client.post(
        "/invited",
        data={"csrf_token": token, "code": codes[0], "age_band": "30-44", "sex": "male", "area_type": "urban"},
    )
    assert started.status_code == 302
    interview = db.session.query(Interview).one()
    assert (interview.mode, interview.interviewer_id) == ("online", None)
    again = client.post("/invited", data={"csrf_token": token, "code": codes[0]})
    assert again.status_code == 404
    assert "邀请码无效" in again.get_data(as_text=True)


def test_a_volunteer_interviews_with_a_personal_link(
    as_user, margins, make_volunteer, app: Flask, library: Library
) -> None:
    volunteer = make_volunteer(community="DEMO010102", phone="13900139001", status="active")
    organizer = as_user("organizer")
    set_up_wave(organizer)
    wave = db.session.query(Wave).one()
    data = form_data(organizer, f"/staff/waves/{wave.id}", volunteer_id=str(volunteer.id))
    page = organizer.post(f"/staff/waves/{wave.id}/volunteers", data=data).get_data(as_text=True)
    (link,) = re.findall(r'<code class="link">https?://[^/]+(/interview/key/[^<]+)</code>', page)

    phone = app.test_client()
    assert phone.get(f"/interview/waves/{wave.id}/new").status_code == 404  # not signed in by link yet
    opened = phone.get(link)
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/interview/waves/{wave.id}/new")
    start = form_data(
        phone,
        f"/interview/waves/{wave.id}/new",
        community="DEMO010102",
        mode="door",
        age_band="45-59",
        sex="male",
        area_type="urban",
    )
    started = phone.post(f"/interview/waves/{wave.id}/new", data=start)
    assert started.status_code == 302
    interview = db.session.query(Interview).one()
    assert interview.interviewer.volunteer_id == volunteer.id
    answers = {"csrf_token": start["csrf_token"], **answer_right(library, interview)}
    assert phone.post(f"/interview/{interview.id}", data=answers).status_code == 303
    assert audit_entries("interview.hand_in")[0].details["interviewer"] == f"volunteer:{volunteer.id}"

    # assigning the volunteer again makes a new link: the old one and what it opened stop working
    page = organizer.post(f"/staff/waves/{wave.id}/volunteers", data=data).get_data(as_text=True)
    assert phone.get(f"/interview/waves/{wave.id}/new").status_code == 404
    assert app.test_client().get(link).status_code == 404
    # and a volunteer who stops volunteering (or is erased) can no longer sign in with the new one
    (new_link,) = re.findall(r'<code class="link">https?://[^/]+(/interview/key/[^<]+)</code>', page)
    volunteer.status = "inactive"
    db.session.commit()
    assert app.test_client().get(new_link).status_code == 404
