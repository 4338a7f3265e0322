"""Operations: health probes, JSON logs with request ids, Prometheus metrics."""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any

from flask import Flask, Response, g, request, request_started

from webapp.ops.logs import ACCESS_LOGGER, REQUEST_ID_HEADER, configure_logging, log_request, request_id, start_request
from webapp.ops.metrics import init_metrics


def _started(_sender: Flask, **_extra: Any) -> None:
    # a signal, not before_request: it comes before CSRF and rate-limit checks, which may refuse
    g.request_started = perf_counter()
    start_request()


def init_ops(app: Flask) -> None:
    from webapp.ops.health import bp

    configure_logging(app)
    metrics = init_metrics(app)
    access = logging.getLogger(ACCESS_LOGGER)
    with_address = app.config["LOG_REMOTE_ADDR"]

    def finish(response: Response) -> Response:
        # a request dispatched by hand (no request_started signal) has no start and no id
        started = g.get("request_started")
        seconds = perf_counter() - started if started is not None else 0.0
        req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup, not six
        endpoint = req.url_rule.endpoint if req.url_rule else None
        metrics.observe_request(endpoint, response.status_code, seconds)
        log_request(access, req, endpoint, response.status_code, seconds, with_address)
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response

    request_started.connect(_started, app)
    app.after_request(finish)
    app.jinja_env.globals["request_id"] = request_id
    app.register_blueprint(bp)
