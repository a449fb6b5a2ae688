"""Writes of the customers capability: freezing and unfreezing a profile.

A freeze stops every change to the profile from being submitted, approved or applied
(the steps above check `Customer.frozen_at` under their own locks). What shows the freeze
above this layer, such as the open tickets' risk, hears of it through
`signals.freeze_changed`: this module imports neither tickets nor policies.
"""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.vault.cards import redact_card_numbers

from .models import Customer
from .signals import freeze_changed

# The permission kept its approvals codename when freezing moved here: renaming it means
# migrating every group's and user's grant of it (see accounts/roles.py).
FREEZE_PERMISSION = "approvals.freeze_customer"


class FreezeError(Exception):
    """A freeze or unfreeze that cannot be made now; the message is safe to show."""


def _freeze_write(
    *,
    customer: Customer,
    by: User | None,
    reason: str,
    freeze: bool,
    request: HttpRequest | None = None,
) -> Customer:
    # by=None: the desk itself, on the customer's own "this wasn't me" report
    # (profiledesk.confirmations). It may freeze a profile, never unfreeze one.
    system_freeze = by is None and freeze
    if not system_freeze and (by is None or not by.has_perm(FREEZE_PERMISSION)):
        raise FreezeError(_("Only security can freeze or unfreeze a profile."))
    reason = redact_card_numbers((reason or "").strip())[:200]
    if not reason:
        raise FreezeError(_("Give a reason."))
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if freeze and locked.frozen_at is not None:
        raise FreezeError(_("The profile is already frozen."))
    if not freeze and locked.frozen_at is None:
        raise FreezeError(_("The profile is not frozen."))
    locked.frozen_at = timezone.now() if freeze else None
    locked.frozen_reason = reason if freeze else ""
    # simple-history's change reason holds 100 characters (a longer one is a DataError on
    # PostgreSQL: a 500); the whole reason is on the row and in the audit event.
    locked._change_reason = (("frozen: " if freeze else "unfrozen: ") + reason)[:100]
    locked._history_user = by
    locked.save(update_fields=["frozen_at", "frozen_reason"])
    audit_record(
        action="customer.frozen" if freeze else "customer.unfrozen",
        actor=by,
        client=locked.client,
        target=locked,
        data={"customer": locked.number, "reason": reason},
        request=request,
    )
    # In the same transaction: the open tickets' risk shows the freeze (or no longer
    # does) by the time it commits (policies.receivers).
    freeze_changed.send(sender=Customer, customer=locked)
    customer.frozen_at, customer.frozen_reason = locked.frozen_at, locked.frozen_reason
    return locked


@transaction.atomic
def customer_freeze(
    *, customer: Customer, by: User | None, reason: str, request: HttpRequest | None = None
) -> Customer:
    """Security freezes a profile: no change is submitted, approved or applied until the
    freeze is lifted."""
    return _freeze_write(customer=customer, by=by, reason=reason, freeze=True, request=request)


@transaction.atomic
def customer_unfreeze(
    *, customer: Customer, by: User, reason: str, request: HttpRequest | None = None
) -> Customer:
    return _freeze_write(customer=customer, by=by, reason=reason, freeze=False, request=request)
