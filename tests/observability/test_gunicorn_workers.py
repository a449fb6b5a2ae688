"""Under gunicorn with two workers (prometheus-client's multiprocess mode), a scrape
answered by either worker sums what both served, and keeps a killed worker's counts."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "gunicorn-scrape-token-0123456789abcdef"
REQUESTS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _served(base: str) -> float:
    """requests the scrape counts for the report view, every status and worker."""
    response = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        if family.name == "profiledesk_http_request_duration_seconds":
            total += sum(
                s.value
                for s in family.samples
                if s.name.endswith("_count") and s.labels["view"] == "confirmations:report"
            )
    return total


def _worker_pids(directory: Path) -> set[int]:
    return {
        int(m.group(1))
        for f in directory.iterdir()
        if (m := re.fullmatch(r"histogram_(\d+)\.db", f.name))
    }


def test_a_scrape_sums_both_workers_and_keeps_a_killed_workers_counts(tmp_path):
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "histogram_999999.db").write_bytes(b"")  # a previous run's: wiped at start
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "profiledesk.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_TOKEN": TOKEN,
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [
                str(Path(sys.executable).parent / "gunicorn"),
                *("-c", "python:profiledesk.gunicorn_conf", "--no-control-socket"),
                *("--workers", "2", "--bind", f"127.0.0.1:{port}", "profiledesk.wsgi"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        try:
            for _ in range(150):
                try:
                    requests.get(f"{base}/metrics", timeout=30)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            assert not (metrics_dir / "histogram_999999.db").exists()
            before = _served(base)

            def hit(n: int) -> int:
                # A new connection each: the two workers take turns accepting them.
                return requests.get(f"{base}/confirm/report/token-{n}", timeout=10).status_code

            with ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(hit, range(REQUESTS)))
            assert all(status < 500 for status in statuses)
            pids = _worker_pids(metrics_dir)
            assert len(pids) >= 2, "both workers served some of the requests"
            for _ in range(4):  # whichever worker answers the scrape, the sum is the same
                assert _served(base) == before + REQUESTS

            os.kill(sorted(pids)[0], signal.SIGKILL)  # a worker dies mid-shift
            time.sleep(2)  # the master starts another
            assert _served(base) == before + REQUESTS
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
