"""The embedded demo started by `make run`: SQLite, local Redis, local mail and SMS sinks.

The secret key is generated once per checkout into var/ (never committed).
"""

import os
import secrets
from pathlib import Path

_VAR = Path(__file__).resolve().parent.parent.parent / "var"
_VAR.mkdir(exist_ok=True)
_KEY_FILE = _VAR / "demo-secret-key"
if not _KEY_FILE.exists():
    _KEY_FILE.write_text(secrets.token_urlsafe(64))

os.environ.setdefault("SECRET_KEY", _KEY_FILE.read_text().strip())
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DEMO_MODE", "1")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_VAR / 'demo.sqlite3'}")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")

from .base import *  # noqa: E402,F403

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
