"""Prometheus metrics: requests, latency, quiz submissions, rate-limit refusals, database errors.

Under gunicorn every worker writes its figures to files in PROMETHEUS_MULTIPROC_DIR (set by
gunicorn.conf.py) and whoever serves /metrics adds them up, so the figures are the machine's,
not one worker's. Without that variable (tests, ``flask run``) they are kept in memory, per app.
Labels take only values the app defines (endpoint names, status codes, quiz kinds), never a
path or anything a client sends, so the number of series stays bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from quizzes.service import Submission

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the label of requests that matched no route
UNMATCHED = "unmatched"


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class Metrics:
    """The app's metrics; one per app, kept in ``app.extensions["metrics"]``."""

    def __init__(self) -> None:
        # in multiprocess mode the values live in files, read back by a collector at scrape time
        self.registry = None if multiprocess_mode() else CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "xiaofang_http_requests",
            "Requests answered, by endpoint and status",
            ["endpoint", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "xiaofang_http_request_duration_seconds",
            "Time to answer a request, by endpoint",
            ["endpoint"],
            registry=registry,
        )
        self.submissions = Counter(
            "xiaofang_quiz_submissions",
            "Quiz answers handed in and stored, by quiz kind and whether they count (valid)",
            ["kind", "valid"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "xiaofang_rate_limited", "Requests refused by a rate limit, by endpoint", ["endpoint"], registry=registry
        )
        self.database_errors = Counter(
            "xiaofang_database_errors",
            "Requests answered 503 because the database failed, by error class",
            ["error"],
            registry=registry,
        )
        # labelled children, looked up once: the hot path is one dict lookup, an inc and an observe
        self._request_children: dict[tuple[str, int], Any] = {}
        self._latency_children: dict[str, Any] = {}

    def observe_request(self, endpoint: str | None, status: int, seconds: float) -> None:
        endpoint = endpoint or UNMATCHED
        counter = self._request_children.get((endpoint, status))
        if counter is None:
            counter = self._request_children[(endpoint, status)] = self.requests.labels(endpoint, str(status))
        counter.inc()
        histogram = self._latency_children.get(endpoint)
        if histogram is None:
            histogram = self._latency_children[endpoint] = self.latency.labels(endpoint)
        histogram.observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes: this process's figures, or every worker's summed."""
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)


def metrics() -> Metrics:
    return current_app.extensions["metrics"]


def count_submission(submission: Submission) -> None:
    """Count a committed hand-in, unless it repeated one stored before."""
    if submission.created:
        attempt = submission.attempt
        metrics().submissions.labels(attempt.kind, "true" if attempt.valid else "false").inc()


def count_rate_limited(endpoint: str | None) -> None:
    metrics().rate_limited.labels(endpoint or UNMATCHED).inc()


def count_database_error(error: BaseException) -> None:
    metrics().database_errors.labels(type(error).__name__).inc()


def token_matches(authorization: str | None, token: str) -> bool:
    """Whether an Authorization header carries ``Bearer <token>``; compared in constant time
    (over digests, so not even the length of the token shows)."""
    if not token or not authorization:
        return False
    supplied = hashlib.sha256(authorization.encode()).digest()
    expected = hashlib.sha256(f"Bearer {token}".encode()).digest()
    return hmac.compare_digest(supplied, expected)


def init_metrics(app: Flask) -> Metrics:
    app.extensions["metrics"] = Metrics()
    return app.extensions["metrics"]
