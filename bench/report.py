"""What a benchmark run measured, judged against the goals: a table in the terminal and the
generated section of docs/performance.md. Only figures of the records given are written."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: the main submission's goal, of the ceiling by CPU per request: PostgreSQL's own processes
#: do part of the work outside the workers, where the workers' CPU does not see it
SUBMISSION_SHARE = {"sqlite": 0.25, "postgresql": 0.15}
#: the endpoints whose runs write events, with their rollup lag reported
WRITING = ("survey draw", "submission (first survey)", "submission (retakes)")


def label(database: str) -> str:
    return "postgresql" if database.startswith("postgresql") else "sqlite"


def _ms(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def progress_line(name: str, r: dict) -> str:
    return (
        f"{name}: {r['rps']:,.0f} req/s, p99 {r['p99_ms']:.1f} ms, {r['app_cpu_ms']:.2f} ms CPU/request, "
        f"{_share(r['share_cpu'])} of the ceiling by CPU"
    )


def nearest_rank(values: list[float], percentile: float) -> float:
    """The nearest-rank percentile: of 5 values, the 95th is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


def cold_summary(builds: list[dict]) -> dict:
    walls = [build["wall_ms"] for build in builds]
    databases = [build["db_cpu_ms"] for build in builds if build["db_cpu_ms"] is not None]
    return {
        "builds": builds,
        "median_wall_ms": statistics.median(walls),
        "max_wall_ms": max(walls),
        "p95_wall_ms": nearest_rank(walls, 95),
        "median_app_cpu_ms": statistics.median(build["app_cpu_ms"] for build in builds),
        "median_db_cpu_ms": statistics.median(databases) if databases else None,
    }


# --- goals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    goal: str
    measured: str
    #: None when the run cannot judge it (e.g. it used another number of connections)
    met: bool | None


def goals(record: dict) -> list[dict]:
    results, db = record["results"], record["database"]
    first = results["submission (first survey)"]
    found = [
        _share_goal(first, "first-survey submission", SUBMISSION_SHARE[db], "≥ 25% on SQLite, ≥ 15% on PostgreSQL"),
        _p99_goal(first),
        _share_goal(results["survey draw"], "survey draw", 0.30),
        _share_goal(results["lesson page"], "lesson page", 0.70),
        _below("city dashboard p95, warm:", results["dashboard city"]["p95_ms"], 50, "ms"),
        _cold_goal(record["cold_dashboard"]),
        _below("rollups behind during the first-survey run:", first["lag"]["max_s"], 5, "s", inclusive=True),
        _below("each worker's resident memory:", max(record["worker_rss_mb"]), 150, "MB", inclusive=True),
    ]
    return [asdict(goal) for goal in found]


def _share_goal(result: dict, name: str, wanted: float, stated: str | None = None) -> Goal:
    """``stated``: the goal as written when it differs by database (the same words for each)."""
    share = result["share_cpu"]
    measured = f"{_share(share)} by CPU ({_share(result['share_rps'])} by req/s)"
    goal = f"{name}, of the ceiling by CPU per request: {stated or f'≥ {wanted:.0%}'}"
    return Goal(goal, measured, share is not None and share >= wanted)


def _p99_goal(result: dict) -> Goal:
    goal = "first-survey submission p99 at 64 connections: < 100 ms"
    if result["connections"] != 64:
        return Goal(goal, f"{result['p99_ms']:.1f} ms at {result['connections']} connections", None)
    return Goal(goal, f"{result['p99_ms']:,.1f} ms", result["p99_ms"] < 100)


def _cold_goal(cold: dict) -> Goal:
    builds = len(cold["builds"])
    goal = f"city dashboard p95, cold (of {builds} builds, nearest rank): < 50 ms"
    return Goal(
        goal, f"{cold['p95_wall_ms']:,.1f} ms (median {cold['median_wall_ms']:,.1f} ms)", cold["p95_wall_ms"] < 50
    )


def _below(goal: str, value: float, limit: float, unit: str, inclusive: bool = False) -> Goal:
    sign = "≤" if inclusive else "<"
    met = value <= limit if inclusive else value < limit
    return Goal(f"{goal} {sign} {limit:g} {unit}", f"{value:,.1f} {unit}", met)


