"""`make run`'s scripts/run-server: the web server and the django-q2 worker start together and stop
together, within a few seconds of Ctrl-C or SIGTERM to the process group, even when the signal
comes twice; and SITE_URL follows the port served. Each test starts the real script on a free port
against a migrated temporary SQLite database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STOP_WITHIN = 8  # seconds; the script allows the worker 5 s for a clean stop, then kills it


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(tmp_path):
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SITE_URL", "HOST", "PORT", "Q_SYNC"} and not k.startswith("AWS_")
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", VAR_DIR=str(tmp_path / "var"), DEBUG="1",
               DJANGO_SETTINGS_MODULE="config.settings", Q_WORKERS="1")
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("run-server")
    env = _environment(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=600)
    return env


def _process_table():
    """{pid: (parent pid, state)} of every process, read from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def _descendants(root):
    table = _process_table()
    found, frontier = set(), {root}
    while frontier:
        children = {pid for pid, (ppid, _state) in table.items() if ppid in frontier} - found
        found |= children
        frontier = children
    return found


def _alive(pids):
    table = _process_table()
    return {pid for pid in pids if pid in table and table[pid][1] != "Z"}


def _command_line(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.fixture
def server(migrated, tmp_path):
    """scripts/run-server started in its own process group, answering; killed for good after the test."""
    port = _free_port()
    log = open(tmp_path / "run-server.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(["scripts/run-server", "127.0.0.1", str(port)], cwd=ROOT, env=migrated,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pids = set()
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "run-server.log").read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/sante/", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "run-server never answered"
                time.sleep(0.3)
        # The worker's pool is up once its processes are there: the sentinel, its workers, monitor and pusher.
        while sum("qcluster" in _command_line(pid) for pid in _alive(_descendants(process.pid))) < 4:
            assert time.monotonic() < deadline, "the worker never started its processes"
            time.sleep(0.3)
        pids = _descendants(process.pid) | {process.pid}
        yield process, pids, port
    finally:
        for pid in _alive(pids | _descendants(process.pid)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=10)
        log.close()


def _gone_within(process, pids, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process.poll()  # reap the script itself, as a shell would
        left = _alive(pids)
        if not left:
            return set()
        time.sleep(0.2)
    return {pid: _command_line(pid) for pid in _alive(pids)}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_to_the_process_group_stops_every_process(server, signum):
    process, pids, _port = server
    assert len(pids) >= 6  # the script, the web server, the cluster's parent, its sentinel, worker, monitor, pusher

    os.killpg(process.pid, signum)

    assert _gone_within(process, pids, STOP_WITHIN) == set()


def test_a_second_ctrl_c_during_the_stop_leaves_no_process_behind(server):
    process, pids, _port = server

    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)

    assert _gone_within(process, pids, STOP_WITHIN) == set()


def test_the_served_address_reaches_the_processes_for_site_url(server):
    process, pids, port = server
    served = [pid for pid in _alive(pids) if "runserver" in _command_line(pid) or "qcluster" in _command_line(pid)]
    assert served
    for pid in served:
        environ = dict(
            item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item
        )
        assert (environ.get("HOST"), environ.get("PORT")) == ("127.0.0.1", str(port))
