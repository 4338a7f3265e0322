"""A database that cannot be written gives a clear 503 and corrupts nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import COMMUNITY, csrf_token, make_app
from webapp.extensions import db
from webapp.regions.service import seed_demo_regions


def test_read_only_database_answers_503_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    writable = make_app(f"sqlite:///{path}")
    with writable.app_context():
        db.create_all()
        seed_demo_regions()
        db.session.commit()
        db.engine.dispose()
    before = path.read_bytes()
    read_only = make_app(f"sqlite:///file:{path}?mode=ro&uri=true")
    with read_only.app_context():
        client = read_only.test_client()
        response = client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": COMMUNITY})
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        assert response.get_json()["error"]["code"] == "storage_unavailable"
        assert client.get(f"/c/{COMMUNITY}").status_code == 302  # reading still works
        page = client.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(client)})
        assert page.status_code == 503 and "现在无法保存" in page.get_data(as_text=True)
        db.engine.dispose()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert connection.execute(text("SELECT count(*) FROM draws")).scalar_one() == 0
    engine.dispose()
    assert path.read_bytes() == before
