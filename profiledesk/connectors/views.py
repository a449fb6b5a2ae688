"""Supervisors: the alert of failing downstream systems (a partial the queue loads) and
retrying a delivery by hand."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest

from .access import get_delivery_for_staff
from .selectors import alerts_fingerprint, troubled_connectors, troubled_deliveries
from .services import DeliveryError, delivery_retry


@require_GET
def alerts(request: StaffRequest) -> HttpResponse:
    if not request.user.has_perm("connectors.retry_delivery"):
        raise PermissionDenied
    connectors = troubled_connectors(staff=request.user)
    troubled = troubled_deliveries(staff=request.user)
    # The banner is a live region (role="alert"): swapped in again, a screen reader reads
    # it again. The poll sends the state it shows (`seen`); unchanged, 204 swaps nothing.
    seen = alerts_fingerprint(connectors, troubled)
    if request.GET.get("seen") == seen:
        return HttpResponse(status=204)
    context = {"alerts": connectors, "troubled": troubled, "seen": seen}
    return render(request, "connectors/_alerts.html", context)


@require_POST
def retry(request: StaffRequest, delivery_id: int) -> HttpResponse:
    delivery = get_delivery_for_staff(request.user, delivery_id)
    try:
        delivery_retry(delivery=delivery, by=request.user, request=request)
    except DeliveryError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Sending %(ticket)s to %(connector)s again.")
            % {"ticket": delivery.ticket.reference, "connector": delivery.connector.name},
        )
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe and target.startswith("/"):
        return redirect(target)
    return redirect("tickets:detail", reference=delivery.ticket.reference)