def verdict(met: bool | None) -> str:
    return {True: "met", False: "missed", None: "not judged"}[met]


# --- the terminal -------------------------------------------------------------------------------

COLUMNS = (
    ("endpoint", 27),
    ("req/s", 8),
    ("p50 ms", 9),
    ("p95 ms", 9),
    ("p99 ms", 9),
    ("non-2xx", 8),
    ("CPU ms", 8),
    ("by CPU", 8),
    ("by req/s", 9),
    ("DB ms", 7),
    ("applier", 8),
)


def terminal(record: dict, file_name: str) -> str:
    lines = [f"\n{NAMES[record['database']]} ({record['url']}, {file_name})"]
    lines.append(
        "".join(f"{title:<{width}}" if i == 0 else f"{title:>{width}}" for i, (title, width) in enumerate(COLUMNS))
    )
    for name, r in record["results"].items():
        cells = [
            f"{r['rps']:,.0f}",
            _ms(r["p50_ms"]),
            _ms(r["p95_ms"]),
            _ms(r["p99_ms"]),
            str(r["non_2xx"] + r["socket_errors"]),
            _ms(r["app_cpu_ms"], 2),
            _share(r["share_cpu"]),
            _share(r["share_rps"]),
            _ms(r["db_cpu_ms"], 2),
            _ms(r["applier_cpu_ms"], 2),
        ]
        lines.append(
            f"{name:<27}" + "".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS[1:], strict=True))
        )
    lines += [f"  {line}" for line in _notes(record)]
    lines.append("goals:")
    lines += [f"  {verdict(g['met']):<11}{g['goal']}: {g['measured']}" for g in record["goals"]]
    return "\n".join(lines)


def _notes(record: dict) -> list[str]:
    """The ceiling, rollup lag, cold dashboard and memory, one sentence each."""
    return [
        _ceiling_note(record["ceiling_runs"]),
        *_lag_notes(record["results"]),
        *_database_notes(record["results"]),
        _cold_note(record),
        _memory_note(record),
    ]


def _ceiling_note(runs: list[dict]) -> str:
    rps = [run["rps"] for run in runs]
    cpu = [run["app_cpu_ms"] for run in runs]
    p99 = [run["p99_ms"] for run in runs]
    return (
        f"Ceiling (bare Flask JSON), {len(runs)} runs of {runs[0]['seconds']} s: {min(rps):,.0f}–{max(rps):,.0f} req/s "
        f"(mean {statistics.mean(rps):,.0f}), {min(cpu):.3f}–{max(cpu):.3f} ms app CPU per request "
        f"(mean {statistics.mean(cpu):.3f}), p99 {min(p99):.1f}–{max(p99):.1f} ms."
    )


def _lag_notes(results: dict) -> list[str]:
    notes = []
    for name in WRITING:
        lag = results[name]["lag"]
        drained = (
            "not all counted" if lag["drained_s"] is None else f"all counted {lag['drained_s']:.1f} s after it ended"
        )
        worst = f"at most {lag['max_s']:.1f} s behind ({lag['max_waiting']:,} events waiting at most)"
        end = f"{lag['end_s']:.1f} s when the run ended ({lag['end_waiting']:,} waiting)"
        notes.append(f"Rollups during {name}: {worst}, {end}; {drained}.")
    return notes


def _database_notes(results: dict) -> list[str]:
    """On PostgreSQL, how much of the server's CPU per request went to the applier's folding."""
    notes = []
    for name in WRITING:
        r = results[name]
        if r.get("db_applier_cpu_ms") is not None and r["db_cpu_ms"]:
            notes.append(
                f"PostgreSQL during {name}: {r['db_cpu_ms']:.2f} ms of CPU per request, "
                f"{r['db_applier_cpu_ms']:.2f} ms of it serving the applier."
            )
    return notes


def _cold_note(record: dict) -> str:
    cold = record["cold_dashboard"]
    database = "" if cold["median_db_cpu_ms"] is None else f", {cold['median_db_cpu_ms']:,.0f} ms database CPU"
    wall = f"median {cold['median_wall_ms']:,.0f} ms (slowest {cold['max_wall_ms']:,.0f} ms)"
    spent = f"median {cold['median_app_cpu_ms']:,.0f} ms app CPU{database}"
    return f"City dashboard with no snapshot, {len(cold['builds'])} builds one at a time: {wall}, {spent}."


