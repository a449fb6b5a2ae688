""" "Restore these values": the confirm page (the reverse diff, masked, and a reason) and
the POST that opens the rollback ticket. Compliance only (the rollback permission)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from profiledesk.accounts.requests import StaffRequest
from profiledesk.customers.access import get_customer_for_staff
from profiledesk.tickets.access import get_ticket_for_staff

from . import rules
from .forms import ReasonForm
from .services import RollbackError, rollback_open


def _opened(request: StaffRequest, ticket) -> HttpResponse:
    messages.success(
        request,
        _("%(reference)s opened: it goes through verification, approvals and apply.")
        % {"reference": ticket.reference},
    )
    return redirect("tickets:detail", reference=ticket.reference)


@require_http_methods(["GET", "POST"])
def from_ticket(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=rules.PERMISSION)
    problem = rules.ticket_problem(ticket)
    diff = None
    if not problem:
        diff = rules.reverse_of_ticket(ticket)
        problem = diff.problem
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        if problem:
            messages.error(request, problem)
            return redirect("tickets:detail", reference=ticket.reference)
        if form.is_valid():
            try:
                new = rollback_open(
                    by=request.user, ticket=ticket, reason=form.cleaned_data["reason"]
                )
            except RollbackError as error:
                messages.error(request, str(error))
                return redirect("tickets:detail", reference=ticket.reference)
            return _opened(request, new)
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "diff": diff,
        "problem": problem,
        "form": form,
    }
    return render(request, "rollback/confirm.html", context)


@require_http_methods(["GET", "POST"])
def from_version(request: StaffRequest, model: str, history_id: int) -> HttpResponse:
    if not request.user.has_perm(rules.PERMISSION):
        raise PermissionDenied
    record = rules.version_record(model, history_id)
    if record is None:
        raise Http404("No such version")
    customer = get_customer_for_staff(request.user, record.customer_id, perm=rules.PERMISSION)
    diff = rules.reverse_of_version(record)
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        if diff.problem:
            messages.error(request, diff.problem)
            return redirect("customers:profile", customer.pk)
        if form.is_valid():
            try:
                new = rollback_open(
                    by=request.user, version=record, reason=form.cleaned_data["reason"]
                )
            except RollbackError as error:
                messages.error(request, str(error))
                return redirect("customers:profile", customer.pk)
            return _opened(request, new)
    context = {
        "version": record,
        "version_reference": rules.version_reference(record),
        "what": record.instance_type._meta.verbose_name,
        "customer": customer,
        "diff": diff,
        "problem": diff.problem,
        "form": form,
    }
    return render(request, "rollback/confirm.html", context)
