"""A local Stripe Identity: a real HTTP server on 127.0.0.1 that speaks the parts of the
protocol the desk uses (docs.stripe.com/api/identity/verification_sessions/create), and
the provider's side of the webhooks (signed as Stripe signs them, POSTed over HTTP).

It checks what Stripe would: the Bearer secret key, form encoding, `type=document`, the
Idempotency-Key (the same key again answers the same session, never a second one). It can
be told to fail: an HTTP status, "timeout" (no answer until after the desk's timeout) or
"reset" (the connection closed without an answer).
"""

import hashlib
import hmac
import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import requests

SECRET_KEY = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_" + "testsecret0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class FakeStripe:
    base_url: str = ""
    timeout: float = 0.5
    calls: list = field(default_factory=list)
    sessions: dict = field(default_factory=dict)  # id -> session object
    by_idempotency: dict = field(default_factory=dict)
    answers: list = field(default_factory=list)  # then 200 with a session

    def session_object(self, session_id: str, **changes) -> dict:
        return {**self.sessions[session_id], **changes}

    def event(self, session_id: str, event_type: str, **changes) -> dict:
        changes.setdefault("status", event_type.rsplit(".", 1)[1])
        return {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": self.session_object(session_id, **changes)},
        }

    def post_event(
        self,
        url: str,
        event: dict,
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """POST the event to the desk as Stripe does (its own HTTP request)."""
        payload = json.dumps(event).encode()
        header = (
            signature
            if signature is not None
            else sign(payload, secret=secret, timestamp=timestamp)
        )
        return requests.post(
            url,
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
            timeout=10,
        )


def start(recorder: FakeStripe) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(parse_qsl(body, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            recorder.calls.append({"path": self.path, "headers": headers, "form": form})
            answer = recorder.answers.pop(0) if recorder.answers else 200
            if answer == "timeout":
                time.sleep(recorder.timeout + 0.5)
                answer = 503
            if answer == "reset":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.path != "/v1/identity/verification_sessions":
                return self._send(404, {"error": {"type": "invalid_request_error"}})
            if headers.get("authorization") != f"Bearer {SECRET_KEY}":
                return self._send(
                    401,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "Invalid API Key provided: sk_***",
                        }
                    },
                )
            if answer != 200:
                return self._send(answer, {"error": {"type": "api_error"}})
            if form.get("type") != "document" or not headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                return self._send(
                    400, {"error": {"type": "invalid_request_error", "code": "parameter_missing"}}
                )
            key = headers.get("idempotency-key")
            if key and key in recorder.by_idempotency:
                return self._send(200, recorder.sessions[recorder.by_idempotency[key]])
            session_id = "vs_" + secrets.token_hex(12)
            metadata = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
            session = {
                "id": session_id,
                "object": "identity.verification_session",
                "client_reference_id": form.get("client_reference_id"),
                "client_secret": "vs_secret_" + secrets.token_hex(8),
                "created": int(time.time()),
                "last_error": None,
                "livemode": False,
                "metadata": metadata,
                "options": {
                    "document": {
                        "require_matching_selfie": form.get(
                            "options[document][require_matching_selfie]"
                        )
                        == "true",
                        "require_live_capture": form.get("options[document][require_live_capture]")
                        == "true",
                    }
                },
                "status": "requires_input",
                "type": "document",
                "url": "https://verify.stripe.com/start/test_" + secrets.token_urlsafe(24),
            }
            recorder.sessions[session_id] = session
            if key:
                recorder.by_idempotency[key] = session_id
            return self._send(200, session)

        def _send(self, status: int, body: dict):
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    recorder.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
