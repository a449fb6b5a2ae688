"""Who works for which client: memberships are staff access, so every change is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest

from audit.services import audit_record

if TYPE_CHECKING:  # a type only: accounts sits above clients
    from profiledesk.accounts.models import User

from .models import Client, Membership


def membership_audit(
    *, action: str, membership: Membership, by: User, request: HttpRequest | None = None
) -> None:
    """An audit event for a membership added, changed or removed (PCI DSS 10.2)."""
    client: Client = membership.client
    audit_record(
        action=action,
        actor=by,
        client=client,
        target=membership.user,
        data={"username": membership.user.get_username(), "client": client.slug},
        request=request,
    )


@transaction.atomic
def membership_add(
    *, user: User, client: Client, by: User, request: HttpRequest | None = None
) -> Membership:
    """Let `user` work on `client`'s customers (their role says how)."""
    membership = Membership(user=user, client=client)
    membership._history_user = by  # type: ignore[attr-defined]
    membership.save()
    membership_audit(action="staff.membership_added", membership=membership, by=by, request=request)
    return membership
