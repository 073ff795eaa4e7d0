#!/usr/bin/env python
"""Families import at town scale: a 10,000-household spreadsheet (xlsx, the format of
docs/import-familles.md), read and imported through django-import-export the way the admin does
it (HouseholdResource.import_data, dry run then real import, all or nothing in one transaction),
then the same file again (every row unchanged, nothing written).

Runs on a fresh copy of the bench database (CREATE DATABASE … TEMPLATE), dropped afterwards.
Writes bench/results/import_households.json.

    .venv/bin/python bench/import_households.py [--households 10000] [--reuse] [--profile]
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    ROOT,
    bench_env,
    copy_database,
    drop_database,
    prepare_town,
    print_table,
    setup_django,
    write_results,
)

FIRST_NAMES = ["Léa", "Hugo", "Emma", "Louis", "Jade", "Gabriel", "Chloé", "Arthur", "Inès", "Jules", "Manon", "Noah"]
LAST_NAMES = ["MARTIN", "BERNARD", "DUBOIS", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFEBVRE"]
GRADES = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]


def build_spreadsheet(households, seed=8):
    """The xlsx bytes of `households` new families (1–2 guardians, 1–4 children each)."""
    import tablib

    from admin_ext.resources import HOUSEHOLD_COLUMNS
    from core.models import School

    rng = random.Random(seed)
    maternelles = list(School.objects.filter(kind=School.Kind.MATERNELLE).values_list("name", flat=True))
    elementaires = list(School.objects.filter(kind=School.Kind.ELEMENTAIRE).values_list("name", flat=True))
    dataset = tablib.Dataset(headers=HOUSEHOLD_COLUMNS)
    year = time.localtime().tm_year
    children = 0
    for number in range(1, households + 1):
        name = rng.choice(LAST_NAMES)
        row = {
            "reference": f"IMP{number:06d}",
            "nom": name,
            "adresse": f"{rng.randint(1, 120)} rue des Écoles",
            "code_postal": "59270",
            "commune": "Valbourg",
            "resident": rng.choice(["oui"] * 9 + ["non"]),
        }
        for slot in range(1, rng.choice([1, 2, 2]) + 1):
            first = rng.choice(FIRST_NAMES)
            row |= {
                f"responsable{slot}_civilite": "Mme" if slot == 1 else "M",
                f"responsable{slot}_prenom": f"{first}{slot}",
                f"responsable{slot}_nom": name,
                f"responsable{slot}_email": f"imp{number:06d}.{slot}@example.net",
                f"responsable{slot}_telephone": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            }
        for slot in range(1, rng.choice([1, 1, 2, 2, 3, 4]) + 1):
            grade = rng.choice(GRADES)
            index = GRADES.index(grade)
            school = rng.choice(maternelles if index < 3 else elementaires)
            row |= {
                f"enfant{slot}_prenom": f"{rng.choice(FIRST_NAMES)}{slot}",
                f"enfant{slot}_naissance": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year - 4 - index}",
                f"enfant{slot}_ecole": school,
                f"enfant{slot}_classe": grade,
                f"enfant{slot}_regime": rng.choice(["", "", "", "sans porc", "végétarien"]),
                f"enfant{slot}_pai": rng.choice(["non"] * 19 + ["oui"]),
            }
            children += 1
        dataset.append([row.get(column, "") for column in HOUSEHOLD_COLUMNS])
    return dataset.export("xlsx"), children


def read_spreadsheet(content):
    """The dataset the admin builds from an uploaded xlsx file."""
    from import_export.formats.base_formats import XLSX

    return XLSX().create_dataset(content)


def run_import(dataset, *, dry_run):
    from admin_ext.resources import HouseholdResource

    result = HouseholdResource().import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True, raise_errors=False,
    )
    if result.has_errors() or result.has_validation_errors():
        first = (result.invalid_rows or [None])[0]
        errors = first.error_dict if first else [e.error for e in result.base_errors][:3]
        errors = errors or [(n, e.error) for n, row_errors in result.row_errors()[:3] for e in row_errors]
        raise SystemExit(f"L'import a échoué : {errors}")
    return result


def timed(function, *args, profile=None, **kwargs):
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    value = function(*args, **kwargs)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        path = ROOT / "bench" / "results" / f"{profile}.prof.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out.getvalue())
        print(f"Profil : {path.relative_to(ROOT)}")
    return value, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--children", type=int, default=10_000, help="taille de la commune générée si besoin")
    parser.add_argument("--reuse", action="store_true", help="réutiliser la commune déjà générée")
    parser.add_argument("--profile", action="store_true", help="profiler (cProfile) l'import réel")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args()

    prepare_town(bench_env(args.database_url), children=args.children, reuse=args.reuse)
    copy_url = copy_database(args.database_url, suffix="import")
    try:
        setup_django(bench_env(copy_url, Q_SYNC="0"))
        from django.db import connection

        from core.models import Child, Guardian, Household

        (content, children), build = timed(build_spreadsheet, args.households)
        dataset, read = timed(read_spreadsheet, content)
        before = Household.objects.count(), Guardian.objects.count(), Child.objects.count()
        load_before = os.getloadavg()[0]
        _, dry = timed(run_import, dataset, dry_run=True, profile="import_households_dry" if args.profile else None)
        assert (Household.objects.count(), Guardian.objects.count(), Child.objects.count()) == before
        result, real = timed(run_import, dataset, dry_run=False, profile="import_households" if args.profile else None)
        created = Household.objects.count() - before[0]
        new_children = Child.objects.count() - before[2]
        assert created == args.households and new_children == children, (created, new_children)
        after = Household.objects.count(), Guardian.objects.count(), Child.objects.count()
        again, reimport = timed(run_import, dataset, dry_run=False)
        assert again.totals.get("skip") == args.households, again.totals
        assert (Household.objects.count(), Guardian.objects.count(), Child.objects.count()) == after
        load_after = os.getloadavg()[0]
        connection.close()
    finally:
        drop_database(copy_url)

    target = 60.0
    rows = [
        ["fichier xlsx écrit (tablib)", f"{build:.1f}", f"{len(content) / 1024 / 1024:.1f} Mo", ""],
        ["fichier lu (format XLSX de l'admin)", f"{read:.1f}", f"{len(dataset)} lignes", ""],
        ["prévisualisation (dry run)", f"{dry:.1f}", f"{args.households / dry:.0f} foyers/s", "ok" if dry <= target else "RATÉ"],
        ["import réel (une transaction)", f"{real:.1f}", f"{args.households / real:.0f} foyers/s", "ok" if real <= target else "RATÉ"],
        ["réimport du même fichier (rien ne change)", f"{reimport:.1f}", f"{args.households / reimport:.0f} foyers/s", ""],
    ]
    print_table(
        f"Import des familles — {args.households} foyers, {children} enfants, PostgreSQL (cible ≤ {target:.0f} s)",
        ["étape", "secondes", "volume", "cible"],
        rows,
    )
    write_results(
        "import_households",
        {
            "households": args.households, "children": children, "rows_new": result.totals.get("new"),
            "xlsx_bytes": len(content), "build_s": round(build, 2), "read_s": round(read, 2),
            "dry_run_s": round(dry, 2), "import_s": round(real, 2), "reimport_s": round(reimport, 2),
            "target_s": target,
            # Load average (1 min) of the machine before and after: the machine may be shared.
            "load_average": [round(load_before, 2), round(load_after, 2)],
        },
    )


if __name__ == "__main__":
    main()
