"""Probes for the load balancer and the orchestrator, and the metrics endpoint.

``/healthz`` says the process answers; it touches nothing else, so a database outage does not
get every worker restarted. ``/readyz`` says this instance can serve: the database answers, its
schema is at the migrations' head, the content is loaded. Neither says anything about people.
"""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import csrf, db, limiter
from webapp.ops.logs import describe
from webapp.ops.metrics import metrics, token_matches

bp = Blueprint("ops", __name__)
# probes come every few seconds from one address and carry no form: neither limit applies
csrf.exempt(bp)
limiter.exempt(bp)

#: what a passing check reports
OK = "ok"


def _probe(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return _probe({"status": "alive"}, 200)


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revisions of this release's migrations (read once: they change with a deploy)."""
    heads = app.extensions.get("migration_heads")
    if heads is None:
        directory = app.extensions["migrate"].directory
        heads = app.extensions["migration_heads"] = frozenset(ScriptDirectory(directory).get_heads())
    return heads


def _check_migrations(connection: Connection) -> str:
    current = frozenset(MigrationContext.configure(connection).get_current_heads())
    expected = migration_heads(current_app)
    if current == expected:
        return OK
    return f"database at {', '.join(sorted(current)) or 'no revision'}, migrations at {', '.join(sorted(expected))}"


def _check_content() -> str:
    library = current_app.extensions.get("library")
    if library is None or not (library.catalog.lessons and library.bank.questions and library.quizzes):
        return "not loaded"
    return OK


def _database_checks() -> dict[str, str]:
    """The database and migrations checks; the second is not run when the first fails."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            return {"database": OK, "migrations": _check_migrations(connection)}
    except SQLAlchemyError as error:
        current_app.logger.warning("readiness: database unreachable: %s", describe(error))
        return {"database": "unreachable", "migrations": "not checked"}


@bp.get("/readyz")
def readyz() -> Response:
    checks = {**_database_checks(), "content": _check_content()}
    failed = [name for name, result in checks.items() if result not in (OK, "not checked")]
    if failed:
        return _probe({"status": "not ready", "failed": failed, "checks": checks}, 503)
    return _probe({"status": "ready", "checks": checks}, 200)


@bp.get("/metrics")
def prometheus() -> Response:
    """Only for whoever holds METRICS_TOKEN; everyone else finds no such page."""
    if not token_matches(request.headers.get("Authorization"), current_app.config["METRICS_TOKEN"]):
        abort(404)
    response = Response(metrics().exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response
