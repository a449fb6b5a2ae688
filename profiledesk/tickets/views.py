"""One ticket, one screen (docs/design.md §10); taking a new request from a call or chat."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.customers.access import get_customer_for_staff
from profiledesk.files import deleted_on_failure
from profiledesk.intake.avatars import is_pending_name
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.forms import form_for
from profiledesk.policies.defaults import policy_memo
from profiledesk.policies.sla import sla_status

from .access import get_ticket_for_staff
from .forms import CommentForm, MoveForm, RequestStartForm
from .live import stale_refusal
from .memo import page_memo
from .panels import ticket_panels
from .services import TicketError, ticket_comment, ticket_create
from .states import TransitionError, allowed_moves, transition
from .timeline_rows import timeline_html


def detail(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference)
    # The rules behind the buttons and the panels each read the items (apply, submit,
    # verify again, the wizard): one query, their `ticket.items.all()` reads this cache.
    prefetch_related_objects([ticket], "items")
    policy_memo(ticket.client)  # and the policy, read by the same rules, once
    # and the verification's reads (its status, asked by the same rules and the wizard).
    page_memo(ticket)
    timeline = list(ticket.events.select_related("actor"))
    context = {
        "ticket": ticket,
        "items": list(ticket.items.all()),
        "timeline": timeline,
        "timeline_html": timeline_html(timeline),
        "moves": allowed_moves(ticket, request.user),
        "comment_form": CommentForm(),
        "sla": sla_status(ticket, timezone.now()),
        "can_work": request.user.has_perm("tickets.work_ticket"),
        # The steps' panels, registered at app ready: the identity verification wizard
        # (verification/selectors.py), approvals (approvals/selectors.py, no query
        # outside its steps).
        **ticket_panels(ticket, request.user),
    }
    return render(request, "tickets/detail.html", context)


def _refused(request: StaffRequest, reference: str, form) -> HttpResponse:
    """Bad form input: the ticket page again, with what is wrong, as a 400."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    response = detail(request, reference)
    response.status_code = 400
    return response


@require_POST
def move(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _refused(request, reference, form)
    # A service-only move (submit, apply, approve, close...) is refused by transition():
    # its step's own view checks the step's rule first.
    try:
        transition(
            ticket=ticket,
            to=form.cleaned_data["to"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except TransitionError as error:
        # Someone else moved or claimed it since this page was drawn: say that, not the
        # state machine's refusal.
        messages.error(request, stale_refusal(request, ticket) or str(error))
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
def comment(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.view_ticket")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            ticket_comment(ticket=ticket, by=request.user, body=form.cleaned_data["body"])
        except TicketError as error:
            messages.error(request, str(error))
    else:
        return _refused(request, reference, form)
    return redirect("tickets:detail", reference=ticket.reference)


@require_http_methods(["GET", "POST"])
def new_request(request: StaffRequest, customer_id: int) -> HttpResponse:
    """Pick the channel and category, fill the category's form, open the ticket."""
    customer = get_customer_for_staff(request.user, customer_id, perm="tickets.work_ticket")
    start = RequestStartForm(request.POST or request.GET or None)
    category = start.data.get("category") if start.is_bound and start.is_valid() else None
    change_form = None
    if category:
        data = request.POST if request.method == "POST" else None
        files = request.FILES if request.method == "POST" else None
        change_form = form_for(category, customer=customer, data=data, files=files)
        if request.method == "POST" and change_form.is_valid():
            try:
                # A refused ticket deletes the picture its capture wrote (intake.avatars).
                with deleted_on_failure() as written, transaction.atomic():
                    drafts = drafts_for(
                        category=category,
                        cleaned_data=change_form.cleaned_data,
                        customer=customer,
                    )
                    written.extend(d.new_value for d in drafts if is_pending_name(d.new_value))
                    ticket = ticket_create(
                        client=customer.client,
                        customer=customer,
                        by=request.user,
                        channel=start.cleaned_data["channel"],
                        category=category,
                        summary=start.cleaned_data["summary"],
                        items=drafts,
                    )
            except ValidationError as error:
                change_form.add_error(None, error)
            except TicketError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"{ticket.reference} opened.")
                return redirect("tickets:detail", reference=ticket.reference)
    context = {
        "customer": customer,
        "start": start,
        "category": category,
        "change_form": change_form,
    }
    return render(request, "tickets/new_request.html", context)
