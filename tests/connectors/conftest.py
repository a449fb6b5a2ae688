"""A real webhook receiver for connector tests: an HTTP server on 127.0.0.1 on a free
port that records every request (headers and raw body) and answers as the test says:
200, an error status, or nothing until the desk's timeout has passed."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.messaging.conftest import free_port, redis_up  # noqa: F401 - fixtures reused

from .helpers import SECRET  # noqa: F401 - re-exported for tests


@dataclass
class Receiver:
    url: str = ""
    requests: list = field(default_factory=list)
    # What to answer, one per request: an HTTP status, "timeout" (no answer until the
    # desk's timeout has passed) or "slow" (200 after 0.3 s); then `default`.
    answers: list = field(default_factory=list)
    default: object = 200

    def headers(self, n: int = -1) -> dict:
        return self.requests[n]["headers"]


@pytest.fixture
def receiver(settings):
    recorder = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = recorder.answers.pop(0) if recorder.answers else recorder.default
            recorder.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "answer": answer,
                }
            )
            if answer == "timeout":
                time.sleep(settings.CONNECTOR_TIMEOUT + 0.5)
                answer = 200
            elif answer == "slow":
                time.sleep(0.3)
                answer = 200
            payload = b'{"received": true, "echo": "whsec"}'
            try:
                self.send_response(answer)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the desk stopped waiting

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/profiledesk"
    settings.CONNECTOR_ALLOW_HTTP = True
    settings.CONNECTOR_TIMEOUT = 0.5
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
