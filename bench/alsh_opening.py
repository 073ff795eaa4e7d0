#!/usr/bin/env python
"""The opening minute of an accueil de loisirs registration window on PostgreSQL: N parents
(500 by default), each with a basket holding the morning and the afternoon of the same holiday
day, validate within the first minute, spread over T concurrent workers (one database connection
each, as gunicorn workers would have). Reports errors (none allowed), p50/p95/max of a
validation, and checks that no unit ever holds more children than its capacity.

It drives `basket_validate`, the very service the page and the API call: the HTTP layer is
measured by portal_load.py. Writes bench/results/alsh_opening.json.

    .venv/bin/python bench/alsh_opening.py [--parents 500] [--workers 16] [--capacity 40]
"""

import argparse
import datetime
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, manage, print_table, recreate_database, setup_django, write_results  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_alsh_opening"


def build(parents, capacity):
    """A town with one ALSH (two half-day units, 3–5 ans) and `parents` households whose baskets
    are filled before the opening; returns (guardians, units, day, opening)."""
    from django.contrib.auth import get_user_model

    from core.constants import PARIS
    from core.models import (
        Activity, Basket, BasketItem, Child, DeadlineRule, Enrolment, Guardian, Household, Regie, RegistrationWindow,
        School, SchoolYear,
    )

    year = SchoolYear.objects.create(label="2026-2027", start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 7, 2))
    regie = Regie.objects.create(name="Régie ALSH", invoice_prefix="AL")
    rule = DeadlineRule.objects.create(name="ALSH 2 jours", kind=DeadlineRule.Kind.CALENDAR_DAYS, days=2)
    school = School.objects.create(name="École maternelle du banc", kind=School.Kind.MATERNELLE)
    grades = ["PS", "MS", "GS"]
    units = [
        Activity.objects.create(
            name=f"ALSH 3–5 ans {label}", code=f"alsh-{half}", kind=Activity.Kind.LEISURE, regie=regie, weekdays=[0, 1, 2, 3, 4],
            grades=grades, capacity=capacity, booking_rule=rule, cancellation_rule=rule, half_day=half, min_age=3, max_age=5,
        )
        for half, label in (("morning", "matin"), ("afternoon", "après-midi"))
    ]
    day = datetime.date(2027, 2, 15)
    opening = datetime.datetime(2027, 1, 11, 18, 0, tzinfo=PARIS)
    window = RegistrationWindow.objects.create(
        label="Vacances d'hiver", start_date=day, end_date=day + datetime.timedelta(days=11), weekdays=[0, 1, 2, 3, 4],
        opens_at=opening, closes_at=opening + datetime.timedelta(days=20),
    )
    window.activities.set(units)
    user_model = get_user_model()
    guardians = []
    for i in range(parents):
        household = Household.objects.create(reference=f"B{i:05d}", name=f"BANC{i}")
        user = user_model.objects.create_user(email=f"banc{i}@example.test", password=None)
        guardian = Guardian.objects.create(household=household, first_name="Parent", last_name=f"BANC{i}", email=user.email, user=user)
        child = Child.objects.create(
            household=household, first_name=f"Enfant{i}", last_name=f"BANC{i}", birth_date=datetime.date(2022, 5, 1),
            school=school, grade="MS",
        )
        basket = Basket.objects.create(guardian=guardian)
        for unit in units:
            Enrolment.objects.create(child=child, activity=unit, school_year=year)
            BasketItem.objects.create(basket=basket, child=child, activity=unit, date=day, action="book")
        guardians.append(guardian.pk)
    return guardians, units, day, opening


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parents", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--capacity", type=int, default=40, help="places par unité (matin, après-midi)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ALSH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    recreate_database(args.database_url)
    env = bench_env(args.database_url)
    manage(env, "migrate", "--noinput", quiet=True)
    setup_django(env)

    from django.db import connection

    from core.models import Booking, Guardian
    from core.services.basket import basket_validate

    guardian_ids, units, day, opening = build(args.parents, args.capacity)
    pending = list(guardian_ids)
    lock = threading.Lock()
    timings, errors, booked, refused = [], [], [0], [0]
    barrier = threading.Barrier(args.workers)

    def worker(index):
        try:
            barrier.wait()
            while True:
                with lock:
                    if not pending:
                        return
                    guardian_id = pending.pop(0)
                guardian = Guardian.objects.select_related("household").get(pk=guardian_id)
                # Every validation happens in the first minute of the window, in its own clock.
                now = opening + datetime.timedelta(seconds=5 + (guardian_id % 50))
                started = time.perf_counter()
                try:
                    result = basket_validate(guardian=guardian, now=now)
                except Exception as error:  # counted and reported: none is allowed
                    errors.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    timings.append(elapsed)
                    booked[0] += len(result.booked)
                    refused[0] += len(result.refused)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall

    per_unit = {u.name: Booking.objects.active().filter(activity=u, date=day).count() for u in units}
    over = {name: n for name, n in per_unit.items() if n > args.capacity}
    ordered = sorted(timings)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] if ordered else None
    figures = {
        "parents": args.parents, "workers": args.workers, "capacity_per_unit": args.capacity,
        "validations": len(timings), "errors": len(errors), "error_samples": errors[:5],
        "booked": booked[0], "refused_full": refused[0], "per_unit": per_unit, "over_capacity": over,
        "wall_s": round(wall, 2), "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p95_ms": round(p95 * 1000, 1) if p95 is not None else None,
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        "within_first_minute": wall <= 60,
    }
    print_table(
        f"Ouverture des inscriptions ALSH — {args.parents} parents, {args.workers} connexions",
        ["validations", "erreurs", "réservés", "refusés (complet)", "p50", "p95", "max", "durée totale", "dépassement"],
        [[figures["validations"], figures["errors"], figures["booked"], figures["refused_full"],
          f"{figures['p50_ms']} ms", f"{figures['p95_ms']} ms", f"{figures['max_ms']} ms", f"{figures['wall_s']} s",
          "aucun" if not over else over]],
    )
    write_results("alsh_opening", figures)
    if errors or over:
        sys.exit(1)


if __name__ == "__main__":
    main()
