"""Writing audit events. The only way rows get into AuditEvent."""

import hashlib
import json
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from profiledesk.vault.cards import redact_card_numbers_in

from .models import AuditEvent

if TYPE_CHECKING:  # types only: accounts and clients record through audit, not the reverse
    from profiledesk.accounts.models import User
    from profiledesk.clients.models import Client

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 7_211_004  # arbitrary, fixed: serialises appends on PostgreSQL


def event_hash(*, prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields the hash covers (verify_audit recomputes them the same way)."""
    return {
        "created_at": event.created_at.isoformat(),
        "action": event.action,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "client_id": event.client_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
        "ip_address": event.ip_address,
    }


def client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    client: "Client | None" = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    # Anonymous (a customer's link, a failed sign-in) is recorded as no actor.
    signed_in = cast("User | None", actor if getattr(actor, "is_authenticated", False) else None)
    event = AuditEvent(
        created_at=timezone.now(),
        action=action,
        actor=signed_in,
        actor_username=signed_in.get_username() if signed_in else "",
        client=client,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        # Details often quote what someone typed (a reason, a file name): no card survives.
        data=redact_card_numbers_in(data or {}),
        ip_address=client_ip(request),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = event_hash(prev_hash=event.prev_hash, fields=chained_fields(event))
    event.save(force_insert=True)
    return event
