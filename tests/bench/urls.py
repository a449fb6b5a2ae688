"""The desk's URLs plus the bench's yardstick: a bare view doing one indexed query."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from profiledesk.tickets.models import Ticket
from profiledesk.urls import urlpatterns as desk_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    """Through the same middleware as the queue (session, user, second factor), then one
    lookup by a unique index and a plain-text answer: the floor under any desk page."""
    found = Ticket.objects.filter(reference=request.GET.get("ref", "")).values_list("id").first()
    return HttpResponse(str(found), content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *desk_urlpatterns]
