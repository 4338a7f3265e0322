"""The database a benchmark run measures: the city, the places and period it looks at, and the
survey sittings its submissions hand in, prepared beforehand through the service layer."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
#: communities of the large city the draws and submissions are spread over
COMMUNITIES_USED = 100
#: draws per commit: a transaction per respondent would make tens of thousands take minutes
COMMIT_EVERY = 1000
#: how long before the run the prepared sittings are served: a survey handed in within
#: min_seconds_per_question × questions (30 s) of its draw is "too fast" and counts for nothing,
#: and one handed in after its time limit and grace (75 min) is late
SERVED_BEFORE = timedelta(minutes=2)


@dataclass(frozen=True)
class Places:
    """Where the benchmark looks: the dashboards' city and street for one period that has data,
    and the communities drawn in."""

    city: str
    street: str
    period: str
    communities: list[str]


@dataclass(frozen=True)
class Prepared:
    places: Places
    #: one sitting per new respondent: each hand-in is the respondent's first survey of the month
    first_surveys: Path
    #: ten sittings per respondent: nine hand-ins in ten are retakes
    retakes: Path
    #: what bench/generate.py made (the large city only)
    city: dict | None


def prepare(database: str, options: argparse.Namespace) -> Prepared:
    """Seed or reuse the city of ``options.city`` in ``database``, and prepare the sittings."""
    DATA.mkdir(exist_ok=True)
    if options.city == "demo":
        places, city = prepare_demo(database), None
    else:
        city = large_city(database, options)
        places = Places(city["city"], city["street"], f"{generate.LAST_DAY:%Y-%m}", city_communities(database))
        if not has_attempts(database, places.period):
            raise SystemExit(f"the large city has no surveys in {places.period}")
    # one file per database: runs against different databases may overlap
    stem = DATA / f"draws-{hashlib.sha256(database.encode()).hexdigest()[:12]}"
    first, retakes = Path(f"{stem}-first.txt"), Path(f"{stem}-retakes.txt")
    print(f"preparing {options.draws:,} first surveys and {options.draws:,} retakes …", flush=True)
    began = time.monotonic()
    prepare_draws(database, options.draws, first, places.communities, per_respondent=1)
    prepare_draws(database, options.draws, retakes, places.communities, per_respondent=10)
    print(f"  prepared in {time.monotonic() - began:.0f} s", flush=True)
    return Prepared(places, first, retakes, city)


def flask(database: str, *arguments: str) -> None:
    env = {**os.environ, "DATABASE_URL": database, "FLASK_APP": "wsgi"}
    subprocess.run([sys.executable, "-m", "flask", *arguments], cwd=ROOT, env=env, check=True, capture_output=True)


def prepare_demo(database: str) -> Places:
    """The demo city seeded afresh (the database emptied first), looked at in its busiest month."""
    generate.reset(database)
    flask(database, "db", "upgrade")
    flask(database, "seed-demo", "--attempts", "2000")
    return Places("DEMO", "DEMO0101", busiest_month(database), ["DEMO010101"])


def busiest_month(database: str) -> str:
    """The month with the most surveys handed in: the current month may have none yet (on the
    1st), and a dashboard of an empty month would measure an empty page."""
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            month = connection.execute(
                text("SELECT month FROM attempts GROUP BY month ORDER BY count(*) DESC, month DESC LIMIT 1")
            ).scalar()
    finally:
        engine.dispose()
    if month is None:
        raise SystemExit("the demo city has no surveys")
    return month


def has_attempts(database: str, month: str) -> bool:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM attempts WHERE month = :month LIMIT 1"), {"month": month})
            return found.first() is not None
    finally:
        engine.dispose()


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
            return {**kept["city"], "generated_at": kept["generated_at"]}
    marker.unlink(missing_ok=True)  # a generation cut short must not pass for a finished one
    print(f"generating the large city ({options.communities} communities, {options.respondents} respondents) …")
    city = generate.generate(database, options.communities, options.respondents, replace=True)
    record = {"params": wanted, "generated_at": time.strftime("%Y-%m-%d %H:%M"), "city": city}
    marker.write_text(json.dumps(record, indent=2))
    return {**city, "generated_at": record["generated_at"]}


def city_communities(database: str) -> list[str]:
    """A fixed sample of the city's communities, so the writes spread as residents' would."""
    os.environ["DATABASE_URL"] = database
    from sqlalchemy import select

    from webapp import create_app
    from webapp.extensions import db
    from webapp.regions.models import LEAF_LEVELS, Region
    from webapp.regions.service import get_region

    with create_app().app_context():
        city = get_region(generate.CITY_CODE)
        leaves = select(Region.code).where(Region.path.like(f"{city.path}%"), Region.level.in_(LEAF_LEVELS))
        codes = list(db.session.execute(leaves.order_by(Region.id)).scalars())
        db.engine.dispose()
    return random.Random(2026).sample(codes, min(COMMUNITIES_USED, len(codes)))


def prepare_draws(database: str, draws: int, path: Path, communities: list[str], per_respondent: int) -> None:
    """``draws`` fresh survey sittings through the service layer, ``per_respondent`` for each new
    respondent, the respondents taking the communities in turn; one line per draw in ``path``
    ("draw_id token body", read by bench/submit.lua)."""
    os.environ["DATABASE_URL"] = database
    from quizzes import service as quizzes
    from webapp import create_app
    from webapp.clock import utcnow
    from webapp.extensions import db
    from webapp.learn import service as learn
    from webapp.regions.service import get_region

    app = create_app()
    library = app.extensions["library"]
    timing = quizzes.Timing(submit_grace=timedelta(hours=1), expiry=timedelta(days=2))
    with app.app_context(), path.open("w") as out:
        places = [get_region(code) for code in communities]
        served = utcnow() - SERVED_BEFORE
        for start in range(0, draws, per_respondent):
            community = places[start // per_respondent % len(places)]
            respondent, token = learn.enroll_respondent(community)
            for _ in range(min(per_respondent, draws - start)):
                draw = quizzes.start_draw(library, library.survey, respondent, community, timing, now=served)
                body = json.dumps({"answers": [{"position": i, "choices": [0]} for i in range(len(draw.items))]})
                out.write(f"{draw.id} {token} {body}\n")
            if (start + per_respondent) % COMMIT_EVERY < per_respondent:
                db.session.commit()
        db.session.commit()
        db.engine.dispose()
