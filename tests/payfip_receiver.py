"""A tiny HTTP server standing for "the other side" in PayFiP tests: it records what it receives.

It plays our site's urlnotif (POST) and urlredirect (GET), or a misbehaving PayFiP when a test
gives it a canned answer. Real sockets, real HTTP: nothing in the client is mocked.
"""

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    query: dict
    form: dict
    body: bytes = b""


@dataclass
class CannedAnswer:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"


@dataclass
class Receiver:
    url: str
    requests: list = field(default_factory=list)
    answers: dict = field(default_factory=dict)  # path -> CannedAnswer
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def notifications(self, path="/notif"):
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def wait_for(self, count, path="/notif", timeout=10):
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.notifications(path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.arrived.wait(left)
        return self.notifications(path)


def start_receiver():
    """Start the server on a free port; returns (receiver, stop)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _record(self, method):
            parsed = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
            form = {}
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            with receiver.arrived:
                receiver.requests.append(
                    Received(method, parsed.path, {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}, form, body)
                )
                receiver.arrived.notify_all()
            answer = receiver.answers.get(parsed.path) or CannedAnswer(200, "Reçu".encode(), "text/plain; charset=utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def do_GET(self):
            self._record("GET")

        def do_POST(self):
            self._record("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return receiver, stop
