"""A resident coming back: this phone's own record, and how their community stands in its street,
from the same figures the street's organizers see."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from quizzes.library import Library
from tests.conftest import COMMUNITY, csrf_token
from tests.helpers import right_form, start_quiz
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.regions.models import Region
from webapp.stats.dashboard import recent_dashboard
from webapp.stats.periods import current_period


def take_survey(client: FlaskClient, library: Library, community: str = COMMUNITY, right: bool = True) -> str:
    client.get(f"/c/{community}")
    draw_id = start_quiz(client)
    form = right_form(library, draw_id)
    if not right:
        form = {key: [str((int(v[0]) + 1) % 2)] for key, v in form.items()}
    client.post(f"/draws/{draw_id}", data={"csrf_token": csrf_token(client), **form})
    return draw_id


def test_a_new_phone_has_nothing_yet(resident: FlaskClient) -> None:
    page = resident.get("/me").get_data(as_text=True)
    assert "这部手机上还没有记录" in page


def test_the_record_lists_this_phones_surveys_and_lessons(resident: FlaskClient, library: Library) -> None:
    first = take_survey(resident, library, right=False)
    second = take_survey(resident, library)
    started = resident.post("/quizzes/check-oil-pan-fire/start", data={"csrf_token": csrf_token(resident)})
    assert started.status_code == 303
    page = resident.get("/me").get_data(as_text=True)
    handed_in = re.findall(r'href="/draws/([^/"]+)/result"', page)
    assert handed_in == [second, first]  # newest first
    assert "100% · 共10题，答对10题 · 合格" in page
    assert "· 未合格" in page
    assert library.catalog.lesson("oil-pan-fire", "zh_Hans").title in page
    # someone else's phone sees none of it
    other = resident.application.test_client()
    other.get(f"/c/{COMMUNITY}")
    assert second not in other.get("/me").get_data(as_text=True)


def test_the_community_standing_is_the_organizers_figure(app: Flask, hand_in_survey) -> None:
    street = db.session.execute(select(Region).where(Region.code == COMMUNITY)).scalar_one().parent
    communities = list(
        db.session.execute(select(Region).where(Region.parent_id == street.id).order_by(Region.code)).scalars()
    )
    ours, neighbour = communities[0], communities[1]
    earlier = utcnow() - timedelta(hours=1)
    for correct in (4, 7, 9):
        hand_in_survey(ours.code, correct, earlier)
    for correct in (5, 10):
        hand_in_survey(neighbour.code, correct, earlier)
    phone = app.test_client()
    phone.get(f"/c/{ours.code}")
    page = phone.get("/me").get_data(as_text=True)
    # by hand: respondents ÷ population, ranked in the street (the others have no one yet)
    shares = {ours.id: 3 / ours.population, neighbour.id: 2 / neighbour.population}
    rank = 2 if shares[neighbour.id] > shares[ours.id] else 1
    assert f"今年{ours.name_zh}已有 3 人参与测评。" in page
    assert (
        f"占常住人口的 {shares[ours.id] * 100:.1f}%，在{street.name_zh} {len(communities)} 个社区中排第 {rank}。"
        in page
    )
    # the organizers' dashboard of the street says the same
    board = recent_dashboard(street, current_period("year"))
    assert {view.id: figures.awareness.n for view, figures in board.children if figures.awareness.n} == {
        ours.id: 3,
        neighbour.id: 2,
    }


def test_the_record_lists_the_phones_certificates(resident: FlaskClient, library: Library) -> None:
    draw_id = take_survey(resident, library)
    result = resident.get(f"/draws/{draw_id}/result").get_data(as_text=True)
    assert "领取电子证书" in result and f"/draws/{draw_id}/poster" in result
    claimed = resident.post(f"/draws/{draw_id}/certificate", data={"csrf_token": csrf_token(resident), "name": ""})
    assert claimed.status_code == 303
    page = resident.get("/me").get_data(as_text=True)
    assert "我的证书" in page and f'href="/draws/{draw_id}/certificate"' in page
    assert re.search(r"验证码 [A-Z2-9]{5}-[A-Z2-9]{5}", page)
    assert "查看证书" in resident.get(f"/draws/{draw_id}/result").get_data(as_text=True)
