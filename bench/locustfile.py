"""Load profiles for bench/portal_load.py (locust, headless).

Each simulated parent owns a pre-made session (BENCH_SESSIONS_FILE: JSON list of
{sessionid, csrftoken, day}) so that the load measures the portal, not the password hasher.
"""

import itertools
import json
import os

from locust import FastHttpUser, constant, task

SESSIONS = json.loads(open(os.environ["BENCH_SESSIONS_FILE"]).read())
_next_session = itertools.cycle(SESSIONS)
PROFILE = os.environ.get("BENCH_PROFILE", "journey")


class Parent(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        session = next(_next_session)
        self.day = session["day"]
        self.headers = {
            "Cookie": f"sessionid={session['sessionid']}; csrftoken={session['csrftoken']}",
            "X-CSRFToken": session["csrftoken"],
            "Referer": self.host + "/",
        }

    @task
    def act(self):
        if PROFILE == "ceiling":
            self.client.get("/bench/plafond/", headers=self.headers, name="plafond (vue nue)")
        elif PROFILE == "week":
            self.client.get(f"/api/v1/week/?date={self.day}", headers=self.headers, name="semaine")
        else:
            self.journey()

    def journey(self):
        with self.client.get(f"/api/v1/week/?date={self.day}", headers=self.headers, name="semaine", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"semaine {response.status_code}")
                return
            week = response.json()
        change = _first_open_cell(week)
        if change is None:
            return
        with self.client.post(
            "/api/v1/basket/items/", json=change, headers=self.headers, name="ajout au panier", catch_response=True
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"ajout {response.status_code}: {response.text[:120]}")
                return
        with self.client.post(
            "/api/v1/basket/validate/", json={}, headers=self.headers, name="validation du panier", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"validation {response.status_code}: {response.text[:120]}")


def _first_open_cell(week):
    """A day the parent may change: book it when free, cancel it when booked."""
    for child in week.get("children", []):
        for row in child.get("rows", []):
            for cell in row.get("cells", []):
                if cell.get("can_change") and not cell.get("pending") and cell.get("state") in ("booked", "not_booked"):
                    return {
                        "child_id": child["child_id"],
                        "activity_id": row["activity_id"],
                        "date": cell["date"],
                        "action": "cancel" if cell["state"] == "booked" else "book",
                    }
    return None
