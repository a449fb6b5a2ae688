"""Production's web server (`gunicorn -c python:profiledesk.gunicorn_conf`) writes its
access and error logs through the desk's redaction: a report link's token and a card
number typed into the customer search stay out of both."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "eyJ2IjoiYWJjIn0:1vXyZa:Q2hvY29sYXRlQ2FrZQ"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorns_access_and_error_logs_hold_no_token_and_no_card_number(tmp_path):
    port = _free_port()
    out, err = tmp_path / "out", tmp_path / "err"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "profiledesk.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [
                str(Path(sys.executable).parent / "gunicorn"),
                *("-c", "python:profiledesk.gunicorn_conf", "--no-control-socket"),
                *("--bind", f"127.0.0.1:{port}", "profiledesk.wsgi"),
            ],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    requests.get(f"{base}/confirm/report/{TOKEN}", timeout=5)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            for query in ("4111111111111111", "4111%201111%201111%201111", "4111+1111+1111+1111"):
                requests.get(f"{base}/customers/?q={query}", timeout=5, allow_redirects=False)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
    access, errors = out.read_text(), err.read_text()
    assert '"GET /confirm/report/[redacted] HTTP/1.1" 404' in access  # the access log is on
    assert access.count('"GET /customers/?q=411111••••••1111 HTTP/1.1" 302') == 3
    assert "Not Found: /confirm/report/[redacted]" in errors
    for text in (access, errors):
        assert TOKEN not in text
        assert "4111111111111111" not in text and "4111%201111" not in text
        assert "4111+1111" not in text
