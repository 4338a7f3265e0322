"""Load benchmark of a city's peak evening: each endpoint against the framework's ceiling.

Serves ``wsgi:app`` and a bare Flask JSON endpoint (bench/ceiling.py) with the same gunicorn
configuration, runs the rollup applier (``flask stats follow``) beside them as a deployment
does, drives each endpoint with wrk, prints a table with the goals, writes
bench/results/<time>-<db>.json per database and rewrites the measured section of
docs/performance.md.

    .venv/bin/python bench/run.py                       # the large city, SQLite in bench/.data/
    .venv/bin/python bench/run.py --city demo --seconds 3   # the small demo city: a quick run
    .venv/bin/python bench/run.py --database sqlite --database postgresql://postgres@127.0.0.1/bench_city
    DATABASE_URL=postgresql://… .venv/bin/python bench/run.py

Needs wrk (Debian package ``wrk``). The large city (bench/generate.py: 5,200 communities,
1,000,000 respondents, about 12 million answers) takes minutes to generate, so it is kept
and reused while its parameters stay the same — bench/.data/city-*.json records them — and
made afresh with ``--regenerate``; each run adds its own submissions to it, which is fine.
The demo city is seeded afresh for every run: ``--city demo`` empties the database it is given.

Every endpoint run is preceded and followed by a short run of the ceiling, and compared with
the mean of those two: on a machine shared with other work the ceiling moves during a run.
CPU per request is read from /proc (bench/cpu.py) for the app's workers, the applier and the
PostgreSQL processes serving the database, so it holds when the machine is busy with other
work; while an endpoint runs, the age of the oldest event the rollups have not counted yet is
sampled (bench/lag.py), and the next run starts only once the applier has counted every event.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import cpu, generate, report  # noqa: E402
from bench.lag import Sampler, Waiting  # noqa: E402
from bench.prepare import Places, Prepared, prepare  # noqa: E402

LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
#: printed by bench/p95.lua: wrk's own --latency report has no 95th percentile
P95 = re.compile(r"^p95 latency: ([\d.]+)ms$", re.M)
#: wrk's count of the responses it received in full
REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.M)
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
USER_AGENT = "xiaofang-bench"
#: prepared sittings per second of a submission run: more than either kind of submission
#: reaches here, so no sitting is handed in twice
DRAWS_PER_SECOND = 2000


@contextmanager
def gunicorn(target: str, env: dict, workers: int):
    """gunicorn on a socket bound here, so wrk's first connection simply waits for a worker."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"fd://{listener.fileno()}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT if target.startswith("wsgi") else BENCH,
        env=env,
        pass_fds=[listener.fileno()],
    )
    try:
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        _wait_until_serving(base, server)
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        listener.close()


#: how long gunicorn may take to boot its workers on a loaded machine
BOOT_SECONDS = 180


def _wait_until_serving(base: str, server: subprocess.Popen) -> None:
    """Return once a worker answers; raise if gunicorn exits first (e.g. a setting it refuses).

    The listener is ours, so a request to a gunicorn that died would wait for ever: each try is
    short and is followed by a look at whether the process still runs.
    """
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode} before serving")
        try:
            with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=2) as probe:
                probe.settimeout(2)
                probe.sendall(b"GET /boot-probe HTTP/1.0\r\nHost: localhost\r\n\r\n")
                if probe.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:  # no worker took it within the try: look at the process again
            continue
    raise RuntimeError(f"gunicorn did not answer within {BOOT_SECONDS} s")


