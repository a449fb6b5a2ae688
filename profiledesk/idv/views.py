"""The identity provider's endpoints: the wizard's panel and its Start button (staff), and
the provider's decision webhook (public: its signature is the credential)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.access import public
from profiledesk.accounts.requests import StaffRequest
from profiledesk.tickets.access import get_ticket_for_staff

from . import services
from .selectors import panel_for
from .stripe_identity import SIGNATURE_HEADER

WORK = "tickets.work_ticket"


def _panel(request: StaffRequest, ticket, *, notice: str = "", ok: bool = True) -> HttpResponse:
    context = {
        "ticket": ticket,
        "idv": panel_for(ticket=ticket, user=request.user),
        "idv_notice": notice,
        "idv_notice_ok": ok,
    }
    return render(request, "idv/_panel.html", context)


@require_GET
def panel(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    return _panel(request, ticket)


@require_POST
def start(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference, perm=WORK)
    contact = request.POST.get("contact", "")[:40]
    try:
        if not contact:
            raise services.IdvError(_("Choose where to send the link."))
        services.idv_session_start(
            ticket=ticket, by=request.user, contact_key=contact, request=request
        )
    except services.IdvError as error:
        ok, notice = False, str(error)
    else:
        ok, notice = True, _("Identity check requested: the link goes to the customer shortly.")
    if request.htmx:
        return _panel(request, ticket, notice=notice, ok=ok)
    (messages.success if ok else messages.error)(request, notice)
    return redirect("tickets:detail", reference=ticket.reference)


@public
@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, slug: str) -> JsonResponse:
    limit = services.MAX_WEBHOOK_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return JsonResponse({"detail": _("The event is too large.")}, status=413)
    payload = request.read(limit + 1)
    received = services.idv_webhook_receive(
        client_slug=slug,
        payload=payload,
        signature=request.headers.get(SIGNATURE_HEADER),
        request=request,
    )
    return JsonResponse({"detail": received.detail}, status=received.status)
