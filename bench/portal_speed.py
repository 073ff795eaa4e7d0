#!/usr/bin/env python
"""Portal speed: the latency of each portal page and the throughput ratios to a bare view.

One command, on SQLite with the demo data (load_demo into a temporary database), DEBUG off:
  1. latency: gunicorn with 1 worker, the median of N sequential requests (Python's http.client,
     one connection per request, as gunicorn's sync worker closes it) for the bare ceiling view,
     home, the week page (an open school week and a holiday week), the JSON week and the
     invoices, for the demo household (1 child) and a household of 4 children;
  2. throughput: gunicorn with 2 workers, `wrk -t1 -c32 -d10s` (a C load generator, which leaves
     the two cores to gunicorn) against the ceiling, the week page and the JSON week, and the
     ratio of each to the ceiling measured in the same run;
  3. the journey week → add → validate under the same wrk load: a Lua script (bench/journey.lua)
     sends, for each of the demo's parents in turn, the JSON week, a basket change (POST with the
     session cookie and the CSRF token) and the validation, alternating booking and cancelling
     the same open day so that every round changes something; its requests per second are
     compared with the ceiling, and the bookings are counted afterwards against what the rounds
     should have left.
Prints a table and writes bench/results/portal_speed.json.

    .venv/bin/python bench/portal_speed.py [--requests 20] [--duration 10] [--connections 32]
"""

import argparse
import datetime
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Gunicorn, bench_env, manage, print_table, setup_django, write_results  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
LATENCY_PORT, THROUGHPUT_PORT = 8771, 8772


def prepare(env):
    """The demo town in the temporary SQLite database, a household of 4 children, two sessions,
    and the weeks to show: the next open school week and the next holiday week."""
    manage(env, "migrate", "--noinput", quiet=True)
    manage(env, "load_demo", quiet=True)
    setup_django(env)

    from django.utils import timezone

    from core.models import Child, Enrolment, Guardian
    from core.services.bookings import CellState, week_view

    demo = Guardian.objects.select_related("household").get(email="parent@example.org")
    large = _household_of_four(Guardian, Child, Enrolment)
    now = timezone.now()
    today = timezone.localdate()
    open_week = holiday_week = None
    for weeks in range(1, 40):
        day = today + datetime.timedelta(weeks=weeks)
        states = {c.state for child in week_view(guardian=demo, day=day, now=now).children for r in child.rows for c in r.cells}
        if open_week is None and states & {CellState.NOT_BOOKED, CellState.BOOKED}:
            open_week = day
        if holiday_week is None and states == {CellState.CLOSED}:
            holiday_week = day
        if open_week and holiday_week:
            break
    return {
        "demo": _session(demo), "large": _session(large),
        "open_week": open_week.isoformat(), "holiday_week": (holiday_week or open_week).isoformat(),
        "large_children": large.household.children.count(),
        "journey": _journey_parents(Guardian, week_view, open_week, now, exclude={demo.pk, large.pk}),
    }


def _journey_parents(Guardian, week_view, day, now, *, exclude):
    """The demo's other parents with a day of the open week they may book or cancel: each gets a
    session, a CSRF token, and the change to make then undo."""
    import secrets

    from core.services.bookings import CellState

    parents = []
    for guardian in Guardian.objects.filter(user__isnull=False).exclude(pk__in=exclude).select_related("user").order_by("pk"):
        view = week_view(guardian=guardian, day=day, now=now)
        cell = next(
            (
                (child.child_id, row.activity_id, c)
                for child in view.children for row in child.rows for c in row.cells
                if c.can_change and c.pending is None and c.state in (CellState.BOOKED, CellState.NOT_BOOKED)
            ),
            None,
        )
        if cell is None:
            continue
        child_id, activity_id, c = cell
        first, second = ("cancel", "book") if c.is_booked else ("book", "cancel")
        parents.append({
            "guardian_id": guardian.pk, "session": _session(guardian), "csrf": secrets.token_hex(16),
            "child_id": child_id, "activity_id": activity_id, "date": c.date.isoformat(),
            "booked_before": c.is_booked, "first": first, "second": second,
        })
    return parents


def _household_of_four(Guardian, Child, Enrolment):
    """The demo's guardian with the most children, topped up to 4 children enrolled like the first."""
    from django.db.models import Count

    guardian = (
        Guardian.objects.filter(user__isnull=False).select_related("household")
        .annotate(n=Count("household__children")).order_by("-n", "pk").first()
    )
    children = list(guardian.household.children.order_by("pk"))
    model = children[0]
    for index in range(len(children), 4):
        child = Child.objects.get(pk=model.pk)
        child.pk = child.id = None
        child.first_name = f"{model.first_name}{index + 1}"
        child.save()
        for enrolment in Enrolment.objects.filter(child=model):
            enrolment.pk = enrolment.id = None
            enrolment.child = child
            enrolment.save()
    return guardian


