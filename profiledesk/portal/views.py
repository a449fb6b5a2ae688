"""The customer portal's pages: public to the desk's middleware (`@public`), guarded by
the portal's own session (services.session_find), never by a staff session — the staff
user of a desk session is dropped here, so nothing a portal page writes is attributed to
staff and no staff session opens a portal page. Forms POST with CSRF; no page needs
JavaScript."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from profiledesk.accounts.access import public
from profiledesk.confirmations.tokens import TokenError
from profiledesk.intake.forms import form_for
from profiledesk.intake.wording import item_words
from profiledesk.policies.categories import Category

from . import selectors, services
from .access import get_portal_client, get_report_link_for_customer, get_ticket_for_customer
from .branding import brand_of
from .forms import ClientForm, CodeForm, LanguageForm, SignInForm
from .languages import LANGUAGE_COOKIE, PORTAL_LANGUAGES, portal_language

# What a customer may ask for on the portal: the self-service categories of the client's
# policies are applied at once, these others become a request for the desk. Security
# (password, 2FA), billing (card numbers) and organisation (documents) stay with the desk
# and the client's own app.
REQUEST_CATEGORIES = (
    Category.PREFERENCES,
    Category.LANGUAGE_REGION,
    Category.CONTACT,
    Category.PERSONAL,
)

View = Callable[..., HttpResponse]

# The capture forms speak to an agent about "the customer"; on the portal the customer reads
# them. Their "Now: …" help (the current value, shown in clear on the desk once verified) is
# left out: the details page shows the profile masked, as the messages do.
NOW_HELP = ("legal_name", "preferred_name", "date_of_birth", "gender", "national_id")


def _for_the_customer(form: Any) -> Any:
    if "email" in form.fields:
        form.fields["email"].help_text = gettext_lazy(
            "Our team sends a one-time code to it to check it is yours before it is used."
        )
    for name in NOW_HELP:
        if name in form.fields:
            form.fields[name].help_text = ""
    return form


def _ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def _set_cookie(response: HttpResponse, key: str) -> None:
    response.set_cookie(
        services.PORTAL_COOKIE,
        key,
        max_age=int(services.ABSOLUTE_TIMEOUT.total_seconds()),
        path=services.PORTAL_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _drop_cookie(response: HttpResponse) -> None:
    response.delete_cookie(services.PORTAL_COOKIE, path=services.PORTAL_COOKIE_PATH)


def portal_page(*, signed_in: bool) -> Callable[[View], View]:
    """The client from the URL, the portal session from its cookie (signed in or not, as
    the page needs), the customer's language; the staff user dropped."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            request.user = AnonymousUser()
            client = get_portal_client(slug)
            session = services.session_find(
                key=request.COOKIES.get(services.PORTAL_COOKIE, ""), client=client
            )
            customer = session.customer if session is not None else None
            if signed_in and customer is None:
                response: HttpResponse = redirect("portal:sign_in", slug=client.slug)
                if session is None and request.COOKIES.get(services.PORTAL_COOKIE):
                    _drop_cookie(response)
                return response
            profile = getattr(getattr(customer, "language_region", None), "language", None)
            language = portal_language(request, profile)
            request.portal_client = client  # type: ignore[attr-defined]
            request.portal_session = session  # type: ignore[attr-defined]
            with translation.override(language):
                response = view(request, client, session, *args, **kwargs)
            response.headers.setdefault("Content-Language", language)
            return response

        return public(wrapper)

    return decorate


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    client = request.portal_client  # type: ignore[attr-defined]
    session = request.portal_session  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "client": client,
            "brand": brand_of(client.brand_colour),
            "signed_in": session is not None and session.customer_id is not None,
            "languages": PORTAL_LANGUAGES,
            **context,
        },
        status=status,
    )


