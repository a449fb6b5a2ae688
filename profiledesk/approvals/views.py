"""The approval queue and the approve / reject / submit buttons."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.files import private_file_response
from profiledesk.tickets.access import get_ticket_for_staff
from profiledesk.tickets.live import stale_refusal
from profiledesk.tickets.states import TransitionError
from verification.services import document_viewed

from .access import (
    get_avatar_for_reviewer,
    get_document_for_reviewer,
    get_ticket_for_approver,
    is_approver,
)
from .forms import DecisionForm
from .selectors import approval_queue
from .services import (
    ApprovalError,
    approval_grant,
    approval_reject,
    approval_submit,
    avatar_viewed,
)


@require_GET
def queue(request: StaffRequest) -> HttpResponse:
    if not is_approver(request.user):
        raise PermissionDenied
    try:
        after = int(request.GET["after"]) if request.GET.get("after") else None
    except ValueError:
        after = None
    page = approval_queue(staff=request.user, after=after)
    context = {"page": page, "here": request.get_full_path()}
    # The page's own refresh (every 20 s, static/desk/approvals.js) asks for the list only.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "approvals/_queue_list.html" if partial else "approvals/queue.html"
    return render(request, template, context)


def _back(request: StaffRequest, reference: str, target: str) -> str:
    """The approval queue page the decision came from, or the ticket."""
    queue_path = reverse("approvals:queue")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if target and safe and target.startswith(queue_path):
        return target
    return reverse("tickets:detail", args=[reference])


@require_POST
def submit(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm="tickets.work_ticket")
    try:
        approval_submit(ticket=ticket, by=request.user)
    except (ApprovalError, TransitionError) as error:
        messages.error(request, stale_refusal(request, ticket) or str(error))
    else:
        if ticket.state == "escalated":
            messages.warning(request, _("The risk is critical: the ticket went to security."))
        else:
            messages.success(request, _("Submitted for approval."))
    return redirect("tickets:detail", reference=ticket.reference)


def _decide(request: StaffRequest, reference: str, *, approve: bool) -> HttpResponse:
    ticket = get_ticket_for_approver(request.user, reference)
    form = DecisionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    digest = data.get("diff_hash") or None
    try:
        if approve:
            approval_grant(ticket=ticket, by=request.user, diff_hash=digest)
        else:
            approval_reject(
                ticket=ticket, by=request.user, reason=data.get("reason", ""), diff_hash=digest
            )
    except (ApprovalError, TransitionError) as error:
        messages.error(request, stale_refusal(request, ticket) or str(error))
    else:
        text = _("You approved %(ref)s.") if approve else _("You rejected %(ref)s.")
        messages.success(request, text % {"ref": reference})
    return redirect(_back(request, ticket.reference, data.get("next", "")))


@require_POST
def approve(request: StaffRequest, reference: str) -> HttpResponse:
    return _decide(request, reference, approve=True)


@require_POST
def reject(request: StaffRequest, reference: str) -> HttpResponse:
    return _decide(request, reference, approve=False)


@require_GET
def document(request: StaffRequest, reference: str, document_id: int) -> HttpResponse:
    """The identity document behind a ticket's AL3, for whoever approves or audits it:
    audited (ticket and document id, never the content), never cached, never public;
    inline only as the picture or PDF its bytes are (decoded at upload)."""
    check = get_document_for_reviewer(request.user, reference, document_id)
    try:
        with check.file.open("rb") as file:
            content = file.read()
    except FileNotFoundError:
        raise Http404("No such document") from None
    document_viewed(check=check, staff=request.user, request=request)
    return private_file_response(
        content, filename=f"document-{check.pk}", also_inline=frozenset({"application/pdf"})
    )


@require_GET
def avatar(request: StaffRequest, reference: str, item_id: int) -> HttpResponse:
    """The avatar a ticket asks to set, for its moderators (approvers), auditors and
    security: from private storage, audited, never cached; inline only if its bytes are a
    JPEG, PNG or WebP picture, otherwise an opaque download."""
    item, name = get_avatar_for_reviewer(request.user, reference, item_id)
    try:
        with default_storage.open(name, "rb") as file:
            content = file.read()
    except FileNotFoundError:  # deleted between the check and the read
        raise Http404("No such image") from None
    avatar_viewed(item=item, staff=request.user, request=request)
    return private_file_response(content, filename=f"avatar-{item.pk}")
