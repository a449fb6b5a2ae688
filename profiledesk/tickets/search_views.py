"""The desk's search box (docs/design.md §3, §8): one field in the navigation of every page
that finds tickets by reference and customers by number, name, e-mail or phone, with
their tickets.

Like the customer search, the box POSTs: what is typed reaches a URL (the bookmarkable
GET) only once it is known not to be a card number; a card number is refused on the field
and never searched.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from profiledesk.accounts.requests import StaffRequest
from profiledesk.customers.forms import CustomerSearchForm

from .queue_views import queue_row
from .selectors import desk_search, reference_in


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("tickets.view_ticket", raise_exception=True)
def search(request: StaffRequest) -> HttpResponse:
    form = CustomerSearchForm(request.POST if request.method == "POST" else request.GET or None)
    if not form.is_bound:
        return render(request, "tickets/search.html", {"form": form})
    if not form.is_valid():
        return render(request, "tickets/search.html", {"form": form}, status=400)
    query = form.cleaned_data["q"]
    if not query:
        return render(request, "tickets/search.html", {"form": form})
    if request.method == "POST":
        return redirect(f"{reverse('search')}?{urlencode({'q': query})}")
    found = desk_search(staff=request.user, query=query)
    # A reference that names one of the staff member's tickets opens it, as a floor
    # expects of a ticket number typed into the box.
    reference = reference_in(query)
    if reference and found.tickets and found.tickets[0].reference == reference:
        return redirect("tickets:detail", reference=reference)
    now = timezone.now()
    context = {
        "form": form,
        "query": query,
        "found": found,
        "rows": [queue_row(ticket, now) for ticket in found.tickets],
        "result": found.customers,
    }
    return render(request, "tickets/search.html", context)
