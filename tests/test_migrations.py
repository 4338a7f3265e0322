"""The schema exists through migrations: upgrading a fresh database yields the models' schema.

Runs on SQLite, and also on a scratch PostgreSQL database when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import make_app
from webapp.config import database_url
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=DATABASES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    base = make_url(database_url(os.environ["TEST_DATABASE_URL"]))
    scratch = f"{base.database}_migrations"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    yield base.set(database=scratch).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_build_exactly_the_models_schema(empty_database: str) -> None:
    app = make_app(empty_database)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        engine = create_engine(empty_database)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            assert diff == [], diff
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        db.engine.dispose()
