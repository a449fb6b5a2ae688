"""gunicorn's settings for the desk: `gunicorn -c python:profiledesk.gunicorn_conf
profiledesk.wsgi`. Its error and access logs pass through the desk's redact filter: an
access line holds the request's path and query (a report link's token, a card number
typed into the customer search).

Metrics: with `PROMETHEUS_MULTIPROC_DIR` set, each worker keeps its request metrics in
its own files there and a scrape of any worker sums them (profiledesk/observability);
the directory is emptied when the master starts, and a dead worker's files are marked
so (its counts stay in the sums). `LOG_FORMAT=json` writes these logs as JSON too."""

import os
from pathlib import Path

from prometheus_client import multiprocess

from profiledesk.privacy.logging import install_record_factory

install_record_factory()  # master and workers: every record, whichever handler

_HANDLER = {"class": "logging.StreamHandler", "formatter": "generic", "filters": ["redact"]}
_GENERIC = {
    "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
    "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
}
_JSON = {
    "()": "profiledesk.privacy.logging.RedactingJsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}

# A logging dictConfig also turns the access log on (to stdout), redacted.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "profiledesk.privacy.logging.RedactFilter"}},
    "formatters": {"generic": _JSON if os.environ.get("LOG_FORMAT") == "json" else _GENERIC},
    "handlers": {
        "console": {**_HANDLER, "stream": "ext://sys.stdout"},
        "error_console": {**_HANDLER, "stream": "ext://sys.stderr"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}


def on_starting(server) -> None:
    """A new master: the previous run's metric files would be summed with this one's."""
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """A worker is gone: its live gauges leave the sums (its counts stay)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
