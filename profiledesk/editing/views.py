"""Editing a ticket's captured change through its category's form (issue 14)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from profiledesk.accounts.requests import StaffRequest
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.forms import form_for
from profiledesk.intake.prefill import form_prefill
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.models import ChangeItem, State, Ticket
from profiledesk.tickets.views import detail as ticket_detail

from .forms import StampForm
from .rules import edit_problem
from .selectors import approvals_standing
from .services import EditError, edit_stamp, ticket_change_edit


def _page(
    request: StaffRequest,
    ticket: Ticket,
    *,
    form,
    stamp: StampForm,
    items: list[ChangeItem] | None = None,
    status: int = 200,
) -> HttpResponse:
    items = list(ticket.items.all()) if items is None else items
    context = {
        "ticket": ticket,
        "items": items,
        "form": form,
        "stamp": stamp,
        "retype": form_prefill(category=ticket.category, items=items).retype,
        "standing_approvals": approvals_standing(ticket=ticket),
        "past_approval": ticket.state in (State.PENDING_APPROVAL, State.APPROVED),
    }
    return render(request, "editing/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def edit(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.work_ticket")
    problem = edit_problem(ticket, request.user)
    if problem is None and not ticket.items.exists():
        problem = _("Nothing has been captured on this ticket yet.")
    if problem:
        # Refused (not yours, applied, with security...): the ticket page, with why.
        messages.error(request, problem)
        response = ticket_detail(request, reference)
        response.status_code = 403
        return response
    customer, client = ticket.customer, ticket.client
    if request.method == "GET":
        items = list(ticket.items.all())
        form = form_for(ticket.category, customer=customer, client=client)
        form.initial.update(form_prefill(category=ticket.category, items=items).initial)
        stamp = StampForm(initial={"stamp": edit_stamp(ticket, items=items)})
        return _page(request, ticket, form=form, stamp=stamp, items=items)
    form = form_for(
        ticket.category, customer=customer, client=client, data=request.POST, files=request.FILES
    )
    stamp = StampForm(request.POST)
    if form.is_valid() and stamp.is_valid():
        try:
            with transaction.atomic():
                drafts = drafts_for(
                    category=ticket.category, cleaned_data=form.cleaned_data, customer=customer
                )
                outcome = ticket_change_edit(
                    ticket=ticket,
                    by=request.user,
                    drafts=drafts,
                    stamp=stamp.cleaned_data["stamp"],
                    request=request,
                )
        except ValidationError as error:
            form.add_error(None, error)
        except EditError as error:
            messages.error(request, str(error))
            # The page shows the ticket as it is now, and what posting again would void.
            ticket.refresh_from_db()
            fresh = StampForm(initial={"stamp": edit_stamp(ticket)})
            return _page(request, ticket, form=form, stamp=fresh, status=409)
        else:
            messages.success(request, _outcome_message(outcome.state, outcome.voided))
            return redirect("tickets:detail", reference=ticket.reference)
    for message in stamp.errors.get("stamp", []):
        form.add_error(None, message)
    return _page(request, ticket, form=form, stamp=stamp, status=400)


def _outcome_message(state: str, voided: int) -> str:
    parts = [_("Change edited.")]
    if voided:
        parts.append(
            ngettext(
                "%(count)d approval voided: it needs approving again.",
                "%(count)d approvals voided: it needs approving again.",
                voided,
            )
            % {"count": voided}
        )
    if state == State.VERIFYING:
        parts.append(_("It is back in verification: see what it needs."))
    elif state == State.READY:
        parts.append(_("It is ready again."))
    return " ".join(parts)
