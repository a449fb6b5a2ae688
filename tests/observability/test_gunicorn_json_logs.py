"""gunicorn with LOG_FORMAT=json: its access and error logs are JSON lines, redacted like
the plain ones (a report link's token, a card number typed into the customer search)."""

import json
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


def test_gunicorns_json_logs_are_json_and_redacted(tmp_path):
    port = _free_port()
    out, err = tmp_path / "out", tmp_path / "err"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "profiledesk.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOG_FORMAT": "json",
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
            for _ in range(150):
                try:
                    requests.get(f"{base}/confirm/report/{TOKEN}", timeout=30)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            requests.get(f"{base}/customers/?q=4111111111111111", timeout=30)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
    access, errors = out.read_text(), err.read_text()
    records = [json.loads(line) for line in (access + errors).splitlines() if line.strip()]
    messages = [record["message"] for record in records]
    assert any('"GET /confirm/report/[redacted] HTTP/1.1" 404' in m for m in messages)
    assert any("Booting worker" in m for m in messages)  # the error log too
    assert all({"time", "level", "message"} <= record.keys() for record in records)
    for text in (access, errors):
        assert TOKEN not in text and "4111111111111111" not in text
