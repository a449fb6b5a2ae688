"""The history pages (docs/design.md §7): a customer's timeline, one ticket's audit trail, one
staff member's activity. Read-only, for compliance and supervisors (audit.view_history);
revealing a past value is a POST for compliance only (audit.reveal_history), audited."""

import datetime as dt
import re

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.customers.access import get_customer_for_staff
from profiledesk.customers.forms import RevealForm
from profiledesk.customers.reveal import RevealRefused
from profiledesk.replica import reads_from_replica
from profiledesk.tickets.access import get_ticket_for_staff

from . import events, history, history_rows, reveal, trail
from .forms import ActivityFilterForm, AuditEventFilterForm, HistoryFilterForm

VIEW = "audit.view_history"
REVEAL = "audit.reveal_history"
# The id of one value on the history page (templates/audit/_version.html, audit.history.ValueCell).
_TARGET = re.compile(r"hv-[a-z_]+-(before|after)-[a-z_0-9]+-[0-9]+")


@never_cache
@require_GET
@reads_from_replica  # a read-only page: the replica, if any
def customer_history(request: StaffRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for_staff(request.user, customer_id, perm=VIEW)
    people = history.staff_choices(customer=customer)
    form = HistoryFilterForm(request.GET or None, staff_choices=people)
    page, status = None, 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        page = history.customer_history(
            customer=customer,
            viewer=request.user,
            filters=history.HistoryFilters(
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
                category=data.get("category") or "",
                staff_id=data.get("staff"),
            ),
            after=data.get("after"),
            before=data.get("before"),
        )
    can_reveal = request.user.has_perm(REVEAL)
    # Asked once for the page, not once a version.
    may_restore = request.user.has_perm("rollback.request_rollback")
    groups_html = None
    if page is not None:
        if can_reveal:
            history.reveal_urls(page, customer_id=customer.pk)
        # The groups, headers and versions, rendered by Jinja2 (audit/history_rows.py);
        # the page's reveal forms share one CSRF token.
        groups_html = history_rows.groups_html(
            page.groups,
            time_zone=page.time_zone,
            user=request.user,
            can_reveal=can_reveal,
            may_restore=may_restore,
            csrf_token=get_token(request),
        )
    context = {
        "customer": customer,
        "form": form,
        # The fields by Jinja2 unless the form is in error (then Django's widgets).
        "filters_html": history_rows.filters_html(form),
        "page": page,
        "groups_html": groups_html,
        "can_reveal": can_reveal,
        "may_restore": may_restore,
        "query": _query_without_cursor(request),
    }
    return render(request, "audit/customer_history.html", context, status=status)


@never_cache
@require_POST
def history_reveal(
    request: StaffRequest, customer_id: int, model: str, history_id: int, field: str
) -> HttpResponse:
    customer = get_customer_for_staff(request.user, customer_id, perm=REVEAL)
    form = RevealForm(request.POST)
    try:
        revealed = reveal.history_value_reveal(
            customer=customer,
            staff=request.user,
            model_key=model,
            history_id=history_id,
            field_name=field,
            reason=form.cleaned_data["reason"] if form.is_valid() else "",
            request=request,
        )
    except RevealRefused as refused:
        form.add_error(refused.field or None, str(refused))
        # The value's element on the page (hx-target) is replaced by the form again.
        target = request.htmx.target if request.htmx else ""
        context = {
            "customer": customer,
            "message": str(refused),
            "form": form,
            "target": target if _TARGET.fullmatch(target or "") else "history-reveal",
            "action": request.path,
        }
        # htmx swaps only 2xx answers: the refusal replaces the button, saying why.
        if request.htmx:
            return render(request, "customers/_reveal_refused.html", context)
        return render(request, "customers/reveal_refused.html", context, status=400)
    template = "audit/_revealed.html" if request.htmx else "audit/revealed.html"
    return render(request, template, {"customer": customer, "revealed": revealed})


@never_cache
@require_GET
@reads_from_replica  # a read-only page: the replica, if any
def ticket_audit(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=VIEW)
    context = {"ticket": ticket, "trail": trail.ticket_trail(ticket=ticket)}
    return render(request, "audit/ticket_audit.html", context)


@never_cache
@require_GET
@reads_from_replica  # a read-only page: the replica, if any
def staff_activity(request: StaffRequest, user_id: int) -> HttpResponse:
    staff = history.get_staff_for_viewer(request.user, user_id, perm=VIEW)
    form = ActivityFilterForm(request.GET or None)
    context = {"staff": staff, "form": form, "query": _query_without_cursor(request)}
    if form.is_bound and not form.is_valid():
        return render(request, "audit/staff_activity.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    start, end = ActivityFilterForm.range(data, today=timezone.localdate(timezone.now(), dt.UTC))
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    activity = history.staff_activity(
        staff=staff,
        viewer=request.user,
        since=since,
        until=until,
        after=data.get("after"),
        before=data.get("before"),
    )
    context |= {
        "start": start,
        "end": end,
        "versions": activity.versions,
        "older": activity.older,
        "newer": activity.newer,
        "events": activity.events,
        "audit_events": activity.audit_events,
        "cap": history.ACTIVITY_CAP,
    }
    return render(request, "audit/staff_activity.html", context)


@never_cache
@require_GET
def audit_events(request: StaffRequest) -> HttpResponse:
    """The audit events of the viewer's clients, newest first, filtered; each row links to
    the ticket's audit page, the customer's history or the staff member's activity."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    clients = events.viewer_clients(request.user)
    staff = events.viewer_staff(request.user)
    actors = events.actor_choices(request.user, staff, request.GET.get("actor", ""))
    form = AuditEventFilterForm(request.GET or None, clients=clients, staff_choices=actors)
    context = {"form": form, "query": _query_without_cursor(request), "page": None}
    if form.is_bound and not form.is_valid():
        return render(request, "audit/events.html", context, status=400)
    data = form.cleaned_data if form.is_bound else {}
    chosen = set(data.get("client") or [])
    filters = events.EventFilters(
        clients=tuple(c for c in clients if not chosen or c.pk in chosen),
        actions=tuple(data.get("action") or ()),
        actor_id=data.get("actor"),
        since=data.get("since"),
        until=data.get("until"),
    )
    context["page"] = events.events_page(
        viewer=request.user,
        filters=filters,
        visible_staff=[pk for pk, _name in staff],
        after=data.get("after"),
        before=data.get("before"),
    )
    return render(request, "audit/events.html", context)


def _query_without_cursor(request: StaffRequest) -> str:
    """The filters as a query string, for the "Older" / "Newer" links."""
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    return query.urlencode()
