"""The desk's URLs plus the bench's yardstick: a bare view doing one indexed query."""

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path

from profiledesk.tickets.models import Ticket
from profiledesk.urls import urlpatterns as desk_urlpatterns

QUERIES_HEADER = "X-Bench-Queries"


def bare(request: HttpRequest) -> HttpResponse:
    """Through the same middleware as the queue (session, user, second factor), then one
    lookup by a unique index and a plain-text answer: the floor under any desk page."""
    found = Ticket.objects.filter(reference=request.GET.get("ref", "")).values_list("id").first()
    return HttpResponse(str(found), content_type="text/plain")


def count_queries(get_response: Callable[[HttpRequest], HttpResponse]):
    """Middleware of the bench's settings only (tests/bench/settings.py): a request that
    carries `X-Bench-Queries: 1` is answered with how many queries it made in the same
    header, so the HTTP bench checks each page's query count through gunicorn. Any other
    request passes untouched (one header lookup)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.headers.get(QUERIES_HEADER) != "1":
            return get_response(request)
        with CaptureQueriesContext(connection) as queries:
            response = get_response(request)
        response[QUERIES_HEADER] = str(len(queries))
        return response

    return middleware


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *desk_urlpatterns]
