"""The customer's "this wasn't me" page: public (the signed token is the credential).

GET only shows a confirmation form (mail scanners follow links: nothing happens on GET);
POST (with CSRF) reports. No customer data is shown beyond the ticket reference.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from profiledesk.accounts.access import public

from . import services
from .tokens import TokenError

STATUS_OF_PROBLEM = {"invalid": 404, "expired": 410, "used": 410}


# The customer's page is written out whole in these languages (templates/confirmations/);
# the staff desk ships English only (settings.LANGUAGES), so the browser's wish is read here.
CUSTOMER_LANGUAGES = ("en", "es")


def _browser_language(request: HttpRequest) -> str:
    """The first of the customer page's languages the browser accepts (q > 0), else English."""
    wishes = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        try:
            q = float(params.strip().removeprefix("q=")) if params else 1.0
        except ValueError:
            continue
        wishes.append((-q, position, tag.strip().lower().split("-")[0]))
    for q, _position, language in sorted(wishes):
        if q < 0 and language in CUSTOMER_LANGUAGES:
            return language
    return "en"


def _language(request: HttpRequest, link) -> str:
    if link is not None:
        return link.language
    return _browser_language(request)


def _page(request: HttpRequest, *, link, step: str, status: int = 200, **context) -> HttpResponse:
    language = _language(request, link)
    with translation.override(language):
        return render(
            request,
            [f"confirmations/{language}/report.html", "confirmations/en/report.html"],
            {"step": step, **context},
            status=status,
        )


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
