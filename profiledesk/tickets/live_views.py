"""GET /tickets/<reference>/live/: the ticket page's poll (every few seconds, in the
background: `X-Desk-Background: 1`, so it does not keep an idle session alive).

It answers "has anything changed?" cheaply: the page sends the version it shows (`v`) and
who it shows as here (`p`). This request says "I am here" (one Redis pipeline); when the
version and the people are the same, the answer is 204 and htmx swaps nothing. Otherwise
the presence strip again, naming the others and the latest change; the page's script then
refreshes the panels that changed (static/desk/ticket_live.js). Cost: docs/performance.md.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from profiledesk.accounts.requests import StaffRequest

from .access import get_ticket_for_staff
from .live import live_context, presence_signature
from .presence import presence_beat


@require_GET
def live(request: StaffRequest, reference: str) -> HttpResponse:
    ticket = get_ticket_for_staff(request.user, reference)
    seen = presence_beat(ticket_id=ticket.pk, user_id=request.user.pk)
    same_version = request.GET.get("v") == str(ticket.version)
    if same_version and request.GET.get("p") == presence_signature(seen, me=request.user):
        return HttpResponse(status=204)
    context = live_context(ticket, request.user, seen=seen)
    return render(request, "tickets/_live_presence.html", context)
