"""Shared pieces of the benchmarks: a PostgreSQL bench database, gunicorn, figures and JSON."""

import json
import os
import platform
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_espacefamille"


def bench_env(database_url, **extra):
    """Production-like settings for the process under test (DEBUG off, PostgreSQL)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", secrets.token_urlsafe(50)),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "BENCH_CEILING_VIEW": "1",
        "DATABASE_CONN_MAX_AGE": "60",  # as the deployment guide recommends
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(ROOT / "var" / "bench"),
    }
    env.update(extra)
    return env


def manage(env, *args, quiet=False):
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def recreate_database(database_url):
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def database_has_town(env):
    import psycopg

    try:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            return conn.execute("SELECT count(*) FROM core_child").fetchone()[0] > 0
    except psycopg.Error:
        return False


def prepare_town(env, *, children, reuse):
    """A migrated bench database holding a generated town (regenerated unless --reuse)."""
    if reuse and database_has_town(env):
        print(f"Base de mesure réutilisée ({env['DATABASE_URL']}).")
        manage(env, "migrate", "--noinput", quiet=True)
        return None
    recreate_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput", quiet=True)
    started = time.monotonic()
    manage(env, "generate_town", "--children", str(children))
    return time.monotonic() - started


def copy_database(template_url, *, suffix="run"):
    """A fresh copy of the bench database (CREATE DATABASE … TEMPLATE), so that runs can write."""
    import psycopg

    parsed = urlparse(template_url)
    template = parsed.path.lstrip("/")
    copy = f"{template}_{suffix}"
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        for attempt in range(10):
            try:
                admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                # Someone is connected to the template: CREATE DATABASE … TEMPLATE needs it idle.
                if attempt == 9:
                    raise
                time.sleep(3)
    return parsed._replace(path=f"/{copy}").geturl()


def drop_database(database_url):
    import psycopg

    parsed = urlparse(database_url)
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Gunicorn:
    def __init__(self, env, *, port, workers=2):
        self.env, self.port, self.workers = env, port, workers
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self):
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/sante/", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn n'a pas démarré")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "system": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def print_table(title, header, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def write_results(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False, default=str))
    print(f"\nRésultats : {path.relative_to(ROOT)}")
    return path
