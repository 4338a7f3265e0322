"""The restore drill of docs/deploy.md: back up a filled database with scripts/backup.sh while it
is open, restore it with scripts/restore.sh into a fresh one, and find every row of every table equal."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import Engine, create_engine, inspect, select, table, text
from sqlalchemy.sql import column

from tests.conftest import EMPTY_DATABASE_KINDS, empty_database, make_app
from webapp.demo import seed_demo_attempts
from webapp.extensions import db
from webapp.regions.service import seed_demo_regions
from webapp.stats.targets import seed_demo_targets

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=EMPTY_DATABASE_KINDS)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with (
        empty_database(request.param, tmp_path, "backup_source") as source,
        empty_database(request.param, tmp_path, "backup_restored") as restored,
    ):
        yield source, restored


def _everything(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    found = {}
    with engine.connect() as connection:
        inspector = inspect(connection)
        for name in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(name)]
            order = inspector.get_pk_constraint(name)["constrained_columns"] or columns
            rows = connection.execute(
                select(*map(column, columns)).select_from(table(name)).order_by(*map(column, order))
            )
            found[name] = [tuple(row) for row in rows]
        if engine.dialect.name == "postgresql":
            # the next id each table hands out, or new rows would collide with restored ones
            found["sequences"] = connection.execute(
                text("SELECT sequencename, last_value FROM pg_sequences ORDER BY sequencename")
            ).all()
    return found


def _script(name: str, database: str, file: Path) -> None:
    env = {**os.environ, "DATABASE_URL": database}
    done = subprocess.run(["sh", f"scripts/{name}", str(file)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_backup_restores_into_a_fresh_database_row_for_row(
    databases: tuple[str, str], tmp_path: Path, make_volunteer
) -> None:
    source, restored = databases
    app = make_app(source)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        city = seed_demo_regions()
        seed_demo_targets(city)
        seed_demo_attempts(app.extensions["library"], city, 30)
        for n, community in enumerate(("DEMO010101", "DEMO010102", "DEMO020101")):
            make_volunteer(community, phone=f"1380013800{n}", name=f"志愿者{n}", skills=["first_aid"])
        backup = tmp_path / "xiaofang.backup"
        _script("backup.sh", source, backup)  # while the application's connections are open
        _script("restore.sh", restored, backup)
        copy = create_engine(restored)
        before, after = _everything(db.engine), _everything(copy)
        copy.dispose()
        assert set(after) == set(before)
        for name, rows in before.items():
            assert after[name] == rows, name
        assert before["volunteers"] and before["attempts"] and before["regions"] and before["alembic_version"]
        db.engine.dispose()


def test_a_restore_refuses_to_overwrite_a_database(tmp_path: Path) -> None:
    existing = tmp_path / "xiaofang.db"
    existing.write_bytes(b"SQLite format 3\x00" + bytes(100))
    backup = tmp_path / "any.backup"
    backup.write_bytes(b"")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{existing}"}
    done = subprocess.run(["sh", "scripts/restore.sh", str(backup)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "already holds a database" in done.stderr
    assert existing.read_bytes().startswith(b"SQLite format 3")
