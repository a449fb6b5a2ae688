"""Real servers for messaging tests: an SMTP server (aiosmtpd) and an HTTP server that
stands in for the SMS gateway, both on 127.0.0.1 on a free port, both recording what
they received (STYLE 9: e-mails and SMS asserted through what the servers recorded)."""

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

from profiledesk.messaging import sms


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: keeps every message it accepts, parsed."""

    messages: list = field(default_factory=list)
    # SMTP answers to give instead of accepting, one per DATA command, e.g. "451 try later".
    refusals: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        if self.refusals:
            return self.refusals.pop(0)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            {"to": envelope.rcpt_tos, "raw": envelope.content.decode(), "message": parsed}
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; the desk's e-mail backend is pointed at it."""
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield recorder
    finally:
        controller.stop()


@dataclass
class GatewayRecorder:
    requests: list = field(default_factory=list)
    # HTTP statuses to answer instead of accepting, one per request, e.g. [503].
    failures: list = field(default_factory=list)


@pytest.fixture
def sms_gateway(settings):
    """A real HTTP server standing in for the SMS provider; the desk's HttpGateway is
    pointed at it. It answers {"id": "gw-<n>"} and records each request."""
    recorder = GatewayRecorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if recorder.failures:
                # Like some providers, the error answer echoes what was sent.
                self.send_response(recorder.failures.pop(0))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            recorder.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(body),
                }
            )
            answer = json.dumps({"id": f"gw-{len(recorder.requests)}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY = "profiledesk.messaging.sms.HttpGateway"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    settings.SMS_GATEWAY_TOKEN = "gateway-test-token"
    settings.SMS_GATEWAY_TIMEOUT = 5
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def redis_up():
    client = redis.Redis.from_url(
        django_settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
    )
    try:
        client.ping()
    except redis.RedisError:
        url = django_settings.REDIS_URL
        pytest.skip(f"Redis at {url} is not reachable: run through tests/with_services.sh")
    finally:
        client.close()
