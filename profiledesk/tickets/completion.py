"""Completing a ticket that arrived incomplete (docs/design.md §8): a request from inbound
e-mail or the API without a customer is matched to one from the ticket page, and a
request without a change in it has the change captured there, through the same category
forms (`intake.forms.form_for`) and drafts (`intake.capture.drafts_for`) as the New request
page, scored for risk the same way.

Both happen before the caller is verified (`new`, or `verifying` — a request security
returned to the flow before anyone matched it): a ticket is matched once, so whose identity
is being verified never changes under the agent's feet (no proof can be recorded before a
ticket has its customer: the verification services refuse), and a change is captured only
into a ticket that has none, before "Mark verified" compares the proofs with what the
change needs (editing captured items later is its own step).
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.customers.models import Customer, EmailAddress, PhoneNumber, PostalAddress
from profiledesk.intake.capture import drafts_for, value_now
from profiledesk.policies.categories import Category
from profiledesk.policies.services import risk_refresh

from .claims import claim_problem
from .models import ChangeItem, State, Ticket, TicketEvent
from .services import TicketError, items_create

# Before the caller is verified.
COMPLETABLE = frozenset({State.NEW, State.VERIFYING})


def match_problem(ticket: Ticket) -> str | None:
    """Why `ticket` cannot be matched to a customer now, or None. No query."""
    if ticket.customer_id is not None:
        return _("This request is already matched to a customer.")
    if ticket.state not in COMPLETABLE:
        return _("A request is matched before the caller is verified; this one is “%(state)s”.") % {
            "state": ticket.get_state_display()
        }
    return None


def capture_problem(ticket: Ticket, *, has_items: bool) -> str | None:
    """Why a change cannot be captured on `ticket` now, or None. No query."""
    if ticket.state not in COMPLETABLE:
        return _(
            "A change is captured before the caller is verified; this request is “%(state)s”."
        ) % {"state": ticket.get_state_display()}
    if ticket.customer_id is None:
        return _("Match the request to a customer first.")
    if has_items:
        return _("This request's change is captured already.")
    if ticket.customer is not None and ticket.customer.frozen_at is not None:
        return _("The customer's profile is frozen: no change is taken until security lifts it.")
    return None


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("client").get(pk=ticket.pk)


def _note(ticket: Ticket, by: User, message: str) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, at=timezone.now(), actor=by, kind=TicketEvent.Kind.NOTE, message=message
    )


# An API request's new e-mail, phone or address replaces the customer's primary one (a new
# primary if they have none): api/changes.py. Captured before the customer was known, it
# is a new primary row; once matched it is made what the API promised.
_PRIMARY_REPLACED = (EmailAddress, PhoneNumber, PostalAddress)


def _items_completed(ticket: Ticket, *, customer: Customer, by: User) -> list[str]:
    """Items captured before the customer was known show no old value and change no row.
    Now they do: a new contact point replaces the primary one, and every value shows,
    masked, what it replaces — so whoever verifies and approves reads "Now: …" as on any
    ticket (and the contact being replaced is withheld from identity codes). Returns what
    was retargeted, for the timeline."""
    items = list(ticket.items.filter(target_id__isnull=True))
    retargeted = []
    for model in _PRIMARY_REPLACED:
        prefix = f"{model._meta.model_name}."
        mine = [item for item in items if item.field.startswith(prefix)]
        primary = model.objects.filter(customer=customer, is_primary=True).first()
        if not mine or primary is None:
            continue
        retargeted.append(str(model._meta.verbose_name))
        for item in mine:
            items.remove(item)
            item._history_user = by  # type: ignore[attr-defined]  # read by simple-history
            item._change_reason = "matched: replaces the primary"  # type: ignore[attr-defined]
            if item.field == f"{prefix}is_primary":
                item.delete()  # the primary row stays the primary
                continue
            item.target_id = primary.pk
            item.old_display = (
                value_now(section=item.section, field=item.field, customer=customer, row=primary)
                or ""
            )
            item.save(update_fields=["target_id", "old_display"])
    for item in items:
        if item.old_display:
            continue
        shown = value_now(section=item.section, field=item.field, customer=customer)
        if shown:
            item.old_display = shown
            item._history_user = by  # type: ignore[attr-defined]
            item._change_reason = "matched: the value it replaces"  # type: ignore[attr-defined]
            item.save(update_fields=["old_display"])
    return retargeted


@transaction.atomic
def ticket_match(
    *, ticket: Ticket, customer: Customer, by: User, request: HttpRequest | None = None
) -> Ticket:
    """Match an unmatched request to `customer` of the ticket's own client.

    Under the ticket's row lock: refused for another client's customer, a ticket already
    matched (of two agents matching at once, one wins; the other is told), and a ticket
    whose caller is verified, or that is closed, cancelled or with security. The risk is
    assessed again now that the customer is known (a frozen or flagged profile, another
    customer's value, the takeover sequence). Recorded on the timeline and in the audit
    log."""
    locked = _locked(ticket)
    if customer.client_id != locked.client_id:
        raise TicketError(_("That customer is not a customer of this request's client."))
    problem = claim_problem(locked, by) or match_problem(locked)
    if problem:
        raise TicketError(problem)
    now = timezone.now()
    locked.customer = customer
    locked.updated_at = now
    locked._change_reason = "matched to a customer"
    locked.save(update_fields=["customer", "updated_at"])
    retargeted = _items_completed(locked, customer=customer, by=by)
    assessment = risk_refresh(ticket=locked)
    message = _("Matched to customer %(number)s.") % {"number": customer.number}
    if retargeted:
        message += " " + _(
            "As the request asked, the new %(what)s replaces the customer's primary one."
        ) % {"what": ", ".join(retargeted)}
    if customer.frozen_at is not None:
        message += " " + _("The profile is frozen: security must lift the freeze first.")
    _note(locked, by, message)
    audit_record(
        action="ticket.matched",
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "customer": customer.number,
            "customer_id": customer.pk,
            "risk_level": assessment.level,
        },
        request=request,
    )
    ticket.customer, ticket.updated_at = customer, locked.updated_at
    ticket.risk_score, ticket.risk_level = locked.risk_score, locked.risk_level
    ticket.risk_reasons = locked.risk_reasons
    return locked


@transaction.atomic
def ticket_capture(
    *,
    ticket: Ticket,
    by: User,
    category: str,
    cleaned_data: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> list[ChangeItem]:
    """Capture the change of a matched request that has none yet, from the cleaned data of
    `intake.forms.form_for(category, customer=ticket.customer, ...)`.

    The items are drafted by `intake.capture.drafts_for` against the customer's profile
    as it is now (masked old values, cards and IBANs to the vault, answers hashed) inside
    this transaction, so a refusal leaves nothing behind. The ticket takes the category
    captured (its policy decides verification and approvals); its SLA due time stays
    what it was. Raises TicketError (the ticket cannot take a change now) or Django's
    ValidationError (nothing would change, a row not on the profile: the form's errors)."""
    if category not in Category.values:
        raise TicketError(_("Unknown category."))
    locked = _locked(ticket)
    customer = (
        Customer.objects.select_for_update().get(pk=locked.customer_id)
        if locked.customer_id is not None
        else None
    )
    locked.customer = customer
    problem = claim_problem(locked, by) or capture_problem(locked, has_items=locked.items.exists())
    if problem:
        raise TicketError(problem)
    drafts = drafts_for(category=category, cleaned_data=dict(cleaned_data), customer=customer)
    items = items_create(ticket=locked, drafts=drafts, by=by)
    fields = ["updated_at"]
    if locked.category != category:
        locked.category = category
        fields.append("category")
    locked.updated_at = timezone.now()
    locked._change_reason = "change captured"
    locked.save(update_fields=fields)
    assessment = risk_refresh(ticket=locked)
    # What was captured, masked as the items show it: the timeline is read by everyone
    # who may open the ticket.
    lines = [
        f"{draft.label}: {draft.old_display or '—'} → {draft.new_display or '—'}"
        for draft in drafts
    ]
    _note(locked, by, _("Change captured (%(category)s):") % {"category": Category(category).label}
          + "\n" + "\n".join(lines))  # fmt: skip
    audit_record(
        action="ticket.captured",
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "category": category,
            "fields": [draft.field for draft in drafts],
            "risk_level": assessment.level,
        },
        request=request,
    )
    ticket.category, ticket.updated_at = locked.category, locked.updated_at
    ticket.risk_score, ticket.risk_level = locked.risk_score, locked.risk_level
    ticket.risk_reasons = locked.risk_reasons
    return list(items)
