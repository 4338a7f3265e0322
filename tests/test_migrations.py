"""The schema exists through migrations: upgrading a fresh database yields the models' schema.

Runs on SQLite, and also on a scratch PostgreSQL database when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from tests.conftest import make_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_build_exactly_the_models_schema(fresh_database: str) -> None:
    app = make_app(fresh_database)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        engine = create_engine(fresh_database)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            assert diff == [], diff
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        engine.dispose()
        db.engine.dispose()
