"""Making, checking and revoking API keys.

A key reads `pdk_<prefix>_<secret>`: the prefix (12 hex digits) finds the row, the SHA-256
of the whole key proves it. Only the prefix is ever shown again after creation.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record

from .models import ApiKey

KEY_PREFIX = "pdk"
# last_used_at is a hint for desk admins, not an audit trail: one write a minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(Exception):
    """The key cannot be used; the message is safe to send back to the caller."""


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, client, name: str, by=None) -> tuple[ApiKey, str]:
    """A new key for `client`; the raw key is returned once and never stored."""
    prefix = secrets.token_hex(6)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        client=client,
        name=name,
        prefix=prefix,
        key_hash=_digest(raw_key),
        created_at=timezone.now(),
    )
    audit_record(
        action="api_key.created",
        actor=by,
        client=client,
        target=api_key,
        data={"name": name, "prefix": prefix},
    )
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by=None) -> ApiKey:
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            action="api_key.revoked",
            actor=by,
            client=locked.client,
            target=locked,
            data={"name": locked.name, "prefix": locked.prefix},
        )
    return locked


def api_key_check(raw_key: str) -> ApiKey:
    """The active key `raw_key` names, or ApiKeyError saying why not."""
    scheme, _sep, rest = (raw_key or "").partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != KEY_PREFIX or not prefix or not secret:
        raise ApiKeyError(_("This is not a ProfileDesk API key."))
    api_key = ApiKey.objects.select_related("client").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _digest(raw_key)):
        raise ApiKeyError(_("Invalid API key."))
    if api_key.revoked_at is not None:
        raise ApiKeyError(_("This API key has been revoked."))
    if not api_key.client.is_active:
        raise ApiKeyError(_("The client of this API key is not active."))
    _touch(api_key)
    return api_key


def _touch(api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent requests do not queue behind each other.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
