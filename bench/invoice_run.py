#!/usr/bin/env python
"""Invoice run on a generated town: draft computation, issue (numbering), PDF rendering rate,
and, in the same run, one raw SQL GROUP BY over the same bookings as the floor.

Each measure runs on a fresh copy of the bench database (CREATE DATABASE … TEMPLATE), so runs
can be repeated. Writes bench/results/invoice_run.json.

    .venv/bin/python bench/invoice_run.py [--children 10000] [--reuse] [--pdfs 40]
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DEFAULT_DATABASE_URL, bench_env, copy_database, prepare_town, print_table, setup_django, write_results  # noqa: E402

FLOOR_SQL = """
SELECT c.household_id, b.child_id, b.activity_id, count(*)
FROM core_booking b
JOIN core_child c ON c.id = b.child_id
JOIN core_activity a ON a.id = b.activity_id
LEFT JOIN core_attendance t ON t.child_id = b.child_id AND t.activity_id = b.activity_id AND t.date = b.date
WHERE a.regie_id = %s AND b.status = 'booked' AND b.date BETWEEN %s AND %s
  AND (t.status IS NULL OR t.status <> 'absent_justified')
GROUP BY 1, 2, 3
"""



def busiest_month(regie):
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from core.models import Booking

    first_of_month = timezone.localdate().replace(day=1)
    months = (
        Booking.objects.active()
        .filter(activity__regie=regie, date__lt=first_of_month)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return months[0]["month"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="réutiliser la commune déjà générée")
    parser.add_argument("--pdfs", type=int, default=40, help="nombre de PDF rendus pour mesurer le débit")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()

    template_env = bench_env(args.database_url)
    prepare_town(template_env, children=args.children, reuse=args.reuse)
    env = bench_env(copy_database(args.database_url), Q_SYNC="0")
    setup_django(env)

    from django.db import connection

    from core.models import Booking, Invoice, Regie
    from core.services import invoicing
    from core.services.billing import month_bounds

    regie = Regie.objects.get(invoice_prefix="RS")
    month = busiest_month(regie)
    start, end = month_bounds(month)
    bookings = Booking.objects.active().filter(activity__regie=regie, date__gte=start, date__lte=end).count()
    print(f"Régie {regie}, {month:%m/%Y} : {bookings} réservations à facturer.")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, [regie.pk, start, end])
        groups = len(cursor.fetchall())
    floor = time.perf_counter() - started

    run = invoicing.invoice_run_create(regie=regie, month=month)
    started = time.perf_counter()
    run = invoicing.invoice_run_compute(run_id=run.pk)
    compute = time.perf_counter() - started

    started = time.perf_counter()
    run = invoicing.invoice_run_issue(run_id=run.pk, now=datetime.datetime.now(datetime.UTC))
    issue = time.perf_counter() - started

    sample = list(Invoice.objects.filter(run=run).order_by("sequence").values_list("pk", flat=True)[: args.pdfs])
    started = time.perf_counter()
    for invoice_id in sample:
        invoicing.invoice_store_pdf(invoice_id=invoice_id)
    pdf = time.perf_counter() - started

    invoices = run.invoice_count
    rows = [
        ["plancher : GROUP BY SQL brut", f"{floor:.2f}", f"{groups} groupes", "1,0×"],
        ["brouillon (calcul des factures)", f"{compute:.2f}", f"{invoices} factures", f"{compute / floor:.1f}×"],
        ["émission (numérotation, redevables)", f"{issue:.2f}", f"{invoices} numéros", f"{issue / floor:.1f}×"],
        ["PDF (WeasyPrint)", f"{pdf:.2f}", f"{len(sample) / pdf:.1f} PDF/s", ""],
    ]
    print_table(
        f"Campagne de facturation — {args.children} enfants, {bookings} réservations du mois, PostgreSQL",
        ["étape", "secondes", "volume", "÷ plancher"],
        rows,
    )
    write_results(
        "invoice_run",
        {
            "children": args.children, "month": month.isoformat(), "bookings": bookings, "invoices": invoices,
            "floor_group_by_s": round(floor, 3), "draft_s": round(compute, 3), "issue_s": round(issue, 3),
            "pdf_per_s": round(len(sample) / pdf, 2), "draft_to_floor": round(compute / floor, 1),
        },
    )


if __name__ == "__main__":
    main()
