"""The embedded demo started by `make run`: SQLite, local Redis, local mail and SMS sinks.

The secret key is generated once per checkout into var/ (never committed).
"""

import os
import secrets
from pathlib import Path

# DEMO_VAR_DIR: another place for the demo's database, logs and sinks (the tests' own demo).
_VAR = Path(os.environ.get("DEMO_VAR_DIR") or Path(__file__).resolve().parent.parent.parent / "var")
_VAR.mkdir(parents=True, exist_ok=True)
_KEY_FILE = _VAR / "demo-secret-key"
if not _KEY_FILE.exists():
    _KEY_FILE.write_text(secrets.token_urlsafe(64))

os.environ.setdefault("SECRET_KEY", _KEY_FILE.read_text().strip())
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DEMO_MODE", "1")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_VAR / 'demo.sqlite3'}")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
# Links in the demo's messages ("this wasn't me") lead to the desk `make run` serves: the
# port it is given (PORT, or run_demo --port), unless DESK_PUBLIC_URL says otherwise.
DEMO_PUBLIC_URL_FOLLOWS_PORT = "DESK_PUBLIC_URL" not in os.environ
os.environ.setdefault("DESK_PUBLIC_URL", f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")

from .base import *  # noqa: E402,F403

DEMO_VAR_DIR = _VAR
EMAIL_FILE_PATH = _VAR / "mail"
# SMS to files in var/sms; both sinks are listed on the Dev outbox page (/dev/outbox/).
SMS_GATEWAY = "profiledesk.messaging.sms.FileSink"
SMS_SINK_DIR = _VAR / "sms"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Served from the finders (node_modules, static/), not a collected STATIC_ROOT.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Web, worker and beat share one SQLite file: write-ahead log (readers never wait for the
# writer), a transaction takes the write lock when it begins (no "database is locked" when
# a read upgrades to a write mid-transaction, which no timeout can retry), and a writer
# waits up to 20 s for another instead of failing at once.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {  # noqa: F405
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA busy_timeout=20000",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# The demo receiver (demo/receiver.py, started by run_demo): each demo client's CRM and
# billing system, on 127.0.0.1 at this port; the demo connectors point at it over plain
# HTTP, which only a DEBUG desk allows (Connector.clean).
DEMO_RECEIVER_PORT = int(os.environ.get("DEMO_RECEIVER_PORT") or 8001)

# DEMO_BEAT_SECONDS: run every periodic task (sweeps, purges) this often (the tests'
# demo stack, which must see the sweeps run while it writes).
if _beat_seconds := float(os.environ.get("DEMO_BEAT_SECONDS") or 0):
    for _entry in CELERY_BEAT_SCHEDULE.values():  # noqa: F405
        _entry["schedule"] = min(_entry["schedule"], _beat_seconds)
