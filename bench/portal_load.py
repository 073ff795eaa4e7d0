#!/usr/bin/env python
"""Portal load: gunicorn (2 workers) on PostgreSQL, N concurrent logged-in parents.

Three locust runs of the same length and concurrency, in one go:
  1. the ceiling: a bare Django view returning a small JSON, no database;
  2. the week view alone (GET /api/v1/week/);
  3. the parent's journey: week view → add to basket → validate the basket.
Prints throughput and p50/p95/p99 per step with the ratio of each step's throughput to the
ceiling's, and writes bench/results/portal_load.json.

    .venv/bin/python bench/portal_load.py [--users 32] [--duration 30] [--children 10000] [--reuse]
"""

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DATABASE_URL, ROOT, VENV_BIN, Gunicorn, bench_env, prepare_town, print_table, setup_django, write_results  # noqa: E402


def make_sessions(count):
    """Logged-in sessions for `count` parents of households with enrolled children."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from core.models import Guardian

    guardians = list(
        Guardian.objects.filter(user__isnull=False, household__children__enrolments__isnull=False)
        .select_related("user")
        .distinct()
        .order_by("pk")[:count]
    )
    today = timezone.localdate()
    day = today + datetime.timedelta(days=14)
    sessions = []
    for guardian in guardians:
        store = SessionStore()
        store[SESSION_KEY] = str(guardian.user.pk)
        store[BACKEND_SESSION_KEY] = "core.auth.GuardianModelBackend"
        store[HASH_SESSION_KEY] = guardian.user.get_session_auth_hash()
        store.create()
        sessions.append({"sessionid": store.session_key, "csrftoken": _get_new_csrf_string(), "day": day.isoformat()})
    return sessions


def run_locust(profile, *, host, users, duration, sessions_file, workdir):
    prefix = Path(workdir) / profile
    env = {**os.environ, "BENCH_PROFILE": profile, "BENCH_SESSIONS_FILE": str(sessions_file)}
    subprocess.run(
        [
            str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{duration}s",
            "--host", host, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
        ],
        cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]
    return {
        row["Name"]: {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
        }
        for row in rows
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="secondes par mesure")
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="réutiliser la commune déjà générée")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()

    env = bench_env(args.database_url)
    prepare_town(env, children=args.children, reuse=args.reuse)
    setup_django(env)
    sessions = make_sessions(max(args.users * 4, 64))

    with tempfile.TemporaryDirectory() as workdir:
        sessions_file = Path(workdir) / "sessions.json"
        sessions_file.write_text(json.dumps(sessions))
        with Gunicorn(env, port=args.port) as server:
            measures = {}
            for profile in ("ceiling", "week", "journey"):
                print(f"Mesure « {profile} » : {args.users} parents pendant {args.duration} s…")
                measures[profile] = run_locust(
                    profile, host=server.url, users=args.users, duration=args.duration,
                    sessions_file=sessions_file, workdir=workdir,
                )

    ceiling = next(iter(measures["ceiling"].values()))
    rows, steps = [], {}
    for profile, stats in measures.items():
        for name, figures in stats.items():
            ratio = figures["rps"] / ceiling["rps"] if ceiling["rps"] else 0
            steps[f"{profile}:{name}"] = {**figures, "ratio_to_ceiling": round(ratio, 3)}
            rows.append([
                profile, name, f"{figures['rps']:.1f}", f"{figures['p50_ms']:.0f}", f"{figures['p95_ms']:.0f}",
                f"{figures['p99_ms']:.0f}", figures["failures"], f"{ratio:.0%}",
            ])
    print_table(
        f"Charge du portail — gunicorn 2 workers, PostgreSQL, {args.users} parents simultanés, {args.duration} s par mesure",
        ["mesure", "étape", "req/s", "p50 ms", "p95 ms", "p99 ms", "échecs", "÷ plafond"],
        rows,
    )
    write_results("portal_load", {"users": args.users, "duration_s": args.duration, "children": args.children, "steps": steps})


if __name__ == "__main__":
    main()
