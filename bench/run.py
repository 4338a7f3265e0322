"""Load benchmark: requests/s, p50, p95 and p99 of the main endpoints, each against the ceiling.

Serves ``wsgi:app`` and a bare Flask JSON endpoint (bench/ceiling.py) with the same gunicorn
configuration, drives each with wrk, prints a table and writes bench/results/<time>-<db>.json.

    .venv/bin/python bench/run.py                       # the large city, SQLite in bench/.data/
    .venv/bin/python bench/run.py --city demo           # the small demo city: a quick run
    DATABASE_URL=postgresql://… .venv/bin/python bench/run.py

Needs wrk (Debian package ``wrk``). The large city (bench/generate.py: 5,200 communities,
1,000,000 respondents, about 12 million answers) takes minutes to generate, so it is kept
and reused while its parameters stay the same — bench/.data/city-*.json records them — and
made afresh with ``--regenerate``; each run adds its own submissions to it, which is fine.
The demo city is seeded afresh on SQLite for every run. Prepared draws give every
submission a fresh sitting.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402

LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
#: printed by bench/p95.lua: wrk's own --latency report has no 95th percentile
P95 = re.compile(r"^p95 latency: ([\d.]+)ms$", re.M)
#: communities of the large city the draws and submissions are spread over
COMMUNITIES_USED = 100
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
USER_AGENT = "xiaofang-bench"


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
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency.get("50"),
        "p95_ms": float(P95.search(output).group(1)),
        "p99_ms": latency.get("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def rss_mb(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


@dataclass(frozen=True)
class Places:
    """Where the benchmark looks: the dashboards' city and street, the communities drawn in."""

    city: str
    street: str
    communities: list[str]


def prepare_demo(database: str, draws: int, path: Path) -> Places:
    """Migrate, seed the demo city, and prepare ``draws`` fresh survey sittings to hand in."""
    env = {**os.environ, "DATABASE_URL": database, "FLASK_APP": "wsgi"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo", "--attempts", "2000"], cwd=ROOT, env=env, check=True, capture_output=True)
    places = Places("DEMO", "DEMO0101", ["DEMO010101"])
    prepare_draws(database, draws, path, places.communities)
    return places


def prepare_large(database: str, options: argparse.Namespace, path: Path) -> tuple[Places, dict]:
    """The large city (kept from an earlier run or generated now), and ``draws`` fresh sittings
    spread over some of its communities."""
    city = large_city(database, options)
    places = Places(city["city"], city["street"], city_communities(database, city["city"]))
    prepare_draws(database, options.draws, path, places.communities)
    return places, city


def large_city(database: str, options: argparse.Namespace) -> dict:
    """What bench/generate.py made, generating it only when asked or when the kept one differs."""
    wanted = {
        "database": database.split("@")[-1],
        "communities": options.communities,
        "respondents": options.respondents,
        "seed": generate.DEFAULT_SEED,
        "version": generate.VERSION,
    }
    marker = DATA / f"city-{hashlib.sha256(database.encode()).hexdigest()[:12]}.json"
    if not options.regenerate and marker.exists():
        kept = json.loads(marker.read_text())
        if kept["params"] == wanted and generate.has_city(database):
            print(f"reusing the large city generated {kept['generated_at']} ({marker.name})", flush=True)
            return kept["city"]
    marker.unlink(missing_ok=True)  # a generation cut short must not pass for a finished one
    print(f"generating the large city ({options.communities} communities, {options.respondents} respondents) …")
    city = generate.generate(database, options.communities, options.respondents, replace=True)
    record = {"params": wanted, "generated_at": time.strftime("%Y-%m-%d %H:%M"), "city": city}
    marker.write_text(json.dumps(record, indent=2))
    return city


def city_communities(database: str, city: str) -> list[str]:
    """A fixed sample of the city's communities, so the writes spread as residents' would."""
    os.environ["DATABASE_URL"] = database
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.regions.models import LEAF_LEVELS, Region
    from webapp.regions.service import get_region

    with create_app().app_context():
        leaves = select(Region.code).where(Region.path.like(f"{get_region(city).path}%"), Region.level.in_(LEAF_LEVELS))
        codes = list(db.session.execute(leaves.order_by(Region.id)).scalars())
        db.engine.dispose()
    return random.Random(2026).sample(codes, min(COMMUNITIES_USED, len(codes)))


def prepare_draws(database: str, draws: int, path: Path, communities: list[str]) -> None:
    """``draws`` fresh survey sittings through the service layer, ten per new respondent, the
    respondents taking the communities in turn; one line per draw in ``path``."""
    os.environ["DATABASE_URL"] = database
    from quizzes import service as quizzes
    from webapp import create_app
    from webapp.extensions import db
    from webapp.learn import service as learn
    from webapp.regions.service import get_region

    app = create_app()
    library = app.extensions["library"]
    timing = quizzes.Timing(submit_grace=timedelta(hours=1), expiry=timedelta(days=2))
    with app.app_context(), path.open("w") as out:
        places = [get_region(code) for code in communities]
        for start in range(0, draws, 10):
            community = places[start // 10 % len(places)]
            respondent, token = learn.enroll_respondent(community)
            for _ in range(min(10, draws - start)):
                draw = quizzes.start_draw(library, library.survey, respondent, community, timing)
                body = json.dumps({"answers": [{"position": i, "choices": [0]} for i in range(len(draw.items))]})
                out.write(f"{draw.id} {token} {body}\n")
            db.session.commit()
        db.engine.dispose()


def signed_in_cookie(base: str, username: str, password: str) -> str:
    import requests

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


def dashboard_answers(base: str, cookie: str, region: str) -> None:
    """The dashboard must answer 200: else the benchmark would measure a redirect."""
    check = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Cookie: {cookie}", "-A", USER_AGENT]
        + [f"{base}/staff/stats?region={region}"],
        capture_output=True,
        text=True,
    )
    if check.stdout != "200":
        raise SystemExit(f"the dashboard of {region} answered {check.stdout}, not 200")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--dashboard-connections", type=int, default=4, help="organizers viewing dashboards at once")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--draws", type=int, default=30000)
    parser.add_argument("--city", choices=("large", "demo"), default="large", help="the generated city or the demo")
    parser.add_argument("--communities", type=int, default=generate.DEFAULT_COMMUNITIES, help="large city only")
    parser.add_argument("--respondents", type=int, default=generate.DEFAULT_RESPONDENTS, help="large city only")
    parser.add_argument("--regenerate", action="store_true", help="generate the large city even if one is kept")
    return parser.parse_args()


