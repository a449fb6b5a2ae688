"""`Cache-Control: no-store` on every page the desk renders (ASVS 8.2.1, issue 12).

Staff work on shared floor PCs: a customer profile, a ticket or an htmx partial left in
the browser's cache is readable by the next person at that PC. Every response a desk view
produces is customer or staff data, or a redirect to some (the API, the report pages,
the admin, the partials), so the rule is "every response": a list of pages that need it
would miss the next one. A view that chose its own Cache-Control keeps it. Static files
never get here (WhiteNoise answers them first) and stay cacheable.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
