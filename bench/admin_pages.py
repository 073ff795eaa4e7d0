#!/usr/bin/env python
"""Admin pages at town scale: the bookings changelist (~1.8 M rows on a 10,000-children town),
the households changelist, the canteen headcounts for a week and the dashboard, requested by a
logged-in superuser through Django's test Client (DEBUG off, PostgreSQL): median and p95 of
N requests each, and the number of SQL queries of one request.

Runs on a fresh copy of the bench database (the superuser and its session are written there),
dropped afterwards. Writes bench/results/admin_pages.json.

    .venv/bin/python bench/admin_pages.py [--reuse] [--requests 10]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    bench_env,
    copy_database,
    drop_database,
    manage,
    prepare_town,
    print_table,
    setup_django,
    write_results,
)

TARGET_MS = 300


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def busy_monday():
    """The Monday of a week in the middle of the generated school year (bookings on every day)."""
    import datetime

    from django.db.models import Max, Min

    from core.models import Booking

    bounds = Booking.objects.aggregate(first=Min("date"), last=Max("date"))
    middle = bounds["first"] + (bounds["last"] - bounds["first"]) / 2
    return middle - datetime.timedelta(days=middle.weekday())


def pages():
    from django.urls import reverse

    monday = busy_monday()
    return [
        ("tableau de bord", reverse("admin:index"), {}),
        ("foyers (liste)", reverse("admin:core_household_changelist"), {}),
        ("réservations (liste)", reverse("admin:core_booking_changelist"), {}),
        (
            "réservations (liste, un jour)",
            reverse("admin:core_booking_changelist"),
            {"date__gte": monday.isoformat(), "date__lte": monday.isoformat()},
        ),
        ("effectifs cantine (semaine)", reverse("admin:core_booking_headcounts"), {"day": monday.isoformat(), "period": "week"}),
    ]


def measure(client, url, params, requests):
    from django.db import connection

    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - started) * 1000, sql))

    # First request: warms the caches, counts the queries (the wrapper outlives reconnections).
    with connection.execute_wrapper(record):
        response = client.get(url, params)
    if response.status_code != 200:
        raise SystemExit(f"{url} : HTTP {response.status_code}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "queries": len(queries),
        "slowest_queries": [{"ms": round(ms, 1), "sql": sql[:300]} for ms, sql in sorted(queries, reverse=True)[:3]],
        "bytes": len(response.content),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=10_000, help="taille de la commune générée si besoin")
    parser.add_argument("--reuse", action="store_true", help="réutiliser la commune déjà générée")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()

    prepare_town(bench_env(args.database_url), children=args.children, reuse=args.reuse)
    copy_url = copy_database(args.database_url, suffix="admin")
    try:
        env = bench_env(copy_url, Q_SYNC="0")
        manage(env, "collectstatic", "--noinput", "-v0")  # DEBUG off: the hashed static files' manifest
        setup_django(env)
        from django.db import connection
        from django.test import Client

        from core.models import Booking, Household, User

        user = User.objects.create_superuser(email="bench-admin@example.net", password="x")
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        volumes = {"bookings": Booking.objects.count(), "households": Household.objects.count()}
        results = {}
        for label, url, params in pages():
            results[label] = {"url": url, "params": params, **measure(client, url, params, args.requests)}
        connection.close()
    finally:
        drop_database(copy_url)

    rows = [
        [label, r["median_ms"], r["p95_ms"], r["queries"], "ok" if r["p95_ms"] < TARGET_MS else "RATÉ"]
        for label, r in results.items()
    ]
    print_table(
        f"Pages de l'admin — {volumes['bookings']} réservations, {volumes['households']} foyers, "
        f"{args.requests} requêtes par page, PostgreSQL (cible < {TARGET_MS} ms)",
        ["page", "médiane ms", "p95 ms", "requêtes SQL", "cible"],
        rows,
    )
    write_results("admin_pages", {**volumes, "requests": args.requests, "target_ms": TARGET_MS, "pages": results})


if __name__ == "__main__":
    main()
