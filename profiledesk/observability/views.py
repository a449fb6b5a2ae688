from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from profiledesk.accounts.access import public

from .access import address_allowed, metrics_configured, token_valid
from .registry import scrape_registry


@public  # no staff session: the scraper authenticates with its token and address
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_configured() or not address_allowed(request):
        raise Http404
    if not token_valid(request):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