def prepare(options: argparse.Namespace) -> tuple[str, Places, Path, dict | None]:
    """The database to serve, where to look in it, the prepared draws, and the large city's figures."""
    DATA.mkdir(exist_ok=True)
    default = DATA / ("bench.db" if options.city == "demo" else "city.db")
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{default}"
    # one file per database: runs against different databases may overlap
    prepared = DATA / f"draws-{hashlib.sha256(database.encode()).hexdigest()[:12]}.txt"
    print(f"preparing {database.split('@')[-1]} and {options.draws} draws …", flush=True)
    if options.city == "demo":
        if database.startswith("sqlite:///"):
            Path(database.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return database, prepare_demo(database, options.draws, prepared), prepared, None
    places, city = prepare_large(database, options, prepared)
    return database, places, prepared, city


def measure(database: str, places: Places, prepared: Path, options: argparse.Namespace) -> tuple[dict, list[float]]:
    """Each endpoint under wrk; returns the figures and the app workers' resident memory."""
    env = {**os.environ, "DATABASE_URL": database, "RATELIMIT_ENABLED": "0"}
    results: dict[str, dict] = {}
    run = dict(seconds=options.seconds, connections=options.connections)
    with gunicorn("ceiling:app", env, options.workers) as (base, _pid):
        results["ceiling"] = wrk(f"{base}/ping", **run)
    with gunicorn("wsgi:app", env, options.workers) as (base, master):
        admin = os.environ.get("BENCH_ADMIN", "bench-admin")
        subprocess.run(
            [sys.executable, "-m", "flask", "users", "create-admin", admin, "--password", "bench password"],
            cwd=ROOT,
            env={**env, "FLASK_APP": "wsgi"},
            capture_output=True,
        )
        cookie = signed_in_cookie(base, admin, "bench password")
        results["lesson page"] = wrk(f"{base}/lessons/gas-leak", **run)
        draws = f"{base}/api/v1/quizzes/awareness-survey/draws"
        results["survey draw"] = wrk(draws, script=BENCH / "draw.lua", args=places.communities, **run)
        results["submission"] = wrk(f"{base}/", script=BENCH / "submit.lua", args=[str(prepared), "2"], **run)
        signed_in = {"Cookie": cookie, "User-Agent": USER_AGENT}
        for name, region in (("dashboard city", places.city), ("dashboard street", places.street)):
            dashboard_answers(base, cookie, region)
            # a few organizers at once, not a crowd: at 64 connections p95 would measure the queue
            results[name] = wrk(
                f"{base}/staff/stats?region={region}",
                headers=signed_in,
                seconds=options.seconds,
                connections=options.dashboard_connections,
            )
        worker_mb = rss_mb(master)
    return results, worker_mb


def print_table(results: dict, worker_mb: list[float]) -> None:
    ceiling = results["ceiling"]["rps"]
    print(f"\n{'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'ceiling':>9}{'non-2xx':>9}")
    for name, r in results.items():
        print(
            f"{name:<18}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['rps'] / ceiling:>9.1%}{r['non_2xx']:>9}"
        )
    print(f"worker resident memory: {', '.join(f'{mb:.0f} MB' for mb in worker_mb)}")


def main() -> int:
    options = parse_options()
    # one key for every command and server of the run, as one deployment would have
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    database, places, prepared, city = prepare(options)
    results, worker_mb = measure(database, places, prepared, options)
    print_table(results, worker_mb)
    record = {
        "database": database.split(":")[0],
        "options": vars(options),
        "city": city or {"city": places.city},
        "places": {"city": places.city, "street": places.street, "communities": len(places.communities)},
        "results": results,
        "worker_rss_mb": worker_mb,
        "cpus": os.cpu_count(),
    }
    (BENCH / "results").mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (BENCH / "results" / f"{stamp}-{record['database']}.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
