"""Benchmark: the badge and points engine on the reference dataset (issue 4).

    .venv/bin/python bench/engine.py [--database-url URL] [--agents 50000]
        [--activities 10000000] [--delta-batches 5] [--naive-agents 300] [--skip-full]

1. Makes sure the reference dataset is there (``bench/reference_dataset.py``: 50,000 agents,
   10,000,000 activities over 2 years, PostgreSQL), and the default badge catalogue.
2. **Full pass from nothing**: empties the organization's awards, point lines and notices,
   then times one full evaluation (every badge, every agent, every point), as the first
   reconcile after an install or a restore would run.
3. **Reconcile at rest**: times ``badges_reconcile`` again on the state it just wrote (the
   nightly job's usual case) and checks it reports ``drift: 0``.
4. **Delta**: ``--delta-batches`` times, ingests 5,000 new activities (random agents and
   verbs of the last week, engine deferred), then times the delta evaluation of the agents
   and verbs they touched, and counts its queries. The added activities are deleted at the
   end and the state reconciled back, so the dataset stays the reference one.
5. **Naive loop** for comparison: the per-agent, per-badge loop most Django badge packages
   run (for each agent, for each badge: query the agent's figure, compare with the
   thresholds, read and write the agent's awards), on ``--naive-agents`` agents drawn
   evenly, extrapolated to all agents; prints the ratio to the full pass.

Prints figures and a JSON summary. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reference_dataset import DEFAULT_URL, ensure_reference_dataset  # noqa: E402

BATCH = 5000
DELTA_SOURCE = "bench-delta"


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["DEBUG"] = "false"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()


def say(message: str) -> None:
    print(message, flush=True)


def empty_state(organization: Any) -> None:
    from django.db import connection

    from badges.models import Award, Notification, PointLine

    with connection.cursor() as cursor:
        for model in (Notification, Award, PointLine):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE organization_id = %s",
                [organization.pk],
            )
        cursor.execute(f"VACUUM ANALYZE {PointLine._meta.db_table}")


def full_pass(organization: Any, now: dt.datetime) -> dict[str, Any]:
    from badges.services.engine import badges_evaluate

    start = time.perf_counter()
    report = badges_evaluate(organization=organization, now=now, notify=False)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), **report.as_dict(), "timings": report.timings}


def reconcile(organization: Any, now: dt.datetime) -> dict[str, Any]:
    from badges.services.engine import badges_reconcile

    start = time.perf_counter()
    report = badges_reconcile(organization=organization, now=now)
    return {
        "seconds": round(time.perf_counter() - start, 2),
        **report.as_dict(),
        "timings": report.timings,
    }


def delta_batches(organization: Any, now: dt.datetime, batches: int, seed: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ambassadors.models import Agent
    from ambassadors.services.ledger import activities_ingest
    from badges.receivers import engine_deferred
    from badges.services.engine import badges_evaluate

    rng = random.Random(seed)
    hr_ids = list(
        Agent.objects.for_org(organization).filter(has_account=True).values_list("hr_id", "pk")
    )
    verbs = [
        "news_published",
        "page_published",
        "document_published",
        "comment_posted",
        "profile_updated",
        "event_attended",
        "training_completed",
    ]
    runs = []
    for batch in range(batches):
        chosen = [rng.choice(hr_ids) for _ in range(BATCH)]
        items = [
            {
                "external_id": f"delta-{seed}-{batch}-{n}",
                "verb": rng.choice(verbs),
                "agent": hr,
                "occurred_at": (
                    now - dt.timedelta(minutes=rng.randint(1, 7 * 24 * 60))
                ).isoformat(),
                "object": {
                    "type": "news",
                    "title": "Actualité de la semaine " * 2,
                    "url": f"https://intranet.example.fr/actualites/{batch}/{n}",
                },
            }
            for n, (hr, _pk) in enumerate(chosen)
        ]
        with engine_deferred():
            report = activities_ingest(
                organization=organization, items=items, source_code=DELTA_SOURCE, now=now
            )
        agent_ids = sorted({pk for _hr, pk in chosen})
        times = [dt.datetime.fromisoformat(item["occurred_at"]) for item in items]
        verb_codes = sorted({item["verb"] for item in items})
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            result = badges_evaluate(
                organization=organization,
                agent_ids=agent_ids,
                verb_codes=verb_codes,
                now=now,
                notify=False,
                # What the ledger's signal carries to the task: the span of the new rows.
                occurred_between=(min(times), max(times)),
            )
            seconds = time.perf_counter() - start
        runs.append(
            {
                "accepted": report.accepted,
                "agents": len(agent_ids),
                "seconds": round(seconds, 3),
                "queries": len(queries),
                **result.as_dict(),
                "timings": result.timings,
            }
        )
        say(f"  delta {batch + 1}: {runs[-1]}")
    return {
        "runs": runs,
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "queries": sorted({r["queries"] for r in runs}),
    }


def remove_delta(organization: Any, now: dt.datetime) -> None:
    from ambassadors.models import Activity, ActivitySource

    source = ActivitySource.objects.for_org(organization).filter(code=DELTA_SOURCE).first()
    if source is None:
        return
    Activity.objects.for_org(organization).filter(source=source)._raw_delete("default")
    source.delete()


def naive_loop(organization: Any, now: dt.datetime, sample: int) -> dict[str, Any]:
    """For each agent, for each badge: the agent's figure, the thresholds, the awards."""
    from ambassadors.models import Agent
    from badges.models import Award, Badge, BadgeStatus
    from badges.rules import get_kind
    from badges.services.engine import engine_context, rule_of

    ctx = engine_context(organization=organization, now=now)
    rules = [
        rule_of(b) for b in Badge.objects.for_org(organization).filter(status=BadgeStatus.ACTIVE)
    ]
    plain = [r for r in rules if not get_kind(r.kind).depends_on_badges]
    ids = list(Agent.objects.for_org(organization).order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // sample)
    chosen = ids[::step][:sample]
    start = time.perf_counter()
    mismatches = 0
    for agent_id in chosen:
        for rule in plain:
            measure = get_kind(rule.kind).measure(ctx, rule, [agent_id]).get(agent_id)
            held = set(
                Award.objects.filter(
                    agent_id=agent_id, badge_id=rule.badge_id, revoked_at=None
                ).values_list("tier", flat=True)
            )
            met = set(measure.earned) if measure else set()
            mismatches += len(met ^ held)
    seconds = time.perf_counter() - start
    per_agent = seconds / len(chosen)
    return {
        "agents_sampled": len(chosen),
        "badges": len(plain),
        "seconds": round(seconds, 2),
        "per_agent_ms": round(per_agent * 1000, 2),
        "extrapolated_seconds": round(per_agent * len(ids), 1),
        "mismatches_with_engine": mismatches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--agents", type=int, default=50_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--delta-batches", type=int, default=5)
    parser.add_argument("--naive-agents", type=int, default=300)
    parser.add_argument("--skip-full", action="store_true", help="Keep the stored state.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    say("reference dataset...")
    summary = ensure_reference_dataset(
        args.database_url, agents=args.agents, activities=args.activities, seed=args.seed
    )
    setup_django(args.database_url)
    from ambassadors.models import Organization
    from badges.services.catalogue import badges_ensure_defaults

    organization = Organization.objects.get(slug=summary["organization"])
    now = dt.datetime.fromisoformat(summary["reference_now"])
    badges_ensure_defaults(organization=organization)
    out: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "dataset": {k: summary.get(k) for k in ("agents", "activities", "coaching_sessions")},
    }
    remove_delta(organization, now)
    if not args.skip_full:
        say("full pass from an empty state...")
        empty_state(organization)
        out["full_pass"] = full_pass(organization, now)
        say(f"  {out['full_pass']}")
    say("reconcile at rest...")
    out["reconcile_at_rest"] = reconcile(organization, now)
    say(f"  {out['reconcile_at_rest']}  drift: {out['reconcile_at_rest']['drift']}")
    say(f"delta batches of {BATCH}...")
    out["delta"] = delta_batches(organization, now, args.delta_batches, args.seed)
    say("removing the delta activities and reconciling back...")
    remove_delta(organization, now)
    out["reconcile_after_delta"] = reconcile(organization, now)
    say(f"  {out['reconcile_after_delta']}")
    say(f"naive loop on {args.naive_agents} agents...")
    out["naive"] = naive_loop(organization, now, args.naive_agents)
    reference = out.get("full_pass", out["reconcile_at_rest"])["seconds"]
    out["naive"]["ratio_to_engine"] = round(out["naive"]["extrapolated_seconds"] / reference, 1)
    say(f"  {out['naive']}")
    print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
