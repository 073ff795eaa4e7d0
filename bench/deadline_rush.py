#!/usr/bin/env python
"""Deadline rush: N parents validating their baskets in the 30 minutes before a booking cut-off,
on PostgreSQL, at town scale.

The town comes from `generate_town` (bench database, regenerated unless --reuse) and the rush
runs on a copy. The cut-off is the booking deadline of the busiest meal activity on a service day
two weeks ahead; each chosen parent puts in the basket, for each of their children enrolled in a
meal that day, the change that day allows (book it when free, cancel it when booked), then
validates the basket with the services' own `basket_add` and `basket_validate`, at an instant
drawn in the 30 minutes before the cut-off (`now=`: the half hour is compressed into as long as
the processes take). Every tenth parent validates twice at once (a double click). Parents run in
--workers processes, in the order of their instants. Afterwards every day is read back: a change
is applied exactly once or refused for a stated reason, the day's bookings add up, no row is
doubled. Prints the throughput and the latencies (p50/p95/p99 of a validation and of a parent's
add + validate), writes bench/results/deadline_rush.json.

    .venv/bin/python bench/deadline_rush.py [--children 10000] [--parents 2000] [--workers 8]
        [--reuse] [--database-url postgres://…/bench_espacefamille]

With REDIS_URL set (redis://127.0.0.1:6379/5 for instance), the confirmation emails go to the
Redis queue, as in production, and the queue is emptied afterwards; without it, to the database's.
"""

import argparse
import datetime
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    bench_env,
    copy_database,
    drop_database,
    prepare_town,
    print_table,
    setup_django,
    write_results,
)

WINDOW = datetime.timedelta(minutes=30)


def choose_cutoff():
    """(activity, day, deadline): the meal activity with the most enrolments, on the first service
    day at least 14 days ahead, and its booking deadline."""
    from django.db.models import Count
    from django.utils import timezone

    from core.models import Activity
    from core.services.calendar import ServiceCalendar
    from core.services.deadlines import CALENDAR_LOOKBACK, Action, activity_deadline

    activity = (
        Activity.objects.filter(kind=Activity.Kind.MEAL, is_active=True)
        .annotate(n=Count("enrolments")).order_by("-n", "pk").select_related("booking_rule", "cancellation_rule").first()
    )
    day = timezone.localdate() + datetime.timedelta(days=14)
    for _ in range(60):
        calendar = ServiceCalendar.load(day - CALENDAR_LOOKBACK, day)
        if activity.runs_on_weekday(day) and calendar.closure_reason(day, activity_id=activity.pk) is None:
            deadline = activity_deadline(activity=activity, day=day, action=Action.BOOK, calendar=calendar)
            return activity, day, deadline
        day += datetime.timedelta(days=1)
    raise SystemExit("Aucun jour de service dans les deux mois qui viennent.")


def make_plan(*, activity, day, deadline, parents, seed):
    """Per parent: guardian id, the instant of the validation, the changes (child, action), and
    whether it validates twice at once. The instants cover the half hour before the cut-off."""
    from core.models import Booking, Enrolment, Guardian
    from core.services.calendar import ServiceCalendar

    calendar = ServiceCalendar.load(day, day)
    year = calendar.school_year_of(day)
    enrolled = (
        Enrolment.objects.accepted().filter(activity=activity, school_year=year)
        .values_list("child_id", "child__household_id", "child__school_id")
    )
    by_household = {}
    for child_id, household_id, school_id in enrolled:
        if calendar.closure_reason(day, school_id=school_id, activity_id=activity.pk) is None:
            by_household.setdefault(household_id, []).append(child_id)
    booked = set(
        Booking.objects.active().filter(activity=activity, date=day).values_list("child_id", flat=True)
    )
    guardians = (
        Guardian.objects.filter(user__isnull=False, user__is_active=True, household_id__in=list(by_household))
        .order_by("household_id", "pk").distinct("household_id").values_list("pk", "household_id")
    )
    rng = random.Random(seed)
    chosen = list(guardians)
    rng.shuffle(chosen)
    plan = []
    for index, (guardian_id, household_id) in enumerate(chosen[:parents]):
        changes = [(child_id, "cancel" if child_id in booked else "book") for child_id in sorted(by_household[household_id])]
        offset = datetime.timedelta(seconds=rng.uniform(1, WINDOW.total_seconds()))
        plan.append({
            "guardian_id": guardian_id, "now": deadline - offset, "changes": changes, "double": index % 10 == 0,
        })
    plan.sort(key=lambda p: p["now"])
    return plan, len(booked)


