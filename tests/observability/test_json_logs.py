"""LOG_FORMAT=json: the desk's logs are one JSON object a line, and neither a card number
nor a report link's token reaches them — not in the message, its arguments, an
exception, or the `extra` fields a caller adds (which no record factory sees)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CARD = "4111111111111111"
TOKEN = "eyJ2IjoiYWJjIn0:1vXyZa:Q2hvY29sYXRlQ2FrZQ"

SCRIPT = f"""
import logging, django
django.setup()
log = logging.getLogger("profiledesk.test")
log.warning(
    "search for %s opened /confirm/report/{TOKEN}",
    "4111 1111 1111 1111",
    extra={{
        "query": "{CARD}",
        "link": "https://desk.example.com/confirm/report/{TOKEN}?x=1",
        "nested": {{"cards": ["4111-1111-1111-1111", "{CARD}"], "count": 2}},
        "object": ValueError("card {CARD}"),
    }},
)
try:
    raise ValueError("bad card {CARD} at /confirm/report/{TOKEN}")
except ValueError:
    log.exception("failed")
"""


def _run(log_format: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "profiledesk.settings.base",
        "SECRET_KEY": "json-log-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": "sqlite:///:memory:",
        "LOG_FORMAT": log_format,
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed script
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stderr.decode() + done.stdout.decode()


def test_json_logs_are_json_and_hold_no_card_number_and_no_token():
    output = _run("json")
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    first, second = lines
    assert first["level"] == "WARNING" and first["logger"] == "profiledesk.test"
    assert "/confirm/report/[redacted]" in first["message"]
    assert first["query"] != CARD and first["query"].endswith("1111")
    assert first["link"].startswith("https://desk.example.com/confirm/report/[redacted]")
    assert first["nested"]["count"] == 2
    assert "exc_info" in second
    for digits in (CARD, "4111 1111 1111 1111", "4111-1111-1111-1111"):
        assert digits not in output
    assert TOKEN not in output


def test_the_plain_format_stays_the_default():
    output = _run("plain")
    assert "WARNING profiledesk.test search for" in output
    assert not output.lstrip().startswith("{")
    assert CARD not in output and TOKEN not in output
