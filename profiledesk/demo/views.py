"""The demo receiver's page: a delivery as the demo client's system received it (demo
mode only; 404 otherwise, and for a connector that does not deliver there)."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.services import audit_record
from profiledesk.accounts.requests import StaffRequest
from profiledesk.connectors.access import get_delivery_for_staff

from .selectors import receiver_page


@require_GET
def receiver_delivery(request: StaffRequest, delivery_id: int) -> HttpResponse:
    if not getattr(settings, "DEMO_MODE", False):
        raise Http404
    # Staff who see the ticket; a delivery of another client is a 404.
    delivery = get_delivery_for_staff(request.user, delivery_id, perm="tickets.view_ticket")
    page = receiver_page(delivery=delivery)
    if page is None:
        raise Http404("This delivery did not go to the demo receiver.")
    # Values in clear (selectors.py says which and why): reading them is audited.
    audit_record(
        action="demo.receiver_viewed",
        actor=request.user,
        client=delivery.client,
        target=delivery,
        data={"ticket": delivery.ticket.reference, "system": page.system},
        request=request,
    )
    return render(request, "demo/receiver_delivery.html", {"delivery": delivery, "page": page})
