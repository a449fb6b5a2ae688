"""The Dev outbox (demo only): what the demo's customers would have received."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from profiledesk.accounts.requests import StaffRequest

from .sinks import dev_outbox as read_dev_outbox


@require_GET
def dev_outbox(request: StaffRequest) -> HttpResponse:
    # Only with DEBUG on (the demo) and only for desk admins; to anyone else it does not
    # exist. It shows one-time codes in clear: that is how the demo's OTPs are read.
    if not settings.DEBUG or not request.user.has_perm("messaging.view_message"):
        raise Http404
    page = read_dev_outbox(after=request.GET.get("after"))
    return render(
        request,
        "messaging/dev_outbox.html",
        {"entries": page.entries, "next_cursor": page.next_cursor, "first": "after" in request.GET},
    )
