"""Reads of verification: what the wizard panel on the ticket page shows."""

from django.utils import timezone

from profiledesk.tickets.models import State, Ticket

from .forms import DocumentForm, QuestionsForm
from .models import Attempt, DocumentCheck, Method, OtpChallenge
from .services import CODE_MAX_WRONG_TRIES, identity_destinations, new_contacts
from .status import progress, unproven_contacts

EVIDENCE_SHOWN = 20


def panel_context(ticket: Ticket, user, **extra) -> dict:
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
    context = {
        "progress": state,
        "working": working,
        "methods_needed": state.methods_needed,
        "evidence": list(
            Attempt.objects.filter(ticket=ticket).select_related("staff")[:EVIDENCE_SHOWN]
        ),
        "now": now,
        **extra,
    }
    if not working:
        return {"ticket": ticket, "verification": context}
    unproven = {item.pk for item in unproven_contacts(ticket)}
    live = [
        challenge
        for challenge in OtpChallenge.objects.filter(
            ticket=ticket, used_at__isnull=True, expires_at__gt=now
        )
        if challenge.wrong_tries < CODE_MAX_WRONG_TRIES
    ]
    latest: dict[str, OtpChallenge] = {}
    for challenge in OtpChallenge.objects.filter(ticket=ticket).order_by("created_at", "id"):
        latest[challenge.destination] = challenge
    pending = [c for c in live if latest.get(c.destination) == c]
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
                QuestionsForm(questions=ticket.customer.security_questions.all())
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
