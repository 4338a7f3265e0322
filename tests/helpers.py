"""What tests say again and again, said once: API errors and tokens, forms, a quiz's right
answers, the audit log, exports, kept figures, gunicorn serving the app, and QR codes read back.

Builders of people, places and activities are fixtures in ``tests/factories.py``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import struct
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import segno
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from bench.run import gunicorn as gunicorn_serving
from quizzes.library import Library
from quizzes.models import Draw
from tests.conftest import COMMUNITY, PASSWORD, csrf_token, make_app
from webapp.audit.models import AuditEntry
from webapp.campaigns import qr
from webapp.extensions import db
from webapp.learn.models import Respondent
from webapp.regions.service import seed_demo_regions
from webapp.stats import rollups
from webapp.stats.applier import catch_up
from webapp.stats.models import DashboardSnapshot
from webapp.volunteers.models import Volunteer

# --- the API ---------------------------------------------------------------------------------


def assert_error(response, status: int, code: str | None = None) -> dict:
    """``response`` is an API refusal with ``status`` in the one error shape (a JSON body of only
    ``error``: code, message, fields and request id), of ``code`` when one is named: that ``error``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "fields", "request_id"} <= set(error) and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def authorization(token: str) -> dict[str, str]:
    """The headers that carry an API bearer token."""
    return {"Authorization": f"Bearer {token}"}


