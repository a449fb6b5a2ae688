"""Rate limits per API key (not per IP: client systems sit behind NAT and proxies).

Counts live in the default cache, which must be shared by every web process (Redis in
production, `CACHES` in settings/base.py). A cache outage lets requests through rather
than failing them: the limit protects the desk from a runaway client, it is not what
keeps data safe (the key is), and the API must not go down with Redis.
"""

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey

logger = logging.getLogger(__name__)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """A sliding window per key and scope; the rate is read from `setting` at each
    request, so a changed setting (or a test's override) applies at once."""

    setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.setting)

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None  # not authenticated: the 401 comes first anyway
        assert self.scope is not None  # each throttle below names its scope
        return cache_key(self.scope, request.auth.pk)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("API rate limit not checked: the cache is unavailable", exc_info=True)
            return True


class CreateRateThrottle(ApiKeyRateThrottle):
    scope = "api_create"
    setting = "API_RATE_CREATE"


class ReadRateThrottle(ApiKeyRateThrottle):
    scope = "api_read"
    setting = "API_RATE_READ"


def cache_key(scope: str, api_key_id: int) -> str:
    return SimpleRateThrottle.cache_format % {"scope": scope, "ident": api_key_id}
