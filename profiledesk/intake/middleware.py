"""A NUL character in a request's path or query string is refused (400) before any view
runs: PostgreSQL cannot hold one in a text value, so a lookup such as
`/tickets/%00/` would raise ValueError (a 500) in whichever view read it. Form and JSON
values are checked by Django's and DRF's CharFields (ProhibitNullCharactersValidator);
bodies are not read here (the inbound webhook reads its raw body itself)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


def refuse_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        query = request.GET
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query
        ):
            return HttpResponseBadRequest(
                _("A request may not contain a NUL character."), content_type="text/plain"
            )
        return get_response(request)

    return middleware
