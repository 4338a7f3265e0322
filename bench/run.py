"""Load benchmark: requests/s, p50 and p99 of the main endpoints, each against the ceiling.

Serves ``wsgi:app`` and a bare Flask JSON endpoint (bench/ceiling.py) with the same gunicorn
configuration, drives each with wrk, prints a table and writes bench/results/<time>.json.

    .venv/bin/python bench/run.py                       # SQLite in bench/.data/
    DATABASE_URL=postgresql://… .venv/bin/python bench/run.py

Needs wrk (Debian package ``wrk``). The database is prepared with the demo city; prepared
draws give every submission a fresh sitting.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
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
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
        listener.close()


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
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency.get("50"),
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


def prepare(database: str, draws: int, path: Path) -> None:
    """Migrate, seed the demo city, and prepare ``draws`` fresh survey sittings to hand in."""
    env = {**os.environ, "DATABASE_URL": database, "FLASK_APP": "wsgi"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo", "--attempts", "2000"], cwd=ROOT, env=env, check=True, capture_output=True)
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
        community = get_region("DEMO010101")
        for start in range(0, draws, 10):
            respondent, token = learn.enroll_respondent(community)
            for _ in range(min(10, draws - start)):
                draw = quizzes.start_draw(library, library.survey, respondent, community, timing)
                body = json.dumps({"answers": [{"position": i, "choices": [0]} for i in range(len(draw.items))]})
                out.write(f"{draw.id} {token} {body}\n")
            db.session.commit()


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--draws", type=int, default=30000)
    options = parser.parse_args()
    data = BENCH / ".data"
    data.mkdir(exist_ok=True)
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{data / 'bench.db'}"
    if database.startswith("sqlite:///"):
        Path(database.removeprefix("sqlite:///")).unlink(missing_ok=True)
    prepared = data / "draws.txt"
    print(f"preparing {database.split('@')[-1]} and {options.draws} draws …", flush=True)
    prepare(database, options.draws, prepared)

    env = {**os.environ, "DATABASE_URL": database, "RATELIMIT_ENABLED": "0", "SECRET_KEY": "bench"}
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
        results["survey draw"] = wrk(f"{base}/api/v1/quizzes/awareness-survey/draws", script=BENCH / "draw.lua", **run)
        results["submission"] = wrk(f"{base}/", script=BENCH / "submit.lua", args=[str(prepared), "2"], **run)
        signed_in = {"Cookie": cookie, "User-Agent": USER_AGENT}
        check = subprocess.run(
            [
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-H",
                f"Cookie: {cookie}",
                "-A",
                USER_AGENT,
                f"{base}/staff/stats?region=DEMO",
            ],
            capture_output=True,
            text=True,
        )
        if check.stdout != "200":
            raise SystemExit(f"the dashboard answered {check.stdout}, not 200: the benchmark would measure a redirect")
        results["dashboard city"] = wrk(f"{base}/staff/stats?region=DEMO", headers=signed_in, **run)
        results["dashboard street"] = wrk(f"{base}/staff/stats?region=DEMO0101", headers=signed_in, **run)
        worker_mb = rss_mb(master)
    ceiling = results["ceiling"]["rps"]
    print(f"\n{'endpoint':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ceiling':>9}{'non-2xx':>9}")
    for name, r in results.items():
        print(
            f"{name:<18}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['rps'] / ceiling:>9.1%}"
            f"{r['non_2xx']:>9}"
        )
    print(f"worker resident memory: {', '.join(f'{mb:.0f} MB' for mb in worker_mb)}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    record = {
        "database": database.split(":")[0],
        "options": vars(options),
        "results": results,
        "worker_rss_mb": worker_mb,
        "cpus": os.cpu_count(),
    }
    (BENCH / "results" / f"{stamp}-{record['database']}.json").write_text(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
