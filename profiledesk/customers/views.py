from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from profiledesk.accounts.requests import StaffRequest
from profiledesk.accounts.roles import Role, roles_of
from profiledesk.tickets.queue_views import queue_row
from profiledesk.tickets.selectors import customer_tickets

from .access import get_customer_for_staff
from .forms import CustomerSearchForm, FreezeForm, RevealForm
from .reveal import RevealRefused, customer_field_reveal, reveal_access
from .selectors import customer_access_log, customer_profile, customer_search
from .services import FREEZE_PERMISSION, FreezeError, customer_freeze, customer_unfreeze


@require_GET
def home(request: StaffRequest) -> HttpResponse:
    # Security starts on its own queue, staff who work tickets on the queue, the others
    # on the customer search.
    if Role.SECURITY in roles_of(request.user) and request.user.has_perm("tickets.view_ticket"):
        return redirect("security:queue")
    if request.user.has_perm("tickets.view_ticket"):
        return redirect("tickets:queue")
    if request.user.has_perm("customers.view_customer"):
        return redirect("customers:search")
    # Desk admins configure the desk; they have no customer pages.
    return redirect("admin:index")


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("customers.view_customer", raise_exception=True)
def search(request: StaffRequest) -> HttpResponse:
    """The form POSTs, so that what is typed reaches no URL (and no access log or browser
    history) until it is known not to be a card number; a card-like query is answered
    with a field error and never searched. Any other query is sent on to the bookmarkable
    GET (a redirect; for htmx, the results with the GET's URL pushed)."""
    form = CustomerSearchForm(request.POST if request.method == "POST" else request.GET or None)
    result = None
    if form.is_valid() and form.cleaned_data["q"]:
        if request.method == "POST" and not request.htmx:
            return redirect(f"{reverse('customers:search')}?{urlencode(form.cleaned_data)}")
        result = customer_search(staff=request.user, query=form.cleaned_data["q"])
    template = "customers/_results.html" if request.htmx else "customers/search.html"
    response = render(request, template, {"form": form, "result": result})
    if request.method == "POST" and request.htmx and result is not None:
        response["HX-Push-Url"] = f"{reverse('customers:search')}?{urlencode(form.cleaned_data)}"
    return response


def _tickets_of(request: StaffRequest, customer) -> dict | None:
    """The customer's open and recent tickets for the profile, as queue rows: an agent sees
    an open request before opening a duplicate. None without the ticket permission."""
    if not request.user.has_perm("tickets.view_ticket"):
        return None
    found = customer_tickets(staff=request.user, customer_id=customer.pk)
    now = timezone.now()
    return {
        "open": [queue_row(ticket, now) for ticket in found.open],
        "recent": [queue_row(ticket, now) for ticket in found.recent],
        "more_open": found.more_open,
    }


@require_GET
def profile(request: StaffRequest, customer_id: int) -> HttpResponse:
    customer = customer_profile(get_customer_for_staff(request.user, customer_id))
    access = None
    if request.user.has_perm("customers.reveal_sensitive"):
        access = reveal_access(customer=customer, staff=request.user)
    context = {
        "customer": customer,
        "tickets": _tickets_of(request, customer),
        "access_log": customer_access_log(customer),
        "can_reveal": access is not None and access.allowed,
        "reveal_reason_needed": access is not None and access.reason_needed,
        "reveal_refusal": access.refusal if access is not None else "",
    }
    return render(request, "customers/profile.html", context)


@never_cache
@require_POST
def reveal(
    request: StaffRequest, customer_id: int, kind: str, row_id: int, field: str
) -> HttpResponse:
    customer = get_customer_for_staff(request.user, customer_id, perm="customers.reveal_sensitive")
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        revealed = customer_field_reveal(
            customer=customer,
            staff=request.user,
            kind=kind,
            row_id=row_id,
            field=field,
            reason=reason,
            request=request,
        )
    except RevealRefused as refused:
        if refused.field:
            form.add_error(refused.field, str(refused))
        context = {
            "customer": customer,
            "message": str(refused),
            "form": form,
            "target": f"reveal-{kind}-{row_id}-{field}",
            "action": request.path,
        }
        # htmx swaps only 2xx answers: the refusal replaces the button, saying why.
        if request.htmx:
            return render(request, "customers/_reveal_refused.html", context)
        status = 400 if refused.field else 403
        return render(request, "customers/reveal_refused.html", context, status=status)
    if not request.htmx:
        # Without JavaScript the value is shown once on a page of its own.
        return render(
            request, "customers/revealed.html", {"customer": customer, "revealed": revealed}
        )
    return render(request, "customers/_revealed.html", {"revealed": revealed})


def _freeze(request: StaffRequest, customer_id: int, *, freeze: bool) -> HttpResponse:
    customer = get_customer_for_staff(request.user, customer_id, perm=FREEZE_PERMISSION)
    form = FreezeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        write = customer_freeze if freeze else customer_unfreeze
        try:
            write(
                customer=customer,
                by=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except FreezeError as error:
            messages.error(request, str(error))
        else:
            done = _("The profile is frozen.") if freeze else _("The freeze is lifted.")
            messages.success(request, done)
    return redirect("customers:profile", customer_id=customer.pk)


@require_POST
def freeze(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _freeze(request, customer_id, freeze=True)


@require_POST
def unfreeze(request: StaffRequest, customer_id: int) -> HttpResponse:
    return _freeze(request, customer_id, freeze=False)