_activity_day = None


def _init_worker(activity_id, day):
    global _activity_day
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    _activity_day = (activity_id, day)


def run_parent(parent):
    """One parent: fill the basket, validate it (twice at once for a double click: two threads)."""
    import threading

    from django.db import connection

    from core.models import Activity, Child, Guardian
    from core.services.basket import basket_add, basket_validate

    activity_id, day = _activity_day
    outcome = {"guardian_id": parent["guardian_id"], "booked": [], "cancelled": [], "refused": [], "errors": []}
    started = time.perf_counter()
    try:
        guardian = Guardian.objects.select_related("user", "household").get(pk=parent["guardian_id"])
        activity = Activity.objects.select_related("booking_rule", "cancellation_rule").get(pk=activity_id)
        children = Child.objects.in_bulk([c for c, _ in parent["changes"]])
        for child_id, action in parent["changes"]:
            basket_add(guardian=guardian, child=children[child_id], activity=activity, day=day, action=action, now=parent["now"])
    except Exception as error:  # noqa: BLE001 - reported, never hidden
        outcome["errors"].append(f"ajout : {type(error).__name__}: {error}")
        return outcome
    validations = []

    def validate():
        try:
            began = time.perf_counter()
            result = basket_validate(guardian=guardian, now=parent["now"])
            validations.append(time.perf_counter() - began)
            outcome["booked"] += [b.child_id for b in result.booked]
            outcome["cancelled"] += [b.child_id for b in result.cancelled]
            outcome["refused"] += [(r.item.child_id, str(r.code)) for r in result.refused]
        except Exception as error:  # noqa: BLE001
            outcome["errors"].append(f"validation : {type(error).__name__}: {error}")
        finally:
            connection.close()

    if parent["double"]:
        threads = [threading.Thread(target=validate) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        validate()
    outcome["validation_s"] = validations
    outcome["parent_s"] = time.perf_counter() - started
    return outcome


def check(*, activity, day, plan, outcomes, booked_before):
    """Problems found when reading the day back (an empty list when all adds up)."""
    from django.db import connection
    from django.db.models import Count

    from core.models import BasketItem, Booking

    connection.close()
    problems = []
    final = dict(Booking.objects.filter(activity=activity, date=day).values_list("child_id", "status"))
    doubled = (
        Booking.objects.filter(activity=activity, date=day).values("child_id").annotate(n=Count("*")).filter(n__gt=1).count()
    )
    if doubled:
        problems.append(f"{doubled} enfants ont deux lignes de réservation ce jour-là")
    applied = Counter()
    for outcome in outcomes:
        for child_id in outcome["booked"]:
            applied[(child_id, "book")] += 1
        for child_id in outcome["cancelled"]:
            applied[(child_id, "cancel")] += 1
    refused = {child_id: code for outcome in outcomes for child_id, code in outcome["refused"]}
    for parent in plan:
        for child_id, action in parent["changes"]:
            count = applied[(child_id, action)]
            if child_id in refused:
                if count:
                    problems.append(f"enfant {child_id} : changement refusé ({refused[child_id]}) et appliqué")
                continue
            if count != 1:
                problems.append(f"enfant {child_id} : « {action} » appliqué {count} fois")
            wanted = Booking.Status.BOOKED if action == "book" else Booking.Status.CANCELLED
            if final.get(child_id) != wanted:
                problems.append(f"enfant {child_id} : {final.get(child_id)} au lieu de {wanted}")
    books = sum(1 for (_, action), n in applied.items() if action == "book" for _ in range(n))
    cancels = sum(1 for (_, action), n in applied.items() if action == "cancel" for _ in range(n))
    active_after = sum(1 for status in final.values() if status == Booking.Status.BOOKED)
    if active_after != booked_before + books - cancels:
        problems.append(f"réservations du jour : {active_after} au lieu de {booked_before} + {books} − {cancels}")
    left = BasketItem.objects.filter(basket__guardian_id__in=[p["guardian_id"] for p in plan]).exclude(
        child_id__in=list(refused)
    ).count()
    if left:
        problems.append(f"{left} changements appliqués restés dans un panier")
    return problems, {"books": books, "cancels": cancels, "booked_before": booked_before, "booked_after": active_after}


def percentile(values, q):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def purge_queue():
    from django_q.brokers import get_broker

    broker = get_broker()
    return broker.purge_queue() if hasattr(broker, "purge_queue") else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=10000)
    parser.add_argument("--parents", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8, help="processus qui valident en parallèle")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true", help="garder la copie de la base après la mesure")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()

    env = bench_env(args.database_url)
    generation = prepare_town(env, children=args.children, reuse=args.reuse)
    copy_url = copy_database(args.database_url, suffix="rush")
    env["DATABASE_URL"] = copy_url
    env["DATABASE_CONN_MAX_AGE"] = "0"
    setup_django(env)

    activity, day, deadline = choose_cutoff()
    plan, booked_before = make_plan(activity=activity, day=day, deadline=deadline, parents=args.parents, seed=args.seed)
    changes = sum(len(p["changes"]) for p in plan)
    print(
        f"Date limite : {activity.name}, {day:%d/%m/%Y}, réservation jusqu'au {deadline:%d/%m/%Y %H:%M} ; "
        f"{len(plan)} parents, {changes} changements, {sum(p['double'] for p in plan)} doubles clics ; "
        f"{args.workers} processus."
    )
    from django.db import connections

    connections.close_all()
    load_before = os.getloadavg()
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers, initializer=_init_worker, initargs=(activity.pk, day)) as pool:
        outcomes = list(pool.imap_unordered(run_parent, plan, chunksize=1))
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()

    problems, counts = check(activity=activity, day=day, plan=plan, outcomes=outcomes, booked_before=booked_before)
    errors = [e for o in outcomes for e in o["errors"]]
    refused = Counter(code for o in outcomes for _, code in o["refused"])
    validation = [t for o in outcomes for t in o.get("validation_s", [])]
    per_parent = [o["parent_s"] for o in outcomes if "parent_s" in o]
    purged = purge_queue() if os.environ.get("REDIS_URL") else None

    rows = [
        ["parents", len(plan), ""],
        ["changements (réservations + annulations)", changes, f"{counts['books']} + {counts['cancels']} appliqués"],
        ["durée", f"{elapsed:.1f} s", f"{args.workers} processus"],
        ["débit", f"{len(plan) / elapsed:.1f} parents/s", f"{len(validation) / elapsed:.1f} validations/s"],
        ["validation p50 / p95 / p99", " / ".join(f"{percentile(validation, q) * 1000:.0f} ms" for q in (0.5, 0.95, 0.99)), ""],
        ["parent (ajouts + validation) p50 / p95", " / ".join(f"{percentile(per_parent, q) * 1000:.0f} ms" for q in (0.5, 0.95)), ""],
        ["erreurs", len(errors), "; ".join(errors[:3])],
        ["refus", sum(refused.values()), ", ".join(f"{k} : {v}" for k, v in refused.items())],
        ["réservations du jour", f"{counts['booked_before']} → {counts['booked_after']}", ""],
        ["contrôle (perdues, doublées, comptes)", "OK" if not problems else f"{len(problems)} problèmes", "; ".join(problems[:3])],
    ]
    print_table(f"Rush avant la date limite — PostgreSQL, {args.children} enfants", ["mesure", "valeur", "détail"], rows)
    print(f"\nCharge moyenne de la machine : {load_before[0]:.1f} avant, {load_after[0]:.1f} après (sur {os.cpu_count()} cœurs).")
    if purged is not None:
        print(f"File Redis vidée des emails de confirmation ({purged}).")
    write_results("deadline_rush", {
        "children": args.children, "parents": len(plan), "changes": changes, "workers": args.workers,
        "activity": activity.name, "day": day, "deadline": deadline, "generation_s": generation,
        "broker": "redis" if os.environ.get("REDIS_URL") else "orm",
        "elapsed_s": round(elapsed, 2), "parents_per_s": round(len(plan) / elapsed, 2),
        "validation_ms": {f"p{int(q * 100)}": round(percentile(validation, q) * 1000, 1) for q in (0.5, 0.95, 0.99)},
        "parent_ms": {f"p{int(q * 100)}": round(percentile(per_parent, q) * 1000, 1) for q in (0.5, 0.95, 0.99)},
        "median_validation_ms": round(statistics.median(validation) * 1000, 1) if validation else None,
        "errors": errors, "refused": dict(refused), "problems": problems, **counts,
        "load_average": {"before": load_before, "after": load_after},
    })
    connections.close_all()
    if not args.keep:
        drop_database(copy_url)
    if errors or problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
