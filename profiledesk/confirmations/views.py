"""The customer's "this wasn't me" page: public (the signed token is the credential).

GET only shows a confirmation form (mail scanners follow links: nothing happens on GET);
POST (with CSRF) reports. No customer data is shown beyond the ticket reference.

In the customer's language: the one they chose on the page (`?lang=`, remembered), else
their profile's (the link's, set when the message was written), else their browser's
(profiledesk.i18n.middleware has activated that one), else English.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from profiledesk.accounts.access import public
from profiledesk.i18n.languages import CUSTOMER_LANGUAGES, customer_language_or_default

from . import services
from .tokens import TokenError

STATUS_OF_PROBLEM = {"invalid": 404, "expired": 410, "used": 410}


def _language(request: HttpRequest, link) -> str:
    if link is not None and not getattr(request, "language_chosen", False):
        return customer_language_or_default(link.language)
    return translation.get_language() or "en"


def _page(request: HttpRequest, *, link, step: str, status: int = 200, **context) -> HttpResponse:
    language = _language(request, link)
    with translation.override(language):
        response = render(
            request,
            "confirmations/report.html",
            {"step": step, "languages": CUSTOMER_LANGUAGES.items(), **context},
            status=status,
        )
    response["Content-Language"] = language
    return response


@public
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.report_link_find(token=token)
    except TokenError as problem:
        return _page(request, link=None, step=problem.kind, status=STATUS_OF_PROBLEM[problem.kind])
    reference = link.ticket.reference
    if request.method == "GET":
        return _page(request, link=link, step="confirm", reference=reference)
    try:
        link = services.report_confirm(token=token, request=request)
    except TokenError as problem:  # used by another click meanwhile
        return _page(request, link=None, step=problem.kind, status=STATUS_OF_PROBLEM[problem.kind])
    return _page(
        request,
        link=link,
        step="done",
        reference=reference,
        report_reference=link.report_ticket.reference,
    )
