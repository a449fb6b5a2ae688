"""Reads of verification: what the wizard panel on the ticket page shows."""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name
from profiledesk.tickets.models import State, Ticket

from .methods import method
from .models import Attempt, DocumentCheck, Method, OtpChallenge
from .services import CODE_MAX_WRONG_TRIES, details_reveal_refusal, new_contacts
from .status import Verified, progress, ticket_attempts, unproven_contacts, verification_reached

EVIDENCE_SHOWN = 20
# States in which the panel shows the wizard's live progress; after them, the
# verification that happened, as a fact with its time (issue 11).
LIVE_STATES = {State.NEW, State.VERIFYING, State.VERIFICATION_FAILED}


def evidence_text(row: Attempt) -> str:
    """One line naming a pass's evidence, from its method (the registry)."""
    plugin = method(row.method)
    return plugin.evidence(row) if plugin is not None else row.method


def verification_summary(fact: Verified, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the panel says about a verification that happened."""
    return {
        "level": fact.level,
        "at": fact.at,
        "by": staff_name(fact.by, nobody=_("the desk")),
        "methods": ", ".join(evidence_text(row) for row in fact.passes),
        "valid_until": fact.valid_until,
        "expired": fact.expired(now),
    }


def panel_context(ticket: Ticket, user: User, **extra: Any) -> dict[str, Any]:
    """Everything templates/verification/_panel.html needs: the ticket, and the rest under
    one key ("verification") so that it cannot collide with other panels' context."""
    now = timezone.now()
    state = progress(ticket, now)
    # {method code: a bound form with its errors}, when the panel answers a refused post:
    # it takes the place of the method's fresh form.
    bound_forms: dict[str, Any] = extra.pop("bound_forms", None) or {}
    working = (
        ticket.state == State.VERIFYING
        and ticket.customer_id is not None
        and user.has_perm("tickets.work_ticket")
        and state.lock is None
    )
    live = ticket.state in LIVE_STATES
    # One read of the ticket's attempts serves both the evidence list and, past
    # verification, the fact (a ticket's attempts are few: codes and rounds lock out).
    # On the ticket page (page_memo) the same read the passes were taken from.
    attempts = ticket_attempts(ticket)
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
    # One read of the ticket's codes: the latest to each destination, shown while it is
    # unused, unexpired and not tried too often (a newer code replaces an older one).
    latest: dict[str, OtpChallenge] = {}
    for challenge in OtpChallenge.objects.filter(ticket=ticket).order_by("created_at", "id"):
        latest[challenge.destination] = challenge
    pending = [
        challenge
        for challenge in sorted(latest.values(), key=lambda c: (c.created_at, c.id), reverse=True)
        if challenge.used_at is None
        and challenge.expires_at > now
        and challenge.wrong_tries < CODE_MAX_WRONG_TRIES
    ]
    sections = []
    for code in state.methods_needed:
        plugin = method(code)
        if plugin is None or plugin.panel_template is None:
            continue
        section = plugin.panel_context(ticket=ticket, user=user, progress=state)
        if code in bound_forms:
            section["form"] = bound_forms[code]
        sections.append({**section, "method": plugin, "template": plugin.panel_template})
    context.update(
        {
            # One section a method still needed, each its method's own template.
            "sections": sections,
            "new_contacts": [
                c for c in new_contacts(ticket) if int(c.key.split(":")[1]) in unproven
            ],
            "pending": pending,
            # A document check is recorded with its attempt in one transaction
            # (services._document_check_record, their only writer): none among the
            # ticket's attempts, none to list, no read.
            "documents": (
                list(DocumentCheck.objects.filter(ticket=ticket))
                if any(row.method == Method.DOCUMENT for row in attempts)
                else []
            ),
        }
    )
    return {"ticket": ticket, "verification": context}
