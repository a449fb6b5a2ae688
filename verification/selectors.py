"""Reads of verification: what the wizard panel on the ticket page shows."""

import datetime as dt
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name
from profiledesk.customers.models import Customer
from profiledesk.privacy.masking import mask_email, mask_phone
from profiledesk.tickets.models import State, Ticket

from .forms import DocumentForm, QuestionsForm
from .models import Attempt, DocumentCheck, DocumentType, Method, OtpChallenge
from .services import (
    CODE_MAX_WRONG_TRIES,
    details_reveal_refusal,
    identity_destinations,
    new_contacts,
)
from .status import Verified, progress, unproven_contacts, verification_reached

EVIDENCE_SHOWN = 20
# States in which the panel shows the wizard's live progress; after them, the
# verification that happened, as a fact with its time (issue 11).
LIVE_STATES = {State.NEW, State.VERIFYING, State.VERIFICATION_FAILED}


def _method_text(row: Attempt) -> str:
    if row.method == Method.OTP:
        # Where it went when it was checked (otp_check keeps it): the row may hold
        # another address since.
        sent_to = (row.detail or {}).get("to")
        if sent_to:
            return _("code to %(to)s") % {"to": sent_to}
        challenge = row.challenge
        if challenge is not None and challenge.email is not None:
            return _("code to %(to)s") % {"to": mask_email(challenge.email.email)}
        if challenge is not None and challenge.phone is not None:
            return _("code to %(to)s") % {"to": mask_phone(challenge.phone.number)}
        return _("one-time code")
    if row.method == Method.QUESTIONS:
        return _("questions")
    kind = (row.detail or {}).get("type", "")
    label = DocumentType(kind).label if kind in DocumentType.values else ""
    return _("document (%(type)s)") % {"type": label} if label else _("document")


def verification_summary(fact: Verified, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the panel says about a verification that happened."""
    return {
        "level": fact.level,
        "at": fact.at,
        "by": staff_name(fact.by, nobody=_("the desk")),
        "methods": ", ".join(_method_text(row) for row in fact.passes),
        "valid_until": fact.valid_until,
        "expired": fact.expired(now),
    }


def panel_context(ticket: Ticket, user: User, **extra: Any) -> dict[str, Any]:
    """Everything templates/verification/_panel.html needs: the ticket, and the rest under
    one key ("verification") so that it cannot collide with other panels' context."""
    now = timezone.now()
    state = progress(ticket, now)
    # A bound form with the upload's errors, when the panel answers a refused upload.
    bound_document_form = extra.pop("document_form", None)
    working = (
        ticket.state == State.VERIFYING
        and ticket.customer_id is not None
        and user.has_perm("tickets.work_ticket")
        and state.lock is None
    )
    live = ticket.state in LIVE_STATES
    # One read of the ticket's attempts serves both the evidence list and, past
    # verification, the fact (a ticket's attempts are few: codes and rounds lock out).
    attempts = list(
        Attempt.objects.filter(ticket=ticket).select_related(
            "staff", "challenge__email", "challenge__phone"
        )
    )
    fact = None if live else verification_reached(ticket, attempts=attempts)
    context: dict[str, Any] = {
        "progress": state,
        "live": live,
        "fact": verification_summary(fact, now) if fact is not None else None,
        "working": working,
        # The "Show the details" button only for whom it would not refuse.
        "may_reveal": details_reveal_refusal(ticket=ticket, staff=user) is None,
        "methods_needed": state.methods_needed,
        "evidence": attempts[:EVIDENCE_SHOWN],
        "now": now,
        **extra,
    }
    if not working:
        return {"ticket": ticket, "verification": context}
    unproven = {item.pk for item in unproven_contacts(ticket)}
    open_challenges = [
        challenge
        for challenge in OtpChallenge.objects.filter(
            ticket=ticket, used_at__isnull=True, expires_at__gt=now
        )
        if challenge.wrong_tries < CODE_MAX_WRONG_TRIES
    ]
    latest: dict[str, OtpChallenge] = {}
    for challenge in OtpChallenge.objects.filter(ticket=ticket).order_by("created_at", "id"):
        latest[challenge.destination] = challenge
    pending = [c for c in open_challenges if latest.get(c.destination) == c]
    contacts = identity_destinations(ticket) if Method.OTP in state.methods_needed else []
    context.update(
        {
            "contacts": contacts,
            "first_offered": next((c.key for c in contacts if not c.withheld), ""),
            "new_contacts": [
                c for c in new_contacts(ticket) if int(c.key.split(":")[1]) in unproven
            ],
            "pending": pending,
            "questions_form": (
                # `working`: the ticket has its customer.
                QuestionsForm(questions=cast("Customer", ticket.customer).security_questions.all())
                if Method.QUESTIONS in state.methods_needed
                else None
            ),
            "document_form": (
                (bound_document_form or DocumentForm())
                if Method.DOCUMENT in state.methods_needed
                else None
            ),
            "documents": list(DocumentCheck.objects.filter(ticket=ticket)),
        }
    )
    return {"ticket": ticket, "verification": context}
