"""Security's queue (GET /security/), claiming from it and closing a resolved report
(POSTs that come back to where they were sent from: the queue or the ticket)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.confirmations.services import report_close
from profiledesk.tickets.queue_views import queue_row
from profiledesk.tickets.selectors import queue_clients
from profiledesk.tickets.services import TicketError
from profiledesk.tickets.states import TransitionError

from .access import get_ticket_for_security, require_security
from .forms import CloseReportForm, SecurityQueueForm
from .selectors import security_queue
from .services import security_claim

PAGE_PARAMS = ("after", "before")


def _page_url(request: StaffRequest, **cursor: str) -> str:
    params = [(k, v) for k, v in request.GET.items() if k not in PAGE_PARAMS and v]
    params += list(cursor.items())
    query = urlencode(params)
    return reverse("security:queue") + (f"?{query}" if query else "")


@require_GET
def queue(request: StaffRequest) -> HttpResponse:
    require_security(request.user)
    clients = queue_clients(staff=request.user)
    form = SecurityQueueForm(request.GET)
    page, status = None, 200
    if form.is_valid():
        page = security_queue(
            client_ids=[client.pk for client in clients],
            sort=form.cleaned_data["sort"],
            after=form.cleaned_data["after"],
            before=form.cleaned_data["before"],
        )
    else:
        status = 400
    now = timezone.now()
    next_cursor = page.next_cursor if page else None
    previous_cursor = page.previous_cursor if page else None
    context = {
        "form": form,
        "page": page,
        "rows": [queue_row(ticket, now) for ticket in page.tickets] if page else [],
        "show_client": len(clients) > 1,
        "next_url": next_cursor and _page_url(request, after=next_cursor.encode()),
        "previous_url": previous_cursor and _page_url(request, before=previous_cursor.encode()),
        "first_url": _page_url(request),
        "paged": any(request.GET.get(name) for name in PAGE_PARAMS),
        "here": request.get_full_path(),
        "now": now,
    }
    return render(request, "security/queue.html", context, status=status)


def _back(request: StaffRequest, reference: str) -> str:
    """The security queue page the form came from, else the ticket."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and target.startswith(reverse("security:queue")):
        return target
    return reverse("tickets:detail", args=[reference])


@require_POST
def claim(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_security(request.user, reference)
    try:
        security_claim(ticket=ticket, by=request.user, request=request)
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You claimed %(reference)s.") % {"reference": reference})
    return redirect(_back(request, reference))


@require_POST
def close_report(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_security(request.user, reference)
    form = CloseReportForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, str(error))
        return redirect(_back(request, reference))
    try:
        report_close(
            ticket=ticket, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(reference)s is closed.") % {"reference": reference})
    return redirect(_back(request, reference))
