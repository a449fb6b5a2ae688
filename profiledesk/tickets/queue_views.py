"""The ticket queue (docs/design.md §3, §10): the desk's home page for staff who work tickets.

GET /tickets/ is the list (its htmx partial when htmx asks, and every 20 s the page asks
again in the background); claiming and reassigning are POSTs that come back to the
queue, filters and page kept.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.policies.sla import sla_status

from .access import get_ticket_for_staff
from .live import stale_refusal
from .models import Ticket
from .queue_forms import SORT_CHOICES, QueueFilterForm, ReassignForm, TakeOverForm
from .selectors import (
    COUNT_CAP,
    QueuePage,
    Sort,
    change_summary,
    queue_clients,
    queue_for,
    queue_people,
    reassign_candidate,
    ticket_age,
)
from .services import TicketError, ticket_claim, ticket_reassign, ticket_take_over

PAGE_PARAMS = ("after", "before")


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    sla: str  # sla_status's status: "ok", "due_soon", "breached"
    sla_text: str  # "due in 42 min", "breached 5 min ago"
    summary: str  # one line: the first change (masked) and how many more
    age: str  # "3 hours", "2 days"


def queue_row(ticket: Ticket, now: dt.datetime) -> QueueRow:
    """A ticket as a queue shows it (the security queue too)."""
    return QueueRow(
        ticket, *sla_status(ticket, now), change_summary(ticket), ticket_age(ticket, now)
    )


def _page_url(request: StaffRequest, **cursor: str) -> str:
    """The queue with the same filters, at another page."""
    params = [(k, v) for k, v in request.GET.items() if k not in PAGE_PARAMS and v]
    params += list(cursor.items())
    query = urlencode(params)
    return reverse("tickets:queue") + (f"?{query}" if query else "")


def _queue_context(
    request: StaffRequest, form: QueueFilterForm, page: QueuePage | None, clients, people
) -> dict:
    now = timezone.now()
    rows = [queue_row(t, now) for t in page.tickets] if page else []
    can_reassign = request.user.has_perm("tickets.reassign_ticket")
    reassign_people: dict[int, list] = {}
    if can_reassign:
        for membership in people:
            reassign_people.setdefault(membership.client_id, []).append(membership.user)
    next_cursor = page.next_cursor if page else None
    previous_cursor = page.previous_cursor if page else None
    sort = getattr(form, "cleaned_data", {}).get("sort") or Sort.DUE
    return {
        "form": form,
        "sort_label": dict(SORT_CHOICES).get(sort, ""),
        "page": page,
        "rows": rows,
        "now": now,
        "count_cap": COUNT_CAP,
        "show_client": len(clients) > 1,
        "can_work": request.user.has_perm("tickets.work_ticket"),
        "can_reassign": can_reassign,
        "reassign_people": reassign_people,
        "next_url": next_cursor and _page_url(request, after=next_cursor.encode()),
        "previous_url": previous_cursor and _page_url(request, before=previous_cursor.encode()),
        "first_url": _page_url(request),
        "paged": any(request.GET.get(name) for name in PAGE_PARAMS),
        "here": request.get_full_path(),
    }


@require_GET
@permission_required("tickets.view_ticket", raise_exception=True)
def queue(request: StaffRequest) -> HttpResponse:
    clients = queue_clients(staff=request.user)
    people = queue_people(client_ids=[client.pk for client in clients])
    form = QueueFilterForm(request.GET, clients=clients, people=people)
    page, status = None, 200
    if form.is_valid():
        page = queue_for(
            staff=request.user,
            client_ids=[client.pk for client in clients],
            filters=form.filters(),
            sort=form.cleaned_data["sort"],
            after=form.cleaned_data["after"],
            before=form.cleaned_data["before"],
            zones={client.pk: client.time_zone for client in clients},
        )
    else:
        status = 400
    partial = request.htmx and not request.htmx.history_restore_request
    template = "tickets/_queue_table.html" if partial else "tickets/queue.html"
    context = _queue_context(request, form, page, clients, people)
    return render(request, template, context, status=status)


def _back_to_queue(request: StaffRequest, ticket: Ticket | None = None) -> str:
    """Where a claim or reassign returns: the queue page it came from, or the ticket's own
    page when it came from there, or the queue. Never anywhere else (`next` is posted)."""
    target = request.POST.get("next", "")
    queue_path = reverse("tickets:queue")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and ticket is not None and target == ticket_path(ticket):
        return target
    return target if safe and target.startswith(queue_path) else queue_path


def ticket_path(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.reference])


@require_POST
def claim(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.work_ticket")
    try:
        ticket_claim(ticket=ticket, by=request.user)
    except TicketError as error:
        messages.error(request, stale_refusal(request, ticket) or str(error))
    else:
        messages.success(request, _("You claimed %(reference)s.") % {"reference": reference})
    return redirect(_back_to_queue(request, ticket))


@require_POST
def take_over(request: StaffRequest, reference: str) -> HttpResponse:
    """A supervisor takes a ticket someone else claimed (recorded and audited)."""
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.reassign_ticket")
    form = TakeOverForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, str(error))
        return redirect(_back_to_queue(request, ticket))
    try:
        ticket_take_over(
            ticket=ticket, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You took over %(reference)s.") % {"reference": reference})
    return redirect(_back_to_queue(request, ticket))


@require_POST
def reassign(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.reassign_ticket")
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say who the ticket goes to."))
        return redirect(_back_to_queue(request))
    username = form.cleaned_data["to"].strip()
    to = reassign_candidate(ticket=ticket, username=username)
    if to is None:
        messages.error(
            request,
            _("No agent or supervisor of %(client)s has the username “%(username)s”.")
            % {"client": ticket.client, "username": username},
        )
        return redirect(_back_to_queue(request))
    try:
        ticket_reassign(ticket=ticket, to=to, by=request.user)
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(reference)s is now assigned to %(name)s.")
            % {"reference": reference, "name": to.get_full_name() or to.username},
        )
    return redirect(_back_to_queue(request))
