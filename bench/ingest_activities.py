"""Benchmark: activity ingestion over HTTP into a running server (issue 3).

    .venv/bin/python bench/ingest_activities.py [--engine postgresql|sqlite|both]
        [--agents 50000] [--runs 5] [--per-run 200000] [--replay 1000000] [--workers 2]

For each engine it:

1. creates a throwaway database (PostgreSQL: ``relais_bench_ledger``, dropped and re-created;
   SQLite: a file in a temporary directory), runs ``migrate``, and loads an organization with
   ``--agents`` agents in 50 services and 10 sites and an ``activities:write`` token;
2. starts gunicorn (``--workers`` sync workers) on a free port with that database;
3. pre-builds the request bodies (lists of 5,000 activities: 60-character titles,
   80-character URLs, random agents and verbs over a year), then posts them from 2 client
   threads, ``--runs`` times ``--per-run`` activities, and reports activities/s per run and
   the median;
4. (PostgreSQL) replays ``--replay`` already stored activities over HTTP, checks that the
   row count did not move, reports the time;
5. (PostgreSQL) reports bytes per activity: ``pg_total_relation_size`` of the table (heap,
   indexes, TOAST, maps) over ``count(*)``, with the breakdown per index;
6. (PostgreSQL) COPYs the same rows with psycopg into a copy of the table (same indexes and
   constraints) and without indexes, and reports rows/s and the HTTP/COPY ratio.

Nothing here is a test: it prints figures. The machine is reported (cores, PostgreSQL and
SQLite versions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/relais_bench_ledger"
BATCH = 5000
VERBS = [
    "first_login",
    "welcome_tour_completed",
    "profile_updated",
    "news_published",
    "page_published",
    "document_published",
    "comment_posted",
    "event_attended",
    "training_completed",
]


# -- Inside Django (run as a subprocess with the target database in the environment) ------


def django_setup(agents: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command

    from ambassadors.models import (
        Agent,
        Organization,
        OrgUnit,
        Site,
    )
    from ambassadors.services.verbs import verbs_ensure_defaults
    from api.services import api_token_create

    call_command("migrate", verbosity=0)
    organization = Organization.objects.create(slug="bench", name="Ville de Bench")
    verbs_ensure_defaults(organization=organization)  # the signal did it; harmless again
    units = [
        OrgUnit.objects.create(organization=organization, code=f"U{i:02d}", name=f"Service {i}")
        for i in range(50)
    ]
    sites = Site.objects.bulk_create(
        Site(organization=organization, code=f"S{i}", name=f"Site {i}") for i in range(10)
    )
    Agent.objects.bulk_create(
        (
            Agent(
                organization=organization,
                hr_id=f"M{i:06d}",
                first_name=f"Camille{i}",
                last_name=f"Martin{i}",
                email=f"agent{i}@bench.example",
                unit=units[i % 50],
                site=sites[i % 10],
            )
            for i in range(agents)
        ),
        batch_size=5000,
    )
    token = api_token_create(
        organization=organization, name="bench", scopes="read,activities:write"
    ).raw
    print(json.dumps({"token": token}))


def django_stats() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db import connection

    from ambassadors.models import Activity

    table = Activity._meta.db_table
    stats: dict[str, object] = {"rows": Activity.objects.count()}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s)",
                [table, table, table],
            )
            total, heap, indexes = cursor.fetchone()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass",
                [table],
            )
            stats.update(
                total_bytes=total,
                heap_bytes=heap,
                index_bytes=indexes,
                per_index=dict(cursor.fetchall()),
            )
    print(json.dumps(stats))


# -- Orchestration (no Django here) -------------------------------------------------------


def sh_env(engine: str, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SECRET_KEY="bench-only", DEBUG="false", LOG_LEVEL="ERROR", RELAIS_VAR_DIR=var_dir)
    env.pop("DATABASE_URL", None)
    if engine == "postgresql":
        env["DATABASE_URL"] = PG_BENCH
    return env


def reset_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS relais_bench_ledger WITH (FORCE)")
        conn.execute("CREATE DATABASE relais_bench_ledger")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_items(prefix: str, start: int, count: int, agents: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    base = dt.datetime(2025, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    items = []
    for n in range(start, start + count):
        verb = VERBS[rng.randrange(len(VERBS))]
        title = f"Actualité n°{n:08d} : le service des sports rouvre la piscine"[:60].ljust(60, ".")
        url = f"https://intranet.ville-de-bench.fr/actualites/{n:08d}-la-piscine-rouvre"
        url = url[:80].ljust(80, "x")
        items.append(
            {
                "external_id": f"{prefix}-{n:08d}",
                "verb": verb,
                "agent": f"M{rng.randrange(agents):06d}",
                "occurred_at": (base - dt.timedelta(minutes=rng.randrange(525_600))).isoformat(),
                "object": {"type": "news", "title": title, "url": url},
            }
        )
    return items


def post_all(port: int, token: str, bodies: list[bytes], threads: int = 2) -> tuple[float, dict]:
    """Post every body from ``threads`` threads; return elapsed seconds and summed reports."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0, "errors": 0}

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            conn.request(
                "POST",
                "/api/v1/activities",
                body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            data = response.read()
            conn.close()
            with lock:
                if response.status != 200:
                    totals["errors"] += 1
                    print("HTTP", response.status, data[:300], file=sys.stderr)
                    continue
                report = json.loads(data)
                for key in ("accepted", "duplicates", "rejected"):
                    totals[key] += report[key]

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, totals


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def run_django(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [PYTHON, __file__, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_bench(items: list[dict]) -> dict[str, float]:
    """COPY the same rows into copies of the table, with and without its indexes."""
    import psycopg

    rows = []
    with psycopg.connect(PG_BENCH, autocommit=True) as conn:
        org_id, source_id = conn.execute(
            "SELECT organization_id, source_id FROM ambassadors_activity LIMIT 1"
        ).fetchone()
        verbs = dict(conn.execute("SELECT code, id FROM ambassadors_verb").fetchall())
        agents = {
            hr: (pk, unit, site)
            for pk, hr, unit, site in conn.execute(
                "SELECT id, hr_id, unit_id, site_id FROM ambassadors_agent"
            ).fetchall()
        }
        now = dt.datetime.now(dt.UTC)
        for item in items:
            agent_id, unit_id, site_id = agents[item["agent"]]
            rows.append(
                (
                    org_id,
                    source_id,
                    item["external_id"],
                    verbs[item["verb"]],
                    agent_id,
                    dt.datetime.fromisoformat(item["occurred_at"]),
                    item["object"]["type"],
                    item["object"]["title"],
                    item["object"]["url"],
                    unit_id,
                    site_id,
                    now,
                )
            )
        columns = (
            "organization_id, source_id, external_id, verb_id, agent_id, occurred_at, "
            "object_type, object_title, object_url, unit_id, site_id, created_at"
        )
        figures = {}
        for name, like in (
            ("copy_with_indexes", "INCLUDING ALL"),
            ("copy_without_indexes", "INCLUDING DEFAULTS INCLUDING IDENTITY"),
        ):
            conn.execute("DROP TABLE IF EXISTS bench_copy")
            conn.execute(f"CREATE TABLE bench_copy (LIKE ambassadors_activity {like})")
            started = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            figures[name] = len(rows) / (time.perf_counter() - started)
        conn.execute("DROP TABLE bench_copy")
    return figures


def bench_engine(engine: str, args: argparse.Namespace) -> dict:
    var_dir = tempfile.mkdtemp(prefix=f"relais-bench-{engine}-")
    env = sh_env(engine, var_dir)
    if engine == "postgresql":
        reset_postgres()
    print(f"[{engine}] setting up {args.agents} agents...", file=sys.stderr)
    setup = run_django(env, "_setup", str(args.agents))
    token = setup["token"]
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "config.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    result: dict[str, object] = {"engine": engine}
    try:
        wait_for(port, server)
        runs = []
        all_items: list[dict] = []
        for run in range(args.runs):
            items = make_items("bench", run * args.per_run, args.per_run, args.agents, seed=run)
            all_items += items
            bodies = [
                json.dumps(items[i : i + BATCH]).encode() for i in range(0, len(items), BATCH)
            ]
            elapsed, totals = post_all(port, token, bodies, threads=args.clients)
            rate = totals["accepted"] / elapsed
            runs.append(rate)
            print(
                f"[{engine}] run {run + 1}: {totals} in {elapsed:.2f}s = {rate:,.0f}/s",
                file=sys.stderr,
            )
        result["runs_per_s"] = [round(rate) for rate in runs]
        result["median_per_s"] = round(statistics.median(runs))
        if engine == "postgresql" and args.replay:
            before = run_django(env, "_stats")["rows"]
            replay = all_items[: args.replay]
            bodies = [
                json.dumps(replay[i : i + BATCH]).encode() for i in range(0, len(replay), BATCH)
            ]
            elapsed, totals = post_all(port, token, bodies, threads=args.clients)
            after = run_django(env, "_stats")
            result["replay"] = {
                "activities": len(replay),
                "seconds": round(elapsed, 2),
                "duplicates": totals["duplicates"],
                "accepted": totals["accepted"],
                "rows_before": before,
                "rows_after": after["rows"],
            }
            print(f"[{engine}] replay: {result['replay']}", file=sys.stderr)
        stats = run_django(env, "_stats")
        result["rows"] = stats["rows"]
        if engine == "postgresql":
            rows = stats["rows"] or 1
            result["bytes_per_activity"] = round(stats["total_bytes"] / rows, 1)
            result["heap_bytes_per_activity"] = round(stats["heap_bytes"] / rows, 1)
            result["index_bytes_per_activity"] = {
                name: round(size / rows, 1) for name, size in stats["per_index"].items()
            }
    finally:
        server.terminate()
        server.wait(30)
    if engine == "postgresql" and not args.skip_copy:
        sample = all_items[: args.per_run]
        copy = copy_bench(sample)
        result["copy_rows_per_s"] = {name: round(rate) for name, rate in copy.items()}
        result["http_to_copy_ratio"] = round(
            result["median_per_s"] / copy["copy_with_indexes"],
            2,  # type: ignore[operator]
        )
    shutil.rmtree(var_dir, ignore_errors=True)
    return result


def machine() -> dict[str, object]:
    import sqlite3

    import psycopg

    with psycopg.connect(PG_ADMIN) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": pg,
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        django_setup(int(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_stats":
        django_stats()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--per-run", type=int, default=200_000)
    parser.add_argument("--replay", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--clients", type=int, default=2, help="client threads posting at the same time"
    )
    parser.add_argument("--skip-copy", action="store_true")
    args = parser.parse_args()
    engines = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    report = {"machine": machine(), "results": [bench_engine(e, args) for e in engines]}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