def wrk(
    url: str,
    seconds: int,
    connections: int,
    script: Path | None = None,
    args: list[str] = (),
    headers: dict | None = None,
) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    # every script prints the 95th percentile (bench/p95.lua); plain runs use that file alone
    command += ["-s", str(script or BENCH / "p95.lua")]
    command.append(url)
    if args:
        command += ["--", *args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = SOCKET_ERRORS.search(output)
    return {
        "requests": int(REQUESTS.search(output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency.get("50"),
        "p95_ms": float(P95.search(output).group(1)),
        "p99_ms": latency.get("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, sockets.groups())) if sockets else 0,
        "seconds": seconds,
        "connections": connections,
    }


def rss_mb(master: int) -> list[float]:
    sizes = []
    for pid in cpu.children(master):
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


@contextmanager
def applier(env: dict) -> Iterator[int]:
    """``flask stats follow`` for the whole measurement, as a deployment runs it beside the
    workers (docs/deploy.md)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "stats", "follow", "--interval", "1"],
        cwd=ROOT,
        env={**env, "FLASK_APP": "wsgi"},
    )
    try:
        yield process.pid
    finally:
        process.terminate()  # it finishes the batch it is in, then stops
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def signed_in_cookie(base: str, env: dict) -> str:
    import requests

    username, password = os.environ.get("BENCH_ADMIN", "bench-admin"), "bench password"
    # kept from an earlier run of the large city: then the command refuses, and signing in works
    subprocess.run(
        [sys.executable, "-m", "flask", "users", "create-admin", username, "--password", password],
        cwd=ROOT,
        env={**env, "FLASK_APP": "wsgi"},
        capture_output=True,
    )
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT  # sessions are bound to it (strong protection)
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed = session.post(
        f"{base}/login", data={"csrf_token": token, "username": username, "password": password}, timeout=30
    )
    if not signed.url.endswith("/staff"):
        raise SystemExit(f"could not sign in as {username}")
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def dashboard_url(base: str, region: str, places: Places) -> str:
    """A fixed period that holds the city's data: the current month may have none yet."""
    return f"{base}/staff/stats?region={region}&period={places.period}"


def dashboard_get(url: str, cookie: str) -> None:
    """One dashboard view, which must answer 200: else the benchmark would measure a redirect."""
    import requests

    response = requests.get(
        url, headers={"Cookie": cookie, "User-Agent": USER_AGENT}, allow_redirects=False, timeout=120
    )
    if response.status_code != 200:
        raise SystemExit(f"{url.split('?')[-1]} answered {response.status_code}, not 200")


@dataclass
class Bench:
    """The servers under test and what measures them."""

    options: argparse.Namespace
    database: str
    #: the app's gunicorn master
    master: int
    app: cpu.Workers
    applier: cpu.Process
    #: None on SQLite (it runs inside the workers and the applier) or a server elsewhere
    postgres: cpu.Postgres | None
    ceiling: cpu.Workers
    ceiling_url: str
    waiting: Waiting

    def read(self, exact: bool = False) -> dict:
        return {
            "app": self.app.read(exact),
            "applier": self.applier.read(exact),
            "postgres": self.postgres.read(exact) if self.postgres else None,
        }

    def database_ms(self, start: dict, end: dict) -> float | None:
        return self.postgres.between(start["postgres"], end["postgres"]) if self.postgres else None

    def applier_database_ms(self, start: dict, end: dict) -> float | None:
        return self.postgres.applier_between(start["postgres"], end["postgres"]) if self.postgres else None


def ceiling_run(bench: Bench) -> dict:
    start = bench.ceiling.read()
    result = wrk(bench.ceiling_url, seconds=bench.options.ceiling_seconds, connections=bench.options.connections)
    result["app_cpu_ms"] = bench.ceiling.between(start, bench.ceiling.read()) / max(result["requests"], 1)
    return result


def endpoint_run(bench: Bench, request: dict) -> dict:
    """One wrk run, with the CPU it cost per request and how far the rollups fell behind.

    The workers' CPU is read the moment wrk stops: what they do after it is for requests wrk did
    not receive. The applier's and the database's run on until the applier has counted every
    event the run wrote, so the work a request leaves behind is counted to it.
    """
    start = bench.read()
    with Sampler(bench.waiting) as sampler:
        result = wrk(**request)
    served = bench.read()
    drained = bench.waiting.drain(bench.options.drain_seconds)
    settled = bench.read()
    requests = max(result["requests"], 1)
    result["app_cpu_ms"] = bench.app.between(start["app"], served["app"]) / requests
    result["applier_cpu_ms"] = bench.applier.between(start["applier"], settled["applier"]) / requests
    database = bench.database_ms(start, settled)
    result["db_cpu_ms"] = None if database is None else database / requests
    applier_database = bench.applier_database_ms(start, settled)
    result["db_applier_cpu_ms"] = None if applier_database is None else applier_database / requests
    result["lag"] = {**sampler.summary(), "drained_s": drained}
    result["worker_rss_mb"] = rss_mb(bench.master)
    return result


def against_ceiling(result: dict, before: dict, after: dict) -> None:
    """The endpoint beside the mean of the ceiling runs just before and just after it."""
    rps = (before["rps"] + after["rps"]) / 2
    cpu_ms = (before["app_cpu_ms"] + after["app_cpu_ms"]) / 2
    result["ceiling"] = {"rps": rps, "app_cpu_ms": cpu_ms}
    result["share_rps"] = result["rps"] / rps
    result["share_cpu"] = cpu_ms / result["app_cpu_ms"] if result["app_cpu_ms"] else None


def wrk_requests(base: str, places: Places, prepared: Prepared, cookie: str, options: argparse.Namespace) -> dict:
    """The endpoints in the order they are run, each as wrk's arguments."""
    run = dict(seconds=options.seconds, connections=options.connections)
    # a few organizers at once, not a crowd: at 64 connections p95 would measure the queue
    dashboards = dict(
        headers={"Cookie": cookie, "User-Agent": USER_AGENT},
        seconds=options.seconds,
        connections=options.dashboard_connections,
    )
    submit = BENCH / "submit.lua"
    return {
        "lesson page": dict(url=f"{base}/lessons/gas-leak", **run),
        "survey draw": dict(
            url=f"{base}/api/v1/quizzes/awareness-survey/draws",
            script=BENCH / "draw.lua",
            args=places.communities,
            **run,
        ),
        "submission (first survey)": dict(
            url=f"{base}/", script=submit, args=[str(prepared.first_surveys), "2"], **run
        ),
        "submission (retakes)": dict(url=f"{base}/", script=submit, args=[str(prepared.retakes), "2"], **run),
        "dashboard city": dict(url=dashboard_url(base, places.city, places), **dashboards),
        "dashboard street": dict(url=dashboard_url(base, places.street, places), **dashboards),
    }


def run_endpoints(bench: Bench, requests: dict, cookie: str) -> tuple[dict, list[dict]]:
    """Each endpoint between two runs of the ceiling; returns the endpoints' and the ceiling's figures."""
    ceilings = [ceiling_run(bench)]
    results = {}
    for name, request in requests.items():
        if name.startswith("dashboard"):
            dashboard_get(request["url"], cookie)  # warm: the run reads the shared snapshot
        results[name] = endpoint_run(bench, request)
        if name.startswith("submission") and results[name]["requests"] > bench.options.draws:
            # submit.lua goes round again: a sitting handed in twice answers from the stored attempt
            print(f"  warning: {name} handed in more than the {bench.options.draws} prepared sittings (--draws)")
        ceilings.append(ceiling_run(bench))
        against_ceiling(results[name], *ceilings[-2:])
        print(f"  {report.progress_line(name, results[name])}", flush=True)
    return results, ceilings


def cold_dashboard(bench: Bench, url: str, cookie: str) -> dict:
    """The city dashboard built with no snapshot to read, one request at a time."""
    import requests

    engine = create_engine(bench.database)
    session = requests.Session()
    session.headers.update({"Cookie": cookie, "User-Agent": USER_AGENT})
    builds: list[dict] = []
    try:
        for _ in range(bench.options.cold_builds):
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM dashboard_snapshots"))
            # one request lasts a few clock ticks: read the scheduler's nanoseconds
            start, began = bench.read(exact=True), time.perf_counter()
            status = session.get(url, allow_redirects=False, timeout=120).status_code
            wall_ms = (time.perf_counter() - began) * 1000
            end = bench.read(exact=True)
            if status != 200:
                raise SystemExit(f"the cold city dashboard answered {status}, not 200")
            app_ms = bench.app.between(start["app"], end["app"])
            builds.append({"wall_ms": wall_ms, "app_cpu_ms": app_ms, "db_cpu_ms": bench.database_ms(start, end)})
    finally:
        engine.dispose()
    return report.cold_summary(builds)


@contextmanager
def output_to(log: Path) -> Iterator[None]:
    """Processes started meanwhile write their output to ``log``, not to the terminal.

    The app logs every request (its access log): thousands of lines a second that a terminal
    would spend more CPU showing than the app spends writing them.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log.open("a") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def server_env(database: str) -> dict:
    # every request comes from this one address: rate limits would refuse most of them
    return {**os.environ, "DATABASE_URL": database, "RATELIMIT_ENABLED": "0"}


@contextmanager
def servers(database: str, options: argparse.Namespace) -> Iterator[tuple[str, int, str, int, int]]:
    """The ceiling, the app and the applier over ``database``: the ceiling's base URL and master,
    the app's, and the applier's pid. Their output goes to bench/.data/servers-<db>.log."""
    env = server_env(database)
    log = DATA / f"servers-{report.label(database)}.log"
    log.write_text("")
    with ExitStack() as stack:
        with output_to(log):
            ceiling_base, ceiling_master = stack.enter_context(gunicorn("ceiling:app", env, options.workers))
            base, master = stack.enter_context(gunicorn("wsgi:app", env, options.workers))
            applier_pid = stack.enter_context(applier(env))
        yield ceiling_base, ceiling_master, base, master, applier_pid


def measure(database: str, prepared: Prepared, options: argparse.Namespace) -> dict:
    """Every endpoint and the cold dashboard, with the applier running; the figures of the run."""
    env = server_env(database)
    waiting = Waiting(database)
    with servers(database, options) as (ceiling_base, ceiling_master, base, master, applier_pid):
        postgres = None
        if database.startswith("postgresql") and cpu.local_postgres(database):
            postgres = cpu.Postgres(database, exclude=(waiting.backend_pid(),))
        bench = Bench(
            options,
            database,
            master,
            cpu.Workers(master),
            cpu.Process(applier_pid),
            postgres,
            cpu.Workers(ceiling_master),
            f"{ceiling_base}/ping",
            waiting,
        )
        figures = measure_served(bench, base, prepared, env)
        figures["worker_rss_mb"] = rss_mb(master)
        figures["db_processes_gone"] = postgres.lost if postgres else None
        if postgres:
            postgres.close()
    waiting.close()
    return figures


def measure_served(bench: Bench, base: str, prepared: Prepared, env: dict) -> dict:
    # the prepared sittings (and the demo's seed) wait for the applier: a dashboard read would
    # count them itself, and a run would start behind
    print("waiting for the applier to count the prepared sittings …", flush=True)
    if bench.waiting.drain(bench.options.drain_seconds) is None:
        raise SystemExit(f"events still waited after {bench.options.drain_seconds} s: is the applier running?")
    booted = rss_mb(bench.master)
    cookie = signed_in_cookie(base, env)
    places = prepared.places
    requests = wrk_requests(base, places, prepared, cookie, bench.options)
    for name in ("dashboard city", "dashboard street"):
        dashboard_get(requests[name]["url"], cookie)  # before minutes of runs, not after
    checked = rss_mb(bench.master)
    results, ceilings = run_endpoints(bench, requests, cookie)
    cold = cold_dashboard(bench, requests["dashboard city"]["url"], cookie)
    # where the workers' memory grew: each run's figures hold their size after it
    memory = {"booted": booted, "dashboards_checked": checked}
    return {"results": results, "ceiling_runs": ceilings, "cold_dashboard": cold, "worker_rss_mb_before": memory}


def machine(database: str) -> dict:
    from importlib.metadata import version

    model = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    found = {
        "cpus": os.cpu_count(),
        "cpu": model.group(1) if model else None,
        "memory_gb": round(int(memory.group(1)) / 1024**2, 1) if memory else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "gunicorn": version("gunicorn"),
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1],
    }
    if database.startswith("sqlite"):
        found["sqlite"] = sqlite3.sqlite_version
    else:
        engine = create_engine(database)
        with engine.connect() as connection:
            found["postgresql"] = connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return found


def shown_url(database: str) -> str:
    """The database as a record may show it: no password, a SQLite path relative to the project."""
    if database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        return f"sqlite:///{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}"
    url = make_url(database)
    return url.set(drivername=url.get_backend_name(), query={}).render_as_string(hide_password=True)


def run_database(database: str, options: argparse.Namespace) -> dict:
    """Prepare, measure and record one database."""
    print(f"\n{shown_url(database)}: preparing …", flush=True)
    prepared = prepare(database, options)
    loads = [os.getloadavg()]
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    figures = measure(database, prepared, options)
    loads.append(os.getloadavg())
    places = prepared.places
    return {
        "database": report.label(database),
        "url": shown_url(database),
        "started_at": started,
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "options": {k: v for k, v in vars(options).items() if k != "database"},
        "machine": {**machine(database), "load_average_before": loads[0], "load_average_after": loads[1]},
        "city": prepared.city or {"city": places.city},
        "places": {
            "city": places.city,
            "street": places.street,
            "period": places.period,
            "communities": len(places.communities),
        },
        "prepared_sittings": {"first_surveys": options.draws, "retakes": options.draws},
        **figures,
    }


def write_record(record: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{record['database']}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return path


def databases(options: argparse.Namespace) -> list[str]:
    """The databases to measure, as SQLAlchemy URLs: ``--database`` (``sqlite`` for the default
    file), else DATABASE_URL, else the default SQLite file."""
    default = DATA / ("bench.db" if options.city == "demo" else "city.db")
    given = options.database or [os.environ.get("DATABASE_URL") or "sqlite"]
    return [generate.absolute_url(f"sqlite:///{default}" if url == "sqlite" else url) for url in given]


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        action="append",
        help="sqlite (the default file in bench/.data/) or a database URL; may be given more than once",
    )
    parser.add_argument("--seconds", type=int, default=10, help="of each endpoint's run")
    parser.add_argument("--ceiling-seconds", type=int, help="of each ceiling run (default: 5, at most --seconds)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--dashboard-connections", type=int, default=4, help="organizers viewing dashboards at once")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--draws", type=int, help=f"sittings of each kind (default: {DRAWS_PER_SECOND} per second)")
    parser.add_argument("--drain-seconds", type=int, default=300, help="the longest wait for the applier")
    parser.add_argument("--cold-builds", type=int, default=5, help="city dashboards built with no snapshot")
    parser.add_argument("--city", choices=("large", "demo"), default="large", help="the generated city or the demo")
    parser.add_argument("--communities", type=int, default=generate.DEFAULT_COMMUNITIES, help="large city only")
    parser.add_argument("--respondents", type=int, default=generate.DEFAULT_RESPONDENTS, help="large city only")
    parser.add_argument("--regenerate", action="store_true", help="generate the large city even if one is kept")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md as it is")
    options = parser.parse_args()
    options.ceiling_seconds = options.ceiling_seconds or min(5, options.seconds)
    options.draws = options.draws or options.seconds * DRAWS_PER_SECOND
    return options


def main() -> int:
    options = parse_options()
    # one key for every command and server of the run, as one deployment would have
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    records, files = [], []
    for database in databases(options):
        record = run_database(database, options)
        record["goals"] = report.goals(record)
        files.append(write_record(record))
        records.append(record)
        print(report.terminal(record, files[-1].name))
    if not options.no_docs:
        report.rewrite_docs(ROOT / "docs" / "performance.md", records, [path.name for path in files])
    return 0


if __name__ == "__main__":
    sys.exit(main())
