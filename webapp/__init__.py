"""The application factory: configuration, extensions, content, blueprints, errors, CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from content.check import load_library
from webapp.config import INSTANCE_DIR, from_environment
from webapp.extensions import babel, csrf, db, limiter, migrate
from webapp.urls import IdConverter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(from_environment())
    app.config.update(config or {})
    INSTANCE_DIR.mkdir(exist_ok=True)
    app.url_map.converters["int"] = IdConverter

    # content is validated before anything else: a broken lesson stops start-up here
    app.extensions["library"] = load_library()

    _init_extensions(app)
    _register_blueprints(app)

    from webapp.errors import init_errors
    from webapp.ops import init_ops
    from webapp.security import init_security

    init_errors(app)
    init_security(app)
    init_ops(app)

    from webapp.cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    import webapp.models  # noqa: F401  (registers every table before create_all or migrations)
    from webapp.i18n import init_i18n, select_locale

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while an attempt is written; wait rather than fail on a lock
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from api import init_api
    from webapp.accounts.views import init_accounts
    from webapp.audit.labels import audit_action_label
    from webapp.audit.views import bp as audit_bp
    from webapp.campaigns.views import bp as campaigns_bp
    from webapp.learn.views import bp as learn_bp
    from webapp.stats.target_views import bp as targets_bp
    from webapp.stats.views import bp as stats_bp
    from webapp.volunteers.views import bp as volunteers_bp

    for blueprint in (learn_bp, volunteers_bp, campaigns_bp, audit_bp, stats_bp, targets_bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["audit_action_label"] = audit_action_label
    init_accounts(app)
    init_api(app)


__all__ = ["create_app"]
