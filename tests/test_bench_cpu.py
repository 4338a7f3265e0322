"""The benchmark's PostgreSQL meter tells the applier's share of the server's CPU apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench import cpu
from tests.conftest import EMPTY_DATABASE_KINDS, empty_database
from webapp.stats.applier import APPLICATION_NAME

POSTGRESQL = [kind for kind in EMPTY_DATABASE_KINDS if kind == "postgresql"]
#: enough work that a backend's CPU grows by many milliseconds
BUSY = text("SELECT count(*) FROM generate_series(1, 3000000)")


@pytest.mark.parametrize("kind", POSTGRESQL)
def test_the_applier_s_share_of_postgresql_s_cpu_is_counted_apart(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path, "bench_cpu") as uri:
        applier = create_engine(uri, connect_args={"application_name": APPLICATION_NAME})
        worker = create_engine(uri, connect_args={"application_name": "a worker"})
        meter = cpu.Postgres(uri)
        try:
            with applier.connect() as as_applier, worker.connect() as as_worker:
                start = meter.read(exact=True)
                as_worker.execute(BUSY)
                only_worker = meter.read(exact=True)
                as_applier.execute(BUSY)
                both = meter.read(exact=True)
            assert meter.applier_between(start, only_worker) == 0
            assert meter.between(start, only_worker) > 5
            applier_ms = meter.applier_between(only_worker, both)
            assert applier_ms > 5
            assert applier_ms <= meter.between(only_worker, both)
        finally:
            meter.close()
            applier.dispose()
            worker.dispose()