def token_for(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    """A new API token of ``username``, asked for as an API client does."""
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["token"]


# --- forms -----------------------------------------------------------------------------------


def form_data(client: FlaskClient, page: str, defaults: Mapping[str, str] | None = None, /, **fields) -> dict:
    """What a browser posts from the form on ``page``: its CSRF token, ``defaults``, ``fields``
    over them."""
    return {"csrf_token": csrf_token(client, page), **(defaults or {}), **fields}


# --- quizzes ---------------------------------------------------------------------------------


def new_draw(client: FlaskClient, slug: str = "awareness-survey", token: str | None = None) -> dict:
    """A sitting of quiz ``slug`` in the demo community, started through the API."""
    headers = {"X-Respondent-Token": token} if token else {}
    response = client.post(f"/api/v1/quizzes/{slug}/draws", json={"community": COMMUNITY}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def start_quiz(client: FlaskClient, slug: str = "awareness-survey") -> str:
    """A sitting of quiz ``slug`` started on the site: its draw id."""
    response = client.post(f"/quizzes/{slug}/start", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    found = DRAW_IN_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


#: a draw's id in the address of any of its pages: the long form, one question, the review
DRAW_IN_URL = re.compile(r"/draws/([^/?]+)")


def right_choices(library: Library, draw: Draw) -> list[list[int]]:
    """The positions of the right options of each question of ``draw``, as shown, in order."""
    return [
        [p for p, key in enumerate(item["o"]) if library.bank.questions[item["q"]].option(key).correct]
        for item in draw.items
    ]


def right_answers(library: Library, draw_id: str) -> list[dict]:
    """Every question of a draw answered right, as the API takes answers."""
    choices = right_choices(library, db.session.get(Draw, draw_id))
    return [{"position": i, "choices": right} for i, right in enumerate(choices)]


def right_form(library: Library, draw_id: str) -> dict[str, list[str]]:
    """Every question of a draw answered right, as the site's form posts answers."""
    choices = right_choices(library, db.session.get(Draw, draw_id))
    return {f"q{i}": [str(p) for p in right] for i, right in enumerate(choices)}


# --- the audit log, volunteers and exports ---------------------------------------------------


def audit_entries(action: str) -> list[AuditEntry]:
    """The audit log's entries of ``action``, oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.execute(stmt).scalars())


def count_volunteers() -> int:
    return db.session.execute(select(func.count(Volunteer.id))).scalar_one()


def read_csv(body: bytes) -> list[list[str]]:
    """The rows of a CSV export (UTF-8, with or without the byte-order mark Excel wants)."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(body: bytes) -> list[list]:
    """The rows of an XLSX export's first sheet."""
    sheet = load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- figures ---------------------------------------------------------------------------------


def snapshot() -> dict:
    """Every rollup row that holds a figure, and every respondent's kept months, once the events
    waiting have been counted: what a rebuild from the raw rows must give again."""
    catch_up()
    return stored_rollups()


def stored_rollups() -> dict:
    """Every rollup row that holds a figure and every respondent's kept months, as stored now."""
    rows = {}
    for model in rollups.ROLLUPS:
        names = [c.name for c in model.__table__.columns]
        keys = [c.name for c in model.__table__.primary_key.columns]
        # rows, not objects: an object the session loaded before would keep its old values
        for row in db.session.execute(select(model.__table__)).mappings():
            values = {n: row[n] for n in names if n not in keys}
            if any(values.values()):
                rows[(model.__name__, *(row[k] for k in keys))] = {
                    n: round(v, 9) if isinstance(v, float) else v for n, v in values.items()
                }
    months = db.session.execute(
        select(Respondent.id, Respondent.last_active_month, Respondent.last_reached_month, Respondent.last_survey_month)
    ).all()
    return {"rollups": rows, "respondents": sorted(tuple(m) for m in months)}


def assert_rollups_equal_a_rebuild() -> None:
    """The rollups kept live as answers came in equal those rebuilt from the raw rows."""
    live = snapshot()
    rollups.rebuild()
    db.session.commit()
    assert snapshot() == live


def age_dashboards(by: timedelta) -> None:
    """Every kept dashboard, as if it had been read ``by`` earlier."""
    for kept in db.session.scalars(select(DashboardSnapshot)):
        kept.computed_at -= by
    db.session.commit()


def assert_all_stored_once(acknowledged: list) -> dict:
    """Every acknowledged ``(draw id, score)`` is stored once with that score, with all its answers,
    and the rollups kept live equal a rebuild: the stored scores by draw id."""
    stored = dict(db.session.execute(text("SELECT draw_id, n_correct FROM attempts")).all())
    assert len(acknowledged) == len({draw_id for draw_id, _ in acknowledged})
    assert all(stored.get(draw_id) == n_correct for draw_id, n_correct in acknowledged)
    assert db.session.execute(text("SELECT count(*) FROM answers")).scalar_one() == 10 * len(stored)
    assert_rollups_equal_a_rebuild()
    return stored


# --- serving the app as in production ---------------------------------------------------------


@contextmanager
def serve(database_uri: str, workers: int = 2) -> Iterator[tuple[str, int]]:
    """gunicorn serving wsgi:app over ``database_uri`` (schema built, demo regions seeded):
    its base URL and master's pid. The caller stays inside the app's context, to check
    the database afterwards."""
    app = make_app(database_uri)
    context = app.app_context()
    context.push()
    try:
        db.create_all()
        seed_demo_regions()
        db.session.commit()
        env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "k" * 32, "RATELIMIT_ENABLED": "0"}
        with gunicorn_serving("wsgi:app", env, workers) as served:
            yield served
    finally:
        db.session.remove()
        db.engine.dispose()
        context.pop()


def workers_of(master: int) -> list[int]:
    """The pids of the gunicorn master's workers."""
    return sorted(int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split())


# --- QR codes --------------------------------------------------------------------------------


def qr_matrix(url: str) -> list[list[bool]]:
    """The dark modules of the QR code the site should print for ``url``."""
    return [[bool(v) for v in row] for row in segno.make(url, error=qr.ERROR_LEVEL, micro=False).matrix]


def png_modules(data: bytes, size: int) -> list[list[bool]]:
    """Decode a 1-bit greyscale PNG into a size × size grid of dark modules (sampled at centres)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, *_rest = header
    assert (depth, colour) == (1, 0) and width == height
    stride = (width + 7) // 8
    raw, rows, previous = zlib.decompress(idat), [], bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, line = line[0], bytearray(line[1:])
        for i in range(stride):
            left, up = line[i - 1] if i else 0, previous[i]
            upleft = previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - upleft
                nearest = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - upleft), 2, upleft))[2]
                line[i] = (line[i] + nearest) & 0xFF
        rows.append([not (line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = bytes(line)
    first_dark = next(x for x in range(width) if any(rows[y][x] for y in range(height)))
    module = (width - 2 * first_dark) / size
    return [
        [rows[int(first_dark + (r + 0.5) * module)][int(first_dark + (c + 0.5) * module)] for c in range(size)]
        for r in range(size)
    ]


def svg_modules(svg: str, size: int) -> list[list[bool]]:
    """Read segno's path (horizontal runs, relative moves) back into a grid of dark modules."""
    path = re.search(r'<path[^>]* d="([^"]+)"', svg).group(1)
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    border = None
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", path):
        if op == "M":
            x, y = float(a), float(b)
            border = x
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(a)):
                grid[int(y - 0.5 - border)][int(x - border) + i] = True
            x += float(a)
    return grid
