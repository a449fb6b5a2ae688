"""The ticket queue (docs/design.md §3, §10): the desk's home page for staff who work tickets.

GET /tickets/ is the list (its htmx partial when htmx asks, and every 20 s the page asks
again in the background); claiming and reassigning are POSTs that come back to the
queue, filters and page kept.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.policies.sla import sla_status

from . import queue_stamps
from .access import get_ticket_for_staff
from .live import stale_refusal
from .models import Ticket
from .queue_clock import clock_words_json, epoch_us
from .queue_forms import SORT_CHOICES, QueueFilterForm, ReassignForm, TakeOverForm
from .queue_rows import queue_filters_html, queue_lines, queue_rows_html
from .queue_validators import (
    bare,
    combined,
    keep_digest,
    known_digest,
    printed_etag,
    rows_digest,
    rows_key,
    sent,
    stamped_etag,
)
from .selectors import (
    COUNT_CAP,
    AssigneeFilter,
    QueueAccess,
    QueuePage,
    QueueTicket,
    Sort,
    change_summary,
    queue_access,
    queue_clients,
    queue_fingerprint,
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
    request: StaffRequest,
    may: "QueueAccess | _May",
    form: QueueFilterForm,
    page: QueuePage[QueueTicket] | None,
    clients,
    people,
    now: dt.datetime,
) -> dict:
    rows = queue_lines(page.tickets, now=now) if page else []
    can_reassign = may.reassign
    reassign_people: dict[int, list] = {}
    if can_reassign:
        for membership in people:
            reassign_people.setdefault(membership.client_id, []).append(membership.user)
    next_cursor = page.next_cursor if page else None
    previous_cursor = page.previous_cursor if page else None
    sort = getattr(form, "cleaned_data", {}).get("sort") or Sort.DUE
    can_work = may.work
    show_client = len(clients) > 1
    here = request.get_full_path()
    rows_html = queue_rows_html(
        rows,
        user_id=request.user.pk,
        show_client=show_client,
        can_work=can_work,
        can_reassign=can_reassign,
        here=here,
        # One CSRF token a page (the claim form's and the reassign forms'), not one a row.
        csrf_token=get_token(request) if rows and (can_work or can_reassign) else "",
    )
    return {
        # The browser's clock (queue_clock.py): the exact moment of the answer, in ms.
        "clock_now": epoch_us(timezone.now()) // 1000 if rows else "",
        "clock_zone": timezone.get_current_timezone_name(),
        "clock_words": clock_words_json() if rows else "",
        "form": form,
        "sort_label": dict(SORT_CHOICES).get(sort, ""),
        "page": page,
        "rows": rows,
        "rows_html": rows_html,
        "now": now,
        "count_cap": COUNT_CAP,
        "show_client": show_client,
        "can_work": can_work,
        "can_reassign": can_reassign,
        "reassign_people": reassign_people,
        "next_url": next_cursor and _page_url(request, after=next_cursor.encode()),
        "previous_url": previous_cursor and _page_url(request, before=previous_cursor.encode()),
        "first_url": _page_url(request),
        "paged": any(request.GET.get(name) for name in PAGE_PARAMS),
        "here": here,
    }


def _needs_people(request: StaffRequest, *, partial: bool, reassign: bool) -> bool:
    """The floor's people are printed by the page's assignee filter and, for those who may
    reassign, by the list's reassign forms; the list alone needs them for neither unless
    it is filtered to one person (the form checks the id among them)."""
    if not partial or reassign:
        return True
    return request.GET.get("assignee", "") not in ("", AssigneeFilter.ME, AssigneeFilter.NOBODY)


class _May:
    """has_perm's answers, as QueueAccess gives them."""

    def __init__(self, user) -> None:
        self.work = user.has_perm("tickets.work_ticket")
        self.reassign = user.has_perm("tickets.reassign_ticket")


@dataclass(frozen=True)
class _Asked:
    """What the refresh learnt before reading the list (queue_validators.py)."""

    access: QueueAccess  # who asks, read fresh from the database
    stamps: dict[str, str] | None  # None: the cache could not say
    stamped: str  # the "s" validator ("" without stamps)