# --- signing in -----------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The portal's front door: the customer names their company (or follows its link)."""
    request.user = AnonymousUser()
    if request.method == "POST" and "language" in request.POST:
        # The language switch of this page (no client yet): back here in that language.
        return _language_set(HttpResponseRedirect(reverse("portal:index")), request.POST)
    form = ClientForm(request.POST or None)
    with translation.override(portal_language(request)):
        if request.method == "POST" and form.is_valid():
            slug = form.cleaned_data["client"].lower()
            try:
                get_portal_client(slug)
            except Http404:
                form.add_error("client", _("We do not know that company. Check its link."))
            else:
                return redirect("portal:sign_in", slug=slug)
        status = 400 if form.errors else 200
        return render(
            request,
            "portal/index.html",
            {"form": form, "languages": PORTAL_LANGUAGES},
            status=status,
        )


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=False)
def sign_in(request: HttpRequest, client, session) -> HttpResponse:
    if session is not None and session.customer_id is not None:
        return redirect("portal:home", slug=client.slug)
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = services.signin_start(
                client=client,
                contact=form.cleaned_data["contact"],
                ip=_ip(request),
                language=translation.get_language() or "en",
            )
        except services.PortalError as problem:
            form.add_error("contact", str(problem))
        else:
            if session is not None:
                services.session_end(session=session)
            response = redirect("portal:code", slug=client.slug)
            _set_cookie(response, started.key)
            return response
    return _render(
        request, "portal/sign_in.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=False)
def code(request: HttpRequest, client, session) -> HttpResponse:
    if session is None:
        return redirect("portal:sign_in", slug=client.slug)
    if session.customer_id is not None:
        return redirect("portal:home", slug=client.slug)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            checked = services.signin_check(session=session, code=form.cleaned_data["code"])
        except services.PortalError as problem:
            form.add_error("code", str(problem))
        else:
            if checked.passed:
                response = redirect("portal:home", slug=client.slug)
                _set_cookie(response, checked.key)
                return response
            form.add_error("code", checked.message)
    return _render(request, "portal/code.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@portal_page(signed_in=False)
def sign_out(request: HttpRequest, client, session) -> HttpResponse:
    if session is not None:
        services.session_end(session=session)
    response = redirect(reverse("portal:sign_in", kwargs={"slug": client.slug}) + "?signed_out=1")
    _drop_cookie(response)
    return response


@require_POST
@portal_page(signed_in=False)
def language(request: HttpRequest, client, session) -> HttpResponse:
    form = LanguageForm(request.POST)
    home = reverse("portal:sign_in", kwargs={"slug": client.slug})
    if not form.is_valid():
        return redirect(home)
    target = form.cleaned_data["next"] or home
    # Back to the page it was sent from, on this client's portal only (no "..", no "\\").
    if not (
        target.startswith(home)
        and ".." not in unquote(target)
        and "\\" not in unquote(target)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        target = home
    return _language_set(HttpResponseRedirect(target), request.POST)


def _language_set(response: HttpResponse, data: Any) -> HttpResponse:
    """The portal's language cookie (scoped to /portal/), if `data` names one of its
    languages; the desk's own language is never touched."""
    form = LanguageForm(data)
    if form.is_valid():
        response.set_cookie(
            LANGUAGE_COOKIE,
            form.cleaned_data["language"],
            max_age=365 * 24 * 3600,
            path=services.PORTAL_COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_GET
@portal_page(signed_in=False)
def brand_css(request: HttpRequest, client, session) -> HttpResponse:
    """The client's colours as CSS custom properties (no inline style under the CSP)."""
    brand = brand_of(client.brand_colour)
    css = f":root {{ --portal-brand: {brand.colour}; --portal-on-brand: {brand.on_colour}; }}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")


# --- signed in --------------------------------------------------------------------------


@require_GET
@portal_page(signed_in=True)
def home(request: HttpRequest, client, session) -> HttpResponse:
    customer = session.customer
    return _render(
        request,
        "portal/home.html",
        {
            "customer": customer,
            "sections": selectors.profile_sections(customer),
            "requests": selectors.customer_requests(customer),
            "confirmations": selectors.customer_confirmations(customer),
            "categories": _categories(client),
        },
    )


def _categories(client) -> list[tuple[str, str, bool]]:
    """(value, label, applied at once) of what the customer may change here."""
    direct = selectors.self_service_categories(client)
    return [
        (category.value, str(category.label), category.value in direct)
        for category in REQUEST_CATEGORIES
    ]


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=True)
def change(request: HttpRequest, client, session) -> HttpResponse:
    category = request.POST.get("category") or request.GET.get("category") or ""
    if category not in {c.value for c in REQUEST_CATEGORIES}:
        return _render(request, "portal/change_choose.html", {"categories": _categories(client)})
    customer = session.customer
    data = request.POST if request.method == "POST" else None
    form = _for_the_customer(form_for(category, customer=customer, data=data))
    self_service = services.is_self_service(client=client, category=category)
    if data is not None and form.is_valid():
        try:
            submitted = services.change_submit(
                session=session, category=category, cleaned_data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        except services.PortalError as problem:
            # The sign-in is too old to prove anything: sign in again.
            services.session_end(session=session)
            request.portal_session = None  # type: ignore[attr-defined]
            response = _render(
                request, "portal/sign_in.html", {"form": SignInForm(), "notice": str(problem)}
            )
            _drop_cookie(response)
            return response
        else:
            url = reverse(
                "portal:request",
                kwargs={"slug": client.slug, "reference": submitted.ticket.reference},
            )
            return redirect(f"{url}?sent=1")
    return _render(
        request,
        "portal/change.html",
        {
            "form": form,
            "category": category,
            "category_label": Category(category).label,
            "self_service": self_service,
        },
        status=400 if form.errors else 200,
    )


@require_GET
@portal_page(signed_in=True)
def request_detail(request: HttpRequest, client, session, reference: str) -> HttpResponse:
    ticket = get_ticket_for_customer(session.customer, reference)
    return _render(
        request,
        "portal/request.html",
        {
            "ticket": ticket,
            # Stored in the desk's English: each label and display in the customer's words.
            "items": [item_words(item) for item in ticket.items.order_by("position", "id")],
            "just_sent": request.GET.get("sent") == "1",
        },
    )


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=True)
def report(request: HttpRequest, client, session, link_id: int) -> HttpResponse:
    """ "This wasn't me" for a change confirmed to this customer: GET asks, POST reports."""
    link = get_report_link_for_customer(session.customer, link_id)
    if request.method == "GET":
        return _render(request, "portal/report.html", {"link": link, "step": "confirm"})
    try:
        used = services.report_not_me(session=session, link=link)
    except (TokenError, services.PortalError):
        return _render(request, "portal/report.html", {"link": link, "step": "used"}, status=410)
    report_ticket = used.report_ticket
    assert report_ticket is not None  # report_link_use opened it
    return _render(
        request,
        "portal/report.html",
        {"link": used, "step": "done", "report_reference": report_ticket.reference},
    )
