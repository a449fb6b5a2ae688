"""The wizard's endpoints: thin views over verification.services; htmx gets the panel."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.rollback.forms import ReasonForm
from profiledesk.storage import StorageUnavailable
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.live import stale_refusal
from profiledesk.tickets.states import TransitionError

from . import services
from .access import get_document_for_floor
from .forms import DocumentForm, OtpCheckForm, OtpSendForm, QuestionsForm
from .models import Method
from .selectors import panel_context
from .status import progress
from .waivers import PERMISSION, WaiverError, verification_waive

WORK = "tickets.work_ticket"


def _respond(
    request: StaffRequest, ticket, *, ok: bool, message: str, revealed=None, document_form=None
) -> HttpResponse:
    stale = None if ok else stale_refusal(request, ticket)
    if stale:
        # Someone else moved or claimed the ticket since the page was drawn: say so, and
        # show the page as it is now.
        messages.error(request, stale)
        if not request.htmx:
            return redirect("tickets:detail", reference=ticket.reference)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if not request.htmx:
        (messages.success if ok else messages.error)(request, message)
        return redirect("tickets:detail", reference=ticket.reference)
    if ok and progress(ticket).complete:
        # The ticket's actions change (it may be marked verified now): reload the page.
        messages.success(request, message)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context = panel_context(
        ticket,
        request.user,
        notice=message,
        notice_ok=ok,
        revealed=revealed,
        bound_forms={Method.DOCUMENT: document_form} if document_form is not None else None,
    )
    return render(request, "verification/_panel.html", context)


@require_GET
def panel(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    return render(request, "verification/_panel.html", panel_context(ticket, request.user))


@require_POST
def otp_send(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    form = OtpSendForm(request.POST)
    if not form.is_valid():
        return _respond(request, ticket, ok=False, message=_("Choose where to send the code."))
    try:
        services.otp_send(
            ticket=ticket,
            staff=request.user,
            contact_key=form.cleaned_data["contact"],
            request=request,
        )
    except services.VerificationError as error:
        return _respond(request, ticket, ok=False, message=str(error))
    return _respond(
        request,
        ticket,
        ok=True,
        message=_("Code sent. Ask the customer to read it out; it is valid for 10 minutes."),
    )


@require_POST
def otp_check(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    form = OtpCheckForm(request.POST)
    if not form.is_valid():
        return _respond(request, ticket, ok=False, message=_("Type the 6-digit code."))
    try:
        outcome = services.otp_check(
            ticket=ticket,
            staff=request.user,
            challenge_id=form.cleaned_data["challenge"],
            code=form.cleaned_data["code"],
            request=request,
        )
    except services.VerificationError as error:
        return _respond(request, ticket, ok=False, message=str(error))
    return _respond(request, ticket, ok=outcome.passed, message=outcome.message)


@require_POST
def questions(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    asked = ticket.customer.security_questions.all() if ticket.customer_id else []
    form = QuestionsForm(request.POST, questions=asked)
    if not asked or not form.is_valid():
        return _respond(
            request, ticket, ok=False, message=_("Type the customer's answer to every question.")
        )
    try:
        outcome = services.questions_check(
            ticket=ticket, staff=request.user, answers=form.answers(), request=request
        )
    except services.VerificationError as error:
        return _respond(request, ticket, ok=False, message=str(error))
    return _respond(request, ticket, ok=outcome.passed, message=outcome.message)


@require_POST
def document_upload(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        message = _("Choose the document type and its file.")
        return _respond(request, ticket, ok=False, message=message, document_form=form)
    data = form.cleaned_data
    try:
        check = services.document_check_record(
            ticket=ticket,
            staff=request.user,
            upload=data["file"],
            document_type=data["document_type"],
            checklist=data,
            request=request,
        )
    except services.DocumentRefused as error:
        # The file's own fault: the message goes on the file field (and nothing was kept).
        form.add_error("file", str(error))
        return _respond(request, ticket, ok=False, message=str(error), document_form=form)
    except StorageUnavailable:
        # The store's fault, not the file's: the row went with the failed write.
        message = _(
            "The file store cannot be reached just now, so nothing was saved. "
            "Try again in a minute."
        )
        form.add_error("file", message)
        return _respond(request, ticket, ok=False, message=message, document_form=form)
    except services.VerificationError as error:
        return _respond(request, ticket, ok=False, message=str(error))
    if check.result == "passed":
        return _respond(request, ticket, ok=True, message=_("Document check passed."))
    return _respond(
        request, ticket, ok=False, message=_("Document check failed: not every point was ticked.")
    )


@require_GET
def document(request: StaffRequest, reference: str, document_id: int) -> HttpResponse:
    """The document's file, to authorised staff only, never cached, never a public URL."""
    check = get_document_for_floor(request.user, reference, document_id, perm=WORK)
    try:
        handle = check.file.open("rb")  # fetched first: an outage is a 503, not a viewing
    except FileNotFoundError:  # the row outlived its file: nothing to serve, not a 500
        raise Http404("No such document") from None
    services.document_viewed(check=check, staff=request.user, request=request)
    response = FileResponse(handle, content_type=check.content_type)
    response["Content-Disposition"] = f'inline; filename="document-{check.pk}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def complete(request: StaffRequest, reference: str) -> HttpResponse:
    """The ticket's "Mark verified" button (verifying -> ready)."""
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    try:
        services.verification_complete(ticket=ticket, by=request.user)
    except TransitionError as error:
        messages.error(request, stale_refusal(request, ticket) or str(error))
    return redirect("tickets:detail", reference=ticket.reference)


@require_POST
def reveal(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    try:
        revealed = services.details_reveal(ticket=ticket, staff=request.user, request=request)
    except services.VerificationError as error:
        return _respond(request, ticket, ok=False, message=str(error))
    context = panel_context(ticket, request.user, revealed=revealed)
    return render(request, "verification/_panel.html", context)


@require_POST
def waive(request: StaffRequest, reference: str) -> HttpResponse:
    """Compliance waives verification of a rollback ticket (verification/waivers.py)."""
    ticket = get_ticket_for_staff(request.user, reference, perm=PERMISSION)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for waiving verification."))
    else:
        try:
            verification_waive(ticket=ticket, by=request.user, reason=form.cleaned_data["reason"])
        except WaiverError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Verification waived; the floor can mark it verified."))
    return redirect("tickets:detail", reference=ticket.reference)