@require_GET
def queue(request: StaffRequest) -> HttpResponse:
    """The queue, or its list alone for htmx. The background refresh is a conditional
    request (queue_validators.py): `If-None-Match` is checked against the queue's stamps
    (one cache read) and who asks (`queue_access`: one query, the permissions and clients
    read fresh) before anything else is read or rendered; after a write elsewhere in the
    client, against the list's rows digest another refresh of the same list kept under the
    new stamps; else against the rows themselves (`queue_fingerprint`)."""
    # As of the minute: the rows the SLA and age filters match, the SLA bands, "updated
    # at"; the SLA and age texts are moved on in the browser (queue_clock.py).
    now = timezone.now().replace(second=0, microsecond=0)
    partial = bool(request.htmx and not request.htmx.history_restore_request)
    asked = None
    if partial and request.user.is_authenticated:
        access = queue_access(staff=request.user)
        stamps = queue_stamps.stamps(client_ids=access.client_ids, create=True)
        stamped = (
            "" if stamps is None else stamped_etag(request, access=access, stamps=stamps, as_of=now)
        )
        asked = _Asked(access, stamps, stamped)
        if not access.view:
            raise PermissionDenied  # never a 304 without the permission
        held = sent(request)
        if stamped and bare(stamped) in held:
            return _not_modified_response(held[bare(stamped)])
        digest = known_digest(_rows_key(request, asked, now)) if stamps and held else None
        if digest:
            printed = printed_etag(request, access=access, digest=digest)
            if bare(printed) in held:
                return _not_modified_response(combined(stamped, printed))
    elif not request.user.has_perm("tickets.view_ticket"):
        raise PermissionDenied
    return _queue(request, now=now, partial=partial, asked=asked)


def _rows_key(request: StaffRequest, asked: _Asked, now: dt.datetime) -> str:
    assert asked.stamps is not None
    return rows_key(
        request,
        access=asked.access,
        stamps=asked.stamps,
        as_of=now,
        with_people=_needs_people(request, partial=True, reassign=asked.access.reassign),
    )


def _queue(
    request: StaffRequest, *, now: dt.datetime, partial: bool, asked: _Asked | None
) -> HttpResponse:
    clients = queue_clients(staff=request.user)
    client_ids = [client.pk for client in clients]
    if asked is not None and tuple(sorted(client_ids)) != asked.access.client_ids:
        asked = None  # a membership changed meanwhile: no validator for this list
    # What they may do: read fresh by the refresh's `queue_access`, else has_perm's.
    may = asked.access if asked is not None else _May(request.user)
    needed = _needs_people(request, partial=partial, reassign=may.reassign)
    people = queue_people(client_ids=client_ids) if needed else []
    form = QueueFilterForm(request.GET, clients=clients, people=people)
    page, status, etag = None, 200, ""
    if form.is_valid():
        query = {
            "staff": request.user,
            "client_ids": client_ids,
            "filters": form.filters(),
            "sort": form.cleaned_data["sort"],
            "after": form.cleaned_data["after"],
            "before": form.cleaned_data["before"],
            "now": now,
            "zones": {client.pk: client.time_zone for client in clients},
        }
        count = None
        if asked is not None:
            # The stamps moved since the browser's list (a write somewhere in its clients:
            # on a busy floor, most polls), it sent none, or the cache could not say: the
            # rows' printed values decide, two small queries instead of a render (the
            # count is reused by the page), and their digest is kept for the other
            # refreshes of this list under these stamps. Equal, the list on screen is
            # still right and its ETag takes the new stamps; rendered, the ETag carries
            # both validators, so the next poll after a write is decided by the rows too.
            fingerprint = queue_fingerprint(**query)
            digest = rows_digest(fingerprint=fingerprint, clients=clients, people=people, as_of=now)
            if asked.stamps is not None:
                keep_digest(_rows_key(request, asked, now), digest)
            printed = printed_etag(request, access=asked.access, digest=digest)
            etag = combined(asked.stamped, printed)
            if bare(printed) in sent(request):
                return _not_modified_response(etag)
            count = fingerprint.count
        page = queue_for(**query, count=count)
    else:
        status = 400
    template = "tickets/_queue_table.html" if partial else "tickets/queue.html"
    context = _queue_context(request, may, form, page, clients, people, now)
    if not partial:
        context["filters_html"] = queue_filters_html(form)
    response = render(request, template, context, status=status)
    if etag:
        response["ETag"] = etag
    return response


def _not_modified_response(etag: str) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


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
