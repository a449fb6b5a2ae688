"""The "Apply" button of a ticket (docs/design.md §6): one POST, one service call."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.live import stale_refusal
from profiledesk.tickets.states import TransitionError

from .services import ApplyError, ticket_apply


@require_POST
def apply(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.work_ticket")
    try:
        ticket_apply(ticket=ticket, by=request.user)
    except (ApplyError, TransitionError) as error:
        messages.error(request, stale_refusal(request, ticket) or str(error))
    else:
        messages.success(request, _("Applied to the customer's profile."))
    return redirect("tickets:detail", reference=ticket.reference)