def _session(guardian):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(guardian.user.pk)
    store[BACKEND_SESSION_KEY] = "core.auth.GuardianModelBackend"
    store[HASH_SESSION_KEY] = guardian.user.get_session_auth_hash()
    store.create()
    return f"sessionid={store.session_key}"


def pages(setup):
    """(name, household, path) of every measured page."""
    week, holiday = setup["open_week"], setup["holiday_week"]
    listed = [("plafond (vue nue)", None, "/bench/plafond/")]
    for household in ("demo", "large"):
        listed += [
            ("accueil", household, "/"),
            ("semaine (HTML)", household, f"/espace-famille/?date={week}"),
            ("semaine de vacances (HTML)", household, f"/espace-famille/?date={holiday}"),
            ("semaine (JSON)", household, f"/api/v1/week/?date={week}"),
            ("factures", household, "/factures/"),
        ]
    return listed


def _get(port, path, cookie):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie or "", "Host": "127.0.0.1"})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} : statut {response.status}")
    return elapsed


def measure_latency(env, setup, requests):
    results = {}
    with Gunicorn(env, port=LATENCY_PORT, workers=1):
        for name, household, path in pages(setup):
            cookie = setup[household] if household else ""
            for _ in range(3):  # warm-up: imports, templates, connections
                _get(LATENCY_PORT, path, cookie)
            times = [_get(LATENCY_PORT, path, cookie) for _ in range(requests)]
            results[f"{name} [{household or '-'}]"] = {
                "page": name, "household": household, "path": path,
                "median_ms": round(statistics.median(times) * 1000, 2),
                "min_ms": round(min(times) * 1000, 2),
            }
    return results


