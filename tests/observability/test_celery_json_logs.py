"""A Celery worker with LOG_FORMAT=json: its log records are JSON lines (Celery leaves the
root logger to the desk's LOGGING), and a card number in a task's arguments — which Celery
logs as an extra field — is redacted there too."""

import json

from profiledesk.health.tasks import ping
from tests.celery_worker import start_worker, stop_worker

CARD = "4111111111111111"


def test_a_workers_json_logs_are_json_and_redacted(redis_up, tmp_path):
    log = tmp_path / "worker.log"
    worker = start_worker(log, name="json-logs", LOG_FORMAT="json")
    try:
        assert ping.delay(f"nonce {CARD}").get(timeout=20) == f"nonce {CARD}"
    finally:
        stop_worker(worker)
    text = log.read_text()
    # Celery's start-up banner is printed, not logged; every logged line is JSON.
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    received = [r for r in records if "health.ping" in r["message"] and "received" in r["message"]]
    assert received and "data" in received[0]  # the task's arguments, an extra field
    assert any(r["message"].endswith("ready.") for r in records)
    assert not any(line.startswith("[20") for line in text.splitlines())  # no plain lines
    assert CARD not in text
