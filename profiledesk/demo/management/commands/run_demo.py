"""`make run`'s last step: Redis (if none answers), the demo receiver (each demo client's
CRM and billing system), a Celery worker, Celery beat and the web server, in the
foreground. Ctrl-C stops everything this command started."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from profiledesk.demo.connectors import receiver_store, receiver_systems


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the demo desk: Redis, Celery worker and beat, and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, port: int, **options):
        if not settings.DEMO_MODE:
            raise CommandError("run_demo is for the demo only (DEMO_MODE is off).")
        url = f"http://127.0.0.1:{port}/"
        if getattr(settings, "DEMO_PUBLIC_URL_FOLLOWS_PORT", False):
            # The worker, beat and web server (children: they inherit it) write links to
            # the port served here, whatever PORT the settings were loaded with.
            os.environ["DESK_PUBLIC_URL"] = url.rstrip("/")
        var = Path(settings.DEMO_VAR_DIR)
        (var / "redis").mkdir(parents=True, exist_ok=True)
        python = sys.executable
        procs: list[tuple[str, subprocess.Popen]] = []

        def start(name: str, cmd: list[str], stdin: bytes | None = None) -> None:
            log = open(var / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE if stdin is not None else None,
            )
            if stdin is not None and proc.stdin is not None:
                proc.stdin.write(stdin)
                proc.stdin.close()
            procs.append((name, proc))

        if not _redis_answers(settings.REDIS_URL):
            redis_port = str(urlparse(settings.REDIS_URL).port or 6379)
            start(
                "redis",
                [
                    "redis-server",
                    "--port",
                    redis_port,
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(var / "redis"),
                    "--save",
                    "60 1",
                ],
            )
            for _ in range(50):
                if _redis_answers(settings.REDIS_URL):
                    break
                time.sleep(0.1)
            else:
                self._stop(procs)
                raise CommandError("Redis did not start; see var/redis.log.")
        # The demo's downstream systems: their signing secrets go through a pipe, never
        # argv (ps shows it), a file or a log.
        start(
            "receiver",
            [
                python,
                "-m",
                "profiledesk.demo.receiver",
                "--port",
                str(settings.DEMO_RECEIVER_PORT),
                "--store",
                str(receiver_store()),
            ],
            stdin=json.dumps(receiver_systems()).encode(),
        )
        celery = [python, "-m", "celery", "-A", "profiledesk"]
        start("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"])
        start(
            "beat",
            [*celery, "beat", "--loglevel", "INFO", "--schedule", str(var / "celerybeat-schedule")],
        )
        self.stdout.write(self.style.SUCCESS(f"\nProfileDesk demo: {url}"))
        logins = var / "demo-logins.txt"
        if logins.exists():
            self.stdout.write(logins.read_text())
        shown = var.relative_to(settings.BASE_DIR) if var.is_relative_to(settings.BASE_DIR) else var
        self.stdout.write(
            "Applied changes reach the demo CRM and billing systems: open a delivery on the "
            "ticket's Downstream systems panel.\n"
            f"Logs: {shown}/worker.log, {shown}/beat.log, {shown}/receiver.log, {shown}/redis.log. "
            "Ctrl-C stops everything.\n"
        )
        server = subprocess.Popen(
            [
                python,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
            ]
        )
        procs.append(("web", server))
        # `kill` (SIGTERM) stops the children too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(p.poll() is None for _, p in procs):
                time.sleep(0.5)
            # Ctrl-C reaches the children too; only a child that died on its own is news.
            failed = [name for name, p in procs if p.poll() not in (None, -signal.SIGINT)]
            if failed:
                self.stderr.write(f"Stopped because {', '.join(failed)} exited; see var/*.log.")
            else:
                self.stdout.write("\nStopping…")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            self._stop(procs)

    @staticmethod
    def _stop(procs) -> None:
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