def _wrk(port, path, cookie, *, connections, duration):
    output = subprocess.run(
        [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", "-H", f"Cookie: {cookie}",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.M))
    return {"rps": rps, "non_2xx": int(errors.group(1)) if errors else 0, "latency": latency, "raw": output}


def measure_throughput(env, setup, *, connections, duration):
    week = setup["open_week"]
    targets = [
        ("plafond (vue nue)", "/bench/plafond/"),
        ("semaine (HTML)", f"/espace-famille/?date={week}"),
        ("semaine (JSON)", f"/api/v1/week/?date={week}"),
    ]
    results = {}
    with Gunicorn(env, port=THROUGHPUT_PORT, workers=2):
        for name, path in targets:
            _wrk(THROUGHPUT_PORT, path, setup["demo"], connections=connections, duration=2)  # warm-up
            results[name] = _wrk(THROUGHPUT_PORT, path, setup["demo"], connections=connections, duration=duration)
        if setup["journey"]:
            results["parcours semaine → ajout → validation (JSON)"] = _wrk_script(
                THROUGHPUT_PORT, setup["journey_script"], connections=connections, duration=duration
            )
    ceiling = results["plafond (vue nue)"]["rps"]
    for figures in results.values():
        figures["ratio_to_ceiling"] = round(figures["rps"] / ceiling, 3) if ceiling else 0
    return results


JOURNEY_LUA = Path(__file__).resolve().parent / "journey.lua"


def _lua_string(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def journey_script(setup, workdir):
    """bench/journey.lua preceded by the parents' table (cookies, CSRF tokens, changes)."""
    week = setup["open_week"]
    rows = []
    for parent in setup["journey"]:
        change = '{{"child_id": {child_id}, "activity_id": {activity_id}, "date": "{date}", "action": "%s"}}'.format(**parent)
        rows.append(
            "  {cookie=%s, csrf=%s, week=%s, first=%s, second=%s}," % (
                _lua_string(f"{parent['session']}; csrftoken={parent['csrf']}"), _lua_string(parent["csrf"]),
                _lua_string(f"/api/v1/week/?date={week}"), _lua_string(change % parent["first"]),
                _lua_string(change % parent["second"]),
            )
        )
    path = Path(workdir) / "journey.lua"
    path.write_text("parents = {\n" + "\n".join(rows) + "\n}\n" + JOURNEY_LUA.read_text())
    return path


def _wrk_script(port, script, *, connections, duration):
    output = subprocess.run(
        [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.M))
    statuses = {code: int(n) for code, n in re.findall(r"journey-status (\d+): (\d+)", output)}
    return {
        "rps": rps, "requests": total, "non_2xx": int(errors.group(1)) if errors else 0, "latency": latency,
        "statuses": statuses, "raw": output,
    }


def check_journey_bookings(setup):
    """After the journey: no parent's day booked twice (a doubled booking would be two rows, or a
    booking of another day) and each day in one state or the other. Returns (parents, doubled)."""
    from django.db import connection

    from core.models import Booking

    connection.close()  # the gunicorn workers wrote since this process last read
    doubled = 0
    for parent in setup["journey"]:
        rows = Booking.objects.filter(
            child_id=parent["child_id"], activity_id=parent["activity_id"], date=parent["date"]
        ).count()
        doubled += rows > 1
    return len(setup["journey"]), doubled


TARGETS_MS = {"accueil": 6, "semaine (HTML)": 10, "semaine (JSON)": 6, "factures": 8}
TARGET_RATIOS = {"semaine (HTML)": 0.40, "semaine (JSON)": 0.50, "parcours semaine → ajout → validation (JSON)": 0.25}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20, help="requêtes séquentielles par page")
    parser.add_argument("--duration", type=int, default=10, help="secondes par mesure wrk")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not os.path.exists(WRK):
        sys.exit("wrk est introuvable (paquet Debian « wrk »).")

    with tempfile.TemporaryDirectory() as workdir:
        env = bench_env(f"sqlite:///{workdir}/portal_speed.sqlite3", VAR_DIR=str(Path(workdir) / "var"))
        env.pop("REDIS_URL", None)
        print("Base SQLite temporaire et données de démonstration…")
        setup = prepare(env)
        setup["journey_script"] = journey_script(setup, workdir)
        load_before = os.getloadavg()
        print(f"Latence : gunicorn 1 worker, {args.requests} requêtes séquentielles par page…")
        latency = measure_latency(env, setup, args.requests)
        print(f"Débit : gunicorn 2 workers, wrk -t1 -c{args.connections} -d{args.duration}s…")
        throughput = measure_throughput(env, setup, connections=args.connections, duration=args.duration)
        load_after = os.getloadavg()
        journey_check = check_journey_bookings(setup) if setup["journey"] else None

    ceiling_ms = latency["plafond (vue nue) [-]"]["median_ms"]
    rows = []
    for figures in latency.values():
        target = TARGETS_MS.get(figures["page"])
        if target and figures["household"] == "large":
            target = target * 1.5
        rows.append([
            figures["page"], {"demo": "démo (1 enfant)", "large": f"{setup['large_children']} enfants"}.get(figures["household"], "-"),
            f"{figures['median_ms']:.1f}", f"{figures['median_ms'] / ceiling_ms:.1f}×", f"≤ {target:g}" if target else "",
        ])
    print_table(
        f"Latence — gunicorn 1 worker, SQLite, DEBUG=0, médiane de {args.requests} requêtes (client http.client)",
        ["page", "foyer", "médiane ms", "÷ plafond", "cible ms"], rows,
    )
    rows = [
        [name, f"{f['rps']:.0f}", f['latency'].get('50', '?'), f['latency'].get('99', '?'), f['non_2xx'],
         f"{f['ratio_to_ceiling']:.1%}", f"≥ {TARGET_RATIOS[name]:.0%}" if name in TARGET_RATIOS else ""]
        for name, f in throughput.items()
    ]
    print_table(
        f"Débit — gunicorn 2 workers, wrk -t1 -c{args.connections} -d{args.duration}s, foyer de démonstration",
        ["page", "req/s", "p50", "p99", "non-2xx", "÷ plafond", "cible"], rows,
    )
    journey = throughput.get("parcours semaine → ajout → validation (JSON)")
    if journey:
        checked, doubled = journey_check
        print(
            f"\nParcours (wrk + bench/journey.lua, {checked} parents tour à tour) : {journey['requests']} requêtes, "
            f"soit ~{journey['rps'] / 3:.1f} parcours/s ; statuts {journey['statuses']} ; "
            f"jours réservés en double : {doubled}."
        )
        journey["parents"], journey["doubled_bookings"] = checked, doubled
    print(f"\nCharge moyenne de la machine : {load_before[0]:.1f} avant, {load_after[0]:.1f} après (sur {os.cpu_count()} cœurs).")
    for figures in throughput.values():
        figures.pop("raw")
    write_results("portal_speed", {
        "requests": args.requests, "duration_s": args.duration, "connections": args.connections,
        "open_week": setup["open_week"], "holiday_week": setup["holiday_week"],
        "tools": {
            "latency": "http.client (Python), requêtes séquentielles", "throughput": "wrk -t1",
            "journey": "wrk -t1 -s bench/journey.lua",
        },
        "load_average": {"before": load_before, "after": load_after},
        "latency": latency, "throughput": throughput,
    })


if __name__ == "__main__":
    main()
