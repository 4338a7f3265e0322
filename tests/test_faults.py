"""A database that cannot be written, is full, or restarts gives a clear 503 and corrupts nothing."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import pwd
import random
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, event, text

from tests.conftest import COMMUNITY, csrf_token, make_app, read_only_demo_database
from tests.helpers import DRAW_IN_URL, assert_all_stored_once, serve, workers_of
from webapp.config import CONNECT_TIMEOUT_SECONDS, database_url
from webapp.extensions import db
from webapp.regions.service import seed_demo_regions

#: the Chinese storage_unavailable message says this: nothing that was sent was stored
NOTHING_SAVED = "没有被保存"
IDEMPOTENCY_KEY_RE = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def assert_storage_unavailable(response) -> None:
    """A 503 that says what happened and when to come back, in JSON under /api/."""
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == "30"
    error = response.get_json()["error"]
    assert error["code"] == "storage_unavailable" and NOTHING_SAVED in error["message"]


def test_read_only_database_answers_503_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    read_only_url = read_only_demo_database(path)
    before = path.read_bytes()
    read_only = make_app(read_only_url)
    with read_only.app_context():
        client = read_only.test_client()
        response = client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": COMMUNITY})
        assert_storage_unavailable(response)
        assert client.get(f"/c/{COMMUNITY}").status_code == 302  # reading still works
        page = client.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(client)})
        assert page.status_code == 503 and "现在无法保存" in page.get_data(as_text=True)
        db.engine.dispose()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert connection.execute(text("SELECT count(*) FROM draws")).scalar_one() == 0
    engine.dispose()
    assert path.read_bytes() == before


# --- a full database -------------------------------------------------------------------------


def _api_draw(client, token: str | None):
    headers = {"X-Respondent-Token": token} if token else {}
    return client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": COMMUNITY}, headers=headers)


def _api_submit(client, draw: dict, token: str):
    answers = [{"position": q["position"], "choices": [0]} for q in draw["questions"]]
    return client.post(
        f"/api/v1/draws/{draw['id']}/submission",
        json={"answers": answers},
        headers={"X-Respondent-Token": token, "Idempotency-Key": f"full-{draw['id']}"},
    )


@dataclass
class FullDisk:
    """How a database is filled up, how room is made again, how it is checked for corruption,
    and what it says when a write does not fit."""

    fill: Callable[[], None]
    make_room: Callable[[], None]
    intact: Callable[[], None]
    says: str


def check_full_database(app: Flask, disk: FullDisk, caplog: pytest.LogCaptureFixture) -> None:
    """Once the disk is full, hand-ins and new sittings are refused with a clear 503 through
    the API and the site, earlier data stays as it was and the database is intact; once there
    is room again the refused hand-ins are stored, once."""
    db.create_all()
    seed_demo_regions()
    db.session.commit()
    client = app.test_client()
    token = _api_draw(client, None).get_json()["respondent_token"]
    drawn = [_api_draw(client, token).get_json() for _ in range(40)]
    stored = {}
    for draw in drawn[:3]:
        result = _api_submit(client, draw, token)
        assert result.status_code == 201
        stored[draw["id"]] = result.get_json()["n_correct"]
    # a browser holding an open sitting, to hand it in through the site once the disk is full
    browser = app.test_client()
    assert browser.get(f"/c/{COMMUNITY}").status_code == 302
    started = browser.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(browser)})
    assert started.status_code == 303
    site_draw = "/draws/" + DRAW_IN_URL.search(started.headers["Location"]).group(1)  # the long form
    form_key = IDEMPOTENCY_KEY_RE.search(browser.get(site_draw).get_data(as_text=True)).group(1)
    draws_before = set(db.session.execute(text("SELECT id FROM draws")).scalars())
    db.session.remove()

    disk.fill()
    # hand in the open sittings until one no longer fits (what still fits is stored)
    for draw in drawn[3:]:
        result = _api_submit(client, draw, token)
        if result.status_code != 201:
            break
        stored[draw["id"]] = result.get_json()["n_correct"]
    else:
        pytest.fail("every submission still fitted")
    assert_storage_unavailable(result)
    assert disk.says in caplog.text  # refused because the disk is full, and the log says so
    refused = draw
    assert_storage_unavailable(_api_submit(client, refused, token))  # a retry is refused the same way
    # a new sitting cannot be stored either, through the API or the site
    for _try in range(40):
        if (response := _api_draw(client, token)).status_code != 201:
            break
    assert_storage_unavailable(response)
    # a new sitting (a phone with an open one would resume it, which writes nothing)
    newcomer = app.test_client()
    newcomer.get(f"/c/{COMMUNITY}")
    page = newcomer.post("/quizzes/awareness-survey/start", data={"csrf_token": csrf_token(newcomer)})
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert NOTHING_SAVED in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(browser, site_draw), "idempotency_key": form_key} | {
        f"q{i}": "0" for i in range(10)
    }
    page = browser.post(site_draw, data=form)
    assert page.status_code == 503 and NOTHING_SAVED in page.get_data(as_text=True)
    # reading still works
    earlier = client.get(f"/api/v1/draws/{drawn[0]['id']}/submission", headers={"X-Respondent-Token": token})
    assert earlier.status_code == 200 and earlier.get_json()["n_correct"] == stored[drawn[0]["id"]]

    # what was stored before is intact, and nothing of the refused writes is
    assert dict(db.session.execute(text("SELECT draw_id, n_correct FROM attempts")).all()) == stored
    assert db.session.execute(text("SELECT count(*) FROM answers")).scalar_one() == 10 * len(stored)
    submitted = db.session.execute(text("SELECT id FROM draws WHERE submitted_at IS NOT NULL")).scalars()
    assert set(submitted) == set(stored)
    assert draws_before <= set(db.session.execute(text("SELECT id FROM draws")).scalars())
    db.session.remove()
    disk.intact()

    # room again: the refused hand-ins are stored once, and the live rollups equal a rebuild
    disk.make_room()
    result = _api_submit(client, refused, token)
    assert result.status_code == 201
    stored[refused["id"]] = result.get_json()["n_correct"]
    assert browser.post(site_draw, data=form).status_code == 303
    stored_now = assert_all_stored_once(list(stored.items()))
    assert stored_now.keys() == stored.keys() | {site_draw.rsplit("/", 1)[1]}
    db.session.remove()


def test_full_sqlite_database_answers_503_and_keeps_its_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "full.db"
    app = make_app(f"sqlite:///{path}")
    limit = []

    def cap(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit[0]}")

    def fill() -> None:
        # from now on the file may not grow: every write that needs a new page fails
        limit.append(db.session.execute(text("PRAGMA page_count")).scalar_one())
        db.session.remove()
        db.engine.dispose()
        event.listen(db.engine, "connect", cap)

    def make_room() -> None:
        event.remove(db.engine, "connect", cap)
        db.engine.dispose()

    def intact() -> None:
        assert db.session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

    with app.app_context():
        check_full_database(app, FullDisk(fill, make_room, intact, "database or disk is full"), caplog)
        db.engine.dispose()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    engine.dispose()


# --- a PostgreSQL server of the test's own -------------------------------------------------------


def _postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: pg_config's bindir, else the newest /usr/lib/postgresql/*/bin."""
    candidates = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(found.stdout.strip()))
    versions = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    candidates += sorted(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)], reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL server of this test's own, in a scratch directory, on a free port.

    Root may not run PostgreSQL, so as root its tools run as the ``postgres`` OS user.
    """

    def __init__(self, bindir: Path, directory: Path) -> None:
        self.bindir, self.directory = bindir, directory
        self.data, self.log = directory / "data", directory / "server.log"
        self.port = 0

    @property
    def url(self) -> str:
        return self.url_of("faults")

    def url_of(self, database: str) -> str:
        return database_url(f"postgresql://postgres@127.0.0.1:{self.port}/{database}")

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}\n{log}")

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def kill(self) -> None:
        """Stop at once, if running at all."""
        with contextlib.suppress(AssertionError):
            self.stop("immediate")


@pytest.fixture()
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server only this test uses (restarting it disturbs no one), with a database
    ``faults``; stopped and removed afterwards."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("running as root, and runuser is missing to run PostgreSQL as another user")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run PostgreSQL as")
    directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PrivatePostgres(bindir, directory)
    try:
        server.init()
        for attempt in range(3):  # another process may take the free port before the server does
            server.port = _free_port()
            try:
                server.start()
                break
            except AssertionError:
                if attempt == 2:
                    raise
        admin = create_engine(server.url_of("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE faults"))
        admin.dispose()
        yield server
    finally:
        server.kill()
        shutil.rmtree(directory, ignore_errors=True)


# --- PostgreSQL restarted mid-load ---------------------------------------------------------------

#: the requests a client makes are answered within this, or the test fails as a hang
CLIENT_TIMEOUT = 20
#: how long a phase of the test may take before it fails
PHASE_TIMEOUT = 30
OUTAGE_CLIENTS = 40


class Traffic:
    """What concurrent respondents saw, per phase of the outage their request started in."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.phase = "before"
        self.finish = threading.Event()
        self.acknowledged: list[tuple[str, int]] = []
        self.acknowledged_in: Counter = Counter()
        self.replayed = 0  # submissions answered from what an earlier, refused try had stored
        self.refused: Counter = Counter()  # (phase, "draw" | "submit") -> 503s
        self.failures: list = []

    def wait_for(self, predicate, what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(predicate, timeout=PHASE_TIMEOUT):
                pytest.fail(f"no {what} within {PHASE_TIMEOUT} s: {self.summary()}")

    def summary(self) -> str:
        return f"acknowledged {dict(self.acknowledged_in)}, refused {dict(self.refused)}, failures {self.failures[:5]}"

    def enter(self, phase: str) -> None:
        with self.changed:
            self.phase = phase

    def post(self, session: requests.Session, kind: str, url: str, **kwargs) -> requests.Response | None:
        """The answer to a request, or None after a 503 that said the database is unavailable;
        anything else (a 500, a dropped connection, no answer in time) is recorded as a failure."""
        phase = self.phase
        try:
            response = session.post(url, timeout=CLIENT_TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            response, failure = None, repr(exc)
        else:
            if response.status_code in (200, 201):
                return response
            failure = f"{response.status_code} {response.text[:200]}"
            refused = response.status_code == 503 and response.headers.get("Retry-After") == "30"
            if refused and response.json()["error"]["code"] == "storage_unavailable":
                failure = None
        if failure:
            self.fail(phase, kind, failure)
        with self.changed:
            self.refused[phase, kind] += 1
            self.changed.notify_all()
        return None

    def fail(self, phase: str, kind: str, failure: str) -> None:
        with self.changed:
            self.failures.append((phase, kind, failure))
            self.changed.notify_all()
        raise _ClientStops

    def acknowledge(self, phase: str, draw_id: str, result: requests.Response) -> None:
        with self.changed:
            self.acknowledged.append((draw_id, result.json()["n_correct"]))
            self.acknowledged_in[phase] += 1
            self.replayed += result.status_code == 200
            self.changed.notify_all()


class _ClientStops(Exception):
    """A client saw something no respondent should: it stops, and the test fails on it."""


def _back_off() -> None:
    # a phone would wait Retry-After seconds; the test's clients come back sooner
    time.sleep(0.05)


def respondent(base: str, traffic: Traffic, seed: int) -> None:
    """Draw and hand in until told to finish; a refused hand-in is sent again with the same
    Idempotency-Key until it is acknowledged, as the app does."""
    rng = random.Random(seed)
    session = requests.Session()
    token = None
    try:
        while not traffic.finish.is_set():
            headers = {"X-Respondent-Token": token} if token else {}
            url = f"{base}/api/v1/quizzes/awareness-survey/draws"
            draw = traffic.post(session, "draw", url, json={"community": COMMUNITY}, headers=headers)
            if draw is None:
                _back_off()
                continue
            served = draw.json()
            token = token or served["respondent_token"]
            answers = [
                {"position": q["position"], "choices": [rng.randrange(len(q["options"]))]} for q in served["questions"]
            ]
            headers = {"X-Respondent-Token": token, "Idempotency-Key": f"outage-{served['id']}"}
            give_up = time.monotonic() + PHASE_TIMEOUT
            while True:
                phase = traffic.phase
                url = f"{base}/api/v1/draws/{served['id']}/submission"
                result = traffic.post(session, "submit", url, json={"answers": answers}, headers=headers)
                if result is not None:
                    traffic.acknowledge(phase, served["id"], result)
                    break
                if time.monotonic() > give_up:
                    traffic.fail(phase, "submit", f"still refused after {PHASE_TIMEOUT} s")
                _back_off()
    except _ClientStops:
        pass
    finally:
        session.close()


@pytest.mark.parametrize("mode", ["fast", "immediate"], ids=["restart", "crash"])
def test_postgresql_restarted_mid_load_answers_503_then_recovers(private_postgres: PrivatePostgres, mode: str) -> None:
    """Stopped in the middle of the load (``fast``: sessions ended, ``immediate``: as if it had
    crashed, recovering when started), PostgreSQL's outage is answered with 503s; once it is
    back the same gunicorn workers serve again, and every acknowledged hand-in is stored once."""
    with serve(private_postgres.url) as (base, master):
        traffic = Traffic()
        clients = [threading.Thread(target=respondent, args=(base, traffic, i)) for i in range(OUTAGE_CLIENTS)]
        for client in clients:
            client.start()
        try:
            traffic.wait_for(
                lambda: len(traffic.acknowledged) >= OUTAGE_CLIENTS or traffic.failures, "submissions before the outage"
            )
            workers = workers_of(master)
            traffic.enter("stopping")
            private_postgres.stop(mode)
            traffic.enter("down")
            # both a new sitting and a hand-in are refused while the server is down
            traffic.wait_for(
                lambda: traffic.refused["down", "draw"] and traffic.refused["down", "submit"] or traffic.failures,
                "503 for a draw and a submission while PostgreSQL is down",
            )
            traffic.enter("starting")
            private_postgres.start()
            traffic.enter("after")
            traffic.wait_for(
                lambda: traffic.acknowledged_in["after"] >= OUTAGE_CLIENTS or traffic.failures,
                "submissions after PostgreSQL came back",
            )
        finally:
            traffic.finish.set()
            for client in clients:
                client.join(timeout=PHASE_TIMEOUT + CLIENT_TIMEOUT)
        assert not any(client.is_alive() for client in clients)
        print(f"PostgreSQL {mode} stop: {traffic.summary()}, replayed {traffic.replayed}")
        assert traffic.failures == []  # never a 500, a dropped connection or a hang
        # a request begun once the server was back up was served, not refused
        assert not traffic.refused["after", "draw"] and not traffic.refused["after", "submit"], traffic.summary()
        assert workers_of(master) == workers  # the same processes served before, during and after
        stored = assert_all_stored_once(traffic.acknowledged)
        assert stored == dict(traffic.acknowledged)  # every hand-in begun was acknowledged in the end


# --- a database that does not answer ------------------------------------------------------------


def test_a_database_that_does_not_answer_gives_503_within_the_connect_timeout() -> None:
    """A database host that is down or cut off (rather than refusing) does not hold a worker
    until gunicorn kills it: connecting gives up after CONNECT_TIMEOUT_SECONDS."""
    with socket.socket() as silent:
        # the kernel accepts the connection; nothing ever answers on it
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        app = make_app(database_url(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/silent"))
        answered = []

        def draw() -> None:
            with app.app_context():
                client = app.test_client()
                answered.append(client.post("/api/v1/quizzes/awareness-survey/draws", json={"community": COMMUNITY}))

        started = time.monotonic()
        asking = threading.Thread(target=draw, daemon=True)
        asking.start()
        asking.join(timeout=CONNECT_TIMEOUT_SECONDS + 10)
        assert not asking.is_alive(), "the request still waits for the database"
        assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS + 5
        with app.app_context():
            assert_storage_unavailable(answered[0])
            db.engine.dispose()


# --- PostgreSQL on a full disk -----------------------------------------------------------------


@pytest.fixture()
def small_disk(private_postgres: PrivatePostgres) -> Iterator[Path]:
    """A 32 MB tmpfs, owned by the private server's user, for a tablespace that can fill up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root")
    disk = private_postgres.directory / "disk"
    disk.mkdir()
    owner = pwd.getpwnam("postgres")
    options = f"size=32m,mode=0700,uid={owner.pw_uid},gid={owner.pw_gid}"
    mount = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(disk)]
    mounted = subprocess.run(mount, capture_output=True, text=True, check=False)
    if mounted.returncode:
        pytest.skip(f"a tmpfs cannot be mounted here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        # the server keeps files on the disk open: stop it before unmounting
        private_postgres.kill()
        if subprocess.run(["umount", str(disk)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True, check=False)


def test_full_postgresql_disk_answers_503_and_keeps_its_data(
    private_postgres: PrivatePostgres, small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    admin = create_engine(private_postgres.url_of("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE TABLESPACE small LOCATION '{small_disk}'"))
        connection.execute(text("CREATE DATABASE disk_full TABLESPACE small"))
    admin.dispose()
    filler = small_disk / "filler"

    def fill() -> None:
        # a file takes whatever room is left on the disk
        with filler.open("wb", buffering=0) as file:
            for size in (1 << 20, 4096):
                try:
                    while file.write(bytes(size)):
                        pass
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise

    def make_room() -> None:
        filler.unlink()

    def intact() -> None:
        # every table and index of the database, their toast included, and every row in its indexes
        where = ["-h", "127.0.0.1", "-p", str(private_postgres.port), "-U", "postgres", "-d", "disk_full"]
        private_postgres.run("pg_amcheck", *where, "--heapallindexed")

    app = make_app(private_postgres.url_of("disk_full"))
    with app.app_context():
        db.session.execute(text("CREATE EXTENSION amcheck"))
        db.session.commit()
        check_full_database(app, FullDisk(fill, make_room, intact, "No space left on device"), caplog)
        db.engine.dispose()
