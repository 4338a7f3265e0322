"""gunicorn settings read from the working directory: metrics summed over the workers.

Each worker writes its Prometheus figures to files in PROMETHEUS_MULTIPROC_DIR (a private
temporary directory unless the operator names one), so /metrics and the METRICS_PORT listener
report the sum over every worker. The variable is set here, before anything imports
prometheus_client: it decides at import how values are kept, and workers inherit the master's
modules when they fork.

METRICS_PORT (with METRICS_ADDRESS, default 127.0.0.1) serves the figures from the master on
an address of the operator's choosing, apart from the public site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the directories made here carry this prefix, so they (and only they) are removed at exit
OWN_PREFIX = "xiaofang-metrics-"

if not os.environ.get(MULTIPROC_ENV):
    os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix=OWN_PREFIX)


def on_starting(server: Arbiter) -> None:
    # figures left by an earlier run would be added to this one's
    directory = Path(os.environ[MULTIPROC_ENV])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def when_ready(server: Arbiter) -> None:
    port = os.environ.get("METRICS_PORT")
    if not port:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    address = os.environ.get("METRICS_ADDRESS", "127.0.0.1")
    start_http_server(int(port), addr=address, registry=registry)
    server.log.info("metrics on http://%s:%s/metrics", address, port)


def child_exit(server: Arbiter, worker: Worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Arbiter) -> None:
    directory = Path(os.environ[MULTIPROC_ENV])
    if directory.name.startswith(OWN_PREFIX) and directory.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(directory, ignore_errors=True)
