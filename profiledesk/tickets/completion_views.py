"""Completing a ticket from its page (tickets/completion.py): find and match its customer,
capture its change beside the message it arrived with, open what was attached."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from profiledesk.accounts.requests import StaffRequest
from profiledesk.customers.access import get_customer_for_staff
from profiledesk.customers.selectors import customer_search
from profiledesk.intake.forms import form_for

from .access import get_ticket_for_staff
from .completion import capture_problem, match_problem, ticket_capture, ticket_match
from .completion_forms import CaptureStartForm, MatchForm, MatchSearchForm
from .completion_selectors import original_message
from .services import TicketError

WORK = "tickets.work_ticket"


@require_http_methods(["GET", "HEAD", "POST"])
def match_search(request: StaffRequest, reference: str) -> HttpResponse:
    """The desk's customer search, of the ticket's client only, masked as everywhere. The
    query is POSTed and never put in a URL (it may be a card number: refused, not echoed).
    For htmx, the results only (swapped into the ticket page's card)."""
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    form = MatchSearchForm(request.POST if request.method == "POST" else None)
    problem = match_problem(ticket)
    result = None
    if problem is None and form.is_valid() and form.cleaned_data["q"]:
        result = customer_search(
            staff=request.user, query=form.cleaned_data["q"], client_id=ticket.client_id
        )
    context = {"ticket": ticket, "form": form, "result": result, "problem": problem}
    if request.htmx:
        return render(request, "intake/_match_results.html", context)
    context["original"] = original_message(ticket)
    return render(request, "intake/match.html", context)


@require_POST
def match(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    form = MatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a customer."))
        return redirect("tickets:match_search", reference=ticket.reference)
    # Outside the staff member's clients: 404, as anywhere (nothing learnt about the id).
    customer = get_customer_for_staff(request.user, form.cleaned_data["customer"])
    try:
        ticket_match(ticket=ticket, customer=customer, by=request.user, request=request)
    except TicketError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(reference)s is matched to %(name)s (%(number)s).")
            % {
                "reference": ticket.reference,
                "name": customer.personal.legal_name,
                "number": customer.number,
            },
        )
    return redirect("tickets:detail", reference=ticket.reference)


@require_http_methods(["GET", "HEAD", "POST"])
def capture(request: StaffRequest, reference: str) -> HttpResponse:
    """The category's form of the New request page, for this ticket's customer, beside the
    message the request arrived with."""
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    problem = capture_problem(ticket, has_items=ticket.items.exists())
    if problem:
        messages.error(request, problem)
        return redirect("tickets:detail", reference=ticket.reference)
    start = CaptureStartForm(request.POST or request.GET or {"category": ticket.category})
    category = start.cleaned_data["category"] if start.is_valid() else ticket.category
    posted = request.method == "POST" and start.is_valid()
    change_form = form_for(
        category,
        customer=ticket.customer,
        data=request.POST if posted else None,
        files=request.FILES if posted else None,
    )
    if posted and change_form.is_valid():
        try:
            ticket_capture(
                ticket=ticket,
                by=request.user,
                category=category,
                cleaned_data=change_form.cleaned_data,
                request=request,
            )
        except ValidationError as error:
            change_form.add_error(None, error)
        except TicketError as error:
            messages.error(request, str(error))
            return redirect("tickets:detail", reference=ticket.reference)
        else:
            messages.success(request, _("The change is captured."))
            return redirect("tickets:detail", reference=ticket.reference)
    context = {
        "ticket": ticket,
        "start": start,
        "category": category,
        "change_form": change_form,
        "original": original_message(ticket),
    }
    # A POST that gets here was refused: the category or the change is wrong (the fields say).
    status = 400 if request.method == "POST" else 200
    return render(request, "intake/capture.html", context, status=status)


@never_cache
@require_GET
def attachment(request: StaffRequest, reference: str, attachment_id: int) -> FileResponse:
    """A file the request arrived with, downloaded (never shown inline: it is whatever a
    sender attached, typed by its bytes at arrival); each opening is audited."""
    ticket = get_ticket_for_staff(request.user, reference)
    found = ticket.attachments.filter(pk=attachment_id).first()
    if found is None:
        raise Http404("No such attachment")
    try:
        content = found.file.open("rb")
    except FileNotFoundError:  # the row outlived its file: nothing to serve, not a 500
        raise Http404("No such attachment") from None
    audit_record(
        action="ticket.attachment_opened",
        actor=request.user,
        client=ticket.client,
        target=ticket,
        data={"reference": ticket.reference, "attachment": found.pk, "name": found.original_name},
        request=request,
    )
    return FileResponse(
        content,
        as_attachment=True,
        filename=found.original_name,
        content_type=found.content_type,
    )
