"""Settings for the test suite. `make test` exports DATABASE_URL (a throwaway PostgreSQL 15
cluster) and REDIS_URL (a throwaway Redis); without them the suite falls back to SQLite so
that a single test can be run quickly, but CI always runs on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# High enough that no test (schemathesis sends hundreds of requests with one key) meets the
# API's rate limits by accident; tests/api/test_throttling.py sets its own.
os.environ.setdefault("API_RATE_CREATE", "100000/min")
os.environ.setdefault("API_RATE_READ", "100000/min")
_REDIS_GIVEN = "REDIS_URL" in os.environ

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; tests
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# SMS kept in profiledesk.messaging.sms.outbox; a test's worker process may name another.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "profiledesk.messaging.sms.LocmemGateway")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
if "S3_BUCKET" not in os.environ:  # the local disk; tests/objectstore.py gives a real S3
    STORAGES["default"]["OPTIONS"]["location"] = os.environ.get(  # noqa: F405
        "PRIVATE_MEDIA_ROOT", os.path.join(tempfile.gettempdir(), "profiledesk-test-media")
    )
AXES_ENABLED = True
if not _REDIS_GIVEN:  # the quick SQLite run has no Redis: a per-process cache will do
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Served from the finders (node_modules, static/), not a collected STATIC_ROOT.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests see what they just wrote; tests/dashboards/test_pages.py turns the cache on.
DASHBOARD_CACHE_SECONDS = 0
