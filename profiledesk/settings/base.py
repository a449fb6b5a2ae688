"""Production settings: everything that varies comes from environment variables.

`demo.py` and `test.py` set their own defaults on top of this module; nothing secret is
hard-coded here. See docs/architecture.md for the full list of variables.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable (for a local demo, run `make run`)."
        )
    return value


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY")
# Rotation without downtime: the previous key(s), comma-separated, still verify sessions,
# signed links and password-reset tokens, and decrypt what they sealed (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Demo-only conveniences (printed logins, demo_totp) refuse to run unless this is on.
DEMO_MODE = env_bool("DEMO_MODE")

DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), conn_max_age=60)}
# A PostgreSQL read replica, if any: the history pages, exports' rows and dashboards read
# there (profiledesk/replica.py); everything else and every write go to the primary.
if DATABASE_REPLICA_URL := env("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # a test run uses one database
DATABASE_ROUTERS = ["profiledesk.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Before simple_history: its clean_old_history (no cleanup under a year) wins.
    "audit.retention",
    "simple_history",
    "axes",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by the desk itself: no CDN
    "profiledesk.accounts",
    "profiledesk.privacy",
    "profiledesk.clients",
    "profiledesk.customers",
    "profiledesk.policies",
    "profiledesk.tickets",
    "profiledesk.intake",
    "profiledesk.api",
    "profiledesk.inbound",
    "profiledesk.vault",
    "profiledesk.health",
    "profiledesk.observability",
    "profiledesk.messaging",
    "profiledesk.approvals",
    "profiledesk.confirmations",
    "profiledesk.connectors",
    "profiledesk.apply",
    "profiledesk.editing",
    "profiledesk.rollback",
    "profiledesk.exports",
    "profiledesk.dashboards",
    "profiledesk.notifications",
    "profiledesk.portal",
    "profiledesk.security",
    "profiledesk.assertions",
    "profiledesk.automation",
    "profiledesk.idv",
    "profiledesk.demo",
    "profiledesk.i18n",
    "verification",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # In place of Django's LocaleMiddleware: the desk English, customer pages their language.
    "profiledesk.i18n.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "profiledesk.accounts.middleware.SessionLifetimeMiddleware",
    "profiledesk.accounts.middleware.RequireSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # An outage of the private file store: a 503 that says so (profiledesk/storage.py).
    "profiledesk.storage.StorageUnavailableMiddleware",
    # Last, so that a lock-out answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "profiledesk.urls"
WSGI_APPLICATION = "profiledesk.wsgi.application"
ASGI_APPLICATION = "profiledesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "profiledesk.accounts.context_processors.desk",
            ],
        },
    },
]

# --- Staff accounts and sign-in (docs/design.md §1) -------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {  # PCI DSS 8.3.6
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:otp"
LOGOUT_REDIRECT_URL = "accounts:login"
# 403s answered to signed-in staff are audit events (PCI DSS 10.2); see also handler403.
CSRF_FAILURE_VIEW = "profiledesk.accounts.errors.csrf_failure"

# PCI DSS 8.3.4: 10 failures lock the *account* (not just the address) for 30 minutes.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Not by address as well: a BPO floor signs in from behind one NAT address, and ten typos
# across the floor must not lock every agent out. Guessing is bounded per account.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0")) or None

OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "ProfileDesk")

# PCI DSS 8.2.8: idle sessions end after 15 minutes; every session after 12 hours.
# The cookie lives as long as the absolute limit; SessionLifetimeMiddleware enforces both.
SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
# The page warns this long before the idle sign-out, with a "Stay signed in" button.
SESSION_IDLE_WARNING = timedelta(minutes=2)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers (check --deploy clean when DEBUG is off) ----------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# --- Browser-side defences (CSP, Permissions-Policy, no-store) -------------------------
# Issue 12. A script that slipped into a page could do anything a staff session can: the
# policy allows scripts only from the desk's own static files (no inline script, no eval:
# templates/ hold none, htmx is told not to eval, see base.html's htmx-config), styles
# likewise (Bootstrap's data: images are the only non-'self' source). Swagger UI at
# /api/docs/ keeps it too: its start-up script is a file (profiledesk/api/views.py).
# Checked by tests/browser_defences/ and tests/browser/test_hostile_data_sweep.py.
INSTALLED_APPS += ["csp"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Nothing on the desk uses these; a page (or a script) cannot ask for them.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera",
        "display-capture", "encrypted-media", "geolocation", "gyroscope", "hid",
        "idle-detection", "local-fonts", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial",
        "usb", "web-share", "xr-spatial-tracking",
    )
}  # fmt: skip
# After WhiteNoise (static files keep their caching), before every middleware that can
# answer early (sign-in redirects, lock-outs, 403s): every page the desk renders has them.
_AFTER_STATIC = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
MIDDLEWARE[_AFTER_STATIC:_AFTER_STATIC] = [
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "profiledesk.browser.middleware.NoStoreMiddleware",  # Cache-Control: no-store, private
]

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages the customer side ships whole (profiledesk/i18n/languages.py). The staff
# desk and the admin stay English whatever the browser asks (LanguageMiddleware), never
# half a page in Django's Spanish (issue 14; tests/test_one_language.py); customer pages
# (/confirm/, /portal/) and messages are in the customer's language (issue 17).
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# A customer's ?lang= choice, remembered on their browser only.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = not DEBUG
# The customer-facing strings of no customer app of their own (field labels, the "this
# wasn't me" page); first, so a word of the profile ("Home": an address) wins over
# Django's own catalogues. An app's pages (the portal) keep theirs in <app>/locale/.
# Compiled by profiledesk.i18n.catalogues (make run / make test).
LOCALE_PATHS = [BASE_DIR / "profiledesk" / "i18n" / "locale"]

# --- Static and uploaded files (no CDN: the desk serves its own front-end files) -------
STATIC_URL = "/static/"
STATIC_ROOT: Path | None = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# Private files (identity documents, avatars, inbound attachments, exports) live in the
# default storage and are served only through the desk's audited views, never by a URL.
# Without S3_BUCKET: the local disk at PRIVATE_MEDIA_ROOT (the demo, one machine). With it:
# an S3-compatible object store every web node and worker shares (profiledesk/storage.py):
#   S3_BUCKET             the bucket (created beforehand, public access blocked)
#   S3_ENDPOINT_URL       the store's URL (MinIO, Ceph, ...); unset for AWS itself
#   S3_REGION             its region (e.g. eu-west-1); unset for a store without regions
#   S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
#                         the desk's keys; unset to use the machine's role or profile
#   S3_PREFIX             a folder inside the bucket for the desk's objects (default none)
#   S3_SSE                server-side encryption asked on every write: AES256 (default) or
#                         aws:kms (then S3_SSE_KMS_KEY_ID names the key, or the bucket's)
#   S3_TIMEOUT            seconds to connect and to wait for a reply (default 5): an outage
#                         is a clear error in seconds, not a hung request


def private_storage() -> dict[str, Any]:
    """The default storage the environment asks for (read again by tests/objectstore.py)."""
    if not env("S3_BUCKET", ""):
        location = env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "var" / "private"))
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        }
    return {
        "BACKEND": "profiledesk.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "endpoint_url": env("S3_ENDPOINT_URL", "") or None,
            "region_name": env("S3_REGION", "") or None,
            "access_key": env("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env("S3_SECRET_ACCESS_KEY", "") or None,
            "location": env("S3_PREFIX", ""),
            "sse": env("S3_SSE", "AES256"),
            "sse_kms_key_id": env("S3_SSE_KMS_KEY_ID", ""),
            "timeout": float(env("S3_TIMEOUT", "5")),
        },
    }


STORAGES: dict[str, dict[str, Any]] = {
    "default": private_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Celery and Redis -------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
_REDIS_DB = int(urlsplit(REDIS_URL).path.strip("/") or 0)
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
# A task that dies with its worker is redelivered, not lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Short broker timeouts so that a request never hangs on a Redis outage.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BEAT_SCHEDULE: dict = {}
# Shared by every web process: the API's rate limits count there (profiledesk/api/throttling).
# Its own Redis database (REDIS_URL's, + 1): a cache.clear() never empties Celery's queue.
CACHE_URL = env("CACHE_URL", urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{_REDIS_DB + 1}")))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "profiledesk",
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }
}

# --- History retention (docs/design.md §7, PCI DSS 10.5.1) -------------------------------------
# simple-history versions are kept at least this many days: a system check refuses less
# than 365, and `clean_old_history` (audit.retention's) refuses a shorter --days.
HISTORY_RETENTION_DAYS = int(env("HISTORY_RETENTION_DAYS", "400"))

# --- Identity verification (docs/design.md §4) ------------------------------------------------
# A passed verification counts for its ticket this long (docs/design.md §4).
VERIFICATION_VALID_MINUTES = int(env("VERIFICATION_VALID_MINUTES", "30"))
# This many failures of one method lock the customer out for VERIFICATION_LOCK_MINUTES.
VERIFICATION_LOCK_AFTER_FAILURES = int(env("VERIFICATION_LOCK_AFTER_FAILURES", "3"))
VERIFICATION_LOCK_MINUTES = int(env("VERIFICATION_LOCK_MINUTES", "30"))
VERIFICATION_DOCUMENT_RETENTION_DAYS = int(env("VERIFICATION_DOCUMENT_RETENTION_DAYS", "30"))
# Failed codes and wrong answers count per customer, across tickets, this far back.
VERIFICATION_FAILURE_WINDOW_HOURS = int(env("VERIFICATION_FAILURE_WINDOW_HOURS", "24"))
# An identity document must be a real picture of one (verification/documents.py): an
# image of at least 600 x 400 px (either orientation), a PDF whose first page is at least
# 200 x 120 pt, and at least 10 KB either way.
VERIFICATION_DOCUMENT_MIN_BYTES = int(env("VERIFICATION_DOCUMENT_MIN_BYTES", str(10 * 1024)))
VERIFICATION_DOCUMENT_MIN_PIXELS = (600, 400)
VERIFICATION_DOCUMENT_MIN_PDF_POINTS = (200, 120)
CELERY_BEAT_SCHEDULE["verification-documents-purge"] = {
    "task": "verification.documents_purge",
    "schedule": 3600.0,  # hourly; deletes identity documents past their retention
}
# Attachments and identity documents no row references (a process killed before its
# commit), a day old or more, are deleted (profiledesk/privacy/orphans.py).
CELERY_BEAT_SCHEDULE["privacy-files-orphans-sweep"] = {
    "task": "privacy.files_orphans_sweep",
    "schedule": 86400.0,
}
# Messages no worker picked up (or whose worker died) are queued again (messaging).
CELERY_BEAT_SCHEDULE["messaging-sweep"] = {"task": "messaging.sweep", "schedule": 60.0}
# Straight-through tries whose signal was lost (broker down): queued again, idempotent.
CELERY_BEAT_SCHEDULE["automation-sweep"] = {"task": "automation.sweep", "schedule": 60.0}
HEALTH_CELERY_TIMEOUT = float(env("HEALTH_CELERY_TIMEOUT", "5"))

# --- Downstream systems (profiledesk/connectors, docs/webhooks.md) ------------------------
# Signed JSON webhooks to each client's CRM, billing, support, communications and identity
# systems; retried 30 s, 60 s, 2 min … (at most CONNECTOR_RETRY_MAX_SECONDS) for
# CONNECTOR_MAX_ATTEMPTS tries, then given up (a supervisor can retry by hand).
CONNECTOR_TIMEOUT = float(env("CONNECTOR_TIMEOUT", "10"))
CONNECTOR_MAX_ATTEMPTS = int(env("CONNECTOR_MAX_ATTEMPTS", "8"))
CONNECTOR_RETRY_BASE_SECONDS = int(env("CONNECTOR_RETRY_BASE_SECONDS", "30"))
CONNECTOR_RETRY_MAX_SECONDS = int(env("CONNECTOR_RETRY_MAX_SECONDS", "3600"))
# A system failing this many attempts in a row (or given up) alerts supervisors.
CONNECTOR_ALERT_AFTER = int(env("CONNECTOR_ALERT_AFTER", "3"))
# Connector URLs must be https:// unless this is on (DEBUG, and the tests' local receiver).
CONNECTOR_ALLOW_HTTP = env_bool("CONNECTOR_ALLOW_HTTP", DEBUG)
# The sweep queues again an open delivery this long past its due time that no worker holds;
# a worker holds a delivery for CONNECTOR_TIMEOUT + CONNECTOR_LEASE_MARGIN seconds.
CONNECTOR_SWEEP_AFTER = int(env("CONNECTOR_SWEEP_AFTER", "60"))
CONNECTOR_LEASE_MARGIN = int(env("CONNECTOR_LEASE_MARGIN", "50"))
CELERY_BEAT_SCHEDULE["connectors-sweep"] = {"task": "connectors.sweep", "schedule": 60.0}
# A thin connector's receiver fetches an event's values once, within this many hours;
# then they are wiped (hourly purge), fetched or not (profiledesk/connectors/thin.py).
CONNECTOR_THIN_FETCH_HOURS = float(env("CONNECTOR_THIN_FETCH_HOURS", "24"))
CELERY_BEAT_SCHEDULE["connectors-thin-purge"] = {
    "task": "connectors.thin_purge",
    "schedule": 3600.0,
}

# --- Evidence and data-subject exports (profiledesk/exports) ---------------------------
# Export files are deleted this many days after they are built (the row stays as the record).
EXPORT_RETENTION_DAYS = int(env("EXPORT_RETENTION_DAYS", "7"))
# Rows written between two progress updates.
EXPORT_BATCH_SIZE = int(env("EXPORT_BATCH_SIZE", "500"))
# A running export without progress for this long lost its worker: the sweep queues it again.
EXPORT_STALE_SECONDS = int(env("EXPORT_STALE_SECONDS", "600"))
CELERY_BEAT_SCHEDULE["exports-purge"] = {"task": "exports.purge", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["exports-sweep"] = {"task": "exports.sweep", "schedule": 60.0}
# Dashboards' daily figures: today and yesterday every 5 min, the last week daily (late events).
CELERY_BEAT_SCHEDULE["dashboards-recent"] = {"task": "dashboards.rebuild_recent", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["dashboards-week"] = {"task": "dashboards.rebuild_week", "schedule": 86400.0}

# --- Staff notifications (profiledesk/notifications) ------------------------------------
# The navigation's badges are polled every this many seconds (paused in a hidden tab) and
# each user's counts are kept in the cache this long: many tabs cost one computation.
NOTIFICATIONS_POLL_SECONDS = int(env("NOTIFICATIONS_POLL_SECONDS", "30"))
NOTIFICATIONS_BADGE_CACHE_SECONDS = int(env("NOTIFICATIONS_BADGE_CACHE_SECONDS", "10"))
# The dashboards' panels, rendered, kept this long per scope and filters (the cache): the
# "now" panels are at most this old; the daily figures change every 5 minutes anyway.
DASHBOARD_CACHE_SECONDS = int(env("DASHBOARD_CACHE_SECONDS", "60"))
# Beat looks for tickets that breached their SLA within this many hours (the index range).
NOTIFICATIONS_BREACH_LOOKBACK_HOURS = float(env("NOTIFICATIONS_BREACH_LOOKBACK_HOURS", "24"))
CELERY_BEAT_SCHEDULE["notifications-sla-breaches"] = {
    "task": "notifications.sla_breaches",
    "schedule": 60.0,
}

# --- E-mail -------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ProfileDesk <no-reply@profiledesk.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Messages to customers (profiledesk/messaging) --------------------------------------
# SMS through an HTTP gateway: JSON POST {to, text, reference} with a Bearer token. A
# provider's own adapter replaces HttpGateway by naming its class in SMS_GATEWAY.
SMS_GATEWAY = env("SMS_GATEWAY", "profiledesk.messaging.sms.HttpGateway")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = float(env("SMS_GATEWAY_TIMEOUT", "10"))
SMS_SINK_DIR = Path(env("SMS_SINK_DIR", str(BASE_DIR / "var" / "sms")))
# Fernet key for messages that carry a secret (an OTP) until they are sent, connectors'
# signing secrets and sealed event values; unset: a key derived from SECRET_KEY. Several,
# comma-separated: the first encrypts, all decrypt (`manage.py reseal_secrets` rotates).
MESSAGE_ENCRYPTION_KEY = env("MESSAGE_ENCRYPTION_KEY", "")
MESSAGING_MAX_ATTEMPTS = int(env("MESSAGING_MAX_ATTEMPTS", "5"))
MESSAGING_RETRY_BASE_SECONDS = 30
# The sweep queues again a message still queued this long after it was due, or still
# "sending" this long after a worker claimed it (the worker died).
MESSAGING_SWEEP_QUEUED_AFTER = int(env("MESSAGING_SWEEP_QUEUED_AFTER", "120"))
MESSAGING_SWEEP_SENDING_AFTER = int(env("MESSAGING_SWEEP_SENDING_AFTER", "600"))
# The base of links in messages to customers ("this wasn't me", docs/design.md §6).
DESK_PUBLIC_URL = env("DESK_PUBLIC_URL", "http://localhost:8000")

# --- Card and bank vault -------------------------------------------------------------
# The desk never keeps a card number: it hands it to the vault at the edge.
VAULT_BACKEND = env("VAULT_BACKEND", "profiledesk.vault.local.LocalVault")

# --- Forms, API ---------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
# Requests per API key (profiledesk/api/throttling): "<n>/<sec|min|hour|day>".
API_RATE_CREATE = env("API_RATE_CREATE", "120/min")
API_RATE_READ = env("API_RATE_READ", "600/min")
# Idempotency-Keys are remembered this many days; a retry with the same key after that opens
# a new ticket (profiledesk/api/services.idempotency_records_purge, daily).
API_IDEMPOTENCY_DAYS = int(env("API_IDEMPOTENCY_DAYS", "7"))
CELERY_BEAT_SCHEDULE["api-idempotency-purge"] = {
    "task": "api.idempotency_purge",
    "schedule": 86400.0,
}
# The customer portal's sign-in codes, failures and sessions are kept a week (portal/services.py).
# Signed assertions from a client's app (profiledesk/assertions): the audience they must
# name, and their limits — minutes, not hours. Used jtis are forgotten once expired.
ASSERTION_AUDIENCE = env("ASSERTION_AUDIENCE", "profiledesk")
ASSERTION_MAX_LIFETIME_SECONDS = int(env("ASSERTION_MAX_LIFETIME_SECONDS", "600"))  # exp - iat
ASSERTION_MAX_AGE_SECONDS = int(env("ASSERTION_MAX_AGE_SECONDS", "300"))  # now - iat
ASSERTION_MAX_AUTH_AGE_SECONDS = int(env("ASSERTION_MAX_AUTH_AGE_SECONDS", "900"))  # - auth_time
ASSERTION_LEEWAY_SECONDS = int(env("ASSERTION_LEEWAY_SECONDS", "30"))  # clock skew
CELERY_BEAT_SCHEDULE["assertions-used-purge"] = {
    "task": "assertions.used_purge",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["portal-purge"] = {"task": "portal.purge", "schedule": 86400.0}
SPECTACULAR_SETTINGS = {
    "TITLE": "ProfileDesk API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Submit customer profile-change requests to the desk and read their status. "
        "Authenticate with your client's API key: `Authorization: Bearer <key>`."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RequestChannelEnum": "profiledesk.api.schema.REQUEST_CHANNELS",
        # A change request's status and an event share the one list of categories.
        "CategoryEnum": "profiledesk.api.schema.CATEGORIES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "profiledesk.api.schema.strict_request_bodies",
    ],
}

# --- Inbound e-mail (profiledesk/inbound) ---------------------------------------------
# Shared secret of the inbound-parse webhook's HMAC-SHA256 signature; unset: it refuses all.
INBOUND_EMAIL_SECRET = env("INBOUND_EMAIL_SECRET", "")
# A signature older (or newer) than this is refused, so a captured request cannot be replayed.
INBOUND_EMAIL_MAX_AGE = int(env("INBOUND_EMAIL_MAX_AGE", "300"))
INBOUND_EMAIL_MAX_BYTES = int(env("INBOUND_EMAIL_MAX_BYTES", str(25 * 1024 * 1024)))

# --- Input hardening (issue 12: replays, JSON limits, NUL) -------------------------------
# Signed webhook requests are remembered for twice INBOUND_EMAIL_MAX_AGE (a replay inside
# the window gets the first answer); the rows past that are purged hourly.
CELERY_BEAT_SCHEDULE["inbound-deliveries-purge"] = {
    "task": "inbound.deliveries_purge",
    "schedule": 3600.0,
}
# A JSON body of the API is refused (400) above this many bytes or this nesting depth,
# before it is parsed (profiledesk/api/parsers.py).
API_JSON_MAX_BYTES = int(env("API_JSON_MAX_BYTES", str(256 * 1024)))
API_JSON_MAX_DEPTH = int(env("API_JSON_MAX_DEPTH", "32"))
# A NUL in a path or query string is a 400 before any view (PostgreSQL refuses it in text).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "profiledesk.intake.middleware.refuse_nul_characters",
)

# --- Metrics (profiledesk/observability, docs/operations.md) ------------------------------
# GET /metrics for Prometheus: off (404) unless a bearer token and/or the scrapers' networks
# are set; with both, both are required. Web processes under gunicorn keep their request
# metrics in PROMETHEUS_MULTIPROC_DIR (an environment variable read by prometheus-client).
METRICS_TOKEN = env("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS")
# Request timing and the event counters run where this is on (default: when the endpoint
# is configured); a worker machine that serves no /metrics sets it to count its events.
METRICS_ENABLED = env_bool("METRICS_ENABLED", bool(METRICS_TOKEN or METRICS_ALLOWED_NETWORKS))
# The desk-wide event counters (verification, applies, rollbacks, connector failures).
METRICS_REDIS_URL = env("METRICS_REDIS_URL", REDIS_URL)
# The queues whose length a scrape reads (Redis LLEN on the broker).
METRICS_CELERY_QUEUES = env_list("METRICS_CELERY_QUEUES", "celery")
# First: its time covers every other middleware.
MIDDLEWARE.insert(0, "profiledesk.observability.middleware.RequestMetricsMiddleware")

# --- Logging: never log request bodies (they may hold card numbers or codes) ---------
# No token of a customer's link and no card number reaches a log line: every handler has
# the redact filter, and `configure` also redacts each record as it is created (a handler
# a library adds later). Django's own "django" and "django.server" handlers (its
# DEFAULT_LOGGING, which would print unfiltered) are replaced here; Celery's get the filter
# in profiledesk/celery.py, gunicorn's in profiledesk/gunicorn_conf.py.
LOGGING_CONFIG = "profiledesk.privacy.logging.configure"
# LOG_FORMAT=json: one JSON object a line (python-json-logger), for a log shipper; every
# string in it, extra fields included, redacted again by the formatter.
LOG_FORMAT = env("LOG_FORMAT", "plain")
_JSON_FORMATTER = {
    "()": "profiledesk.privacy.logging.RedactingJsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": (
            _JSON_FORMATTER
            if LOG_FORMAT == "json"
            else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
        ),
        "django.server": (
            _JSON_FORMATTER
            if LOG_FORMAT == "json"
            else {
                "()": "django.utils.log.ServerFormatter",
                "format": "[{server_time}] {message}",
                "style": "{",
            }
        ),
    },
    "filters": {"redact": {"()": "profiledesk.privacy.logging.RedactFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        # The development server's request lines (`runserver`, the demo's web process).
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Through the root's handler only (no unfiltered console, no mail_admins: ADMINS is
        # not used, and its e-mails would carry request data).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
# Celery leaves the root logger to LOGGING when the logs are JSON (its own handlers would
# print its plain format); the redact filter is on LOGGING's handlers either way.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Identity provider (profiledesk/idv, issue 18) --------------------------------------
# Stripe Identity sessions are started by a Celery task: each try waits IDV_TIMEOUT s, then
# 30 s, 60 s, 2 min … (at most IDV_RETRY_MAX_SECONDS) for IDV_MAX_TRIES tries; the sweep
# queues again a session whose task was lost. A provider base URL must be https:// unless
# IDV_ALLOW_HTTP (DEBUG, and the tests' local provider).
IDV_TIMEOUT = float(env("IDV_TIMEOUT", "10"))
IDV_MAX_TRIES = int(env("IDV_MAX_TRIES", "6"))
IDV_RETRY_BASE_SECONDS = int(env("IDV_RETRY_BASE_SECONDS", "30"))
IDV_RETRY_MAX_SECONDS = int(env("IDV_RETRY_MAX_SECONDS", "900"))
IDV_ALLOW_HTTP = env_bool("IDV_ALLOW_HTTP", DEBUG)
CELERY_BEAT_SCHEDULE["idv-sweep"] = {"task": "idv.sweep", "schedule": 60.0}
