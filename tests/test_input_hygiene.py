"""Hostile input: control characters and lone surrogates, ids beyond the database, fractional numbers."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import fields
from sqlalchemy import select, update
from werkzeug.routing import AnyConverter, IntegerConverter

from api.schemas import Text
from tests.conftest import COMMUNITY, csrf_token
from tests.factories import SIGNUP_FORM, SIGNUP_PAGE, VOLUNTEER_FORM
from tests.helpers import authorization, count_volunteers, form_data, new_draw, read_csv, read_xlsx, start_quiz
from webapp.accounts.service import issue_token
from webapp.campaigns.models import Activity
from webapp.clock import utcnow
from webapp.extensions import db
from webapp.urls import PositionConverter, numbers_up_to
from webapp.volunteers.models import Volunteer

REFUSED = {
    "zh_Hans": "不可见的控制字符",
    "en": "Invisible control characters",
}


@pytest.fixture()
def tokens(app: Flask, accounts: dict) -> dict[str, dict[str, str]]:
    """Bearer headers per account."""
    headers = {name: authorization(issue_token(user, timedelta(hours=1))[0]) for name, user in accounts.items()}
    db.session.commit()
    return headers


# --- the site's forms ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_a_sign_up_with_a_control_character_is_refused_and_the_rest_kept(resident: FlaskClient, lang: str) -> None:
    data = form_data(resident, SIGNUP_PAGE, SIGNUP_FORM, name="陈\x01静")
    response = resident.post(f"/volunteer?lang={lang}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFUSED[lang] in page
    # shown back without the invisible character, with everything else the person typed
    assert 'value="陈静"' in page and 'value="13712345678"' in page and "\x01" not in page
    assert count_volunteers() == 0


def test_notes_keep_tabs_and_line_breaks_but_a_name_does_not(as_user) -> None:
    staff = as_user("staff")
    data = form_data(
        staff, "/staff/volunteers/new", VOLUNTEER_FORM, name="李\t强", consent="y", notes="周末有空\r\n\t可以带队"
    )
    page = staff.post("/staff/volunteers/new", data=data).get_data(as_text=True)
    assert "不可见的控制字符" in page and "可以带队" in page and count_volunteers() == 0
    data["name"] = "李强"
    assert staff.post("/staff/volunteers/new", data=data).status_code in (302, 303)
    volunteer = db.session.execute(select(Volunteer)).scalar_one()
    assert volunteer.name == "李强" and "\n\t可以带队" in volunteer.notes


def test_nul_is_refused_and_never_echoed(resident: FlaskClient, as_user) -> None:
    token = csrf_token(resident, f"/volunteer?community={COMMUNITY}")
    response = resident.post(
        "/volunteer", data={"csrf_token": token, "community": COMMUNITY, "name": "陈\x00静", "phone": "13712345678"}
    )
    assert response.status_code == 400 and b"\x00" not in response.data
    for path, status in (("/?q=%00", 400), ("/volunteer?community=%00", 400), ("/c/DEMO%00", 404)):
        response = resident.get(path)
        assert response.status_code == status and b"\x00" not in response.data, path
    assert resident.get("/api/v1/regions/DEMO%00").status_code == 404
    assert as_user("staff").get("/staff/activities?q=%00").status_code == 400
    assert count_volunteers() == 0


def test_search_boxes_drop_control_characters(client: FlaskClient, as_user) -> None:
    page = client.get("/volunteer?q=%E7%BF%A0%01%E7%AB%B9%09").get_data(as_text=True)
    assert "\x01" not in page and 'value="翠竹"' in page and "翠竹社区" in page
    page = as_user("staff").get("/staff/activities?q=%E8%AE%B2%1B").get_data(as_text=True)
    assert "\x1b" not in page and "不可见的控制字符" in page


def test_imported_cells_lose_control_characters(as_user) -> None:
    header = "姓名,手机号,社区编码,已同意\n"
    body = f"{header}张\x00三,13800138001,{COMMUNITY},是\n李\x01四\x0b,13800138002,{COMMUNITY},是\n".encode()
    staff = as_user("staff")
    data = {"csrf_token": csrf_token(staff, "/staff/volunteers/import"), "file": (io.BytesIO(body), "v.csv")}
    response = staff.post("/staff/volunteers/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    assert sorted(db.session.execute(select(Volunteer.name)).scalars()) == ["张三", "李四"]


# --- exports of what older rows hold ---------------------------------------------------


def test_exports_survive_control_characters_stored_earlier(
    as_user, accounts: dict, tokens: dict, make_volunteer, make_activity
) -> None:
    volunteer = make_volunteer(name="王芳", phone="13800138000")
    activity = make_activity(accounts["staff"], held_on=utcnow().date() - timedelta(days=3))
    # rows written before the forms refused such characters, straight into the database
    db.session.execute(
        update(Volunteer).where(Volunteer.id == volunteer.id).values(name="王\x01芳\x1b", notes="\x7f备注\x85")
    )
    db.session.execute(update(Activity).where(Activity.id == activity.id).values(title="\x01=1+2", place="\x0b礼堂"))
    db.session.commit()

    staff = as_user("staff")
    exports = {
        "volunteers": ["/staff/volunteers/export?format={}", "/api/v1/volunteers/export?format={}"],
        "activities": ["/staff/activities/export.{}", "/api/v1/activities/export?format={}"],
    }
    for kind, paths in exports.items():
        for path in paths:
            for fmt, read in (("xlsx", read_xlsx), ("csv", read_csv)):
                url = path.format(fmt)
                response = staff.get(url, headers=tokens["staff"] if url.startswith("/api/") else {})
                assert response.status_code == 200, url
                cells = {cell for row in read(response.data)[1:] for cell in row}
                if kind == "volunteers":
                    assert "王芳" in cells, url
                else:
                    # the formula stays text once the control character before it is gone
                    assert "'=1+2" in cells and "礼堂" in cells, url


# --- the API ------------------------------------------------------------------------


NEW = {"name": "王芳", "phone": "13812345678", "community": COMMUNITY, "consent": True}


def post_raw(client: FlaskClient, path: str, data: dict, escape: str, headers: dict | None = None):
    """POST ``data`` as JSON with ``escape`` written, as is, where a value holds "<>".

    \\u0000 and \\ud800 are valid JSON escapes but make no valid text: only raw bytes can carry them.
    """
    body = json.dumps(data, ensure_ascii=False).replace("<>", escape).encode()
    return client.post(path, data=body, content_type="application/json", headers=headers or {})


def test_api_refuses_control_characters_and_lone_surrogates(client: FlaskClient, tokens: dict) -> None:
    for escape in ("\\u0000", "\\ud800", "\\udfff", "\\u0001", "\\u009b", "\\t"):
        response = post_raw(client, "/api/v1/volunteers", {**NEW, "name": "王<>芳"}, escape, tokens["staff"])
        assert response.status_code == 422, response.get_data(as_text=True)
        assert set(response.get_json()["error"]["fields"]) == {"name"}
        response = post_raw(client, "/api/v1/quizzes/awareness-survey/draws", {"community": "D<>"}, escape)
        assert response.status_code == 422 and "community" in response.get_json()["error"]["fields"]
    assert count_volunteers() == 0


def test_api_field_messages_name_the_problem(client: FlaskClient, tokens: dict) -> None:
    headers = {**tokens["staff"], "Accept-Language": "en"}
    response = post_raw(client, "/api/v1/volunteers", {**NEW, "name": "王<>芳"}, "\\u0001", headers)
    assert response.get_json()["error"]["fields"]["name"] == [
        "Invisible control characters (often copied along from another program) are not allowed here. "
        "Check the text and send it again."
    ]


def test_api_notes_keep_tabs_and_line_breaks(client: FlaskClient, tokens: dict) -> None:
    response = post_raw(client, "/api/v1/volunteers", {**NEW, "notes": "a<>b"}, "\\r\\n\\t", tokens["staff"])
    assert response.status_code == 201, response.get_data(as_text=True)
    assert db.session.execute(select(Volunteer.notes)).scalar_one() == "a\r\n\tb"


def _argument_schemas(app: Flask):
    for view in app.view_functions.values():
        for argument in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            yield argument["in"], argument["schema"]


def _fields(schema) -> list[fields.Field]:
    found = []
    for field in (schema() if isinstance(schema, type) else schema).fields.values():
        found.append(field)
        if isinstance(field, fields.List):
            found.append(field.inner)
    return found


def test_every_api_input_field_refuses_control_characters_and_fractions(app: Flask) -> None:
    checked = 0
    for location, schema in _argument_schemas(app):
        if location == "headers":
            continue
        for field in _fields(schema):
            if field.dump_only:
                continue
            if isinstance(field, fields.String):
                assert isinstance(field, Text), f"{schema.__name__}.{field.name}"
            if isinstance(field, fields.Integer) and location == "json":
                assert field.strict, f"{schema.__name__}.{field.name}"
            checked += 1
    assert checked > 50


# --- numbers: ids the database cannot hold, fractions where whole numbers belong -------------


def _is_id(converter) -> bool:
    # a question's position (0 to 99) is a place in a sitting, not a row's id
    return isinstance(converter, IntegerConverter) and not isinstance(converter, PositionConverter)


def _paths_with_ids(app: Flask, number: str) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        if not any(_is_id(c) for c in converters.values()):
            continue
        values = {
            name: sorted(c.items)[0] if isinstance(c, AnyConverter) else COMMUNITY for name, c in converters.items()
        }
        values.update({name: 0 for name, c in converters.items() if _is_id(c)})
        path = rule.build(values)[1].replace("/0", f"/{number}")
        found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_ids_no_row_can_have_are_404_everywhere(app: Flask, as_user, tokens: dict) -> None:
    admin = as_user("admin")
    for number in ("9223372036854775808", str(2**31), "0", "007", "9" * 5000):
        paths = _paths_with_ids(app, number)
        assert len(paths) >= 20
        for method, path in paths:
            api = path.startswith("/api/")
            response = admin.open(path, method=method, headers=tokens["admin"] if api else {}, json={} if api else None)
            assert response.status_code == 404, (method, path[:80], response.status_code)


def test_question_positions_beyond_a_sitting_are_404(client: FlaskClient) -> None:
    draw = new_draw(client)
    headers = {"X-Respondent-Token": draw["respondent_token"]}
    for position in ("100", "-1", "007", "01", "１", "9" * 5000):
        response = client.put(f"/api/v1/draws/{draw['id']}/answers/{position}", json={"choices": [0]}, headers=headers)
        assert response.status_code == 404, position
    assert (
        client.put(f"/api/v1/draws/{draw['id']}/answers/0", json={"choices": [0]}, headers=headers).status_code == 200
    )


@pytest.mark.parametrize("limit", [1, 7, 10, 99, 100, 305, 2**31 - 1])
def test_the_id_pattern_matches_exactly_one_to_the_limit(limit: int) -> None:
    pattern = re.compile(numbers_up_to(limit))
    for n in [*range(0, 1000), limit - 1, limit, limit + 1, limit + 10, limit * 10]:
        assert bool(pattern.fullmatch(str(n))) == (1 <= n <= limit), n
    assert not pattern.fullmatch("01") and not pattern.fullmatch("１")


def test_the_largest_id_is_still_looked_up(as_user, tokens: dict, make_volunteer) -> None:
    assert as_user("admin").get(f"/staff/volunteers/{2**31 - 1}").status_code == 404
    volunteer = make_volunteer(name="王芳", phone="13800138000")
    assert as_user("admin").get(f"/staff/volunteers/{volunteer.id}").status_code == 200


@pytest.mark.parametrize(
    "answer",
    [
        {"position": 0.5, "choices": [0]},
        {"position": 0, "choices": [1.7]},
        {"position": 1.0, "choices": [0]},
        {"position": "1", "choices": [0]},
        {"position": True, "choices": [0]},
        {"position": 0, "choices": ["0"]},
        {"position": 0, "choices": [False]},
    ],
)
def test_answers_must_be_whole_numbers(client: FlaskClient, answer: dict) -> None:
    draw = new_draw(client)
    response = client.post(
        f"/api/v1/draws/{draw['id']}/submission",
        json={"answers": [answer]},
        headers={"X-Respondent-Token": draw["respondent_token"]},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "answers" in response.get_json()["error"]["fields"]


def test_whole_numbers_in_bodies_are_strict(client: FlaskClient, tokens: dict) -> None:
    for value in (1990.0, "1990", 1990.5, True):
        response = client.post("/api/v1/volunteers", json={**NEW, "birth_year": value}, headers=tokens["staff"])
        assert response.status_code == 422 and "birth_year" in response.get_json()["error"]["fields"]
    assert count_volunteers() == 0


def test_query_string_numbers_parse_but_not_fractions(client: FlaskClient) -> None:
    assert client.get("/api/v1/regions?page=1").status_code == 200
    response = client.get("/api/v1/regions?page=1.5")
    assert response.status_code == 422 and "page" in response.get_json()["error"]["fields"]


# --- digits that are not ASCII ----------------------------------------------------------

#: str.isdigit() says yes to these; int() refuses "²" and "①"
ODD_DIGITS = ["²", "①", "٣"]


@pytest.mark.parametrize("digit", ODD_DIGITS)
def test_odd_digits_in_pages_and_answers_are_no_server_error(resident: FlaskClient, as_user, digit: str) -> None:
    draw_url = f"/draws/{start_quiz(resident)}"
    answered = resident.post(draw_url, data={"csrf_token": csrf_token(resident, draw_url), "q0": digit})
    assert answered.status_code == 422
    staff = as_user("staff")
    for page in ("/staff/volunteers", "/staff/activities", "/staff/audit"):
        assert staff.get(f"{page}?page={digit}&team={digit}").status_code in (200, 403), page
    organizer = as_user("organizer")
    assert organizer.get(f"/staff/audit?page={digit}").status_code == 200
