"""The application factory: configuration, extensions, content, blueprints, errors, CLI."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.engine import make_url
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from quizzes.library import load_library
from webapp.config import INSTANCE_DIR, check_deployment, from_environment, trusted_hosts
from webapp.extensions import babel, csrf, db, limiter, migrate
from webapp.sqlite_writers import QueuedWriters
from webapp.transactions import TransactionalFlask
from webapp.urls import IdConverter, PositionConverter


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # every request is one transaction, committed or rolled back in webapp.transactions
    app = TransactionalFlask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(from_environment())
    app.config.update(config or {})
    check_deployment(app.config)
    INSTANCE_DIR.mkdir(exist_ok=True)
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["position"] = PositionConverter

    # content is validated before anything else: a broken lesson stops start-up here. A library
    # loaded before (CONTENT_LIBRARY) is reused: the test suite builds an app per test.
    app.extensions["library"] = app.config.get("CONTENT_LIBRARY") or load_library()

    _init_extensions(app)
    _register_blueprints(app)

    from webapp.compression import init_compression
    from webapp.errors import init_errors
    from webapp.ops import init_ops
    from webapp.security import init_security

    init_errors(app)
    init_security(app)
    init_ops(app)
    init_compression(app)

    from webapp.cli import register_cli

    register_cli(app)
    _refuse_unknown_hosts(app)
    _behind_proxies(app)
    return app


def _refuse_unknown_hosts(app: Flask) -> None:
    """With a public base URL (or ALLOWED_HOSTS) set, a request naming any other host gets a 400."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.register_error_handler(SecurityError, _unknown_host)


def _unknown_host(_error: SecurityError) -> Response:
    from webapp.errors import json_error, message, wants_json

    if wants_json():
        return json_error(400, "unknown_host")
    # not the site's error page: its links cannot be built for a host that is not the site's
    return Response(message("unknown_host"), 400, mimetype="text/plain")


def _behind_proxies(app: Flask) -> None:
    """Believe the forwarded client address, scheme and host only from the configured proxies.

    Each trusted proxy appends one address to X-Forwarded-For; taking the n-th from the right
    means a client's own forged entries to the left are never read. Prefix and port are not
    taken: the site is served at the root of its host, and nginx does not send them.
    """
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    import webapp.models  # noqa: F401  (registers every table before create_all or migrations)
    from webapp.i18n import init_i18n, select_locale

    _queue_sqlite_writers(app)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "savepoint", _begin_before_savepoint)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app)


def _queue_sqlite_writers(app: Flask) -> None:
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite":
        return
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {**options.get("connect_args", {}), "factory": QueuedWriters}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while an attempt is written; wait rather than fail on a lock
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_before_savepoint(connection: Any, _name: Any) -> None:
    # Python's sqlite3 opens a transaction only before a write: a SAVEPOINT issued before one
    # is a transaction of its own, and releasing it commits, so a later rollback of the request
    # or command would leave the savepoint's rows behind. Opened here, the savepoint nests.
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def _register_blueprints(app: Flask) -> None:
    from api import init_api
    from webapp.accounts.views import init_accounts
    from webapp.audit.labels import audit_action_label
    from webapp.audit.views import bp as audit_bp
    from webapp.campaigns.views import bp as campaigns_bp
    from webapp.certificates.views import bp as certificates_bp
    from webapp.identity import bp as identity_bp
    from webapp.learn.marks import quiet_marks
    from webapp.learn.views import bp as learn_bp
    from webapp.monitoring.views import bp as monitoring_bp
    from webapp.preferences import bp as preferences_bp
    from webapp.record.views import bp as record_bp
    from webapp.stats.target_views import bp as targets_bp
    from webapp.stats.views import bp as stats_bp
    from webapp.training.trainee_views import bp as trainee_bp
    from webapp.training.views import bp as training_bp
    from webapp.volunteers.views import bp as volunteers_bp

    blueprints = (learn_bp, volunteers_bp, campaigns_bp, audit_bp, stats_bp, targets_bp, monitoring_bp, training_bp)
    for blueprint in (*blueprints, trainee_bp, certificates_bp, record_bp, preferences_bp, identity_bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals["audit_action_label"] = audit_action_label
    app.jinja_env.filters["quiet_marks"] = quiet_marks
    init_accounts(app)
    init_api(app)


__all__ = ["create_app"]