def _memory_note(record: dict) -> str:
    sizes = ", ".join(f"{mb:.0f} MB" for mb in record["worker_rss_mb"])
    failed = sum(r["non_2xx"] + r["socket_errors"] for r in record["results"].values())
    return f"Worker resident memory after the runs: {sizes}. {_failures(failed)}"


def _failures(failed: int) -> str:
    return "No request failed." if not failed else f"{failed:,} requests failed (non-2xx or socket errors)."


# --- docs/performance.md ------------------------------------------------------------------------


def rewrite_docs(path: Path, records: list[dict], files: list[str]) -> None:
    """Replace what lies between the markers with the figures of ``records``."""
    doc = path.read_text()
    if START not in doc or END not in doc:
        raise SystemExit(f"{path.name} has no {START} … {END} section to write the results in")
    before, rest = doc.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{markdown(records, files)}\n{END}{after}")


def markdown(records: list[dict], files: list[str]) -> str:
    parts = [
        "<!-- written by bench/run.py from the result files named below: edit the prose outside the markers -->",
        "",
    ]
    for record, name in zip(records, files, strict=True):
        parts += _database_section(record, name)
    parts += _goals_section(records)
    return "\n".join(parts)


HEADER = (
    "| endpoint | req/s | p50 ms | p95 ms | p99 ms | app CPU ms/request | of the ceiling by CPU | "
    "of the ceiling by req/s | DB CPU ms/request | applier CPU ms/request |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def _database_section(record: dict, file_name: str) -> list[str]:
    lines = [
        f"### {NAMES[record['database']]}, the {record['options']['city']} city",
        "",
        f"`bench/results/{file_name}`, measured {record['started_at']} UTC: {_city(record['city'])}; {_how(record)}",
        "",
        HEADER,
    ]
    lines += [_row(name, r) for name, r in record["results"].items()]
    lines += ["", *(f"- {note}" for note in _notes(record)), ""]
    return lines


def _city(city: dict) -> str:
    if "respondents" not in city:
        return "the demo city seeded afresh (`flask seed-demo --attempts 2000`)"
    rows = ", ".join(f"{city[kind]:,} {kind.replace('_', ' ')}" for kind in ("draws", "attempts", "answers"))
    made = f"generated {city['generated_at']} in {city['seconds']:,.0f} s, {city['size_mb']:,.0f} MB"
    return f"{city['communities']:,} communities, {city['respondents']:,} respondents, {rows} ({made})"


def _how(record: dict) -> str:
    options, machine, places = record["options"], record["machine"], record["places"]
    looked = f"dashboards of {places['city']} and {places['street']} for {places['period']}"
    runs = (
        f"each endpoint for {options['seconds']} s with {options['connections']} connections (dashboards "
        f"{options['dashboard_connections']}) between ceiling runs of {options['ceiling_seconds']} s"
    )
    load = f"load average {machine['load_average_before'][0]:.1f} before, {machine['load_average_after'][0]:.1f} after"
    return f"{looked}; {runs}; {options['workers']} workers, {machine['cpus']} CPUs, {load}."


def _row(name: str, r: dict) -> str:
    cells = [
        name,
        f"{r['rps']:,.0f}",
        _ms(r["p50_ms"]),
        _ms(r["p95_ms"]),
        _ms(r["p99_ms"]),
        _ms(r["app_cpu_ms"], 2),
        _share(r["share_cpu"]),
        _share(r["share_rps"]),
        _ms(r["db_cpu_ms"], 2),
        _ms(r["applier_cpu_ms"], 2),
    ]
    return "| " + " | ".join(cells) + " |"


def _goals_section(records: list[dict]) -> list[str]:
    names = [NAMES[record["database"]] for record in records]
    lines = ["### Goals", "", "| goal | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    for index, goal in enumerate(records[0]["goals"]):
        cells = [f"{r['goals'][index]['measured']}: {verdict(r['goals'][index]['met'])}" for r in records]
        lines.append(f"| {goal['goal']} | " + " | ".join(cells) + " |")
    return lines
