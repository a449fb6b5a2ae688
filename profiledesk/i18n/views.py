"""The customer side's own "not found" page (handler404): a customer URL that names
nothing (a mistyped link, another customer's id) gets a page in the customer's language
with no staff wording or navigation; every other URL gets the desk's 404.html."""

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .languages import is_customer_path


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_customer_path(request.path_info):
        return defaults.page_not_found(request, exception, template_name="i18n/customer_404.html")
    return defaults.page_not_found(request, exception)
