"""Activates the language of each request (in place of Django's LocaleMiddleware, which
would let a browser's Accept-Language turn the staff desk Spanish)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .languages import (
    FALLBACK,
    QUERY_PARAMETER,
    chosen_language,
    customer_language,
    is_customer_path,
)


class LanguageMiddleware:
    """Staff pages: English, whatever the browser asks. Customer pages: the customer's
    language (`languages.chosen_language`); `request.language_chosen` says whether the
    customer chose it (a page that knows the customer's profile language uses that
    otherwise). A `?lang=` choice is remembered in a cookie for the next page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        customer = is_customer_path(request.path_info)
        language, chosen = chosen_language(request) if customer else (FALLBACK, False)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        request.language_chosen = chosen  # type: ignore[attr-defined]
        response = self.get_response(request)
        # A view may answer in another language (the profile's): it sets the header.
        response.headers.setdefault("Content-Language", language)
        if customer:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            asked = customer_language(request.GET.get(QUERY_PARAMETER))
            if asked:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    asked,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite="Lax",
                )
        translation.deactivate()
        return response
